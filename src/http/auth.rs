//! The `Caller` extractor: a verified bearer token, resolved against the directory.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::domain::email::Email;
use crate::error::{AppError, AppResult};
use crate::http::AppState;
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

fn bearer_token(req: &HttpRequest) -> AppResult<String> {
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

async fn authenticate(req: HttpRequest) -> AppResult<Caller> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?
        .clone();
    let token = bearer_token(&req)?;
    let (_claims, email) = state
        .keys
        .verify(&token)
        .map_err(|e| AppError::unauthorized(e.code, e.detail))?;
    let lookup = email.to_string();
    let employee = db::run(&state.pool, move |conn| Ok(employees::find_by_email(conn, &lookup)?)).await?;
    let configured_admin = state.is_configured_admin(&email);
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
        email,
        employee,
        is_admin,
    })
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
