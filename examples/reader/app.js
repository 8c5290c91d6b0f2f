// The reference reader: a news site rendered in the browser from the public API of a Gazette
// on another origin. No build step and no framework: index.html, style.css and this module.
// Routes live in the fragment (#/, #/tag/<slug>, #/search?q=…, #/articles/<slug>,
// #/preview/<token>) so any static file server can serve the site, and a preview link's token
// never reaches a server in a Referer or an access log of the site.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const pageParams = new URLSearchParams(location.search);
// `?api=` and `?limit=` stay in the address while the fragment changes, so they hold for the visit.
const API = (pageParams.get('api') || meta('gazette-api') || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const PAGE_SIZE = Math.min(100, Math.max(1, Number.parseInt(pageParams.get('limit') || meta('gazette-page-size'), 10) || 10));
const SITE_NAME = meta('gazette-site-name') || 'Gazette';
// What a teaser shows and nothing more: one list request renders a whole page of teasers.
const TEASER_FIELDS = 'slug,title,summary,published_at,byline,reading_time_minutes,tags,feature_image_url,highlight,format,live,latest_block_at';
// As many related teasers as the page shows; the article carries its curated links, and only
// when they are fewer does the page ask for suggestions.
const RELATED_COUNT = 8;
const SHARE_NETWORKS = [
  ['x', 'X'], ['facebook', 'Facebook'], ['linkedin', 'LinkedIn'], ['whatsapp', 'WhatsApp'],
  ['telegram', 'Telegram'], ['reddit', 'Reddit'], ['email', 'Email'],
];

// The newsroom's admin key, once given in the footer form. It lives only in this variable:
// gone on reload, never in the address, history, storage or a cookie.
let adminKey = null;

const main = document.getElementById('content');
const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
// Times of updates, in the reader's own time zone: a live page is read as it happens.
const clockFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
  }
}

// One call to the API. Public reads use `cache: 'no-cache'`: the browser keeps each response
// with its ETag and revalidates it on every use (If-None-Match, answered 304 with no body when
// nothing changed), so a revisit downloads nothing yet never shows an edited article stale.
// Reads with a key are private to the newsroom and never cached, nor are previews (`noStore`).
async function request(path, { key = null, method = 'GET', json, ifMatch, signal, noStore = false } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  let response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      cache: key || noStore ? 'no-store' : 'no-cache',
      mode: 'cors',
      credentials: 'omit',
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'Gazette could not be reached', `no answer from ${API} to this page (${location.origin})`);
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not problem details: the status says it */ }
    throw new ApiError(response.status, problem.title ?? `HTTP ${response.status}`, problem.detail ?? '');
  }
  const body = response.status === 204 ? null : await response.json();
  return { body, etag: response.headers.get('ETag') };
}

const getJSON = async (path, options) => (await request(path, options)).body;

