// Talking to Gazette: requests to its API and its event stream of changes.

import { API } from './config.js';

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
  }
}

// One call to the API. Public reads use `cache: 'no-cache'`: the browser keeps each response
// with its ETag and revalidates it on every use (If-None-Match, answered 304 with no body when
// nothing changed), so a revisit downloads nothing yet never shows an edited article stale.
// Reads with a key are private to the newsroom and never cached, nor are previews (`noStore`).
export async function request(path, { key = null, method = 'GET', json, ifMatch, signal, noStore = false } = {}) {
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

export const getJSON = async (path, options) => (await request(path, options)).body;

// Live updates: the API's event stream for as long as the view shows. EventSource reconnects
// by itself and resumes after the last event it had (Last-Event-ID), so nothing is missed.
export function follow(query, signal, handlers) {
  if (typeof EventSource === 'undefined') return;
  const main = document.getElementById('content');
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
