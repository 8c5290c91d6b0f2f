/**
 * @gazette/client: a small client for the Gazette content API, over types generated from
 * its OpenAPI document. No runtime dependencies: it needs only `fetch`, `AbortController`,
 * `TextDecoder` and `ReadableStream` (browsers, Node 20+, Deno, Bun, workers).
 */
import { GazetteError } from "./errors.js";
import { Transport, type Auth, type FetchLike, type Query } from "./http.js";
import { openStream, type StreamHandle, type StreamOptions } from "./stream.js";
import type {
  Article,
  ArticleCreate,
  ArticleList,
  ArticleListParams,
  ArticleListSparse,
  ArticlePatch,
  ArticleSparse,
  ArticleTeaser,
  ArticleTeaserSparse,
  Author,
  AuthorCreate,
  AuthorList,
  AuthorListParams,
  AuthorPatch,
  ChangeItem,
  ChangeList,
  Collection,
  CollectionCreate,
  CollectionList,
  CollectionListParams,
  CollectionPatch,
  CollectionSummary,
  Tag,
  TagCreate,
  TagList,
  TagListParams,
  TagPatch,
} from "./types.js";

export type * from "./types.js";
export type { components, operations, paths } from "./schema.js";
export { GazetteError, isGazetteError, parseRetryAfter } from "./errors.js";
export { SseParser, type SseHandlers, type SseMessage } from "./sse.js";
export {
  DEFAULT_RETRY_MS,
  type StreamEvent,
  type StreamHandle,
  type StreamOpenInfo,
  type StreamOptions,
} from "./stream.js";
export type { FetchLike } from "./http.js";

export interface GazetteOptions {
  /** The server's origin (and path prefix, if any), e.g. `https://api.example.com`. */
  baseUrl: string;
  /** A content key, sent as `Authorization: Bearer <key>` on reads. */
  key?: string | undefined;
  /** An admin key, sent on writes and on reads that ask for `{ admin: true }`. */
  adminKey?: string | undefined;
  /** A `fetch` implementation; defaults to the global one. */
  fetch?: FetchLike | undefined;
  /** Headers added to every request (e.g. a `User-Agent` on servers). */
  headers?: Record<string, string> | undefined;
}