// Builds an element; strings become text nodes, so API text is never parsed as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// Only web and mail links become hrefs, whatever a stored URL says.
function safeHref(url) {
  try {
    return ['http:', 'https:', 'mailto:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

const articleHash = (slug) => `#/articles/${encodeURIComponent(slug)}`;
const tagHash = (slug) => `#/tag/${encodeURIComponent(slug)}`;

function formatDate(iso) {
  return iso ? el('time', { datetime: iso }, dateFormat.format(new Date(iso))) : null;
}

// "14:32", followed by the day when it is not today.
function clockTime(iso, cls = null) {
  const at = new Date(iso);
  const today = at.toDateString() === new Date().toDateString();
  return el('time', { datetime: iso, class: cls },
    el('span', { class: 'clock' }, clockFormat.format(at)),
    today ? null : [' ', el('span', { class: 'day' }, dayFormat.format(at))]);
}

function bylineLine(article, cls) {
  const parts = [
    article.byline ? `By ${article.byline}` : null,
    formatDate(article.published_at),
    // A live article's reading time counts its opening only: it is left out.
    article.reading_time_minutes && article.format !== 'live' ? `${article.reading_time_minutes} min read` : null,
  ].filter(Boolean);
  return el('p', { class: cls }, parts.flatMap((p, i) => (i ? [' · ', p] : [p])));
}

function tagList(tags, cls) {
  if (!tags?.length) return null;
  return el('ul', { class: cls }, tags.map((t) => el('li', {}, el('a', { href: tagHash(t.slug) }, t.name))));
}

function notice(text, cls = 'notice') {
  return el('p', { class: cls }, text);
}

function problemView(err) {
  if (err.status === 404) {
    return el('div', { class: 'problem' },
      el('h1', {}, 'Page not found'),
      el('p', {}, 'It may have been moved or unpublished.'),
      el('p', {}, el('a', { href: '#/' }, 'Back to the front page')));
  }
  return el('div', { class: 'problem' }, el('h1', {}, 'Something went wrong'), el('p', {}, err.message));
}

// A live article still being updated says so, with the time of its latest update.
function liveLabel(article) {
  if (!article.live) return null;
  return el('p', { class: 'teaser-live' },
    el('span', { class: 'live-badge' }, 'Live'),
    article.latest_block_at ? el('span', { class: 'teaser-updated' }, 'Updated ', clockTime(article.latest_block_at)) : null);
}

function teaser(article) {
  const summary = el('p', { class: 'teaser-summary' });
  if (article.highlight) {
    // Gazette's search excerpt: HTML-escaped text whose only markup is <mark>.
    summary.innerHTML = article.highlight;
  } else {
    summary.textContent = article.summary ?? '';
  }
  const image = safeHref(article.feature_image_url);
  return el('li', { class: 'teaser', 'data-slug': article.slug },
    el('article', {},
      image ? el('img', { class: 'teaser-image', src: image, alt: '', loading: 'lazy' }) : null,
      article.tags?.length ? el('p', { class: 'kicker' }, el('a', { href: tagHash(article.tags[0].slug) }, article.tags[0].name)) : null,
      liveLabel(article),
      el('h2', { class: 'teaser-title' }, el('a', { href: articleHash(article.slug) }, article.title)),
      summary.textContent ? summary : null,
      bylineLine(article, 'teaser-meta'),
      tagList((article.tags ?? []).slice(1), 'teaser-tags')));
}

// A list of teasers that asks for the next cursor page as the reader nears its end, and says
// "No More Articles" when the API says there is none.
function teaserList(filters, signal, { layout = 'grid', onFirstPage } = {}) {
  const list = el('ol', { class: 'teasers' });
  const end = el('p', { class: 'list-end', role: 'status' }, 'Loading…');
  let cursor = null;
  let loading = false;
  let first = true;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadNext();
  }, { rootMargin: '0px 0px 600px 0px' });
  signal.addEventListener('abort', () => observer.disconnect());

  async function loadNext() {
    if (loading) return;
    loading = true;
    end.textContent = 'Loading…';
    const query = new URLSearchParams(filters);
    query.set('limit', String(PAGE_SIZE));
    query.set('fields', TEASER_FIELDS);
    if (cursor) query.set('cursor', cursor);
    let page;
    try {
      page = await getJSON(`/api/v1/articles?${query}`, { signal });
    } catch (err) {
      if (signal.aborted) return;
      observer.disconnect();
      end.textContent = err.message;
      return;
    }
    if (first) onFirstPage?.(page.meta);
    first = false;
    list.append(...page.data.map(teaser));
    cursor = page.meta.next_cursor;
    loading = false;
    if (!page.meta.has_more) {
      observer.disconnect();
      end.textContent = list.children.length ? 'No More Articles' : 'No articles here yet.';
      end.classList.add('done');
      return;
    }
    end.textContent = '';
    // The observer reports changes only: observing again asks whether the end is still within
    // reach after this page (a short page, or a tall window), and loads on if it is.
    observer.unobserve(end);
    observer.observe(end);
  }

  observer.observe(end);
  return el('div', { class: `teaser-list ${layout}` }, list, end);
}

function sectionHeading(title, ...rest) {
  return el('header', { class: 'section-heading' }, el('h1', {}, title), ...rest);
}

// Live updates: the API's event stream for as long as the view shows. EventSource reconnects
// by itself and resumes after the last event it had (Last-Event-ID), so nothing is missed.
function follow(query, signal, handlers) {
  if (typeof EventSource === 'undefined') return;
  const source = new EventSource(`${API}/api/v1/stream${query}`);
  // The page says when it is following (a test waits for it before writing).
  source.addEventListener('ready', () => {
    if (!signal.aborted) main.dataset.live = 'ready';
  });
  delete main.dataset.live;
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      if (!signal.aborted) handle(JSON.parse(event.data));
    });
  }
  signal.addEventListener('abort', () => source.close());
}

