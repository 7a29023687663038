//! Leaderboards as callers see them: competition ranks (1, 2, 2, 4), ties by name then id,
//! only active people who did not opt out, and per-department figures.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::custom::{self, Source};
use crate::domain::board_period::BoardPeriod;
use crate::domain::ranking;
use crate::error::AppResult;
use crate::services::postcard_views::PersonRef;
use crate::store::board_read::{self, BoardFilter, EntryRow, Metric};
use crate::store::DbConnection;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    /// First day (local, in `timezone`); `null` for all time.
    pub start: Option<NaiveDate>,
    /// Last day, inclusive; `null` for all time.
    pub end: Option<NaiveDate>,
    #[schema(example = "Europe/London")]
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    /// Competition rank: 1, 2, 2, 4.
    pub rank: i64,
    pub employee: PersonRef,
    pub score: i64,
    pub received: i64,
    pub given: i64,
    pub endorsements: i64,
    /// Different people who sent them a visible postcard in the period.
    pub unique_senders: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderboardView {
    pub period: PeriodView,
    /// `score`, `received` or `given`.
    pub metric: String,
    pub entries: Vec<EntryView>,
}

pub struct BoardRequest<'a> {
    pub period: &'a BoardPeriod,
    pub timezone: &'a str,
    pub behaviour: &'a str,
    pub department: Option<&'a str>,
    pub metric: Metric,
    pub limit: i64,
    pub offset: i64,
    /// Where boards of several buckets (custom periods) read their buckets.
    pub buckets: Source<'a>,
}

impl BoardRequest<'_> {
    fn filter(&self) -> BoardFilter<'_> {
        BoardFilter {
            buckets: &self.period.buckets,
            behaviour: self.behaviour,
            department: self.department,
            only_listed: true,
        }
    }

    pub fn period_view(&self) -> PeriodView {
        PeriodView {
            start: self.period.first_day,
            end: self.period.last_day,
            timezone: self.timezone.to_string(),
        }
    }
}

fn entry(rank: i64, r: EntryRow) -> EntryView {
    EntryView {
        rank,
        employee: PersonRef {
            id: r.employee_id,
            name: r.name,
            department: r.department,
        },
        score: r.score,
        received: i64::from(r.received),
        given: i64::from(r.given),
        endorsements: i64::from(r.endorsements),
        unique_senders: i64::from(r.unique_senders),
    }
}

/// Competition ranks for a page whose first row has `first_rank`.
fn ranked(rows: Vec<EntryRow>, metric: Metric, offset: i64, first_rank: i64) -> Vec<EntryView> {
    let ranks: Vec<i64> = ranking::competition(rows.iter().map(|r| r.value(metric)), offset, first_rank).collect();
    ranks.into_iter().zip(rows).map(|(rank, r)| entry(rank, r)).collect()
}

pub fn board(conn: &mut DbConnection, req: &BoardRequest) -> AppResult<LeaderboardView> {
    let f = req.filter();
    let entries = if req.period.is_single_bucket() {
        let rows = board_read::page(conn, &f, req.metric, req.limit, req.offset)?;
        let first_rank = match rows.first() {
            Some(r) => 1 + board_read::count_above(conn, &f, req.metric, r.value(req.metric))?,
            None => 1,
        };
        ranked(rows, req.metric, req.offset, first_rank)
    } else {
        custom::page(conn, req.buckets, &f, req.metric, req.limit, req.offset)?
            .into_iter()
            .map(|(rank, r)| entry(rank, r))
            .collect()
    };
    Ok(LeaderboardView {
        period: req.period_view(),
        metric: req.metric.name().to_string(),
        entries,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyStanding {
    pub period: PeriodView,
    pub metric: String,
    /// Among the people on the public board; `null` with nothing yet in the period.
    pub rank: Option<i64>,
    pub score: i64,
    pub received: i64,
    pub given: i64,
    pub endorsements: i64,
    pub unique_senders: i64,
    /// `false` if you opted out: your rank is still computed for you alone.
    pub listed: bool,
}

pub fn standing(conn: &mut DbConnection, req: &BoardRequest, employee_id: &str, listed: bool) -> AppResult<MyStanding> {
    let (mine, above) = if req.period.is_single_bucket() {
        let all = BoardFilter {
            only_listed: false,
            ..req.filter()
        };
        let mine = board_read::person(conn, &all, employee_id)?;
        let value = mine.as_ref().map_or(0, |r| r.value(req.metric));
        // Nobody is ranked with nothing: then the count is not needed.
        let above = if value > 0 {
            board_read::count_above(conn, &req.filter(), req.metric, value)?
        } else {
            0
        };
        (mine, above)
    } else {
        custom::standing(conn, req.buckets, &req.filter(), req.metric, employee_id)?
    };
    let value = mine.as_ref().map_or(0, |r| r.value(req.metric));
    let rank = (value > 0).then_some(1 + above);
    let e = mine.map(|r| entry(0, r));
    Ok(MyStanding {
        period: req.period_view(),
        metric: req.metric.name().to_string(),
        rank,
        score: e.as_ref().map_or(0, |e| e.score),
        received: e.as_ref().map_or(0, |e| e.received),
        given: e.as_ref().map_or(0, |e| e.given),
        endorsements: e.as_ref().map_or(0, |e| e.endorsements),
        unique_senders: e.as_ref().map_or(0, |e| e.unique_senders),
        listed,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentEntry {
    pub rank: i64,
    #[schema(example = "Support")]
    pub department: String,
    pub total_score: i64,
    /// `total_score` per active employee of the department.
    pub per_capita: f64,
    /// Share (0..=1) of its active employees who sent or received a postcard in the period.
    pub participation: f64,
    pub employees: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentsView {
    pub period: PeriodView,
    pub entries: Vec<DepartmentEntry>,
}

/// Departments by total score (opted-out people count for their department, anonymously).
pub fn departments(conn: &mut DbConnection, req: &BoardRequest) -> AppResult<DepartmentsView> {
    let f = BoardFilter {
        only_listed: false,
        department: None,
        ..req.filter()
    };
    let figures = if req.period.is_single_bucket() {
        board_read::department_totals(conn, &f)?
    } else {
        custom::departments(conn, req.buckets, &f)?
    };
    let totals: HashMap<String, (i64, i64)> = figures
        .into_iter()
        .map(|(d, score, active)| (d, (score, active)))
        .collect();
    let mut entries: Vec<DepartmentEntry> = board_read::headcounts(conn)?
        .into_iter()
        .filter(|(d, _)| !d.is_empty())
        .map(|(department, people)| {
            let (total, active) = totals.get(&department).copied().unwrap_or_default();
            let per = |x: i64| {
                if people > 0 {
                    ((x as f64 / people as f64) * 1000.0).round() / 1000.0
                } else {
                    0.0
                }
            };
            DepartmentEntry {
                rank: 0,
                department,
                total_score: total,
                per_capita: per(total),
                participation: per(active),
                employees: people,
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        b.total_score
            .cmp(&a.total_score)
            .then_with(|| a.department.cmp(&b.department))
    });
    let ranks: Vec<i64> = ranking::competition(entries.iter().map(|e| e.total_score), 0, 1).collect();
    for (entry, rank) in entries.iter_mut().zip(ranks) {
        entry.rank = rank;
    }
    Ok(DepartmentsView {
        period: req.period_view(),
        entries,
    })
}
