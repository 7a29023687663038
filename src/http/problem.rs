//! Every error a client sees is `application/problem+json` (RFC 9457) with a stable `code`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{AppError, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, snake_case machine-readable code.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Problem {
            type_: format!("tag:customer-champion,2026:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            errors,
        }
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = HttpResponse::build(status);
        builder.content_type(PROBLEM_JSON);
        if status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        builder.json(self)
    }
}

impl AppError {
    pub(crate) fn problem(&self) -> Problem {
        use AppError::*;
        let status = self.status_code();
        match self {
            BadRequest { code, detail, errors } => Problem::new(status, code, detail, errors.clone()),
            Validation { errors } => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                let detail = format!("invalid value for: {}", fields.join(", "));
                Problem::new(status, "validation_failed", detail, errors.clone())
            }
            Rule { code, detail, field } => {
                let errors = field
                    .iter()
                    .map(|f| FieldError::new(f.clone(), detail.clone()))
                    .collect();
                Problem::new(status, code, detail, errors)
            }
            Unauthorized { code, detail } => Problem::new(status, code, detail, vec![]),
            Forbidden { detail } => Problem::new(status, "forbidden", detail, vec![]),
            NotFound { detail } => Problem::new(status, "not_found", detail, vec![]),
            Conflict { code, detail } => Problem::new(status, code, detail, vec![]),
            PayloadTooLarge { detail } => Problem::new(status, "payload_too_large", detail, vec![]),
            TooManyRequests { detail, .. } => Problem::new(status, "too_many_requests", detail, vec![]),
            UnsupportedMediaType { detail } => Problem::new(status, "unsupported_media_type", detail, vec![]),
            Unavailable(_) => Problem::new(
                status,
                "unavailable",
                "the service is temporarily unavailable; retry shortly",
                vec![],
            ),
            Internal(_) => Problem::new(
                status,
                "internal_error",
                "an unexpected error occurred; it has been logged",
                vec![],
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        use AppError::*;
        match self {
            BadRequest { .. } => StatusCode::BAD_REQUEST,
            Validation { .. } | Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Forbidden { .. } => StatusCode::FORBIDDEN,
            NotFound { .. } => StatusCode::NOT_FOUND,
            Conflict { .. } => StatusCode::CONFLICT,
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_cause();
        let mut res = self.problem().response();
        if let AppError::TooManyRequests { retry_after, .. } = self {
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

impl AppError {
    /// The one place errors are logged (problem+json answers and error pages both come
    /// here): causes go to the log, never to the client.
    pub(crate) fn log_cause(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "service unavailable"),
            _ => {}
        }
    }
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        431 => "headers_too_large",
        503 => "unavailable",
        s if s >= 500 => "internal_error",
        _ => "error",
    }
}

/// Marks an error response that is deliberately a page for people (a widget's error inside
/// an intranet iframe), which [`ensure_problem`] leaves as it is.
pub struct PageForPeople;

/// Turns any error response that is not already problem+json (actix's own 404/405, payload
/// errors raised before a handler) into one, so clients see a single error format.
pub fn ensure_problem<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
        .unwrap_or(false);
    if is_problem || res.response().extensions().get::<PageForPeople>().is_some() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    // SCIM clients read SCIM's error bodies, whoever made the error.
    if res.request().path().starts_with("/scim/v2") {
        let is_scim = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(super::scim::CONTENT_TYPE.as_bytes()));
        if is_scim {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let detail = status.canonical_reason().unwrap_or("error").to_string();
        let (req, _) = res.into_parts();
        let response = super::scim::error_response(status, detail);
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, response).map_into_right_body(),
        ));
    }
    let status = res.status();
    let detail = match status {
        StatusCode::NOT_FOUND => format!("no resource at {}", res.request().path()),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{} is not allowed on {}", res.request().method(), res.request().path())
        }
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let problem = Problem::new(status, code_for_status(status), detail, vec![]);
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response: HttpResponse<BoxBody> = problem.response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let res = ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// The problem answers of endpoints that read, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
pub enum ReadProblems {
    /// A malformed query parameter.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Missing or invalid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource, or one the caller may not see.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The problem answers of endpoints that write, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
pub enum WriteProblems {
    /// Broken JSON or a malformed query parameter.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Missing or invalid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflicts with an existing resource.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is over the size limit.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// The body is not of the expected media type.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field is invalid or a rule refuses the request; `errors` names the fields.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
}