/** Options every read accepts. */
export interface ReadOptions {
  /** Authenticate with the admin key (admin representation: drafts, schedules). */
  admin?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Options of a conditional GET. */
export interface GetOptions extends ReadOptions {
  /** The ETag you hold: sent as `If-None-Match`; a match answers `{ notModified: true }`. */
  etag?: string | undefined;
}

export interface WriteOptions {
  /** The ETag of the version you read: sent as `If-Match`; a stale one throws a 412. */
  ifMatch?: string | undefined;
  signal?: AbortSignal | undefined;
}

export type ArticleResult<A = Article> =
  | { notModified: false; article: A; etag: string | null }
  | { notModified: true; etag: string };

export type TagResult =
  | { notModified: false; tag: Tag; etag: string | null }
  | { notModified: true; etag: string };

export type AuthorResult =
  | { notModified: false; author: Author; etag: string | null }
  | { notModified: true; etag: string };

export type CollectionResult =
  | { notModified: false; collection: Collection; etag: string | null }
  | { notModified: true; etag: string };

export type PageResult<P> = { notModified: false; page: P; etag: string | null } | { notModified: true; etag: string };

/** The body of a write, with the ETag of the new version (for the next `ifMatch`). */
export interface ArticleWrite {
  article: Article;
  etag: string | null;
}

export interface TagWrite {
  tag: Tag;
  etag: string | null;
}

export interface AuthorWrite {
  author: Author;
  etag: string | null;
}

export interface CollectionWrite {
  collection: Collection;
  /** The ETag of the collection's new version: pass it as the next `ifMatch`. */
  etag: string | null;
}

export type SparseParams = ArticleListParams & { fields: string };

export interface ChangesParams extends ReadOptions {
  /** A `next_token` (or stream event id): what changed after it. Absent: initial sync. */
  since?: string | undefined;
  /** Only articles or only tags. */
  type?: "article" | "tag" | undefined;
  /** Only articles with this tag (slug). */
  tag?: string | undefined;
  /** Page size (the server's default and maximum is 100). */
  limit?: number | undefined;
}

export interface SyncOptions extends ReadOptions {
  /** The token stored after the previous sync; `undefined` syncs from scratch. */
  token?: string | undefined;
  type?: "article" | "tag" | undefined;
  tag?: string | undefined;
  limit?: number | undefined;
  /** Called for each item, in feed order; awaited before the next one. */
  onItem: (item: ChangeItem) => void | Promise<void>;
  /**
   * Called after each page's items were handled, with the token to resume from: store it
   * to checkpoint a long sync (a crash then resumes there instead of at the start).
   */
  onPage?: ((page: ChangeList, token: string) => void | Promise<void>) | undefined;
  /**
   * What to do when the server answers 410 (the token is older than its change log):
   * `"throw"` (default) throws the `GazetteError`; `"restart"` calls `onReset` and syncs
   * from scratch in the same call.
   */
  onExpired?: "throw" | "restart" | undefined;
  /** With `onExpired: "restart"`: drop your local copy here, a full sync follows. */
  onReset?: (() => void | Promise<void>) | undefined;
}

export interface SyncResult {
  /** Store this and pass it as `token` next time. */
  token: string;
  /** How many items were handled. */
  items: number;
  /** Whether this was a sync from scratch (no token, or a restart after a 410). */
  fromScratch: boolean;
}

export interface RevalidatingOptions {
  /** The most entries kept (least recently used ones are dropped). Default 500. */
  maxEntries?: number | undefined;
}

export class Gazette {
  readonly articles: ArticlesApi;
  readonly tags: TagsApi;
  readonly authors: AuthorsApi;
  readonly collections: CollectionsApi;
  readonly changes: ChangesApi;
  private readonly transport: Transport;

  constructor(options: GazetteOptions) {
    this.transport = new Transport(options);
    this.articles = new ArticlesApi(this.transport);
    this.tags = new TagsApi(this.transport);
    this.authors = new AuthorsApi(this.transport);
    this.collections = new CollectionsApi(this.transport);
    this.changes = new ChangesApi(this.transport);
  }

  /** The base URL requests go to (without a trailing slash). */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /**
   * Pages through `GET /api/v1/changes` from `token` (or from scratch) until `has_more`
   * is false, calling `onItem` for each item, and returns the token to store.
   */
  async sync(options: SyncOptions): Promise<SyncResult> {
    try {
      return await this.runSync(options, options.token);
    } catch (error) {
      if (
        options.onExpired === "restart" &&
        options.token !== undefined &&
        error instanceof GazetteError &&
        error.status === 410
      ) {
        await options.onReset?.();
        return this.runSync(options, undefined);
      }
      throw error;
    }
  }

  private async runSync(options: SyncOptions, token: string | undefined): Promise<SyncResult> {
    let since = token;
    let items = 0;
    for (;;) {
      const page = await this.changes.page({
        since,
        type: options.type,
        tag: options.tag,
        limit: options.limit,
        admin: options.admin,
        signal: options.signal,
      });
      for (const item of page.data) {
        await options.onItem(item);
        items += 1;
      }
      since = page.meta.next_token;
      await options.onPage?.(page, since);
      if (!page.meta.has_more) return { token: since, items, fromScratch: token === undefined };
    }
  }

  /**
   * Subscribes to `GET /api/v1/stream` (Server-Sent Events over fetch). Reconnects with
   * `Last-Event-ID` after a dropped connection or a `lagged` event, so no event is lost or
   * delivered twice; stops on `close()`, on `signal` abort, or on a fatal error (a 410
   * means: sync from scratch, then stream from the new token).
   */
  stream(options: StreamOptions): StreamHandle {
    return openStream(this.transport, options);
  }

