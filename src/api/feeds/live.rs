//! `/feed.atom?article=<slug>`: a live article as a feed, one entry per block.

use std::fmt::Write;

use actix_web::HttpResponse;

use super::{FEED_ENTRIES, changed, head, rfc3339, xml};
use crate::api::{State, showing};
use crate::config::Settings;
use crate::content;
use crate::db;
use crate::db::articles::{self as store, TeaserRow};
use crate::db::blocks::BlockRow;
use crate::db::changes::{self, Keys};
use crate::error::ApiError;

/// The feed of live article `key`: its newest blocks the public can see, one entry each.
pub(super) async fn feed(
    state: &State,
    key: String,
    self_url: String,
) -> Result<HttpResponse, ApiError> {
    let key = store::ArticleKey::parse(&key);
    let settings = state.settings.clone();
    // Read and written on a blocking thread: up to 50 blocks of markup.
    let (out, keys) = db::run(&state.pool, move |conn| {
        let vis = store::Visibility::Public { now: db::now() };
        let row = store::find_live(conn, &key, vis)?;
        let blocks = db::blocks::latest(conn, row.id, FEED_ENTRIES)?;
        let keys = Keys::from([changes::article(row.id), changes::address(&row.slug)]);
        Ok((atom(&settings, &row, &self_url, &blocks), keys))
    })
    .await?;
    let response = HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(out);
    Ok(showing(response, keys))
}

/// The Atom document of live article `row`'s `blocks`: the article is the feed, each block
/// an entry at the article's address with the block's anchor (`#block-{id}`).
fn atom(settings: &Settings, row: &TeaserRow, self_url: &str, blocks: &[BlockRow]) -> String {
    let url = content::canonical_url(&settings.site_url, &row.slug);
    let updated = blocks
        .iter()
        .map(|b| b.updated_at.max(b.published_at))
        .chain([changed(row)])
        .max()
        .unwrap_or_default();
    let mut out = String::with_capacity(4096 + blocks.len() * 2048);
    let title = format!("{}: {}", settings.site_name, row.title);
    head(&mut out, &url, &title, updated, self_url);
    let author = row
        .byline
        .as_deref()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or(&settings.site_name);
    let _ = writeln!(out, "  <author><name>{}</name></author>", xml(author));
    out.push_str("  <generator>Gazette</generator>\n");
    for block in blocks {
        entry(&mut out, &url, block);
    }
    out.push_str("</feed>\n");
    out
}

fn entry(out: &mut String, url: &str, block: &BlockRow) {
    let link = format!("{url}#block-{}", block.id);
    let title = match &block.title {
        Some(title) => title.clone(),
        None => first_words(&block.body_text),
    };
    out.push_str("  <entry>\n");
    let _ = writeln!(
        out,
        "    <id>{}</id>\n    <title>{}</title>",
        xml(&link),
        xml(&title)
    );
    let _ = writeln!(
        out,
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml(&link)
    );
    let _ = writeln!(
        out,
        "    <published>{}</published>",
        rfc3339(block.published_at)
    );
    let updated = block.updated_at.max(block.published_at);
    let _ = writeln!(out, "    <updated>{}</updated>", rfc3339(updated));
    if block.key_event {
        out.push_str("    <category term=\"key-event\" label=\"Key event\"/>\n");
    }
    let _ = writeln!(
        out,
        "    <content type=\"html\">{}</content>",
        xml(&block.body_html)
    );
    out.push_str("  </entry>\n");
}

/// A title for an untitled block: its first line, at most 80 characters.
fn first_words(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() <= 80 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(79).collect();
    format!("{}…", cut.trim_end())
}
