import { GazetteError } from "./errors.js";

/** Which key a request carries: the content key, the admin key, or none. */
export type Auth = "content" | "admin";

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  key?: string | undefined;
  adminKey?: string | undefined;
  fetch?: FetchLike | undefined;
  headers?: Record<string, string> | undefined;
}

export interface RequestSpec {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  query?: Query | undefined;
  headers?: Record<string, string | undefined> | undefined;
  body?: unknown;
  auth: Auth;
  signal?: AbortSignal | undefined;
  /** Treat `304 Not Modified` as a success (for conditional GETs). */
  allow304?: boolean;
}

/** Builds URLs, adds credentials and turns error answers into `GazetteError`s. */
export class Transport {
  readonly baseUrl: string;
  readonly key: string | undefined;
  readonly adminKey: string | undefined;
  readonly fetch: FetchLike;
  private readonly extraHeaders: Record<string, string>;

  constructor(options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError("Gazette: baseUrl is required");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.key = options.key || undefined;
    this.adminKey = options.adminKey || undefined;
    const f = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof f !== "function") {
      throw new TypeError("Gazette: no fetch implementation; pass one as the `fetch` option");
    }
    // Called through a wrapper so a browser's fetch is never invoked with a foreign `this`.
    this.fetch = (input, init) => f(input, init);
    this.extraHeaders = { ...options.headers };
  }

  url(path: string, query?: Query): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (const item of value) search.append(name, String(item));
      } else {
        search.append(name, String(value));
      }
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  /** The key a request with `auth` carries, if any. */
  credential(auth: Auth): string | undefined {
    return auth === "admin" ? (this.adminKey ?? this.key) : this.key;
  }

  headers(auth: Auth, extra?: Record<string, string | undefined>, withKey = true): Headers {
    const headers = new Headers(this.extraHeaders);
    const key = this.credential(auth);
    if (withKey && key) headers.set("Authorization", `Bearer ${key}`);
    for (const [name, value] of Object.entries(extra ?? {})) {
      if (value !== undefined) headers.set(name, value);
    }
    return headers;
  }

  /** Sends a request; answers outside 2xx (and 304 unless allowed) throw `GazetteError`. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    const headers = this.headers(spec.auth, spec.headers);
    const init: RequestInit = { method: spec.method, headers };
    if (spec.signal) init.signal = spec.signal;
    if (spec.body !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(spec.body);
    }
    const response = await this.fetch(url, init);
    if (response.ok || (spec.allow304 && response.status === 304)) return response;
    throw await GazetteError.fromResponse(response, spec.method, url);
  }

  /**
   * Sends a write and parses its JSON body, with the ETag of the new version from the
   * answer's `ETag` header (`null` for a write whose answer has none).
   */
  async write<T>(spec: RequestSpec): Promise<{ body: T; etag: string | null }> {
    const response = await this.send(spec);
    const body = (await response.json()) as T;
    return { body, etag: response.headers.get("etag") };
  }

  /** Sends a request and parses its JSON body. */
  async json<T>(spec: RequestSpec): Promise<{ body: T; response: Response }> {
    const response = await this.send(spec);
    return { body: (await response.json()) as T, response };
  }
}
