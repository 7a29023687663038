//! Server-rendered pages (askama templates, plain HTML forms): signing in and out, the admin
//! console, and the pages for errors. They work without any script; the little script they
//! use only adds comfort (copy buttons, live previews). Everything under one strict CSP.
//!
//! Pages are opened by the cookie session; a page's form writes carry the session's CSRF
//! token as the field `csrf_token`, checked by [`Viewer::check_csrf`].

pub mod admin;
pub mod app;
pub mod sign_in;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::auth::{Caller, VerifiedToken};
use super::problem::PageForPeople;
use super::session;
use crate::domain::clock::now;
use crate::domain::email::Email;
use crate::error::AppError;
use crate::services::web_sessions;
use crate::store::{db, employees};

/// No inline script or style, nothing from another origin.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the frame of every signed-in page shows: who is signed in, where they are, and the
/// token its forms (sign-out included) carry.
pub struct Chrome {
    pub name: String,
    pub is_admin: bool,
    /// Someone with active direct reports: the "My team" page is theirs.
    pub is_manager: bool,
    pub csrf: String,
    /// `light`, `dark` or `system`: the colour scheme chosen in Settings.
    pub theme: &'static str,
    /// The page shown (for `aria-current`): an app page (`wall`, `send`, `leaderboard`,
    /// `mine`, `team`, `settings`) or a section of the admin console.
    pub section: &'static str,
    /// A page of the admin console (its "Admin" link is the current one).
    pub in_console: bool,
}

/// A page answered with its headers; errors are pages too, kept as they are by the
/// problem+json handler.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body);
    res.extensions_mut().insert(PageForPeople);
    res
}

pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    let body = page.render().map_err(|e| PageError::App(AppError::internal(e)))?;
    Ok(html(status, body))
}

/// 303 See Other: after a form's write, the browser loads the page anew (reload is safe).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage<'a> {
    chrome: Option<Chrome>,
    title: &'a str,
    message: &'a str,
    action: Option<(&'a str, &'a str)>,
}

/// Why a page could not be shown, answered as a page that says so in words.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page, coming back here afterwards.
    SignIn {
        next: String,
    },
    Forbidden,
    NotFound,
    /// A write whose form did not carry the session's token (or came from another site).
    Csrf,
    App(AppError),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound { .. } => PageError::NotFound,
            AppError::Forbidden { .. } => PageError::Forbidden,
            e => PageError::App(e),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&str, String) = match self {
            PageError::SignIn { next } => {
                return see_other(&format!("/sign-in?next={}", encode(next)));
            }
            PageError::Forbidden => (
                "Admins only",
                "This page is for the people who run Customer Champion for your company. If you need it, ask one of them to make you an admin.".into(),
            ),
            PageError::NotFound => (
                "Page not found",
                "There is nothing at this address. It may have moved, or the link may be incomplete.".into(),
            ),
            PageError::Csrf => (
                "Please try again",
                "This form was open too long, or came from another site, so nothing was changed. Go back, reload the page and submit it again.".into(),
            ),
            PageError::App(e) => {
                e.log_cause();
                ("Something went wrong", in_words(e))
            }
        };
        let page = MessagePage {
            chrome: None,
            title,
            message: &message,
            action: Some(("/", "Go to the wall")),
        };
        match page.render() {
            Ok(body) => html(self.status_code(), body),
            Err(_) => HttpResponse::build(self.status_code()).finish(),
        }
    }
}

/// An error as one sentence for people (field errors as "field: what is wrong").
pub fn in_words(e: &AppError) -> String {
    match e {
        AppError::Validation { errors } | AppError::BadRequest { errors, .. } if !errors.is_empty() => errors
            .iter()
            .map(|f| format!("{}: {}.", f.field.replace('_', " "), f.message.trim_end_matches('.')))
            .collect::<Vec<_>>()
            .join(" "),
        AppError::Internal(_) => {
            "The service hit an unexpected problem. Nothing you did caused it; try again in a moment.".into()
        }
        AppError::Unavailable(_) => "The service is busy or its database is unreachable. Try again in a moment.".into(),
        other => sentence(&other.to_string()),
    }
}

pub use crate::domain::text::sentence;

/// The 404 of any address nothing answers: a page for a browser, problem+json for the API.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let wants_page = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_page {
        PageError::NotFound.error_response()
    } else {
        AppError::not_found(format!("no resource at {}", req.path())).error_response()
    }
}

