// Reads, revalidation, problem errors and admin writes against a live Gazette.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { GazetteError, isGazetteError } from "../src/index.js";
import { clients, recordingFetch, uniqueSlug } from "./helpers.js";

const created: string[] = [];
after(async () => {
  const { admin } = clients();
  for (const slug of created) await admin.articles.delete(slug).catch(() => undefined);
});

describe("articles: reading", () => {
  it("list() follows next_cursor across pages (limit=2) and yields every teaser once", async () => {
    const rec = recordingFetch();
    const { reader } = clients(rec.fetch);
    const first = await reader.articles.page({ limit: 2 });
    assert.equal(first.data.length, 2);
    assert.equal(first.meta.has_more, true, "the server needs more than 2 published articles");
    assert.ok(first.meta.total > 2);

    rec.calls.length = 0;
    const slugs: string[] = [];
    for await (const teaser of reader.articles.list({ limit: 2 })) {
      assert.equal(typeof teaser.id, "number");
      assert.equal(teaser.status, "published");
      slugs.push(teaser.slug);
    }
    assert.equal(slugs.length, first.meta.total);
    assert.equal(new Set(slugs).size, slugs.length, "no teaser twice");
    assert.deepEqual(slugs.slice(0, 2), first.data.map((t) => t.slug));
    assert.equal(rec.calls.length, Math.ceil(first.meta.total / 2));
    assert.ok(rec.calls.length >= 2);
    assert.equal(new URL(rec.calls[0]!.url).searchParams.get("cursor"), null);
    assert.equal(new URL(rec.calls[1]!.url).searchParams.get("cursor"), first.meta.next_cursor);
  });

  it("list() stops early when the loop breaks, and passes repeated tag, sort and fields", async () => {
    const rec = recordingFetch();
    const { reader } = clients(rec.fetch);
    const tags = await reader.tags.page({ limit: 100 });
    const tag = tags.data.find((t) => t.article_count >= 3);
    assert.ok(tag, "a tag with at least 3 articles");
    rec.calls.length = 0;
    let n = 0;
    for await (const teaser of reader.articles.list({ limit: 2, tag: [tag.slug, tag.slug], sort: "published_at", fields: "slug,title" })) {
      assert.deepEqual(Object.keys(teaser).sort(), ["slug", "title"]);
      if (++n === 3) break;
    }
    assert.equal(n, 3);
    assert.equal(rec.calls.length, 2);
    const url = new URL(rec.calls[0]!.url);
    assert.deepEqual(url.searchParams.getAll("tag"), [tag.slug, tag.slug]);
    assert.equal(url.searchParams.get("sort"), "published_at");
  });

  it("get() returns the article and its ETag; If-None-Match gives notModified", async () => {
    const { reader } = clients();
    const [teaser] = (await reader.articles.page({ limit: 1 })).data;
    assert.ok(teaser);
    const first = await reader.articles.get(teaser.slug);
    assert.equal(first.notModified, false);
    if (first.notModified) return;
    assert.equal(first.article.slug, teaser.slug);
    assert.equal(first.article.id, teaser.id);
    assert.equal(typeof first.article.body_html, "string");
    assert.ok(first.etag, "an ETag header");

    const byId = await reader.articles.get(teaser.id);
    assert.equal(byId.notModified, false);

    const again = await reader.articles.get(teaser.slug, { etag: first.etag });
    assert.deepEqual(again, { notModified: true, etag: first.etag });

    const stale = await reader.articles.get(teaser.slug, { etag: '"not-the-etag"' });
    assert.equal(stale.notModified, false);
  });

  it("revalidating() answers a 304 from its memory", async () => {
    const rec = recordingFetch();
    const { reader } = clients(rec.fetch);
    const cache = reader.revalidating();
    const [teaser] = (await reader.articles.page({ limit: 1 })).data;
    assert.ok(teaser);
    rec.calls.length = 0;

    const one = await cache.articles.get(teaser.slug);
    assert.equal(one.fromCache, false);
    assert.equal(rec.calls[0]!.headers.get("if-none-match"), null);
    const two = await cache.articles.get(teaser.slug);
    assert.equal(two.fromCache, true);
    assert.equal(rec.calls[1]!.headers.get("if-none-match"), one.etag);
    assert.deepEqual(two.article, one.article);
    assert.equal(two.etag, one.etag);

    const page1 = await cache.articles.page({ limit: 3 });
    const page2 = await cache.articles.page({ limit: 3 });
    assert.equal(page1.fromCache, false);
    assert.equal(page2.fromCache, true);
    assert.deepEqual(page2.page, page1.page);
    const other = await cache.articles.page({ limit: 4 });
    assert.equal(other.fromCache, false, "another URL is another entry");
    assert.equal(cache.size, 3);
  });

  it("a missing article throws a typed 404 problem", async () => {
    const { reader } = clients();
    const slug = uniqueSlug("no-such-article");
    await assert.rejects(reader.articles.get(slug), (error: unknown) => {
      assert.ok(error instanceof GazetteError);
      assert.ok(isGazetteError(error, 404));
      assert.equal(error.status, 404);
      assert.equal(error.title, "Not Found");
      assert.equal(typeof error.type, "string");
      assert.match(error.detail, new RegExp(slug));
      assert.equal(error.problem?.status, 404);
      assert.match(error.headers.get("content-type") ?? "", /application\/problem\+json/);
      assert.equal(error.method, "GET");
      return true;
    });
  });

  it("a bad query parameter throws a 400 problem naming the field", async () => {
    const { reader } = clients();
    await assert.rejects(reader.articles.page({ limit: 1000 }), (error: unknown) => {
      assert.ok(isGazetteError(error, 400));
      assert.ok(error.errors.some((e) => e.field === "limit"), JSON.stringify(error.problem));
      return true;
    });
  });
});

