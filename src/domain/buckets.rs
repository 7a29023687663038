//! The keys of the period buckets that leaderboard totals are kept in. A postcard counts in
//! the day, week, month, quarter and year of its local date in the org's timezone, and in
//! "all time"; a board for one of those periods then reads a single bucket.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;

use super::period::{local_date, week_start_date};

pub const ALL_TIME: &str = "all";

pub fn day_key(d: NaiveDate) -> String {
    format!("d:{}", d.format("%Y-%m-%d"))
}

pub fn week_key(d: NaiveDate, starts: Weekday) -> String {
    format!("w:{}", week_start_date(d, starts).format("%Y-%m-%d"))
}

pub fn month_key(d: NaiveDate) -> String {
    format!("m:{:04}-{:02}", d.year(), d.month())
}

pub fn quarter_key(d: NaiveDate) -> String {
    format!("q:{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

pub fn year_key(d: NaiveDate) -> String {
    format!("y:{:04}", d.year())
}

/// Every bucket a postcard of local date `d` counts in.
pub fn keys_for(d: NaiveDate, starts: Weekday) -> [String; 6] {
    [
        day_key(d),
        week_key(d, starts),
        month_key(d),
        quarter_key(d),
        year_key(d),
        ALL_TIME.to_string(),
    ]
}

/// The first and last local day of a bucket; `None` for all time (or a key not made here).
pub fn days_of(key: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (kind, rest) = key.split_once(':')?;
    let ymd = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (first, months) = match kind {
        "d" => return ymd(rest).map(|d| (d, d)),
        "w" => return ymd(rest).map(|d| (d, d + Duration::days(6))),
        "m" => (ymd(&format!("{rest}-01"))?, 1),
        "q" => {
            let (year, q) = rest.split_once("-Q")?;
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            (NaiveDate::from_ymd_opt(year.parse().ok()?, (q - 1) * 3 + 1, 1)?, 3)
        }
        "y" => (NaiveDate::from_ymd_opt(rest.parse().ok()?, 1, 1)?, 12),
        _ => return None,
    };
    Some((first, first.checked_add_months(Months::new(months))?.pred_opt()?))
}

/// How long around the end of a bucket its changes are treated as possibly unseen: services
/// keep a bucket's totals in memory only once it ended this long ago, and writers record a
/// change to a bucket that ends within this long. A write transaction in flight when its
/// bucket ends (or instances whose clocks disagree) then cannot slip between the two, unless
/// it takes longer than both margins together.
const SETTLING: Duration = Duration::minutes(5);

/// Buckets whose last day is before this local day (at `now`, UTC) have ended and may be kept.
pub fn kept_before(now: NaiveDateTime, tz: Tz) -> NaiveDate {
    local_date(now - SETTLING, tz)
}

/// A write at `now` (UTC) records its changes to buckets whose last day is before this day.
pub fn recorded_before(now: NaiveDateTime, tz: Tz) -> NaiveDate {
    local_date(now + SETTLING, tz)
}

/// Every bucket wholly within the `days` days before `kept_before` (what custom periods of
/// those days are tiled with, bar the days not yet kept): days first, then weeks, months,
/// quarters, years, each newest first.
pub fn ended_within(kept_before: NaiveDate, days: u32, starts: Weekday) -> Vec<String> {
    let first_day = kept_before.checked_sub_signed(Duration::days(i64::from(days)));
    let within = |key: &str| days_of(key).is_some_and(|(first, last)| Some(first) >= first_day && last < kept_before);
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); 5];
    for back in 1..=i64::from(days) {
        let Some(d) = kept_before.checked_sub_signed(Duration::days(back)) else {
            break;
        };
        for (kind, key) in keys_for(d, starts).into_iter().take(5).enumerate() {
            if within(&key) && keys[kind].last() != Some(&key) {
                keys[kind].push(key);
            }
        }
    }
    keys.into_iter().flatten().collect()
}

/// Whether a write now must record its change to this bucket, given [`recorded_before`]:
/// only buckets that have ended (or are about to) are kept with versions, so sends today
/// write no version row.
pub fn recorded(key: &str, recorded_before: NaiveDate) -> bool {
    ends_before(key, recorded_before)
}

