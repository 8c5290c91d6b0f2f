//! What an article write changes, as the change log records it ([`crate::db::changes`]):
//! computed from the article as it was and as it is.

use super::model::ArticleState;
use crate::db::changes::{self, ALL_ARTICLES, ARTICLE_LIST, Change, Keys, SEARCH, TAGS};

/// The change of the write `event` from `before` to `after` (absent for a creation or a
/// deletion); `seen` says whether the public could see the article before or can now.
///
/// An article the public never saw changes nothing public: its change names no key, so that
/// no public answer (nor a CDN's copy, nor its timing) moves because of it. One the public
/// sees or saw names its key, its addresses (old and new slug), search and `a:all`; when it
/// also joins, leaves or moves in the lists (published, unpublished, deleted, re-dated or
/// re-tagged), the article list, the tag list and every list of a tag it had or has. The
/// write adds the articles linking to one it publishes ([`linking`]).
pub(in crate::db) fn of(
    event: &'static str,
    before: Option<&ArticleState>,
    after: Option<&ArticleState>,
    seen: bool,
) -> Change {
    let id = after.or(before).map_or(0, |state| state.id);
    let mut keys = Keys::new();
    let states = || before.into_iter().chain(after);
    let moved = match (before, after) {
        (Some(b), Some(a)) => {
            b.live != a.live || b.published_at != a.published_at || b.tags != a.tags
        }
        _ => true,
    };
    if seen {
        keys.insert(changes::article(id));
        keys.extend(states().map(|s| changes::address(&s.slug)));
        keys.extend([ALL_ARTICLES, SEARCH].map(str::to_owned));
    }
    if seen && (moved || event != "article.updated") {
        keys.extend([ARTICLE_LIST, TAGS].map(str::to_owned));
        keys.extend(states().flat_map(|s| &s.tags).map(|t| changes::tag_list(t)));
    }
    let slug_changed = matches!((before, after), (Some(b), Some(a)) if b.slug != a.slug);
    let hard = seen && (matches!(event, "article.deleted" | "article.unpublished") || slug_changed);
    Change {
        kind: event,
        resource: format!("article:{id}"),
        keys,
        hard,
    }
}

/// The change to the articles `linking` to article `target`, touched because what they show
/// of it changed (it left public view).
pub(in crate::db) fn touched(target: i64, linking: &[i64]) -> Change {
    let mut keys: Keys = linking.iter().map(|id| changes::article(*id)).collect();
    keys.insert(ALL_ARTICLES.to_owned());
    Change {
        kind: "article.updated",
        resource: format!("article:{target}"),
        keys,
        hard: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::articles::ArticleStatus;

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
        }
    }

    fn keys(change: &Change) -> Vec<&str> {
        change.keys.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_draft_edit_names_nothing() {
        let draft = state("tram-vote", false, &["transport"]);
        let change = of("article.updated", Some(&draft), Some(&draft), false);
        assert!(keys(&change).is_empty(), "{:?}", change.keys);
        assert!(!change.hard);
    }

    #[test]
    fn a_public_edit_names_the_article_not_the_lists() {
        let live = state("tram-vote", true, &["transport"]);
        let change = of("article.updated", Some(&live), Some(&live), true);
        assert_eq!(keys(&change), ["a:7", "a:all", "l:search", "s:tram-vote"]);
        assert!(!change.hard, "an edit is a soft purge");
    }

    #[test]
    fn a_retag_names_the_lists_of_the_old_and_the_new_tag() {
        let before = state("tram-vote", true, &["transport"]);
        let after = state("tram-vote", true, &["city-hall"]);
        let change = of("article.updated", Some(&before), Some(&after), true);
        for key in ["l:articles", "tags", "l:t:transport", "l:t:city-hall"] {
            assert!(change.keys.contains(key), "{key} in {:?}", change.keys);
        }
    }

    #[test]
    fn publishing_unpublishing_and_deleting_name_the_lists() {
        let draft = state("tram-vote", false, &["transport"]);
        let live = state("tram-vote", true, &["transport"]);
        for (event, before, after, hard) in [
            ("article.published", Some(&draft), Some(&live), false),
            ("article.unpublished", Some(&live), Some(&draft), true),
            ("article.deleted", Some(&live), None, true),
        ] {
            let change = of(event, before, after, true);
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
        let change = of("article.updated", Some(&before), Some(&after), true);
        assert!(change.keys.contains("s:tram-vote") && change.keys.contains("s:tram-vote-passes"));
        assert!(change.hard);
    }
}