describe("tags: reading", () => {
  it("list() yields every tag and get() revalidates", async () => {
    const { reader } = clients();
    const page = await reader.tags.page({ limit: 2 });
    const all: string[] = [];
    for await (const tag of reader.tags.list({ limit: 2 })) all.push(tag.slug);
    assert.equal(all.length, page.meta.total);
    assert.deepEqual([...all].sort(), all, "tags come in slug order");
    const slug = all[0]!;
    const got = await reader.tags.get(slug);
    assert.equal(got.notModified, false);
    if (got.notModified) return;
    assert.equal(got.tag.slug, slug);
    assert.ok(got.etag);
    assert.deepEqual(await reader.tags.get(slug, { etag: got.etag }), { notModified: true, etag: got.etag });
    await assert.rejects(reader.tags.get(uniqueSlug("no-tag")), (e: unknown) => isGazetteError(e, 404));
  });
});

describe("articles: admin writes", () => {
  it("create, update with If-Match, 412 on a stale ETag, delete", async () => {
    const { admin, reader } = clients();
    const slug = uniqueSlug("sdk-write");
    created.push(slug);
    const made = await admin.articles.create({ title: "SDK write test", slug, summary: "Made by the SDK tests.", body: "Hello *world*." });
    assert.equal(made.article.slug, slug);
    assert.equal(made.article.status, "draft");
    assert.ok(made.etag, "create returns an ETag");

    // A draft is invisible to readers.
    await assert.rejects(reader.articles.get(slug), (e: unknown) => isGazetteError(e, 404));

    const updated = await admin.articles.update(slug, { title: "SDK write test, revised", tags: ["SDK Tests"] }, { ifMatch: made.etag });
    assert.equal(updated.article.title, "SDK write test, revised");
    assert.deepEqual(updated.article.tags.map((t) => t.slug), ["sdk-tests"]);
    assert.ok(updated.etag);
    assert.notEqual(updated.etag, made.etag);

    await assert.rejects(admin.articles.update(slug, { title: "lost update" }, { ifMatch: made.etag }), (error: unknown) => {
      assert.ok(isGazetteError(error, 412));
      assert.equal(error.currentEtag, updated.etag);
      return true;
    });
    await assert.rejects(admin.articles.delete(slug, { ifMatch: made.etag }), (e: unknown) => isGazetteError(e, 412));

    const read = await admin.articles.get(slug, { admin: true });
    assert.equal(read.notModified, false);
    if (!read.notModified) {
      assert.equal(read.article.title, "SDK write test, revised");
      // A GET's ETag names its content coding (`"…-gzip"`); the identity one has none.
      assert.equal(read.etag?.replace(/-(gzip|br)"$/, '"'), updated.etag, "the ETag of a write is the ETag of a read");
    }

    await admin.articles.delete(slug, { ifMatch: read.etag ?? undefined });
    await assert.rejects(admin.articles.get(slug, { admin: true }), (e: unknown) => isGazetteError(e, 404));
    await admin.tags.delete("sdk-tests").catch(() => undefined);
  });

  it("writes without an admin key are refused with a problem", async () => {
    const { reader } = clients();
    await assert.rejects(reader.articles.create({ title: "nope" }), (error: unknown) => {
      assert.ok(error instanceof GazetteError);
      assert.ok(error.status === 401 || error.status === 403, String(error.status));
      assert.ok(error.problem);
      return true;
    });
  });

  it("invalid input is a 422 with the invalid fields", async () => {
    const { admin } = clients();
    await assert.rejects(admin.articles.create({ title: "" }), (error: unknown) => {
      assert.ok(isGazetteError(error, 422));
      assert.ok(error.errors.some((e) => e.field === "title"));
      return true;
    });
  });
});
