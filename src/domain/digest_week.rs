//! Which week a manager's digest covers and when it falls due. A digest is due at
//! `digest.weekday` `digest.hour` in the manager's own timezone, and covers the last org week
//! (in `org.timezone`) that had ended by then. Weeks are named like ISO weeks (`2026-W47`).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

use super::period::{local_date, start_of_day_utc, week_containing, week_start_date, Span};

/// The org's notion of a week, and the digest's appointment in each manager's week.
#[derive(Debug, Clone, Copy)]
pub struct DigestCalendar {
    pub org_tz: Tz,
    pub week_starts: Weekday,
    pub weekday: Weekday,
    pub hour: u32,
}

/// The name of the week that starts on local date `start` (the ISO week holding its
/// fourth day, which is the ISO week itself when weeks start on Monday).
pub fn week_label(start: NaiveDate) -> String {
    let iso = (start + Duration::days(3)).iso_week();
    format!("{}-W{:02}", iso.year(), iso.week())
}

/// The local start date of the week named `label` (`2026-W47`).
pub fn parse_week_label(label: &str, starts: Weekday) -> Result<NaiveDate, String> {
    let bad = || format!("{label:?} is not a week like 2026-W47");
    let (year, week) = label.trim().split_once("-W").ok_or_else(bad)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| super::period::YEARS.contains(y))
        .ok_or_else(bad)?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
    // The week starting on `starts` whose fourth day lies in that ISO week.
    Ok(week_start_date(monday + Duration::days(3), starts))
}

impl DigestCalendar {
    /// The org week starting on local date `start`, as a UTC span.
    pub fn week_from(&self, start: NaiveDate) -> Span {
        Span {
            start: start_of_day_utc(start, self.org_tz),
            end: start_of_day_utc(start + Duration::days(7), self.org_tz),
        }
    }

    /// The org week holding `at`, with its name.
    pub fn week_of(&self, at: NaiveDateTime) -> (String, Span) {
        let span = week_containing(at, self.org_tz, self.week_starts);
        (week_label(local_date(span.start, self.org_tz)), span)
    }

    /// The week before the one holding `at`: what a digest sent at `at` covers.
    pub fn previous_week(&self, at: NaiveDateTime) -> (String, Span) {
        let this = week_containing(at, self.org_tz, self.week_starts);
        self.week_of(this.start - Duration::seconds(1))
    }

    /// The latest appointment (weekday, hour in `manager_tz`) at or before `now`, in UTC.
    pub fn last_appointment(&self, now: NaiveDateTime, manager_tz: Tz) -> NaiveDateTime {
        let today = local_date(now, manager_tz);
        let back = (7 + today.weekday().num_days_from_monday() - self.weekday.num_days_from_monday()) % 7;
        let mut day = today - Duration::days(i64::from(back));
        loop {
            let at = local_instant(day, self.hour, manager_tz);
            if at <= now {
                return at;
            }
            day -= Duration::days(7);
        }
    }

    /// The week whose digest is due for a manager in `manager_tz` at `now`.
    pub fn due_week(&self, now: NaiveDateTime, manager_tz: Tz) -> (String, Span) {
        self.previous_week(self.last_appointment(now, manager_tz))
    }
}

/// `hour:00` local time on `day` in `tz`, in UTC; inside a daylight-saving gap, the first
/// local time after it.
fn local_instant(day: NaiveDate, hour: u32, tz: Tz) -> NaiveDateTime {
    let mut local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN));
    for _ in 0..=4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.naive_utc();
        }
        local += Duration::minutes(30);
    }
    local
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn calendar(org: Tz) -> DigestCalendar {
        DigestCalendar {
            org_tz: org,
            week_starts: Weekday::Mon,
            weekday: Weekday::Mon,
            hour: 8,
        }
    }

    #[test]
    fn labels_round_trip() {
        let start = parse_week_label("2026-W47", Weekday::Mon).unwrap();
        assert_eq!(start, NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(week_label(start), "2026-W47");
        // Week 1 of 2027 starts in 2026.
        assert_eq!(week_label(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()), "2027-W01");
        assert_eq!(week_label(NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()), "2026-W53");
        for bad in ["2026-47", "2026-W54", "W47", "2026-Wxx", ""] {
            assert!(parse_week_label(bad, Weekday::Mon).is_err(), "{bad}");
        }
    }

    #[test]
    fn due_at_eight_on_monday_in_the_managers_zone() {
        let cal = calendar(chrono_tz::UTC);
        let london = chrono_tz::Europe::London;
        // Monday 2026-11-23 07:59 UTC (= London) is before the appointment: the week
        // before last is the latest due one.
        assert_eq!(cal.due_week(at("2026-11-23 07:59"), london).0, "2026-W46");
        assert_eq!(cal.due_week(at("2026-11-23 08:00"), london).0, "2026-W47");
        // New York is five hours behind: due at 13:00 UTC.
        let ny = chrono_tz::America::New_York;
        assert_eq!(cal.due_week(at("2026-11-23 12:59"), ny).0, "2026-W46");
        assert_eq!(cal.due_week(at("2026-11-23 13:00"), ny).0, "2026-W47");
        // Tokyo's Monday 08:00 is Sunday 23:00 UTC: the org week W47 has not ended yet, so
        // that digest still covers W46; W47 comes a week later. Every week exactly once.
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(cal.due_week(at("2026-11-22 23:00"), tokyo).0, "2026-W46");
        assert_eq!(cal.due_week(at("2026-11-29 23:00"), tokyo).0, "2026-W47");
    }

    #[test]
    fn daylight_saving_moves_the_utc_hour() {
        let cal = calendar(chrono_tz::UTC);
        let berlin = chrono_tz::Europe::Berlin;
        // Summer time (UTC+2) ends on 2026-10-25: 08:00 is 06:00 UTC before, 07:00 UTC after.
        assert_eq!(
            cal.last_appointment(at("2026-10-19 06:30"), berlin),
            at("2026-10-19 06:00")
        );
        assert_eq!(
            cal.last_appointment(at("2026-10-26 06:30"), berlin),
            at("2026-10-19 06:00")
        );
        assert_eq!(
            cal.last_appointment(at("2026-10-26 07:00"), berlin),
            at("2026-10-26 07:00")
        );
    }

    #[test]
    fn weeks_follow_the_org_zone() {
        let cal = calendar(chrono_tz::America::New_York);
        let (label, span) = cal.previous_week(at("2026-11-23 13:00"));
        assert_eq!(label, "2026-W47");
        assert_eq!(span.start, at("2026-11-16 05:00"));
        assert_eq!(span.end, at("2026-11-23 05:00"));
        assert_eq!(cal.week_from(parse_week_label(&label, Weekday::Mon).unwrap()), span);
    }
}
