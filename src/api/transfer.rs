//! Import of tags and articles as NDJSON: the record format as read (each line checked by
//! the same rules as the write API) and `POST /api/v1/import`. The CLI's `gazette import`
//! and `gazette export` use the same code; storage is in [`crate::db::transfer`].
//!
//! The format, one JSON object per line (blank lines are skipped):
//!
//! ```text
//! {"type":"gazette-export","version":1}
//! {"type":"tag","slug":"transport","name":"Transport","description":null,"created_at":"…","updated_at":"…"}
//! {"type":"article","slug":"…","title":"…","summary":"…","body":"…","status":"published",
//!  "published_at":"…","byline":null,"feature_image_url":null,"created_at":"…","updated_at":"…",
//!  "tags":["transport"],"related":[{"slug":"…"},{"url":"…","title":null,"summary":"…"}],
//!  "former_slugs":[]}
//! ```
//!
//! (an article is one line; it is wrapped here). Tags come in slug order, then articles in
//! creation order (ties by slug); timestamps are RFC 3339 UTC with up to microseconds;
//! `tags` are tag slugs in display order; internal links are by the target's slug; there
//! are no database ids.
//!
//! On import the header is optional (first line only), and a record may leave out what it
//! does not need: an article needs `slug` and `title`, a tag `slug` and `name`; other fields
//! default as on the write API and absent lists are empty. A record describes the whole
//! article: its `tags`, `related` and `former_slugs` replace the stored ones, and each tag
//! it names must exist (its record comes first). An absent `created_at` is the import's time
//! for a new record and keeps the stored one otherwise; for `updated_at` see
//! [`crate::db::transfer`]. A published article needs `published_at` (an import does not
//! stamp one), so that importing the same file again is a no-op. Fields are checked as the
//! write API checks them, and errors name the line and the field: `line 12: title`.

use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use actix_web::{HttpMessage, HttpRequest, post, web};
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use futures_util::StreamExt;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::articles::{ArticleCreate, ArticleStatus, RelatedInput};
use super::extract::Admin;
use super::validate::Checker;
use crate::api::problems;
use crate::config::Limits;
use crate::content;
use crate::db::transfer::{
    self as store, ArticleImport, ImportCounts, ImportRecord, TagImport, TransferError,
};
use crate::db::{self, Conn};
use crate::error::{ApiError, FieldError, Problem};

/// The largest body `POST /api/v1/import` accepts.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// The media types an import body may be sent as.
const NDJSON_TYPES: [&str; 2] = ["x-ndjson", "ndjson"];

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
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    tags: Option<Vec<String>>,
    related: Option<Vec<ObjectOnly<RelatedInput>>>,
    former_slugs: Option<Vec<String>>,
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
        "article" => {
            article_record(fields(text)?, limits).map(|a| ImportRecord::Article(Box::new(a)))
        }
        other => Err(one(
            "type",
            format!("unknown record type '{other}': expected `tag` or `article`"),
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
        feature_image_url: line.feature_image_url,
    };
    let mut errors = match create.into_new(limits) {
        Ok(article) => {
            c.finish().map_err(api_errors)?;
            return Ok(ArticleImport {
                article,
                created_at: line.created_at.map(naive),
                updated_at: line.updated_at.map(naive),
                former_slugs,
            });
        }
        Err(err) => api_errors(err),
    };
    if let Err(err) = c.finish() {
        errors.extend(api_errors(err));
    }
    Err(errors)
}

/// Why a line is refused for its length.
fn too_long(max: usize) -> String {
    format!("is longer than the limit of {max} bytes (MAX_IMPORT_LINE_BYTES)")
}

/// The records of an NDJSON stream with their line numbers, parsed, checked and rendered one
/// line at a time; the first bad line ends it with an error. A line is read up to
/// `limits.import_line_bytes` and refused past it, before more of it is buffered.
pub struct Records<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    first: bool,
    done: bool,
    limits: Limits,
}

