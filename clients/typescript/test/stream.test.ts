// The event stream (GET /api/v1/stream) against a live Gazette.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { isGazetteError, type FetchLike, type StreamEvent, type StreamHandle, type StreamOpenInfo } from "../src/index.js";
import { clients, sleep, uniqueSlug, waitFor } from "./helpers.js";

const created: string[] = [];
const handles: StreamHandle[] = [];
after(async () => {
  for (const h of handles) h.close();
  const { admin } = clients();
  for (const slug of created) await admin.articles.delete(slug).catch(() => undefined);
});

function open(options: { lastEventId?: string; article?: string; keyInQuery?: boolean } = {}) {
  const { reader } = clients();
  const events: StreamEvent[] = [];
  const opens: StreamOpenInfo[] = [];
  const errors: unknown[] = [];
  const handle = reader.stream({
    ...options,
    onEvent: (event) => {
      events.push(event);
    },
    onOpen: (info) => opens.push(info),
    onError: (error) => errors.push(error),
  });
  handles.push(handle);
  return { handle, events, opens, errors };
}

describe("stream", () => {
  it("delivers a write's event within 5 s, then resumes with exactly the missed event", async () => {
    const { admin } = clients();
    const s1 = open();
    await waitFor(() => s1.opens.length > 0 || s1.errors.length > 0, 5000, "the ready event");
    assert.deepEqual(s1.errors, []);
    assert.equal(s1.opens[0]!.resumed, false);
    assert.ok(s1.opens[0]!.token);
    assert.equal(s1.handle.lastEventId, s1.opens[0]!.token, "the ready id is the starting position");

    const slug = uniqueSlug("sdk-stream");
    created.push(slug);
    const made = await admin.articles.create({ title: "SDK stream test", slug, status: "published" });
    const mine = (e: StreamEvent) => e.change?.slug === slug;
    await waitFor(() => s1.events.some(mine), 5000, "the article.published event");
    const published = s1.events.find(mine)!;
    assert.equal(published.event, "article.published");
    assert.ok(published.id);
    assert.equal(published.change?.kind, "article.published");
    assert.equal(published.change?.type, "article");
    assert.equal(published.change?.change, "upsert");
    assert.equal(published.change?.id, made.article.id);
    assert.equal(published.change?.article, null, "stream events carry no bodies");
    await sleep(200);
    assert.equal(s1.handle.lastEventId, s1.events.at(-1)!.id);

    s1.handle.close();
    await s1.handle.closed;
    const resumeFrom = s1.handle.lastEventId;
    assert.ok(resumeFrom);
    const seenBefore = s1.events.length;

    // Written while nobody listens.
    await admin.articles.update(slug, { title: "SDK stream test, revised" }, { ifMatch: made.etag ?? undefined });
    await sleep(100);
    assert.equal(s1.events.length, seenBefore, "a closed stream delivers nothing");

    const s2 = open({ lastEventId: resumeFrom });
    await waitFor(() => s2.events.some(mine) || s2.errors.length > 0, 5000, "the missed article.updated event");
    await sleep(500); // room for a duplicate to show up, if the server sent one
    assert.deepEqual(s2.errors, []);
    assert.equal(s2.opens[0]?.resumed, true);
    const missed = s2.events.filter(mine);
    assert.equal(missed.length, 1, JSON.stringify(s2.events));
    assert.equal(missed[0]!.event, "article.updated");
    assert.notEqual(missed[0]!.id, published.id);
    assert.ok(!s2.events.some((e) => s1.events.some((old) => old.id === e.id)), "nothing seen before is repeated");
    s2.handle.close();
  });

  it("the token of a stream event works as `since` for /changes", async () => {
    const { admin, reader } = clients();
    const s = open();
    await waitFor(() => s.opens.length > 0 || s.errors.length > 0, 5000, "the ready event");
    const slug = uniqueSlug("sdk-stream-since");
    created.push(slug);
    await admin.articles.create({ title: "SDK stream since", slug, status: "published" });
    await waitFor(() => s.events.some((e) => e.change?.slug === slug), 5000, "the event");
    s.handle.close();
    const ready = s.opens[0]!.token;
    const page = await reader.changes.page({ since: ready });
    const mine = page.data.filter((i) => i.slug === slug);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.kind, "article.published");
    assert.equal(mine[0]!.article?.slug, slug, "the feed carries the body");
  });

  it("an article filter only delivers that article's events", async () => {
    const { admin } = clients();
    const slug = uniqueSlug("sdk-stream-filter");
    const other = uniqueSlug("sdk-stream-other");
    created.push(slug, other);
    await admin.articles.create({ title: "Filtered", slug, status: "published" });
    await admin.articles.create({ title: "Other", slug: other, status: "published" });
    const s = open({ article: slug });
    await waitFor(() => s.opens.length > 0 || s.errors.length > 0, 5000, "the ready event");
    assert.deepEqual(s.errors, []);
    await admin.articles.update(other, { title: "Other, revised" });
    await admin.articles.update(slug, { title: "Filtered, revised" });
    await waitFor(() => s.events.length > 0, 5000, "the filtered event");
    await sleep(300);
    assert.deepEqual(
      s.events.map((e) => [e.event, e.change?.slug]),
      [["article.updated", slug]],
    );
    s.handle.close();
  });

  it("after a dropped connection it reconnects with Last-Event-ID: nothing lost, nothing twice", async () => {
    const { admin } = clients();
    // A fetch whose first stream response is cut right after its first change event.
    const connections: Headers[] = [];
    const cutting: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (!url.includes("/api/v1/stream")) return response;
      connections.push(new Headers(init?.headers));
      if (connections.length > 1 || response.body === null) return response;
      const decoder = new TextDecoder();
      const encoder = new TextEncoder();
      let text = "";
      const cut = new TransformStream<Uint8Array, Uint8Array>({
        // Passes whole blocks through (retry, ready, keep-alives) and ends the body after
        // the first article event, as a dropped connection would.
        transform(chunk, controller) {
          text += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = text.indexOf("\n\n")) !== -1) {
            const block = text.slice(0, end + 2);
            text = text.slice(end + 2);
            controller.enqueue(encoder.encode(block));
            if (/^event: article\./m.test(block)) {
              controller.terminate();
              return;
            }
          }
        },
      });
      return new Response(response.body.pipeThrough(cut), { status: response.status, headers: response.headers });
    };
    const { reader } = clients(cutting);
    const events: StreamEvent[] = [];
    const opens: StreamOpenInfo[] = [];
    const errors: unknown[] = [];
    const slug = uniqueSlug("sdk-stream-drop");
    created.push(slug);
    const handle = reader.stream({
      onEvent: (e) => {
        if (e.change?.slug === slug) events.push(e);
      },
      onOpen: (info) => opens.push(info),
      onError: (error) => errors.push(error),
    });
    handles.push(handle);
    await waitFor(() => opens.length > 0, 5000, "the ready event");
    const made = await admin.articles.create({ title: "Dropped", slug, status: "published" });
    await waitFor(() => events.length === 1, 5000, "the first event");
    // The connection is cut now; this write happens while the client waits to reconnect.
    await admin.articles.update(slug, { title: "Dropped, revised" }, { ifMatch: made.etag ?? undefined });
    await waitFor(() => events.length >= 2, 10_000, "the event written while disconnected");
    await sleep(300);
    handle.close();
    assert.deepEqual(
      events.map((e) => e.event),
      ["article.published", "article.updated"],
    );
    assert.equal(connections.length, 2);
    assert.equal(connections[0]!.get("last-event-id"), null);
    assert.equal(connections[1]!.get("last-event-id"), events[0]!.id);
    assert.equal(opens.length, 2);
    assert.equal(opens[1]!.resumed, true);
  });

  it("a malformed Last-Event-ID is reported through onError and stops the stream", async () => {
    const s = open({ lastEventId: "not a token" });
    await s.handle.closed;
    assert.equal(s.errors.length, 1);
    assert.ok(isGazetteError(s.errors[0]), String(s.errors[0]));
    assert.ok([400, 410].includes((s.errors[0] as { status: number }).status));
    assert.deepEqual(s.events, []);
  });
});
