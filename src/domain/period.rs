//! Time spans in the organisation's timezone. Rules count postcards per week, and a week
//! starts at local midnight of `org.week_starts`, which is not always 24 x 7 hours after the
//! previous one (daylight-saving changes), so spans are computed on local dates and only then
//! turned into UTC instants for the database.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

/// A half-open UTC span `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The local date of a UTC instant in `tz`.
pub fn local_date(at_utc: NaiveDateTime, tz: Tz) -> NaiveDate {
    tz.from_utc_datetime(&at_utc).date_naive()
}

/// The UTC instant at which `date` begins in `tz`. Where a daylight-saving gap swallows
/// midnight (some zones switch at 00:00), the day begins at the first local time that exists.
pub fn start_of_day_utc(date: NaiveDate, tz: Tz) -> NaiveDateTime {
    let mut local = date.and_time(NaiveTime::MIN);
    for _ in 0..=4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.naive_utc();
        }
        local += Duration::minutes(30);
    }
    // No zone has a gap longer than two hours; fall back to reading the date as UTC.
    date.and_time(NaiveTime::MIN)
}

/// The first local date of the week holding `date`.
pub fn week_start_date(date: NaiveDate, starts: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - starts.num_days_from_monday()) % 7;
    date - Duration::days(i64::from(back))
}

/// The week (in `tz`, starting on `starts`) that holds the UTC instant `at_utc`.
pub fn week_containing(at_utc: NaiveDateTime, tz: Tz, starts: Weekday) -> Span {
    let first = week_start_date(local_date(at_utc, tz), starts);
    Span {
        start: start_of_day_utc(first, tz),
        end: start_of_day_utc(first + Duration::days(7), tz),
    }
}

/// The years a client may name. Every date a request carries is checked against them, so
/// date arithmetic (a week's end, a quarter's start, a timezone's offset) cannot overflow
/// chrono's calendar, and no date reaches a database outside the range both can store.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn out_of_range() -> String {
    format!("must be between {}-01-01 and {}-12-31", YEARS.start(), YEARS.end())
}

/// Whether `date` lies within [`YEARS`].
pub fn in_range(date: NaiveDate) -> bool {
    YEARS.contains(&date.year())
}

/// A calendar date such as `2026-11-02` within [`YEARS`].
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let date =
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "must be a real date, YYYY-MM-DD".to_string())?;
    if !in_range(date) {
        return Err(out_of_range());
    }
    Ok(date)
}

/// A date (`2026-11-02`: local midnight in `tz`) or an RFC 3339 timestamp, as a UTC instant,
/// within [`YEARS`].
pub fn parse_instant(raw: &str, tz: Tz) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) if in_range(date) => return Ok(start_of_day_utc(date, tz)),
        Ok(_) => return Err(out_of_range()),
        Err(_) => {}
    }
    let at = chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp".to_string())?;
    if !in_range(at.date()) {
        return Err(out_of_range());
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn dates_outside_the_calendar_range_are_refused() {
        for (raw, why) in [
            ("+262142-12-31", "chrono's last year"),
            ("-262143-01-01", "chrono's first year"),
            ("-5000-01-01", "before Postgres' first date"),
            ("1969-12-31", "the day before the range"),
            ("10000-01-01", "after the range"),
            ("+262142-12-31T23:59:59Z", "as a timestamp"),
            ("1969-12-31T23:59:59Z", "as a timestamp, a second early"),
        ] {
            assert!(parse_instant(raw, chrono_tz::UTC).is_err(), "{raw}: {why}");
            assert!(parse_date(raw).is_err(), "{raw}: {why}");
        }
        for ok in ["1970-01-01", "9999-12-31"] {
            assert!(parse_date(ok).is_ok());
            // Where the range ends, a timezone's offset may not leave the calendar.
            assert!(parse_instant(ok, chrono_tz::Pacific::Kiritimati).is_ok());
            assert!(parse_instant(ok, chrono_tz::Pacific::Pago_Pago).is_ok());
        }
    }

    #[test]
    fn week_in_utc_starting_monday() {
        let w = week_containing(at("2026-11-25 12:00"), Tz::UTC, Weekday::Mon);
        assert_eq!(w.start, at("2026-11-23 00:00"));
        assert_eq!(w.end, at("2026-11-30 00:00"));
    }

    #[test]
    fn local_timezone_moves_the_boundary() {
        // Sunday 23:30 UTC is already Monday 00:30 in Berlin (UTC+1 in November).
        let w = week_containing(at("2026-11-22 23:30"), chrono_tz::Europe::Berlin, Weekday::Mon);
        assert_eq!(w.start, at("2026-11-22 23:00"));
        assert_eq!(w.end, at("2026-11-29 23:00"));
    }

    #[test]
    fn week_across_a_dst_change_is_shorter() {
        // Europe/London springs forward on Sunday 2026-03-29: the week is 167 hours long.
        let w = week_containing(at("2026-03-25 12:00"), chrono_tz::Europe::London, Weekday::Mon);
        assert_eq!(w.start, at("2026-03-23 00:00"));
        assert_eq!(w.end, at("2026-03-29 23:00"));
        assert_eq!((w.end - w.start).num_hours(), 167);
    }

    #[test]
    fn sunday_weeks_and_midnight_gaps() {
        assert_eq!(
            week_start_date(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), Weekday::Sun),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        // America/Santiago springs forward at 00:00 on 2026-09-06: that day begins at 01:00 local.
        let d = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(
            start_of_day_utc(d, chrono_tz::America::Santiago),
            at("2026-09-06 04:00")
        );
    }
}
