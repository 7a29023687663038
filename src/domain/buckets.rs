//! The period buckets that leaderboard totals are kept in. A postcard counts in the day,
//! week, month, quarter and year of its local date in the org's timezone, and in "all
//! time"; a board for one of those periods then reads a single bucket. The database knows a
//! bucket by its key ([`Bucket::key`]); code above the store works with [`Bucket`].

use std::fmt;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;

use super::period::{local_date, week_start_date};

/// One bucket, by its first local day (weeks start on the org's first weekday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    Day(NaiveDate),
    Week(NaiveDate),
    Month(NaiveDate),
    Quarter(NaiveDate),
    Year(NaiveDate),
    AllTime,
}

impl Bucket {
    /// Every bucket a postcard of local date `d` counts in, shortest first.
    pub fn holding(d: NaiveDate, starts: Weekday) -> [Bucket; 6] {
        let on = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d);
        [
            Bucket::Day(d),
            Bucket::Week(week_start_date(d, starts)),
            Bucket::Month(on(d.month())),
            Bucket::Quarter(on(d.month0() / 3 * 3 + 1)),
            Bucket::Year(on(1)),
            Bucket::AllTime,
        ]
    }

    /// The first and last local day; `None` for all time.
    pub fn days(self) -> Option<(NaiveDate, NaiveDate)> {
        let (first, months) = match self {
            Bucket::Day(d) => return Some((d, d)),
            Bucket::Week(d) => return Some((d, d.checked_add_signed(Duration::days(6))?)),
            Bucket::Month(d) => (d, 1),
            Bucket::Quarter(d) => (d, 3),
            Bucket::Year(d) => (d, 12),
            Bucket::AllTime => return None,
        };
        Some((first, first.checked_add_months(Months::new(months))?.pred_opt()?))
    }

    /// How the database knows the bucket: `d:2026-11-25`, `w:2026-11-23`, `m:2026-11`,
    /// `q:2026-Q4`, `y:2026`, `all`.
    pub fn key(self) -> String {
        self.to_string()
    }

    /// The bucket a key names; `None` for a key not made by [`Bucket::key`].
    pub fn parse(key: &str) -> Option<Bucket> {
        if key == ALL_TIME {
            return Some(Bucket::AllTime);
        }
        let (kind, rest) = key.split_once(':')?;
        let ymd = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let bucket = match kind {
            "d" => Bucket::Day(ymd(rest)?),
            "w" => Bucket::Week(ymd(rest)?),
            "m" => Bucket::Month(ymd(&format!("{rest}-01"))?),
            "q" => {
                let (year, q) = rest.split_once("-Q")?;
                let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
                Bucket::Quarter(NaiveDate::from_ymd_opt(year.parse().ok()?, (q - 1) * 3 + 1, 1)?)
            }
            "y" => Bucket::Year(NaiveDate::from_ymd_opt(rest.parse().ok()?, 1, 1)?),
            _ => return None,
        };
        // Only the canonical spelling: `parse(k)?.key() == k`.
        (bucket.key() == key).then_some(bucket)
    }

    /// Whether the bucket's last day is before `day` (never for all time).
    pub fn ends_before(self, day: NaiveDate) -> bool {
        self.days().is_some_and(|(_, last)| last < day)
    }

    /// Whether it holds local day `day` (all time holds every day).
    pub fn holds(self, day: NaiveDate) -> bool {
        self.days().is_none_or(|(first, last)| (first..=last).contains(&day))
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bucket::Day(d) => write!(f, "d:{}", d.format("%Y-%m-%d")),
            Bucket::Week(d) => write!(f, "w:{}", d.format("%Y-%m-%d")),
            Bucket::Month(d) => write!(f, "m:{:04}-{:02}", d.year(), d.month()),
            Bucket::Quarter(d) => write!(f, "q:{:04}-Q{}", d.year(), d.month0() / 3 + 1),
            Bucket::Year(d) => write!(f, "y:{:04}", d.year()),
            Bucket::AllTime => f.write_str(ALL_TIME),
        }
    }
}

/// The key of the all-time bucket.
pub const ALL_TIME: &str = "all";

/// How each kind's keys begin, in the order of [`Bucket::holding`] (all time's is its whole key).
pub const KIND_PREFIXES: [&str; 6] = ["d:", "w:", "m:", "q:", "y:", ALL_TIME];

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

/// A write at `now` (UTC) records its changes to buckets that end before this day
/// ([`Bucket::ends_before`]): only buckets that have ended (or are about to) are kept with
/// versions, so sends today write no version row.
pub fn recorded_before(now: NaiveDateTime, tz: Tz) -> NaiveDate {
    local_date(now + SETTLING, tz)
}