function frontView(signal) {
  document.title = SITE_NAME;
  // Stories published since the page was drawn are announced, not pushed into the list under
  // the reader's eyes; the announcement redraws the page.
  const fresh = el('button', { type: 'button', class: 'new-stories', hidden: '' });
  fresh.addEventListener('click', () => route());
  main.replaceChildren(sectionHeading('Latest news'), fresh, teaserList({}, signal));
  const published = new Set();
  follow('', signal, {
    'article.published': (change) => {
      published.add(change.id);
      fresh.textContent = published.size === 1 ? '1 new story' : `${published.size} new stories`;
      fresh.hidden = false;
    },
  });
}

async function tagView(slug, signal) {
  const heading = sectionHeading('');
  main.replaceChildren(heading, teaserList({ tag: slug }, signal));
  const tag = await getJSON(`/api/v1/tags/${encodeURIComponent(slug)}`, { signal });
  document.title = `${tag.name} — ${SITE_NAME}`;
  heading.replaceChildren(
    el('h1', {}, tag.name),
    tag.description ? el('p', { class: 'section-description' }, tag.description) : null,
    el('p', { class: 'section-count' }, `${tag.article_count} ${tag.article_count === 1 ? 'article' : 'articles'}`));
}

function searchView(q, signal) {
  document.getElementById('search-q').value = q;
  document.title = `Search: ${q} — ${SITE_NAME}`;
  if (!q.trim()) {
    main.replaceChildren(sectionHeading('Search'), notice('Type a few words in the search box above.'));
    return;
  }
  const count = el('p', { class: 'section-count' });
  main.replaceChildren(
    sectionHeading(`Results for “${q}”`, count),
    teaserList({ q }, signal, {
      layout: 'column',
      onFirstPage: (meta) => {
        count.textContent = `${meta.total} ${meta.total === 1 ? 'article matches' : 'articles match'}`;
      },
    }));
}

function relatedItem(link) {
  const internal = link.kind === 'internal';
  const href = internal ? articleHash(link.slug) : safeHref(link.url);
  const external = internal ? {} : { target: '_blank', rel: 'noopener noreferrer' };
  let host = '';
  if (!internal && href) host = new URL(href).host;
  return el('li', { class: 'related-item', 'data-kind': link.kind, 'data-source': link.source ?? 'curated' },
    link.title ? el('h3', {}, el('a', { href, ...external }, link.title)) : null,
    el('p', { class: 'related-summary' },
      link.title ? link.summary : el('a', { href, ...external }, link.summary)),
    internal ? null : el('p', { class: 'related-source' }, `${host} ↗`),
    link.source === 'suggested' ? el('p', { class: 'related-source' }, 'Suggested') : null);
}

function shareBox(share) {
  return el('section', { class: 'share', 'aria-labelledby': 'share-heading' },
    el('h2', { id: 'share-heading' }, 'Share the Article'),
    el('p', { class: 'sharing' }, `Sharing: ${share.title}`),
    el('ul', { class: 'share-links' }, SHARE_NETWORKS
      .filter(([key]) => share.links?.[key])
      .map(([key, label]) => el('li', {}, el('a', {
        class: `share-link share-${key}`,
        'data-network': key,
        href: safeHref(share.links[key]),
        ...(key === 'email' ? {} : { target: '_blank', rel: 'noopener noreferrer' }),
      }, label)))));
}

