//! How widget pages are answered: HTML made to sit in an intranet `<iframe>`, with a
//! `Content-Security-Policy` that lets only `server.allowed_origins` frame them. Errors are
//! answered the same way, as a small page that says in words what is wrong (a problem+json
//! body shown raw inside an iframe helps nobody), unless the client asks for JSON.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::board_cache::Cached;
use super::State;
use crate::error::{AppError, AppResult};

#[derive(Template)]
#[template(path = "widget_error.html")]
struct ErrorPage {
    theme: &'static str,
    title: &'static str,
    message: String,
    fixes: Vec<String>,
}

/// The widget's policy: scripts, styles and fetches from this service only, framed only by
/// the configured intranet origins and this service itself.
fn widget_csp(state: &State) -> String {
    // This service's own pages frame widgets too: the admin console previews them.
    let ancestors = std::iter::once("'self'")
        .chain(state.settings.server.allowed_origins.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
}

fn with_widget_headers(state: &State, mut builder: actix_web::HttpResponseBuilder, html: String) -> HttpResponse {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, widget_csp(state)))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        // The token is in the URL: never hand it on to the links' targets.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html)
}

/// Where a cached page says when it was served: filled in on every answer, so that one
/// cached page (and its ETag) serves a board that has not changed however long it lasts.
pub const UPDATED_AT: &str = "__UPDATED_AT__";

/// A page from the answer cache: 304 when the client holds this version (`If-None-Match`),
/// else the page, stamped with the time it was served.
pub fn cached_page(state: &State, req: &HttpRequest, entry: &Cached, updated: &str) -> HttpResponse {
    let unchanged = super::board_cache::unchanged_for(req, &entry.etag);
    let mut builder = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header((header::ETAG, entry.etag.clone()));
    let html = if unchanged {
        String::new()
    } else {
        String::from_utf8_lossy(&entry.body).replace(UPDATED_AT, updated)
    };
    let mut res = with_widget_headers(state, builder, html);
    if unchanged {
        // A 304 has no body (nor a type for one).
        res.headers_mut().remove(header::CONTENT_TYPE);
    }
    res
}

pub fn render(t: &impl Template) -> AppResult<String> {
    t.render().map_err(AppError::internal)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("json"))
}

fn title_for(e: &AppError) -> &'static str {
    match e {
        AppError::Unauthorized { .. } => "This widget needs a valid token",
        AppError::BadRequest { .. } | AppError::Validation { .. } | AppError::Rule { .. } => {
            "This widget's link has a mistake"
        }
        AppError::TooManyRequests { .. } | AppError::Unavailable(_) => "The widget is busy",
        _ => "The widget cannot be shown",
    }
}

/// A widget's answer: its page, or its error as a page with the same status (problem+json
/// when the client asks for JSON).
pub fn answer(state: &State, req: &HttpRequest, result: AppResult<HttpResponse>) -> HttpResponse {
    let e = match result {
        Ok(res) => return res,
        Err(e) => e,
    };
    if wants_json(req.headers()) {
        return e.error_response();
    }
    let problem = e.problem();
    let message = match problem.code.as_str() {
        "missing_token" => "This widget's link has no token.".to_string(),
        "invalid_token" => "This widget's token is unknown or has been revoked.".to_string(),
        // The fields' own messages follow; the detail would only repeat them.
        _ if !problem.errors.is_empty() => "Check this part of the widget's link:".to_string(),
        _ => problem.detail.clone(),
    };
    let message = match &e {
        AppError::Unauthorized { .. } => format!("{message} Ask an admin for a new widget link."),
        _ => message,
    };
    let error_page = ErrorPage {
        // A dark wall screen keeps its theme even when its link has a mistake elsewhere.
        theme: if req.query_string().split('&').any(|p| p == "theme=dark") {
            "dark"
        } else {
            "light"
        },
        title: title_for(&e),
        message,
        fixes: problem
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect(),
    };
    // The log and the status still tell operators what happened.
    let logged = e.error_response();
    let html = match render(&error_page) {
        Ok(html) => html,
        Err(_) => return logged,
    };
    let mut builder = HttpResponse::build(logged.status());
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = logged.headers().get(&name) {
            builder.insert_header((name, v.clone()));
        }
    }
    let mut page = with_widget_headers(state, builder, html);
    page.extensions_mut().insert(super::problem::PageForPeople);
    page
}
