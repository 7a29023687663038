//! The `Caller` extractor: a verified bearer token, or the web app's cookie session (with
//! its CSRF token on writes), resolved against the directory.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::domain::email::Email;
use crate::error::{AppError, AppResult};
use crate::http::{session, AppState};
use crate::store::{db, employees, employees::EmployeeRow};

/// Who is calling. `employee` is `None` only for an `auth.admins` email that the
/// directory does not hold yet (so a fresh install can import its directory).
#[derive(Debug, Clone)]
pub struct Caller {
    pub email: Email,
    pub employee: Option<EmployeeRow>,
    pub is_admin: bool,
}

impl Caller {
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(AppError::forbidden("this action needs the admin role"))
        }
    }

    /// The caller's directory entry, for actions only an employee can take.
    pub fn employee(&self) -> AppResult<&EmployeeRow> {
        self.employee
            .as_ref()
            .ok_or_else(|| AppError::forbidden("this action needs an employee in the directory"))
    }
}

pub(crate) fn bearer_token(req: &HttpRequest) -> AppResult<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::unauthorized("missing_token", "send an Authorization: Bearer <token> header"))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthorized("invalid_token", "the Authorization header is not readable"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AppError::unauthorized("invalid_token", "the Authorization header must be `Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::unauthorized(
            "invalid_token",
            "the Authorization header must be `Bearer <token>`",
        ));
    }
    Ok(token.trim().to_string())
}

pub(crate) fn state_of(req: &HttpRequest) -> AppResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))
}

async fn find_employee(state: &AppState, email: &Email) -> AppResult<Option<EmployeeRow>> {
    let lookup = email.to_string();
    db::run(&state.pool, move |conn| Ok(employees::find_by_email(conn, &lookup)?)).await
}

async fn authenticate(req: HttpRequest) -> AppResult<Caller> {
    authenticate_with(req, false).await
}

/// `remembered`: board reads may reuse a lookup of the last moment (see `board_cache`);
/// every other request reads the directory.
async fn authenticate_with(req: HttpRequest, remembered: bool) -> AppResult<Caller> {
    let token = VerifiedToken::of(req).await?;
    let state = &token.state;
    let employee = match remembered.then(|| state.boards.recall(&state.boards.readers, token.email.as_str())) {
        Some(Some(found)) => found,
        _ => {
            let version = state.boards.version();
            let found = find_employee(state, &token.email).await?;
            state
                .boards
                .remember(&state.boards.readers, token.email.as_str(), version, found.clone());
            found
        }
    };
    token.resolve(employee)
}

/// A caller's address, checked (a bearer token's signature and claims, or a live cookie
/// session and, on writes, its CSRF token) but not yet looked up in the directory: for a
/// handler that reads the caller's entry on the connection it uses anyway (sending a
/// postcard), saving a second trip to the pool. [`VerifiedToken::resolve`] applies the same
/// rules as the [`Caller`] extractor.
pub struct VerifiedToken {
    state: web::Data<AppState>,
    pub email: Email,
}

impl VerifiedToken {
    async fn of(req: HttpRequest) -> AppResult<VerifiedToken> {
        let state = state_of(&req)?;
        let secret = if session::has_bearer(&req) {
            None
        } else {
            session::secret(&req)
        };
        let email = match secret {
            Some(secret) => {
                session::check_csrf_header(&req, &secret)?;
                session::email_of(&state, &secret).await?.ok_or_else(session::ended)?
            }
            None => {
                let token = bearer_token(&req)?;
                let (_claims, email) = state
                    .keys
                    .verify(&token)
                    .map_err(|e| AppError::unauthorized(e.code, e.detail))?;
                email
            }
        };
        Ok(VerifiedToken { state, email })
    }

    /// An address already checked by the caller (a page's cookie session, looked up with
    /// the directory entry in one trip to the pool).
    pub(crate) fn checked(state: web::Data<AppState>, email: Email) -> VerifiedToken {
        VerifiedToken { state, email }
    }

    /// The caller, given what the directory holds for the token's email.
    pub fn resolve(&self, employee: Option<EmployeeRow>) -> AppResult<Caller> {
        let configured_admin = self.state.is_configured_admin(&self.email);
        match &employee {
            None if !configured_admin => {
                return Err(AppError::unauthorized(
                    "unknown_employee",
                    "the token's email is not in the directory",
                ));
            }
            Some(e) if !e.active && !configured_admin => {
                return Err(AppError::unauthorized(
                    "inactive_employee",
                    "this employee has been deactivated",
                ));
            }
            _ => {}
        }
        let is_admin = configured_admin || employee.as_ref().is_some_and(|e| e.role == "admin");
        Ok(Caller {
            email: self.email.clone(),
            employee,
            is_admin,
        })
    }
}

impl FromRequest for VerifiedToken {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(VerifiedToken::of(req.clone()))
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// Who may read leaderboards: an employee, or an intranet widget holding a widget token
/// (`Bearer cw_...`), which can read boards and nothing else.
#[derive(Debug, Clone)]
pub enum Reader {
    Employee(Box<Caller>),
    Widget { token_id: String },
}

/// Board reads are the hot path (widgets on many screens): the token's directory entry, or
/// the widget token, is remembered under the board cache's version and lifetime, so a
/// deactivation or a revocation on this instance takes effect at once, and one on another
/// instance within `server.leaderboard_cache_ms`.
async fn authenticate_reader(req: HttpRequest) -> AppResult<Reader> {
    let token = match session::has_bearer(&req) {
        true => bearer_token(&req)?,
        false => String::new(),
    };
    if !token.starts_with(crate::services::widget_tokens::PREFIX) {
        return authenticate_with(req, true)
            .await
            .map(|c| Reader::Employee(Box::new(c)));
    }
    let state = state_of(&req)?;
    let token_id = widget_token_id(&state, &token).await?;
    Ok(Reader::Widget { token_id })
}

/// The id of a live widget token, or 401; remembered like the board reads it guards.
pub(crate) async fn widget_token_id(state: &AppState, token: &str) -> AppResult<String> {
    let hash = crate::services::widget_tokens::hash(token);
    let found = match state.boards.recall(&state.boards.widgets, &hash) {
        Some(found) => found,
        None => {
            let version = state.boards.version();
            let lookup = hash.clone();
            let found = db::run(&state.pool, move |conn| {
                Ok(crate::store::widget_tokens::find_live(conn, &lookup, "widget")?.map(|t| t.id))
            })
            .await?;
            state
                .boards
                .remember(&state.boards.widgets, &hash, version, found.clone());
            found
        }
    };
    found.ok_or_else(|| AppError::unauthorized("invalid_token", "this widget token is unknown or has been revoked"))
}

impl FromRequest for Reader {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate_reader(req.clone()))
    }
}
