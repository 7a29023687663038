//! The employee web app at `/` (one page, opened by the cookie session: signed-out visitors
//! go to `/sign-in` and come back) and the static files of the app, the pages and the
//! widgets. Everything is compiled into the binary: no CDN, nothing fetched from elsewhere.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

use super::pages::{PageError, Viewer};
use crate::error::{AppError, AppResult};

#[derive(Template)]
#[template(path = "pages/app.html")]
struct AppPage {
    name: String,
    is_admin: bool,
    /// The session's CSRF token, which the app's scripts send with their writes.
    csrf: String,
}

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
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/pages.js"),
    ),
    (
        "pages.css",
        "text/css; charset=utf-8",
        include_str!("../web/static/pages.css"),
    ),
    ("icons.svg", "image/svg+xml", include_str!("../web/static/icons.svg")),
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

pub async fn index(viewer: Viewer) -> Result<HttpResponse, PageError> {
    let page = AppPage {
        name: viewer.chrome("").name,
        is_admin: viewer.caller.is_admin,
        csrf: viewer.csrf(),
    };
    let mut res = super::pages::render(StatusCode::OK, &page)?;
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(APP_CSP),
    );
    Ok(res)
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
