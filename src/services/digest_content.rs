//! What a manager's weekly digest says: the postcards their team (active direct reports)
//! received in the week, who in it has not been recognised for `digest.quiet_weeks` weeks, the
//! department's rank on the week's board, and the top behaviours.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};

use super::digest_config::DigestConfig;
use crate::boards::custom::Source;
use crate::boards::leaderboard::{self, BoardRequest, DepartmentsView};
use crate::boards::memory::BoardMemory;
use crate::domain::board_period::resolve;
use crate::domain::period::{local_date, Span};
use crate::email::render::{customer_line, Digest, DigestPostcard};
use crate::email::unsubscribe::{self, Topic};
use crate::error::{AppError, AppResult};
use crate::store::board_read::Metric;
use crate::store::employees::{self, EmployeeRow};
use crate::store::postcards::{self, PostcardRow};
use crate::store::{behaviours, DbConnection};

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A week being digested: its name, its UTC span, and its departments board (computed once
/// for all the managers digested together).
pub struct Week {
    pub label: String,
    pub span: Span,
    ranks: DepartmentsView,
}

impl Week {
    pub fn load(conn: &mut DbConnection, cfg: &DigestConfig, (label, span): (String, Span)) -> AppResult<Week> {
        let first_day = local_date(span.start, cfg.calendar.org_tz);
        let day = first_day.format("%Y-%m-%d").to_string();
        let period = resolve(
            Some("week"),
            Some(&day),
            None,
            None,
            first_day,
            cfg.calendar.week_starts,
        )
        .map_err(|(_, m)| AppError::internal(anyhow::anyhow!(m)))?;
        let timezone = cfg.calendar.org_tz.name().to_string();
        // A week is one bucket: nothing of several buckets is read, so nothing is kept.
        let memory = BoardMemory::new(0, std::time::Duration::ZERO);
        let req = BoardRequest {
            period: &period,
            timezone: &timezone,
            behaviour: "",
            department: None,
            metric: Metric::Score,
            limit: 1,
            offset: 0,
            buckets: Source {
                memory: &memory,
                kept_before: first_day,
                tz: cfg.calendar.org_tz,
            },
        };
        let ranks = leaderboard::departments(conn, &req)?;
        Ok(Week { label, span, ranks })
    }

    /// The department's place among departments on the week's board.
    fn rank_line(&self, department: &str) -> Option<String> {
        let e = self.ranks.entries.iter().find(|e| e.department == department)?;
        Some(format!(
            "{department} ranked {} of {} departments by score that week.",
            ordinal(e.rank),
            self.ranks.entries.len()
        ))
    }
}

/// The digest of `manager`'s team for the week `label` (`span`).
pub fn compose(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    manager: &EmployeeRow,
    team: &[EmployeeRow],
    week: &Week,
) -> AppResult<Digest> {
    let (label, span) = (week.label.as_str(), week.span);
    let ids: Vec<String> = team.iter().map(|t| t.id.clone()).collect();
    let cards = team_postcards(conn, team, span)?;
    let sender_ids: Vec<String> = cards
        .iter()
        .map(|(r, _)| r.sender_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let senders: HashMap<String, String> = employees::find_many(conn, &sender_ids)?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let titles: HashMap<String, String> = behaviours::list(conn, true)?
        .into_iter()
        .map(|b| (b.slug, b.title))
        .collect();
    let title = |slug: &str| titles.get(slug).cloned().unwrap_or_else(|| slug.to_string());

    let top_behaviours = top_behaviours(cards.iter().map(|(row, _)| title(&row.behaviour)));
    let first_day = local_date(span.start, cfg.calendar.org_tz);
    let quiet = quiet_members(conn, cfg, team, &ids, first_day, span)?;
    let last_day = first_day + Duration::days(6);
    Ok(Digest {
        manager_name: manager.name.clone(),
        week: label.to_string(),
        week_range: format!(
            "{} \u{2013} {}",
            first_day.format("%-d %b"),
            last_day.format("%-d %b %Y")
        ),
        postcards: cards
            .iter()
            .map(|(row, to)| DigestPostcard {
                sender: senders
                    .get(&row.sender_id)
                    .cloned()
                    .unwrap_or_else(|| "A colleague".into()),
                recipients: to.join(", "),
                behaviour: title(&row.behaviour),
                message: row.message.clone(),
                customer: customer_line(row.customer_name.as_deref(), row.customer_quote.as_deref()),
                url: format!("{}/postcards/{}", cfg.public_url, row.id),
            })
            .collect(),
        top_behaviours,
        quiet,
        quiet_weeks: cfg.quiet_weeks,
        rank: week.rank_line(&manager.department),
        app_url: format!("{}/", cfg.public_url),
        unsubscribe_url: unsubscribe::url(&cfg.public_url, &cfg.secret, &manager.id, Topic::WeeklyDigest),
    })
}

/// The visible postcards the team received in `span`, newest first, each with the names of
/// the team members it went to.
fn team_postcards(
    conn: &mut DbConnection,
    team: &[EmployeeRow],
    span: Span,
) -> AppResult<Vec<(PostcardRow, Vec<String>)>> {
    let ids: Vec<String> = team.iter().map(|t| t.id.clone()).collect();
    let names: HashMap<&str, &str> = team.iter().map(|t| (t.id.as_str(), t.name.as_str())).collect();
    let mut cards: Vec<(PostcardRow, Vec<String>)> = Vec::new();
    for (row, recipient) in postcards::received_by(conn, &ids, span)? {
        let name = names.get(recipient.as_str()).map(|n| n.to_string()).unwrap_or_default();
        match cards.last_mut() {
            Some((last, to)) if last.id == row.id => to.push(name),
            _ => cards.push((row, vec![name])),
        }
    }
    Ok(cards)
}

/// The three behaviours named most often (ties by title).
fn top_behaviours(titles: impl Iterator<Item = String>) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for t in titles {
        *counts.entry(t).or_default() += 1;
    }
    let mut top: Vec<(String, i64)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(3);
    top
}

/// Team members nobody recognised in the `quiet_weeks` weeks ending with this one, by name.
fn quiet_members(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    team: &[EmployeeRow],
    ids: &[String],
    first_day: NaiveDate,
    span: Span,
) -> AppResult<Vec<String>> {
    let since = cfg
        .calendar
        .week_from(first_day - Duration::weeks(i64::from(cfg.quiet_weeks) - 1))
        .start;
    let recognised: HashSet<String> = postcards::recognised_among(
        conn,
        ids,
        Span {
            start: since,
            end: span.end,
        },
    )?
    .into_iter()
    .collect();
    let mut quiet: Vec<&EmployeeRow> = team.iter().filter(|t| !recognised.contains(&t.id)).collect();
    quiet.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
    Ok(quiet.into_iter().map(|q| q.name.clone()).collect())
}
