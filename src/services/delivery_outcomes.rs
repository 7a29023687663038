//! What the delivery worker records after each attempt: delivered, tried again later (with
//! exponential backoff, or when Slack's `Retry-After` says), failed for good, or cancelled.
//! A webhook subscription failing for `disable_after` is switched off and the admins are
//! told by email, in the same transaction.

use chrono::{Duration, NaiveDateTime};

use super::dispatch::{self, SLACK_DELETE};
use crate::email::queue::{self, Outgoing};
use crate::email::render::WebhookDisabledMail;
use crate::error::{AppError, AppResult};
use crate::settings::Settings;
use crate::store::db::write_tx;
use crate::store::deliveries::{self, DeliveryRow, Outcome, CANCELLED, DELIVERED, FAILED, QUEUED, REFUSED};
use crate::store::{employees, postcards, webhooks, DbConnection};

#[derive(Debug, Clone)]
pub struct OutcomeConfig {
    pub retry_base_ms: u64,
    pub disable_after: Duration,
    /// Slack calls give up after this many attempts (webhooks after `disable_after`).
    pub slack_max_attempts: i32,
    pub public_url: String,
    /// `auth.admins`: told when a subscription is switched off, with the admins of the directory.
    pub configured_admins: Vec<String>,
}

impl OutcomeConfig {
    pub fn from_settings(s: &Settings) -> Self {
        OutcomeConfig {
            retry_base_ms: s.webhooks.retry_base_ms,
            disable_after: Duration::minutes(i64::try_from(s.webhooks.disable_after_minutes).unwrap_or(i64::MAX / 120)),
            slack_max_attempts: 12,
            public_url: s.server.public_url.trim_end_matches('/').to_string(),
            configured_admins: s.auth.admins.clone(),
        }
    }

    /// When to try again after `attempts` failed attempts: the base, doubled each time, at
    /// most an hour later.
    pub fn retry_at(&self, attempts: i32, now: NaiveDateTime) -> NaiveDateTime {
        crate::domain::clock::retry_after(self.retry_base_ms, attempts, now)
    }
}

fn finish(conn: &mut DbConnection, row: &DeliveryRow, o: Outcome) -> AppResult<()> {
    Ok(deliveries::finish_attempt(conn, row, &o)?)
}

fn done(conn: &mut DbConnection, row: &DeliveryRow, code: Option<i32>, now: NaiveDateTime) -> AppResult<()> {
    finish(
        conn,
        row,
        Outcome {
            status: DELIVERED,
            logged: DELIVERED,
            response_code: code,
            error: None,
            retry_at: None,
            at: now,
        },
    )
}

/// The target took it.
pub fn delivered(conn: &mut DbConnection, row: &DeliveryRow, code: Option<i32>, now: NaiveDateTime) -> AppResult<()> {
    write_tx(conn, |conn| {
        if let Some(id) = &row.webhook_id {
            webhooks::mark_healthy(conn, id)?;
        }
        done(conn, row, code, now)
    })
}

/// Nothing to send any more (the subscription is gone or off, Slack is not connected).
pub fn cancelled(conn: &mut DbConnection, row: &DeliveryRow, why: &str, now: NaiveDateTime) -> AppResult<()> {
    write_tx(conn, |conn| {
        finish(
            conn,
            row,
            Outcome {
                status: CANCELLED,
                logged: CANCELLED,
                response_code: None,
                error: Some(why),
                retry_at: None,
                at: now,
            },
        )
    })
}

/// A webhook attempt failed (an answer other than 2xx, no answer, or a refused address).
pub fn webhook_failed(
    conn: &mut DbConnection,
    cfg: &OutcomeConfig,
    row: &DeliveryRow,
    code: Option<i32>,
    error: &str,
    refused: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let logged = if refused { REFUSED } else { FAILED };
    write_tx(conn, |conn| {
        let hook = match &row.webhook_id {
            Some(id) => webhooks::find(conn, id)?,
            None => None,
        };
        let since = match &hook {
            Some(h) => webhooks::mark_failing(conn, &h.id, now)?.unwrap_or(now),
            None => now,
        };
        let give_up = now - since >= cfg.disable_after;
        if let (true, Some(h)) = (give_up, &hook) {
            let reason = format!("deliveries failed since {since} UTC; the last error: {error}");
            if webhooks::disable(conn, &h.id, &reason, now)? {
                deliveries::cancel_for_webhook(conn, &h.id)?;
                tell_admins(conn, cfg, &h.url, since, error, now)?;
                tracing::warn!(webhook = %h.id, "webhook subscription switched off after a day of failures");
            }
        }
        finish(
            conn,
            row,
            Outcome {
                status: if give_up { FAILED } else { QUEUED },
                logged,
                response_code: code,
                error: Some(error),
                retry_at: (!give_up).then(|| cfg.retry_at(row.attempts, now)),
                at: now,
            },
        )
    })
}

