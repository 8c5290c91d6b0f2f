import { GazetteError } from "./errors.js";
import type { Auth, Transport } from "./http.js";
import { SseParser, type SseMessage } from "./sse.js";
import type { ChangeItem } from "./types.js";

/** The reconnection delay until the server sends `retry:`. */
export const DEFAULT_RETRY_MS = 3000;

export interface StreamOptions {
  /** Only changes to articles with this tag (slug). */
  tag?: string | undefined;
  /** Only changes to this article (slug or id). */
  article?: string | number | undefined;
  /**
   * Resume after this event id (a stream event's `id`, or a `/changes` `next_token`):
   * events after it are delivered, none before it. Without it the stream starts now.
   */
  lastEventId?: string | undefined;
  /** Aborting this signal closes the stream, like `close()`. */
  signal?: AbortSignal | undefined;
  /**
   * Called for each change event, one at a time (an async handler is awaited before the
   * next event is read). If it throws, the stream stops and `onError` gets the error; the
   * failed event's id is not recorded, so resuming from `lastEventId` delivers it again.
   */
  onEvent: (event: StreamEvent) => void | Promise<void>;
  /** Called when a connection is established (the server's `ready` event). */
  onOpen?: ((info: StreamOpenInfo) => void) | undefined;
  /**
   * Called for errors. With `willRetry: true` the client reconnects by itself (network
   * errors, 429, 5xx such as the 503 of a server with too many streams). With
   * `willRetry: false` the stream has stopped: e.g. a 410 `GazetteError` (the event id is
   * older than the server's change log: sync from scratch), a 401/403, or a throwing
   * `onEvent`.
   */
  onError?: ((error: unknown, info: { willRetry: boolean; retryInMs?: number }) => void) | undefined;
  /** Called when the server says the client fell behind (`lagged`); it reconnects itself. */
  onLagged?: ((detail: string) => void) | undefined;
  /**
   * Send the content key as `?key=` instead of the `Authorization` header (only when a
   * content key is configured and `admin` is not set), and the resume position as
   * `?last_event_id=` instead of `Last-Event-ID`: the request then has no custom header,
   * like an EventSource's. Default `false`.
   */
  keyInQuery?: boolean | undefined;
  /** Authenticate with the admin key (the stream then includes drafts and schedules). */
  admin?: boolean | undefined;
  /** The reconnection delay in ms until the server sends `retry:` (default 3000). */
  retryMs?: number | undefined;
  /** The upper bound of the backoff after consecutive failed connections (default 30000). */
  maxRetryMs?: number | undefined;
  /**
   * Reconnect when nothing (not even a `: keep-alive` comment, sent every 15 s) arrived for
   * this many ms. Default 45000; `0` disables it.
   */
  idleTimeoutMs?: number | undefined;
}

/** One change event from the stream. */
export interface StreamEvent {
  /** The event name: the change kind, e.g. `article.published`, `tag.deleted`. */
  event: string;
  /** The event id: an opaque position token, usable as `lastEventId` or as `since`. */
  id: string;
  /** The raw `data:` text. */
  data: string;
  /** The data parsed as a change item (its `article` and `tag` are null), or null. */
  change: ChangeItem | null;
}

export interface StreamOpenInfo {
  /** The position the stream starts at (the `ready` event's token). */
  token: string;
  /** Whether this connection resumed from a `Last-Event-ID`. */
  resumed: boolean;
  /** How many connections this stream has made so far (1 for the first). */
  connection: number;
}

export interface StreamHandle {
  /** Stops the stream; no callback is called afterwards. */
  close(): void;
  /** The id of the last event handled (or of the `ready` event); use it to resume later. */
  readonly lastEventId: string | undefined;
  /** Settles when the stream has stopped for good (closed, aborted, or a fatal error). */
  readonly closed: Promise<void>;
}

type Outcome = { stop: true } | { stop: false; failed: boolean; delayMs?: number | undefined; error?: unknown };
const STOP: Outcome = { stop: true };

