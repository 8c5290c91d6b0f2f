// A live article's page: its updates newest first, the pinned one ahead of them, its key events
// beside, kept current from the event stream, around the story as story.js draws it.

import { follow, getJSON } from './api.js';
import { clockTime, el, sanitizedHtml } from './dom.js';
import { showArticle, withdrawn } from './story.js';

// One update of a live article. Its id is what the key events link to; its time and id order
// the timeline as the API does.
function blockView(block, pinned) {
  // body_html is sanitized by Gazette, like an article's.
  const body = sanitizedHtml('div', 'block-body', block.body_html);
  const cls = ['live-block', block.key_event && 'key-event', pinned && 'pinned'].filter(Boolean).join(' ');
  const attrs = { id: `block-${block.id}`, class: cls, tabindex: '-1', 'data-id': block.id, 'data-at': Date.parse(block.published_at) };
  return el('article', attrs,
    el('header', { class: 'block-meta' },
      pinned ? el('p', { class: 'block-flag pinned-flag' }, 'Pinned') : null,
      clockTime(block.published_at, 'block-time'),
      block.key_event ? el('p', { class: 'block-flag key-flag' }, 'Key event') : null),
    block.title ? el('h2', { class: 'block-title' }, block.title) : null,
    body);
}

const blockKey = (block) => ({ at: Date.parse(block.published_at), id: block.id });
const nodeKey = (node) => ({ at: Number(node.dataset.at), id: Number(node.dataset.id) });
const isNewer = (a, b) => (a.at - b.at || a.id - b.id) > 0;

// How many older updates "Load older updates" asks for at a time.
const BLOCK_PAGE = 20;

