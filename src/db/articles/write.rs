//! The one write path of an article. Every change (the API, import, restore, related links,
//! a scheduled article coming due) writes the row, then its tags and related links, then
//! [`finish`]es: revision, search index, live state, preview links and the webhook event,
//! in the write's transaction.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::change;
use super::linking::Linking;
use super::model::*;
use super::read::{current_slug, find, find_row, slug_taken, state_of};
use crate::content::{MAX_SLUG_LEN, Rendered, slugify};
use crate::db::authors::credits;
use crate::db::blocks;
use crate::db::events::Subscriptions;
use crate::db::related::{related_of, set_new_related, set_related};
use crate::db::{
    Conn, StoreError, StoreResult, changes, corrections, events, live, previews, revisions, tags,
};
use crate::images::Image;
use crate::schema::{article_slugs, article_tags, articles};

/// A free slug derived from `title`: its slug form, then `-2`, `-3`, … until one is free.
fn derive_slug(conn: &mut Conn, title: &str) -> QueryResult<String> {
    let mut base = slugify(title);
    if base.is_empty() {
        base = "article".to_owned();
    } else if base.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        // An all-digit slug would read as an id.
        base = format!("article-{base}");
    }
    base.truncate(MAX_SLUG_LEN - 6);
    let base = base.trim_end_matches('-').to_owned();
    let mut candidate = base.clone();
    let mut n = 1;
    while slug_taken(conn, &candidate, None)? {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

fn check_slug_free(conn: &mut Conn, slug: &str, except: Option<i64>) -> StoreResult<()> {
    if slug_taken(conn, slug, except)? {
        return Err(StoreError::Conflict(format!(
            "The slug '{slug}' is used by another article, now or formerly; choose another or omit it to derive one from the title."
        )));
    }
    Ok(())
}

pub(in crate::db) fn set_tags(
    conn: &mut Conn,
    article_id: i64,
    names: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    let mut seen = Vec::with_capacity(names.len());
    for name in names {
        let tag_id = tags::ensure(conn, name, now)?;
        if !seen.contains(&tag_id) {
            seen.push(tag_id);
        }
    }
    tags::link(conn, article_id, &seen)?;
    Ok(())
}

/// Stores a new article, deriving a unique slug when none is given.
pub fn create(conn: &mut Conn, new: &NewArticle, now: NaiveDateTime) -> StoreResult<Article> {
    crate::db::write(conn, |conn| {
        let id = insert(conn, new, now)?;
        finish(conn, id, None, now, Batch::One)?;
        find(conn, &ArticleKey::Id(id), Visibility::All)
    })
}

fn insert(conn: &mut Conn, new: &NewArticle, now: NaiveDateTime) -> StoreResult<i64> {
    {
        let slug = match &new.slug {
            Some(slug) => {
                check_slug_free(conn, slug, None)?;
                slug.clone()
            }
            None => derive_slug(conn, &new.title)?,
        };
        let published_at = match (new.status, new.published_at) {
            (ArticleStatus::Published, None) => Some(now),
            (_, at) => at,
        };
        // Not live yet: `finish` settles it.
        let id = ArticleWrite::of(new, &slug, published_at, now, now).insert(conn, false)?;
        set_tags(conn, id, &new.tags, now)?;
        if !new.authors.is_empty() {
            credits::set_authors(conn, id, &new.authors, "authors")?;
        }
        set_new_related(conn, id, &new.related, "related", &HashMap::new())?;
        if !new.blocks.is_empty() {
            blocks::insert_all(conn, id, &new.blocks, now)?;
        }
        if !new.corrections.is_empty() {
            corrections::replace(conn, id, &new.corrections, now)?;
        }
        Ok(id)
    }
}

/// Stores many articles, then their related links (which may point at any of them, given
/// as (article slug, links)). Call it inside the caller's [`crate::db::write`], which makes
/// them one transaction.
pub fn import(
    conn: &mut Conn,
    new: &[NewArticle],
    links: &[(String, Vec<RelatedSpec>)],
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let mut ids = Vec::with_capacity(new.len());
    for article in new {
        ids.push(insert(conn, article, now)?);
    }
    for (slug, related) in links {
        let id = find_row(conn, &ArticleKey::Slug(slug.clone()), Visibility::All)?
            .teaser
            .id;
        set_new_related(
            conn,
            id,
            related,
            &format!("{slug}.related"),
            &HashMap::new(),
        )?;
    }
    for id in ids {
        finish(conn, id, None, now, Batch::One)?;
    }
    Ok(new.len())
}

/// What else the transaction of an article write creates, that [`finish`] may leave to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::db) enum Batch {
    /// One write: its article is finished whole.
    One,
    /// An import, whose new articles are those with an id above `created_after`. Each of
    /// them records its own change, so none is touched as an article linking to another;
    /// and their public index rows are left to [`live::index_new`], which writes them all
    /// in one statement.
    Import { created_after: i64 },
}

