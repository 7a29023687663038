//! Participation figures for leaders: postcards per week, participation rate, top behaviours
//! and recognition by department, for the whole organisation (admins) or a manager's
//! reporting tree. Computed from the postcards of the period (not a hot path).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::boards::leaderboard::PeriodView;
use crate::domain::period::{local_date, start_of_day_utc, week_start_date};
use crate::error::AppResult;
use crate::store::schema::{behaviours, employees, postcard_recipients, postcards};
use crate::store::DbConnection;

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekPoint {
    pub week_start: NaiveDate,
    /// Postcards received by someone in scope that week.
    pub postcards: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Participation {
    /// Active employees in scope.
    pub employees: i64,
    pub senders: i64,
    pub recipients: i64,
    /// Sent or received at least one postcard.
    pub participants: i64,
    /// `participants / employees`, 0..=1.
    pub rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BehaviourCount {
    pub slug: String,
    pub title: String,
    pub postcards: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentCount {
    pub department: String,
    pub employees: i64,
    pub received: i64,
    pub sent: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub period: PeriodView,
    /// `organisation`, or `team` for a manager's reporting tree.
    pub scope: String,
    pub postcards_per_week: Vec<WeekPoint>,
    pub participation: Participation,
    pub top_behaviours: Vec<BehaviourCount>,
    pub by_department: Vec<DepartmentCount>,
}

pub struct StatsRequest {
    pub period: PeriodView,
    pub timezone: Tz,
    pub week_starts: Weekday,
    /// `None`: the whole organisation; otherwise the reporting tree under this manager.
    pub manager_id: Option<String>,
    pub department: Option<String>,
}

/// Everyone under `manager` (directly or not), active or not.
pub fn reporting_tree(people: &[(String, Option<String>)], manager: &str) -> HashSet<String> {
    let mut reports: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, m) in people {
        if let Some(m) = m {
            reports.entry(m.as_str()).or_default().push(id.as_str());
        }
    }
    let mut tree = HashSet::new();
    let mut todo = vec![manager];
    while let Some(m) = todo.pop() {
        for r in reports.get(m).into_iter().flatten() {
            if tree.insert(r.to_string()) {
                todo.push(r);
            }
        }
    }
    tree
}

fn bounds(req: &StatsRequest) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let start = req.period.start.map(|d| start_of_day_utc(d, req.timezone));
    let end = req
        .period
        .end
        .map(|d| start_of_day_utc(d + Duration::days(1), req.timezone));
    (start, end)
}

pub fn stats(conn: &mut DbConnection, req: &StatsRequest) -> AppResult<StatsView> {
    let people: Vec<(String, Option<String>, String, bool)> = employees::table
        .select((
            employees::id,
            employees::manager_id,
            employees::department,
            employees::active,
        ))
        .load(conn)?;
    let tree = req.manager_id.as_ref().map(|m| {
        let links: Vec<(String, Option<String>)> = people.iter().map(|p| (p.0.clone(), p.1.clone())).collect();
        reporting_tree(&links, m)
    });
    let department_of: HashMap<String, String> = people.iter().map(|p| (p.0.clone(), p.2.clone())).collect();
    let in_scope = |id: &str| {
        tree.as_ref().is_none_or(|t| t.contains(id))
            && req.department.as_ref().is_none_or(|d| department_of.get(id) == Some(d))
    };
    let scope_people: Vec<&(String, Option<String>, String, bool)> =
        people.iter().filter(|p| p.3 && in_scope(&p.0)).collect();

    let (start, end) = bounds(req);
    let mut q = postcards::table
        .inner_join(postcard_recipients::table)
        .filter(postcards::hidden.eq(false))
        .select((
            postcards::id,
            postcards::sender_id,
            postcard_recipients::recipient_id,
            postcards::behaviour,
            postcards::created_at,
        ))
        .into_boxed();
    if let Some(s) = start {
        q = q.filter(postcards::created_at.ge(s));
    }
    if let Some(e) = end {
        q = q.filter(postcards::created_at.lt(e));
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = q.load(conn)?;

    let mut weeks: BTreeMap<NaiveDate, HashSet<&str>> = BTreeMap::new();
    let mut behaviour_cards: HashMap<&str, HashSet<&str>> = HashMap::new();
    let (mut senders, mut recipients) = (HashSet::new(), HashSet::new());
    let mut dept_received: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut dept_sent: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (id, sender, recipient, behaviour, at) in &rows {
        if in_scope(recipient) {
            let week = week_start_date(local_date(*at, req.timezone), req.week_starts);
            weeks.entry(week).or_default().insert(id);
            behaviour_cards.entry(behaviour).or_default().insert(id);
            recipients.insert(recipient.as_str());
            if let Some(d) = department_of.get(recipient) {
                dept_received.entry(d).or_default().insert(id);
            }
        }
        if in_scope(sender) {
            senders.insert(sender.as_str());
            if let Some(d) = department_of.get(sender) {
                dept_sent.entry(d).or_default().insert(id);
            }
        }
    }
    // Every week of the period is in the series, quiet ones with 0 (at most two years back).
    let mut series = Vec::new();
    if let (Some(first), Some(last)) = (
        req.period.start.or_else(|| weeks.keys().next().copied()),
        req.period.end.or_else(|| weeks.keys().last().copied()),
    ) {
        let mut week = week_start_date(first.max(last - Duration::weeks(104)), req.week_starts);
        while week <= last {
            let postcards = weeks.get(&week).map_or(0, |s| s.len() as i64);
            series.push(WeekPoint {
                week_start: week,
                postcards,
            });
            week += Duration::weeks(1);
        }
    }
    let titles: HashMap<String, String> = behaviours::table
        .select((behaviours::slug, behaviours::title))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut top: Vec<BehaviourCount> = behaviour_cards
        .into_iter()
        .map(|(slug, cards)| BehaviourCount {
            title: titles.get(slug).cloned().unwrap_or_default(),
            slug: slug.to_string(),
            postcards: cards.len() as i64,
        })
        .collect();
    top.sort_by(|a, b| b.postcards.cmp(&a.postcards).then_with(|| a.slug.cmp(&b.slug)));

    let active: HashSet<&str> = scope_people.iter().map(|p| p.0.as_str()).collect();
    let participants = active
        .iter()
        .filter(|id| senders.contains(*id) || recipients.contains(*id))
        .count() as i64;
    let employees_n = active.len() as i64;
    let mut headcount: BTreeMap<&str, i64> = BTreeMap::new();
    for p in &scope_people {
        *headcount.entry(p.2.as_str()).or_default() += 1;
    }
    let by_department = headcount
        .into_iter()
        .map(|(d, n)| DepartmentCount {
            department: d.to_string(),
            employees: n,
            received: dept_received.get(d).map_or(0, |s| s.len() as i64),
            sent: dept_sent.get(d).map_or(0, |s| s.len() as i64),
        })
        .collect();
    Ok(StatsView {
        period: req.period.clone(),
        scope: if req.manager_id.is_some() {
            "team"
        } else {
            "organisation"
        }
        .to_string(),
        postcards_per_week: series,
        participation: Participation {
            employees: employees_n,
            senders: senders.iter().filter(|s| active.contains(*s)).count() as i64,
            recipients: recipients.iter().filter(|r| active.contains(*r)).count() as i64,
            participants,
            rate: if employees_n > 0 {
                ((participants as f64 / employees_n as f64) * 1000.0).round() / 1000.0
            } else {
                0.0
            },
        },
        top_behaviours: top,
        by_department,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tree_is_transitive() {
        let links = vec![
            ("b".to_string(), Some("a".to_string())),
            ("c".to_string(), Some("b".to_string())),
            ("d".to_string(), None),
        ];
        let t = super::reporting_tree(&links, "a");
        assert!(t.contains("b") && t.contains("c") && !t.contains("d") && !t.contains("a"));
    }
}