  /**
   * A view of this client that revalidates its GETs: it remembers the last ETag and body
   * per URL, sends `If-None-Match`, and on `304 Not Modified` answers the remembered body.
   */
  revalidating(options: RevalidatingOptions = {}): RevalidatingClient {
    return new RevalidatingClient(this.transport, options.maxEntries ?? 500);
  }
}

function auth(options: ReadOptions | undefined): Auth {
  return options?.admin ? "admin" : "content";
}

function path(template: string, value: string | number): string {
  return template.replace("{}", encodeURIComponent(String(value)));
}

async function conditionalGet<T>(
  transport: Transport,
  urlPath: string,
  query: Query | undefined,
  options: GetOptions | undefined,
): Promise<{ notModified: false; body: T; etag: string | null } | { notModified: true; etag: string }> {
  const response = await transport.send({
    method: "GET",
    path: urlPath,
    query,
    auth: auth(options),
    signal: options?.signal,
    headers: { "If-None-Match": options?.etag },
    allow304: options?.etag !== undefined,
  });
  if (response.status === 304) {
    await response.body?.cancel().catch(() => undefined);
    return { notModified: true, etag: response.headers.get("etag") ?? (options?.etag as string) };
  }
  return { notModified: false, body: (await response.json()) as T, etag: response.headers.get("etag") };
}

export class ArticlesApi {
  constructor(private readonly transport: Transport) {}

  /** One page of `GET /api/v1/articles`. */
  page(params: SparseParams, options?: ReadOptions): Promise<ArticleListSparse>;
  page(params?: ArticleListParams, options?: ReadOptions): Promise<ArticleList>;
  async page(params: ArticleListParams = {}, options?: ReadOptions): Promise<ArticleList | ArticleListSparse> {
    const { body } = await this.transport.json<ArticleList>({
      method: "GET",
      path: "/api/v1/articles",
      query: params,
      auth: auth(options),
      signal: options?.signal,
    });
    return body;
  }

  /** Every page from `params.cursor` (or the start) on, following `meta.next_cursor`. */
  pages(params: SparseParams, options?: ReadOptions): AsyncGenerator<ArticleListSparse, void, undefined>;
  pages(params?: ArticleListParams, options?: ReadOptions): AsyncGenerator<ArticleList, void, undefined>;
  async *pages(params: ArticleListParams = {}, options?: ReadOptions): AsyncGenerator<ArticleList, void, undefined> {
    let cursor = params.cursor;
    for (;;) {
      const page = await this.page(cursor === undefined ? params : { ...params, cursor }, options);
      yield page;
      if (!page.meta.has_more || !page.meta.next_cursor) return;
      cursor = page.meta.next_cursor;
    }
  }

  /** Every teaser matching `params`, page after page (`limit` is the page size). */
  list(params: SparseParams, options?: ReadOptions): AsyncGenerator<ArticleTeaserSparse, void, undefined>;
  list(params?: ArticleListParams, options?: ReadOptions): AsyncGenerator<ArticleTeaser, void, undefined>;
  async *list(params: ArticleListParams = {}, options?: ReadOptions): AsyncGenerator<ArticleTeaser, void, undefined> {
    for await (const page of this.pages(params, options)) yield* page.data;
  }

  /**
   * `GET /api/v1/articles/{slug_or_id}`. With `etag`, sends `If-None-Match` and answers
   * `{ notModified: true, etag }` when the article is unchanged. A renamed slug is
   * followed to the article's current address.
   */
  get(slugOrId: string | number, options: GetOptions & { fields: string }): Promise<ArticleResult<ArticleSparse>>;
  get(slugOrId: string | number, options?: GetOptions & { fields?: undefined }): Promise<ArticleResult>;
  async get(
    slugOrId: string | number,
    options?: GetOptions & { fields?: string | undefined },
  ): Promise<ArticleResult<Article | ArticleSparse>> {
    const result = await conditionalGet<Article>(
      this.transport,
      path("/api/v1/articles/{}", slugOrId),
      { fields: options?.fields },
      options,
    );
    return result.notModified ? result : { notModified: false, article: result.body, etag: result.etag };
  }

