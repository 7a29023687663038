//! Weekly manager digests: when they fall due, and queueing them (what they say is in
//! `digest_content`). A digest is recorded once per manager and week (a primary key, not
//! luck) in the transaction that queues its email.
//!
//! A manager whose team received nothing and has nobody quiet gets no email that week: the
//! week is recorded as `empty`, so nobody is mailed "nothing happened".

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

pub use super::digest_config::DigestConfig;
pub use super::digest_content::{compose, Week};
use crate::domain::digest_week::{parse_week_label, week_label};
use crate::domain::period::Span;
use crate::email::queue::{self, Outgoing, KIND_DIGEST};
use crate::email::render::Rendered;
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow};
use crate::store::{outbox, DbConnection};

/// A week asked for by name: it must parse and must have ended.
pub fn parse_week(cfg: &DigestConfig, raw: Option<&str>, now: NaiveDateTime) -> AppResult<(String, Span)> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(cfg.calendar.previous_week(now));
    };
    let start = parse_week_label(raw, cfg.calendar.week_starts).map_err(|m| AppError::validation("week", m))?;
    let span = cfg.calendar.week_from(start);
    if span.end > now {
        return Err(AppError::Rule {
            code: "week_not_over",
            detail: format!("{raw} has not ended yet; a digest covers a finished week"),
            field: Some("week".into()),
        });
    }
    Ok((week_label(start), span))
}

/// A manager and their active direct reports.
pub type Team = (EmployeeRow, Vec<EmployeeRow>);

/// Managers (active, with active direct reports) and their teams.
pub fn teams(conn: &mut DbConnection) -> AppResult<Vec<Team>> {
    let people = employees::all_active(conn)?;
    let mut reports: HashMap<String, Vec<EmployeeRow>> = HashMap::new();
    for p in &people {
        if let Some(m) = &p.manager_id {
            reports.entry(m.clone()).or_default().push(p.clone());
        }
    }
    Ok(people
        .into_iter()
        .filter_map(|m| reports.remove(&m.id).map(|team| (m, team)))
        .collect())
}

/// What happened to one manager's digest of a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Queued,
    Empty,
    AlreadyDone,
}

/// Composes and queues one digest, recording the week for the manager in the same
/// transaction; a second call for the same week does nothing.
pub fn queue_one(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    manager: &EmployeeRow,
    team: &[EmployeeRow],
    week: &Week,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    let label = week.label.as_str();
    write_tx(conn, |conn| {
        let digest = compose(conn, cfg, manager, team, week)?;
        if digest.is_empty() {
            let recorded = outbox::record_digest(conn, &manager.id, label, "empty", None, now)?;
            return Ok(if recorded { Outcome::Empty } else { Outcome::AlreadyDone });
        }
        let id = queue::new_id();
        if !outbox::record_digest(conn, &manager.id, label, "queued", Some(&id), now)? {
            return Ok(Outcome::AlreadyDone);
        }
        // The subject names the manager and week (`services::dispatch` reads it back).
        let subject = format!("{}/{label}", manager.id);
        super::events::record(conn, super::events::DIGEST_SENT, &subject, now)?;
        let rendered: Rendered = digest.render().map_err(AppError::internal)?;
        queue::enqueue(
            conn,
            &id,
            Outgoing {
                kind: KIND_DIGEST,
                dedupe_key: Some(format!("digest:{}:{label}", manager.id)),
                to_address: &manager.email,
                to_name: &manager.name,
                rendered,
                unsubscribe_url: Some(digest.unsubscribe_url.clone()),
            },
            &cfg.public_url,
            now,
        )?;
        Ok(Outcome::Queued)
    })
}

/// How a run went: managers whose digest was queued, who had nothing to tell, and who had
/// theirs already.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RunSummary {
    #[schema(example = "2026-W47")]
    pub week: String,
    pub queued: u32,
    pub empty: u32,
    pub already_done: u32,
}

impl RunSummary {
    fn count(&mut self, o: Outcome) {
        match o {
            Outcome::Queued => self.queued += 1,
            Outcome::Empty => self.empty += 1,
            Outcome::AlreadyDone => self.already_done += 1,
        }
    }
}

/// Queues the digests of one week for every manager who has them on (`champion digest run`,
/// `POST /admin/digests/run`).
pub fn run_week(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    week: (String, Span),
    now: NaiveDateTime,
) -> AppResult<RunSummary> {
    let week = Week::load(conn, cfg, week)?;
    let mut summary = RunSummary {
        week: week.label.clone(),
        ..RunSummary::default()
    };
    for (manager, team) in teams(conn)? {
        if manager.weekly_digest {
            summary.count(queue_one(conn, cfg, &manager, &team, &week, now)?);
        }
    }
    Ok(summary)
}

/// `POST /admin/digests/run`: the week asked for (default: the last one ended), its digests
/// queued (never twice), and the run written to the audit log as `actor`'s.
pub fn run_for(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    week: Option<&str>,
    now: NaiveDateTime,
    actor: &str,
) -> AppResult<RunSummary> {
    let week = parse_week(cfg, week, now)?;
    let summary = run_week(conn, cfg, week, now)?;
    crate::store::audit::record(
        conn,
        actor,
        "digests.run",
        ("digest", &summary.week),
        None,
        serde_json::json!({ "queued": summary.queued, "empty": summary.empty, "already_done": summary.already_done }),
    )?;
    Ok(summary)
}

/// Queues every digest that has fallen due by `now` (each manager at their own local hour)
/// and has not been done; what `champion serve` runs every `digest.check_seconds`.
pub fn queue_due(conn: &mut DbConnection, cfg: &DigestConfig, now: NaiveDateTime) -> AppResult<u32> {
    if !cfg.enabled {
        return Ok(0);
    }
    let mut by_week: BTreeMap<String, (Span, Vec<Team>)> = BTreeMap::new();
    for (manager, team) in teams(conn)? {
        if !manager.weekly_digest {
            continue;
        }
        let (label, span) = cfg.calendar.due_week(now, cfg.manager_tz(&manager));
        // A week that ended before the manager joined the directory is not news to them: a
        // first start (the demo's, or after the first import) sends no burst of past weeks.
        if manager.created_at >= span.end {
            continue;
        }
        by_week
            .entry(label)
            .or_insert_with(|| (span, Vec::new()))
            .1
            .push((manager, team));
    }
    let mut queued = 0;
    for (label, (span, managers)) in by_week {
        let ids: Vec<String> = managers.iter().map(|(m, _)| m.id.clone()).collect();
        let done: HashSet<String> = outbox::digested(conn, &label, &ids)?.into_iter().collect();
        if done.len() == ids.len() {
            continue;
        }
        let week = Week::load(conn, cfg, (label, span))?;
        for (manager, team) in managers.iter().filter(|(m, _)| !done.contains(&m.id)) {
            if queue_one(conn, cfg, manager, team, &week, now)? == Outcome::Queued {
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// The digest a manager would get for a week, rendered (also for an empty week).
pub fn preview(
    conn: &mut DbConnection,
    cfg: &DigestConfig,
    manager_id: &str,
    week: (String, Span),
) -> AppResult<Rendered> {
    let (manager, team) = teams(conn)?
        .into_iter()
        .find(|(m, _)| m.id == manager_id)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no manager with id {manager_id:?} (an active employee with active reports)"
            ))
        })?;
    let week = Week::load(conn, cfg, week)?;
    compose(conn, cfg, &manager, &team, &week)?
        .render()
        .map_err(AppError::internal)
}
