//! Parameters the spec documents but no handler extracts by these types: the conditional
//! headers every GET honours (read by `crate::middleware::conditional`), the `If-Match` of
//! writes (read by [`crate::api::extract::IfMatch`]). Operations name them, as in
//! `params(…, documented::IfMatch)`.

#![expect(
    dead_code,
    reason = "the fields describe parameters for the spec; the handlers read them otherwise"
)]

use utoipa::IntoParams;

/// Conditional request headers.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Conditional {
    /// ETags of representations the client holds; a match answers 304 with no body.
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
    /// An HTTP date; when nothing changed since, the answer is 304 with no body (ignored when
    /// `If-None-Match` is sent).
    #[param(rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}

/// The precondition of a write.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The ETag of the version you read (from GET); a stale one is refused with 412. Required
    /// (428 without it) when the server sets REQUIRE_IF_MATCH.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}