  /** `POST /api/v1/articles` (admin key). */
  async create(body: ArticleCreate, options?: { signal?: AbortSignal | undefined }): Promise<ArticleWrite> {
    const { body: article, etag } = await this.transport.write<Article>({
      method: "POST",
      path: "/api/v1/articles",
      body,
      auth: "admin",
      signal: options?.signal,
    });
    return { article, etag };
  }

  /**
   * `PATCH /api/v1/articles/{slug_or_id}` (admin key), a JSON merge patch sent as
   * `application/json`. Pass the ETag you read as `ifMatch` to refuse lost updates (412).
   */
  async update(slugOrId: string | number, patch: ArticlePatch, options?: WriteOptions): Promise<ArticleWrite> {
    const { body: article, etag } = await this.transport.write<Article>({
      method: "PATCH",
      path: path("/api/v1/articles/{}", slugOrId),
      body: patch,
      headers: { "If-Match": options?.ifMatch },
      auth: "admin",
      signal: options?.signal,
    });
    return { article, etag };
  }

  /** `DELETE /api/v1/articles/{slug_or_id}` (admin key), optionally with `If-Match`. */
  async delete(slugOrId: string | number, options?: WriteOptions): Promise<void> {
    const response = await this.transport.send({
      method: "DELETE",
      path: path("/api/v1/articles/{}", slugOrId),
      headers: { "If-Match": options?.ifMatch },
      auth: "admin",
      signal: options?.signal,
    });
    await response.body?.cancel().catch(() => undefined);
  }
}

export class TagsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of `GET /api/v1/tags` (in slug order). */
  async page(params: TagListParams = {}, options?: ReadOptions): Promise<TagList> {
    const { body } = await this.transport.json<TagList>({
      method: "GET",
      path: "/api/v1/tags",
      query: params,
      auth: auth(options),
      signal: options?.signal,
    });
    return body;
  }

  /** Every tag, page after page. */
  async *list(params: TagListParams = {}, options?: ReadOptions): AsyncGenerator<Tag, void, undefined> {
    let cursor = params.cursor;
    for (;;) {
      const page = await this.page(cursor === undefined ? params : { ...params, cursor }, options);
      yield* page.data;
      if (!page.meta.has_more || !page.meta.next_cursor) return;
      cursor = page.meta.next_cursor;
    }
  }

  /** `GET /api/v1/tags/{slug}`, conditional when `etag` is given. */
  async get(slug: string, options?: GetOptions): Promise<TagResult> {
    const result = await conditionalGet<Tag>(this.transport, path("/api/v1/tags/{}", slug), undefined, options);
    return result.notModified ? result : { notModified: false, tag: result.body, etag: result.etag };
  }

  /** `POST /api/v1/tags` (admin key). */
  async create(body: TagCreate, options?: { signal?: AbortSignal | undefined }): Promise<TagWrite> {
    const { body: tag, etag } = await this.transport.write<Tag>({
      method: "POST",
      path: "/api/v1/tags",
      body,
      auth: "admin",
      signal: options?.signal,
    });
    return { tag, etag };
  }

  /** `PATCH /api/v1/tags/{slug}` (admin key). */
  async update(slug: string, patch: TagPatch, options?: { signal?: AbortSignal | undefined }): Promise<TagWrite> {
    const { body: tag, etag } = await this.transport.write<Tag>({
      method: "PATCH",
      path: path("/api/v1/tags/{}", slug),
      body: patch,
      auth: "admin",
      signal: options?.signal,
    });
    return { tag, etag };
  }

  /** `DELETE /api/v1/tags/{slug}` (admin key). */
  async delete(slug: string, options?: { signal?: AbortSignal | undefined }): Promise<void> {
    const response = await this.transport.send({
      method: "DELETE",
      path: path("/api/v1/tags/{}", slug),
      auth: "admin",
      signal: options?.signal,
    });
    await response.body?.cancel().catch(() => undefined);
  }
}

