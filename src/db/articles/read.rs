//! Reading articles: lists, one article with its tags and related reading, slugs.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamp};

use super::model::*;
use crate::db::blocks::{self, BlockVisibility, Selector};
use crate::db::related::{Suggestion, related_of, suggestions};
use crate::db::{AnyConnection, Backend, Conn, Page, StoreError, StoreResult, changes, kept};
use crate::schema::{
    article_authors, article_slugs, article_tags, articles, authors as authors_t, tags as tags_t,
};

fn list_filter(f: &Filters) -> ArticleFilter {
    let mut filter = visible(f.visibility);
    for slug in &f.tags {
        let tagged = article_tags::table
            .inner_join(tags_t::table)
            .filter(tags_t::slug.eq(slug.clone()))
            .select(article_tags::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(tagged)));
    }
    for slug in &f.authors {
        let credited = article_authors::table
            .inner_join(authors_t::table)
            .filter(authors_t::slug.eq(slug.clone()))
            .select(article_authors::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(credited)));
    }
    if let Some(after) = f.published_after {
        filter = Box::new(filter.and(articles::published_at.assume_not_null().gt(after)));
    }
    if let Some(before) = f.published_before {
        filter = Box::new(filter.and(articles::published_at.assume_not_null().lt(before)));
    }
    filter
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many articles a list holds on all its pages. Without tag or date filters, from the
/// per-status counts the database keeps (`article_counts`): the published ones less those not
/// yet due, which an index range finds (few, where counting the visible ones meant reading
/// an index entry per article, most of a page's time at 100k articles: BENCHMARKS.md).
fn list_total(conn: &mut Conn, f: &Filters) -> QueryResult<i64> {
    let counted = |status: ArticleStatus| -> String {
        format!("COALESCE((SELECT n FROM article_counts WHERE status = '{status}'), 0)")
    };
    let published = ArticleStatus::Published;
    let plain = f.tags.is_empty()
        && f.authors.is_empty()
        && f.published_after.is_none()
        && f.published_before.is_none();
    let sql = match f.visibility {
        _ if !plain => None,
        Visibility::Public { now } | Visibility::State(EditorialStatus::Published, now) => {
            let placeholder = match conn {
                AnyConnection::Postgres(_) => "$1",
                AnyConnection::Sqlite(_) => "?",
            };
            // Two counts, not one with an OR, which SQLite would answer by reading every
            // published article's index entry.
            let sql = format!(
                "SELECT {} \
                 - (SELECT COUNT(*) FROM articles WHERE status = '{published}' \
                 AND published_at > {placeholder}) \
                 - (SELECT COUNT(*) FROM articles WHERE status = '{published}' \
                 AND published_at IS NULL) AS n",
                counted(published)
            );
            return Ok(diesel::sql_query(sql)
                .bind::<Timestamp, _>(now)
                .get_result::<Total>(conn)?
                .n);
        }
        Visibility::State(EditorialStatus::Draft, _) => Some(counted(ArticleStatus::Draft)),
        Visibility::State(EditorialStatus::Archived, _) => Some(counted(ArticleStatus::Archived)),
        Visibility::All => Some(format!(
            "{} + {} + {}",
            counted(ArticleStatus::Draft),
            counted(published),
            counted(ArticleStatus::Archived)
        )),
        Visibility::State(EditorialStatus::Scheduled, _) => None,
    };
    match sql {
        Some(sum) => Ok(diesel::sql_query(format!("SELECT {sum} AS n"))
            .get_result::<Total>(conn)?
            .n),
        None => articles::table
            .filter(list_filter(f))
            .select(count_star())
            .get_result(conn),
    }
}

