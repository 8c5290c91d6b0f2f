// The reader's pages, one function each, as the router in app.js calls them: the front page,
// a section (tag), search results, an author and the authors, an article, a preview link.

import { follow, getJSON } from './api.js';
import { FRONT_COLLECTION, SITE_NAME } from './config.js';
import {
  authorHash, clockFormat, count, el, main, notice, safeHref, sanitizedHtml, sectionHeading, setNoIndex,
} from './dom.js';
import { SIZES, portrait } from './images.js';
import { liveView } from './live.js';
import { showArticle, storyView, withdrawn } from './story.js';
import { teaserList, topStories } from './teasers.js';

// The editors' top stories, or null when there are none to show (no such collection, an empty
// one, or no answer): the front page is then the latest news alone.
async function frontCollection(signal) {
  try {
    const collection = await getJSON(`/api/v1/collections/${FRONT_COLLECTION}`, { signal });
    return collection.items?.length ? collection : null;
  } catch (err) {
    if (signal.aborted) throw err;
    return null;
  }
}

// The front page: the top stories, then the latest news. Both are asked for at once, and the
// page is drawn when the top stories are known, so that nothing moves under the reader.
// `redraw` draws it afresh (the "new stories" announcement).
export async function frontView(signal, redraw) {
  document.title = SITE_NAME;
  // Stories published since the page was drawn are announced, not pushed into the list under
  // the reader's eyes; the announcement redraws the page.
  const fresh = el('button', { type: 'button', class: 'new-stories', hidden: '' });
  fresh.addEventListener('click', () => redraw());
  const latest = teaserList({}, signal);
  const top = await frontCollection(signal);
  main.replaceChildren(...(top ? [topStories(top)] : []), sectionHeading('Latest news'), fresh, latest);
  const published = new Set();
  follow('', signal, {
    'article.published': (change) => {
      published.add(change.id);
      fresh.textContent = published.size === 1 ? '1 new story' : `${published.size} new stories`;
      fresh.hidden = false;
    },
  });
}

export async function tagView(slug, signal) {
  const heading = sectionHeading('');
  main.replaceChildren(heading, teaserList({ tag: slug }, signal));
  const tag = await getJSON(`/api/v1/tags/${encodeURIComponent(slug)}`, { signal });
  document.title = `${tag.name} — ${SITE_NAME}`;
  heading.replaceChildren(
    el('h1', {}, tag.name),
    tag.description ? el('p', { class: 'section-description' }, tag.description) : null,
    el('p', { class: 'section-count' }, count(tag.article_count, 'article')));
}

export function searchView(q, signal) {
  document.getElementById('search-q').value = q;
  document.title = `Search: ${q} — ${SITE_NAME}`;
  if (!q.trim()) {
    main.replaceChildren(sectionHeading('Search'), notice('Type a few words in the search box above.'));
    return;
  }
  const total = el('p', { class: 'section-count' });
  main.replaceChildren(
    sectionHeading(`Results for “${q}”`, total),
    teaserList({ q }, signal, {
      layout: 'column',
      onFirstPage: (meta) => {
        total.textContent = `${meta.total} ${meta.total === 1 ? 'article matches' : 'articles match'}`;
      },
    }));
}

function profileLinks(links) {
  const shown = (links ?? []).map((link) => [link, safeHref(link.url)]).filter(([, href]) => href);
  if (!shown.length) return null;
  return el('ul', { class: 'author-links' }, shown.map(([link, href]) => el('li', {},
    el('a', { href, target: '_blank', rel: 'noopener noreferrer me' }, link.label))));
}

// An author's page: their portrait, name, role, bio and links, then their articles as a
// section page lists its own. Both are asked for at once, as on a section page.
export async function authorView(slug, signal) {
  const heading = el('header', { class: 'section-heading author-heading' });
  const articles = teaserList({ author: slug }, signal);
  main.replaceChildren(el('div', { class: 'author-page' }, heading, articles));
  const author = await getJSON(`/api/v1/authors/${encodeURIComponent(slug)}`, { signal });
  document.title = `${author.name} — ${SITE_NAME}`;
  heading.replaceChildren(
    portrait(author.image, { cls: 'author-portrait', eager: true }),
    el('div', { class: 'author-about' },
      el('h1', {}, author.name),
      author.role ? el('p', { class: 'author-role' }, author.role) : null,
      // bio_html is Gazette's sanitized rendering of the Markdown bio.
      author.bio_html ? sanitizedHtml('div', 'author-bio', author.bio_html) : null,
      profileLinks(author.links),
      el('p', { class: 'section-count' }, count(author.article_count, 'article'))));
}

// Every author, a card each, a page at a time.
export async function authorsView(signal) {
  document.title = `Authors — ${SITE_NAME}`;
  const cards = el('ul', { class: 'author-cards' });
  const more = el('button', { type: 'button', class: 'more-authors', hidden: '' }, 'More authors');
  let cursor = null;
  async function loadPage() {
    more.disabled = true;
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await getJSON(`/api/v1/authors?${query}`, { signal });
      cards.append(...page.data.map((author) => el('li', { class: 'author-card', 'data-slug': author.slug },
        el('a', { href: authorHash(author.slug) },
          portrait(author.image, { cls: 'card-portrait', sizes: SIZES.card, decorative: true }),
          el('span', { class: 'author-card-text' },
            el('span', { class: 'author-card-name' }, author.name),
            author.role ? el('span', { class: 'author-card-role' }, author.role) : null,
            el('span', { class: 'author-card-count' }, count(author.article_count, 'article')))))));
      cursor = page.meta.next_cursor;
      more.hidden = !page.meta.has_more;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => loadPage().catch((err) => {
    if (!signal.aborted) more.textContent = `${err.message}: try again`;
  }));
  await loadPage();
  main.replaceChildren(el('div', { class: 'authors-page' }, sectionHeading('Authors'), cards, more));
}

export async function articleView(slug, signal) {
  const path = `/api/v1/articles/${encodeURIComponent(slug)}`;
  const article = await getJSON(path, { signal });
  if (article.format === 'live') {
    await liveView(article, path, signal);
    return;
  }
  await showArticle(article, path, signal);
  // Edits and corrections show as they are made; a story taken down says so.
  const redrawn = async () => {
    const updated = await getJSON(path, { signal });
    await showArticle(updated, path, signal);
    main.querySelector('.story')?.prepend(notice(`Updated at ${clockFormat.format(new Date())}`, 'live-note'));
  };
  follow(`?article=${article.id}`, signal, {
    'article.updated': redrawn,
    'article.corrected': redrawn,
    'article.unpublished': withdrawn,
    'article.deleted': withdrawn,
  });
}

const STATUS_WORDS = { draft: 'a draft', published: 'scheduled', archived: 'archived' };

// A preview link: the unpublished article as it will read, under a banner that says so. No key:
// the token is the credential. Suggestions are left out (the public related route knows only
// published articles).
export async function previewView(token, signal) {
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
