//! `/demo/images/{file}`: the demo newsroom's pictures (the project's own drawings, built
//! into the binary), served only by a server started with `--demo`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use super::{State, documented, problems};
use crate::error::ApiError;

/// The pictures, by file name.
const IMAGES: &[(&str, &[u8])] = &include!("../../demo/images.in");

/// Get a demo picture.
///
/// One of the demo newsroom's pictures (SVG), which its articles and authors show; 404 unless
/// the server was started with `--demo`.
#[utoipa::path(
    operation_id = "getDemoImage", tag = "service", security(()),
    params(("file" = String, Path, description = "The picture's file name."), documented::Conditional),
    responses(
        (status = 200, description = "The picture.", content_type = "image/svg+xml", body = String,
            example = json!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"675\" viewBox=\"0 0 1200 675\">…</svg>")),
        (status = 404, description = "No such picture, or not a demo server.", body = crate::error::Problem),
        problems::PublicRead,
    )
)]
#[get("/demo/images/{file}")]
pub async fn demo_image(state: State, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = IMAGES
        .iter()
        .find(|(name, _)| *name == file.as_str())
        .filter(|_| state.settings.demo);
    let Some((_, bytes)) = found else {
        return Err(ApiError::not_found("No demo picture has this name."));
    };
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        // Pictures never change under a name: a browser keeps them.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(*bytes))
}