/// One page of teasers in the requested order, and how many match in all.
pub fn list(conn: &mut Conn, q: &ListQuery) -> StoreResult<Page<Teaser>> {
    if q.filters.matches_nothing() {
        return Ok(Page::empty());
    }
    let total = list_total(conn, &q.filters)?;
    // Newest first after (ts, id), a row must be published at or before both `now` and `ts`:
    // say so with one bound, min(now, ts), which the index range can use. With two bounds on
    // the column SQLite ranges over one (it cannot tell which is tighter) and filters by the
    // other, walking the index from the newest article down to the page.
    let mut page_filters = q.filters.clone();
    if let (Sort::PublishedDesc, Some((ts, _))) = (q.sort, q.after) {
        page_filters.visibility = match page_filters.visibility {
            Visibility::Public { now } => Visibility::Public { now: now.min(ts) },
            Visibility::State(EditorialStatus::Published, now) => {
                Visibility::State(EditorialStatus::Published, now.min(ts))
            }
            other => other,
        };
    }
    let mut query = articles::table
        .filter(list_filter(&page_filters))
        .select(TeaserRow::as_select())
        .into_boxed();
    // Public lists hold only dated articles; editorial ones may hold undated drafts, which
    // sort by their creation (as `Sort::key` places them).
    let dated = matches!(q.filters.visibility, Visibility::Public { .. });
    let published =
        || -> Box<dyn BoxableExpression<articles::table, Backend, SqlType = Nullable<Timestamp>>> {
            if dated {
                Box::new(articles::published_at)
            } else {
                Box::new(diesel::dsl::sql::<Nullable<Timestamp>>(
                    "COALESCE(articles.published_at, articles.created_at)",
                ))
            }
        };
    // After the keyset position (ts, id): the first condition bounds the index range, so a
    // page deep in the list starts where it should instead of counting its way there.
    query = match (q.sort, q.after) {
        (Sort::PublishedDesc, Some((ts, id))) => query.filter(
            published()
                .le(ts)
                .and(published().lt(ts).or(articles::id.lt(id))),
        ),
        (Sort::PublishedAsc, Some((ts, id))) => query.filter(
            published()
                .ge(ts)
                .and(published().gt(ts).or(articles::id.gt(id))),
        ),
        (Sort::UpdatedDesc, Some((ts, id))) => query.filter(
            articles::updated_at
                .le(ts)
                .and(articles::updated_at.lt(ts).or(articles::id.lt(id))),
        ),
        (_, None) => query,
    };
    query = match q.sort {
        Sort::PublishedDesc => query.order((published().desc(), articles::id.desc())),
        Sort::PublishedAsc => query.order((published().asc(), articles::id.asc())),
        Sort::UpdatedDesc => query.order((articles::updated_at.desc(), articles::id.desc())),
    };
    let rows: Vec<TeaserRow> = query.limit(crate::db::overfetch(q.limit)).load(conn)?;
    Ok(Page::overfetched(rows, q.limit, total)
        .try_map(|rows| with_tags(conn, rows.into_iter().map(|row| (row, None)).collect()))?)
}

/// Teasers for `rows`, with their tags in one query and their authors in another.
pub(in crate::db) fn with_tags(
    conn: &mut Conn,
    rows: Vec<(TeaserRow, Option<SearchHit>)>,
) -> QueryResult<Vec<Teaser>> {
    let ids = rows.iter().map(|(r, _)| r.id).collect::<Vec<_>>();
    let mut tags = tags_of(conn, &ids)?;
    let mut authors = crate::db::authors::credits::refs_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(row, hit)| Teaser {
            tags: tags.remove(&row.id).unwrap_or_default(),
            authors: authors.remove(&row.id).unwrap_or_default(),
            row,
            hit,
        })
        .collect())
}

/// An article's identity and publication state as stored, with its tags and authors.
pub(in crate::db) fn state_of(conn: &mut Conn, row: &ArticleRow) -> QueryResult<ArticleState> {
    let id = row.teaser.id;
    Ok(ArticleState::of(
        row,
        tag_slugs(conn, id)?,
        crate::db::authors::credits::slugs_of(conn, id)?,
    ))
}

/// The slugs of article `id`'s tags, in order.
pub(in crate::db) fn tag_slugs(conn: &mut Conn, id: i64) -> QueryResult<Vec<String>> {
    article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq(id))
        .order(article_tags::position)
        .select(tags_t::slug)
        .load(conn)
}

pub(in crate::db) fn tags_of(
    conn: &mut Conn,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<TagRef>>> {
    // Kept prepared: one text per number of ids, and a page has at most a few dozen.
    let rows: Vec<(i64, String, String)> = kept(
        article_tags::table
            .inner_join(tags_t::table)
            .filter(article_tags::article_id.eq_any(ids))
            .order((article_tags::article_id, article_tags::position))
            .select((article_tags::article_id, tags_t::slug, tags_t::name)),
    )
    .load(conn)?;
    let mut map: HashMap<i64, Vec<TagRef>> = HashMap::new();
    for (id, slug, name) in rows {
        map.entry(id).or_default().push(TagRef { slug, name });
    }
    Ok(map)
}

pub(in crate::db) fn find_row(
    conn: &mut Conn,
    key: &ArticleKey,
    vis: Visibility,
) -> StoreResult<ArticleRow> {
    articles::table
        .filter(by_key(key))
        .filter(visible(vis))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(key.to_string()))
}

