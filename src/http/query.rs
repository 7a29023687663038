//! Query-string values shared by several resources.

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::domain::period;
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

/// A text filter: trimmed, and absent when empty.
pub fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A whole number in `range` such as `?offset=`; absent means `default` (present but blank
/// is refused, as the OpenAPI document says it is an integer).
pub fn parse_int_in(
    field: &str,
    raw: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> AppResult<i64> {
    match raw.map(str::trim) {
        None => Ok(default),
        Some(s) => s.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            AppError::bad_query(
                field,
                format!("must be an integer from {} to {}", range.start(), range.end()),
            )
        }),
    }
}

/// A point in time such as `?since=`: see [`period::parse_instant`].
pub fn parse_instant(field: &str, raw: Option<&str>, tz: Tz) -> AppResult<Option<NaiveDateTime>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => period::parse_instant(raw, tz)
            .map(Some)
            .map_err(|message| AppError::bad_query(field, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            parse_instant("since", Some("2026-11-02"), berlin).unwrap(),
            Some(at("2026-11-01 23:00"))
        );
        assert_eq!(
            parse_instant("since", Some("2026-11-02T10:00:00+01:00"), berlin).unwrap(),
            Some(at("2026-11-02 09:00"))
        );
        assert_eq!(parse_instant("since", Some(" "), berlin).unwrap(), None);
        for bad in ["2026-13-01", "yesterday", "2026-11-02T25:00:00Z"] {
            assert!(parse_instant("since", Some(bad), berlin).is_err(), "{bad}");
        }
    }
}