impl Batch {
    /// Whether article `id` was created by the batch (never for [`Batch::One`]).
    fn created(self, id: i64) -> bool {
        matches!(self, Batch::Import { created_after } if id > created_after)
    }
}

/// The end of every article write, once its row, tags and related links are written:
/// records the revision, then [`emit`]s (live state, search index, preview links, linking
/// articles, the webhook event). `before` is the article as it was, absent for a new one.
/// Returns the row as it is now.
pub(in crate::db) fn finish(
    conn: &mut Conn,
    id: i64,
    before: Option<&ArticleState>,
    now: NaiveDateTime,
    batch: Batch,
) -> StoreResult<ArticleRow> {
    let subscriptions = &mut Subscriptions::default();
    let mut rows = finish_as(conn, &[(id, before)], now, (batch, subscriptions), None)?;
    rows.pop()
        .ok_or_else(|| StoreError::NotFound(ArticleKey::Id(id).to_string()))
}

/// [`finish`] for several articles of one `batch` (an import's), each with its state before
/// (absent for a new one), in order: their rows and what their revisions read besides are
/// read once for all of them, and their webhook events are queued for `subscriptions`, read
/// once for the whole import. Returns their rows as they are now.
pub(in crate::db) fn finish_all(
    conn: &mut Conn,
    articles: &[(i64, Option<&ArticleState>)],
    now: NaiveDateTime,
    batch: Batch,
    subscriptions: &mut Subscriptions,
) -> StoreResult<Vec<ArticleRow>> {
    finish_as(conn, articles, now, (batch, subscriptions), None)
}

/// [`finish_all`], the event named `kind` when given (else as each change makes it).
fn finish_as(
    conn: &mut Conn,
    articles: &[(i64, Option<&ArticleState>)],
    now: NaiveDateTime,
    (batch, subscriptions): (Batch, &mut Subscriptions),
    kind: Option<&'static str>,
) -> StoreResult<Vec<ArticleRow>> {
    let ids: Vec<i64> = articles.iter().map(|(id, _)| *id).collect();
    let rows = rows_of(conn, &ids)?;
    let states = revisions::record_all(conn, &rows, now)?;
    let mut linking = Linking::of(&ids);
    for ((row, state), (_, before)) in rows.iter().zip(states).zip(articles) {
        emit_as(
            conn,
            *before,
            Some((row, state)),
            now,
            (batch, &mut *subscriptions, &mut linking),
            kind,
        )?;
    }
    Ok(rows)
}

/// The rows of articles `ids`, in that order, whatever their status (an import may finish
/// one article twice: a slug given twice).
fn rows_of(conn: &mut Conn, ids: &[i64]) -> StoreResult<Vec<ArticleRow>> {
    let found: HashMap<i64, ArticleRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleRow::as_select())
        .load::<ArticleRow>(conn)?
        .into_iter()
        .map(|row| (row.teaser.id, row))
        .collect();
    ids.iter()
        .map(|id| {
            found
                .get(id)
                .cloned()
                .ok_or_else(|| StoreError::NotFound(ArticleKey::Id(*id).to_string()))
        })
        .collect()
}

/// Queues the webhook event for a change from `before` to `after` (either absent for a
/// creation or deletion), and records whether the article is live now ([`live::settle`]):
/// published when it goes live, unpublished when a live article stops being public,
/// deleted, or updated. Removes the article's preview links when it is public before or
/// after the change.
pub(in crate::db) fn emit(
    conn: &mut Conn,
    before: Option<&ArticleState>,
    after: Option<&ArticleRow>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = [after
        .map(|row| row.teaser.id)
        .or(before.map(|b| b.id))
        .unwrap_or_default()];
    let after = match after {
        Some(row) => Some((row, state_of(conn, row)?)),
        None => None,
    };
    let batch = (
        Batch::One,
        &mut Subscriptions::default(),
        &mut Linking::of(&id),
    );
    emit_as(conn, before, after, now, batch, None)
}

