//! The service's one clock: every "now" the code uses (rules, buckets, cursors, emails)
//! comes from here, so there is one place to read it and one precision.

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// The current UTC time, to the microsecond: what Postgres keeps, so a value read back
/// equals the one written (keyset cursors compare them).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// When to try again after `attempts` failed attempts (outboxes of email and deliveries):
/// `base_ms`, doubled after each failure, at most an hour later.
pub fn retry_after(base_ms: u64, attempts: i32, now: NaiveDateTime) -> NaiveDateTime {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    let ms = base_ms.saturating_mul(1 << exponent).min(3_600_000);
    now + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(3_600_000))
}
