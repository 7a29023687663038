//! Webhook subscriptions, managed by admins: what is sent where and in which format, the
//! secret that signs it (shown on create and rotate only), a test event and the log of
//! deliveries. Whether a target's address is allowed (SSRF) is checked by the caller with
//! `outgoing::client`, which must resolve it; here are the checks of the values themselves.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dispatch::{self, FORMATS, FORMAT_STANDARD};
use super::events::SUBSCRIBABLE;
use super::postcard_views::utc;
use crate::domain::signatures::new_webhook_secret;
use crate::domain::targets;
use crate::error::{AppError, AppResult, Checks};
use crate::store::db::write_tx;
use crate::store::deliveries::{self, AttemptRow};
use crate::store::webhooks::{self, WebhookChanges, WebhookRow};
use crate::store::{audit, DbConnection};

/// What an admin sends to create (all but `url`, `events` optional) or change a subscription.
#[derive(Debug, Default, Clone)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub include_private: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    #[schema(example = "https://hooks.example.com/champion")]
    pub url: String,
    #[schema(example = json!(["postcard.created"]))]
    pub events: Vec<String>,
    /// `standard` (signed JSON), `slack` (incoming-webhook payload) or `teams` (Adaptive Card).
    pub format: String,
    pub description: String,
    pub active: bool,
    /// `standard` only: private postcards are sent too.
    pub include_private: bool,
    /// Why it was switched off by the service (a day of failed deliveries).
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        WebhookView {
            id: r.id,
            url: r.url,
            events: r
                .events
                .split(' ')
                .filter(|e| !e.is_empty())
                .map(str::to_string)
                .collect(),
            format: r.format,
            description: r.description,
            active: r.active,
            include_private: r.include_private,
            disabled_reason: r.disabled_reason,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// A subscription with its signing secret: the answer of create and rotate, and only those.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and base64: verify deliveries with any Standard Webhooks library.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// One attempt to deliver, as the log shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttemptView {
    pub id: String,
    #[schema(example = "postcard.created")]
    pub event: String,
    /// The delivery's `webhook-id` (the same on every retry of one event).
    pub webhook_id: String,
    pub attempt: i32,
    /// `delivered`, `failed` or `refused` (the target's address is not allowed).
    pub status: String,
    pub response_code: Option<i32>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AttemptRow> for DeliveryAttemptView {
    fn from(r: AttemptRow) -> Self {
        DeliveryAttemptView {
            id: r.id,
            event: r.event_type,
            webhook_id: r.delivery_id,
            attempt: r.attempt,
            status: r.status,
            response_code: r.response_code,
            error: r.error,
            created_at: utc(r.created_at),
        }
    }
}

/// The values of an input, checked; None where a field was not given.
struct Checked {
    url: Option<String>,
    events: Option<String>,
    format: Option<String>,
    description: Option<String>,
}

fn check(input: &WebhookInput, creating: bool) -> AppResult<Checked> {
    let mut checks = Checks::new();
    if creating && input.url.is_none() {
        checks.fail("url", "is required");
    }
    let url = input
        .url
        .as_deref()
        .and_then(|u| checks.check("url", targets::parse_url(u)))
        .map(|u| u.to_string());
    let events = match &input.events {
        None if creating => {
            checks.fail("events", "is required: a list of event types");
            None
        }
        None => None,
        Some(list) => {
            let mut chosen: Vec<&str> = Vec::new();
            for (i, e) in list.iter().enumerate() {
                match SUBSCRIBABLE.iter().find(|s| **s == e.trim()) {
                    Some(s) if !chosen.contains(s) => chosen.push(s),
                    Some(_) => {}
                    None => checks.fail(
                        &format!("events[{i}]"),
                        format!("{e:?} is not an event; choose from {}", SUBSCRIBABLE.join(", ")),
                    ),
                }
            }
            if list.is_empty() {
                checks.fail("events", "must name at least one event");
            }
            Some(chosen.join(" "))
        }
    };
    let format = input.format.as_deref().map(str::trim).map(str::to_string);
    if let Some(f) = &format {
        if !FORMATS.contains(&f.as_str()) {
            checks.fail("format", format!("must be one of {}", FORMATS.join(", ")));
        }
    }
    let description = input.description.as_deref().map(|d| d.trim().to_string());
    if description.as_ref().is_some_and(|d| d.chars().count() > 500) {
        checks.fail("description", "must be at most 500 characters");
    }
    checks.finish()?;
    Ok(Checked {
        url,
        events,
        format,
        description,
    })
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("no webhook subscription {id}"))
}

