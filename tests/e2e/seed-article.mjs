// The seed page (../shared/fixtures/seed-article.txt beside the repository), read and loaded
// into a running Gazette through its write API the way tests/api/seed_article.rs builds it: eight
// related articles (their summaries are the page's teasers), then the article with its topics
// and the eight as ordered related links.
import { existsSync, readFileSync } from 'node:fs';

export const SEED_SLUG = 'irans-khamenei-doubts-diplomacy-escalating-threats-from-terror-regime';
export const TOPICS = ['Iran', 'Israel', 'Hezbollah', 'Hamas', 'Houthis'];

/** The parts of the page, or null when the fixture is absent. */
export function readSeedPage(path) {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const at = (marker) => {
    const i = lines.indexOf(marker);
    if (i < 0) throw new Error(`the seed page has no '${marker}' line`);
    return i;
  };
  const [edit, related, noMore, share] = ['Edit Content', 'Related Articles', 'No More Articles', 'Share the Article'].map(at);
  return {
    headline: lines[edit + 1],
    paragraphs: lines.slice(edit + 2, related),
    teasers: lines.slice(related + 1, noMore),
    sharing: lines[share + 1],
  };
}

async function call(base, key, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Creates the seed article and its related articles unless already there; returns the article as read. */
export async function loadSeedArticle(base, key, page) {
  const existing = await call(base, key, 'GET', `/api/v1/articles/${SEED_SLUG}`);
  if (existing.status === 200) return existing.body;

  for (const name of TOPICS) {
    const created = await call(base, key, 'POST', '/api/v1/tags', { name, description: `Reporting on ${name}.` });
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(`creating tag ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    }
  }
  const related = [];
  for (const [i, teaser] of page.teasers.entries()) {
    const headline = teaser.split(/\s+/).slice(0, 8).join(' ');
    const created = await call(base, key, 'POST', '/api/v1/articles', {
      title: `${headline} (${i + 1})`,
      summary: teaser,
      body: teaser,
      status: 'published',
      published_at: `2025-05-${String(10 + i).padStart(2, '0')}T08:00:00Z`,
      tags: ['Israel'],
    });
    if (created.status !== 201) throw new Error(`creating related article ${i + 1}: ${created.status} ${JSON.stringify(created.body)}`);
    related.push({ slug: created.body.slug });
  }
  const created = await call(base, key, 'POST', '/api/v1/articles', {
    title: page.headline,
    summary: 'Iran’s Supreme Leader publicly cast doubt on ongoing diplomatic negotiations.',
    body: page.paragraphs.join('\n\n'),
    status: 'published',
    published_at: '2025-05-20T09:30:00Z',
    byline: 'Gazette Staff',
    tags: TOPICS,
    related,
  });
  if (created.status !== 201) throw new Error(`creating the seed article: ${created.status} ${JSON.stringify(created.body)}`);
  if (created.body.slug !== SEED_SLUG) throw new Error(`the seed article's slug is ${created.body.slug}`);
  return created.body;
}
