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

mod records;
mod stream;

pub use records::parse_record;
use records::too_long;
pub use stream::{Alongside, Prepared, alongside, import_ndjson, prepare};

use std::io::{BufReader, Seek, SeekFrom, Write};

use actix_web::{HttpMessage, HttpRequest, post, web};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::State;
use crate::api::extract::Admin;
use crate::api::problems;
use crate::db::transfer::{self as store, ImportCounts, TransferError};
use crate::db::{self};
use crate::error::{ApiError, FieldError, Problem};

/// The largest body `POST /api/v1/import` accepts.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// The media types an import body may be sent as.
const NDJSON_TYPES: [&str; 2] = ["x-ndjson", "ndjson"];

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
        (status = 400, description = "The body could not be received.", body = Problem),
        (status = 413, description = "The body is larger than 256 MiB.", body = Problem),
        (status = 415, description = "The body is not sent as `application/x-ndjson`.", body = Problem),
        (status = 422, description = "A line is invalid or too long; nothing was imported. `errors` names the line and the field, as `line 12: related[0].slug`.", body = Problem,
            example = json!({
                "type": "about:blank",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "Nothing was imported: line 12: related[0].slug: no article has the slug 'harbour-dredging'.",
                "errors": [{"field": "line 12: related[0].slug", "message": "no article has the slug 'harbour-dredging'"}]
            })),
        (status = 503, description = "The database is busy with other writes; retry shortly.", body = Problem),
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
    // Spool the body to an anonymous temporary file, refusing a line past its limit as soon
    // as it is seen; then check and render every record (neither needs a connection nor the
    // write lock); then write, once it is this writer's turn.
    let limits = state.settings.limits;
    let file = spool(&mut payload, limits.import_line_bytes).await?;
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

/// The body, a megabyte at a time, in an anonymous temporary file: refused past
/// [`MAX_IMPORT_BYTES`], or as soon as a line is longer than `line_bytes`.
async fn spool(payload: &mut web::Payload, line_bytes: usize) -> Result<std::fs::File, ApiError> {
    let mut file = web::block(tempfile::tempfile)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(spool_error)?;
    let mut size = 0;
    let mut lines = LineLengths::new(line_bytes);
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
            return Ok(file);
        }
    }
}
