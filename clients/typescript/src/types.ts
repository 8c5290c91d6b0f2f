/**
 * Friendly names for the types generated from the OpenAPI document (`schema.d.ts`). The
 * change feed's types are taken from there too once the document describes them
 * (`ChangeItem`, `ChangeFeed`, `ChangeMeta`); until then the hand-written ones below,
 * which follow the same wire format, stand in.
 */
import type { components, operations } from "./schema.js";

type Schemas = components["schemas"];
/** The generated schema `K` when the OpenAPI document has it, else `Fallback`. */
type Generated<K extends string, Fallback> = K extends keyof Schemas ? Schemas[K] : Fallback;

export type Article = Schemas["Article"];
export type ArticleSparse = Schemas["ArticleSparse"];
export type ArticleTeaser = Schemas["ArticleTeaser"];
export type ArticleTeaserSparse = Schemas["ArticleTeaserSparse"];
export type ArticleList = Schemas["ArticleList"];
export type ArticleListSparse = Schemas["ArticleListSparse"];
export type ArticleCreate = Schemas["ArticleCreate"];
export type ArticlePatch = Schemas["ArticlePatch"];
export type ArticleSort = Schemas["ArticleSort"];
export type ArticleStatus = Schemas["ArticleStatus"];
export type EditorialStatus = Schemas["EditorialStatus"];
export type Tag = Schemas["Tag"];
export type TagList = Schemas["TagList"];
export type TagCreate = Schemas["TagCreate"];
export type TagPatch = Schemas["TagPatch"];
export type Author = Schemas["Author"];
export type AuthorList = Schemas["AuthorList"];
export type AuthorCreate = Schemas["AuthorCreate"];
export type AuthorPatch = Schemas["AuthorPatch"];
/** An author as an article (or teaser) credits them. */
export type ArticleAuthor = Schemas["ArticleAuthor"];
/** A link on an author's profile (`{ label, url }`). */
export type ProfileLink = Schemas["ProfileLink"];
export type Collection = Schemas["Collection"];
/** A page of collections: their summaries, without items. */
export type CollectionList = Schemas["CollectionList"];
export type CollectionSummary = Schemas["CollectionSummary"];
export type CollectionCreate = Schemas["CollectionCreate"];
export type CollectionPatch = Schemas["CollectionPatch"];
export type CollectionItems = Schemas["CollectionItems"];
/** An image as read (feature images, author portraits), with its renditions. */
export type ImageOut = Schemas["ImageOut"];
/** An image as written (`feature_image` of an article, `image` of an author). */
export type ImageInput = Schemas["ImageInput"];
export type FocalPoint = Schemas["FocalPoint"];
export type Rendition = Schemas["Rendition"];
export type ListMeta = Schemas["ListMeta"];
export type Problem = Schemas["Problem"];
export type FieldError = Schemas["FieldError"];

/** Query parameters of `GET /api/v1/articles`. */
export type ArticleListParams = NonNullable<operations["listArticles"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/tags`. */
export type TagListParams = NonNullable<operations["listTags"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/authors`. */
export type AuthorListParams = NonNullable<operations["listAuthors"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/collections`. */
export type CollectionListParams = NonNullable<operations["listCollections"]["parameters"]["query"]>;

// ---------------------------------------------------------------------------------------
// Change feed (`GET /api/v1/changes`) and event stream (`GET /api/v1/stream`).
// ---------------------------------------------------------------------------------------

/** What caused a change; `"sync"` for the items of an initial sync. */
export type ChangeKind =
  | "sync"
  | "article.published"
  | "article.updated"
  | "article.unpublished"
  | "article.deleted"
  | "tag.created"
  | "tag.updated"
  | "tag.deleted"
  // Kinds added by later server versions are passed through as they are.
  | (string & {});

/**
 * Why an item left the reader's view (for `change: "delete"`): `untagged` when the feed is
 * filtered by a tag the article no longer carries; `renamed` for a tag's former slug (the
 * new slug comes as an upsert).
 */
export type ChangeReason = "deleted" | "unpublished" | "archived" | "untagged" | "renamed";

/** One entry of the change feed (hand-written; see `ChangeItem`). */
export interface ChangeItemWire {
  type: "article" | "tag";
  change: "upsert" | "delete";
  /** The article's id; `null` for tags. */
  id: number | null;
  slug: string;
  reason: ChangeReason | null;
  kind: ChangeKind;
  /**
   * For an article upsert from `/changes`: the article exactly as
   * `GET /api/v1/articles/{id}` shows it. Always `null` in stream events.
   */
  article: Article | null;
  /** For a tag upsert from `/changes`: the tag as `GET /api/v1/tags/{slug}` shows it. */
  tag: Tag | null;
}

/** Hand-written; see `ChangeListMeta`. */
export interface ChangeMetaWire {
  limit: number;
  has_more: boolean;
  /** Never null: pass as `since` for the next page, or store it for the next delta. */
  next_token: string;
}

/** Hand-written; see `ChangeList`. */
export interface ChangeFeedWire {
  data: ChangeItem[];
  meta: ChangeListMeta;
}

/** One entry of the change feed. */
export type ChangeItem = Generated<"ChangeItem", ChangeItemWire>;
/** The `meta` of a change feed page. */
export type ChangeListMeta = Generated<"ChangeMeta", ChangeMetaWire>;
/** A page of the change feed. */
export type ChangeList = Generated<"ChangeFeed", ChangeFeedWire>;
