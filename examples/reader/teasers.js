// Teasers: the lists of stories (front, section, author and search pages), the top stories
// that open the front page, and the bylines and labels they share with the article page.

import { getJSON } from './api.js';
import { PAGE_SIZE, TEASER_FIELDS } from './config.js';
import { articleHash, authorHash, clockTime, el, formatDate, tagHash } from './dom.js';
import { SIZES, picture } from './images.js';

// "A", "A and B", "A, B and C": each name a link to the author's page.
function authorLinks(authors) {
  return authors.flatMap((author, i) => [
    i === 0 ? null : i === authors.length - 1 ? ' and ' : ', ',
    el('a', { class: 'author-link', href: authorHash(author.slug) }, author.name),
  ]).filter(Boolean);
}

// Who wrote it: the credited authors, linked, else the article's own byline (wire copy).
function byline(article) {
  if (article.authors?.length) return el('span', { class: 'byline' }, 'By ', authorLinks(article.authors));
  if (!article.byline) return null;
  return /^by\s/i.test(article.byline) ? article.byline : `By ${article.byline}`;
}

export function bylineLine(article, cls) {
  const parts = [
    byline(article),
    formatDate(article.published_at),
    // A live article's reading time counts its opening only: it is left out.
    article.reading_time_minutes && article.format !== 'live' ? `${article.reading_time_minutes} min read` : null,
  ].filter(Boolean);
  return el('p', { class: cls }, parts.flatMap((p, i) => (i ? [' · ', p] : [p])));
}

export function tagList(tags, cls) {
  if (!tags?.length) return null;
  return el('ul', { class: cls }, tags.map((t) => el('li', {}, el('a', { href: tagHash(t.slug) }, t.name))));
}

export function kicker(article) {
  const tag = article.tags?.[0];
  return tag ? el('p', { class: 'kicker' }, el('a', { href: tagHash(tag.slug) }, tag.name)) : null;
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
  return el('li', { class: 'teaser', 'data-slug': article.slug },
    el('article', {},
      picture(article.feature_image, { cls: 'teaser-image', sizes: SIZES.teaser, crop: true }),
      el('div', { class: 'teaser-text' },
        kicker(article),
        liveLabel(article),
        el('h2', { class: 'teaser-title' }, el('a', { href: articleHash(article.slug) }, article.title)),
        summary.textContent ? summary : null,
        bylineLine(article, 'teaser-meta'),
        tagList((article.tags ?? []).slice(1), 'teaser-tags'))));
}

// A list of teasers that asks for the next cursor page as the reader nears its end, and says
// "No More Articles" when the API says there is none. The first page is asked for at once,
// whether or not the list is on the page yet.
export function teaserList(filters, signal, { layout = 'grid', onFirstPage } = {}) {
  const list = el('ol', { class: 'teasers' });
  const end = el('p', { class: 'list-end', role: 'status' }, 'Loading…');
  let cursor = null;
  let loading = false;
  let done = false;
  let first = true;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadNext();
  }, { rootMargin: '0px 0px 600px 0px' });
  signal.addEventListener('abort', () => observer.disconnect());

  async function loadNext() {
    if (loading || done) return;
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
      done = true;
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

  loadNext();
  observer.observe(end);
  return el('div', { class: `teaser-list ${layout}` }, list, end);
}

// The story that leads the front page: its picture large, its headline and summary beside.
function leadStory(article) {
  return el('article', { class: 'lead-story', 'data-slug': article.slug },
    picture(article.feature_image, { cls: 'lead-image', sizes: SIZES.lead, eager: true }),
    el('div', { class: 'lead-text' },
      kicker(article),
      liveLabel(article),
      el('h2', { class: 'lead-title' }, el('a', { href: articleHash(article.slug) }, article.title)),
      article.summary ? el('p', { class: 'lead-summary' }, article.summary) : null,
      bylineLine(article, 'teaser-meta')));
}

// One of the other top stories: smaller, its picture cropped to the row's shape.
function topStory(article) {
  return el('li', { class: 'top-story', 'data-slug': article.slug },
    el('article', {},
      picture(article.feature_image, { cls: 'top-story-image', sizes: SIZES.teaser, crop: true }),
      el('div', { class: 'top-story-text' },
        kicker(article),
        liveLabel(article),
        el('h3', { class: 'top-story-title' }, el('a', { href: articleHash(article.slug) }, article.title)),
        article.summary ? el('p', { class: 'top-story-summary' }, article.summary) : null,
        bylineLine(article, 'teaser-meta'))));
}

// How many top stories stand beside the lead (about its height); the rest go in rows below.
const BESIDE_LEAD = 4;

// The editors' top stories (an API collection, in their order): the first leads, with its
// picture large, four more beside it, and any others in rows below.
export function topStories(collection) {
  const [lead, ...others] = collection.items;
  const beside = others.slice(0, BESIDE_LEAD);
  const below = others.slice(BESIDE_LEAD);
  return el('section', { class: 'top-stories', 'aria-labelledby': 'top-stories-heading', 'data-collection': collection.slug },
    el('h2', { class: 'top-stories-heading', id: 'top-stories-heading' }, collection.name),
    leadStory(lead),
    beside.length ? el('ol', { class: 'top-beside' }, beside.map(topStory)) : null,
    below.length ? el('ol', { class: 'top-below' }, below.map(topStory)) : null);
}