// "Edit Content" appears only while an admin key is held; the slots are refilled when the key
// changes, without asking the API again.
function editSlot(slug) {
  const slot = el('p', { class: 'edit-slot', 'data-slug': slug });
  fillEditSlot(slot);
  return slot;
}

function fillEditSlot(slot) {
  slot.replaceChildren(adminKey ? el('a', { class: 'edit-link', href: `${articleHash(slot.dataset.slug)}/edit` }, 'Edit Content') : '');
}

// The article page: the story, its related reading and the share box. A live article's page
// (`live`: its side column and its updates, kept across redraws) sets the story's opening beside
// its key events, with the updates under it.
function storyView(article, { banner = null, live = null } = {}) {
  const body = el('div', { class: 'story-body' });
  // body_html is Gazette's sanitized rendering of the Markdown body.
  body.innerHTML = article.body_html;
  const image = safeHref(article.feature_image_url);
  const headline = el('h1', { class: 'headline' }, article.title);
  const opening = [image ? el('img', { class: 'story-image', src: image, alt: '' }) : null, body];
  const related = el('ol', { class: 'related-list' }, article.related.slice(0, RELATED_COUNT).map(relatedItem));
  const relatedSection = el('section', { class: 'related', 'aria-labelledby': 'related-heading' },
    el('h2', { id: 'related-heading' }, 'Related Articles'), related);
  main.replaceChildren(
    el('article', { class: live ? 'story live-story' : 'story', 'data-slug': article.slug },
      banner,
      banner ? null : editSlot(article.slug),
      article.tags.length ? el('p', { class: 'kicker' }, el('a', { href: tagHash(article.tags[0].slug) }, article.tags[0].name)) : null,
      live ? el('div', { class: 'headline-row' }, liveStatus(article), headline) : headline,
      article.summary ? el('p', { class: 'standfirst' }, article.summary) : null,
      bylineLine(article, 'story-meta'),
      live ? el('div', { class: 'live-layout' }, live.aside, el('div', { class: 'live-main' }, opening, live.section)) : opening,
      tagList(article.tags, 'story-tags')),
    relatedSection,
    shareBox(article.share));
  if (!article.related.length) relatedSection.hidden = true;
  return { related, relatedSection };
}

const withdrawn = () => main.prepend(notice('This story has been withdrawn.', 'live-note'));

async function articleView(slug, signal) {
  const path = `/api/v1/articles/${encodeURIComponent(slug)}`;
  const article = await getJSON(path, { signal });
  if (article.format === 'live') {
    await liveView(article, path, signal);
    return;
  }
  await showArticle(article, path, signal);
  // Edits show as they are made; a story taken down says so.
  follow(`?article=${article.id}`, signal, {
    'article.updated': async () => {
      const updated = await getJSON(path, { signal });
      await showArticle(updated, path, signal);
      main.querySelector('.story')?.prepend(notice(`Updated at ${clockFormat.format(new Date())}`, 'live-note'));
    },
    'article.unpublished': withdrawn,
    'article.deleted': withdrawn,
  });
}

async function showArticle(article, path, signal, live = null) {
  document.title = `${article.title} — ${SITE_NAME}`;
  const { related, relatedSection } = storyView(article, { live });

  // Fewer curated links than the page has room for: the related route adds suggestions after them.
  if (article.related.length < RELATED_COUNT) {
    try {
      const all = await getJSON(`${path}/related?limit=${RELATED_COUNT}`, { signal });
      related.replaceChildren(...all.data.map(relatedItem));
      relatedSection.hidden = !all.data.length;
    } catch (err) {
      if (signal.aborted) throw err;
      // The article reads fine without suggestions.
    }
  }
}

// Next to a live article's headline: "Live" while its coverage is open.
function liveStatus(article) {
  return article.live
    ? el('p', { class: 'live-badge' }, 'Live')
    : el('p', { class: 'live-ended' }, 'Coverage has ended');
}

