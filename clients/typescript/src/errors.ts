import type { FieldError, Problem } from "./types.js";

/**
 * A non-2xx answer from Gazette. For `application/problem+json` answers (all errors of
 * the API) the fields come from the RFC 9457 problem object; for anything else they are
 * made up from the status line and `problem` is `null`.
 */
export class GazetteError extends Error {
  override readonly name = "GazetteError";
  /** The HTTP status code. */
  readonly status: number;
  /** The problem type URI (`about:blank` when the status says it all). */
  readonly type: string;
  /** The HTTP status phrase. */
  readonly title: string;
  /** What went wrong and what to fix. */
  readonly detail: string;
  /** The parsed problem object, or `null` when the answer was not problem JSON. */
  readonly problem: Problem | null;
  /** The response headers (e.g. `Retry-After`, `Location`, `ETag`). */
  readonly headers: Headers;
  /** The request's method and URL. */
  readonly method: string;
  readonly url: string;

  constructor(init: {
    status: number;
    type: string;
    title: string;
    detail: string;
    problem: Problem | null;
    headers: Headers;
    method: string;
    url: string;
  }) {
    super(`${init.status} ${init.title}: ${init.detail}`);
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.problem = init.problem;
    this.headers = init.headers;
    this.method = init.method;
    this.url = init.url;
  }

  /** The invalid fields of a 400 or 422 answer (empty when none were named). */
  get errors(): FieldError[] {
    return this.problem?.errors ?? [];
  }

  /** For a 412 (stale `If-Match`): the resource's current ETag, when the server said. */
  get currentEtag(): string | null {
    return this.problem?.current_etag ?? null;
  }

  /**
   * Seconds to wait before retrying, from `Retry-After` (given in seconds or as an HTTP
   * date), for 429 and 503 answers; `undefined` when the header is absent or unreadable.
   */
  get retryAfter(): number | undefined {
    return parseRetryAfter(this.headers.get("retry-after"));
  }

  /**
   * Builds the error from a response, reading its body. Never throws: an unreadable body
   * just leaves the status line to describe the error.
   */
  static async fromResponse(response: Response, method: string, url: string): Promise<GazetteError> {
    const contentType = response.headers.get("content-type") ?? "";
    let text = "";
    try {
      text = await response.text();
    } catch {
      // The body could not be read; describe the error by its status alone.
    }
    let problem: Problem | null = null;
    if (/json/i.test(contentType) && text !== "") {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
          problem = parsed as Problem;
        }
      } catch {
        // Not JSON after all.
      }
    }
    const title = str(problem?.title) ?? (response.statusText || `HTTP ${response.status}`);
    return new GazetteError({
      status: response.status,
      type: str(problem?.type) ?? "about:blank",
      title,
      detail: str(problem?.detail) ?? (text.trim().slice(0, 500) || title),
      problem,
      headers: response.headers,
      method,
      url,
    });
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Parses a `Retry-After` value into seconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Whether `error` is a `GazetteError`, optionally with the given status. */
export function isGazetteError(error: unknown, status?: number): error is GazetteError {
  return error instanceof GazetteError && (status === undefined || error.status === status);
}
