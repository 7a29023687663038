//! The static files of the pages and the widgets under `/assets/`. Everything is compiled
//! into the binary: no CDN, nothing fetched from elsewhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::{AppError, AppResult};

/// The icon sprite (Lucide): served as `/assets/icons.svg`, and inlined in widgets (whose
/// policy loads no image).
pub const ICONS_SVG: &str = include_str!("../web/static/icons.svg");

/// `(name, content type, body)` of every file under `/assets/`.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../web/static/app.css"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/pages.js"),
    ),
    (
        "pages.css",
        "text/css; charset=utf-8",
        include_str!("../web/static/pages.css"),
    ),
    ("icons.svg", "image/svg+xml", ICONS_SVG),
    (
        "widget.js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/widget.js"),
    ),
    (
        "widget.css",
        "text/css; charset=utf-8",
        include_str!("../web/static/widget.css"),
    ),
];

pub async fn asset(name: web::Path<String>) -> AppResult<HttpResponse> {
    let name = name.into_inner();
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| AppError::NotFound {
            detail: format!("there is no asset {name:?}"),
        })?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Not fingerprinted, so revalidate after a short while (a new release shows up fast).
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(*body))
}