fn private_needs_standard(format: &str, include_private: bool) -> AppResult<()> {
    if include_private && format != FORMAT_STANDARD {
        return Err(AppError::validation(
            "include_private",
            "only a `standard` subscription may receive private postcards (chat channels are public)",
        ));
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &str,
    input: &WebhookInput,
    now: NaiveDateTime,
) -> AppResult<WebhookWithSecret> {
    let c = check(input, true)?;
    let format = c.format.unwrap_or_else(|| FORMAT_STANDARD.to_string());
    let include_private = input.include_private.unwrap_or(false);
    private_needs_standard(&format, include_private)?;
    let row = WebhookRow {
        id: uuid::Uuid::now_v7().to_string(),
        url: c.url.unwrap_or_default(),
        events: c.events.unwrap_or_default(),
        format,
        description: c.description.unwrap_or_default(),
        active: input.active.unwrap_or(true),
        include_private,
        secret: new_webhook_secret(),
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    write_tx(conn, |conn| {
        webhooks::insert(conn, &row)?;
        audit::record(
            conn,
            actor,
            "webhook.create",
            ("webhook", &row.id),
            None,
            serde_json::json!({"url": row.url, "events": row.events, "format": row.format}),
        )?;
        Ok(())
    })?;
    Ok(WebhookWithSecret {
        secret: row.secret.clone(),
        webhook: row.into(),
    })
}

pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    input: &WebhookInput,
    now: NaiveDateTime,
) -> AppResult<WebhookView> {
    let c = check(input, false)?;
    write_tx(conn, |conn| {
        let before = webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?;
        let format = c.format.clone().unwrap_or(before.format.clone());
        private_needs_standard(&format, input.include_private.unwrap_or(before.include_private))?;
        let enabling = input.active == Some(true) && !before.active;
        let changes = WebhookChanges {
            url: c.url.clone(),
            events: c.events.clone(),
            format: c.format.clone(),
            description: c.description.clone(),
            active: input.active,
            include_private: input.include_private,
            // Switched back on: a fresh start, its old failures forgotten.
            failing_since: enabling.then_some(None),
            disabled_reason: enabling.then_some(None),
            updated_at: Some(now),
            ..Default::default()
        };
        webhooks::update(conn, id, &changes)?;
        if input.active == Some(false) {
            deliveries::cancel_for_webhook(conn, id)?;
        }
        audit::record(
            conn,
            actor,
            "webhook.update",
            ("webhook", id),
            None,
            serde_json::json!({}),
        )?;
        Ok(webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?.into())
    })
}

/// A new secret; the old one stops signing at once.
pub fn rotate_secret(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<WebhookWithSecret> {
    let secret = new_webhook_secret();
    write_tx(conn, |conn| {
        let changes = WebhookChanges {
            secret: Some(secret.clone()),
            updated_at: Some(now),
            ..Default::default()
        };
        if webhooks::update(conn, id, &changes)? == 0 {
            return Err(not_found(id));
        }
        audit::record(
            conn,
            actor,
            "webhook.rotate_secret",
            ("webhook", id),
            None,
            serde_json::json!({}),
        )?;
        let row = webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?;
        Ok(WebhookWithSecret {
            secret: row.secret.clone(),
            webhook: row.into(),
        })
    })
}

/// Deletes a subscription; its deliveries still waiting are cancelled, its log kept.
pub fn delete(conn: &mut DbConnection, actor: &str, id: &str) -> AppResult<()> {
    write_tx(conn, |conn| {
        if webhooks::delete(conn, id)? == 0 {
            return Err(not_found(id));
        }
        deliveries::cancel_for_webhook(conn, id)?;
        audit::record(
            conn,
            actor,
            "webhook.delete",
            ("webhook", id),
            None,
            serde_json::json!({}),
        )?;
        Ok(())
    })
}

pub fn get(conn: &mut DbConnection, id: &str) -> AppResult<WebhookView> {
    Ok(webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?.into())
}

pub fn list(conn: &mut DbConnection) -> AppResult<Vec<WebhookView>> {
    Ok(webhooks::list(conn)?.into_iter().map(Into::into).collect())
}

/// Queues a `webhook.test` delivery to the subscription (active or not); answers its id.
pub fn send_test(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> AppResult<String> {
    write_tx(conn, |conn| {
        let hook = webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?;
        let row = dispatch::test_delivery(&hook, now);
        deliveries::enqueue(conn, std::slice::from_ref(&row))?;
        Ok(row.id)
    })
}

/// The latest attempts to deliver to a subscription, newest first.
pub fn attempts(conn: &mut DbConnection, id: &str, limit: i64) -> AppResult<Vec<DeliveryAttemptView>> {
    webhooks::find(conn, id)?.ok_or_else(|| not_found(id))?;
    Ok(deliveries::attempts_of(conn, id, limit)?
        .into_iter()
        .map(Into::into)
        .collect())
}
