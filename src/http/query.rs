//! Query-string values shared by several resources.

use crate::error::{AppError, AppResult};

/// A boolean flag such as `?dry_run=true`; absent means `false`.
pub fn parse_bool(field: &str, raw: Option<&str>) -> AppResult<bool> {
    match raw.map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(s) if s == "true" || s == "1" => Ok(true),
        Some(s) if s == "false" || s == "0" => Ok(false),
        Some(_) => Err(AppError::bad_query(field, "must be true or false")),
    }
}
