//! Webhook subscriptions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::webhooks;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// Space-separated event types.
    pub events: String,
    pub format: String,
    pub description: String,
    pub active: bool,
    pub include_private: bool,
    pub secret: String,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl WebhookRow {
    pub fn wants(&self, event: &str) -> bool {
        self.events.split(' ').any(|e| e == event)
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<String>,
    pub format: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub include_private: Option<bool>,
    pub secret: Option<String>,
    pub failing_since: Option<Option<NaiveDateTime>>,
    pub disabled_reason: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &WebhookRow) -> QueryResult<()> {
    crate::per_backend!(conn, c => diesel::insert_into(webhooks::table).values(row).execute(c)).map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Every subscription, newest first.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .select(WebhookRow::as_select())
        .order((webhooks::created_at.desc(), webhooks::id.desc()))
        .load(conn)
}

pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .load(conn)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &WebhookChanges) -> QueryResult<usize> {
    diesel::update(webhooks::table.find(id)).set(changes).execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(webhooks::table.find(id)).execute(conn)
}

/// A delivery to the subscription succeeded: its run of failures (if any) is over.
pub fn mark_healthy(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id).filter(webhooks::failing_since.is_not_null()))
        .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(|_| ())
}

/// A delivery failed at `at`: starts the run of failures when none is running; answers
/// when the run began.
pub fn mark_failing(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    diesel::update(webhooks::table.find(id).filter(webhooks::failing_since.is_null()))
        .set(webhooks::failing_since.eq(Some(at)))
        .execute(conn)?;
    webhooks::table
        .find(id)
        .select(webhooks::failing_since)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Disables an active subscription; false when it was not active (another worker did).
pub fn disable(conn: &mut DbConnection, id: &str, reason: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(webhooks::table.find(id).filter(webhooks::active.eq(true)))
        .set((
            webhooks::active.eq(false),
            webhooks::disabled_reason.eq(Some(reason)),
            webhooks::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