impl<R: BufRead> Records<R> {
    pub fn new(reader: R, limits: Limits) -> Self {
        Self {
            reader,
            limits,
            line: 0,
            buf: Vec::new(),
            first: true,
            done: false,
        }
    }

    fn fail(&mut self, err: TransferError) -> Option<<Self as Iterator>::Item> {
        self.done = true;
        Some(Err(err))
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<(u64, ImportRecord), TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let max = self.limits.import_line_bytes;
            // One byte past the limit tells a line that is too long, without reading it all.
            let mut bounded = (&mut self.reader).take(max as u64 + 1);
            match bounded.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    let line = self.line + 1;
                    return self.fail(TransferError::Io(format!("cannot read line {line}: {e}")));
                }
            }
            self.line += 1;
            let line = self.line;
            let content = self.buf.len() - usize::from(self.buf.ends_with(b"\n"));
            if content > max {
                return self.fail(TransferError::at(line, "", too_long(max)));
            }
            let Ok(mut text) = std::str::from_utf8(&self.buf) else {
                return self.fail(TransferError::at(line, "", "is not UTF-8 text"));
            };
            if line == 1 {
                text = text.trim_start_matches('\u{feff}');
            }
            if text.trim().is_empty() {
                continue;
            }
            let first = std::mem::replace(&mut self.first, false);
            return match parse_record(text, first, &self.limits) {
                Ok(record) => Some(Ok((line, record))),
                Err(errors) => self.fail(TransferError::Invalid { line, errors }),
            };
        }
        None
    }
}

/// The records of an import, checked and rendered ahead of the write and kept in a
/// temporary file, so that the write holds the lock for storage work only and memory holds
/// one record at a time.
#[derive(Debug)]
pub struct Prepared {
    reader: BufReader<std::fs::File>,
    buf: Vec<u8>,
}

fn spool_io(e: impl std::fmt::Display) -> TransferError {
    TransferError::Io(format!("cannot spool the prepared import: {e}"))
}

/// Reads, checks and renders every record of `input`: slow work, which needs no database
/// connection and no lock. The first bad line ends it with an error.
pub fn prepare(input: impl BufRead, limits: Limits) -> Result<Prepared, TransferError> {
    let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile().map_err(spool_io)?);
    for record in Records::new(input, limits) {
        let record = record?;
        serde_json::to_writer(&mut out, &record).map_err(spool_io)?;
        out.write_all(b"\n").map_err(spool_io)?;
    }
    let mut file = out.into_inner().map_err(|e| spool_io(e.error()))?;
    file.seek(SeekFrom::Start(0)).map_err(spool_io)?;
    Ok(Prepared {
        reader: BufReader::with_capacity(1 << 16, file),
        buf: Vec::new(),
    })
}

impl Iterator for Prepared {
    type Item = Result<(u64, ImportRecord), TransferError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_slice(&self.buf).map_err(spool_io)),
            Err(e) => Some(Err(spool_io(e))),
        }
    }
}

/// Imports the NDJSON `input` in one transaction: all of it, or nothing. Every record is
/// checked and rendered first ([`prepare`]), then written.
pub fn import_ndjson(
    conn: &mut Conn,
    input: impl BufRead,
    limits: Limits,
    now: NaiveDateTime,
) -> Result<ImportCounts, TransferError> {
    store::import(conn, prepare(input, limits)?, now)
}

// ---------------------------------------------------------------------------------------
// HTTP.

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "tags_created": 2,
    "tags_updated": 0,
    "articles_created": 12,
    "articles_updated": 1,
    "unchanged": 40
}))]
pub struct ImportSummary {
    /// Tags whose slug was not in the database.
    pub tags_created: u64,
    /// Tags changed to what their record says.
    pub tags_updated: u64,
    /// Articles whose slug was not in the database.
    pub articles_created: u64,
    /// Articles changed to what their record says (each gets a new revision).
    pub articles_updated: u64,
    /// Tags and articles already as their records say: nothing was written for them.
    pub unchanged: u64,
}

