//! The outbox: emails queued in the transaction of the event that causes them, claimed by
//! one worker at a time (`FOR UPDATE SKIP LOCKED` on Postgres; SQLite has one writer, so an
//! `UPDATE ... RETURNING` inside `BEGIN IMMEDIATE` is already exclusive), and marked sent or
//! failed. A claim expires, so a worker that died mid-send leaves nothing stuck.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamp};

use super::schema::{digests, outbox};
use super::DbConnection;

pub const QUEUED: &str = "queued";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub dedupe_key: Option<String>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues an email; false when one with the same `dedupe_key` already exists.
pub fn enqueue(conn: &mut DbConnection, row: &OutboxRow) -> QueryResult<bool> {
    let insert = diesel::insert_into(outbox::table).values(row).on_conflict_do_nothing();
    Ok(crate::per_backend!(conn, c => insert.execute(c))? == 1)
}

/// Queues several emails, those whose `dedupe_key` exists skipped: one statement on
/// Postgres (a round trip each would cost more than the insert); one per row on SQLite, which
/// has no round trips and whose diesel cannot batch an insert with `ON CONFLICT`.
pub fn enqueue_many(conn: &mut DbConnection, rows: &[OutboxRow]) -> QueryResult<usize> {
    match conn {
        DbConnection::Postgres(c) if !rows.is_empty() => diesel::insert_into(outbox::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(c),
        _ => rows
            .iter()
            .try_fold(0, |n, row| Ok(n + usize::from(enqueue(conn, row)?))),
    }
}

/// Claims up to `limit` due emails (queued and due, or sending with an expired claim) until
/// `claimed_until`, counting the attempt. Run inside a write transaction.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    claimed_until: NaiveDateTime,
    limit: i32,
) -> QueryResult<Vec<OutboxRow>> {
    diesel::sql_query(claim_statement(conn, "outbox"))
        .bind::<Timestamp, _>(claimed_until)
        .bind::<Timestamp, _>(now)
        .bind::<Integer, _>(limit)
        .load(conn)
}

/// The claim of an outbox-shaped table (`status`, `attempts`, `next_attempt_at`,
/// `claimed_until`; binds: claimed until, now, limit). The due rows are locked against other
/// instances on Postgres (skipping rows another worker holds); SQLite's BEGIN IMMEDIATE
/// already made the transaction the only writer.
pub(super) fn claim_statement(conn: &DbConnection, table: &str) -> String {
    let lock = match conn {
        DbConnection::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    format!(
        "UPDATE {table} SET status = '{SENDING}', attempts = attempts + 1, claimed_until = $1 \
         WHERE id IN (SELECT id FROM {table} \
           WHERE (status = '{QUEUED}' AND next_attempt_at <= $2) \
              OR (status = '{SENDING}' AND claimed_until < $2) \
           ORDER BY next_attempt_at LIMIT $3 {lock}) \
         RETURNING *"
    )
}

pub fn mark_sent(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(Some(at)),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Puts an email back in the queue for `retry_at`, or ends it as failed when `retry_at` is None.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let row = outbox::table.find(id);
    let common = (
        outbox::last_error.eq(Some(error)),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    );
    match retry_at {
        Some(at) => diesel::update(row)
            .set((common, outbox::status.eq(QUEUED), outbox::next_attempt_at.eq(at)))
            .execute(conn),
        None => diesel::update(row)
            .set((common, outbox::status.eq(FAILED)))
            .execute(conn),
    }
    .map(|_| ())
}

#[derive(Debug, Default)]
pub struct OutboxFilter {
    pub status: Option<String>,
    /// Keyset: rows created before this (created_at, id).
    pub before: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// How many emails are in this state (the console's overview).
pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq(status)).count().get_result(conn)
}

/// Newest first, one page (plus one row to tell whether there is a next page).
pub fn list(conn: &mut DbConnection, f: &OutboxFilter) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox::table.select(OutboxRow::as_select()).into_boxed();
    if let Some(status) = &f.status {
        q = q.filter(outbox::status.eq(status.clone()));
    }
    if let Some((at, id)) = &f.before {
        q = q.filter(
            outbox::created_at
                .lt(*at)
                .or(outbox::created_at.eq(*at).and(outbox::id.lt(id.clone()))),
        );
    }
    q.order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(f.limit + 1)
        .load(conn)
}

/// Records the digest of a manager's week; false when that week already has one.
pub fn record_digest(
    conn: &mut DbConnection,
    manager_id: &str,
    week: &str,
    outcome: &str,
    outbox_id: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let insert = diesel::insert_into(digests::table)
        .values((
            digests::manager_id.eq(manager_id),
            digests::week.eq(week),
            digests::outcome.eq(outcome),
            digests::outbox_id.eq(outbox_id),
            digests::created_at.eq(at),
        ))
        .on_conflict_do_nothing();
    Ok(crate::per_backend!(conn, c => insert.execute(c))? == 1)
}

/// Managers (of `candidates`) whose digest of `week` already exists.
pub fn digested(conn: &mut DbConnection, week: &str, candidates: &[String]) -> QueryResult<Vec<String>> {
    digests::table
        .filter(digests::week.eq(week))
        .filter(digests::manager_id.eq_any(candidates))
        .select(digests::manager_id)
        .load(conn)
}

/// A digest's record as the console lists it: whose, which week, what happened, and the
/// state of its email (when one was queued).
#[derive(Queryable)]
pub struct DigestRecord {
    pub manager_name: String,
    pub week: String,
    pub outcome: String,
    pub outbox_id: Option<String>,
    pub email_status: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The latest digests recorded, newest first.
pub fn recent_digests(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<DigestRecord>> {
    use super::schema::employees;
    digests::table
        .inner_join(employees::table.on(employees::id.eq(digests::manager_id)))
        .left_join(outbox::table.on(outbox::id.nullable().eq(digests::outbox_id)))
        .select((
            employees::name,
            digests::week,
            digests::outcome,
            digests::outbox_id,
            outbox::status.nullable(),
            digests::created_at,
        ))
        .order((digests::created_at.desc(), digests::week.desc()))
        .limit(limit)
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}