/// One article with its tags and resolved related links, and a live article's newest
/// blocks.
pub fn find(conn: &mut Conn, key: &ArticleKey, vis: Visibility) -> StoreResult<Article> {
    find_showing(conn, key, vis, &Selector::Latest(blocks::DEFAULT_LATEST))
}

/// [`find`], a live article with the blocks `selector` asks for.
pub fn find_showing(
    conn: &mut Conn,
    key: &ArticleKey,
    vis: Visibility,
    selector: &Selector,
) -> StoreResult<Article> {
    let row = find_row(conn, key, vis)?;
    // The tags and when they last changed, in one query.
    let tagged: Vec<(String, String, NaiveDateTime)> = article_tags::table
        .inner_join(tags_t::table)
        .filter(article_tags::article_id.eq(row.teaser.id))
        .order(article_tags::position)
        .select((tags_t::slug, tags_t::name, tags_t::updated_at))
        .load(conn)?;
    let tags_changed = tagged.iter().map(|(_, _, at)| *at).max();
    let tags = tagged
        .into_iter()
        .map(|(slug, name, _)| TagRef { slug, name })
        .collect();
    let curated = related_of(conn, row.teaser.id)?;
    let now = crate::db::now();
    let last_modified = [
        Some(row.teaser.updated_at),
        row.teaser.published_at.filter(|p| *p <= now),
        tags_changed,
        curated.targets_changed,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(row.teaser.updated_at);
    let live = match row.teaser.format {
        ArticleFormat::Live => {
            let settled = blocks::Settled {
                article: row.teaser.id,
                block_count: row.block_count,
                cursor: row.blocks_changed_at.zip(row.blocks_changed_id),
            };
            Some(blocks::view(
                conn,
                &settled,
                selector,
                block_visibility(vis),
            )?)
        }
        ArticleFormat::Standard => None,
    };
    let corrections = crate::db::corrections::of_article(conn, row.teaser.id)?;
    let authors = crate::db::authors::credits::refs_of(conn, &[row.teaser.id])?
        .remove(&row.teaser.id)
        .unwrap_or_default();
    Ok(Article {
        authors,
        row,
        tags,
        related: curated.links,
        last_modified,
        live,
        corrections,
    })
}

/// The live article `key` names, as `vis` sees it (its teaser's columns: no body, no
/// blocks); a standard article is not found.
pub fn find_live(conn: &mut Conn, key: &ArticleKey, vis: Visibility) -> StoreResult<TeaserRow> {
    articles::table
        .filter(by_key(key))
        .filter(visible(vis))
        .filter(articles::format.eq(ArticleFormat::Live.as_str()))
        .select(TeaserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "{key} (or none that is a live article, with blocks)"
            ))
        })
}

/// Which blocks a reader with `vis` sees: the public's, or (an editor) every one.
pub fn block_visibility(vis: Visibility) -> BlockVisibility {
    match vis {
        Visibility::Public { .. } => BlockVisibility::Public,
        Visibility::All | Visibility::State(..) => BlockVisibility::All,
    }
}

/// Whether another article than `except` has `slug`, now or in its history.
pub(in crate::db) fn slug_taken(
    conn: &mut Conn,
    slug: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    Ok(holder(conn, slug, except.unwrap_or(-1))?.is_some())
}

/// The article that has or had `slug`, other than `except`.
pub(in crate::db) fn holder(
    conn: &mut Conn,
    slug: &str,
    except: i64,
) -> QueryResult<Option<String>> {
    let current = articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::id.ne(except))
        .select(articles::slug)
        .first::<String>(conn)
        .optional()?;
    match current {
        Some(current) => Ok(Some(current)),
        None => former_holder(conn, slug, except),
    }
}

/// The article that had `slug` before its current one, other than `except`.
pub(in crate::db) fn former_holder(
    conn: &mut Conn,
    slug: &str,
    except: i64,
) -> QueryResult<Option<String>> {
    article_slugs::table
        .inner_join(articles::table.on(articles::id.eq(article_slugs::article_id)))
        .filter(article_slugs::slug.eq(slug))
        .filter(article_slugs::article_id.ne(except))
        .select(articles::slug)
        .first::<String>(conn)
        .optional()
}

