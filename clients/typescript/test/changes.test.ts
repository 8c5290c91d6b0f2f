// The sync feed (GET /api/v1/changes) against a live Gazette.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { isGazetteError, type ChangeItem } from "../src/index.js";
import { clients, uniqueSlug } from "./helpers.js";

const created: string[] = [];
after(async () => {
  const { admin } = clients();
  for (const slug of created) await admin.articles.delete(slug).catch(() => undefined);
});

async function collect(token: string | undefined, extra: { limit?: number; type?: "article" | "tag" } = {}) {
  const { reader } = clients();
  const items: ChangeItem[] = [];
  const pages: string[] = [];
  const result = await reader.sync({
    token,
    ...extra,
    onItem: (item) => {
      items.push(item);
    },
    onPage: (_page, next) => {
      pages.push(next);
    },
  });
  return { items, pages, result };
}

describe("changes: sync", () => {
  it("an initial sync yields every public article, then every tag, as upserts", async () => {
    const { reader } = clients();
    const { items, result, pages } = await collect(undefined, { limit: 5 });
    assert.equal(result.fromScratch, true);
    assert.equal(typeof result.token, "string");
    assert.ok(result.token.length > 0);
    assert.equal(result.items, items.length);
    assert.ok(pages.length >= 2, "limit=5 takes more than one page");
    assert.equal(pages.at(-1), result.token);

    const articles = items.filter((i) => i.type === "article");
    const tags = items.filter((i) => i.type === "tag");
    const lastArticle = items.findLastIndex((i) => i.type === "article");
    const firstTag = items.findIndex((i) => i.type === "tag");
    assert.ok(firstTag === -1 || lastArticle < firstTag, "articles first, then tags");
    for (const item of items) {
      assert.equal(item.change, "upsert");
      assert.equal(item.kind, "sync");
      assert.equal(item.reason, null);
    }
    for (const item of articles) {
      assert.ok(item.article, "an article upsert carries the article");
      assert.equal(item.article.id, item.id);
      assert.equal(item.article.slug, item.slug);
      assert.equal(item.article.status, "published");
      assert.equal(item.tag, null);
    }
    for (const item of tags) {
      assert.equal(item.id, null);
      assert.ok(item.tag);
      assert.equal(item.tag.slug, item.slug);
      assert.equal(item.article, null);
    }

    const listed: string[] = [];
    for await (const teaser of reader.articles.list({ limit: 100 })) listed.push(teaser.slug);
    assert.deepEqual(articles.map((i) => i.slug).sort(), listed.sort());
    const tagSlugs: string[] = [];
    for await (const tag of reader.tags.list({ limit: 100 })) tagSlugs.push(tag.slug);
    assert.deepEqual(tags.map((i) => i.slug).sort(), tagSlugs.sort());

    // The article bodies are the ones GET shows.
    const sample = articles[0]!;
    const got = await reader.articles.get(sample.slug);
    assert.equal(got.notModified, false);
    if (!got.notModified) assert.deepEqual(sample.article, got.article);
  });

  it("a delta from the stored token has the upsert, then a deletion with reason unpublished", async () => {
    const { admin } = clients();
    const start = await collect(undefined);

    const slug = uniqueSlug("sdk-sync");
    created.push(slug);
    const made = await admin.articles.create({ title: "SDK sync test", slug, status: "published", summary: "sync" });
    const updated = await admin.articles.update(slug, { title: "SDK sync test, revised" }, { ifMatch: made.etag ?? undefined });

    const delta1 = await collect(start.result.token);
    assert.equal(delta1.result.fromScratch, false);
    // A delta names each resource once, as it is now.
    const mine1 = delta1.items.filter((i) => i.slug === slug);
    assert.equal(mine1.length, 1, JSON.stringify(mine1));
    const upsert = mine1[0]!;
    assert.equal(upsert.type, "article");
    assert.equal(upsert.change, "upsert");
    assert.equal(upsert.id, made.article.id);
    assert.equal(upsert.reason, null);
    assert.ok(upsert.kind === "article.published" || upsert.kind === "article.updated", upsert.kind);
    assert.equal(upsert.article?.title, "SDK sync test, revised");
    assert.equal(upsert.article?.status, "published");

    await admin.articles.update(slug, { status: "draft" }, { ifMatch: updated.etag ?? undefined });
    const delta2 = await collect(delta1.result.token);
    const mine2 = delta2.items.filter((i) => i.slug === slug);
    assert.equal(mine2.length, 1, JSON.stringify(mine2));
    assert.deepEqual(
      { ...mine2[0], article: undefined },
      {
        type: "article",
        change: "delete",
        id: made.article.id,
        slug,
        reason: "unpublished",
        kind: "article.unpublished",
        article: undefined,
        tag: null,
      },
    );
    assert.equal(mine2[0]!.article, null);

    // Nothing happened since: an empty delta, and the token still works.
    const delta3 = await collect(delta2.result.token);
    assert.deepEqual(delta3.items.filter((i) => i.slug === slug), []);
  });

  it("a tag update is in the feed, and type=tag leaves articles out", async () => {
    const { admin, reader } = clients();
    const start = await collect(undefined, { type: "tag" });
    assert.ok(start.items.length > 0);
    assert.ok(start.items.every((i) => i.type === "tag"), "type=tag has only tags");
    const target = start.items[0]!.tag!;
    const description = `Described by the SDK tests at ${new Date().toISOString()}`;
    await admin.tags.update(target.slug, { description });
    try {
      const delta = await collect(start.result.token, { type: "tag" });
      assert.ok(delta.items.every((i) => i.type === "tag"));
      const mine = delta.items.filter((i) => i.slug === target.slug);
      assert.equal(mine.length, 1, JSON.stringify(delta.items));
      assert.equal(mine[0]!.change, "upsert");
      assert.equal(mine[0]!.kind, "tag.updated");
      assert.equal(mine[0]!.id, null);
      assert.equal(mine[0]!.tag?.description, description);
      const got = await reader.tags.get(target.slug);
      assert.equal(got.notModified, false);
      if (!got.notModified) assert.deepEqual(mine[0]!.tag, got.tag);
    } finally {
      await admin.tags.update(target.slug, { description: target.description });
    }
  });

  it("applying a delta gives the same articles and tags as a fresh initial sync", async () => {
    const { admin } = clients();
    const start = await collect(undefined);
    const articles = new Map<number, unknown>();
    const tags = new Set<string>();
    const apply = (item: ChangeItem) => {
      if (item.type === "article") {
        if (item.change === "upsert") articles.set(item.id!, item.article);
        else articles.delete(item.id!);
      } else if (item.change === "upsert") tags.add(item.slug);
      else tags.delete(item.slug);
    };
    start.items.forEach(apply);

    // A new tag comes into view with a published article carrying it; another article
    // changes; a third leaves view.
    const tagSlug = uniqueSlug("sdk-tag");
    const a = uniqueSlug("sdk-conv-a");
    const b = uniqueSlug("sdk-conv-b");
    created.push(a, b);
    await admin.articles.create({ title: "Convergence A", slug: a, status: "published", tags: [tagSlug] });
    await admin.articles.create({ title: "Convergence B", slug: b, status: "published" });
    try {
      await admin.articles.update(b, { status: "archived" });
      const delta = await collect(start.result.token);
      delta.items.forEach(apply);
      const fresh = await collect(undefined);
      const freshArticles = new Map(fresh.items.filter((i) => i.type === "article").map((i) => [i.id!, i.article]));
      const freshTags = new Set(fresh.items.filter((i) => i.type === "tag").map((i) => i.slug));
      assert.deepEqual([...articles.keys()].sort(), [...freshArticles.keys()].sort());
      assert.deepEqual(articles, freshArticles);
      assert.deepEqual([...tags].sort(), [...freshTags].sort(), "the tags in view");
      const gone = delta.items.find((i) => i.slug === b);
      assert.equal(gone?.change, "delete");
      assert.equal(gone?.reason, "archived");
    } finally {
      await admin.articles.delete(a).catch(() => undefined);
      await admin.tags.delete(tagSlug).catch(() => undefined);
    }
  });

  it("a malformed token is a 400 problem", async () => {
    const { reader } = clients();
    for (const since of ["not a token", "%%%", "AAAA"]) {
      await assert.rejects(reader.changes.page({ since }), (error: unknown) => {
        assert.ok(isGazetteError(error, 400), String(error));
        assert.match(error.headers.get("content-type") ?? "", /application\/problem\+json/);
        assert.equal(error.problem?.status, 400);
        return true;
      });
    }
    await assert.rejects(reader.sync({ token: "not a token", onItem: () => undefined }), (e: unknown) => isGazetteError(e, 400));
  });

  it("a bad limit is a 400 problem", async () => {
    const { reader } = clients();
    await assert.rejects(reader.changes.page({ limit: 501 }), (e: unknown) => isGazetteError(e, 400));
    await assert.rejects(reader.changes.page({ limit: 0 }), (e: unknown) => isGazetteError(e, 400));
  });
});