export class AuthorsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of `GET /api/v1/authors` (in slug order). */
  async page(params: AuthorListParams = {}, options?: ReadOptions): Promise<AuthorList> {
    const { body } = await this.transport.json<AuthorList>({
      method: "GET",
      path: "/api/v1/authors",
      query: params,
      auth: auth(options),
      signal: options?.signal,
    });
    return body;
  }

  /** Every author, page after page (`limit` is the page size). */
  async *list(params: AuthorListParams = {}, options?: ReadOptions): AsyncGenerator<Author, void, undefined> {
    let cursor = params.cursor;
    for (;;) {
      const page = await this.page(cursor === undefined ? params : { ...params, cursor }, options);
      yield* page.data;
      if (!page.meta.has_more || !page.meta.next_cursor) return;
      cursor = page.meta.next_cursor;
    }
  }

  /** `GET /api/v1/authors/{slug}`, conditional when `etag` is given. */
  async get(slug: string, options?: GetOptions): Promise<AuthorResult> {
    const result = await conditionalGet<Author>(this.transport, path("/api/v1/authors/{}", slug), undefined, options);
    return result.notModified ? result : { notModified: false, author: result.body, etag: result.etag };
  }

  /** `POST /api/v1/authors` (admin key). The slug is derived from the name when absent. */
  async create(body: AuthorCreate, options?: { signal?: AbortSignal | undefined }): Promise<AuthorWrite> {
    const { body: author, etag } = await this.transport.write<Author>({
      method: "POST",
      path: "/api/v1/authors",
      body,
      auth: "admin",
      signal: options?.signal,
    });
    return { author, etag };
  }

  /**
   * `PATCH /api/v1/authors/{slug}` (admin key): omitted fields stay, `null` clears `role`,
   * `bio` and `image`. The bylines of the articles crediting the author follow a new name.
   */
  async update(slug: string, patch: AuthorPatch, options?: { signal?: AbortSignal | undefined }): Promise<AuthorWrite> {
    const { body: author, etag } = await this.transport.write<Author>({
      method: "PATCH",
      path: path("/api/v1/authors/{}", slug),
      body: patch,
      auth: "admin",
      signal: options?.signal,
    });
    return { author, etag };
  }

  /** `DELETE /api/v1/authors/{slug}` (admin key). */
  async delete(slug: string, options?: { signal?: AbortSignal | undefined }): Promise<void> {
    const response = await this.transport.send({
      method: "DELETE",
      path: path("/api/v1/authors/{}", slug),
      auth: "admin",
      signal: options?.signal,
    });
    await response.body?.cancel().catch(() => undefined);
  }
}