impl From<ImportCounts> for ImportSummary {
    fn from(c: ImportCounts) -> Self {
        Self {
            tags_created: c.tags_created,
            tags_updated: c.tags_updated,
            articles_created: c.articles_created,
            articles_updated: c.articles_updated,
            unchanged: c.unchanged,
        }
    }
}

fn import_error(err: TransferError) -> ApiError {
    match err {
        TransferError::Invalid { line, errors } => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|(field, message)| FieldError::new(store::line_field(line, &field), message))
                .collect();
            let first = errors
                .first()
                .map(|e| format!("{}: {}", e.field, e.message))
                .unwrap_or_default();
            ApiError::Validation {
                detail: format!("Nothing was imported: {first}."),
                errors,
            }
        }
        // The body was spooled whole before the import: failing to read it back is ours.
        TransferError::Io(message) => ApiError::Internal(message),
        TransferError::Store(err) => err.into(),
    }
}

fn is_ndjson(req: &HttpRequest) -> bool {
    let Ok(Some(mime)) = req.mime_type() else {
        return false;
    };
    mime.type_() == "application" && NDJSON_TYPES.contains(&mime.subtype().as_str())
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "The import is larger than the limit of {MAX_IMPORT_BYTES} bytes; split it into several files (each is imported by slug, so the order of files only matters for tags and links they share) or use `gazette import`."
    ))
}

/// The length of the line being received, checked chunk by chunk.
struct LineLengths {
    max: usize,
    line: u64,
    length: usize,
}

impl LineLengths {
    fn new(max: usize) -> Self {
        Self {
            max,
            line: 1,
            length: 0,
        }
    }

    /// Counts the bytes of `chunk` into their lines; an error names the first line found
    /// longer than the limit.
    fn check(&mut self, mut chunk: &[u8]) -> Result<(), TransferError> {
        loop {
            let (piece, ends) = match chunk.iter().position(|&b| b == b'\n') {
                Some(nl) => (nl, true),
                None => (chunk.len(), false),
            };
            self.length += piece;
            if self.length > self.max {
                return Err(TransferError::at(self.line, "", too_long(self.max)));
            }
            if !ends {
                return Ok(());
            }
            self.line += 1;
            self.length = 0;
            chunk = &chunk[piece + 1..];
        }
    }
}

fn spool_error(err: std::io::Error) -> ApiError {
    ApiError::Internal(format!("cannot spool the import body: {err}"))
}