export function openStream(transport: Transport, options: StreamOptions): StreamHandle {
  if (typeof options.onEvent !== "function") throw new TypeError("stream: onEvent is required");
  const auth: Auth = options.admin ? "admin" : "content";
  const keyInQuery = Boolean(options.keyInQuery) && auth === "content" && transport.key !== undefined;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;

  const outer = new AbortController();
  let stopped = false;
  let lastEventId: string | undefined = options.lastEventId || undefined;
  let retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  let connections = 0;

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    outer.abort();
  };
  const onUserAbort = (): void => stop();
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener("abort", onUserAbort, { once: true });

  const report = (error: unknown, willRetry: boolean, retryInMs?: number): void => {
    if (stopped || !options.onError) return;
    try {
      options.onError(error, willRetry && retryInMs !== undefined ? { willRetry, retryInMs } : { willRetry });
    } catch {
      // An error handler that throws must not break the reconnection loop.
    }
  };

  async function connectOnce(): Promise<Outcome> {
    const connection = new AbortController();
    const abortConnection = (): void => connection.abort();
    outer.signal.addEventListener("abort", abortConnection, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      if (idleTimeoutMs > 0) idleTimer = setTimeout(abortConnection, idleTimeoutMs);
    };
    const resumed = lastEventId !== undefined;
    // With the key in the query, the position goes there too: a cross-origin request
    // with no custom header needs no CORS preflight, as with EventSource.
    const url = transport.url("/api/v1/stream", {
      tag: options.tag,
      article: options.article,
      key: keyInQuery ? transport.key : undefined,
      last_event_id: keyInQuery ? lastEventId : undefined,
    });
    const headers = transport.headers(
      auth,
      { Accept: "text/event-stream", "Last-Event-ID": keyInQuery ? undefined : lastEventId },
      !keyInQuery,
    );
    connections += 1;
    try {
      let response: Response;
      try {
        armIdle();
        response = await transport.fetch(url, { headers, signal: connection.signal, cache: "no-store" });
      } catch (error) {
        if (stopped) return STOP;
        return { stop: false, failed: true, ...reconnectAfter(error) };
      } finally {
        clearTimeout(idleTimer);
      }

      if (!response.ok) {
        const error = await GazetteError.fromResponse(response, "GET", url);
        const transient = error.status === 408 || error.status === 429 || error.status >= 500;
        if (!transient) {
          report(error, false);
          return STOP;
        }
        const after = error.retryAfter;
        return { stop: false, failed: true, ...reconnectAfter(error, after === undefined ? undefined : after * 1000) };
      }
      const type = response.headers.get("content-type") ?? "";
      if (!/^text\/event-stream/i.test(type) || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        report(new Error(`stream: expected text/event-stream, got '${type || "no content type"}'`), false);
        return STOP;
      }

      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const queue: SseMessage[] = [];
      const parser = new SseParser({
        onMessage: (message) => queue.push(message),
        onRetry: (ms) => {
          retryMs = ms;
        },
      });
      let opened = false;
      try {
        for (;;) {
          armIdle();
          const { value, done } = await reader.read();
          clearTimeout(idleTimer);
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          while (queue.length > 0) {
            const message = queue.shift() as SseMessage;
            if (stopped) return STOP;
            if (message.event === "ready") {
              opened = true;
              const token = readField(message.data, "token") ?? message.id;
              // When resuming, keep our own position: events replayed after `ready` carry
              // their ids, and the one we hold is never ahead of them.
              if (lastEventId === undefined && (message.id || token)) lastEventId = message.id || token;
              try {
                options.onOpen?.({ token, resumed, connection: connections });
              } catch (error) {
                report(error, false);
                stop();
                return STOP;
              }
              continue;
            }
            if (message.event === "lagged") {
              const detail = readField(message.data, "detail") ?? message.data;
              try {
                options.onLagged?.(detail);
              } catch {
                // Ignored: the reconnection happens regardless.
              }
              return { stop: false, failed: false };
            }
            const event: StreamEvent = {
              event: message.event,
              id: message.id,
              data: message.data,
              change: parseChange(message.data),
            };
            try {
              await options.onEvent(event);
            } catch (error) {
              report(error, false);
              stop();
              return STOP;
            }
            if (message.id) lastEventId = message.id;
          }
        }
        // The server ended the response: reconnect after the retry delay.
        if (stopped) return STOP;
        return { stop: false, failed: !opened };
      } catch (error) {
        if (stopped) return STOP;
        return { stop: false, failed: !opened, ...reconnectAfter(error) };
      } finally {
        clearTimeout(idleTimer);
        reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(idleTimer);
      outer.signal.removeEventListener("abort", abortConnection);
    }
  }

  // Errors that lead to a reconnection are reported by run(), once the delay is known.
  function reconnectAfter(error: unknown, delayMs?: number): { error: unknown; delayMs?: number } {
    return delayMs === undefined ? { error } : { error, delayMs };
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const outcome = await connectOnce();
      if (outcome.stop || stopped) return;
      let delay: number;
      if (outcome.failed) {
        failures += 1;
        const backoff = Math.min(maxRetryMs, retryMs * 2 ** (failures - 1));
        delay = outcome.delayMs ?? backoff;
        if (outcome.delayMs === undefined && failures > 1) delay = Math.round(delay * (0.8 + Math.random() * 0.4));
      } else {
        failures = 0;
        delay = retryMs;
      }
      if ("error" in outcome) report(outcome.error, true, delay);
      await sleep(delay, outer.signal);
    }
  }

  const closed = run()
    .catch((error: unknown) => report(error, false))
    .finally(() => {
      stopped = true;
      options.signal?.removeEventListener("abort", onUserAbort);
    });

  return {
    close: stop,
    get lastEventId() {
      return lastEventId;
    },
    closed,
  };
}

function parseChange(data: string): ChangeItem | null {
  try {
    const value: unknown = JSON.parse(data);
    if (value !== null && typeof value === "object" && "change" in value && "type" in value) {
      return value as ChangeItem;
    }
  } catch {
    // Not JSON: the raw data is still in `event.data`.
  }
  return null;
}

function readField(data: string, field: string): string | undefined {
  try {
    const value: unknown = JSON.parse(data);
    if (value !== null && typeof value === "object") {
      const member = (value as Record<string, unknown>)[field];
      if (typeof member === "string") return member;
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