export class CollectionsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of `GET /api/v1/collections` (summaries without items, in slug order). */
  async page(params: CollectionListParams = {}, options?: ReadOptions): Promise<CollectionList> {
    const { body } = await this.transport.json<CollectionList>({
      method: "GET",
      path: "/api/v1/collections",
      query: params,
      auth: auth(options),
      signal: options?.signal,
    });
    return body;
  }

  /** Every collection's summary, page after page (`limit` is the page size). */
  async *list(
    params: CollectionListParams = {},
    options?: ReadOptions,
  ): AsyncGenerator<CollectionSummary, void, undefined> {
    let cursor = params.cursor;
    for (;;) {
      const page = await this.page(cursor === undefined ? params : { ...params, cursor }, options);
      yield* page.data;
      if (!page.meta.has_more || !page.meta.next_cursor) return;
      cursor = page.meta.next_cursor;
    }
  }

  /**
   * `GET /api/v1/collections/{slug}`: the collection with its items in order (published
   * articles only; with `{ admin: true }` drafts and scheduled ones too), and its ETag.
   * Read it with `{ admin: true }` before a write: the server checks `ifMatch` against the
   * admin representation. Conditional when `etag` is given.
   */
  async get(slug: string, options?: GetOptions): Promise<CollectionResult> {
    const result = await conditionalGet<Collection>(
      this.transport,
      path("/api/v1/collections/{}", slug),
      undefined,
      options,
    );
    return result.notModified ? result : { notModified: false, collection: result.body, etag: result.etag };
  }

  /** `POST /api/v1/collections` (admin key); `articles` are slugs or ids, in order. */
  async create(body: CollectionCreate, options?: { signal?: AbortSignal | undefined }): Promise<CollectionWrite> {
    const { body: collection, etag } = await this.transport.write<Collection>({
      method: "POST",
      path: "/api/v1/collections",
      body,
      auth: "admin",
      signal: options?.signal,
    });
    return { collection, etag };
  }

  /**
   * `PATCH /api/v1/collections/{slug}` (admin key): the collection's own fields (`null`
   * clears `description`). Pass the ETag you read as `ifMatch` to refuse lost updates (412).
   */
  async update(slug: string, patch: CollectionPatch, options?: WriteOptions): Promise<CollectionWrite> {
    const { body: collection, etag } = await this.transport.write<Collection>({
      method: "PATCH",
      path: path("/api/v1/collections/{}", slug),
      body: patch,
      headers: { "If-Match": options?.ifMatch },
      auth: "admin",
      signal: options?.signal,
    });
    return { collection, etag };
  }

  /**
   * `PUT /api/v1/collections/{slug}/items` (admin key): replaces the collection's articles
   * with `articles` (slugs or ids; ids are sent as strings), in that order. Pass the ETag
   * you read as `ifMatch` so a reorder made meanwhile by someone else is not overwritten
   * (412, with `currentEtag`).
   */
  async replaceItems(
    slug: string,
    articles: readonly (string | number)[],
    options?: WriteOptions,
  ): Promise<CollectionWrite> {
    const { body: collection, etag } = await this.transport.write<Collection>({
      method: "PUT",
      path: path("/api/v1/collections/{}/items", slug),
      body: { articles: articles.map((a) => String(a)) },
      headers: { "If-Match": options?.ifMatch },
      auth: "admin",
      signal: options?.signal,
    });
    return { collection, etag };
  }

  /** `DELETE /api/v1/collections/{slug}` (admin key); the articles stay. */
  async delete(slug: string, options?: { signal?: AbortSignal | undefined }): Promise<void> {
    const response = await this.transport.send({
      method: "DELETE",
      path: path("/api/v1/collections/{}", slug),
      auth: "admin",
      signal: options?.signal,
    });
    await response.body?.cancel().catch(() => undefined);
  }
}

export class ChangesApi {
  constructor(private readonly transport: Transport) {}

  /**
   * One page of `GET /api/v1/changes`. Throws a `GazetteError` with status 400 for a
   * malformed token and 410 when the token is too old (call again without `since`).
   */
  async page(params: ChangesParams = {}): Promise<ChangeList> {
    const { body } = await this.transport.json<ChangeList>({
      method: "GET",
      path: "/api/v1/changes",
      query: { since: params.since, type: params.type, tag: params.tag, limit: params.limit },
      auth: auth(params),
      signal: params.signal,
    });
    return body;
  }

  /** Every page from `since` on until `has_more` is false. */
  async *pages(params: ChangesParams = {}): AsyncGenerator<ChangeList, void, undefined> {
    let since = params.since;
    for (;;) {
      const page = await this.page({ ...params, since });
      yield page;
      if (!page.meta.has_more) return;
      since = page.meta.next_token;
    }
  }
}

interface CacheEntry {
  etag: string;
  body: unknown;
}

/**
 * GETs that keep the last ETag and body per URL (and key) and revalidate them: an
 * unchanged resource costs a `304` and answers from memory. Results say `fromCache`.
 */