/// Import tags and articles.
///
/// The body is NDJSON, one JSON object per line, as `gazette export` writes it: an optional
/// `{"type":"gazette-export","version":1}` header, then `{"type":"tag",…}` records, then
/// `{"type":"article",…}` records with their `tags` (slugs), `related` links and
/// `former_slugs`. Tags and articles are matched by slug, created or updated to what their
/// record says, and left alone when already equal, so importing the same file twice changes
/// nothing. A new tag or article keeps the record's timestamps; a changed one takes the
/// record's `updated_at` when it is later than the stored one, else the time of the import.
/// An internal related link may name an article further down the file. Each article created
/// or changed gets a revision and a webhook event.
///
/// All or nothing: the import is one transaction, and the first invalid line answers 422
/// with `errors` naming it and the field, as `line 12: related[0].slug`; a line longer than
/// the server's `MAX_IMPORT_LINE_BYTES` (8 MiB unless configured) is refused by number as
/// soon as it is seen. The body is received whole (up to 256 MiB) and every record checked
/// and rendered before the write starts, so a slow upload does not hold up other writers,
/// and reads are served throughout.
#[utoipa::path(
    operation_id = "importContent",
    tag = "transfer",
    request_body(
        content = String,
        content_type = "application/x-ndjson",
        description = "Records, one JSON object per line, as `gazette export` writes them.",
        example = json!("{\"type\":\"gazette-export\",\"version\":1}\n{\"type\":\"tag\",\"slug\":\"transport\",\"name\":\"Transport\",\"description\":\"Trams, ferries and roads.\",\"created_at\":\"2026-10-01T09:00:00Z\",\"updated_at\":\"2026-10-01T09:00:00Z\"}\n{\"type\":\"article\",\"slug\":\"tram-extension-approved\",\"title\":\"Council Approves Tram Extension\",\"summary\":\"The line will reach the ferry terminal by 2028.\",\"body\":\"After a six-hour debate, the council voted 9–4 in favour.\",\"status\":\"published\",\"published_at\":\"2026-10-02T08:00:00Z\",\"byline\":null,\"feature_image_url\":null,\"created_at\":\"2026-10-01T10:00:00Z\",\"updated_at\":\"2026-10-02T08:00:00Z\",\"tags\":[\"transport\"],\"related\":[{\"url\":\"https://example.org/tram-plan\",\"title\":\"Tram plan\",\"summary\":\"The full extension plan.\"}],\"former_slugs\":[]}\n")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every record was applied; what changed.", body = ImportSummary),
        (status = 400, description = "The body could not be received.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 256 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/x-ndjson`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A line is invalid or too long; nothing was imported. `errors` names the line and the field, as `line 12: related[0].slug`.", body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "about:blank",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "Nothing was imported: line 12: related[0].slug: no article has the slug 'harbour-dredging'.",
                "errors": [{"field": "line 12: related[0].slug", "message": "no article has the slug 'harbour-dredging'"}]
            })),
        (status = 503, description = "The database is busy with other writes; retry shortly.", body = Problem, content_type = "application/problem+json"),
        problems::AdminOnly,
    )
)]
#[post("/import")]
pub async fn import_content(
    state: State,
    _admin: Admin,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<web::Json<ImportSummary>, ApiError> {
    if !is_ndjson(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "Send the records as NDJSON with `Content-Type: application/x-ndjson`, one JSON object per line."
                .to_owned(),
        ));
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES as u64) {
        return Err(too_large());
    }
    // Spool the body to an anonymous temporary file, a megabyte at a time, refusing a line
    // past its limit as soon as it is seen; then check and render every record (neither
    // needs a connection nor the write lock); then write, once it is this writer's turn.
    let limits = state.settings.limits;
    let mut file = web::block(tempfile::tempfile)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(spool_error)?;
    let mut size = 0;
    let mut lines = LineLengths::new(limits.import_line_bytes);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    loop {
        let chunk = payload.next().await;
        let end = chunk.is_none();
        if let Some(chunk) = chunk {
            let chunk = chunk.map_err(|e| {
                ApiError::BadRequest(format!("The request body could not be read: {e}"))
            })?;
            size += chunk.len();
            if size > MAX_IMPORT_BYTES {
                return Err(too_large());
            }
            lines.check(&chunk).map_err(import_error)?;
            buf.extend_from_slice(&chunk);
        }
        if buf.len() >= 1 << 20 || (end && !buf.is_empty()) {
            let full = std::mem::replace(&mut buf, Vec::with_capacity(1 << 20));
            file = web::block(move || file.write_all(&full).map(|()| file))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(spool_error)?;
        }
        if end {
            break;
        }
    }
    drop(buf);
    let prepared = super::blocking(move || {
        let mut file = file;
        file.seek(SeekFrom::Start(0)).map_err(spool_error)?;
        prepare(BufReader::with_capacity(1 << 16, file), limits).map_err(import_error)
    })
    .await?;
    let counts = db::run_write(&state.pool, move |conn| {
        Ok(store::import(conn, prepared, db::now()))
    })
    .await?
    .map_err(import_error)?;
    Ok(web::Json(counts.into()))
}
