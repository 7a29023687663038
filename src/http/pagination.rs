//! `?limit=` and `?cursor=` for lists: opaque keyset cursors, limits 1..=100 (default 20).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub fn parse_limit(raw: Option<&str>) -> AppResult<i64> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(AppError::bad_query(
                "limit",
                format!("must be an integer from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// Encodes the sort key of the last item of a page.
pub fn encode_cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(parts).unwrap_or_default())
}

pub fn decode_cursor(raw: Option<&str>, arity: usize) -> AppResult<Option<Vec<String>>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let bad = || AppError::bad_query("cursor", "is not a cursor this API handed out");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let parts: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    // A forged cursor must not carry what no stored key holds (NUL is refused by Postgres).
    if parts.len() != arity || parts.iter().any(|p| p.chars().any(char::is_control)) {
        return Err(bad());
    }
    Ok(Some(parts))
}

const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// A cursor for lists ordered by `(created_at, id)`.
pub fn encode_time_cursor(at: &chrono::NaiveDateTime, id: &str) -> String {
    encode_cursor(&[&at.format(CURSOR_TIME).to_string(), id])
}

pub fn decode_time_cursor(raw: Option<&str>) -> AppResult<Option<(chrono::NaiveDateTime, String)>> {
    let Some(mut parts) = decode_cursor(raw, 2)? else {
        return Ok(None);
    };
    let id = parts.pop().unwrap_or_default();
    let at = chrono::NaiveDateTime::parse_from_str(&parts.pop().unwrap_or_default(), CURSOR_TIME)
        .ok()
        .filter(|at| crate::domain::period::in_range(at.date()))
        .ok_or_else(|| AppError::bad_query("cursor", "is not a cursor this API handed out"))?;
    Ok(Some((at, id)))
}

/// Cuts one extra fetched row off and makes the next cursor from the last kept item.
pub fn page<R, T>(mut rows: Vec<R>, limit: i64, key: impl Fn(&R) -> String, view: impl Fn(R) -> T) -> Page<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more { rows.last().map(&key) } else { None };
    Page {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() {
        let c = encode_cursor(&["ann", "id-1"]);
        assert_eq!(decode_cursor(Some(&c), 2).unwrap().unwrap(), vec!["ann", "id-1"]);
        assert!(decode_cursor(Some("!!"), 2).is_err());
        assert!(decode_cursor(Some(&c), 3).is_err());
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_micro_opt(9, 30, 0, 120)
            .unwrap();
        let c = encode_time_cursor(&at, "id-9");
        assert_eq!(decode_time_cursor(Some(&c)).unwrap(), Some((at, "id-9".to_string())));
        assert!(decode_time_cursor(Some(&encode_cursor(&["noon", "id"]))).is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None).unwrap(), 20);
        for bad in ["0", "101", "-1", "ten", "1e3"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
