//! What every request goes through before routing:
//! - `HEAD` is answered as `GET` (load balancers and uptime checks use it); actix's HTTP/1
//!   codec remembers the request was `HEAD` and sends the headers without the body.
//! - A NUL character anywhere in the path or the query string is refused with a 400 naming
//!   where it was: no stored key holds one, and Postgres refuses it in text (a 500 before).
//!   JSON bodies get the same rule in `http::json`.
//! - A write that succeeded (any `POST`, `PUT`, `PATCH` or `DELETE` answered 2xx) empties this
//!   instance's answer cache (`board_cache`) before its answer leaves: the one place boards
//!   and widgets learn of writes, rather than a call in each handler.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use crate::error::AppError;

fn nul_in_request(req: &ServiceRequest) -> Option<AppError> {
    let message = "must not contain a NUL character";
    if percent_encoding::percent_decode_str(req.path()).any(|b| b == 0) {
        return Some(AppError::BadRequest {
            code: "invalid_parameter",
            detail: format!("the path {message}"),
            errors: vec![crate::error::FieldError::new("path", message)],
        });
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
        .map(|(key, _)| AppError::bad_query(key.replace('\0', "\u{FFFD}"), message))
}

/// Marks an answer whose write has laid its board rows over this instance's memory.
#[derive(Clone, Copy)]
pub struct BoardRowsLaid;

pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    if let Some(refused) = nul_in_request(&req) {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let state = if write {
        req.app_data::<super::State>().cloned()
    } else {
        None
    };
    let res = next.call(req).await?;
    // A page's form write answers 303 See Other when it succeeded (errors are pages of 4xx).
    let done = res.status().is_success() || res.status() == actix_web::http::StatusCode::SEE_OTHER;
    if let Some(state) = state.filter(|_| done) {
        state.boards.invalidate();
        // A send lays its rows over this instance's board memory itself (before answering);
        // any other write may have moved today's rows in ways only a read tells.
        if res.response().extensions().get::<BoardRowsLaid>().is_none() {
            state.board_memory.stale_today();
        }
    }
    Ok(res.map_into_left_body())
}
