//! Integration events and the outbox of outgoing HTTP calls (webhook deliveries, Slack Web
//! API calls), claimed like the email outbox (see `store::outbox`), with a log of attempts.
//! Also the small tables the Slack and Teams endpoints keep: where announcements went, whose
//! Slack profile is which email, and the signatures seen lately (replays).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamp};

use super::schema::{deliveries, delivery_attempts, integration_events, seen_signatures, slack_messages, slack_users};
use super::DbConnection;

pub use super::outbox::{QUEUED, SENDING};
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
/// Never attempted: what it was for went away first (a postcard hidden before its
/// announcement, a subscription deleted or disabled).
pub const CANCELLED: &str = "cancelled";
/// Logged for an attempt whose target resolved to an address webhooks may not reach.
pub const REFUSED: &str = "refused";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = integration_events)]
pub struct EventRow {
    pub id: String,
    pub event_type: String,
    pub subject_id: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub dedupe_key: String,
    pub event_type: String,
    pub subject_id: String,
    /// `webhook` or `slack`.
    pub destination: String,
    pub webhook_id: Option<String>,
    /// For webhooks `post`; for Slack the Web API method (`chat.postMessage`, ...).
    pub action: String,
    /// The JSON body to send (for Slack, the method's arguments).
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub response_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub webhook_id: Option<String>,
    pub event_type: String,
    pub attempt: i32,
    pub status: String,
    pub response_code: Option<i32>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Records events in the transaction of the change (one statement).
pub fn record_events(conn: &mut DbConnection, rows: &[EventRow]) -> QueryResult<()> {
    // Chunked: a directory import may make thousands, and SQLite bounds a statement's parameters.
    for chunk in rows.chunks(500) {
        crate::per_backend!(conn, c => diesel::insert_into(integration_events::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// Takes up to `limit` events, oldest first, deleting them: run in the transaction that
/// queues their deliveries, so an event is either still here or fully turned into
/// deliveries. On Postgres other instances skip the rows this one holds.
pub fn take_events(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<EventRow>> {
    let rows: Vec<EventRow> = match conn {
        DbConnection::Postgres(c) => integration_events::table
            .select(EventRow::as_select())
            .order(integration_events::id)
            .limit(limit)
            .for_update()
            .skip_locked()
            .load(c)?,
        DbConnection::Sqlite(c) => integration_events::table
            .select(EventRow::as_select())
            .order(integration_events::id)
            .limit(limit)
            .load(c)?,
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    diesel::delete(integration_events::table.filter(integration_events::id.eq_any(&ids))).execute(conn)?;
    Ok(rows)
}

/// Queues deliveries, skipping those whose `dedupe_key` exists; answers how many were new.
/// As `outbox::enqueue_many`: one statement per thousand rows on Postgres (a batch of events
/// may make thousands), one per row on SQLite, whose diesel cannot batch `ON CONFLICT`.
pub fn enqueue(conn: &mut DbConnection, rows: &[DeliveryRow]) -> QueryResult<usize> {
    match conn {
        DbConnection::Postgres(c) => rows.chunks(1000).try_fold(0, |n, chunk| {
            Ok(n + diesel::insert_into(deliveries::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?)
        }),
        DbConnection::Sqlite(c) => rows.iter().try_fold(0, |n, row| {
            Ok(n + diesel::insert_into(deliveries::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?)
        }),
    }
}

/// Claims due deliveries (as `store::outbox::claim_due` claims emails). In a write transaction.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    claimed_until: NaiveDateTime,
    limit: i32,
) -> QueryResult<Vec<DeliveryRow>> {
    // The same states as the email outbox, so the same claim.
    diesel::sql_query(super::outbox::claim_statement(conn, "deliveries"))
        .bind::<Timestamp, _>(claimed_until)
        .bind::<Timestamp, _>(now)
        .bind::<Integer, _>(limit)
        .load(conn)
}

/// What one attempt came to.
pub struct Outcome<'a> {
    /// The delivery's state after it (queued again, delivered, failed, cancelled).
    pub status: &'a str,
    /// What the log says of the attempt (delivered, failed, refused, cancelled).
    pub logged: &'a str,
    pub response_code: Option<i32>,
    pub error: Option<&'a str>,
    /// When to try again (status queued).
    pub retry_at: Option<NaiveDateTime>,
    pub at: NaiveDateTime,
}

/// Records an attempt of `row` in the log and the delivery's new state.
pub fn finish_attempt(conn: &mut DbConnection, row: &DeliveryRow, o: &Outcome) -> QueryResult<()> {
    let attempt = AttemptRow {
        id: uuid::Uuid::now_v7().to_string(),
        delivery_id: row.id.clone(),
        webhook_id: row.webhook_id.clone(),
        event_type: row.event_type.clone(),
        attempt: row.attempts,
        status: o.logged.to_string(),
        response_code: o.response_code,
        error: o.error.map(str::to_string),
        created_at: o.at,
    };
    crate::per_backend!(conn, c => diesel::insert_into(delivery_attempts::table).values(&attempt).execute(c))?;
    diesel::update(deliveries::table.find(&row.id))
        .set((
            deliveries::status.eq(o.status),
            deliveries::response_code.eq(o.response_code),
            deliveries::last_error.eq(o.error),
            deliveries::claimed_until.eq(None::<NaiveDateTime>),
            deliveries::next_attempt_at.eq(o.retry_at.unwrap_or(row.next_attempt_at)),
            deliveries::sent_at.eq((o.status == DELIVERED).then_some(o.at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Cancels a subscription's deliveries still waiting (it was deleted or disabled).
pub fn cancel_for_webhook(conn: &mut DbConnection, webhook_id: &str) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::webhook_id.eq(webhook_id))
            .filter(deliveries::status.eq(QUEUED)),
    )
    .set(deliveries::status.eq(CANCELLED))
    .execute(conn)
}

/// Cancels a postcard's Slack calls still waiting (hidden before they went out); answers how many.
pub fn cancel_slack_for(conn: &mut DbConnection, postcard_id: &str) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::subject_id.eq(postcard_id))
            .filter(deliveries::destination.eq("slack"))
            .filter(deliveries::status.eq(QUEUED)),
    )
    .set(deliveries::status.eq(CANCELLED))
    .execute(conn)
}

/// A subscription's attempts, newest first.
pub fn attempts_of(conn: &mut DbConnection, webhook_id: &str, limit: i64) -> QueryResult<Vec<AttemptRow>> {
    delivery_attempts::table
        .filter(delivery_attempts::webhook_id.eq(webhook_id))
        .select(AttemptRow::as_select())
        .order((delivery_attempts::created_at.desc(), delivery_attempts::id.desc()))
        .limit(limit)
        .load(conn)
}

/// The latest deliveries (the console's outbox), newest first; `status` filters.
pub fn recent(conn: &mut DbConnection, status: Option<&str>, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    let mut q = deliveries::table.select(DeliveryRow::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(deliveries::status.eq(s.to_string()));
    }
    q.order((deliveries::created_at.desc(), deliveries::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    deliveries::table
        .filter(deliveries::status.eq(status))
        .count()
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Remembers where a postcard was announced.
pub fn remember_slack_message(conn: &mut DbConnection, postcard_id: &str, channel: &str, ts: &str) -> QueryResult<()> {
    let insert = diesel::insert_into(slack_messages::table)
        .values((
            slack_messages::postcard_id.eq(postcard_id),
            slack_messages::channel.eq(channel),
            slack_messages::ts.eq(ts),
        ))
        .on_conflict_do_nothing();
    crate::per_backend!(conn, c => insert.execute(c)).map(|_| ())
}

/// Where a postcard was announced: (channel, ts) pairs.
pub fn slack_messages_of(conn: &mut DbConnection, postcard_id: &str) -> QueryResult<Vec<(String, String)>> {
    slack_messages::table
        .filter(slack_messages::postcard_id.eq(postcard_id))
        .select((slack_messages::channel, slack_messages::ts))
        .load(conn)
}

pub fn forget_slack_messages(conn: &mut DbConnection, postcard_id: &str) -> QueryResult<usize> {
    diesel::delete(slack_messages::table.filter(slack_messages::postcard_id.eq(postcard_id))).execute(conn)
}

/// The cached email of a Slack user, when fetched after `fresh_after`: Some(None) means
/// their profile had no email.
pub fn slack_user_email(
    conn: &mut DbConnection,
    slack_id: &str,
    fresh_after: NaiveDateTime,
) -> QueryResult<Option<Option<String>>> {
    slack_users::table
        .find(slack_id)
        .filter(slack_users::fetched_at.gt(fresh_after))
        .select(slack_users::email)
        .first(conn)
        .optional()
}

pub fn cache_slack_user(
    conn: &mut DbConnection,
    slack_id: &str,
    email: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // An upsert: two requests of one person may look them up at once.
    let upsert = diesel::insert_into(slack_users::table)
        .values((
            slack_users::slack_id.eq(slack_id),
            slack_users::email.eq(email),
            slack_users::fetched_at.eq(at),
        ))
        .on_conflict(slack_users::slack_id)
        .do_update()
        .set((slack_users::email.eq(email), slack_users::fetched_at.eq(at)));
    crate::per_backend!(conn, c => upsert.execute(c)).map(|_| ())
}

/// Remembers a request's signature; false when it was seen before (a replay).
pub fn first_sighting(conn: &mut DbConnection, signature: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let insert = diesel::insert_into(seen_signatures::table)
        .values((
            seen_signatures::signature.eq(signature),
            seen_signatures::seen_at.eq(at),
        ))
        .on_conflict_do_nothing();
    Ok(crate::per_backend!(conn, c => insert.execute(c))? == 1)
}

/// Forgets signatures older than any request that could still be accepted.
pub fn forget_signatures(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(seen_signatures::table.filter(seen_signatures::seen_at.lt(before))).execute(conn)
}
