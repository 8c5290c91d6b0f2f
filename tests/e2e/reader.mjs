// The reference reader (examples/reader) in headless Chromium, served from one origin and
// reading Gazette on another. It loads the seed page into Gazette, then reads like a reader:
// finds the front page led by the demo's "top-stories" collection, with pictures (alt text,
// width and height, loaded from the API's /demo/images/), scrolls it to "No More Articles",
// opens the seed article and compares it with the fixture (headline, paragraphs, the eight
// related teasers, the share links), comes back (conditional requests answered 304),
// configures the admin key ("Edit Content" appears), opens a tag page and searches
// (highlights), then mints a preview link for a draft through the API and opens it (a
// "Preview" banner, no key sent, never cached), and once more after revoking it. Then a demo story with a picture and authors: a figure with its caption and credit, the
// byline's links to an author's page (bio, links, every article of theirs), and a correction
// written through the API shown at the story's foot as it is made. Last, a live blog written
// through the API: labelled "Live" on the front page, then open while updates are posted,
// edited and deleted (each shown within 2 s, without a reload), and corrected.
// Throughout, it counts the API requests: one per page of teasers (and one for the front
// page's top stories), one for the article, none per teaser or per author, no preflight for
// public reads. Pictures are not API reads: they are counted apart.
// Screenshots go to ARTIFACTS_DIR.
// Usage: GAZETTE_URL=… GAZETTE_ADMIN_KEY=… READER_URL=… [SEED_ARTICLE=path] node reader.mjs
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SEED_SLUG, TOPICS, loadSeedArticle, readSeedPage } from './seed-article.mjs';

const api = (process.env.GAZETTE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const reader = (process.env.READER_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
const key = process.env.GAZETTE_ADMIN_KEY;
const seedPath = process.env.SEED_ARTICLE
  ?? fileURLToPath(new URL('../../../shared/fixtures/seed-article.txt', import.meta.url));
const artifacts = process.env.ARTIFACTS_DIR ?? 'artifacts';
mkdirSync(artifacts, { recursive: true });
const PAGE_SIZE = 5;
const NO_SUCH_AUTHOR = 'no-such-author-at-all';

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
}

async function getJSON(path) {
  const response = await fetch(`${api}${path}`);
  check(response.ok, `GET ${path} answered ${response.status}`);
  return response.json();
}

// Every item of a paged list, following its cursors.
async function everyItem(path) {
  const items = [];
  let cursor = null;
  do {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await getJSON(`${path}${path.includes('?') ? '&' : '?'}${query}`);
    items.push(...page.data);
    cursor = page.meta.has_more ? page.meta.next_cursor : null;
  } while (cursor);
  return items;
}

// "A", "A and B", "A, B and C".
const joinNames = (names) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0] ?? '');

// Conditional GETs of the API the server answered 304, by its own metrics (pictures, which
// the API serves too, are not API reads).
async function served304() {
  const text = await (await fetch(`${api}/metrics`)).text();
  // Labels hold braces of their own (`{slug_or_id}`): match up to the last one.
  return [...text.matchAll(/^gazette_http_requests_total\{(.*)\} (\d+)$/gm)]
    .filter(([, labels]) => labels.includes('method="GET"') && labels.includes('status="304"') && labels.includes('route="/api/'))
    .reduce((sum, [, , n]) => sum + Number(n), 0);
}

check(key, 'GAZETTE_ADMIN_KEY is set');
check(new URL(reader).origin !== new URL(api).origin, `the reader (${reader}) and the API (${api}) are on different origins`);

