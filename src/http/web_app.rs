//! The employee web app at `/` (one page; `/sign-in` is the same page, opened from a
//! magic-link email) and the static files of the app and the widgets. Everything is
//! compiled into the binary: no CDN, nothing fetched from elsewhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::{AppError, AppResult};

const INDEX: &str = include_str!("../web/static/index.html");

/// `(name, content type, body)` of every file under `/assets/`.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../web/static/app.css"),
    ),
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

/// Scripts and styles from this service only. Inline styles are allowed for the digest
/// preview, which shows the email's own (inline-styled) HTML in a sandboxed frame.
const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, APP_CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(INDEX)
}

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
