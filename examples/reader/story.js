// One article's page: the story with its picture, bylines and corrections, its related reading
// and the share box. Used by the article page, the live page around its updates, and previews.

import { getJSON } from './api.js';
import { RELATED_COUNT, SITE_NAME } from './config.js';
import { articleHash, authorHash, el, formatDate, main, notice, safeHref, sanitizedHtml } from './dom.js';
import { editSlot } from './editor.js';
import { SIZES, figure, picture, portrait } from './images.js';
import { bylineLine, kicker, tagList } from './teasers.js';

const SHARE_NETWORKS = [
  ['x', 'X'], ['facebook', 'Facebook'], ['linkedin', 'LinkedIn'], ['whatsapp', 'WhatsApp'],
  ['telegram', 'Telegram'], ['reddit', 'Reddit'], ['email', 'Email'],
];

function relatedItem(link) {
  const internal = link.kind === 'internal';
  const href = internal ? articleHash(link.slug) : safeHref(link.url);
  const external = internal ? {} : { target: '_blank', rel: 'noopener noreferrer' };
  let host = '';
  if (!internal && href) host = new URL(href).host;
  const thumbnail = picture(link.feature_image, { cls: 'related-image', sizes: SIZES.related, crop: true });
  return el('li', { class: 'related-item', 'data-kind': link.kind, 'data-source': link.source ?? 'curated' },
    el('div', { class: 'related-text' },
      link.title ? el('h3', {}, el('a', { href, ...external }, link.title)) : null,
      el('p', { class: 'related-summary' },
        link.title ? link.summary : el('a', { href, ...external }, link.summary)),
      internal ? null : el('p', { class: 'related-source' }, `${host} ↗`),
      link.source === 'suggested' ? el('p', { class: 'related-source' }, 'Suggested') : null),
    // After the text: the item's first link stays its headline's.
    thumbnail);
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

// The authors by the byline: a small portrait (when they have one), name and role, each a link
// to their page.
function storyAuthors(authors) {
  if (!authors?.length) return null;
  return el('ul', { class: 'story-authors', 'aria-label': 'Authors' }, authors.map((author) => el('li', {},
    el('a', { class: 'author-chip', href: authorHash(author.slug) },
      portrait(author.image, { cls: 'chip-portrait', sizes: SIZES.chip, decorative: true }),
      el('span', { class: 'chip-text' },
        el('span', { class: 'chip-name' }, author.name),
        author.role ? el('span', { class: 'chip-role' }, author.role) : null)))));
}

// The story's corrections, oldest first, each dated: at its foot, before the related reading.
function correctionsSection(corrections) {
  if (!corrections?.length) return null;
  return el('section', { class: 'corrections', 'aria-labelledby': 'corrections-heading' },
    el('h2', { id: 'corrections-heading' }, 'Corrections'),
    el('ol', { class: 'corrections-list' }, corrections.map((c) => el('li', { class: 'correction', 'data-id': c.id },
      el('p', { class: 'correction-date' }, formatDate(c.created_at)),
      // body_html is sanitized by Gazette, like an article's body.
      sanitizedHtml('div', 'correction-body', c.body_html)))));
}

// Next to a live article's headline: "Live" while its coverage is open.
function liveStatus(article) {
  return article.live
    ? el('p', { class: 'live-badge' }, 'Live')
    : el('p', { class: 'live-ended' }, 'Coverage has ended');
}

// The article page: the story, its related reading and the share box. A live article's page
// (`live`: its side column and its updates, kept across redraws) sets the story's opening beside
// its key events, with the updates under it.
export function storyView(article, { banner = null, live = null } = {}) {
  // body_html is Gazette's sanitized rendering of the Markdown body.
  const body = sanitizedHtml('div', 'story-body', article.body_html);
  const headline = el('h1', { class: 'headline' }, article.title);
  const opening = [figure(article.feature_image), body];
  const related = el('ol', { class: 'related-list' }, article.related.slice(0, RELATED_COUNT).map(relatedItem));
  const relatedSection = el('section', { class: 'related', 'aria-labelledby': 'related-heading' },
    el('h2', { id: 'related-heading' }, 'Related Articles'), related);
  main.replaceChildren(
    el('article', { class: live ? 'story live-story' : 'story', 'data-slug': article.slug },
      banner,
      banner ? null : editSlot(article.slug),
      kicker(article),
      live ? el('div', { class: 'headline-row' }, liveStatus(article), headline) : headline,
      article.summary ? el('p', { class: 'standfirst' }, article.summary) : null,
      storyAuthors(article.authors),
      bylineLine(article, 'story-meta'),
      live ? el('div', { class: 'live-layout' }, live.aside, el('div', { class: 'live-main' }, opening, live.section)) : opening,
      correctionsSection(article.corrections),
      tagList(article.tags, 'story-tags')),
    relatedSection,
    shareBox(article.share));
  if (!article.related.length) relatedSection.hidden = true;
  return { related, relatedSection };
}

export const withdrawn = () => main.prepend(notice('This story has been withdrawn.', 'live-note'));

export async function showArticle(article, path, signal, live = null) {
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
