//! The one error type of the service. HTTP rendering (problem+json) lives in
//! `http::problem`; here are only the kinds of failure and their stable codes.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (bad JSON, bad query parameter): 400.
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Well-formed but invalid values: 422 with one entry per field.
    #[error("validation failed")]
    Validation { errors: Vec<FieldError> },
    /// A business rule refuses the request: 422 with its own code.
    #[error("{detail}")]
    Rule {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { detail: String },
    #[error("{detail}")]
    NotFound { detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    PayloadTooLarge { detail: String },
    /// A rate limit: 429, with `Retry-After` in seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn bad_query(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        AppError::BadRequest {
            code: "invalid_parameter",
            detail: format!("query parameter `{field}`: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { detail: what.into() }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        AppError::Forbidden { detail: detail.into() }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }
}

/// Collects field errors so that a client hears about every bad field at once.
#[derive(Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a parse, if any, and passes the value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(FieldError::new(field, message));
                None
            }
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation { errors: self.errors })
        }
    }
}

/// Database refusals that only a client's value can cause (Postgres' data exceptions, SQLite's
/// equivalents): a last net behind the validation at the edge, so they are 4xx, never 500.
fn refused_value(message: &str) -> bool {
    const CLIENT_CAUSED: [&str; 6] = [
        "invalid byte sequence",      // NUL or broken UTF-8 in text (22021)
        "out of range",               // dates, times and numbers (22008, 22003)
        "value too long",             // 22001
        "invalid input syntax",       // 22P02
        "unsupported Unicode escape", // 22P05
        "string or blob too big",     // SQLite
    ];
    CLIENT_CAUSED.iter().any(|m| message.contains(m))
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::not_found("not found"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict {
                code: "conflict",
                detail: "a resource with the same key already exists".into(),
            },
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => AppError::Rule {
                code: "invalid_reference",
                detail: "the request refers to something that does not exist".into(),
                field: None,
            },
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info) if refused_value(info.message()) => {
                tracing::warn!(error = %info.message(), "the database refused a value from a request");
                AppError::BadRequest {
                    code: "invalid_value",
                    detail: "a value in the request cannot be stored".into(),
                    errors: vec![],
                }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.into())
    }
}
