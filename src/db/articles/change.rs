//! What an article write changes, as the change log records it ([`crate::db::changes`]):
//! computed from the article as it was and as it is.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ArticleRow, ArticleState, ArticleStatus, shown};
use super::read::state_of;
use crate::db::Conn;
use crate::db::changes::{self, ALL_ARTICLES, ARTICLE_LIST, AUTHORS, Change, Keys, SEARCH, TAGS};
use crate::schema::articles;

/// The change of the write `event` from `before` to `after` (absent for a creation or a
/// deletion); `was` and `is` say whether the public could see the article before and can now.
///
/// An article the public never saw changes nothing public: its change names no key, so that
/// no public answer (nor a CDN's copy, nor its timing) moves because of it, and it takes no
/// public position. One the public sees or saw names its key, its addresses (old and new
/// slug), search and `a:all`; when it also joins, leaves or moves in the lists (published,
/// unpublished, deleted, re-dated or re-tagged), the article list, the tag list and every
/// list of a tag it had or has. The articles linking to it get changes of their own
/// ([`linked`]).
pub(in crate::db) fn of(
    event: &'static str,
    before: Option<&ArticleState>,
    after: Option<&ArticleState>,
    was: bool,
    is: bool,
) -> Change {
    let seen = was || is;
    let id = after.or(before).map_or(0, |state| state.id);
    let mut keys = Keys::new();
    let states = || before.into_iter().chain(after);
    let moved = match (before, after) {
        (Some(b), Some(a)) => {
            b.live != a.live
                || b.published_at != a.published_at
                || b.tags != a.tags
                || b.authors != a.authors
        }
        _ => true,
    };
    if seen {
        keys.insert(changes::article(id));
        keys.extend(states().map(|s| changes::address(&s.slug)));
        keys.extend([ALL_ARTICLES, SEARCH].map(str::to_owned));
    }
    // An edit or a correction leaves the lists as they are, unless it moves the article.
    if seen && (moved || !matches!(event, "article.updated" | "article.corrected")) {
        keys.extend([ARTICLE_LIST, TAGS].map(str::to_owned));
        keys.extend(states().flat_map(|s| &s.tags).map(|t| changes::tag_list(t)));
        if states().any(|s| !s.authors.is_empty()) {
            keys.insert(AUTHORS.to_owned());
            keys.extend(
                states()
                    .flat_map(|s| &s.authors)
                    .map(|a| changes::author_list(a)),
            );
        }
    }
    let slug_changed = matches!((before, after), (Some(b), Some(a)) if b.slug != a.slug);
    let hard = seen && (matches!(event, "article.deleted" | "article.unpublished") || slug_changed);
    // What the change shows of the article: as it is, unless that takes it out of view
    // (then as the public last saw it).
    let shown = match after {
        Some(a) if is || !was => Some(a),
        _ => before.or(after),
    };
    let mut tags = shown.map(|s| s.tags.clone()).unwrap_or_default();
    if was {
        for tag in before.iter().flat_map(|b| &b.tags) {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
    }
    let reason = match after {
        _ if !was || is => None,
        None => Some("deleted"),
        Some(a) if a.status == ArticleStatus::Archived => Some("archived"),
        Some(_) => Some("unpublished"),
    };
    Change {
        kind: event,
        resource: format!("article:{id}"),
        keys,
        hard,
        public: seen,
        slug: shown.map(|s| s.slug.clone()).unwrap_or_default(),
        tags,
        reason,
        block: None,
    }
}

/// Records a change for each of the articles `ids`, as they are now: touched by a write to
/// something they show (an article they link to joining or leaving public view, a tag they
/// carried being deleted). Public only for those the public can read.
pub(in crate::db) fn record_touched(
    conn: &mut Conn,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<ArticleRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .order(articles::id)
        .select(ArticleRow::as_select())
        .load(conn)?;
    for row in rows {
        let state = state_of(conn, &row)?;
        let shown = shown(&state, now);
        changes::record(conn, &touched(&state, shown), now)?;
    }
    Ok(())
}

/// The change to the article `linking` (as it is now), touched by a write to something it
/// shows. Public only if `linking` is (`shown`): an unpublished one names nothing.
fn touched(linking: &ArticleState, shown: bool) -> Change {
    let keys = match shown {
        true => Keys::from([changes::article(linking.id), ALL_ARTICLES.to_owned()]),
        false => Keys::new(),
    };
    Change {
        kind: "article.updated",
        resource: format!("article:{}", linking.id),
        keys,
        hard: false,
        public: shown,
        slug: linking.slug.clone(),
        tags: linking.tags.clone(),
        reason: None,
        block: None,
    }
}

/// The change of a write to block `block` of live article `article` (as it is now), the
/// event `event`: public when the public can see the article and could see the block before
/// or can now (`seen`). It changes the article's data (its page, its teaser in lists, the
/// time it last changed) and its search entry; a deleted block must not be shown again.
pub(in crate::db) fn block(
    event: &'static str,
    article: &ArticleState,
    block: i64,
    seen: bool,
) -> Change {
    let keys = match seen {
        true => Keys::from([
            changes::article(article.id),
            ALL_ARTICLES.to_owned(),
            SEARCH.to_owned(),
        ]),
        false => Keys::new(),
    };
    Change {
        kind: event,
        resource: format!("article:{}", article.id),
        keys,
        hard: seen && event == "block.deleted",
        public: seen,
        slug: article.slug.clone(),
        tags: article.tags.clone(),
        reason: None,
        block: Some(block),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(slug: &str, live: bool, tags: &[&str]) -> ArticleState {
        ArticleState {
            id: 7,
            slug: slug.to_owned(),
            title: "Tram Vote".to_owned(),
            status: ArticleStatus::Published,
            published_at: None,
            updated_at: chrono::NaiveDateTime::default(),
            live,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            authors: Vec::new(),
        }
    }

    fn keys(change: &Change) -> Vec<&str> {
        change.keys.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_draft_edit_names_nothing() {
        let draft = state("tram-vote", false, &["transport"]);
        let change = of("article.updated", Some(&draft), Some(&draft), false, false);
        assert!(keys(&change).is_empty(), "{:?}", change.keys);
        assert!(!change.hard);
    }

    #[test]
    fn a_public_edit_names_the_article_not_the_lists() {
        let live = state("tram-vote", true, &["transport"]);
        let change = of("article.updated", Some(&live), Some(&live), true, true);
        assert_eq!(keys(&change), ["a:7", "a:all", "l:search", "s:tram-vote"]);
        assert!(!change.hard, "an edit is a soft purge");
    }

    #[test]
    fn a_retag_names_the_lists_of_the_old_and_the_new_tag() {
        let before = state("tram-vote", true, &["transport"]);
        let after = state("tram-vote", true, &["city-hall"]);
        let change = of("article.updated", Some(&before), Some(&after), true, true);
        for key in ["l:articles", "tags", "l:t:transport", "l:t:city-hall"] {
            assert!(change.keys.contains(key), "{key} in {:?}", change.keys);
        }
    }

    #[test]
    fn publishing_unpublishing_and_deleting_name_the_lists() {
        let draft = state("tram-vote", false, &["transport"]);
        let live = state("tram-vote", true, &["transport"]);
        for (event, before, after, was, is, hard) in [
            (
                "article.published",
                Some(&draft),
                Some(&live),
                false,
                true,
                false,
            ),
            (
                "article.unpublished",
                Some(&live),
                Some(&draft),
                true,
                false,
                true,
            ),
            ("article.deleted", Some(&live), None, true, false, true),
        ] {
            let change = of(event, before, after, was, is);
            assert!(change.keys.contains(ARTICLE_LIST), "{event}");
            assert!(change.keys.contains("l:t:transport"), "{event}");
            assert!(change.keys.contains("s:tram-vote"), "{event}");
            assert_eq!(change.hard, hard, "{event}");
        }
    }

    #[test]
    fn a_slug_change_names_both_addresses_and_is_hard() {
        let before = state("tram-vote", true, &[]);
        let after = state("tram-vote-passes", true, &[]);
        let change = of("article.updated", Some(&before), Some(&after), true, true);
        assert!(change.keys.contains("s:tram-vote") && change.keys.contains("s:tram-vote-passes"));
        assert!(change.hard);
    }

    #[test]
    fn leaving_view_says_why_and_shows_only_what_the_public_saw() {
        let live = state("tram-vote", true, &["transport"]);
        let mut hidden = state("tram-vote-draft", false, &["secret"]);
        let unpublished = of(
            "article.unpublished",
            Some(&live),
            Some(&hidden),
            true,
            false,
        );
        assert_eq!(unpublished.reason, Some("unpublished"));
        assert_eq!(unpublished.slug, "tram-vote", "not the draft's new slug");
        assert_eq!(unpublished.tags, ["transport"], "not the draft's new tag");
        hidden.status = ArticleStatus::Archived;
        let archived = of(
            "article.unpublished",
            Some(&live),
            Some(&hidden),
            true,
            false,
        );
        assert_eq!(archived.reason, Some("archived"));
        let deleted = of("article.deleted", Some(&live), None, true, false);
        assert_eq!((deleted.reason, deleted.public), (Some("deleted"), true));
        let draft = of(
            "article.updated",
            Some(&hidden),
            Some(&hidden),
            false,
            false,
        );
        assert_eq!((draft.reason, draft.public), (None, false));
        let retagged = state("tram-vote", true, &["city-hall"]);
        let moved = of("article.updated", Some(&live), Some(&retagged), true, true);
        assert_eq!(
            moved.tags,
            ["city-hall", "transport"],
            "the tag it left too"
        );
        assert_eq!(moved.reason, None);
    }
}
