//! The delivery worker inside `champion serve`: turns integration events into deliveries
//! (`services::dispatch`), then claims due deliveries and sends them, several at once, off
//! every request path. Several instances may run it on one database: claims are exclusive
//! (as in the email outbox) and each event is dispatched once.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use super::client::{Failure, WebhookClient};
use super::slack_api::{SlackApi, SlackError};
use crate::domain::clock::now;
use crate::domain::signatures::standard_webhook_signature;
use crate::error::AppResult;
use crate::services::delivery_outcomes::{self as outcomes, OutcomeConfig};
use crate::services::dispatch::{self, DispatchConfig, SLACK_DELETE, SLACK_DM, SLACK_POST, TO_SLACK, TO_WEBHOOK};
use crate::services::events::WEBHOOK_TEST;
use crate::settings::Settings;
use crate::store::db::{self, write_tx};
use crate::store::deliveries::{self, DeliveryRow};
use crate::store::{webhooks, Pool};

const BATCH: i32 = 50;
const CLAIM_SECONDS: i64 = 120;
/// Deliveries in flight at once.
const CONCURRENCY: usize = 8;

pub struct Worker {
    pool: Pool,
    dispatch: DispatchConfig,
    outcomes: OutcomeConfig,
    webhooks: WebhookClient,
    slack: Option<SlackApi>,
    poll: Duration,
}

impl Worker {
    pub fn from_settings(s: &Settings, pool: Pool) -> anyhow::Result<Worker> {
        let timeout = Duration::from_secs(s.webhooks.timeout_seconds);
        Ok(Worker {
            pool,
            dispatch: DispatchConfig::from_settings(s),
            outcomes: OutcomeConfig::from_settings(s),
            webhooks: WebhookClient::new(timeout, s.webhooks.allow_private_targets)?,
            slack: SlackApi::from_settings(&s.slack, timeout)?,
            poll: Duration::from_millis(s.webhooks.poll_ms),
        })
    }