/// Whether the bucket's last day is before `day` (never for all time).
pub fn ends_before(key: &str, day: NaiveDate) -> bool {
    days_of(key).is_some_and(|(_, last)| last < day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            keys_for(d, Weekday::Mon),
            [
                "d:2026-11-25",
                "w:2026-11-23",
                "m:2026-11",
                "q:2026-Q4",
                "y:2026",
                "all"
            ]
        );
        assert_eq!(week_key(d, Weekday::Sun), "w:2026-11-22");
        assert_eq!(quarter_key(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()), "q:2026-Q1");
    }

    #[test]
    fn ended_within_lists_each_ended_bucket_once() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Wednesday 2026-11-25: this week, month, quarter and year have not ended.
        let keys = ended_within(d("2026-11-25"), 10, Weekday::Mon);
        assert_eq!(
            keys,
            [
                "d:2026-11-24",
                "d:2026-11-23",
                "d:2026-11-22",
                "d:2026-11-21",
                "d:2026-11-20",
                "d:2026-11-19",
                "d:2026-11-18",
                "d:2026-11-17",
                "d:2026-11-16",
                "d:2026-11-15",
                "w:2026-11-16",
            ]
        );
        let year = ended_within(d("2026-01-01"), 400, Weekday::Mon);
        assert_eq!(year.iter().filter(|k| k.starts_with("d:")).count(), 400);
        assert!(year.contains(&"y:2025".to_string()) && year.contains(&"q:2025-Q1".to_string()));
        assert!(!year.contains(&"y:2024".to_string()), "only partly in the window");
        assert_eq!(
            year.iter().filter(|k| k.starts_with("m:")).count(),
            13,
            "2024-12 to 2025-12"
        );
        assert!(ended_within(d("2026-01-01"), 0, Weekday::Mon).is_empty());
    }

    #[test]
    fn days_of_each_kind() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(days_of("d:2026-11-25"), Some((d("2026-11-25"), d("2026-11-25"))));
        assert_eq!(days_of("w:2026-11-23"), Some((d("2026-11-23"), d("2026-11-29"))));
        assert_eq!(days_of("m:2028-02"), Some((d("2028-02-01"), d("2028-02-29"))));
        assert_eq!(days_of("q:2026-Q4"), Some((d("2026-10-01"), d("2026-12-31"))));
        assert_eq!(days_of("y:2026"), Some((d("2026-01-01"), d("2026-12-31"))));
        for bad in [ALL_TIME, "q:2026-Q5", "m:2026-13", "x:2026", "d:tomorrow"] {
            assert_eq!(days_of(bad), None, "{bad}");
        }
        assert!(ends_before("w:2026-11-16", d("2026-11-23")));
        assert!(!ends_before("w:2026-11-23", d("2026-11-29")));
        assert!(!ends_before(ALL_TIME, d("2100-01-01")));
        assert!(!recorded("d:2026-11-25", d("2026-11-25")) && recorded("d:2026-11-24", d("2026-11-25")));
        assert!(!recorded("m:2026-11", d("2026-11-25")) && recorded("y:2025", d("2026-11-25")));
        assert!(!recorded(ALL_TIME, d("2100-01-01")));
    }

    #[test]
    fn a_bucket_is_kept_only_after_writers_record_its_changes() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let day = "d:2026-11-24";
        // 23:57 local (04:57 UTC next day): writers record, readers do not keep yet.
        assert!(ends_before(day, recorded_before(at("2026-11-25 04:57"), tz)));
        assert!(!ends_before(day, kept_before(at("2026-11-25 04:57"), tz)));
        // 00:03 local: still not kept; 00:06: kept.
        assert!(!ends_before(day, kept_before(at("2026-11-25 05:03"), tz)));
        assert!(ends_before(day, kept_before(at("2026-11-25 05:06"), tz)));
        // Earlier in the day, writers of today's sends record nothing.
        assert!(!ends_before(day, recorded_before(at("2026-11-25 04:50"), tz)));
    }
}
