// The newsroom's side of the reader: the admin key given in the footer, the "Edit Content"
// links it brings, and the editor they open.

import { request } from './api.js';
import { SITE_NAME } from './config.js';
import { articleHash, el, main } from './dom.js';

// The newsroom's admin key, once given in the footer form. It lives only in this variable:
// gone on reload, never in the address, history, storage or a cookie.
let adminKey = null;

// "Edit Content" appears only while an admin key is held; the slots are refilled when the key
// changes, without asking the API again.
export function editSlot(slug) {
  const slot = el('p', { class: 'edit-slot', 'data-slug': slug });
  fillEditSlot(slot);
  return slot;
}

function fillEditSlot(slot) {
  slot.replaceChildren(adminKey ? el('a', { class: 'edit-link', href: `${articleHash(slot.dataset.slug)}/edit` }, 'Edit Content') : '');
}

function field(label, control) {
  return el('label', { class: 'field' }, el('span', {}, label), control);
}

export async function editView(slug, signal) {
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

// The footer form: a key is checked before editing turns on. `redraw` shows the current page
// again (an editor opened without a key asks for one).
export function setUpNewsroom(redraw) {
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
    if (/\/edit$/.test(location.hash)) redraw();
  });
}
