//! The service's one clock: every "now" the code uses (rules, buckets, cursors, emails)
//! comes from here, so there is one place to read it and one precision.

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// The current UTC time, to the microsecond: what Postgres keeps, so a value read back
/// equals the one written (keyset cursors compare them).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}
