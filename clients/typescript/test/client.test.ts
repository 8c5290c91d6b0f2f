// Unit tests of the client's protocol logic against a scripted fake fetch: no server needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Gazette, GazetteError, isGazetteError, type ChangeList, type FetchLike, type StreamEvent } from "../src/index.js";

interface Call {
  url: URL;
  headers: Headers;
  method: string;
}

/** A fetch answering from `script` (one function per call, the last one repeats). */
function fake(script: ((call: Call, signal?: AbortSignal | null) => Response)[]): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (input, init) => {
      const call = { url: new URL(input), headers: new Headers(init?.headers), method: init?.method ?? "GET" };
      calls.push(call);
      const answer = script[Math.min(calls.length - 1, script.length - 1)]!;
      return answer(call, init?.signal);
    },
  };
}

/** A text/event-stream answer sending `chunks`, then ending or (with `hang`) staying open. */
function sse(chunks: string[], options: { hang?: boolean } = {}) {
  return (_call: Call, signal?: AbortSignal | null): Response => {
    const encoder = new TextEncoder();
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        signal?.addEventListener("abort", () => {
          try {
            controller.error(new DOMException("aborted", "AbortError"));
          } catch {
            // already closed
          }
        });
      },
      pull(controller) {
        if (i < chunks.length) {
          controller.enqueue(encoder.encode(chunks[i++]!));
          return;
        }
        if (!options.hang) {
          controller.close();
          return;
        }
        return new Promise<void>(() => undefined); // never sends again
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
}

function problem(status: number, detail: string, headers: Record<string, string> = {}) {
  return (): Response =>
    new Response(JSON.stringify({ type: "about:blank", title: `T${status}`, status, detail }), {
      status,
      headers: { "content-type": "application/problem+json", ...headers },
    });
}

const change = (slug: string, kind = "article.updated") =>
  JSON.stringify({ type: "article", change: "upsert", id: 1, slug, reason: null, kind, article: null, tag: null });

function streamOf(f: ReturnType<typeof fake>, options: Partial<Parameters<Gazette["stream"]>[0]> = {}) {
  const client = new Gazette({ baseUrl: "http://gazette.test/", key: "content-key", adminKey: "admin-key", fetch: f.fetch });
  const events: StreamEvent[] = [];
  const errors: { error: unknown; willRetry: boolean }[] = [];
  const lagged: string[] = [];
  const handle = client.stream({
    onEvent: (e) => {
      events.push(e);
    },
    onError: (error, info) => errors.push({ error, willRetry: info.willRetry }),
    onLagged: (d) => lagged.push(d),
    ...options,
  });
  return { handle, events, errors, lagged };
}

describe("stream (scripted server)", () => {
  it("reconnects after a drop and after lagged with Last-Event-ID, and stops on 410", async () => {
    const f = fake([
      sse(["retry: 10\n\nevent: ready\nid: t0\ndata: {\"token\":\"t0\"}\n\n", `event: article.updated\nid: t1\ndata: ${change("a")}\n\n`]),
      sse([
        'event: ready\nid: t1\ndata: {"token":"t1"}\n\n: keep-alive\n\n',
        `event: article.published\nid: t2\ndata: ${change("b", "article.published")}\n\nevent: lagged\ndata: {"detail":"too slow"}\n\n`,
        `event: article.updated\nid: t3\ndata: ${change("never")}\n\n`,
      ], { hang: true }),
      problem(410, "too old"),
    ]);
    const s = streamOf(f);
    await s.handle.closed;
    assert.deepEqual(
      s.events.map((e) => [e.event, e.id, e.change?.slug]),
      [
        ["article.updated", "t1", "a"],
        ["article.published", "t2", "b"],
      ],
    );
    assert.deepEqual(s.lagged, ["too slow"]);
    assert.equal(f.calls.length, 3);
    assert.equal(f.calls[0]!.headers.get("last-event-id"), null);
    assert.equal(f.calls[1]!.headers.get("last-event-id"), "t1");
    assert.equal(f.calls[2]!.headers.get("last-event-id"), "t2");
    assert.equal(f.calls[0]!.url.pathname, "/api/v1/stream");
    assert.equal(f.calls[0]!.headers.get("authorization"), "Bearer content-key");
    assert.equal(f.calls[0]!.headers.get("accept"), "text/event-stream");
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.willRetry, false);
    assert.ok(isGazetteError(s.errors[0]!.error, 410));
    assert.equal(s.handle.lastEventId, "t2");
  });

  it("waits Retry-After on a 503 and retries", async () => {
    const f = fake([
      problem(503, "too many streams", { "retry-after": "0" }),
      sse(['event: ready\nid: t5\ndata: {"token":"t5"}\n\n', `event: tag.created\nid: t6\ndata: ${change("c")}\n\n`], { hang: true }),
    ]);
    const s = streamOf(f, { retryMs: 5000 });
    const started = Date.now();
    while (s.events.length === 0 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 5));
    s.handle.close();
    await s.handle.closed;
    assert.ok(Date.now() - started < 2000, "Retry-After: 0 beats the 5 s retry delay");
    assert.equal(s.events.length, 1);
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.willRetry, true);
    assert.ok(isGazetteError(s.errors[0]!.error, 503));
    assert.equal((s.errors[0]!.error as GazetteError).retryAfter, 0);
  });

  it("stops on abort and on close(), without further callbacks", async () => {
    const f = fake([sse(['event: ready\nid: t1\ndata: {"token":"t1"}\n\n'], { hang: true })]);
    const controller = new AbortController();
    const s = streamOf(f, { signal: controller.signal });
    while (s.handle.lastEventId === undefined) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await s.handle.closed;
    assert.equal(f.calls.length, 1);
    assert.deepEqual(s.errors, []);
  });

  it("reconnects when the connection goes idle", async () => {
    const f = fake([
      sse(['retry: 1\n\nevent: ready\nid: t1\ndata: {"token":"t1"}\n\n'], { hang: true }),
      sse([`event: article.updated\nid: t2\ndata: ${change("z")}\n\n`], { hang: true }),
    ]);
    const s = streamOf(f, { idleTimeoutMs: 50 });
    while (s.events.length === 0) await new Promise((r) => setTimeout(r, 5));
    s.handle.close();
    await s.handle.closed;
    assert.equal(f.calls[1]!.headers.get("last-event-id"), "t1");
    assert.equal(s.events[0]!.id, "t2");
  });

  it("keyInQuery sends the content key as ?key= and no Authorization header", async () => {
    const f = fake([problem(401, "bad key")]);
    const s = streamOf(f, { keyInQuery: true, tag: "transport", article: 12, lastEventId: "t9" });
    await s.handle.closed;
    assert.equal(f.calls[0]!.url.searchParams.get("key"), "content-key");
    assert.equal(f.calls[0]!.url.searchParams.get("last_event_id"), "t9");
    assert.equal(f.calls[0]!.headers.get("last-event-id"), null);
    assert.equal(f.calls[0]!.url.searchParams.get("tag"), "transport");
    assert.equal(f.calls[0]!.url.searchParams.get("article"), "12");
    assert.equal(f.calls[0]!.headers.get("authorization"), null);
    assert.ok(isGazetteError(s.errors[0]!.error, 401));
  });

  it("a throwing onEvent stops the stream and does not advance lastEventId", async () => {
    const f = fake([sse(['event: ready\nid: t1\ndata: {"token":"t1"}\n\n', `event: x\nid: t2\ndata: ${change("q")}\n\n`], { hang: true })]);
    const s = streamOf(f, {
      onEvent: () => {
        throw new Error("handler failed");
      },
    });
    await s.handle.closed;
    assert.equal(s.handle.lastEventId, "t1");
    assert.equal((s.errors[0]!.error as Error).message, "handler failed");
  });
});