/// Every bucket wholly within the `days` days before `kept_before` (what custom periods of
/// those days are tiled with, bar the days not yet kept): days first, then weeks, months,
/// quarters, years, each newest first.
pub fn ended_within(kept_before: NaiveDate, days: u32, starts: Weekday) -> Vec<Bucket> {
    let first_day = kept_before.checked_sub_signed(Duration::days(i64::from(days)));
    let within = |b: Bucket| {
        b.days()
            .is_some_and(|(first, last)| Some(first) >= first_day && last < kept_before)
    };
    let mut kinds: Vec<Vec<Bucket>> = vec![Vec::new(); 5];
    for back in 1..=i64::from(days) {
        let Some(d) = kept_before.checked_sub_signed(Duration::days(back)) else {
            break;
        };
        for (kind, b) in Bucket::holding(d, starts).into_iter().take(5).enumerate() {
            if within(b) && kinds[kind].last() != Some(&b) {
                kinds[kind].push(b);
            }
        }
    }
    kinds.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn keys(buckets: &[Bucket]) -> Vec<String> {
        buckets.iter().map(|b| b.key()).collect()
    }

    #[test]
    fn keys_name_each_bucket_once() {
        assert_eq!(
            keys(&Bucket::holding(d("2026-11-25"), Weekday::Mon)),
            [
                "d:2026-11-25",
                "w:2026-11-23",
                "m:2026-11",
                "q:2026-Q4",
                "y:2026",
                "all"
            ]
        );
        assert_eq!(Bucket::holding(d("2026-11-25"), Weekday::Sun)[1].key(), "w:2026-11-22");
        assert_eq!(Bucket::holding(d("2026-03-31"), Weekday::Mon)[3].key(), "q:2026-Q1");
        for day in ["2024-02-29", "2026-01-01", "2026-12-31"] {
            for (kind, b) in Bucket::holding(d(day), Weekday::Wed).into_iter().enumerate() {
                assert_eq!(Bucket::parse(&b.key()), Some(b), "{b}");
                assert!(b.holds(d(day)) && b.key().starts_with(KIND_PREFIXES[kind]), "{b}");
            }
        }
        for bad in [
            "q:2026-Q5",
            "m:2026-13",
            "x:2026",
            "d:tomorrow",
            "y:26",
            "d:2026-1-5",
            "",
        ] {
            assert_eq!(Bucket::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ended_within_lists_each_ended_bucket_once() {
        // Wednesday 2026-11-25: this week, month, quarter and year have not ended.
        assert_eq!(
            keys(&ended_within(d("2026-11-25"), 10, Weekday::Mon)),
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
        let year = keys(&ended_within(d("2026-01-01"), 400, Weekday::Mon));
        let count = |prefix: &str| year.iter().filter(|k| k.starts_with(prefix)).count();
        assert_eq!(count("d:"), 400);
        assert!(year.contains(&"y:2025".to_string()) && year.contains(&"q:2025-Q1".to_string()));
        assert!(!year.contains(&"y:2024".to_string()), "only partly in the window");
        assert_eq!(count("m:"), 13, "2024-12 to 2025-12");
        assert!(ended_within(d("2026-01-01"), 0, Weekday::Mon).is_empty());
    }

    #[test]
    fn days_of_each_kind() {
        let days = |key: &str| Bucket::parse(key).and_then(Bucket::days);
        assert_eq!(days("d:2026-11-25"), Some((d("2026-11-25"), d("2026-11-25"))));
        assert_eq!(days("w:2026-11-23"), Some((d("2026-11-23"), d("2026-11-29"))));
        assert_eq!(days("m:2028-02"), Some((d("2028-02-01"), d("2028-02-29"))));
        assert_eq!(days("q:2026-Q4"), Some((d("2026-10-01"), d("2026-12-31"))));
        assert_eq!(days("y:2026"), Some((d("2026-01-01"), d("2026-12-31"))));
        assert_eq!(days(ALL_TIME), None);
        let ends_before = |key: &str, day: &str| Bucket::parse(key).unwrap().ends_before(d(day));
        assert!(ends_before("w:2026-11-16", "2026-11-23"));
        assert!(!ends_before("w:2026-11-23", "2026-11-29"));
        assert!(!ends_before(ALL_TIME, "2100-01-01"));
        assert!(!ends_before("d:2026-11-25", "2026-11-25") && ends_before("d:2026-11-24", "2026-11-25"));
        assert!(!ends_before("m:2026-11", "2026-11-25") && ends_before("y:2025", "2026-11-25"));
    }

    #[test]
    fn a_bucket_is_kept_only_after_writers_record_its_changes() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let day = Bucket::Day(d("2026-11-24"));
        // 23:57 local (04:57 UTC next day): writers record, readers do not keep yet.
        assert!(day.ends_before(recorded_before(at("2026-11-25 04:57"), tz)));
        assert!(!day.ends_before(kept_before(at("2026-11-25 04:57"), tz)));
        // 00:03 local: still not kept; 00:06: kept.
        assert!(!day.ends_before(kept_before(at("2026-11-25 05:03"), tz)));
        assert!(day.ends_before(kept_before(at("2026-11-25 05:06"), tz)));
        // Earlier in the day, writers of today's sends record nothing.
        assert!(!day.ends_before(recorded_before(at("2026-11-25 04:50"), tz)));
    }
}