// One update of a live article. Its id is what the key events link to; its time and id order
// the timeline as the API does.
function blockView(block, pinned) {
  const body = el('div', { class: 'block-body' });
  // body_html is sanitized by Gazette, like an article's.
  body.innerHTML = block.body_html;
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
async function liveView(article, path, signal) {
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
    'block.created': changed,
    'block.updated': changed,
    'block.deleted': changed,
    'article.unpublished': withdrawn,
    'article.deleted': withdrawn,
  });
}

// While a preview shows, search engines are asked to keep away from the page.
function setNoIndex(on) {
  let robots = document.querySelector('meta[name="robots"]');
  if (on && !robots) {
    robots = el('meta', { name: 'robots', content: 'noindex' });
    document.head.append(robots);
  } else if (!on && robots) {
    robots.remove();
  }
}

const STATUS_WORDS = { draft: 'a draft', published: 'scheduled', archived: 'archived' };

// A preview link: the unpublished article as it will read, under a banner that says so. No key:
// the token is the credential. Suggestions are left out (the public related route knows only
// published articles).
async function previewView(token, signal) {
  setNoIndex(true);
  let article;
  try {
    article = await getJSON(`/api/v1/preview/${encodeURIComponent(token)}`, { signal, noStore: true });
  } catch (err) {
    if (err.status !== 404) throw err;
    document.title = `Preview — ${SITE_NAME}`;
    main.replaceChildren(el('div', { class: 'problem' },
      el('h1', {}, 'This preview link shows nothing'),
      el('p', {}, 'It has expired or been revoked, or the article was deleted or has been published.'),
      el('p', {}, el('a', { href: '#/' }, 'Back to the front page'))));
    return;
  }
  document.title = `Preview: ${article.title} — ${SITE_NAME}`;
  const state = STATUS_WORDS[article.status] ?? article.status;
  const banner = el('p', { class: 'preview-banner', role: 'note' },
    el('strong', {}, 'Preview'),
    ` — this article is not published (${state}). Only holders of this link can read it; please do not share it.`);
  storyView(article, { banner });
}

function field(label, control) {
  return el('label', { class: 'field' }, el('span', {}, label), control);
}

async function editView(slug, signal) {
  document.title = `Edit — ${SITE_NAME}`;
  if (!adminKey) {
    main.replaceChildren(el('div', { class: 'problem' },
      el('h1', {}, 'Edit Content'),
      el('p', {}, 'Editing needs the newsroom admin key: enter it at the foot of the page.')));
    return;
  }
  const path = `/api/v1/articles/${encodeURIComponent(slug)}`;
  // With the key: drafts too, and the ETag the save sends back as If-Match.
  const { body: article, etag } = await request(path, { key: adminKey, signal });
  const title = el('input', { name: 'title', required: true });
  const summary = el('textarea', { name: 'summary', rows: 3 });
  const body = el('textarea', { name: 'body', rows: 18 });
  title.value = article.title;
  summary.value = article.summary;
  body.value = article.body;
  const status = el('p', { class: 'editor-status', role: 'status' });
  const form = el('form', { class: 'editor', method: 'post' },
    field('Headline', title), field('Summary', summary), field('Body (Markdown)', body),
    el('p', { class: 'editor-actions' }, el('button', { type: 'submit' }, 'Save'), ' ', el('a', { href: articleHash(article.slug) }, 'Cancel')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const changes = {};
    for (const control of [title, summary, body]) {
      if (control.value !== article[control.name]) changes[control.name] = control.value;
    }
    if (!Object.keys(changes).length) {
      location.hash = articleHash(article.slug);
      return;
    }
    status.textContent = 'Saving…';
    try {
      const { body: saved } = await request(path, { key: adminKey, method: 'PATCH', json: changes, ifMatch: etag });
      location.hash = articleHash(saved.slug);
    } catch (err) {
      if (err.status === 412) {
        status.textContent = 'Someone changed this article since you opened it: reload the editor to see their version.';
      } else if (err.status === 0) {
        status.textContent = `The change was not sent: Gazette accepts writes only from the origins in its CORS_ALLOWED_ORIGINS, which must include ${location.origin}.`;
      } else {
        status.textContent = err.message;
      }
    }
  });
  main.replaceChildren(el('section', { class: 'editor-page' }, el('h1', {}, 'Edit Content'), form));
}

