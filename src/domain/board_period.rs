//! The period a leaderboard covers: `week` (default), `month`, `quarter`, `year`, `all` or
//! `custom` (`from`..=`to`), picked by a date `at` in the org's timezone. A standard period
//! reads one bucket of totals; a custom one adds up the fewest buckets that tile it exactly.

use chrono::{Datelike, NaiveDate, Weekday};

use super::buckets::Bucket;
use super::period::week_start_date;

/// The longest custom period, in days.
pub const CUSTOM_MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPeriod {
    /// First and last local day; `None` for all time.
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// The buckets whose totals make up the period.
    pub buckets: Vec<Bucket>,
}

impl BoardPeriod {
    /// One bucket: its rows are the board, unique senders included (they do not add up).
    pub fn is_single_bucket(&self) -> bool {
        self.buckets.len() == 1
    }

    fn single(bucket: Bucket) -> BoardPeriod {
        let days = bucket.days();
        BoardPeriod {
            first_day: days.map(|d| d.0),
            last_day: days.map(|d| d.1),
            buckets: vec![bucket],
        }
    }
}

/// A parameter that is wrong, and why.
pub type ParamError = (&'static str, String);

fn date(name: &'static str, raw: &str) -> Result<NaiveDate, ParamError> {
    super::period::parse_date(raw).map_err(|message| (name, message))
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
    let [_, week, month, quarter, year, all] = Bucket::holding(at, starts);
    Ok(match kind {
        "week" => BoardPeriod::single(week),
        "month" => BoardPeriod::single(month),
        "quarter" => BoardPeriod::single(quarter),
        "year" => BoardPeriod::single(year),
        "all" => BoardPeriod::single(all),
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
                buckets: tiling(from, to, starts, today),
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

/// The buckets that tile `first..=last` exactly, in date order: whole years, quarters and
/// months where they fit, whole weeks within what is left, and days for the rest. A postcard
/// counts in every bucket of its date, so adding up these buckets counts each postcard in the
/// period once; a year of days would be 366 buckets (and as many rows per person to add up),
/// a tiling is at most about thirty.
///
/// The week, month, quarter or year holding `today` is never taken whole: today's sends keep
/// changing it, so it cannot be kept in memory (see `boards::memory`), and reading it is
/// reading most of the org. Today is a day bucket instead, the rest of its week days.
fn tiling(first: NaiveDate, last: NaiveDate, starts: Weekday, today: NaiveDate) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    let mut days: Vec<NaiveDate> = Vec::new();
    let mut day = first;
    while day <= last {
        match whole_bucket(day, last, today) {
            Some((bucket, next)) => {
                buckets.extend(weeks_and_days(&std::mem::take(&mut days), starts, today));
                buckets.push(bucket);
                day = next;
            }
            None => {
                days.push(day);
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => break,
                }
            }
        }
    }
    buckets.extend(weeks_and_days(&days, starts, today));
    buckets
}

/// The largest year, quarter or month that starts on `day`, ends by `last` and does not
/// hold `today`, and the day after it.
fn whole_bucket(day: NaiveDate, last: NaiveDate, today: NaiveDate) -> Option<(Bucket, NaiveDate)> {
    if day.day() != 1 {
        return None;
    }
    let candidates = [
        (day.month0() == 0, Bucket::Year(day)),
        (day.month0().is_multiple_of(3), Bucket::Quarter(day)),
        (true, Bucket::Month(day)),
    ];
    candidates
        .into_iter()
        .filter(|(aligned, _)| *aligned)
        // `days` is `None` past the calendar's end: never a whole bucket.
        .find_map(|(_, b)| {
            let (_, end) = b.days()?;
            (end <= last && !b.holds(today)).then_some((b, end.succ_opt()?))
        })
}

/// Consecutive days as whole weeks where they fit (but not today's), and the days around them.
fn weeks_and_days(days: &[NaiveDate], starts: Weekday, today: NaiveDate) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let d = days[i];
        let week = Bucket::Week(d);
        if week_start_date(d, starts) == d && i + 7 <= days.len() && !week.holds(today) {
            buckets.push(week);
            i += 7;
        } else {
            buckets.push(Bucket::Day(d));
            i += 1;
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
        assert_eq!(keys(&w), ["w:2026-11-23"]);
        assert_eq!(r("month", Some("2026-02-10")).last_day, Some(d("2026-02-28")));
        let q = r("quarter", Some("2026-05-31"));
        assert_eq!(
            (q.first_day, q.last_day),
            (Some(d("2026-04-01")), Some(d("2026-06-30")))
        );
        assert_eq!(keys(&r("year", None)), ["y:2026"]);
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
        assert_eq!(keys(&c), ["d:2026-11-01", "d:2026-11-02", "d:2026-11-03"]);
        assert!(!c.is_single_bucket());
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

    fn custom_on(from: &str, to: &str, starts: Weekday, today: &str) -> BoardPeriod {
        resolve(Some("custom"), None, Some(from), Some(to), d(today), starts).unwrap()
    }

    fn keys(p: &BoardPeriod) -> Vec<String> {
        p.buckets.iter().map(|b| b.key()).collect()
    }

    fn custom(from: &str, to: &str, starts: Weekday) -> Vec<String> {
        keys(&custom_on(from, to, starts, "2026-11-25"))
    }

    #[test]
    fn custom_periods_are_tiled_by_the_largest_buckets_that_fit() {
        // 1 Nov 2026 is a Sunday: one day, three Monday weeks, two days.
        assert_eq!(
            custom("2026-11-01", "2026-11-24", Weekday::Mon),
            [
                "d:2026-11-01",
                "w:2026-11-02",
                "w:2026-11-09",
                "w:2026-11-16",
                "d:2026-11-23",
                "d:2026-11-24"
            ]
        );
        // With Sunday weeks the same days start a week.
        assert_eq!(
            custom("2026-11-01", "2026-11-24", Weekday::Sun),
            [
                "w:2026-11-01",
                "w:2026-11-08",
                "w:2026-11-15",
                "d:2026-11-22",
                "d:2026-11-23",
                "d:2026-11-24"
            ]
        );
        // A year that is not a calendar year: days and weeks, a month, quarters, a month, days.
        assert_eq!(
            custom("2025-11-25", "2026-11-24", Weekday::Mon),
            [
                "d:2025-11-25",
                "d:2025-11-26",
                "d:2025-11-27",
                "d:2025-11-28",
                "d:2025-11-29",
                "d:2025-11-30",
                "m:2025-12",
                "q:2026-Q1",
                "q:2026-Q2",
                "q:2026-Q3",
                "m:2026-10",
                "d:2026-11-01",
                "w:2026-11-02",
                "w:2026-11-09",
                "w:2026-11-16",
                "d:2026-11-23",
                "d:2026-11-24",
            ]
        );
        // Exactly one bucket: read as that bucket (its unique senders are stored).
        let month = custom_on("2026-02-01", "2026-02-28", Weekday::Mon, "2026-11-25");
        assert_eq!(
            (keys(&month), month.is_single_bucket()),
            (vec!["m:2026-02".to_string()], true)
        );
        assert_eq!(custom("2025-01-01", "2025-12-31", Weekday::Mon), ["y:2025"]);
        assert_eq!(
            custom("2026-04-01", "2026-09-30", Weekday::Mon),
            ["q:2026-Q2", "q:2026-Q3"]
        );
        assert_eq!(custom("2026-03-31", "2026-03-31", Weekday::Mon), ["d:2026-03-31"]);
    }

    #[test]
    fn the_buckets_holding_today_are_split_into_days() {
        let tiled = |today: &str| keys(&custom_on("2026-01-01", "2026-12-31", Weekday::Mon, today));
        assert_eq!(
            tiled("2026-11-25"),
            [
                "q:2026-Q1",
                "q:2026-Q2",
                "q:2026-Q3",
                "m:2026-10",
                "d:2026-11-01",
                "w:2026-11-02",
                "w:2026-11-09",
                "w:2026-11-16",
                "d:2026-11-23",
                "d:2026-11-24",
                "d:2026-11-25",
                "d:2026-11-26",
                "d:2026-11-27",
                "d:2026-11-28",
                "d:2026-11-29",
                "d:2026-11-30",
                "m:2026-12",
            ]
        );
        // Once the year has ended (or before it starts), it is one bucket again.
        assert_eq!(tiled("2027-01-01"), ["y:2026"]);
        assert_eq!(tiled("2025-12-31"), ["y:2026"]);
    }

    #[test]
    fn every_tiling_covers_each_day_once() {
        let start = d("2023-12-20");
        for (offset, len) in [(0, 0), (3, 40), (12, 365), (41, 100), (70, 200), (100, 27), (377, 365)] {
            for starts in [Weekday::Mon, Weekday::Sun, Weekday::Sat] {
                let from = start + Duration::days(offset);
                let to = from + Duration::days(len);
                for today in [from, from + Duration::days(len / 2), to, to + Duration::days(1)] {
                    let keys = tiling(from, to, starts, today);
                    let mut next = from;
                    for &k in &keys {
                        let (first, last) = k.days().unwrap();
                        assert_eq!(first, next, "{k} in {from}..={to}: {keys:?}");
                        if let Bucket::Week(_) = k {
                            assert_eq!(week_start_date(first, starts), first);
                        }
                        if !matches!(k, Bucket::Day(_)) {
                            assert!(!k.holds(today), "{k} holds {today}");
                        }
                        next = last + Duration::days(1);
                    }
                    assert_eq!(next, to + Duration::days(1), "{from}..={to}: {keys:?}");
                    assert!(keys.len() <= 30, "{from}..={to}: {} buckets", keys.len());
                }
            }
        }
    }

    #[test]
    fn tiling_stops_at_the_end_of_the_calendar() {
        let last = NaiveDate::MAX;
        let keys = tiling(last - Duration::days(40), last, Weekday::Mon, last);
        assert!(!keys.is_empty() && keys.len() <= 41);
    }
}
