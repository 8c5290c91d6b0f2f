//! `/feed.atom` and `/sitemap.xml`: published articles for feed readers and search engines.

mod live;

use std::fmt::Write;

use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{ApiQuery, Reader};
use super::{State, showing, utc, validate};
use crate::api::documented;
use crate::api::pagination;
use crate::api::problems;
use crate::config::Settings;
use crate::content;
use crate::db::articles::{ArticleRow, TagRef};
use crate::db::authors::AuthorRef;
use crate::db::changes::{self, Keys};
use crate::db::{self, articles as store};
use crate::error::ApiError;
use crate::error::Problem;

/// Entries in the Atom feed.
pub(super) const FEED_ENTRIES: i64 = 50;
/// URLs in one sitemap file, the protocol's limit.
const SITEMAP_URLS: i64 = 50_000;

/// Escapes text for XML content and attribute values.
pub(super) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters, nor U+FFFE and U+FFFF.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// When a published article last changed for its readers: its update, or its publication
/// when that came later (a scheduled article going live).
pub(super) fn changed(row: &store::TeaserRow) -> NaiveDateTime {
    row.published_at
        .map_or(row.updated_at, |p| p.max(row.updated_at))
}

pub(super) fn rfc3339(ts: NaiveDateTime) -> String {
    utc(ts).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only articles with this tag (slug).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(example = "transport")]
    tag: Option<String>,
    /// Only articles by this author (slug).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(example = "mara-okafor")]
    author: Option<String>,
    /// A live article (slug or id): its 50 newest blocks, one entry each, instead of
    /// articles. Not with `tag` or `author`.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(example = "storm-night-live")]
    article: Option<String>,
}

/// Get the Atom feed.
///
/// The 50 latest published articles as an Atom 1.0 feed with their full HTML content,
/// newest first; `tag` narrows it to one tag, `author` to one author's. With `article`, a live article's feed: its
/// 50 newest blocks, one entry each.
#[utoipa::path(
    operation_id = "getFeed", tag = "feeds", security(()),
    params(FeedParams, documented::Conditional),
    responses(
        (status = 200, description = "The Atom feed.", content_type = "application/atom+xml", body = String,
            example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">…</feed>")),
        (status = 400, response = problems::InvalidQuery), (status = 404, description = "No tag has this slug (or none a published article carries), no author this slug, or no published live article has this slug or id.", body = Problem), problems::PublicRead,
    )
)]
#[get("/feed.atom")]
pub async fn feed(
    state: State,
    req: HttpRequest,
    reader: Reader,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    if let Some(article) = params.article {
        if params.tag.is_some() || params.author.is_some() {
            return Err(pagination::query_error(
                "article",
                "a live article's feed has no tag or author filter: give `article` alone"
                    .to_owned(),
            ));
        }
        return live::feed(&state, article, req.uri().to_string()).await;
    }
    let tag = params.tag;
    let author = params.author;
    let scope = super::tags::scope(&reader);
    // Relative, as Atom allows: a host or scheme taken from request headers could be forged
    // into a cached feed.
    let self_url = req.uri().to_string();
    let settings = state.settings.clone();
    // Read and written on a blocking thread: up to 50 whole articles of markup.
    let out = db::run(&state.pool, move |conn| {
        let mut names = Vec::new();
        let mut keys = Keys::new();
        if let Some(slug) = &tag {
            let name = db::tags::find(conn, slug, db::now(), scope)?.row.name;
            names.push((format!("tags/{slug}"), name));
            keys.extend([changes::tag(slug), changes::tag_list(slug)]);
        }
        if let Some(slug) = &author {
            let found = db::authors::find(conn, slug, db::now())?;
            names.push((format!("authors/{slug}"), found.row.name));
            keys.extend([changes::author(found.row.id), changes::author_list(slug)]);
        }
        if keys.is_empty() {
            keys.insert(changes::ARTICLE_LIST.to_owned());
        }
        let entries = store::recent(conn, tag.as_deref(), author.as_deref(), FEED_ENTRIES)?;
        for (row, tags, authors) in &entries {
            keys.insert(changes::article(row.teaser.id));
            keys.extend(tags.iter().map(|t| changes::tag(&t.slug)));
            keys.extend(authors.iter().map(|a| changes::author(a.id)));
        }
        Ok((atom(&settings, &names, &self_url, &entries), keys))
    })
    .await?;
    let (out, keys) = out;
    let response = HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(out);
    Ok(showing(response, keys))
}