let sectionsLoaded = null;

// The section bar: the busiest tags, from one request per visit.
function loadSections() {
  sectionsLoaded ??= getJSON('/api/v1/tags?limit=100').then((tags) => {
    const busiest = tags.data.filter((t) => t.article_count > 0)
      .sort((a, b) => b.article_count - a.article_count || a.name.localeCompare(b.name))
      .slice(0, 8);
    document.getElementById('sections').replaceChildren(
      el('li', {}, el('a', { href: '#/' }, 'Latest')),
      ...busiest.map((t) => el('li', {}, el('a', { href: tagHash(t.slug) }, t.name))));
    markSection();
  }).catch(() => { /* the front page works without the section bar */ });
}

function markSection() {
  for (const link of document.querySelectorAll('#sections a')) {
    const here = link.getAttribute('href') === (location.hash || '#/');
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

let controller = null;

function route() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const raw = location.hash.slice(1) || '/';
  const at = raw.indexOf('?');
  const params = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
  let parts;
  try {
    parts = (at < 0 ? raw : raw.slice(0, at)).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = ['?'];
  }
  markSection();
  if (parts[0] !== 'preview') setNoIndex(false);
  window.scrollTo(0, 0);
  main.replaceChildren(notice('Loading…'));
  let view;
  if (parts.length === 0) view = frontView(signal);
  else if (parts[0] === 'tag' && parts.length === 2) view = tagView(parts[1], signal);
  else if (parts[0] === 'search' && parts.length === 1) view = searchView(params.get('q') ?? '', signal);
  else if (parts[0] === 'articles' && parts.length === 2) view = articleView(parts[1], signal);
  else if (parts[0] === 'articles' && parts.length === 3 && parts[2] === 'edit') view = editView(parts[1], signal);
  else if (parts[0] === 'preview' && parts.length === 2) view = previewView(parts[1], signal);
  else view = Promise.reject(new ApiError(404, 'Not Found'));
  Promise.resolve(view).catch((err) => {
    if (!signal.aborted) main.replaceChildren(problemView(err));
  });
}

function setUpSearch() {
  document.getElementById('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = document.getElementById('search-q').value.trim();
    const target = `#/search?q=${encodeURIComponent(q)}`;
    if (location.hash === target) route();
    else location.hash = target;
  });
}

function setUpNewsroom() {
  const form = document.getElementById('newsroom');
  const input = document.getElementById('admin-key');
  const status = document.getElementById('newsroom-status');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    input.value = '';
    adminKey = null;
    if (key) {
      status.textContent = 'Checking…';
      try {
        // A read only an admin key may make: it proves the key before any edit link shows.
        await request('/api/v1/articles?status=draft&limit=1&fields=slug', { key });
        adminKey = key;
        status.textContent = 'Editing on. The key is kept in this page only, until you reload it.';
      } catch (err) {
        status.textContent = err.status === 401 ? 'That key was refused.'
          : err.status === 403 ? 'That key may only read: editing needs an admin key.'
            : err.message;
      }
    } else {
      status.textContent = 'Editing off.';
    }
    document.querySelectorAll('.edit-slot').forEach(fillEditSlot);
    if (/\/edit$/.test(location.hash)) route();
  });
}

document.getElementById('site-name').textContent = SITE_NAME;
document.getElementById('today').textContent = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
}).format(new Date());
document.getElementById('api-link').href = `${API}/docs/`;
setUpSearch();
setUpNewsroom();
loadSections();
// Every route renders afresh from the top; a restored scroll position would land mid-list.
history.scrollRestoration = 'manual';
window.addEventListener('hashchange', route);
route();
