//! Events become deliveries: for each event taken from `integration_events`, one delivery
//! per webhook subscription that wants it, and the Slack calls it causes (the channel
//! announcement, direct messages to recipients who want them, deleting a hidden postcard's
//! announcement). Runs in the background (`outgoing::worker`), in one transaction per batch
//! of events, so each event is turned into deliveries exactly once.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use super::chat_cards;
use super::directory::EmployeeView;
use super::events;
use super::postcard_views::{self, Looker, PostcardView};
use crate::domain::postcard::Visibility;
use crate::error::AppResult;
use crate::settings::Settings;
use crate::store::db::write_tx;
use crate::store::deliveries::{self, DeliveryRow, EventRow};
use crate::store::employees::{self, EmployeeRow};
use crate::store::webhooks::{self, WebhookRow};
use crate::store::{postcards, DbConnection};

/// Events taken per transaction.
const BATCH: i64 = 200;

pub const FORMAT_STANDARD: &str = "standard";
pub const FORMAT_SLACK: &str = "slack";
pub const FORMAT_TEAMS: &str = "teams";
pub const FORMATS: [&str; 3] = [FORMAT_STANDARD, FORMAT_SLACK, FORMAT_TEAMS];

pub const TO_WEBHOOK: &str = "webhook";
pub const TO_SLACK: &str = "slack";
/// A Slack direct message: the worker finds the user by email, then posts.
pub const SLACK_DM: &str = "dm";
pub const SLACK_POST: &str = "chat.postMessage";
pub const SLACK_DELETE: &str = "chat.delete";
pub const SLACK_UPDATE: &str = "chat.update";

#[derive(Debug, Clone)]
pub struct DispatchConfig {
    pub public_url: String,
    pub org_timezone: String,
    /// Slack is connected: direct messages go out.
    pub slack: bool,
    /// ...and public postcards are announced here.
    pub slack_channel: Option<String>,
}

impl DispatchConfig {
    pub fn from_settings(s: &Settings) -> Self {
        let slack = s.slack.connected().is_some();
        DispatchConfig {
            public_url: s.server.public_url.trim_end_matches('/').to_string(),
            org_timezone: s.org.timezone.clone(),
            slack,
            slack_channel: s.slack.announce_channel.clone().filter(|_| slack),
        }
    }
}

const ADMIN: Looker = Looker {
    employee_id: None,
    is_admin: true,
};

/// What the events of a batch are about, read once for the batch.
struct Subjects {
    postcards: HashMap<String, PostcardView>,
    people: HashMap<String, EmployeeRow>,
}

fn load_subjects(conn: &mut DbConnection, events: &[EventRow]) -> AppResult<Subjects> {
    let postcard_ids: Vec<String> = events
        .iter()
        .filter(|e| e.event_type.starts_with("postcard."))
        .map(|e| e.subject_id.clone())
        .collect();
    let rows = postcards::find_many(conn, &postcard_ids)?;
    let views = postcard_views::views(conn, rows, ADMIN)?;
    let mut person_ids: Vec<String> = events
        .iter()
        .filter(|e| e.event_type.starts_with("employee."))
        .map(|e| e.subject_id.clone())
        .chain(
            events
                .iter()
                .filter(|e| e.event_type == events::DIGEST_SENT)
                .filter_map(|e| e.subject_id.split('/').next().map(str::to_string)),
        )
        .chain(views.iter().flat_map(|v| v.recipients.iter().map(|r| r.id.clone())))
        .collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let people = employees::find_many(conn, &person_ids)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    Ok(Subjects {
        postcards: views.into_iter().map(|v| (v.id.clone(), v)).collect(),
        people,
    })
}

/// Turns due events into deliveries; answers how many events were taken.
pub fn dispatch(conn: &mut DbConnection, cfg: &DispatchConfig, now: NaiveDateTime) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let taken = deliveries::take_events(conn, BATCH)?;
        if taken.is_empty() {
            return Ok(0);
        }
        let hooks = webhooks::active(conn)?;
        let listening = !hooks.is_empty() || cfg.slack;
        if !listening {
            return Ok(taken.len());
        }
        let subjects = load_subjects(conn, &taken)?;
        let mut out = Vec::new();
        for event in &taken {
            let Some(data) = data_of(event, &subjects, cfg) else {
                continue;
            };
            let private = subjects
                .postcards
                .get(&event.subject_id)
                .is_some_and(|v| v.visibility != Visibility::Public);
            for hook in hooks.iter().filter(|h| h.wants(&event.event_type)) {
                if private && !(hook.format == FORMAT_STANDARD && hook.include_private) {
                    continue;
                }
                out.push(webhook_delivery(hook, event, &data, &subjects, cfg, now));
            }
            if cfg.slack && !private {
                slack_calls(conn, event, &subjects, cfg, now, &mut out)?;
            }
        }
        deliveries::enqueue(conn, &out)?;
        Ok(taken.len())
    })
}