export class RevalidatingClient {
  readonly articles: {
    get(slugOrId: string | number, options?: ReadOptions): Promise<Revalidated<Article> & { article: Article }>;
    page(params?: ArticleListParams, options?: ReadOptions): Promise<Revalidated<ArticleList> & { page: ArticleList }>;
  };
  readonly tags: {
    get(slug: string, options?: ReadOptions): Promise<Revalidated<Tag> & { tag: Tag }>;
    page(params?: TagListParams, options?: ReadOptions): Promise<Revalidated<TagList> & { page: TagList }>;
  };
  readonly authors: {
    get(slug: string, options?: ReadOptions): Promise<Revalidated<Author> & { author: Author }>;
    page(params?: AuthorListParams, options?: ReadOptions): Promise<Revalidated<AuthorList> & { page: AuthorList }>;
  };
  readonly collections: {
    get(slug: string, options?: ReadOptions): Promise<Revalidated<Collection> & { collection: Collection }>;
    page(
      params?: CollectionListParams,
      options?: ReadOptions,
    ): Promise<Revalidated<CollectionList> & { page: CollectionList }>;
  };
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly transport: Transport,
    private readonly maxEntries: number,
  ) {
    this.articles = {
      get: async (slugOrId, options) => {
        const r = await this.getJson<Article>(path("/api/v1/articles/{}", slugOrId), undefined, options);
        return { ...r, article: r.body };
      },
      page: async (params = {}, options) => {
        const r = await this.getJson<ArticleList>("/api/v1/articles", params, options);
        return { ...r, page: r.body };
      },
    };
    this.tags = {
      get: async (slug, options) => {
        const r = await this.getJson<Tag>(path("/api/v1/tags/{}", slug), undefined, options);
        return { ...r, tag: r.body };
      },
      page: async (params = {}, options) => {
        const r = await this.getJson<TagList>("/api/v1/tags", params, options);
        return { ...r, page: r.body };
      },
    };
    this.authors = {
      get: async (slug, options) => {
        const r = await this.getJson<Author>(path("/api/v1/authors/{}", slug), undefined, options);
        return { ...r, author: r.body };
      },
      page: async (params = {}, options) => {
        const r = await this.getJson<AuthorList>("/api/v1/authors", params, options);
        return { ...r, page: r.body };
      },
    };
    this.collections = {
      get: async (slug, options) => {
        const r = await this.getJson<Collection>(path("/api/v1/collections/{}", slug), undefined, options);
        return { ...r, collection: r.body };
      },
      page: async (params = {}, options) => {
        const r = await this.getJson<CollectionList>("/api/v1/collections", params, options);
        return { ...r, page: r.body };
      },
    };
  }

  /** A revalidated GET of any JSON resource of the API, e.g. `/api/v1/articles/x/related`. */
  async getJson<T>(urlPath: string, query?: Query, options?: ReadOptions): Promise<Revalidated<T>> {
    const mode = auth(options);
    const cacheKey = `${mode} ${this.transport.url(urlPath, query)}`;
    const cached = this.entries.get(cacheKey);
    const result = await conditionalGet<T>(this.transport, urlPath, query, { ...options, etag: cached?.etag });
    if (result.notModified && cached) {
      // Refresh the entry's place in the least-recently-used order.
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, { etag: result.etag, body: cached.body });
      return { body: cached.body as T, etag: result.etag, fromCache: true };
    }
    if (result.notModified) {
      throw new Error("Gazette: 304 Not Modified without a cached body"); // cannot happen: no etag was sent
    }
    this.entries.delete(cacheKey);
    if (result.etag !== null) {
      this.entries.set(cacheKey, { etag: result.etag, body: result.body });
      while (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
    }
    return { body: result.body, etag: result.etag, fromCache: false };
  }

  /** How many responses are remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every remembered response. */
  clear(): void {
    this.entries.clear();
  }
}

export interface Revalidated<T> {
  body: T;
  etag: string | null;
  /** True when the server answered 304 and the body came from memory. */
  fromCache: boolean;
}

export default Gazette;