fn tell_admins(
    conn: &mut DbConnection,
    cfg: &OutcomeConfig,
    url: &str,
    since: NaiveDateTime,
    error: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mail = WebhookDisabledMail {
        url: url.to_string(),
        since: format!("{} UTC", since.format("%Y-%m-%d %H:%M")),
        error: error.chars().take(300).collect(),
        console_url: format!("{}/admin/integrations", cfg.public_url),
    };
    let rendered = mail.rendered().map_err(AppError::internal)?;
    let mut to: Vec<(String, String)> = employees::active_admins(conn)?
        .into_iter()
        .map(|e| (e.email, e.name))
        .collect();
    for email in &cfg.configured_admins {
        if !to.iter().any(|(e, _)| e.eq_ignore_ascii_case(email)) {
            to.push((email.clone(), email.clone()));
        }
    }
    for (email, name) in &to {
        let id = queue::new_id();
        queue::enqueue(
            conn,
            &id,
            Outgoing {
                kind: "webhook_disabled",
                dedupe_key: Some(format!("webhook_disabled:{url}:{since}:{email}")),
                to_address: email,
                to_name: name,
                rendered: rendered.clone(),
                unsubscribe_url: None,
            },
            &cfg.public_url,
            now,
        )?;
    }
    Ok(())
}

/// A Slack call failed: again after `retry_after` seconds (429) or the backoff, unless it
/// is permanent or out of attempts.
pub fn slack_failed(
    conn: &mut DbConnection,
    cfg: &OutcomeConfig,
    row: &DeliveryRow,
    error: &str,
    retry_after: Option<u64>,
    permanent: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let give_up = permanent || row.attempts >= cfg.slack_max_attempts;
    let retry_at = match retry_after {
        Some(s) => now + Duration::seconds(i64::try_from(s).unwrap_or(3600).min(3600)),
        None => cfg.retry_at(row.attempts, now),
    };
    write_tx(conn, |conn| {
        finish(
            conn,
            row,
            Outcome {
                status: if give_up { FAILED } else { QUEUED },
                logged: FAILED,
                response_code: None,
                error: Some(error),
                retry_at: (!give_up).then_some(retry_at),
                at: now,
            },
        )
    })
}

/// A postcard's announcement was posted at (channel, ts): remembered, so that hiding it can
/// delete it, and deleted at once if it was hidden meanwhile.
pub fn slack_posted(
    conn: &mut DbConnection,
    row: &DeliveryRow,
    channel: &str,
    ts: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        deliveries::remember_slack_message(conn, &row.subject_id, channel, ts)?;
        if postcards::find(conn, &row.subject_id)?.is_some_and(|p| p.hidden) {
            let mut delete = row.clone();
            delete.id = dispatch::new_delivery_id();
            delete.dedupe_key = format!("{}:delete-after-hide", row.id);
            delete.action = SLACK_DELETE.to_string();
            delete.payload = serde_json::json!({"channel": channel, "ts": ts}).to_string();
            delete.status = QUEUED.to_string();
            delete.attempts = 0;
            delete.next_attempt_at = now;
            delete.claimed_until = None;
            deliveries::enqueue(conn, &[delete])?;
        }
        done(conn, row, Some(200), now)
    })
}

/// An announcement was deleted: forgotten.
pub fn slack_deleted(conn: &mut DbConnection, row: &DeliveryRow, now: NaiveDateTime) -> AppResult<()> {
    write_tx(conn, |conn| {
        deliveries::forget_slack_messages(conn, &row.subject_id)?;
        done(conn, row, Some(200), now)
    })
}
