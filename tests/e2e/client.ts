// Drives a live Gazette through the TypeScript client generated from openapi/openapi.json:
// create, read, page through, update, delete, and a typed problem-details error.
// Usage: GAZETTE_URL=http://127.0.0.1:8080 GAZETTE_ADMIN_KEY=gazette_… npx tsx client.ts
import { client } from './generated/ts/client.gen';
import {
  createArticle,
  deleteArticle,
  getArticle,
  listArticles,
  updateArticle,
} from './generated/ts/sdk.gen';
import type { ArticleTeaser, Problem } from './generated/ts/types.gen';

const baseUrl = process.env.GAZETTE_URL ?? 'http://127.0.0.1:8080';
const adminKey = process.env.GAZETTE_ADMIN_KEY ?? '';

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(`FAILED: ${message}`);
  }
}

client.setConfig({ baseUrl });
const admin = { auth: () => adminKey };

async function main(): Promise<void> {
  // A published article with tags and both kinds of related link. Its internal link
  // points at the newest published article already there.
  const first = await listArticles({ query: { limit: 1 } });
  check(first.data !== undefined && first.data.data.length === 1, 'the server has published articles');
  const target = first.data.data[0];

  const title = `Typed client check ${Date.now()}`;
  const created = await createArticle({
    ...admin,
    body: {
      title,
      summary: 'Written by the generated TypeScript client.',
      body: 'First paragraph.\n\nSecond *paragraph*.',
      status: 'published',
      tags: ['Client Checks', 'typescript'],
      related: [
        { slug: target.slug },
        { url: 'https://example.org/typescript', summary: 'An external page.', title: 'External' },
      ],
    },
  });
  check(created.response.status === 201, `create answered ${created.response.status}`);
  check(created.data !== undefined, 'create returned the article');
  const slug = created.data.slug;
  check(created.response.headers.get('location') === `/api/v1/articles/${slug}`, 'Location header');

  const read = await getArticle({ path: { slug_or_id: slug } });
  check(read.data !== undefined, 'read by slug');
  const article = read.data;
  check(article.title === title, 'title round-trips');
  check(article.body_html.includes('<em>paragraph</em>'), 'body_html rendered');
  check(article.tags.map((t) => t.slug).join(',') === 'client-checks,typescript', 'tags in order');
  check(article.related.length === 2, 'two related links');
  check(article.related[0].kind === 'internal' && article.related[0].slug === target.slug, 'internal link');
  check(article.related[1].kind === 'external' && article.related[1].url === 'https://example.org/typescript', 'external link');
  check(article.share.links.email.startsWith('mailto:'), 'share links');

  // Page through the whole list, three at a time, to the last page.
  const seen: ArticleTeaser[] = [];
  let cursor: string | undefined;
  let total = -1;
  for (let page = 0; page < 1000; page++) {
    const result = await listArticles({ query: { limit: 3, cursor } });
    check(result.data !== undefined, 'list page');
    seen.push(...result.data.data);
    total = result.data.meta.total;
    if (!result.data.meta.has_more) {
      check(result.data.meta.next_cursor === null, 'last page has next_cursor null');
      break;
    }
    cursor = result.data.meta.next_cursor ?? undefined;
    check(cursor !== undefined, 'a page with more has a cursor');
  }
  check(seen.length === total, `saw ${seen.length} of ${total}`);
  check(new Set(seen.map((a) => a.id)).size === seen.length, 'no article twice');
  check(seen.some((a) => a.slug === slug), 'the new article is listed');

  const patched = await updateArticle({
    ...admin,
    path: { slug_or_id: slug },
    body: { summary: 'Patched by the TypeScript client.', byline: null },
  });
  check(patched.data !== undefined && patched.data.summary === 'Patched by the TypeScript client.', 'patch');
  check(patched.data.title === title, 'patch leaves other fields');

  const deleted = await deleteArticle({ ...admin, path: { slug_or_id: slug } });
  check(deleted.response.status === 204, `delete answered ${deleted.response.status}`);
  const gone = await getArticle({ path: { slug_or_id: slug } });
  check(gone.response.status === 404, 'deleted article is 404');

  // A bad request comes back as a typed problem.
  const bad = await createArticle({ ...admin, body: { title: '   ' } });
  check(bad.response.status === 422, `bad create answered ${bad.response.status}`);
  const problem: Problem | undefined = bad.error;
  check(problem !== undefined && problem.status === 422, 'typed problem details');
  check(problem.errors?.[0]?.field === 'title', 'the problem names the field');

  console.log(`typescript client: ok (${seen.length} articles paged)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
