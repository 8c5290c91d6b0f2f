// Authors (bylines, author= lists) and collections (ordered fronts, If-Match on reorder) against a live Gazette.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { GazetteError, isGazetteError, type FetchLike } from "../src/index.js";
import { clients, recordingFetch, uniqueSlug } from "./helpers.js";

const createdCollections: string[] = [];
const createdArticles: string[] = [];
const createdAuthors: string[] = [];
after(async () => {
  const { admin } = clients();
  for (const slug of createdCollections) await admin.collections.delete(slug).catch(() => undefined);
  for (const slug of createdArticles) await admin.articles.delete(slug).catch(() => undefined);
  for (const slug of createdAuthors) await admin.authors.delete(slug).catch(() => undefined);
});

/** A fetch that records method, URL, headers and body of each request. */
function bodyRecordingFetch(): { fetch: FetchLike; calls: { method: string; url: string; headers: Headers; body: unknown }[] } {
  const calls: { method: string; url: string; headers: Headers; body: unknown }[] = [];
  return {
    calls,
    fetch: (url, init) => {
      const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
      calls.push({ method: init?.method ?? "GET", url, headers: new Headers(init?.headers), body });
      return fetch(url, init);
    },
  };
}

/** An ETag without the content-coding suffix a compressed GET adds (`"…-gzip"`). */
const identity = (etag: string | null | undefined): string | null | undefined => etag?.replace(/-(gzip|br)"$/, '"');

describe("authors: reading", () => {
  it("list() yields every author in slug order; get() revalidates; a missing one is a 404", async () => {
    const { reader } = clients();
    const page = await reader.authors.page({ limit: 2 });
    assert.equal(page.data.length, 2);
    const all: string[] = [];
    for await (const author of reader.authors.list({ limit: 2 })) {
      assert.equal(typeof author.name, "string");
      assert.ok(Array.isArray(author.links));
      assert.equal(typeof author.article_count, "number");
      all.push(author.slug);
    }
    assert.equal(all.length, page.meta.total);
    assert.deepEqual([...all].sort(), all, "authors come in slug order");
    assert.ok(all.includes("mara-okafor"), "the demo author mara-okafor");

    const got = await reader.authors.get("mara-okafor");
    assert.equal(got.notModified, false);
    if (got.notModified) return;
    assert.equal(got.author.slug, "mara-okafor");
    assert.equal(got.author.name, "Mara Okafor");
    assert.ok(got.author.article_count >= 1);
    assert.ok(got.etag, "an ETag header");
    assert.deepEqual(await reader.authors.get("mara-okafor", { etag: got.etag }), { notModified: true, etag: got.etag });

    await assert.rejects(reader.authors.get(uniqueSlug("no-author")), (e: unknown) => isGazetteError(e, 404));
  });

  it("revalidating() caches authors and collections like tags", async () => {
    const { reader } = clients();
    const cache = reader.revalidating();
    const a1 = await cache.authors.get("mara-okafor");
    const a2 = await cache.authors.get("mara-okafor");
    assert.equal(a1.fromCache, false);
    assert.equal(a2.fromCache, true);
    assert.deepEqual(a2.author, a1.author);
    const p1 = await cache.authors.page({ limit: 3 });
    const p2 = await cache.authors.page({ limit: 3 });
    assert.equal(p2.fromCache, true);
    assert.deepEqual(p2.page, p1.page);
    const c1 = await cache.collections.get("top-stories");
    const c2 = await cache.collections.get("top-stories");
    assert.equal(c1.fromCache, false);
    assert.equal(c2.fromCache, true);
    assert.deepEqual(c2.collection, c1.collection);
    const l1 = await cache.collections.page();
    assert.ok(l1.page.data.some((c) => c.slug === "top-stories"));
    assert.equal(cache.size, 4);
  });
});

describe("authors: credits and bylines", () => {
  it("an article crediting a new author: byline, authors, article_count, author= lists, rename", async () => {
    const rec = recordingFetch();
    const { admin } = clients();
    const { reader } = clients(rec.fetch);
    const authorSlug = uniqueSlug("sdk-author");
    createdAuthors.push(authorSlug);
    const name = `SDK Author ${Date.now()}`;
    const made = await admin.authors.create({
      name,
      slug: authorSlug,
      role: "Test writer",
      bio: "Writes *tests*.",
      links: [{ label: "Website", url: "https://example.org/sdk-author" }],
    });
    assert.equal(made.author.slug, authorSlug);
    assert.equal(made.author.name, name);
    assert.equal(made.author.role, "Test writer");
    assert.match(made.author.bio_html ?? "", /<em>tests<\/em>/);
    assert.deepEqual(made.author.links, [{ label: "Website", url: "https://example.org/sdk-author" }]);
    assert.equal(made.author.article_count, 0);

    const articleSlug = uniqueSlug("sdk-credited");
    createdArticles.push(articleSlug);
    const article = await admin.articles.create({
      title: "SDK credited article",
      slug: articleSlug,
      summary: "Made by the SDK author tests.",
      body: "Credited.",
      status: "published",
      authors: [authorSlug],
    });
    assert.equal(article.article.byline, `By ${name}`);
    assert.equal(article.article.authors[0]?.slug, authorSlug);
    assert.equal(article.article.authors[0]?.name, name);
    assert.equal(article.article.authors[0]?.role, "Test writer");
    assert.equal(article.article.authors.length, 1);

    const author = await reader.authors.get(authorSlug);
    assert.equal(author.notModified, false);
    if (!author.notModified) assert.ok(author.author.article_count >= 1, String(author.author.article_count));

    rec.calls.length = 0;
    const listed: string[] = [];
    for await (const teaser of reader.articles.list({ author: [authorSlug] })) {
      assert.equal(teaser.byline, `By ${name}`);
      assert.deepEqual(teaser.authors.map((a) => a.slug), [authorSlug]);
      listed.push(teaser.slug);
    }
    assert.deepEqual(listed, [articleSlug]);
    assert.deepEqual(new URL(rec.calls[0]!.url).searchParams.getAll("author"), [authorSlug]);

    // Repeated: articles by all the named authors (none is by both).
    rec.calls.length = 0;
    const both = await reader.articles.page({ author: [authorSlug, "mara-okafor"] });
    assert.deepEqual(new URL(rec.calls[0]!.url).searchParams.getAll("author"), [authorSlug, "mara-okafor"]);
    assert.equal(both.data.length, 0);

    // A new name changes the byline of the article crediting them.
    const renamed = `${name} Jr`;
    const updated = await admin.authors.update(authorSlug, { name: renamed, role: null });
    assert.equal(updated.author.name, renamed);
    assert.equal(updated.author.role, null);
    const read = await reader.articles.get(articleSlug);
    assert.equal(read.notModified, false);
    if (!read.notModified) {
      assert.equal(read.article.byline, `By ${renamed}`);
      assert.deepEqual(read.article.authors.map((a) => [a.slug, a.name, a.role]), [[authorSlug, renamed, null]]);
    }

    // Deleting: the article first, then the author.
    await admin.articles.delete(articleSlug);
    await admin.authors.delete(authorSlug);
    await assert.rejects(reader.authors.get(authorSlug), (e: unknown) => isGazetteError(e, 404));
  });

  it("crediting an author that does not exist is a 422", async () => {
    const { admin } = clients();
    const slug = uniqueSlug("sdk-uncredited");
    createdArticles.push(slug);
    await assert.rejects(
      admin.articles.create({ title: "Nobody wrote this", slug, authors: [uniqueSlug("no-such-author")] }),
      (error: unknown) => {
        assert.ok(isGazetteError(error, 422), String(error));
        assert.ok(error.errors.some((e) => e.field === "authors[0]"), JSON.stringify(error.problem));
        return true;
      },
    );
  });
});

describe("collections", () => {
  it("list() has the demo fronts; get() returns items and an ETag, and revalidates", async () => {
    const { reader } = clients();
    const slugs: string[] = [];
    for await (const summary of reader.collections.list({ limit: 1 })) slugs.push(summary.slug);
    assert.ok(slugs.includes("top-stories"), slugs.join());
    assert.ok(slugs.includes("editors-picks"), slugs.join());
    assert.deepEqual([...slugs].sort(), slugs, "collections come in slug order");

    const got = await reader.collections.get("top-stories");
    assert.equal(got.notModified, false);
    if (got.notModified) return;
    assert.equal(got.collection.slug, "top-stories");
    assert.equal(got.collection.name, "Top stories");
    assert.ok(got.collection.items.length >= 1);
    for (const item of got.collection.items) assert.equal(item.status, "published");
    assert.ok(got.etag);
    assert.deepEqual(await reader.collections.get("top-stories", { etag: got.etag }), { notModified: true, etag: got.etag });
    await assert.rejects(reader.collections.get(uniqueSlug("no-collection")), (e: unknown) => isGazetteError(e, 404));
  });

  it("create, get in order, replaceItems with If-Match, 412 on a stale ETag, update, delete", async () => {
    const rec = bodyRecordingFetch();
    const { admin } = clients(rec.fetch);
    const { reader } = clients();

    const slugs = [uniqueSlug("sdk-front-a"), uniqueSlug("sdk-front-b")];
    createdArticles.push(...slugs);
    const [a, b] = await Promise.all(
      slugs.map((slug, i) =>
        admin.articles.create({ title: `SDK front article ${i + 1}`, slug, body: "On the front.", status: "published" }),
      ),
    );
    assert.ok(a && b);

    const slug = uniqueSlug("sdk-collection");
    createdCollections.push(slug);
    const made = await admin.collections.create({ name: "SDK front", slug, description: "Made by the SDK tests.", articles: [a.article.slug, String(b.article.id)] });
    assert.equal(made.collection.slug, slug);
    assert.equal(made.collection.name, "SDK front");
    assert.deepEqual(made.collection.items.map((t) => t.slug), slugs);

    // Readers see the items in order.
    const got = await reader.collections.get(slug);
    assert.equal(got.notModified, false);
    if (got.notModified) return;
    assert.deepEqual(got.collection.items.map((t) => t.slug), slugs);
    assert.deepEqual(got.collection.items.map((t) => t.id), [a.article.id, b.article.id]);
    assert.equal(got.collection.description, "Made by the SDK tests.");

    // An editor reads it (admin) and reverses it with If-Match; ids go out as strings.
    const read = await admin.collections.get(slug, { admin: true });
    assert.equal(read.notModified, false);
    if (read.notModified) return;
    assert.ok(read.etag, "an ETag to send as If-Match");
    rec.calls.length = 0;
    const reordered = await admin.collections.replaceItems(slug, [b.article.id, a.article.slug], { ifMatch: read.etag });
    assert.equal(rec.calls.length, 1);
    assert.equal(rec.calls[0]!.method, "PUT");
    assert.equal(new URL(rec.calls[0]!.url).pathname, `/api/v1/collections/${slug}/items`);
    assert.equal(rec.calls[0]!.headers.get("if-match"), read.etag);
    assert.deepEqual(rec.calls[0]!.body, { articles: [String(b.article.id), a.article.slug] });
    assert.deepEqual(reordered.collection.items.map((t) => t.slug), [...slugs].reverse());
    assert.ok(reordered.etag);
    assert.notEqual(identity(reordered.etag), identity(read.etag));

    const reread = await reader.collections.get(slug);
    assert.equal(reread.notModified, false);
    if (!reread.notModified) assert.deepEqual(reread.collection.items.map((t) => t.slug), [...slugs].reverse());

    // The ETag read before the reorder is stale now: 412, with the current ETag.
    await assert.rejects(admin.collections.replaceItems(slug, slugs, { ifMatch: read.etag }), (error: unknown) => {
      assert.ok(error instanceof GazetteError);
      assert.equal(error.status, 412);
      assert.equal(identity(error.currentEtag), identity(reordered.etag));
      return true;
    });
    await assert.rejects(admin.collections.update(slug, { name: "lost update" }, { ifMatch: read.etag }), (e: unknown) =>
      isGazetteError(e, 412),
    );

    // The ETag of the write is good for the next write.
    const renamed = await admin.collections.update(slug, { name: "SDK front, renamed", description: null }, { ifMatch: reordered.etag ?? undefined });
    assert.equal(renamed.collection.name, "SDK front, renamed");
    assert.equal(renamed.collection.description, null);
    assert.deepEqual(renamed.collection.items.map((t) => t.slug), [...slugs].reverse(), "a rename keeps the items");

    // Deleting the collection leaves its articles; then the articles go too.
    await admin.collections.delete(slug);
    await assert.rejects(reader.collections.get(slug), (e: unknown) => isGazetteError(e, 404));
    const still = await reader.articles.get(a.article.slug);
    assert.equal(still.notModified, false);
    for (const s of slugs) await admin.articles.delete(s);
    await assert.rejects(reader.articles.get(a.article.slug), (e: unknown) => isGazetteError(e, 404));
  });

  it("writes without an admin key are refused", async () => {
    const { reader } = clients();
    await assert.rejects(reader.collections.replaceItems(uniqueSlug("no-collection"), ["storm-night-live"]), (error: unknown) => {
      assert.ok(error instanceof GazetteError);
      assert.ok(error.status === 401 || error.status === 403, String(error.status));
      return true;
    });
    await assert.rejects(reader.authors.create({ name: "Nobody" }), (error: unknown) => {
      assert.ok(error instanceof GazetteError);
      assert.ok(error.status === 401 || error.status === 403, String(error.status));
      return true;
    });
  });
});
