// Building the page: elements, links, dates and the small pieces every view uses.

export const main = document.getElementById('content');

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
// Times of updates, in the reader's own time zone: a live page is read as it happens.
export const clockFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

// Builds an element; strings become text nodes, so API text is never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// Only web and mail links become hrefs, whatever a stored URL says.
export function safeHref(url) {
  try {
    return ['http:', 'https:', 'mailto:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

export const articleHash = (slug) => `#/articles/${encodeURIComponent(slug)}`;
export const tagHash = (slug) => `#/tag/${encodeURIComponent(slug)}`;
export const authorHash = (slug) => `#/authors/${encodeURIComponent(slug)}`;

export function formatDate(iso) {
  return iso ? el('time', { datetime: iso }, dateFormat.format(new Date(iso))) : null;
}

// "14:32", followed by the day when it is not today.
export function clockTime(iso, cls = null) {
  const at = new Date(iso);
  const today = at.toDateString() === new Date().toDateString();
  return el('time', { datetime: iso, class: cls },
    el('span', { class: 'clock' }, clockFormat.format(at)),
    today ? null : [' ', el('span', { class: 'day' }, dayFormat.format(at))]);
}

// "1 article", "3 articles".
export const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// HTML Gazette has sanitized (an article's body, an update's, a bio, a correction), in an element.
export function sanitizedHtml(tag, cls, html) {
  const node = el(tag, { class: cls });
  node.innerHTML = html ?? '';
  return node;
}

export function notice(text, cls = 'notice') {
  return el('p', { class: cls }, text);
}

export function problemView(err) {
  if (err.status === 404) {
    return el('div', { class: 'problem' },
      el('h1', {}, 'Page not found'),
      el('p', {}, 'It may have been moved or unpublished.'),
      el('p', {}, el('a', { href: '#/' }, 'Back to the front page')));
  }
  return el('div', { class: 'problem' }, el('h1', {}, 'Something went wrong'), el('p', {}, err.message));
}

export function sectionHeading(title, ...rest) {
  return el('header', { class: 'section-heading' }, el('h1', {}, title), ...rest);
}

// While a preview shows, search engines are asked to keep away from the page.
export function setNoIndex(on) {
  let robots = document.querySelector('meta[name="robots"]');
  if (on && !robots) {
    robots = el('meta', { name: 'robots', content: 'noindex' });
    document.head.append(robots);
  } else if (!on && robots) {
    robots.remove();
  }
}