// A live article's page: the story's opening, then its updates newest first, the pinned one
// ahead of them, kept current from the event stream. The timeline holds the unbroken run of
// updates from the newest down, ended by "Load older updates" while there are more; updates
// read around a key event further back sit below that button until the pages reach them.
export async function liveView(article, path, signal) {
  let { cursor } = article.live_summary;
  let pinnedId = null;
  // The updates on the page, by id.
  const known = new Map();
  const summaryLine = el('p', { class: 'live-summary' });
  const keyEvents = el('ol', { class: 'key-events-list' });
  const keyBox = el('nav', { class: 'key-events', 'aria-labelledby': 'key-events-heading' },
    el('h2', { id: 'key-events-heading' }, 'Key events'), keyEvents);
  const pinnedSlot = el('div', { class: 'live-pinned' });
  const timeline = el('div', { class: 'live-timeline' });
  const older = el('button', { type: 'button', class: 'load-older' }, 'Load older updates');
  const announcer = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  // The page's main region announces what it shows: here arrivals are announced once, in a
  // line, rather than read out whole (`aria-live="off"`).
  const live = {
    aside: el('aside', { class: 'live-aside', 'aria-live': 'off' }, summaryLine, keyBox),
    section: el('section', { class: 'live-updates', 'aria-label': 'Live updates', 'aria-live': 'off' },
      announcer, pinnedSlot, timeline),
  };
  const findBlock = (id) => live.section.querySelector(`#block-${id}`);

  // Puts a node before the first update in the timeline older than `key`. Past the button,
  // only updates read around a key event go: otherwise false, the update comes with its page.
  function insert(node, key, beyondGap) {
    for (const child of timeline.children) {
      if (child === older) {
        if (!beyondGap) return false;
      } else if (isNewer(key, nodeKey(child))) {
        child.before(node);
        return true;
      }
    }
    timeline.append(node);
    return true;
  }

  // Draws an update where it belongs, in place of the one shown; false when it is not shown.
  function show(block, { fresh = false, beyondGap = false } = {}) {
    const node = blockView(block, block.id === pinnedId);
    const shown = findBlock(block.id);
    if (shown) shown.replaceWith(node);
    else if (block.id === pinnedId) pinnedSlot.replaceChildren(node);
    else if (!insert(node, blockKey(block), beyondGap)) return false;
    known.set(block.id, block);
    // A highlight that fades: colour only, so nothing moves.
    if (fresh) node.classList.add('fresh');
    return true;
  }

  function drop(id) {
    findBlock(id)?.remove();
    known.delete(id);
  }

  // The pinned update leads; the one it takes over from goes back to its place in time.
  function repin(pinned) {
    const previous = pinnedId;
    pinnedId = pinned?.id ?? null;
    if (previous === pinnedId) return;
    const unpinned = known.get(previous);
    if (unpinned) {
      drop(previous);
      show(unpinned);
    }
    if (pinned) {
      findBlock(pinned.id)?.remove();
      show(pinned);
    }
  }

  function summarize(summary) {
    const count = `${summary.block_count} ${summary.block_count === 1 ? 'update' : 'updates'}`;
    summaryLine.replaceChildren(count, ...(summary.latest_block_at ? [' · Updated ', clockTime(summary.latest_block_at)] : []));
    keyEvents.replaceChildren(...summary.key_events.map((event) => el('li', {},
      el('a', { href: `#block-${event.id}`, 'data-block': event.id },
        clockTime(event.published_at), ' ', el('span', { class: 'key-event-title' }, event.title ?? 'Key event')))));
    keyBox.hidden = !summary.key_events.length;
  }

  function announce(arrived) {
    if (!arrived.length) return;
    const newest = arrived.at(-1);
    announcer.textContent = arrived.length > 1 ? `${arrived.length} new updates`
      : `New update: ${newest.title ?? newest.body_text.slice(0, 140)}`;
  }

  // What changed since the last answer (oldest change first): removed, new and edited updates,
  // and the summary as it now stands.
  function apply(answer) {
    const before = new Set(known.keys());
    for (const id of answer.removed_blocks ?? []) drop(id);
    repin(answer.live_summary.pinned);
    for (const block of answer.blocks) show(block, { fresh: true });
    summarize(answer.live_summary);
    cursor = answer.live_summary.cursor;
    announce(answer.blocks.filter((b) => !before.has(b.id) && known.has(b.id)));
  }

  // One read of the changes at a time, and one more for whatever happened during it. The
  // answer is the whole article too: when the story itself was edited (a new update changes
  // its updated_at as well, so the event says which), it is redrawn around the same updates.
  let reading = false;
  let again = false;
  let storyEdited = false;
  async function refresh({ edited = false } = {}) {
    again = true;
    storyEdited ||= edited;
    if (reading) return;
    reading = true;
    try {
      while (again && !signal.aborted) {
        again = false;
        const redraw = storyEdited;
        storyEdited = false;
        const answer = await getJSON(`${path}?blocks=since:${encodeURIComponent(cursor)}`, { signal });
        apply(answer);
        if (redraw) await showArticle(answer, path, signal, live);
      }
    } catch {
      // Gone (the stream says so), out of reach or left: the next change asks again.
    } finally {
      reading = false;
    }
  }

  // The article's answer has the newest updates but no cursor for the pages after them: the
  // first page asks for as many as are shown and a page more. Pages skip what is shown, and
  // one that brings nothing new is followed by the next.
  let pageCursor = null;
  async function loadOlder() {
    older.disabled = true;
    older.textContent = 'Loading…';
    try {
      let added = 0;
      let page;
      do {
        const query = new URLSearchParams({ limit: String(pageCursor ? BLOCK_PAGE : Math.min(100, known.size + BLOCK_PAGE)) });
        if (pageCursor) query.set('cursor', pageCursor);
        page = await getJSON(`${path}/blocks?${query}`, { signal });
        for (const block of page.data) {
          if (!known.has(block.id) && show(block, { beyondGap: true })) added += 1;
        }
        // The run from the newest now reaches this page's oldest update.
        const oldest = page.data.at(-1);
        if (oldest) {
          older.remove();
          insert(older, blockKey(oldest), true);
        }
        pageCursor = page.meta.next_cursor;
      } while (!added && page.meta.has_more);
      if (!page.meta.has_more) older.remove();
      older.textContent = 'Load older updates';
    } catch (err) {
      if (!signal.aborted) older.textContent = `${err.message}: try again`;
    } finally {
      older.disabled = false;
    }
  }

  // A key event's link: to its update, read with those around it when not on the page yet.
  async function goTo(id) {
    if (!findBlock(id)) {
      const around = await getJSON(`${path}?blocks=around:${id}`, { signal });
      for (const block of around.blocks) {
        if (!known.has(block.id)) show(block, { beyondGap: true });
      }
    }
    const target = findBlock(id);
    target?.scrollIntoView({ block: 'start' });
    target?.focus({ preventScroll: true });
  }

  older.addEventListener('click', loadOlder);
  // The fragment holds the route: the links are followed here, not by the browser.
  keyEvents.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-block]');
    if (!link) return;
    event.preventDefault();
    goTo(Number(link.dataset.block)).catch(() => { /* the update is gone: the link goes with the next summary */ });
  });

  repin(article.live_summary.pinned);
  for (const block of article.blocks) show(block);
  if (article.live_summary.block_count > known.size) timeline.append(older);
  summarize(article.live_summary);
  await showArticle(article, path, signal, live);
  // Every change to the coverage is read as it is announced; so is anything between the
  // article's answer and the stream's opening (`ready`).
  const changed = () => refresh();
  follow(`?article=${article.id}`, signal, {
    ready: changed,
    'article.updated': () => refresh({ edited: true }),
    // A correction is shown at the story's foot: the story is redrawn with it.
    'article.corrected': () => refresh({ edited: true }),
    'block.created': changed,
    'block.updated': changed,
    'block.deleted': changed,
    'article.unpublished': withdrawn,
    'article.deleted': withdrawn,
  });
}