/// [`emit`] within `batch` and for its webhook subscriptions (read once for the change's and
/// the article's events), with the batch's `linking` articles, `after` with its state as stored, the event named `kind` when
/// given: a write that changes nothing of the article's publication but says what it did
/// (`article.corrected`).
fn emit_as(
    conn: &mut Conn,
    before: Option<&ArticleState>,
    after: Option<(&ArticleRow, ArticleState)>,
    now: NaiveDateTime,
    (batch, subscriptions, linking): (Batch, &mut Subscriptions, &mut Linking),
    kind: Option<&'static str>,
) -> QueryResult<()> {
    let row_after = after.as_ref().map(|(row, _)| *row);
    let after = after.map(|(_, state)| state);
    let was = before.is_some_and(|r| r.live);
    let is = row_after.is_some_and(|r| is_public(r, now));
    let event = match row_after {
        _ if let Some(kind) = kind => kind,
        None => "article.deleted",
        Some(_) if is && !was => "article.published",
        Some(_) if was && !is => "article.unpublished",
        Some(_) => "article.updated",
    };
    let was_shown = before.is_some_and(|b| shown(b, now));
    if let Some(row) = row_after {
        live::settle(conn, row, is, !batch.created(row.teaser.id))?;
    }
    let Some(row) = after.clone().or_else(|| before.cloned()) else {
        return Ok(());
    };
    let made = change::of(event, before, after.as_ref(), was_shown, is);
    changes::record_with(conn, &made, now, subscriptions)?;
    // What the articles linking to it show of it (a link only to an article the public can
    // read) changes when it joins or leaves public view.
    // Not those the batch created: each records its own change.
    let created = |id| batch.created(id);
    if after.is_some() && was_shown && !is {
        linking.touch(conn, row.id, now, true, created)?;
    } else if is && !was {
        linking.touch(conn, row.id, now, false, created)?;
    }
    // A preview link never shows an article again once it has been public, whether or not
    // the go-live step has marked it live yet. (A new article has none.)
    if before.is_some_and(|b| shown(b, now) || is) {
        previews::forget(conn, row.id)?;
    }
    let data = serde_json::json!({
        "id": row.id,
        "slug": row.slug,
        "previous_slug": before.filter(|b| b.slug != row.slug).map(|b| b.slug.clone()),
        "title": row.title,
        "status": row.status,
        "published_at": row.published_at.map(|t| t.and_utc()),
        "updated_at": row.updated_at.and_utc(),
    });
    events::record_with(conn, subscriptions, event, &data, now)
}

/// Appends a correction to article `key`, if `check` passes: the article counts as updated
/// now, with a revision and the event `article.corrected`.
pub fn correct(
    conn: &mut Conn,
    key: &ArticleKey,
    new: &corrections::NewCorrection,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Article> {
    crate::db::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let id = current.row.teaser.id;
        corrections::append(conn, id, new, now)?;
        diesel::update(articles::table.filter(articles::id.eq(id)))
            .set(articles::updated_at.eq(now))
            .execute(conn)?;
        let before = ArticleState::from(&current);
        finish_as(
            conn,
            &[(id, Some(&before))],
            now,
            (Batch::One, &mut Subscriptions::default()),
            Some("article.corrected"),
        )?;
        find(conn, &ArticleKey::Id(id), Visibility::All)
    })
}

/// Applies `changes` to an article of any status, if `check` passes; records a revision.
pub fn update(
    conn: &mut Conn,
    key: &ArticleKey,
    changes: &ArticleChanges,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Article> {
    change(conn, key, now, check, |_, _| Ok(Cow::Borrowed(changes)))
}

/// The write of an existing article: in one transaction, the article as it is, if `check`
/// passes, takes the changes `changes_of` makes of it, through [`finish`].
fn change<'c>(
    conn: &mut Conn,
    key: &ArticleKey,
    now: NaiveDateTime,
    check: Check<'_>,
    changes_of: impl FnOnce(&mut Conn, &Article) -> StoreResult<Cow<'c, ArticleChanges>>,
) -> StoreResult<Article> {
    crate::db::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let changes = changes_of(conn, &current)?;
        apply(conn, &current.row, &changes, now)?;
        finish(
            conn,
            current.row.teaser.id,
            Some(&ArticleState::from(&current)),
            now,
            Batch::One,
        )?;
        find(
            conn,
            &ArticleKey::Id(current.row.teaser.id),
            Visibility::All,
        )
    })
}

