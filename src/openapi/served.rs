//! The document as served: limits as configured, patterns in place.

use crate::api::validate;
use crate::config::Limits;

/// The document as served: each configurable limit set where it is stated (the schemas are
/// written with the defaults). Set by place, one property or parameter at a time, so that a
/// limit that happens to have another's value is never mistaken for it.
pub fn with_limits(spec: &utoipa::openapi::OpenApi, limits: &Limits) -> serde_json::Value {
    let mut json = serde_json::to_value(spec).expect("the OpenAPI document serializes");
    for (keyword, value, places) in limit_places(limits) {
        for place in places {
            if let Some(schema) = json.pointer_mut(&place).and_then(|v| v.as_object_mut()) {
                schema.insert(keyword.to_owned(), value.clone());
            }
        }
    }
    set_page_size(&mut json, limits.page_size);
    name_patterns(&mut json);
    json
}

/// Puts each pattern named in a schema attribute in place ([`validate::PATTERNS`]).
fn name_patterns(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(name)) = map.get_mut("pattern")
                && let Some((_, pattern)) = validate::PATTERNS.iter().find(|(n, _)| n == name)
            {
                *name = (*pattern).to_owned();
            }
            map.values_mut().for_each(name_patterns);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(name_patterns),
        _ => {}
    }
}

/// The schemas of article writes, whose properties carry the article limits.
const ARTICLE_WRITES: [&str; 2] = ["ArticleCreate", "ArticlePatch"];
/// The schemas with a related link's title and summary.
const LINK_WRITES: [&str; 1] = ["ExternalLinkInput"];
/// The schemas with a tag's description, limited as a summary is.
const TAG_WRITES: [&str; 2] = ["TagCreate", "TagPatch"];
/// Operations whose `limit` is not a page size: the related list and the sync feed have
/// bounds of their own.
const OWN_LIMITS: [&str; 2] = ["/api/v1/articles/{slug_or_id}/related", "/api/v1/changes"];

/// Each configurable limit: the keyword, its value, and the JSON pointers of the schemas
/// that state it.
fn limit_places(limits: &Limits) -> Vec<(&'static str, serde_json::Value, Vec<String>)> {
    let property = |schemas: &[&str], name: &str| -> Vec<String> {
        schemas
            .iter()
            .map(|schema| format!("/components/schemas/{schema}/properties/{name}"))
            .collect()
    };
    let both = |a: Vec<String>, b: Vec<String>| [a, b].concat();
    vec![
        (
            "maxLength",
            limits.title_chars.into(),
            both(
                property(&ARTICLE_WRITES, "title"),
                property(&LINK_WRITES, "title"),
            ),
        ),
        (
            "maxLength",
            limits.summary_chars.into(),
            [
                property(&ARTICLE_WRITES, "summary"),
                property(&LINK_WRITES, "summary"),
                property(&TAG_WRITES, "description"),
            ]
            .concat(),
        ),
        (
            "maxLength",
            limits.article_chars.into(),
            property(&ARTICLE_WRITES, "body"),
        ),
        (
            "maxItems",
            limits.tags_per_article.into(),
            property(&ARTICLE_WRITES, "tags"),
        ),
        (
            "maxItems",
            limits.related_per_article.into(),
            property(&ARTICLE_WRITES, "related"),
        ),
        (
            "maximum",
            limits.page_size.into(),
            vec!["/components/schemas/ListMeta/properties/limit".to_owned()],
        ),
    ]
}

/// Sets the bounds of every paged list's `limit` query parameter: its maximum, and its
/// default where that is larger than the page size.
fn set_page_size(json: &mut serde_json::Value, page_size: i64) {
    let Some(paths) = json.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if OWN_LIMITS.contains(&path.as_str()) {
            continue;
        }
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for operation in operations.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(|p| p.as_array_mut())
            else {
                continue;
            };
            for parameter in parameters {
                if parameter["name"] != "limit" || parameter["in"] != "query" {
                    continue;
                }
                if let Some(schema) = parameter.get_mut("schema").and_then(|s| s.as_object_mut()) {
                    schema.insert("maximum".to_owned(), page_size.into());
                    if schema
                        .get("default")
                        .and_then(serde_json::Value::as_i64)
                        .is_some_and(|d| d > page_size)
                    {
                        schema.insert("default".to_owned(), page_size.into());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Every leaf of `a` that `b` has otherwise, by JSON pointer, with `b`'s value.
    fn changed(a: &Value, b: &Value, at: String, out: &mut Vec<(String, Value)>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    changed(v, &y[k], format!("{at}/{key}"), out);
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    changed(v, w, format!("{at}/{i}"), out);
                }
            }
            _ if a != b => out.push((at, b.clone())),
            _ => {}
        }
    }

    fn changes(limits: Limits) -> Vec<(String, Value)> {
        let spec = crate::app::openapi();
        let mut out = Vec::new();
        changed(
            &with_limits(&spec, &Limits::DEFAULT),
            &with_limits(&spec, &limits),
            String::new(),
            &mut out,
        );
        out
    }

    /// `MAX_RELATED_PER_ARTICLE=10` changes the related-link limits and nothing else (the
    /// `tag` filter's 50 items, the default related limit's value, stays).
    #[test]
    fn the_related_limit_changes_only_related_limits() {
        let related = |schema: &str| {
            (
                format!("/components/schemas/{schema}/properties/related/maxItems"),
                Value::from(10),
            )
        };
        assert_eq!(
            changes(Limits {
                related_per_article: 10,
                ..Limits::DEFAULT
            }),
            vec![related("ArticleCreate"), related("ArticlePatch")]
        );
    }

    /// Every pattern in the served document is a pattern, none a name left in place.
    #[test]
    fn every_named_pattern_is_put_in_place() {
        fn patterns(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(p)) = map.get("pattern") {
                        out.push(p.clone());
                    }
                    map.values().for_each(|v| patterns(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        patterns(
            &with_limits(&crate::app::openapi(), &Limits::DEFAULT),
            &mut found,
        );
        assert!(found.len() >= 20, "{found:?}");
        for pattern in &found {
            assert!(
                pattern.starts_with('^') && pattern.ends_with('$'),
                "{pattern} is a name no pattern has"
            );
        }
        for (name, pattern) in validate::PATTERNS {
            assert!(found.iter().any(|p| p == pattern), "{name} is used nowhere");
        }
    }

    /// Each limit lands on every place that states it, and on no other.
    #[test]
    fn each_limit_changes_its_own_places() {
        let defaults = Limits::DEFAULT;
        let cases = [
            (
                Limits {
                    title_chars: 7,
                    ..defaults
                },
                3,
            ),
            (
                Limits {
                    summary_chars: 7,
                    ..defaults
                },
                5,
            ),
            (
                Limits {
                    article_chars: 7,
                    ..defaults
                },
                2,
            ),
            (
                Limits {
                    tags_per_article: 7,
                    ..defaults
                },
                2,
            ),
            // Eight paged lists' maximum and default, and the page metadata's maximum.
            (
                Limits {
                    page_size: 7,
                    ..defaults
                },
                17,
            ),
        ];
        for (limits, places) in cases {
            let found = changes(limits);
            assert_eq!(found.len(), places, "{found:?}");
            assert!(found.iter().all(|(_, v)| *v == 7), "{found:?}");
        }
    }
}