const fixture = readSeedPage(seedPath);
if (!fixture) {
  // As the seed-page test of `cargo test` does.
  console.log(`SKIPPED: the seed page fixture is absent at ${seedPath}`);
  process.exit(0);
}
check(fixture.paragraphs.length === 10 && fixture.teasers.length === 8, 'the fixture has ten paragraphs and eight teasers');
const seed = await loadSeedArticle(api, key, fixture);
const total = (await getJSON('/api/v1/articles?limit=1&fields=slug')).meta.total;
const pages = Math.ceil(total / PAGE_SIZE);
check(pages >= 3, `enough published articles for several pages (${total})`);
// The demo's curated front: its stories lead the front page, in the editors' order.
const topStories = (await getJSON('/api/v1/collections/top-stories')).items;
check(topStories.length >= 2, `the demo has top stories (${topStories.length})`);

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'gazette-reader-')), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // The refused key's 401 is expected; any other error or policy violation is not.
    // So are the 404 of the preview link revoked on purpose and those of an unknown author.
    const at = msg.location()?.url ?? '';
    const expected = /status of 401/.test(msg.text())
      || (/status of 4\d\d/.test(msg.text()) && (at.includes('/api/v1/preview/') || at.includes(NO_SUCH_AUTHOR)));
    if ((msg.type() === 'error' && !expected) || /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });

  // What went over the wire, from the browser's network layer (Playwright's own routing would
  // turn the HTTP cache off, and the cache is under test).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const log = [];
  const byId = new Map();
  const sentHeaders = new Map();
  const wire = new Map();
  const inflight = new Set();
  const offOrigin = [];
  // Event streams stay open for as long as a view shows: kept apart from the reads, which
  // are counted and waited for. So are pictures (the demo's are served by the API server).
  const streams = new Map();
  const pictures = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    const { url, method } = e.request;
    if (url.startsWith(`${api}/api/v1/stream`)) {
      streams.set(e.requestId, { url: new URL(url) });
    } else if (url.startsWith(`${api}/`) && (e.type === 'Image' || !new URL(url).pathname.startsWith('/api/'))) {
      pictures.push(new URL(url));
    } else if (url.startsWith(`${api}/`)) {
      const entry = { id: e.requestId, url: new URL(url), method, preflight: e.type === 'Preflight' };
      byId.set(e.requestId, entry);
      log.push(entry);
      inflight.add(e.requestId);
    } else if (!url.startsWith(`${reader}/`) && !url.startsWith('data:')) {
      offOrigin.push(url);
    }
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => sentHeaders.set(e.requestId, lowerKeys(e.headers)));
  cdp.on('Network.responseReceivedExtraInfo', (e) => wire.set(e.requestId, { status: e.statusCode, headers: lowerKeys(e.headers) }));
  for (const done of ['Network.loadingFinished', 'Network.loadingFailed']) cdp.on(done, (e) => inflight.delete(e.requestId));
  function lowerKeys(headers) {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  }
  // The API reads since `from`, with what the wire said about each.
  const reads = (from) => log.slice(from).filter((e) => !e.preflight)
    .map((e) => ({ ...e, sent: sentHeaders.get(e.id) ?? {}, got: wire.get(e.id) ?? {} }));
  // Waits until no API request has been in flight for a while.
  async function settle() {
    for (let quiet = 0; quiet < 4;) {
      await page.waitForTimeout(100);
      quiet = inflight.size ? 0 : quiet + 1;
    }
  }
  const isList = (e) => e.url.pathname === '/api/v1/articles';
  const isArticle = (e) => /^\/api\/v1\/articles\/[^/]+(\/related)?$/.test(e.url.pathname);
  async function scrollToEnd() {
    const end = page.locator('.list-end.done');
    for (let i = 0; i < 80 && !(await end.isVisible()); i++) {
      await page.mouse.wheel(0, 900);
      await page.waitForTimeout(150);
    }
    await end.waitFor({ timeout: 10_000 });
    await settle();
    return (await end.textContent()).trim();
  }
  // Brings each picture under `selector` into view (a lazy one loads then), waits until every
  // one has arrived, and says what each is.
  async function picturesIn(selector) {
    for (const img of await page.locator(selector).all()) await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((img) => img.complete), selector, { timeout: 15_000 });
    return page.locator(selector).evaluateAll((imgs) => imgs.map((img) => ({
      src: img.getAttribute('src'), alt: img.getAttribute('alt'), width: img.getAttribute('width'), height: img.getAttribute('height'),
      loading: img.getAttribute('loading'), natural: img.naturalWidth, slug: img.closest('[data-slug]')?.dataset.slug ?? null,
      lead: img.closest('.lead-story') !== null, top: img.closest('.top-stories') !== null,
    })));
  }
  const isSize = (attr, size) => (size == null ? attr === null : attr === String(size));

  // Front page: a few pages of teasers at first, the rest as the reader scrolls.
  await page.goto(`${reader}/?api=${encodeURIComponent(api)}&limit=${PAGE_SIZE}#/`);
  check(await page.evaluate(() => location.origin) === new URL(reader).origin, 'the page is served from the reader origin');
  await page.locator('.teaser').first().waitFor({ timeout: 30_000 });
  await settle();
  check((await page.locator('.site-name').innerText()).trim().length > 0, 'the masthead names the site');
  // The top stories open the page, ahead of the latest news (whose teasers stand apart).
  const topShown = await page.locator('.top-stories [data-slug]').evaluateAll((items) => items.map((item) => item.dataset.slug));
  check(JSON.stringify(topShown) === JSON.stringify(topStories.map((a) => a.slug)),
    `the top stories, in the collection's order: ${topShown.join(', ')}`);
  const lead = page.locator('.top-stories .lead-story');
  check(await lead.getAttribute('data-slug') === topStories[0].slug
    && (await lead.locator('.lead-title').innerText()).trim() === topStories[0].title,
  `the front page leads with the collection's first story (${topStories[0].slug})`);
  check(await page.evaluate(() => {
    const top = document.querySelector('.top-stories');
    const latest = document.querySelector('.teaser-list');
    return Boolean(top.compareDocumentPosition(latest) & Node.DOCUMENT_POSITION_FOLLOWING) && !top.querySelector('.teaser');
  }), 'the top stories come before the latest news');
  const leadImage = topStories[0].feature_image;
  if (leadImage) {
    const shownLead = await lead.locator('img').evaluate((img) => ({
      src: img.getAttribute('src'), alt: img.getAttribute('alt'), width: img.getAttribute('width'), loading: img.getAttribute('loading'),
    }));
    check(shownLead.src === leadImage.url && shownLead.alt === leadImage.alt && isSize(shownLead.width, leadImage.width) && shownLead.loading !== 'lazy',
      `the lead story shows its picture large, at once: ${JSON.stringify(shownLead)}`);
  }
  // The top of the page as a reader first sees it, once its pictures in view have arrived.
  await page.waitForFunction(() => [...document.querySelectorAll('#content img')]
    .every((img) => img.complete || img.getBoundingClientRect().top > window.innerHeight), null, { timeout: 15_000 });
  await page.screenshot({ path: join(artifacts, 'front-page.png') });
  const first = await page.locator('.teaser').count();
  check(first >= PAGE_SIZE && first < total, `the front page starts with a page or two (${first} of ${total} teasers)`);
  check(!(await page.locator('.list-end.done').count()), '"No More Articles" is not shown before the end');
  check(await scrollToEnd() === 'No More Articles', 'the end of the list says "No More Articles"');
  const slugs = await page.locator('.teaser').evaluateAll((items) => items.map((li) => li.dataset.slug));
  check(slugs.length === total && new Set(slugs).size === total, `every published article once: ${slugs.length} teasers, ${new Set(slugs).size} distinct, ${total} published`);
  const teaserParts = await page.locator('.teaser').evaluateAll((items) => items.map((li) => ({
    href: li.querySelector('.teaser-title a')?.getAttribute('href'),
    summary: li.querySelector('.teaser-summary')?.textContent ?? '',
    date: li.querySelector('time')?.getAttribute('datetime'),
  })));
  check(teaserParts.every((t, i) => t.href === `#/articles/${slugs[i]}` && t.date), 'each teaser links to its article and carries its date');
  check(teaserParts.filter((t) => t.summary).length >= total - 1, 'teasers show their summaries');
  const front = reads(0);
  const lists = front.filter(isList);
  check(lists.length === pages, `one list request per page of ${PAGE_SIZE} teasers: ${lists.length} requests for ${pages} pages`);
  check(lists.every((e) => e.url.searchParams.get('limit') === String(PAGE_SIZE) && e.url.searchParams.get('fields')?.includes('title')),
    'list requests ask for a page of teasers with `fields`');
  const cursors = lists.map((e) => e.url.searchParams.get('cursor'));
  check(cursors[0] === null && new Set(cursors.slice(1)).size === pages - 1 && cursors.slice(1).every(Boolean),
    'the first page has no cursor, each later page its own');
  check(!front.some(isArticle), 'the front page makes no request per teaser');
  // One request more than the pages and the section bar: the top stories, a collection whose
  // teasers carry all they show (pictures and authors included).
  check(front.length === lists.length + 2 && front.some((e) => e.url.pathname === '/api/v1/tags')
    && front.filter((e) => e.url.pathname === '/api/v1/collections/top-stories').length === 1,
  `the front page asks for its pages, its top stories and the sections only: ${front.map((e) => e.url.pathname).join(', ')}`);
  check(!log.some((e) => e.preflight), 'public reads need no CORS preflight');
  const pageOrigin = new URL(reader).origin;
  // A read is allowed to every origin with `*`: one answer for every site, kept once by a CDN.
  check(front.every((e) => e.sent.origin === pageOrigin && e.got.headers?.['access-control-allow-origin'] === '*'),
    'every read is a CORS request from the reader origin, allowed by the API to any origin');
  // Pictures: each article's, wherever it has one, with what a reader who cannot see it needs
  // and the size that keeps its place; lazy but for the lead's.
  const pictured = new Set((await everyItem('/api/v1/articles?fields=slug,feature_image')).filter((a) => a.feature_image).map((a) => a.slug));
  check(pictured.size > 0, 'the demo articles have pictures');
  const frontPictures = await picturesIn('#content img');
  const teaserPictures = frontPictures.filter((p) => !p.top).map((p) => p.slug);
  check(teaserPictures.length === pictured.size && teaserPictures.every((slug) => pictured.has(slug)),
    `a picture on each teaser whose article has one: ${teaserPictures.length} of ${pictured.size}`);
  check(frontPictures.filter((p) => p.top).length === topStories.filter((a) => a.feature_image).length, 'and on each top story that has one');
  check(frontPictures.every((p) => p.alt?.trim()), `every picture has alt text: ${frontPictures.filter((p) => !p.alt?.trim()).map((p) => p.src).join(', ')}`);
  check(frontPictures.every((p) => /^[1-9]\d*$/.test(p.width ?? '') && /^[1-9]\d*$/.test(p.height ?? '')),
    'every picture has its width and height, so nothing moves as it loads');
  check(frontPictures.every((p) => p.natural > 0), `every picture loaded: ${frontPictures.filter((p) => !p.natural).map((p) => p.src).join(', ')}`);
  check(frontPictures.every((p) => (p.loading === 'lazy') !== p.lead), 'every picture but the lead\'s loads lazily');
  check(pictures.length > 0 && pictures.every((u) => u.pathname.startsWith('/demo/images/')), 'the pictures come from the demo\'s images');
  await page.screenshot({ path: join(artifacts, 'front.png'), fullPage: true });
  console.log(`reader front page: ${topStories.length} top stories, then ${total} teasers in ${lists.length} list requests of ${PAGE_SIZE} (+1 for the top stories, +1 for the sections), "No More Articles"; ${frontPictures.length} pictures, each with alt text and its size`);

  // The seed article, opened from its teaser.
  let from = log.length;
  await page.getByRole('link', { name: fixture.headline, exact: true }).click();
  await page.locator('.story .headline').waitFor();
  await settle();
  check(await page.evaluate(() => location.hash) === `#/articles/${SEED_SLUG}`, 'the teaser opens the article page');
  check((await page.locator('.story .headline').innerText()).trim() === fixture.headline, 'the headline is the fixture\'s');
  const paragraphs = (await page.locator('.story-body p').allInnerTexts()).map((p) => p.trim());
  check(paragraphs.length === fixture.paragraphs.length, `${fixture.paragraphs.length} paragraphs, found ${paragraphs.length}`);
  check(paragraphs.every((p, i) => p === fixture.paragraphs[i]), 'each paragraph reads as in the fixture');
  const tags = await page.locator('.story-tags a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  check(JSON.stringify(tags) === JSON.stringify(TOPICS.map((t) => [t, `#/tag/${t.toLowerCase()}`])), `the article's tags link to their pages: ${JSON.stringify(tags)}`);
  check((await page.locator('#related-heading').innerText()).trim().toLowerCase() === 'related articles', 'a "Related Articles" section');
  const related = await page.locator('.related-item').evaluateAll((items) => items.map((li) => ({
    href: li.querySelector('a')?.getAttribute('href'),
    summary: li.querySelector('.related-summary')?.textContent.trim(),
    source: li.dataset.source,
  })));
  check(related.length === 8, `eight related teasers, found ${related.length}`);
  related.forEach((r, i) => {
    check(r.href === `#/articles/${seed.related[i].slug}`, `related teaser ${i + 1} links to its article page: ${r.href}`);
    check(r.summary === fixture.teasers[i], `related teaser ${i + 1} is the fixture's, in order`);
    check(r.source === 'curated', `related teaser ${i + 1} is curated`);
  });
  check((await page.locator('#share-heading').innerText()).trim().toLowerCase() === 'share the article', 'a "Share the Article" section');
  check((await page.locator('.sharing').innerText()).trim() === fixture.sharing, 'the sharing line is the fixture\'s');
  const shares = await page.locator('.share-link').evaluateAll((as) => as.map((a) => [a.dataset.network, a.getAttribute('href')]));
  const apiShares = Object.entries(seed.share.links);
  check(shares.length === apiShares.length && apiShares.every(([net, url]) => shares.some(([n, h]) => n === net && h === url)),
    `every share link, exactly as the API gives it: ${shares.map(([n]) => n).join(', ')}`);
  check(await page.getByText('Edit Content').count() === 0, '"Edit Content" is absent without an admin key');
  const opened = reads(from);
  check(opened.length === 1 && opened[0].url.pathname === `/api/v1/articles/${SEED_SLUG}`,
    `the article page is one request (its eight curated links fill the list): ${opened.map((e) => e.url.pathname).join(', ')}`);
  await page.screenshot({ path: join(artifacts, 'article.png'), fullPage: true });
  console.log('reader article page: fixture headline, 10 paragraphs, 8 related teasers, 7 share links, in 1 request');

  // A revisit: the browser's cache revalidates with the ETag, the API answers 304.
  const before304 = await served304();
  from = log.length;
  await page.goBack();
  await page.locator('.teaser').first().waitFor();
  await settle();
  await page.goForward();
  await page.locator('.story .headline').waitFor();
  await settle();
  const again = reads(from);
  check(again.length >= 2 && again.every((e) => e.sent['if-none-match'] && e.got.status === 304),
    `revisited pages are revalidated with If-None-Match and answered 304: ${again.map((e) => `${e.url.pathname} ${e.got.status}`).join(', ')}`);
  check((await page.locator('.story .headline').innerText()).trim() === fixture.headline, 'the revalidated article renders');
  const served = (await served304()) - before304;
  check(served === again.length, `the API counted ${served} 304s for ${again.length} revalidations`);
  console.log(`reader revisit: ${again.length} conditional requests, all 304 (the API counted ${served})`);

  // "Edit Content": only once an admin key is given in the page, and the key goes nowhere else.
  await page.fill('#admin-key', 'not-a-key');
  await page.click('#newsroom button[type=submit]');
  await page.locator('#newsroom-status', { hasText: 'refused' }).waitFor();
  check(await page.locator('.edit-link').count() === 0, 'a refused key shows no "Edit Content"');
  await page.fill('#admin-key', key);
  await page.click('#newsroom button[type=submit]');
  await page.locator('.edit-link').waitFor();
  check((await page.locator('.edit-link').innerText()).trim() === 'Edit Content', '"Edit Content" appears with the admin key');
  check(await page.inputValue('#admin-key') === '', 'the key field is cleared');
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
  check(stored === 0, 'nothing is stored in the browser');
  await page.locator('.edit-link').click();
  await page.locator('.editor input[name=title]').waitFor();
  check(await page.inputValue('.editor input[name=title]') === fixture.headline, 'the editor opens the article');
  check(await page.inputValue('.editor textarea[name=body]') === fixture.paragraphs.join('\n\n'), 'the editor holds the Markdown body');
  check(!page.url().includes(key) && !log.some((e) => e.url.href.includes(key)), 'the key is never in a URL');
  const keyed = reads(0).filter((e) => e.sent.authorization && e.got.status === 200);
  check(keyed.length >= 2 && keyed.every((e) => e.got.headers?.['cache-control']?.includes('no-store')), 'reads with the key are never cached');
  console.log('reader "Edit Content": absent without a key, present with it; the key only in an Authorization header');

  // A tag page, from the section bar, with its own infinite scroll.
  from = log.length;
  const cityHall = await getJSON('/api/v1/tags/city-hall');
  await page.locator('#sections a[href="#/tag/city-hall"]').click();
  await page.locator('.section-heading h1', { hasText: 'City Hall' }).waitFor();
  await page.locator('.teaser').first().waitFor();
  check((await page.locator('.section-description').innerText()).trim() === cityHall.description, 'the tag page shows its description');
  check(await scrollToEnd() === 'No More Articles', 'the tag page ends with "No More Articles"');
  check(await page.locator('.teaser').count() === cityHall.article_count, `the tag page lists its ${cityHall.article_count} articles`);
  const tagLists = reads(from).filter(isList);
  check(tagLists.length === Math.ceil(cityHall.article_count / PAGE_SIZE) && tagLists.every((e) => e.url.searchParams.get('tag') === 'city-hall'),
    `the tag page pages through its tag: ${tagLists.length} list requests`);
  check(!reads(from).some(isArticle), 'the tag page makes no request per teaser');

  // An article with fewer curated links than the page shows: suggestions follow them.
  const demoSlug = 'council-approves-tram-extension';
  const demoRelated = (await getJSON(`/api/v1/articles/${demoSlug}/related?limit=8`)).data;
  check(demoRelated.some((r) => r.source === 'curated') && demoRelated.some((r) => r.source === 'suggested'), 'the demo article has curated and suggested links');
  from = log.length;
  await page.locator(`.teaser[data-slug="${demoSlug}"] .teaser-title a`).click();
  await page.locator('.story .headline').waitFor();
  await settle();
  const shown = await page.locator('.related-item').evaluateAll((items) => items.map((li) => ({
    href: li.querySelector('a')?.getAttribute('href'), source: li.dataset.source, kind: li.dataset.kind,
  })));
  check(JSON.stringify(shown) === JSON.stringify(demoRelated.map((r) => ({
    href: r.kind === 'internal' ? `#/articles/${r.slug}` : r.url, source: r.source, kind: r.kind,
  }))), `curated then suggested teasers, in the API's order: ${JSON.stringify(shown)}`);
  const demoReads = reads(from).map((e) => e.url.pathname);
  check(JSON.stringify(demoReads) === JSON.stringify([`/api/v1/articles/${demoSlug}`, `/api/v1/articles/${demoSlug}/related`]),
    `that page is its article and its related list: ${demoReads.join(', ')}`);

  // Search, with the API's highlights.
  from = log.length;
  const hits = (await getJSON('/api/v1/articles?q=harbour&limit=1&fields=slug')).meta.total;
  await page.fill('#search-q', 'harbour');
  await page.press('#search-q', 'Enter');
  await page.locator('.section-heading h1', { hasText: 'Results for' }).waitFor();
  await page.locator('.teaser').first().waitFor();
  await settle();
  const marks = await page.locator('.teaser-summary mark').allInnerTexts();
  check(marks.length > 0 && marks.every((m) => /harbour/i.test(m)), `search highlights render as <mark>: ${marks.join(', ')}`);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(artifacts, 'search.png') });
  check(await scrollToEnd() === 'No More Articles', 'the results end with "No More Articles"');
  check(await page.locator('.teaser').count() === hits, `every one of the ${hits} results`);
  check(reads(from).filter(isList).every((e) => e.url.searchParams.get('q') === 'harbour'), 'the search asks the API with `q`');
  console.log(`reader tag page, suggestions and search: ${cityHall.article_count} City Hall teasers; ${demoRelated.length} related on ${demoSlug} in 2 requests; ${hits} results for "harbour" with ${marks.length}+ highlights`);

  // A preview link for a draft, minted through the API, opened at the reader's /preview/<token>
  // (which moves the token into the fragment).
  const admin = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  const draftTitle = `Preview Draft ${Date.now()}`;
  const draftParagraphs = ['The first paragraph of a story nobody may read yet.', 'A second one, with *emphasis*.'];
  const created = await fetch(`${api}/api/v1/articles`, {
    method: 'POST', headers: admin,
    body: JSON.stringify({ title: draftTitle, summary: 'Not yet.', body: draftParagraphs.join('\n\n'), tags: ['City Hall'] }),
  });
  check(created.status === 201, `the draft is created: ${created.status}`);
  const draft = await created.json();
  check((await fetch(`${api}/api/v1/articles/${draft.slug}`)).status === 404, 'the draft is not public');
  const minted = await fetch(`${api}/api/v1/articles/${draft.slug}/preview`, {
    method: 'POST', headers: admin, body: JSON.stringify({ expires_in: 3600 }),
  });
  check(minted.status === 201, `a preview link is minted: ${minted.status}`);
  const link = await minted.json();
  check(typeof link.token === 'string' && link.token.length >= 43 && link.url.endsWith(`/preview/${link.token}`),
    `the link has a token and the site's URL for it: ${link.url}`);
  from = log.length;
  await page.goto(`${reader}/preview/${link.token}`);
  await page.locator('.preview-banner').waitFor({ timeout: 30_000 });
  await settle();
  check(await page.evaluate(() => location.hash) === `#/preview/${link.token}`, 'the reader moves the token into the fragment');
  check(/^Preview\b/.test((await page.locator('.preview-banner').textContent()).trim()), 'a visible "Preview" banner');
  check((await page.locator('.story .headline').innerText()).trim() === draftTitle, 'the preview shows the draft\'s headline');
  const previewParagraphs = (await page.locator('.story-body p').allInnerTexts()).map((p) => p.trim());
  check(JSON.stringify(previewParagraphs) === JSON.stringify(['The first paragraph of a story nobody may read yet.', 'A second one, with emphasis.']),
    `the preview shows the draft's body: ${JSON.stringify(previewParagraphs)}`);
  check(await page.locator('meta[name="robots"][content="noindex"]').count() === 1, 'the preview page asks not to be indexed');
  // A fresh page load: the section bar asks for the tags too.
  const previewReads = reads(from).filter((e) => e.url.pathname !== '/api/v1/tags');
  check(previewReads.length === 1 && previewReads[0].url.pathname === `/api/v1/preview/${link.token}`,
    `the preview page is one request: ${previewReads.map((e) => e.url.pathname).join(', ')}`);
  const previewRead = previewReads[0];
  check(!previewRead.sent.authorization, 'the preview is read with no key');
  check(previewRead.got.headers?.['cache-control'] === 'private, no-store' && previewRead.got.headers?.['x-robots-tag'] === 'noindex'
    && !previewRead.got.headers?.etag, `the preview is private, unindexed, without a validator: ${JSON.stringify(previewRead.got.headers)}`);
  await page.screenshot({ path: join(artifacts, 'preview.png'), fullPage: true });
  // Revoked, the same link shows nothing.
  const listed = await (await fetch(`${api}/api/v1/articles/${draft.slug}/previews`, { headers: admin })).json();
  check(listed.data.length === 1 && listed.data[0].id === link.id && !('token' in listed.data[0]), 'the link is listed without its token');
  const revoked = await fetch(`${api}/api/v1/articles/${draft.slug}/previews/${link.id}`, { method: 'DELETE', headers: admin });
  check(revoked.status === 204, `the link is revoked: ${revoked.status}`);
  await page.reload();
  await page.locator('.problem h1', { hasText: 'This preview link shows nothing' }).waitFor();
  check(await page.locator('.story').count() === 0, 'a revoked link shows no article');
  console.log('reader preview: a draft behind a "Preview" banner from a minted link, read with no key and never cached; nothing once revoked');

  // A demo story (not live coverage) with a captioned picture and authors: the picture in a
  // figure with its caption and credit, the authors' portraits, names and roles by the byline,
  // and the byline's names linking to their pages.
  const withAuthors = (await everyItem('/api/v1/articles?fields=slug,format,feature_image,authors'))
    .find((a) => a.format !== 'live' && a.feature_image?.caption && a.feature_image?.credit && a.authors?.length);
  check(withAuthors, 'a demo story has authors and a picture with a caption and a credit');
  const storyPath = `/api/v1/articles/${withAuthors.slug}`;
  const pictureStory = await getJSON(storyPath);
  const image = pictureStory.feature_image;
  from = log.length;
  await page.goto(`${reader}/?api=${encodeURIComponent(api)}&limit=${PAGE_SIZE}#/articles/${withAuthors.slug}`);
  await page.locator(`.story[data-slug="${withAuthors.slug}"] .headline`).waitFor({ timeout: 30_000 });
  await settle();
  const [storyPicture] = await picturesIn('.story figure.story-figure img');
  check(storyPicture && storyPicture.src === image.url && storyPicture.alt === image.alt
    && isSize(storyPicture.width, image.width) && isSize(storyPicture.height, image.height),
  `the story's picture, with its alt text and size: ${JSON.stringify(storyPicture)}`);
  check(storyPicture.loading !== 'lazy' && storyPicture.natural > 0, 'the story\'s picture loads at once');
  const caption = await page.locator('.story figure.story-figure figcaption').evaluate((c) => ({
    text: c.textContent, credit: c.querySelector('.credit')?.textContent ?? '',
  }));
  check(caption.text.includes(image.caption) && caption.credit === image.credit,
    `the figure's caption shows the caption and, apart, the credit: ${JSON.stringify(caption)}`);
  const names = pictureStory.authors.map((a) => a.name);
  const bylineLinks = await page.locator('.story-meta .byline a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  check(JSON.stringify(bylineLinks) === JSON.stringify(pictureStory.authors.map((a) => [a.name, `#/authors/${a.slug}`])),
    `the byline links each author to their page: ${JSON.stringify(bylineLinks)}`);
  check((await page.locator('.story-meta .byline').innerText()).trim() === `By ${joinNames(names)}`, `the byline reads "By ${joinNames(names)}"`);
  const chips = await page.locator('.story-authors .author-chip').evaluateAll((as) => as.map((a) => ({
    href: a.getAttribute('href'), name: a.querySelector('.chip-name')?.textContent, role: a.querySelector('.chip-role')?.textContent ?? null,
    portrait: a.querySelector('img')?.getAttribute('src') ?? null,
  })));
  check(JSON.stringify(chips) === JSON.stringify(pictureStory.authors.map((a) => ({
    href: `#/authors/${a.slug}`, name: a.name, role: a.role, portrait: a.image?.url ?? null,
  }))), `the authors by the byline, with their portraits and roles: ${JSON.stringify(chips)}`);
  // A fresh page load: the section bar asks for the tags too.
  const pictureReads = reads(from).map((e) => e.url.pathname).filter((path) => path !== '/api/v1/tags');
  check(pictureReads[0] === storyPath && pictureReads.slice(1).every((path) => path === `${storyPath}/related`) && pictureReads.length <= 2,
    `the story is its article (and its related list), nothing per author: ${pictureReads.join(', ')}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, 'article-with-image.png'), fullPage: true });

  // The first author's page, from the byline: portrait, bio, links, then their every article.
  const writer = pictureStory.authors[0];
  const author = await getJSON(`/api/v1/authors/${writer.slug}`);
  const byWriter = (await getJSON(`/api/v1/articles?author=${encodeURIComponent(writer.slug)}&limit=1&fields=slug`)).meta.total;
  check(author.bio_html && byWriter > 0 && author.article_count === byWriter,
    `the author has a bio and ${byWriter} articles (article_count ${author.article_count})`);
  from = log.length;
  await page.locator('.story-meta .byline a').first().click();
  await page.locator('.author-heading h1', { hasText: author.name }).waitFor();
  await page.locator('.teaser').first().waitFor();
  check(await page.evaluate(() => location.hash) === `#/authors/${writer.slug}`, 'the byline opens the author\'s page');
  if (author.role) check((await page.locator('.author-role').innerText()).trim().toLowerCase() === author.role.toLowerCase(), 'the author\'s role');
  check(await page.evaluate((html) => {
    const bio = document.createElement('template');
    bio.innerHTML = html;
    return bio.content.textContent.trim() === document.querySelector('.author-bio')?.textContent.trim();
  }, author.bio_html), 'the author\'s bio, as the API renders it');
  const profile = await page.locator('.author-links a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  check(JSON.stringify(profile) === JSON.stringify(author.links.filter((l) => /^(https?|mailto):/.test(l.url)).map((l) => [l.label, l.url])),
    `the author's links: ${JSON.stringify(profile)}`);
  if (author.image) {
    const [shownPortrait] = await picturesIn('.author-heading img.author-portrait');
    check(shownPortrait && shownPortrait.src === author.image.url && shownPortrait.alt === author.image.alt && shownPortrait.natural > 0,
      `the author's portrait: ${JSON.stringify(shownPortrait)}`);
  }
  check(await scrollToEnd() === 'No More Articles', 'the author\'s page ends with "No More Articles"');
  const writerSlugs = await page.locator('.teaser').evaluateAll((items) => items.map((li) => li.dataset.slug));
  check(writerSlugs.length === byWriter && new Set(writerSlugs).size === byWriter && writerSlugs.includes(withAuthors.slug),
    `the author's page lists their ${byWriter} articles, the story among them: ${writerSlugs.join(', ')}`);
  check((await page.locator('.author-heading .section-count').innerText()).trim() === `${byWriter} ${byWriter === 1 ? 'article' : 'articles'}`, 'and says how many');
  const writerReads = reads(from);
  const writerLists = writerReads.filter(isList);
  check(writerLists.length === Math.ceil(byWriter / PAGE_SIZE) && writerLists.every((e) => e.url.searchParams.getAll('author').join() === writer.slug),
    `the author's page pages through their articles: ${writerLists.length} list requests`);
  check(writerReads.length === writerLists.length + 1 && writerReads.some((e) => e.url.pathname === `/api/v1/authors/${writer.slug}`),
    `and asks for the author once, nothing per teaser: ${writerReads.map((e) => e.url.pathname).join(', ')}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, 'author-page.png') });
  await page.evaluate((hash) => { location.hash = hash; }, `#/authors/${NO_SUCH_AUTHOR}`);
  await page.locator('.problem h1', { hasText: 'Page not found' }).waitFor();
  check(await page.locator('.author-heading h1').count() === 0, 'an unknown author is a page not found');

  // The authors, from the section bar: a card each, linking to their pages.
  const everyAuthor = await everyItem('/api/v1/authors');
  await page.locator('#sections a[href="#/authors"]').click();
  await page.locator('.author-card').first().waitFor();
  const cards = await page.locator('.author-card a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  check(cards.length === everyAuthor.length && everyAuthor.every((a) => cards.includes(`#/authors/${a.slug}`)),
    `a card for each of the ${everyAuthor.length} authors`);

  // A correction, written through the API while the story is open: it shows at the story's foot
  // (after the body, before the related links), dated, without a reload; and on the next read.
  await page.evaluate((hash) => { location.hash = hash; }, `#/articles/${withAuthors.slug}`);
  await page.locator(`.story[data-slug="${withAuthors.slug}"] .headline`).waitFor();
  await page.locator('#content[data-live="ready"]').waitFor({ timeout: 10_000 });
  await page.evaluate(() => { window.stillThisPage = true; });
  const correctionText = `An earlier version of this article misspelled the harbour master's name (${Date.now()}).`;
  const correcting = await fetch(`${api}${storyPath}/corrections`, { method: 'POST', headers: admin, body: JSON.stringify({ body: correctionText }) });
  check(correcting.status === 201, `the correction is written: ${correcting.status}`);
  const correction = (await correcting.json()).corrections.at(-1);
  check(correction?.body === correctionText, 'the article answers with its new correction last');
  const shownCorrection = page.locator('.story .corrections .correction', { hasText: correctionText });
  await shownCorrection.waitFor({ timeout: 5_000 });
  check(await page.evaluate(() => window.stillThisPage === true), 'the correction shows without a reload');
  async function checkCorrection() {
    check((await page.locator('#corrections-heading').innerText()).trim().toLowerCase() === 'corrections', 'under the heading "Corrections"');
    check(await shownCorrection.locator('time').getAttribute('datetime') === correction.created_at, 'dated as the API dates it');
    check(await page.evaluate(() => {
      const [body, corrections, related] = ['.story-body', '.corrections', '.related'].map((s) => document.querySelector(s));
      const after = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return after(body, corrections) && after(corrections, related);
    }), 'after the story\'s body and before its related links');
  }
  await checkCorrection();
  await shownCorrection.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'article-correction.png') });
  await page.reload();
  await shownCorrection.waitFor({ timeout: 30_000 });
  await checkCorrection();
  console.log(`reader pictures and authors: ${withAuthors.slug} with its figure, caption and credit and "By ${joinNames(names)}"; ${author.name}'s page with ${byWriter} articles in ${writerLists.length} list requests; ${everyAuthor.length} author cards; a correction shown as written`);

  // Live: the front page announces a story published meanwhile, without a reload, and an open
  // article shows an edit as it is made.
  await page.goto(`${reader}/?api=${encodeURIComponent(api)}&limit=${PAGE_SIZE}#/`);
  await page.locator('.teaser').first().waitFor();
  await page.locator('#content[data-live="ready"]').waitFor({ timeout: 10_000 });
  await page.evaluate(() => { window.stillThisPage = true; });
  const breaking = `Breaking Live Story ${Date.now()}`;
  const posted = await fetch(`${api}/api/v1/articles`, {
    method: 'POST', headers: admin,
    body: JSON.stringify({ title: breaking, summary: 'Published while the front page was open.', body: 'First lines.', status: 'published', tags: ['City Hall'] }),
  });
  check(posted.status === 201, `the breaking story is published: ${posted.status}`);
  const story = await posted.json();
  const announced = page.locator('.new-stories', { hasText: '1 new story' });
  await announced.waitFor({ timeout: 5_000 });
  check(await page.evaluate(() => window.stillThisPage === true), 'announced without a reload');
  await page.screenshot({ path: join(artifacts, 'front-live.png') });
  await announced.click();
  await page.locator('.teaser').first().waitFor();
  check((await page.locator('.teaser h2').first().innerText()).trim() === breaking, 'the new story leads the front page once asked for');
  await page.goto(`${reader}/?api=${encodeURIComponent(api)}#/articles/${story.slug}`);
  await page.locator('.story .headline', { hasText: breaking }).waitFor();
  await page.locator('#content[data-live="ready"]').waitFor({ timeout: 10_000 });
  check([...streams.values()].some((s) => s.url.searchParams.get('article') === String(story.id)), 'the article page follows its own changes');
  const corrected = `${breaking}: Council Confirms`;
  const patched = await fetch(`${api}/api/v1/articles/${story.id}`, {
    method: 'PATCH', headers: admin, body: JSON.stringify({ title: corrected }),
  });
  check(patched.status === 200, `the story is edited: ${patched.status}`);
  await page.locator('.story .headline', { hasText: corrected }).waitFor({ timeout: 5_000 });
  // The note follows the redrawn story (after its related links are asked for).
  await page.locator('.story .live-note').waitFor({ timeout: 5_000 });
  check(await page.locator('.story .live-note').count() === 1, 'the page says it was updated, once');
  await page.screenshot({ path: join(artifacts, 'article-live.png') });
  console.log('reader live: "1 new story" announced on the front page and an open article updated, both without a reload');

  // A live blog, written through the API: on the front page with a "Live" label, then open in
  // the reader while updates are posted, edited and deleted, each showing within 2 s.
  const blogPosted = await fetch(`${api}/api/v1/articles`, {
    method: 'POST', headers: admin,
    body: JSON.stringify({
      title: `Storm Live: Gales Batter Port Calder ${Date.now()}`, summary: 'Live updates as the storm passes over the city.',
      body: 'Our reporters are at the harbour and in the council\'s emergency room.', status: 'published', format: 'live', tags: ['City Hall'],
    }),
  });
  check(blogPosted.status === 201, `the live article is published: ${blogPosted.status}`);
  const blog = await blogPosted.json();
  check(blog.format === 'live' && blog.live === true, 'the article is live coverage, open');
  const blocksPath = `${api}/api/v1/articles/${blog.slug}/blocks`;
  async function postBlock(block) {
    const response = await fetch(blocksPath, { method: 'POST', headers: admin, body: JSON.stringify(block) });
    check(response.status === 201, `an update is posted: ${response.status}`);
    return response.json();
  }
  // More than the page shows at first: the oldest key event is read around itself when its
  // link is followed, and "Load older updates" brings the rest.
  const earlyKey = await postBlock({ title: 'Amber warning issued for the coast', body: 'Forecasters expect gusts of up to 75 mph.', key_event: true });
  for (let i = 1; i <= 21; i++) await postBlock({ body: `Routine update number ${i} from the seafront.` });
  const keyBlock = await postBlock({ title: 'Sea wall breached at Quay Street', body: 'Water is coming over the **harbour wall** near the fish market.', key_event: true });
  const pinnedBlock = await postBlock({ title: 'What we know so far', body: 'Gales of up to 75 mph; the Esplanade is closed.', pinned: true });
  const plainBlock = await postBlock({ body: 'Ferries are cancelled for the rest of the evening.' });
  const everyBlock = (await getJSON(`/api/v1/articles/${blog.slug}/blocks?limit=100`)).data.map((b) => b.id);
  check(everyBlock.length === 25 && everyBlock[0] === plainBlock.id, `the API lists the 25 updates newest first: ${everyBlock.join(',')}`);

  // Loading a page abandons the reads of the one before, and the browser reports no end for some.
  inflight.clear();
  await page.goto(`${reader}/?api=${encodeURIComponent(api)}&limit=${PAGE_SIZE}#/`);
  const blogTeaser = page.locator(`.teaser[data-slug="${blog.slug}"]`);
  await blogTeaser.waitFor();
  // Nothing in flight when the view is left for the article.
  await settle();
  check(/^live$/i.test((await blogTeaser.locator('.live-badge').innerText()).trim()), 'the live article\'s teaser has a "Live" label');
  check(/^Updated \d\d:\d\d/.test((await blogTeaser.locator('.teaser-updated').innerText()).trim()), 'and the time of its latest update');
  const liveNow = new Set((await getJSON('/api/v1/articles?limit=100&fields=slug,live')).data.filter((a) => a.live).map((a) => a.slug));
  const labelled = await page.locator('.teaser').evaluateAll((items) => items.map((li) => [li.dataset.slug, li.querySelector('.live-badge') !== null]));
  check(labelled.every(([slug, label]) => label === liveNow.has(slug)), `only teasers of open live coverage are labelled: ${JSON.stringify(labelled)}`);
  await blogTeaser.locator('.teaser-title a').click();
  const updates = page.locator('section.live-updates[aria-label="Live updates"]');
  await updates.locator('article').first().waitFor();
  await page.locator('#content[data-live="ready"]').waitFor({ timeout: 10_000 });
  await settle();
  await page.evaluate(() => { window.stillThisPage = true; });
  check(/^live$/i.test((await page.locator('.headline-row .live-badge').innerText()).trim()), 'a "Live" badge by the headline');
  check((await page.locator('.headline-row .headline').innerText()).trim() === blog.title, 'the live article\'s headline');
  const keyLinks = await page.locator('.key-events a').evaluateAll((as) => as.map((a) => ({
    href: a.getAttribute('href'), text: a.textContent, target: Boolean(document.getElementById(a.getAttribute('href').slice(1))),
  })));
  check(JSON.stringify(keyLinks.map((l) => l.href)) === JSON.stringify([`#block-${keyBlock.id}`, `#block-${earlyKey.id}`]),
    `the key events, newest first, link to their updates: ${JSON.stringify(keyLinks)}`);
  check(keyLinks[0].text.includes(keyBlock.title) && keyLinks[0].target, 'the newest key event is listed by title and its update is on the page');
  check(!keyLinks[1].target, 'the oldest key event is further back than the page shows at first');
  const order = () => updates.locator('article').evaluateAll((items) => items.map((a) => ({
    id: Number(a.id.replace('block-', '')), pinned: a.closest('.live-pinned') !== null, flag: a.querySelector('.pinned-flag')?.textContent ?? '',
    key: a.querySelector('.key-flag') !== null, at: Number(a.dataset.at),
  })));
  const firstView = await order();
  check(firstView[0].id === pinnedBlock.id && firstView[0].pinned && /pinned/i.test(firstView[0].flag), 'the pinned update comes first, marked "Pinned"');
  check(firstView.filter((b) => b.pinned).length === 1 && firstView.slice(1).every((b) => !b.flag), 'only the pinned update is marked');
  const timelineIds = firstView.slice(1).map((b) => b.id);
  check(JSON.stringify(timelineIds) === JSON.stringify(everyBlock.filter((id) => id !== pinnedBlock.id).slice(0, 19)),
    `then the newest updates, newest first, as the API orders them: ${timelineIds.join(',')}`);
  check(firstView.find((b) => b.id === keyBlock.id).key, 'a key event is labelled');
  check(await page.locator('.load-older').isVisible(), '"Load older updates" while there are more');
  check(await updates.locator('[aria-live="polite"]').count() === 1, 'arrivals are announced in a polite live region');
  await page.screenshot({ path: join(artifacts, 'live-page.png'), fullPage: true });

  // The oldest key event: read around itself, scrolled to, the route unchanged.
  const hash = await page.evaluate(() => location.hash);
  await page.locator(`.key-events a[href="#block-${earlyKey.id}"]`).click();
  const early = page.locator(`#block-${earlyKey.id}`);
  await early.waitFor();
  await page.waitForFunction((id) => {
    const box = document.getElementById(id).getBoundingClientRect();
    return box.top >= 0 && box.top < window.innerHeight / 2;
  }, `block-${earlyKey.id}`, { timeout: 5_000 });
  check(await page.evaluate(() => location.hash) === hash, 'a key event\'s link keeps the page\'s route');
  check(await page.evaluate((id) => document.getElementById(id).compareDocumentPosition(document.querySelector('.load-older')) === Node.DOCUMENT_POSITION_PRECEDING,
    `block-${earlyKey.id}`), 'it shows below "Load older updates", apart from the run of the newest');

  // A new update, while the reader looks at an older one: it leads the timeline within 2 s, and
  // what the reader looks at does not move.
  const topBefore = await early.evaluate((a) => a.getBoundingClientRect().top);
  const breakingText = 'Lifeboat launched to a yacht in difficulty off the Point.';
  const arrival = page.waitForFunction((text) => document.querySelector('.live-timeline > article')?.textContent.includes(text),
    breakingText, { timeout: 10_000 });
  const sent = performance.now();
  const breakingBlock = await postBlock({ title: 'Lifeboat launched', body: breakingText });
  await arrival;
  const arrivedIn = Math.round(performance.now() - sent);
  check(arrivedIn < 2000, `the update arrived in ${arrivedIn} ms`);
  check(await page.evaluate(() => window.stillThisPage === true), 'without a reload');
  const arrived = await order();
  check(arrived[1].id === breakingBlock.id && arrived.filter((b) => b.id === breakingBlock.id).length === 1, 'the new update is the newest in the timeline, once');
  check(await page.locator(`#block-${breakingBlock.id}.fresh`).count() === 1, 'marked as fresh');
  check(/New update: Lifeboat launched/.test(await updates.locator('[aria-live="polite"]').textContent()), 'and announced');
  const topAfter = await early.evaluate((a) => a.getBoundingClientRect().top);
  check(Math.abs(topAfter - topBefore) < 1, `the update in view stays put (${topBefore} → ${topAfter})`);
  check(/^26 updates/.test((await page.locator('.live-summary').innerText()).trim()), 'the count follows');
  await updates.evaluate((section) => {
    section.scrollIntoView();
    window.scrollBy(0, -24);
  });
  await page.screenshot({ path: join(artifacts, 'live-update.png') });

  // An edit shows in place; a deletion takes the update and its key event away.
  const edited = 'Ferries are cancelled until Friday morning, the operator says.';
  const patchedBlock = await fetch(`${blocksPath}/${plainBlock.id}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ body: edited }) });
  check(patchedBlock.status === 200, `an update is edited: ${patchedBlock.status}`);
  await page.locator(`#block-${plainBlock.id} .block-body`, { hasText: edited }).waitFor({ timeout: 2_000 });
  check(JSON.stringify((await order()).map((b) => b.id)) === JSON.stringify(arrived.map((b) => b.id)), 'the edited update keeps its place');
  const deleted = await fetch(`${blocksPath}/${keyBlock.id}`, { method: 'DELETE', headers: admin });
  check(deleted.status === 204, `an update is deleted: ${deleted.status}`);
  await page.locator(`#block-${keyBlock.id}`).waitFor({ state: 'detached', timeout: 2_000 });
  await page.locator(`.key-events a[href="#block-${keyBlock.id}"]`).waitFor({ state: 'detached', timeout: 2_000 });
  check(await page.evaluate(() => window.stillThisPage === true), 'edited and deleted without a reload');

  // Older updates: the rest, each once, in the API's order, and no button once all are shown.
  await page.locator('.load-older').click();
  await page.locator('.load-older').waitFor({ state: 'detached', timeout: 5_000 });
  const paged = await order();
  const remaining = [breakingBlock.id, ...everyBlock].filter((id) => id !== keyBlock.id && id !== pinnedBlock.id);
  check(paged[0].id === pinnedBlock.id && JSON.stringify(paged.slice(1).map((b) => b.id)) === JSON.stringify(remaining),
    `every update once, newest first: ${paged.map((b) => b.id).join(',')}`);

  // A correction to the live blog shows at the foot of its story too, without a reload, and the
  // updates stay as they are.
  const blogCorrection = `An earlier update gave the wrong time for the high tide (${Date.now()}).`;
  const blogCorrected = await fetch(`${api}/api/v1/articles/${blog.slug}/corrections`, { method: 'POST', headers: admin, body: JSON.stringify({ body: blogCorrection }) });
  check(blogCorrected.status === 201, `the live blog is corrected: ${blogCorrected.status}`);
  await page.locator('.story .corrections .correction', { hasText: blogCorrection }).waitFor({ timeout: 5_000 });
  check(await page.evaluate(() => window.stillThisPage === true), 'the live blog\'s correction shows without a reload');
  check(JSON.stringify((await order()).map((b) => b.id)) === JSON.stringify(paged.map((b) => b.id)), 'and its updates stay as they were');
  console.log(`reader live blog: "Live" on its teaser; badge, key events, pinned first, newest first; a new update shown in ${arrivedIn} ms, an edit and a deletion without a reload; older updates paged in; a correction at its foot`);

  check(offOrigin.length === 0, `the page asked for other origins: ${offOrigin.join(', ')}`);
  check(problems.length === 0, `errors in the page: ${problems.join(' | ')}`);
  const all = reads(0);
  console.log(`reader: ok (${all.length} API requests in all, ${all.filter((e) => e.got.status === 304).length} answered 304, and ${pictures.length} pictures; screenshots in ${artifacts})`);
} finally {
  await context.close();
}
