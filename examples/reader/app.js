// The reference reader: a news site rendered in the browser from the public API of a Gazette
// on another origin. No build step and no framework: index.html, style.css and these ES modules:
//   app.js      routing and the page's furniture (masthead, section bar, search box)
//   pages.js    the pages, one function each
//   teasers.js  teaser lists, the front page's top stories, bylines
//   story.js    an article's page: picture, authors, body, corrections, related, share
//   live.js     a live article's updates, kept current
//   editor.js   the admin key, "Edit Content" and the editor
//   images.js   pictures: sizes, srcset, focal points, captions
//   dom.js      elements, links and dates;  api.js  requests and the event stream;
//   config.js   the settings in the page's <meta> tags and address
// Routes live in the fragment (#/, #/tag/<slug>, #/search?q=…, #/authors, #/authors/<slug>,
// #/articles/<slug>, #/preview/<token>) so any static file server can serve the site, and a
// preview link's token never reaches a server in a Referer or an access log of the site.

import { API, SITE_NAME } from './config.js';
import { ApiError, getJSON } from './api.js';
import { el, main, notice, problemView, setNoIndex, tagHash } from './dom.js';
import { editView, setUpNewsroom } from './editor.js';
import { articleView, authorView, authorsView, frontView, previewView, searchView, tagView } from './pages.js';

let sectionsLoaded = null;

// The section bar: the busiest tags, from one request per visit, and the authors.
function loadSections() {
  sectionsLoaded ??= getJSON('/api/v1/tags?limit=100').then((tags) => {
    const busiest = tags.data.filter((t) => t.article_count > 0)
      .sort((a, b) => b.article_count - a.article_count || a.name.localeCompare(b.name))
      .slice(0, 8);
    document.getElementById('sections').replaceChildren(
      el('li', {}, el('a', { href: '#/' }, 'Latest')),
      ...busiest.map((t) => el('li', {}, el('a', { href: tagHash(t.slug) }, t.name))),
      el('li', {}, el('a', { href: '#/authors' }, 'Authors')));
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
  // The view before's event stream closes with it: until this view follows one, none is ready.
  delete main.dataset.live;
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
  if (parts.length === 0) view = frontView(signal, route);
  else if (parts[0] === 'tag' && parts.length === 2) view = tagView(parts[1], signal);
  else if (parts[0] === 'search' && parts.length === 1) view = searchView(params.get('q') ?? '', signal);
  else if (parts[0] === 'authors' && parts.length === 1) view = authorsView(signal);
  else if (parts[0] === 'authors' && parts.length === 2) view = authorView(parts[1], signal);
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

document.getElementById('site-name').textContent = SITE_NAME;
document.getElementById('today').textContent = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
}).format(new Date());
document.getElementById('api-link').href = `${API}/docs/`;
setUpSearch();
setUpNewsroom(route);
loadSections();
// Every route renders afresh from the top; a restored scroll position would land mid-list.
history.scrollRestoration = 'manual';
window.addEventListener('hashchange', route);
route();