function changes(data: string[], hasMore: boolean, token: string) {
  return (): Response =>
    Response.json({
      data: data.map((slug) => JSON.parse(change(slug, "sync"))),
      meta: { limit: 2, has_more: hasMore, next_token: token },
    } satisfies ChangeList);
}

describe("sync (scripted server)", () => {
  it("pages with next_token until has_more is false and returns the last token", async () => {
    const f = fake([changes(["a", "b"], true, "p1"), changes(["c"], false, "p2")]);
    const client = new Gazette({ baseUrl: "http://gazette.test", fetch: f.fetch });
    const seen: string[] = [];
    const result = await client.sync({ limit: 2, type: "article", onItem: (i) => void seen.push(i.slug) });
    assert.deepEqual(result, { token: "p2", items: 3, fromScratch: true });
    assert.deepEqual(seen, ["a", "b", "c"]);
    assert.equal(f.calls[0]!.url.searchParams.get("since"), null);
    assert.equal(f.calls[0]!.url.searchParams.get("limit"), "2");
    assert.equal(f.calls[0]!.url.searchParams.get("type"), "article");
    assert.equal(f.calls[1]!.url.searchParams.get("since"), "p1");
  });

  it("a 410 throws, or with onExpired: restart syncs from scratch after onReset", async () => {
    const gone = fake([problem(410, "sync from scratch")]);
    const client = new Gazette({ baseUrl: "http://gazette.test", fetch: gone.fetch });
    await assert.rejects(client.sync({ token: "old", onItem: () => undefined }), (e: unknown) => isGazetteError(e, 410));

    const f = fake([problem(410, "sync from scratch"), changes(["a"], false, "fresh")]);
    const restarting = new Gazette({ baseUrl: "http://gazette.test", fetch: f.fetch });
    const events: string[] = [];
    const result = await restarting.sync({
      token: "old",
      onExpired: "restart",
      onReset: () => void events.push("reset"),
      onItem: (i) => void events.push(i.slug),
    });
    assert.deepEqual(events, ["reset", "a"]);
    assert.deepEqual(result, { token: "fresh", items: 1, fromScratch: true });
    assert.equal(f.calls[0]!.url.searchParams.get("since"), "old");
    assert.equal(f.calls[1]!.url.searchParams.get("since"), null);
  });
});