/// Makes revision `number` current again, as a new revision. Internal links whose target is
/// gone are left out; the slug stays as it is. `body` is the revision's body and its
/// rendering, made before the write (rendering is slow work, kept out of the write lock);
/// when the revision read now has another body (the key names another article since), the
/// restore is refused as a conflict.
pub fn restore(
    conn: &mut Conn,
    key: &ArticleKey,
    number: i64,
    body: (String, Rendered),
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Article> {
    change(conn, key, now, check, |conn, _| {
        let old = revisions::find(conn, key, number)?.snapshot;
        if old.body != body.0 {
            return Err(StoreError::Conflict(
                "The article changed while its revision was being restored; retry.".to_owned(),
            ));
        }
        let mut related = Vec::with_capacity(old.related.len());
        for link in old.related {
            match link {
                // The target may have been renamed since: follow it to its current slug.
                RelatedSpec::Internal { slug } => {
                    if let Some(slug) = current_slug(conn, &slug)? {
                        related.push(RelatedSpec::Internal { slug });
                    }
                }
                external => related.push(external),
            }
        }
        Ok(Cow::Owned(ArticleChanges {
            title: Some(old.title),
            slug: None,
            summary: Some(old.summary),
            body: Some(body),
            status: Some(old.status),
            published_at: Some(old.published_at),
            byline: Some(old.byline),
            feature_image: Some(ImageChange::Set(old.feature_image)),
            tags: Some(old.tags.into_iter().map(|(slug, _)| slug).collect()),
            // Authors deleted since are left off.
            authors: Some(credits::existing(conn, &old.authors)?),
            related: Some(related),
            // A live blog stays as it is: its form and its coverage are not rolled back.
            format: None,
            live: None,
        }))
    })
}

fn apply(
    conn: &mut Conn,
    current: &ArticleRow,
    changes: &ArticleChanges,
    now: NaiveDateTime,
) -> StoreResult<()> {
    if let Some(slug) = changes.slug.as_ref().filter(|s| **s != current.teaser.slug) {
        check_slug_free(conn, slug, Some(current.teaser.id))?;
        // A published article's old slug keeps working (it redirects) and stays reserved.
        if current.teaser.status == ArticleStatus::Published {
            retire_slug(conn, &current.teaser.slug, current.teaser.id, now)?;
        }
        diesel::delete(article_slugs::table.filter(article_slugs::slug.eq(slug))).execute(conn)?;
    }
    let coverage_open = coverage(conn, current, changes)?;
    let status = changes.status.unwrap_or(current.teaser.status);
    let mut published_at = changes.published_at.unwrap_or(current.teaser.published_at);
    // Publishing without a date means "now".
    if status == ArticleStatus::Published && published_at.is_none() {
        published_at = Some(now);
    }
    let body = changes.body.as_ref();
    let image = changes
        .feature_image
        .as_ref()
        .map(|change| change.apply(current.teaser.feature_image.0.as_ref()));
    diesel::update(articles::table.filter(articles::id.eq(current.teaser.id)))
        .set(&ArticleChangeset {
            slug: changes.slug.as_deref(),
            title: changes.title.as_deref(),
            summary: changes.summary.as_deref(),
            body: body.map(|(md, _)| md.as_str()),
            body_html: body.map(|(_, r)| r.html.as_str()),
            body_text: body.map(|(_, r)| r.text.as_str()),
            word_count: body.map(|(_, r)| r.word_count),
            status: changes.status.map(ArticleStatus::as_str),
            published_at: Some(published_at),
            byline: changes.byline.as_ref().map(|b| b.as_deref()),
            feature_image_url: image.as_ref().map(|i| i.as_ref().map(|i| i.url.as_str())),
            feature_image: image.as_ref().map(|i| Image::stored(i.as_ref())),
            format: changes.format.map(ArticleFormat::as_str),
            coverage_open,
            updated_at: now,
        })
        .execute(conn)?;
    if let Some(tags) = &changes.tags {
        set_tags(conn, current.teaser.id, tags, now)?;
    }
    if let Some(slugs) = &changes.authors {
        credits::set_authors(conn, current.teaser.id, slugs, "authors")?;
    }
    if let Some(related) = &changes.related {
        set_related(conn, current.teaser.id, related, "related")?;
    }
    Ok(())
}

/// Whether the article's coverage is open after `changes`, if they change it: only a live
/// article's can be; one becoming live opens unless `live` says otherwise, and a live blog
/// with blocks stays live (closed, not turned into a standard article).
fn coverage(
    conn: &mut Conn,
    current: &ArticleRow,
    changes: &ArticleChanges,
) -> StoreResult<Option<bool>> {
    let was = current.teaser.format;
    let format = changes.format.unwrap_or(was);
    if format == ArticleFormat::Standard {
        if changes.live == Some(true) {
            return Err(StoreError::Invalid(vec![(
                "live".to_owned(),
                "only a live article (`format: live`) has open coverage".to_owned(),
            )]));
        }
        if was == ArticleFormat::Live && crate::db::blocks::count_all(conn, current.teaser.id)? > 0
        {
            return Err(StoreError::Conflict(
                "A live article with blocks stays live; close its coverage with `live: false`."
                    .to_owned(),
            ));
        }
        return Ok((was == ArticleFormat::Live).then_some(false));
    }
    Ok(match changes.live {
        Some(open) => Some(open),
        None if was == ArticleFormat::Standard => Some(true),
        None => None,
    })
}

/// Deletes an article; links to it from other articles go with it, and those articles count
/// as changed when the public could see it (their related reading changed).
pub fn delete(
    conn: &mut Conn,
    key: &ArticleKey,
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let id = current.row.teaser.id;
        let before = ArticleState::from(&current);
        if shown(&before, now) {
            Linking::of(&[id]).touch(conn, id, now, true, |_| false)?;
        }
        diesel::delete(articles::table.filter(articles::id.eq(id))).execute(conn)?;
        emit(conn, Some(&before), None, now)?;
        Ok(())
    })
}