/// The `data` of an event: the resource as the API answers it. None when it is gone.
fn data_of(event: &EventRow, s: &Subjects, cfg: &DispatchConfig) -> Option<Value> {
    match event.event_type.as_str() {
        t if t.starts_with("postcard.") => s
            .postcards
            .get(&event.subject_id)
            .and_then(|v| serde_json::to_value(v).ok()),
        t if t.starts_with("employee.") => s
            .people
            .get(&event.subject_id)
            .and_then(|e| serde_json::to_value(EmployeeView::from_row(e.clone(), &cfg.org_timezone)).ok()),
        events::DIGEST_SENT => {
            let (manager_id, week) = event.subject_id.split_once('/')?;
            let manager = s.people.get(manager_id).map(|m| m.name.clone());
            Some(json!({"manager_id": manager_id, "manager_name": manager, "week": week}))
        }
        _ => None,
    }
}

/// A delivery id: also the `webhook-id` header, the same on every retry.
pub fn new_delivery_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// The Standard Webhooks body of an event.
pub fn standard_body(event_type: &str, at: NaiveDateTime, data: &Value) -> String {
    json!({
        "type": event_type,
        "timestamp": postcard_views::utc(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

fn webhook_delivery(
    hook: &WebhookRow,
    event: &EventRow,
    data: &Value,
    s: &Subjects,
    cfg: &DispatchConfig,
    now: NaiveDateTime,
) -> DeliveryRow {
    let postcard = s.postcards.get(&event.subject_id);
    let body = match hook.format.as_str() {
        FORMAT_SLACK => match postcard {
            Some(v) if shows_card(&event.event_type) => chat_cards::slack_postcard(v, &cfg.public_url),
            _ => json!({"text": summary(event, s)}),
        }
        .to_string(),
        FORMAT_TEAMS => match postcard {
            Some(v) if shows_card(&event.event_type) => chat_cards::teams_postcard(v, &cfg.public_url),
            _ => chat_cards::teams_text(&summary(event, s)),
        }
        .to_string(),
        _ => standard_body(&event.event_type, event.created_at, data),
    };
    delivery(
        format!("{}:webhook:{}", event.id, hook.id),
        event,
        TO_WEBHOOK,
        Some(hook.id.clone()),
        "post",
        body,
        now,
    )
}

fn shows_card(event_type: &str) -> bool {
    matches!(event_type, events::POSTCARD_CREATED | events::POSTCARD_RESTORED)
}

/// A line saying what happened, for chat formats.
fn summary(event: &EventRow, s: &Subjects) -> String {
    let person = s.people.get(&event.subject_id);
    let postcard = s.postcards.get(&event.subject_id);
    match (event.event_type.as_str(), postcard, person) {
        (events::POSTCARD_ENDORSED, Some(v), _) => {
            format!("+1 for “{}” ({} in all)", chat_cards::headline(v), v.endorsement_count)
        }
        (events::POSTCARD_HIDDEN, Some(v), _) => format!("A moderator hid “{}”", chat_cards::headline(v)),
        (events::POSTCARD_RESTORED, Some(v), _) => format!("A moderator restored “{}”", chat_cards::headline(v)),
        (events::EMPLOYEE_CREATED, _, Some(e)) => format!("{} joined the directory ({})", e.name, e.department),
        (events::EMPLOYEE_UPDATED, _, Some(e)) => format!("{}'s directory entry changed", e.name),
        (events::DIGEST_SENT, ..) => {
            let manager = event
                .subject_id
                .split_once('/')
                .and_then(|(m, _)| s.people.get(m))
                .map_or("a manager", |m| m.name.as_str());
            format!("The weekly digest went to {manager}")
        }
        (t, ..) => format!("Customer Champion: {t}"),
    }
}

/// The Slack Web API calls an event causes.
fn slack_calls(
    conn: &mut DbConnection,
    event: &EventRow,
    s: &Subjects,
    cfg: &DispatchConfig,
    now: NaiveDateTime,
    out: &mut Vec<DeliveryRow>,
) -> AppResult<()> {
    let Some(view) = s.postcards.get(&event.subject_id) else {
        return Ok(());
    };
    let card = chat_cards::slack_postcard(view, &cfg.public_url);
    match event.event_type.as_str() {
        events::POSTCARD_CREATED | events::POSTCARD_RESTORED if view.hidden != Some(true) => {
            if let Some(channel) = &cfg.slack_channel {
                let mut args = card.clone();
                args["channel"] = json!(channel);
                out.push(slack_call(event, "announce", SLACK_POST, &args, now));
            }
            if event.event_type == events::POSTCARD_CREATED {
                for r in &view.recipients {
                    let Some(person) = s.people.get(&r.id).filter(|p| p.notify_on_postcard && p.active) else {
                        continue;
                    };
                    let mut args = card.clone();
                    args["email"] = json!(person.email);
                    args["text"] = json!(format!("You were recognised: {}", chat_cards::headline(view)));
                    out.push(slack_call(event, &format!("dm:{}", person.id), SLACK_DM, &args, now));
                }
            }
        }
        // The announcement's "+1" shows the new count.
        events::POSTCARD_ENDORSED if view.hidden != Some(true) => {
            for (channel, ts) in deliveries::slack_messages_of(conn, &view.id)? {
                let mut args = card.clone();
                args["channel"] = json!(channel);
                args["ts"] = json!(ts);
                out.push(slack_call(
                    event,
                    &format!("update:{channel}"),
                    SLACK_UPDATE,
                    &args,
                    now,
                ));
            }
        }
        events::POSTCARD_HIDDEN => {
            // Not yet announced: it never will be. Announced: the message goes.
            deliveries::cancel_slack_for(conn, &view.id)?;
            for (channel, ts) in deliveries::slack_messages_of(conn, &view.id)? {
                let args = json!({"channel": channel, "ts": ts});
                out.push(slack_call(
                    event,
                    &format!("delete:{channel}"),
                    SLACK_DELETE,
                    &args,
                    now,
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A Slack Web API call an event causes; `what` tells it from the event's other calls.
fn slack_call(event: &EventRow, what: &str, action: &str, args: &Value, now: NaiveDateTime) -> DeliveryRow {
    let key = format!("{}:slack:{what}", event.id);
    delivery(key, event, TO_SLACK, None, action, args.to_string(), now)
}

fn delivery(
    dedupe_key: String,
    event: &EventRow,
    destination: &str,
    webhook_id: Option<String>,
    action: &str,
    payload: String,
    now: NaiveDateTime,
) -> DeliveryRow {
    DeliveryRow {
        id: new_delivery_id(),
        dedupe_key,
        event_type: event.event_type.clone(),
        subject_id: event.subject_id.clone(),
        destination: destination.to_string(),
        webhook_id,
        action: action.to_string(),
        payload,
        status: deliveries::QUEUED.to_string(),
        attempts: 0,
        next_attempt_at: now,
        claimed_until: None,
        response_code: None,
        last_error: None,
        created_at: now,
        sent_at: None,
    }
}

/// A test delivery to one subscription ("send test event").
pub fn test_delivery(hook: &WebhookRow, now: NaiveDateTime) -> DeliveryRow {
    let event = events::event(events::WEBHOOK_TEST, &hook.id, now);
    let text = "This is a test event from Customer Champion.";
    let body = match hook.format.as_str() {
        FORMAT_SLACK => json!({"text": text}).to_string(),
        FORMAT_TEAMS => chat_cards::teams_text(text).to_string(),
        _ => standard_body(
            events::WEBHOOK_TEST,
            now,
            &json!({"webhook_id": hook.id, "message": text}),
        ),
    };
    delivery(
        format!("{}:webhook:{}", event.id, hook.id),
        &event,
        TO_WEBHOOK,
        Some(hook.id.clone()),
        "post",
        body,
        now,
    )
}

/// Queues one Slack Web API call (a reply only its reader sees, the App Home) through the
/// delivery outbox, so it is retried, rate limits are honoured and a failure is kept.
pub fn queue_slack_call(
    conn: &mut DbConnection,
    method: &str,
    args: &Value,
    about: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let event = events::event("slack.reply", about, now);
    let row = slack_call(&event, method, method, args, now);
    write_tx(conn, |conn| Ok(deliveries::enqueue(conn, std::slice::from_ref(&row))?))?;
    Ok(())
}
