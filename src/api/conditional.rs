//! The conditional-request headers every GET honours (see `crate::delivery`), for the spec.

use utoipa::IntoParams;

/// Conditional request headers.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "documents headers that the delivery middleware reads"
)]
pub struct Conditional {
    /// ETags of representations the client holds; a match answers 304 with no body.
    #[param(rename = "If-None-Match", example = "\"kq7Rk3m3sW2bqkd0DV0yP4Bd\"")]
    if_none_match: Option<String>,
    /// An HTTP date; when nothing changed since, the answer is 304 with no body (ignored when
    /// `If-None-Match` is sent).
    #[param(
        rename = "If-Modified-Since",
        example = "Tue, 24 Nov 2026 07:31:40 GMT"
    )]
    if_modified_since: Option<String>,
}
