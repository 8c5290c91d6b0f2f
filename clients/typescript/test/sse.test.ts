// Unit tests of the SSE parser: no server needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SseParser, type SseMessage } from "../src/sse.js";

interface Seen {
  messages: SseMessage[];
  retries: number[];
  comments: string[];
}

function parse(chunks: string[]): Seen & { parser: SseParser } {
  const seen: Seen = { messages: [], retries: [], comments: [] };
  const parser = new SseParser({
    onMessage: (m) => seen.messages.push(m),
    onRetry: (ms) => seen.retries.push(ms),
    onComment: (text) => seen.comments.push(text),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { ...seen, parser };
}

/** Every way of cutting `text` into two chunks, plus one character per chunk. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const STREAM =
  "retry: 3000\n\n" +
  'event: ready\nid: t1\ndata: {"token":"t1"}\n\n' +
  ": keep-alive\n\n" +
  'event: article.published\nid: t2\ndata: {"type":"article","slug":"a"}\n\n';

describe("SseParser", () => {
  it("parses event, id, data, retry and comments", () => {
    const seen = parse([STREAM]);
    assert.deepEqual(seen.retries, [3000]);
    assert.deepEqual(seen.comments, ["keep-alive"]);
    assert.deepEqual(seen.messages, [
      { event: "ready", id: "t1", data: '{"token":"t1"}' },
      { event: "article.published", id: "t2", data: '{"type":"article","slug":"a"}' },
    ]);
    assert.equal(seen.parser.lastEventId, "t2");
  });

  it("gives the same result however the input is split, even mid-line", () => {
    const whole = parse([STREAM]);
    for (const chunks of splits(STREAM)) {
      const seen = parse(chunks);
      assert.deepEqual(seen.messages, whole.messages, JSON.stringify(chunks));
      assert.deepEqual(seen.retries, whole.retries);
      assert.deepEqual(seen.comments, whole.comments);
    }
  });

  it("accepts CRLF and lone CR line endings, also with CR and LF in different chunks", () => {
    const crlf = STREAM.replace(/\n/g, "\r\n");
    const cr = STREAM.replace(/\n/g, "\r");
    const expected = parse([STREAM]).messages;
    for (const text of [crlf, cr]) {
      for (const chunks of splits(text)) {
        assert.deepEqual(parse(chunks).messages, expected, JSON.stringify(chunks));
      }
    }
    // A CRLF split between chunks is one line break, not a line break and an empty line.
    const seen = parse(["data: a\r", "\ndata: b\r\n\r\n"]);
    assert.deepEqual(seen.messages, [{ event: "message", id: "", data: "a\nb" }]);
  });

  it("joins multi-line data with LF and keeps a space after the first", () => {
    const seen = parse(["data: line one\ndata:line two\ndata:  indented\ndata\ndata: \n\n"]);
    assert.equal(seen.messages.length, 1);
    assert.equal(seen.messages[0]?.data, "line one\nline two\n indented\n\n");
  });

  it("defaults the event name to message, and does not carry the name over", () => {
    const seen = parse(["event: x\ndata: 1\n\ndata: 2\n\n"]);
    assert.deepEqual(
      seen.messages.map((m) => m.event),
      ["x", "message"],
    );
  });

  it("keeps the last id across events, and an empty id resets it", () => {
    const seen = parse(["id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"]);
    assert.deepEqual(
      seen.messages.map((m) => m.id),
      ["7", "7", ""],
    );
  });

  it("updates the last id for an event without data but does not dispatch it", () => {
    const seen = parse(["id: 9\nevent: nothing\n\ndata: after\n\n"]);
    assert.deepEqual(seen.messages, [{ event: "message", id: "9", data: "after" }]);
  });

  it("ignores ids containing NUL, invalid retry values and unknown fields", () => {
    const seen = parse(["id: 1\n\nid: a\u0000b\nretry: 12x\nretry: -5\nfoo: bar\ndata: d\n\n"]);
    assert.deepEqual(seen.retries, []);
    assert.deepEqual(seen.messages, [{ event: "message", id: "1", data: "d" }]);
  });

  it("handles comments without a space and a field without a colon", () => {
    const seen = parse([":no space\n:\ndata\n\n"]);
    assert.deepEqual(seen.comments, ["no space", ""]);
    assert.deepEqual(seen.messages, [{ event: "message", id: "", data: "" }]);
  });

  it("drops a byte order mark at the start only", () => {
    const seen = parse(["\ufeff", "data: x\n\n\ufeffdata: y\n\n"]);
    assert.deepEqual(
      seen.messages.map((m) => m.data),
      ["x"],
      "a BOM later on makes the field name unknown",
    );
  });

  it("discards an unterminated event at the end of the stream", () => {
    const seen = parse(["data: complete\n\ndata: partial"]);
    seen.parser.end();
    seen.parser.feed("\n\n");
    assert.deepEqual(
      seen.messages.map((m) => m.data),
      ["complete"],
    );
  });

  it("keeps multi-byte characters split across network chunks intact with a streaming decoder", () => {
    const bytes = new TextEncoder().encode('data: {"title":"Café – Ünïcode ✓"}\n\n');
    const decoder = new TextDecoder();
    const seen: SseMessage[] = [];
    const parser = new SseParser({ onMessage: (m) => seen.push(m) });
    for (let i = 0; i < bytes.length; i++) parser.feed(decoder.decode(bytes.subarray(i, i + 1), { stream: true }));
    assert.equal(seen[0]?.data, '{"title":"Café – Ünïcode ✓"}');
  });
});