/// The Atom document of `entries`, for what narrows it (each a page of the site, by its
/// path, and its name: a tag, an author) or the whole site.
fn atom(
    settings: &Settings,
    narrowed: &[(String, String)],
    self_url: &str,
    entries: &[(ArticleRow, Vec<TagRef>, Vec<AuthorRef>)],
) -> String {
    let (id, title) = match narrowed {
        [] => (
            format!("{}/", settings.site_url),
            settings.site_name.clone(),
        ),
        [(path, name)] => (
            format!("{}/{path}", settings.site_url),
            format!("{}: {name}", settings.site_name),
        ),
        several => {
            let paths: Vec<&str> = several.iter().map(|(p, _)| p.as_str()).collect();
            let names: Vec<&str> = several.iter().map(|(_, n)| n.as_str()).collect();
            (
                format!("{}/{}", settings.site_url, paths.join("/")),
                format!("{}: {}", settings.site_name, names.join(", ")),
            )
        }
    };
    // An empty feed says it has not changed since the epoch, so its ETag stays put.
    let updated = entries
        .iter()
        .map(|(row, _, _)| changed(&row.teaser))
        .max()
        .unwrap_or_default();
    let mut out = String::with_capacity(4096 + entries.len() * 8192);
    head(&mut out, &id, &title, updated, self_url);
    out.push_str("  <generator>Gazette</generator>\n");
    for (row, tags, authors) in entries {
        atom_entry(&mut out, settings, row, tags, authors);
    }
    out.push_str("</feed>\n");
    out
}

/// One article's `<entry>`.
/// The start of a feed: its id (also its page's address), title, time and links.
pub(super) fn head(
    out: &mut String,
    id: &str,
    title: &str,
    updated: NaiveDateTime,
    self_url: &str,
) {
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    let _ = writeln!(
        out,
        "  <id>{}</id>\n  <title>{}</title>",
        xml(id),
        xml(title)
    );
    let _ = writeln!(out, "  <updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml(self_url)
    );
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml(id)
    );
}

fn atom_entry(
    out: &mut String,
    settings: &Settings,
    row: &ArticleRow,
    tags: &[TagRef],
    authors: &[AuthorRef],
) {
    let url = content::canonical_url(&settings.site_url, &row.teaser.slug);
    let byline = row
        .teaser
        .byline
        .as_deref()
        .filter(|b| !b.trim().is_empty());
    out.push_str("  <entry>\n");
    let _ = writeln!(
        out,
        "    <id>{}</id>\n    <title>{}</title>",
        xml(&url),
        xml(&row.teaser.title)
    );
    let _ = writeln!(
        out,
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml(&url)
    );
    if let Some(published) = row.teaser.published_at {
        let _ = writeln!(out, "    <published>{}</published>", rfc3339(published));
    }
    let _ = writeln!(
        out,
        "    <updated>{}</updated>",
        rfc3339(changed(&row.teaser))
    );
    // The article's own byline (wire copy), else each author with their page, else the site.
    match (byline, authors) {
        (None, [_, ..]) => {
            for author in authors {
                let page = format!("{}/authors/{}", settings.site_url, author.slug);
                let _ = writeln!(
                    out,
                    "    <author><name>{}</name><uri>{}</uri></author>",
                    xml(&author.name),
                    xml(&page)
                );
            }
        }
        _ => {
            let name = byline.unwrap_or(&settings.site_name);
            let _ = writeln!(out, "    <author><name>{}</name></author>", xml(name));
        }
    }
    for tag in tags {
        let _ = writeln!(
            out,
            "    <category term=\"{}\" label=\"{}\"/>",
            xml(&tag.slug),
            xml(&tag.name)
        );
    }
    if !row.teaser.summary.is_empty() {
        let _ = writeln!(out, "    <summary>{}</summary>", xml(&row.teaser.summary));
    }
    let _ = writeln!(
        out,
        "    <content type=\"html\">{}</content>",
        xml(&row.body_html)
    );
    out.push_str("  </entry>\n");
}

/// Get the sitemap.
///
/// Every published article's canonical URL with its last update, newest first (at most
/// 50,000, the sitemap protocol's limit).
#[utoipa::path(
    operation_id = "getSitemap", tag = "feeds", security(()),
    params(documented::Conditional),
    responses(
        (status = 200, description = "The sitemap.", content_type = "application/xml", body = String,
            example = json!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">…</urlset>")),
        problems::PublicRead,
    )
)]
#[get("/sitemap.xml")]
pub async fn sitemap(state: State, _reader: Reader) -> Result<HttpResponse, ApiError> {
    let site_url = state.settings.site_url.clone();
    // Read and written on a blocking thread: up to 50,000 addresses.
    let out = db::run(&state.pool, move |conn| {
        let pages = store::published_index(conn, SITEMAP_URLS)?;
        let mut out = String::with_capacity(256 + pages.len() * 160);
        out.push_str(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for (slug, updated) in &pages {
            let url = content::canonical_url(&site_url, slug);
            let _ = writeln!(
                out,
                "  <url><loc>{}</loc><lastmod>{}</lastmod></url>",
                xml(&url),
                rfc3339(*updated)
            );
        }
        out.push_str("</urlset>\n");
        Ok(out)
    })
    .await?;
    // Every public article's address and update time.
    let keys = Keys::from([changes::ALL_ARTICLES, changes::ARTICLE_LIST].map(str::to_owned));
    let response = HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(out);
    Ok(showing(response, keys))
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml("a<b>&\"c'\u{1}\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;c&apos;"
        );
    }
}
