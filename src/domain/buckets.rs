//! The keys of the period buckets that leaderboard totals are kept in. A postcard counts in
//! the day, week, month, quarter and year of its local date in the org's timezone, and in
//! "all time"; a board for one of those periods then reads a single bucket.

use chrono::{Datelike, NaiveDate, Weekday};

use super::period::week_start_date;

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
}
