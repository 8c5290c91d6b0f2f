//! A content key sent in a URL (`?key=`), for browsers' `EventSource` and others that cannot
//! set `Authorization`. Only a content key may travel so (an admin key is refused), and the
//! access log never shows it.

use std::borrow::Cow;

/// The query parameter a content key may come in.
pub const PARAMETER: &str = "key";

/// The key in `query`, if any.
pub fn of(query: &str) -> Option<String> {
    if !query.contains("key=") {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == PARAMETER)
        .map(|(_, value)| value.into_owned())
}

/// `query` without its key: what handlers parse, and the access log shows (with `key=…`
/// in its place when `mark` is given).
pub fn strip<'q>(query: &'q str, mark: Option<&str>) -> Cow<'q, str> {
    if of(query).is_none() {
        return Cow::Borrowed(query);
    }
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != PARAMETER {
            kept.append_pair(&name, &value);
        } else if let Some(mark) = mark {
            kept.append_pair(PARAMETER, mark);
        }
    }
    Cow::Owned(kept.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_and_taken_out() {
        assert_eq!(of("tag=x&key=gazette_abc").as_deref(), Some("gazette_abc"));
        assert_eq!(of("monkey=1"), None);
        assert_eq!(of("tag=x"), None);
        assert_eq!(strip("tag=x&key=gazette_abc", None), "tag=x");
        assert_eq!(
            strip("key=gazette_abc&tag=x", Some("…")),
            "key=%E2%80%A6&tag=x"
        );
        assert_eq!(strip("tag=x", None), "tag=x");
    }
}