/// Keeps `slug` reserved for the article, redirecting to it; a no-op when it already is.
pub(in crate::db) fn retire_slug(
    conn: &mut Conn,
    slug: &str,
    article_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let held: i64 = article_slugs::table.find(slug).count().get_result(conn)?;
    if held == 0 {
        diesel::insert_into(article_slugs::table)
            .values((
                article_slugs::slug.eq(slug),
                article_slugs::article_id.eq(article_id),
                article_slugs::retired_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(AsChangeset)]
#[diesel(table_name = articles)]
struct ArticleChangeset<'a> {
    slug: Option<&'a str>,
    title: Option<&'a str>,
    summary: Option<&'a str>,
    body: Option<&'a str>,
    body_html: Option<&'a str>,
    body_text: Option<&'a str>,
    word_count: Option<i64>,
    status: Option<&'a str>,
    published_at: Option<Option<NaiveDateTime>>,
    byline: Option<Option<&'a str>>,
    feature_image_url: Option<Option<&'a str>>,
    feature_image: Option<Option<String>>,
    format: Option<&'a str>,
    coverage_open: Option<bool>,
    updated_at: NaiveDateTime,
}

/// Replaces an article's related links; returns them as read.
pub fn replace_related(
    conn: &mut Conn,
    key: &ArticleKey,
    links: &[RelatedSpec],
    now: NaiveDateTime,
    check: Check<'_>,
) -> StoreResult<Vec<Related>> {
    crate::db::write(conn, |conn| {
        let current = find(conn, key, Visibility::All)?;
        check(&current)?;
        let id = current.row.teaser.id;
        set_related(conn, id, links, "")?;
        diesel::update(articles::table.filter(articles::id.eq(id)))
            .set(articles::updated_at.eq(now))
            .execute(conn)?;
        finish(
            conn,
            id,
            Some(&ArticleState::from(&current)),
            now,
            Batch::One,
        )?;
        Ok(related_of(conn, id)?.links)
    })
}