    /// Runs until the process stops.
    pub async fn run(self) {
        loop {
            let busy = match self.once().await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "delivery worker: database unavailable");
                    false
                }
            };
            if !busy {
                tokio::time::sleep(self.poll).await;
            }
        }
    }

    /// One round: dispatch events, send what is due. True when there may be more at once.
    pub async fn once(&self) -> AppResult<bool> {
        let cfg = self.dispatch.clone();
        let events = db::run(&self.pool, move |conn| dispatch::dispatch(conn, &cfg, now())).await?;
        let due = db::run(&self.pool, |conn| {
            let at = now();
            write_tx(conn, |conn| {
                Ok(deliveries::claim_due(
                    conn,
                    at,
                    at + chrono::Duration::seconds(CLAIM_SECONDS),
                    BATCH,
                )?)
            })
        })
        .await?;
        let claimed = due.len();
        let results: Vec<AppResult<()>> = futures_util::stream::iter(due)
            .map(|row| self.deliver(row))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(events > 0 || claimed == BATCH as usize)
    }

    async fn deliver(&self, row: DeliveryRow) -> AppResult<()> {
        match row.destination.as_str() {
            TO_WEBHOOK => self.deliver_webhook(row).await,
            TO_SLACK => self.deliver_slack(row).await,
            other => {
                let why = format!("unknown destination {other:?}");
                db::run(&self.pool, move |conn| outcomes::cancelled(conn, &row, &why, now())).await
            }
        }
    }

    async fn deliver_webhook(&self, row: DeliveryRow) -> AppResult<()> {
        let id = row.webhook_id.clone().unwrap_or_default();
        let hook = db::run(&self.pool, move |conn| Ok(webhooks::find(conn, &id)?)).await?;
        let Some(hook) = hook.filter(|h| h.active || row.event_type == WEBHOOK_TEST) else {
            return db::run(&self.pool, move |conn| {
                outcomes::cancelled(conn, &row, "the subscription was deleted or switched off", now())
            })
            .await;
        };
        let timestamp = now().and_utc().timestamp();
        let mut headers = vec![
            ("webhook-id", row.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
        ];
        if hook.format == dispatch::FORMAT_STANDARD {
            match standard_webhook_signature(&hook.secret, &row.id, timestamp, &row.payload) {
                Ok(sig) => headers.push(("webhook-signature", sig)),
                Err(e) => return self.webhook_failed(row, None, e, false).await,
            }
        }
        match self.webhooks.post_json(&hook.url, &headers, row.payload.clone()).await {
            Ok(a) if (200..300).contains(&a.status) => {
                tracing::info!(delivery = %row.id, event = %row.event_type, status = a.status, "webhook delivered");
                let code = Some(i32::from(a.status));
                db::run(&self.pool, move |conn| outcomes::delivered(conn, &row, code, now())).await
            }
            Ok(a) => {
                let body: String = a.body.chars().take(200).collect();
                let error = format!("HTTP {}: {}", a.status, body.trim());
                self.webhook_failed(row, Some(i32::from(a.status)), error, false).await
            }
            Err(Failure::Refused(m)) => self.webhook_failed(row, None, format!("refused: {m}"), true).await,
            Err(Failure::Transport(m)) => self.webhook_failed(row, None, m, false).await,
        }
    }

    async fn webhook_failed(&self, row: DeliveryRow, code: Option<i32>, error: String, refused: bool) -> AppResult<()> {
        tracing::warn!(delivery = %row.id, attempts = row.attempts, %error, "webhook not delivered");
        let cfg = self.outcomes.clone();
        db::run(&self.pool, move |conn| {
            outcomes::webhook_failed(conn, &cfg, &row, code, &error, refused, now())
        })
        .await
    }

    async fn deliver_slack(&self, row: DeliveryRow) -> AppResult<()> {
        let Some(api) = &self.slack else {
            return db::run(&self.pool, move |conn| {
                outcomes::cancelled(conn, &row, "Slack is not connected on this instance", now())
            })
            .await;
        };
        let args: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
        let result = match row.action.as_str() {
            SLACK_DM => direct_message(api, args).await,
            method => api.call(method, &args).await,
        };
        let cfg = self.outcomes.clone();
        match result {
            Ok(reply) if row.action == SLACK_POST => {
                let channel = reply["channel"].as_str().unwrap_or_default().to_string();
                let ts = reply["ts"].as_str().unwrap_or_default().to_string();
                db::run(&self.pool, move |conn| {
                    outcomes::slack_posted(conn, &row, &channel, &ts, now())
                })
                .await
            }
            Ok(_) if row.action == SLACK_DELETE => {
                db::run(&self.pool, move |conn| outcomes::slack_deleted(conn, &row, now())).await
            }
            Ok(_) => {
                db::run(&self.pool, move |conn| {
                    outcomes::delivered(conn, &row, Some(200), now())
                })
                .await
            }
            // Deleting what is already gone is done.
            Err(SlackError::Permanent(m)) if row.action == SLACK_DELETE && m.ends_with("message_not_found") => {
                db::run(&self.pool, move |conn| outcomes::slack_deleted(conn, &row, now())).await
            }
            Err(e) => {
                tracing::warn!(delivery = %row.id, attempts = row.attempts, error = %e, "Slack call failed");
                let (retry_after, permanent) = match &e {
                    SlackError::RateLimited(s) => (Some(*s), false),
                    SlackError::Temporary(_) => (None, false),
                    SlackError::Permanent(_) => (None, true),
                };
                let error = e.to_string();
                db::run(&self.pool, move |conn| {
                    outcomes::slack_failed(conn, &cfg, &row, &error, retry_after, permanent, now())
                })
                .await
            }
        }
    }
}

/// A direct message: the person's Slack id by their email, then the message to it.
async fn direct_message(api: &SlackApi, mut args: Value) -> Result<Value, SlackError> {
    let email = args["email"].as_str().unwrap_or_default().to_string();
    let user = api.call_form("users.lookupByEmail", &[("email", &email)]).await?;
    let id = user["user"]["id"].as_str().unwrap_or_default().to_string();
    if let Some(map) = args.as_object_mut() {
        map.remove("email");
        map.insert("channel".into(), Value::String(id));
    }
    api.call(SLACK_POST, &args).await
}