describe("errors (scripted server)", () => {
  it("parses problem details, Retry-After and non-problem answers", async () => {
    const f = fake([
      problem(429, "slow down", { "retry-after": "7" }),
      () => new Response("<h1>Bad Gateway</h1>", { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }),
    ]);
    const client = new Gazette({ baseUrl: "http://gazette.test", fetch: f.fetch });
    await assert.rejects(client.articles.page(), (e: unknown) => {
      assert.ok(isGazetteError(e, 429));
      assert.equal(e.retryAfter, 7);
      assert.equal(e.detail, "slow down");
      assert.equal(e.problem?.detail, "slow down");
      return true;
    });
    await assert.rejects(client.tags.get("x"), (e: unknown) => {
      assert.ok(isGazetteError(e, 502));
      assert.equal(e.problem, null);
      assert.equal(e.title, "Bad Gateway");
      assert.equal(e.detail, "<h1>Bad Gateway</h1>");
      return true;
    });
  });

  it("writes send the admin key, If-Match and JSON, and return the answer's ETag", async () => {
    const body = JSON.stringify({ id: 1, slug: "s", title: "T" });
    const f = fake([
      () => new Response(body, { status: 200, headers: { "content-type": "application/json", etag: '"e2"' } }),
      () => new Response(body, { status: 200, headers: { "content-type": "application/json" } }),
    ]);
    const client = new Gazette({ baseUrl: "http://gazette.test", key: "k", adminKey: "a", fetch: f.fetch });
    const result = await client.articles.update("a slug/x", { title: "T" }, { ifMatch: '"e1"' });
    const call = f.calls[0]!;
    assert.equal(call.method, "PATCH");
    assert.equal(call.url.pathname, "/api/v1/articles/a%20slug%2Fx");
    assert.equal(call.headers.get("authorization"), "Bearer a");
    assert.equal(call.headers.get("if-match"), '"e1"');
    assert.equal(call.headers.get("content-type"), "application/json");
    assert.equal(result.etag, '"e2"');
    const none = await client.articles.update("s", { title: "U" }, { ifMatch: '"e2"' });
    assert.equal(none.etag, null, "no ETag is made up");
  });
});
