//! The period a leaderboard covers: `week` (default), `month`, `quarter`, `year`, `all` or
//! `custom` (`from`..=`to`), picked by a date `at` in the org's timezone. A standard period
//! reads one bucket of totals; a custom one adds up its days.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::buckets::{day_key, month_key, quarter_key, week_key, year_key, ALL_TIME};
use super::period::week_start_date;

/// The longest custom period, in days: custom boards add up day buckets.
pub const CUSTOM_MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPeriod {
    /// First and last local day; `None` for all time.
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// The bucket keys whose totals make up the period.
    pub keys: Vec<String>,
    /// One bucket: unique senders can be read straight from it.
    pub single_bucket: bool,
}

/// A parameter that is wrong, and why.
pub type ParamError = (&'static str, String);

fn date(name: &'static str, raw: &str) -> Result<NaiveDate, ParamError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| (name, "must be a real date, YYYY-MM-DD".to_string()))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

fn single(first: NaiveDate, next: NaiveDate, key: String) -> BoardPeriod {
    BoardPeriod {
        first_day: Some(first),
        last_day: Some(next - Duration::days(1)),
        keys: vec![key],
        single_bucket: true,
    }
}

/// Resolves the query parameters; `today` is the current local date in the org's timezone.
pub fn resolve(
    period: Option<&str>,
    at: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
    starts: Weekday,
) -> Result<BoardPeriod, ParamError> {
    let kind = period.map(str::trim).filter(|p| !p.is_empty()).unwrap_or("week");
    if kind != "custom" && (from.is_some() || to.is_some()) {
        let name = if from.is_some() { "from" } else { "to" };
        return Err((name, "is only for period=custom".into()));
    }
    let at = at.map(|a| date("at", a)).transpose()?.unwrap_or(today);
    Ok(match kind {
        "week" => {
            let first = week_start_date(at, starts);
            single(first, first + Duration::days(7), week_key(at, starts))
        }
        "month" => {
            let first = month_start(at);
            single(first, add_months(first, 1), month_key(at))
        }
        "quarter" => {
            let first = NaiveDate::from_ymd_opt(at.year(), (at.month0() / 3) * 3 + 1, 1).unwrap_or(at);
            single(first, add_months(first, 3), quarter_key(at))
        }
        "year" => {
            let first = NaiveDate::from_ymd_opt(at.year(), 1, 1).unwrap_or(at);
            single(first, add_months(first, 12), year_key(at))
        }
        "all" => BoardPeriod {
            first_day: None,
            last_day: None,
            keys: vec![ALL_TIME.to_string()],
            single_bucket: true,
        },
        "custom" => {
            let from = date(
                "from",
                from.ok_or(("from", "is required for period=custom".to_string()))?,
            )?;
            let to = date("to", to.ok_or(("to", "is required for period=custom".to_string()))?)?;
            if to < from {
                return Err(("to", "must not be before `from`".into()));
            }
            let days = (to - from).num_days() + 1;
            if days > CUSTOM_MAX_DAYS {
                return Err(("to", format!("a custom period is at most {CUSTOM_MAX_DAYS} days")));
            }
            BoardPeriod {
                first_day: Some(from),
                last_day: Some(to),
                keys: (0..days).map(|i| day_key(from + Duration::days(i))).collect(),
                single_bucket: days == 1,
            }
        }
        _ => {
            return Err((
                "period",
                "must be one of week, month, quarter, year, all, custom".into(),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn r(p: &str, at: Option<&str>) -> BoardPeriod {
        resolve(Some(p), at, None, None, d("2026-11-25"), Weekday::Mon).unwrap()
    }

    #[test]
    fn standard_periods() {
        let w = r("week", None);
        assert_eq!(
            (w.first_day, w.last_day),
            (Some(d("2026-11-23")), Some(d("2026-11-29")))
        );
        assert_eq!(w.keys, ["w:2026-11-23"]);
        assert_eq!(r("month", Some("2026-02-10")).last_day, Some(d("2026-02-28")));
        let q = r("quarter", Some("2026-05-31"));
        assert_eq!(
            (q.first_day, q.last_day),
            (Some(d("2026-04-01")), Some(d("2026-06-30")))
        );
        assert_eq!(r("year", None).keys, ["y:2026"]);
        assert_eq!(r("all", None).first_day, None);
    }

    #[test]
    fn custom_and_errors() {
        let c = resolve(
            Some("custom"),
            None,
            Some("2026-11-01"),
            Some("2026-11-03"),
            d("2026-11-25"),
            Weekday::Mon,
        )
        .unwrap();
        assert_eq!(c.keys, ["d:2026-11-01", "d:2026-11-02", "d:2026-11-03"]);
        let bad = |p: Option<&str>, at: Option<&str>, from: Option<&str>, to: Option<&str>| {
            resolve(p, at, from, to, d("2026-11-25"), Weekday::Mon).unwrap_err().0
        };
        assert_eq!(bad(Some("fortnight"), None, None, None), "period");
        assert_eq!(bad(None, Some("2026-02-30"), None, None), "at");
        assert_eq!(bad(Some("custom"), None, Some("2026-11-05"), Some("2026-11-01")), "to");
        assert_eq!(bad(Some("custom"), None, None, Some("2026-11-01")), "from");
        assert_eq!(bad(Some("custom"), None, Some("2025-01-01"), Some("2026-11-01")), "to");
        assert_eq!(bad(Some("week"), None, Some("2026-11-01"), None), "from");
    }
}