/// A form body the pages' handlers cannot read (only a client other than the pages sends
/// one): problem+json naming the field, like a bad JSON body.
pub fn bad_form(e: actix_web::error::UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError as E;
    match e {
        E::Overflow { size, limit } => AppError::PayloadTooLarge {
            detail: format!("the form is {size} bytes; at most {limit} are accepted"),
        },
        E::ContentType => AppError::UnsupportedMediaType {
            detail: "a form is sent as application/x-www-form-urlencoded".into(),
        },
        other => {
            let message = other.to_string();
            let field = message
                .split("missing field `")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("form")
                .to_string();
            AppError::BadRequest {
                code: "invalid_form",
                detail: format!("the form cannot be read: {message}"),
                errors: vec![crate::error::FieldError::new(field, message)],
            }
        }
    }
    .into()
}

/// A query parameter's value, percent-encoded.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A local path to return to after signing in; anything else (another site, `//host`)
/// becomes the wall.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Whether a form post came from this service's own pages (browsers say so in
/// `Sec-Fetch-Site`, or in `Origin`); a request saying neither is not a browser's.
pub fn same_origin(req: &HttpRequest) -> bool {
    if let Some(site) = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
            let authority = origin.split_once("://").map(|(_, a)| a);
            host.is_some() && authority == host
        }
    }
}

/// Someone signed in to the web app, on a page.
pub struct Viewer {
    pub caller: Caller,
    secret: String,
    pub is_manager: bool,
    pub theme: &'static str,
}

impl Viewer {
    pub fn csrf(&self) -> String {
        web_sessions::csrf_token(&self.secret)
    }

    pub fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            name: self
                .caller
                .employee
                .as_ref()
                .map(|e| e.name.clone())
                .unwrap_or_else(|| self.caller.email.to_string()),
            is_admin: self.caller.is_admin,
            is_manager: self.is_manager,
            csrf: self.csrf(),
            theme: self.theme,
            section,
            in_console: false,
        }
    }

    /// A form's write: its `csrf_token` must be this session's, and it must come from this
    /// service's own pages.
    pub fn check_csrf(&self, req: &HttpRequest, sent: &str) -> Result<(), PageError> {
        if same_origin(req) && web_sessions::csrf_matches(&self.secret, sent) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    async fn of(req: HttpRequest) -> Result<Viewer, PageError> {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let sign_in = || PageError::SignIn { next: next.clone() };
        let secret = session::secret(&req).ok_or_else(sign_in)?;
        // The session, its directory entry and whether they manage anyone, in one trip to the
        // pool; then the same rules as any caller. A page's GET needs no CSRF token, and its
        // form posts check theirs themselves.
        let state = crate::http::auth::state_of(&req)?;
        let lookup = secret.clone();
        let found = db::run(&state.pool, move |conn| {
            let Some(email) = web_sessions::email_of(conn, &lookup, now())? else {
                return Ok(None);
            };
            let employee = employees::find_by_email(conn, &email)?;
            let is_manager = match &employee {
                Some(e) => employees::has_active_reports(conn, &e.id)?,
                None => false,
            };
            Ok(Some((email, employee, is_manager)))
        })
        .await?;
        let Some((email, employee, is_manager)) = found else {
            return Err(sign_in());
        };
        let email = Email::parse(&email).map_err(|_| sign_in())?;
        let caller = match VerifiedToken::checked(state, email).resolve(employee) {
            Ok(c) => c,
            Err(AppError::Unauthorized { .. }) => return Err(sign_in()),
            Err(e) => return Err(e.into()),
        };
        Ok(Viewer {
            caller,
            secret,
            is_manager,
            theme: session::theme(&req),
        })
    }
}

impl FromRequest for Viewer {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Viewer::of(req.clone()))
    }
}

/// An admin, on a console page; anyone else signed in sees the 403 page.
pub struct AdminViewer(pub Viewer);

impl FromRequest for AdminViewer {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let viewer = Viewer::of(req).await?;
            if viewer.caller.is_admin {
                Ok(AdminViewer(viewer))
            } else {
                Err(PageError::Forbidden)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_next(Some("/postcards/1?x=2")), "/postcards/1?x=2");
        for outside in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(outside)), "/", "{outside:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
