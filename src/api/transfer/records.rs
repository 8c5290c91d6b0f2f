//! The record format as read: each NDJSON line checked by the same rules as the write API,
//! errors naming the line and the field.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::api::articles::{ArticleCreate, ArticleStatus, AuthorSlug, BlockCreate, RelatedInput};
use crate::api::images::ImageInput;
use crate::api::validate::Checker;
use crate::config::Limits;
use crate::content;
use crate::db::articles::ArticleFormat;
use crate::db::corrections::NewCorrection;
use crate::db::transfer::{self as store, ArticleImport, ImportRecord, TagImport};
use crate::error::ApiError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderLine {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    version: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagLine {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    slug: String,
    name: String,
    description: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleLine {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    slug: String,
    title: String,
    summary: Option<String>,
    body: Option<String>,
    status: Option<ArticleStatus>,
    published_at: Option<DateTime<Utc>>,
    byline: Option<String>,
    feature_image_url: Option<String>,
    feature_image: Option<ObjectOnly<ImageInput>>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    tags: Option<Vec<String>>,
    authors: Option<Vec<AuthorSlug>>,
    related: Option<Vec<ObjectOnly<RelatedInput>>>,
    former_slugs: Option<Vec<String>>,
    format: Option<ArticleFormat>,
    live: Option<bool>,
    blocks: Option<Vec<ObjectOnly<BlockCreate>>>,
    corrections: Option<Vec<ObjectOnly<CorrectionLine>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorLine {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    slug: String,
    name: String,
    role: Option<String>,
    bio: Option<String>,
    image: Option<ObjectOnly<ImageInput>>,
    links: Option<Vec<ObjectOnly<crate::api::authors::ProfileLink>>>,
    #[serde(rename = "created_at")]
    _created_at: Option<IgnoredAny>,
    #[serde(rename = "updated_at")]
    _updated_at: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionLine {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    slug: String,
    name: String,
    description: Option<String>,
    articles: Option<Vec<String>>,
    #[serde(rename = "created_at")]
    _created_at: Option<IgnoredAny>,
    #[serde(rename = "updated_at")]
    _updated_at: Option<IgnoredAny>,
}

/// An author record, checked as `POST /api/v1/authors` checks an author.
fn author_record(line: AuthorLine) -> Result<crate::db::authors::NewAuthor, FieldErrors> {
    let create = crate::api::authors::AuthorCreate {
        name: line.name,
        slug: Some(line.slug),
        role: line.role,
        bio: line.bio,
        image: line.image.map(|i| i.0),
        links: line.links.map(|l| l.into_iter().map(|l| l.0).collect()),
    };
    create.into_new().map_err(api_errors)
}

/// A collection record: its own fields checked as `POST /api/v1/collections` checks them; its
/// articles must be in the database or earlier in the file.
fn collection_record(line: CollectionLine) -> Result<store::CollectionImport, FieldErrors> {
    let mut c = Checker::default();
    c.slug("slug", &line.slug);
    c.text(
        "name",
        &line.name,
        crate::api::validate::MAX_NAME_CHARS,
        true,
    );
    if let Some(d) = &line.description {
        c.text("description", d, 2000, false);
    }
    let articles = line.articles.unwrap_or_default();
    c.count(
        "articles",
        articles.len(),
        crate::db::collections::MAX_ITEMS,
    );
    for (i, slug) in articles.iter().enumerate() {
        c.slug(&format!("articles[{i}]"), slug);
    }
    c.finish().map_err(api_errors)?;
    Ok(store::CollectionImport {
        slug: line.slug,
        name: line.name.trim().to_owned(),
        description: line.description,
        articles,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionLine {
    body: String,
    created_at: DateTime<Utc>,
}

type FieldErrors = Vec<(String, String)>;

fn one(field: impl Into<String>, message: impl Into<String>) -> FieldErrors {
    vec![(field.into(), message.into())]
}

fn naive(ts: DateTime<Utc>) -> NaiveDateTime {
    ts.naive_utc().trunc_subsecs(6)
}

// serde_json appends " at line L column C" to its messages; a record is one line.
fn strip_position(message: String) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}

/// A value that must be given as a JSON object: serde would fill a struct from an array by
/// position, and a related link given as `["a"]` is a mistake to name, not to guess at.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        de.deserialize_map(Object(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

/// The `type` of a record, read before the rest (which is skipped, not copied).
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<KindValue<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KindValue<'a> {
    Text(#[serde(borrow)] std::borrow::Cow<'a, str>),
    Other(IgnoredAny),
}

/// The line `text` as `T`, parsed straight into it, or the field at fault (a missing field
/// is named itself, not its parent).
fn fields<T: DeserializeOwned>(text: &str) -> Result<T, FieldErrors> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let message = strip_position(err.inner().to_string());
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (".", None) => String::new(),
            (path, Some(name)) => format!("{path}.{name}"),
            (path, None) => path.to_owned(),
        };
        one(field, message)
    })
}

fn api_errors(err: ApiError) -> FieldErrors {
    match err {
        ApiError::Validation { errors, .. } => {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        }
        other => one("", other.to_string()),
    }
}

/// Parses, checks and renders one non-blank line; `first` when no record came before it.
/// The line is read straight into typed records: its strings are copied once, and nothing
/// else of it is kept (a line held as a JSON value took 37 times its size).
pub fn parse_record(text: &str, first: bool, limits: &Limits) -> Result<ImportRecord, FieldErrors> {
    // Syntax first, over the whole line, so that malformed JSON is reported as such.
    serde_json::from_str::<IgnoredAny>(text).map_err(|e| {
        let column = e.column();
        one(
            "",
            format!(
                "is not valid JSON: {} (column {column})",
                strip_position(e.to_string())
            ),
        )
    })?;
    if !text.trim_start().starts_with('{') {
        return Err(one("", "must be a JSON object"));
    }
    let kind = match serde_json::from_str::<Kind<'_>>(text) {
        Ok(Kind {
            kind: Some(KindValue::Text(kind)),
        }) => kind,
        Ok(Kind {
            kind: Some(KindValue::Other(_)),
        }) => return Err(one("type", "must be a string")),
        Ok(Kind { kind: None }) | Err(_) => {
            return Err(one(
                "type",
                "is required: `tag`, `article` or (first line only) `gazette-export`",
            ));
        }
    };
    match kind.as_ref() {
        store::FORMAT => {
            if !first {
                return Err(one(
                    "type",
                    "the `gazette-export` header may only be the first line",
                ));
            }
            let header: HeaderLine = fields(text)?;
            if header.version != store::VERSION {
                return Err(one(
                    "version",
                    format!(
                        "version {} is not supported; this Gazette reads version {}",
                        header.version,
                        store::VERSION
                    ),
                ));
            }
            Ok(ImportRecord::Header)
        }
        "tag" => tag_record(fields(text)?, limits).map(ImportRecord::Tag),
        "author" => author_record(fields(text)?).map(ImportRecord::Author),
        "collection" => collection_record(fields(text)?).map(ImportRecord::Collection),
        "article" => {
            article_record(fields(text)?, limits).map(|a| ImportRecord::Article(Box::new(a)))
        }
        other => Err(one(
            "type",
            format!(
                "unknown record type '{other}': expected `tag`, `author`, `article` or `collection`"
            ),
        )),
    }
}

fn check_times(c: &mut Checker, created: Option<&DateTime<Utc>>, updated: Option<&DateTime<Utc>>) {
    for (field, at) in [("created_at", created), ("updated_at", updated)] {
        if let Some(at) = at {
            c.timestamp(field, at);
        }
    }
}

/// A tag record, checked as `POST /api/v1/tags` checks a tag.
fn tag_record(line: TagLine, limits: &Limits) -> Result<TagImport, FieldErrors> {
    let mut c = Checker::default();
    // A tag's slug may be all digits (a tag named "2026" has the slug `2026`): tags are never
    // addressed by id.
    if !content::is_valid_slug(&line.slug) {
        c.slug("slug", &line.slug);
    }
    c.tag("name", &line.name);
    check_times(&mut c, line.created_at.as_ref(), line.updated_at.as_ref());
    if let Some(description) = &line.description {
        c.text("description", description, limits.summary_chars, false);
    }
    c.finish().map_err(api_errors)?;
    Ok(TagImport {
        slug: line.slug,
        name: line.name.trim().to_owned(),
        description: line.description,
        created_at: line.created_at.map(naive),
        updated_at: line.updated_at.map(naive),
    })
}

/// An article record, checked and rendered as `POST /api/v1/articles` does; also its
/// former slugs and, when published, its publication time.
fn article_record(line: ArticleLine, limits: &Limits) -> Result<ArticleImport, FieldErrors> {
    let former_slugs = line.former_slugs.unwrap_or_default();
    let mut c = Checker::default();
    for (i, slug) in former_slugs.iter().enumerate() {
        c.slug(&format!("former_slugs[{i}]"), slug);
    }
    check_times(&mut c, line.created_at.as_ref(), line.updated_at.as_ref());
    if line.status == Some(ArticleStatus::Published) && line.published_at.is_none() {
        c.fail(
            "published_at",
            "is required for a published article (an import does not stamp the current time)",
        );
    }
    let create = ArticleCreate {
        title: line.title,
        slug: Some(line.slug),
        summary: line.summary,
        body: line.body,
        status: line.status,
        published_at: line.published_at,
        tags: line.tags,
        related: line
            .related
            .map(|links| links.into_iter().map(|link| link.0).collect()),
        byline: line.byline,
        authors: line.authors,
        feature_image_url: line.feature_image_url,
        feature_image: line.feature_image.map(|i| i.0),
        format: line.format,
        live: line.live,
    };
    let mut blocks = Vec::new();
    let mut block_errors = Vec::new();
    let count = line.blocks.as_ref().map_or(0, Vec::len);
    if count as i64 > crate::db::blocks::MAX_BLOCKS {
        block_errors.push((
            "blocks".to_owned(),
            format!(
                "has {count} blocks; a live article may have at most {}",
                crate::db::blocks::MAX_BLOCKS
            ),
        ));
    }
    if count > 0 && line.format != Some(ArticleFormat::Live) {
        block_errors.push((
            "blocks".to_owned(),
            "only a live article (`format: live`) has blocks".to_owned(),
        ));
    }
    let given = line.blocks.filter(|_| block_errors.is_empty());
    for (i, block) in given.unwrap_or_default().into_iter().enumerate() {
        match block.0.into_new(limits) {
            Ok(block) => blocks.push(block),
            Err(err) => block_errors.extend(
                api_errors(err)
                    .into_iter()
                    .map(|(field, message)| (format!("blocks[{i}].{field}"), message)),
            ),
        }
    }
    let mut corrections = Vec::new();
    for (i, line) in line.corrections.unwrap_or_default().into_iter().enumerate() {
        let line = line.0;
        let field = format!("corrections[{i}]");
        c.timestamp(&format!("{field}.created_at"), &line.created_at);
        c.text(&format!("{field}.body"), &line.body, 5000, true);
        match content::render(&line.body) {
            Ok(rendered) => corrections.push(NewCorrection {
                body: line.body,
                body_html: rendered.html,
                created_at: Some(naive(line.created_at)),
            }),
            Err(e) => c.fail(format!("{field}.body"), e.to_string()),
        }
    }
    let mut errors = match create.into_new(limits) {
        Ok(mut article) if block_errors.is_empty() => {
            c.finish().map_err(api_errors)?;
            article.blocks = blocks;
            article.corrections = corrections;
            return Ok(ArticleImport {
                article,
                created_at: line.created_at.map(naive),
                updated_at: line.updated_at.map(naive),
                former_slugs,
            });
        }
        Ok(_) => block_errors,
        Err(err) => {
            let mut errors = api_errors(err);
            errors.extend(block_errors);
            errors
        }
    };
    if let Err(err) = c.finish() {
        errors.extend(api_errors(err));
    }
    Err(errors)
}

/// Why a line is refused for its length.
pub(super) fn too_long(max: usize) -> String {
    format!("is longer than the limit of {max} bytes (MAX_IMPORT_LINE_BYTES)")
}
