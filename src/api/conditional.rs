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
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
    /// An HTTP date; when nothing changed since, the answer is 304 with no body (ignored when
    /// `If-None-Match` is sent).
    #[param(rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}