/// For each of `slugs` that an article had before its current one, that article's slug now.
pub(in crate::db) fn former_holders(
    conn: &mut Conn,
    slugs: &[&str],
) -> QueryResult<HashMap<String, String>> {
    Ok(article_slugs::table
        .inner_join(articles::table.on(articles::id.eq(article_slugs::article_id)))
        .filter(article_slugs::slug.eq_any(slugs))
        .select((article_slugs::slug, articles::slug))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// The slug now of the article that has or had `slug`, if it still exists.
pub(in crate::db) fn current_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<String>> {
    let now: Option<String> = articles::table
        .filter(articles::slug.eq(slug))
        .select(articles::slug)
        .first(conn)
        .optional()?;
    if now.is_some() {
        return Ok(now);
    }
    let id: Option<i64> = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => articles::table
            .filter(articles::id.eq(id))
            .select(articles::slug)
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// The current slug of the article that once had `slug`, if it is visible.
pub fn moved(conn: &mut Conn, slug: &str, vis: Visibility) -> QueryResult<Option<String>> {
    let id: Option<i64> = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    let Some(id) = id else { return Ok(None) };
    articles::table
        .filter(articles::id.eq(id))
        .filter(visible(vis))
        .select(articles::slug)
        .first(conn)
        .optional()
}

/// An article as a feed shows it: whole, with its tags and authors.
pub type FeedEntry = (
    ArticleRow,
    Vec<TagRef>,
    Vec<crate::db::authors::credits::AuthorRef>,
);

/// The `limit` latest published articles, whole, with their tags and authors; only those
/// tagged `tag` and by the author `author` when given.
pub fn recent(
    conn: &mut Conn,
    tag: Option<&str>,
    author: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<FeedEntry>> {
    let mut filter = visible(Visibility::Public {
        now: crate::db::now(),
    });
    if let Some(tag) = tag {
        let tagged = article_tags::table
            .inner_join(tags_t::table)
            .filter(tags_t::slug.eq(tag.to_owned()))
            .select(article_tags::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(tagged)));
    }
    if let Some(author) = author {
        let credited = article_authors::table
            .inner_join(authors_t::table)
            .filter(authors_t::slug.eq(author.to_owned()))
            .select(article_authors::article_id);
        filter = Box::new(filter.and(articles::id.eq_any(credited)));
    }
    let rows: Vec<ArticleRow> = articles::table
        .filter(filter)
        .select(ArticleRow::as_select())
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .load(conn)?;
    let ids = rows.iter().map(|r| r.teaser.id).collect::<Vec<_>>();
    let mut tags = tags_of(conn, &ids)?;
    let mut authors = crate::db::authors::credits::refs_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let t = tags.remove(&row.teaser.id).unwrap_or_default();
            let a = authors.remove(&row.teaser.id).unwrap_or_default();
            (row, t, a)
        })
        .collect())
}

/// Slug and last change (its update, or its publication when that came later) of every
/// published article, newest first, at most `limit`.
pub fn published_index(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = articles::table
        .filter(visible(Visibility::Public {
            now: crate::db::now(),
        }))
        .select((articles::slug, articles::updated_at, articles::published_at))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, updated, published)| (slug, published.map_or(updated, |p| p.max(updated))))
        .collect())
}

/// How many articles there are, of any status.
pub fn count_all(conn: &mut Conn) -> QueryResult<i64> {
    articles::table.select(count_star()).get_result(conn)
}

/// The curated related links of a visible article, then, up to `limit` in all, suggestions.
pub fn related(
    conn: &mut Conn,
    key: &ArticleKey,
    vis: Visibility,
    limit: i64,
) -> StoreResult<(Vec<Related>, Vec<Suggestion>, changes::Keys)> {
    let row = find_row(conn, key, vis)?;
    let mut curated = related_of(conn, row.teaser.id)?;
    curated.links.truncate(limit as usize);
    let room = limit - curated.links.len() as i64;
    let suggested = suggestions(conn, row.teaser.id, &curated.target_ids, room)?;
    // The article, each link's and suggestion's target, and the lists of the article's tags,
    // which suggestions are drawn from.
    let mut keys = changes::Keys::from([
        changes::article(row.teaser.id),
        changes::address(&row.teaser.slug),
    ]);
    keys.extend(changes::shown_links(&curated.links));
    keys.extend(suggested.iter().map(|s| changes::address(&s.slug)));
    keys.extend(
        tag_slugs(conn, row.teaser.id)?
            .iter()
            .map(|t| changes::tag_list(t)),
    );
    Ok((curated.links, suggested, keys))
}
