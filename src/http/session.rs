//! The web app's cookie session, as HTTP sees it: the cookie, and who it signs in.
//! Bearer tokens stay for the API and integrations; a request carrying one is never read as
//! a cookie session.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, Method};
use actix_web::HttpRequest;

use super::AppState;
use crate::domain::clock::now;
use crate::domain::email::Email;
use crate::error::{AppError, AppResult};
use crate::services::web_sessions;
use crate::store::db;

pub const COOKIE: &str = "champion_session";
/// The header the web app's scripts send their writes with.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session secret the request's cookie holds, if any.
pub fn secret(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// Secure whenever the service is reached over https (`server.public_url`); HttpOnly so no
/// script reads it; Lax so that following a link from an email arrives signed in while
/// another site's forms and scripts cannot write with it.
pub fn cookie(state: &AppState, secret: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, secret.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.server.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::days(
            state.settings.auth.session_days,
        ))
        .finish()
}

pub fn removal(state: &AppState) -> Cookie<'static> {
    let mut gone = cookie(state, "");
    gone.make_removal();
    gone
}

/// The canonical address signed in with `secret`, if the session is live.
pub async fn email_of(state: &AppState, secret: &str) -> AppResult<Option<Email>> {
    let lookup = secret.to_string();
    let found = db::run(&state.pool, move |conn| web_sessions::email_of(conn, &lookup, now())).await?;
    Ok(found.and_then(|e| Email::parse(&e).ok()))
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A write made with the cookie must carry the session's CSRF token in `X-CSRF-Token`
/// (the API) or as the form field `csrf_token` (the pages check that themselves).
pub fn check_csrf_header(req: &HttpRequest, secret: &str) -> AppResult<()> {
    if !is_write(req.method()) {
        return Ok(());
    }
    let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match sent {
        Some(sent) if web_sessions::csrf_matches(secret, sent) => Ok(()),
        _ => Err(csrf_refused()),
    }
}

pub fn csrf_refused() -> AppError {
    AppError::forbidden(
        "a change made with the web app's sign-in needs the page's CSRF token (the X-CSRF-Token header); reload the page and try again",
    )
}

/// The error of a request whose cookie names no live session.
pub fn ended() -> AppError {
    AppError::unauthorized(
        "session_ended",
        "your sign-in has ended or you signed out; sign in again",
    )
}

/// Whether the request authenticates with a bearer token rather than the cookie.
pub fn has_bearer(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
}

/// The colour scheme someone chose in Settings, kept in a cookie of this browser: `light`,
/// `dark`, or `system` (follow the device).
pub const THEME_COOKIE: &str = "champion_theme";

pub fn theme(req: &HttpRequest) -> &'static str {
    match req.cookie(THEME_COOKIE).as_ref().map(|c| c.value()) {
        Some("light") => "light",
        Some("dark") => "dark",
        _ => "system",
    }
}

pub fn theme_cookie(state: &AppState, theme: &'static str) -> Cookie<'static> {
    Cookie::build(THEME_COOKIE, theme)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.server.public_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}
