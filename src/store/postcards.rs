//! Postcards and their recipients: inserts, the counts the sending rules need, and the feed
//! query with its visibility rule written in SQL (so pages are filled, never thinned afterwards).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{employees, postcard_recipients, postcards};
use super::DbConnection;
use crate::domain::period::Span;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postcards)]
pub struct PostcardRow {
    pub id: String,
    pub sender_id: String,
    pub behaviour: String,
    pub message: String,
    pub customer_name: Option<String>,
    pub customer_quote: Option<String>,
    pub visibility: String,
    pub endorsement_count: i32,
    pub hidden: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postcard_recipients)]
pub struct RecipientRow {
    pub postcard_id: String,
    pub recipient_id: String,
    pub position: i32,
    /// The postcard's sender, behaviour, `created_at` and `hidden`, repeated for the
    /// recipient index.
    pub sender_id: String,
    pub behaviour: String,
    pub created_at: NaiveDateTime,
    pub hidden: bool,
}

/// Locks everyone a write names (a batch's senders and recipients, a postcard's sender and
/// recipients when it is hidden or restored) in id order, and answers their standings on
/// the boards as they are now: a concurrent edit of one of them either waits for this write
/// or has committed before it reads them (see `board_sync` for the lock order). A sender's
/// row locked this way also serialises their sends (allowance and pair counts). Unknown ids
/// are missing. SQLite needs no lock (write transactions run one at a time).
pub fn lock_people(
    conn: &mut DbConnection,
    sender_ids: &[&str],
) -> QueryResult<HashMap<String, super::board::Standing>> {
    let query = employees::table
        .filter(employees::id.eq_any(sender_ids))
        .order(employees::id)
        .select((
            employees::id,
            employees::department,
            employees::active,
            employees::show_on_leaderboard,
        ));
    let rows: Vec<(String, String, bool, bool)> = match conn {
        DbConnection::Sqlite(c) => query.load(c)?,
        DbConnection::Postgres(c) => query.for_no_key_update().load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, department, active, shown)| (id, super::board::standing(department, active, shown)))
        .collect())
}

/// Holds a postcard for the rest of the transaction on Postgres (SQLite's write transactions
/// already run one at a time): hiding, restoring and endorsing read its state and move the
/// boards by it, so two of them on one postcard must not interleave.
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        postcards::table
            .find(id)
            .select(postcards::id)
            .for_no_key_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// Postcards the sender sent within `span` (hidden ones included: they were sent).
pub fn count_sent(conn: &mut DbConnection, sender_id: &str, span: Span) -> QueryResult<i64> {
    Ok(count_sent_by(conn, &[sender_id], span)?.remove(sender_id).unwrap_or(0))
}

/// `count_sent` for several senders at once; senders who sent nothing are missing.
pub fn count_sent_by(conn: &mut DbConnection, sender_ids: &[&str], span: Span) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = postcards::table
        .filter(postcards::sender_id.eq_any(sender_ids))
        .filter(postcards::created_at.ge(span.start))
        .filter(postcards::created_at.lt(span.end))
        .group_by(postcards::sender_id)
        .select((postcards::sender_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// One postcard a sender sent one recipient: `(recipient, behaviour, created_at, hidden)`.
pub type PairRow = (String, String, NaiveDateTime, bool);

/// Every postcard this sender sent these recipients, hidden ones included, except `except`:
/// read from the pair index alone, so it is as long as what one person sent another, never
/// the recipients' whole history. It answers the same-pair cap and whether the sender is
/// already among a recipient's unique senders in a bucket.
pub fn pair_history(
    conn: &mut DbConnection,
    sender_id: &str,
    recipients: &[String],
    except: &str,
) -> QueryResult<Vec<PairRow>> {
    let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
    Ok(pair_histories(conn, &[sender_id], &recipients, except)?
        .into_iter()
        .map(|(_, pair)| pair)
        .collect())
}

/// `pair_history` for a batch of sends: every postcard any of these senders sent any of
/// these recipients, except `except`, as `(sender, row)` (a superset of the batch's pairs,
/// from the same index).
pub fn pair_histories(
    conn: &mut DbConnection,
    sender_ids: &[&str],
    recipients: &[&str],
    except: &str,
) -> QueryResult<Vec<(String, PairRow)>> {
    let rows: Vec<(String, String, String, NaiveDateTime, bool)> = postcard_recipients::table
        .filter(postcard_recipients::recipient_id.eq_any(recipients))
        .filter(postcard_recipients::sender_id.eq_any(sender_ids))
        .filter(postcard_recipients::postcard_id.ne(except))
        .select((
            postcard_recipients::sender_id,
            postcard_recipients::recipient_id,
            postcard_recipients::behaviour,
            postcard_recipients::created_at,
            postcard_recipients::hidden,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, r, b, at, h)| (s, (r, b, at, h))).collect())
}

/// Inserts postcards and their recipients, one statement per table.
pub fn insert(conn: &mut DbConnection, rows: &[PostcardRow], recipients: &[RecipientRow]) -> QueryResult<()> {
    let cards = diesel::insert_into(postcards::table).values(rows);
    crate::per_backend!(conn, c => cards.execute(c))?;
    let insert = diesel::insert_into(postcard_recipients::table).values(recipients);
    crate::per_backend!(conn, c => insert.execute(c))?;
    Ok(())
}

/// Whether any postcard exists at all.
pub fn any(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(postcards::table.select(postcards::id))).get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PostcardRow>> {
    postcards::table
        .find(id)
        .select(PostcardRow::as_select())
        .first(conn)
        .optional()
}

/// These postcards, in the order of `ids` (unknown ids are missing).
pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PostcardRow>> {
    let mut rows: Vec<PostcardRow> = postcards::table
        .filter(postcards::id.eq_any(ids))
        .select(PostcardRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// The recipients of each of these postcards, in the order they were named.
pub fn recipients_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<RecipientRow>> {
    postcard_recipients::table
        .filter(postcard_recipients::postcard_id.eq_any(ids))
        .select(RecipientRow::as_select())
        .order((postcard_recipients::postcard_id, postcard_recipients::position))
        .load(conn)
}

pub fn set_hidden(conn: &mut DbConnection, id: &str, hidden: bool) -> QueryResult<()> {
    diesel::update(postcards::table.find(id))
        .set(postcards::hidden.eq(hidden))
        .execute(conn)?;
    diesel::update(postcard_recipients::table.filter(postcard_recipients::postcard_id.eq(id)))
        .set(postcard_recipients::hidden.eq(hidden))
        .execute(conn)
        .map(|_| ())
}

/// Who reads the feed, which decides what they may see.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// Sees everything, hidden postcards included when asked.
    Admin { include_hidden: bool },
    /// Sees public postcards and the private ones they sent, received, or that someone
    /// reporting to them received; never hidden ones.
    Employee(String),
    /// Sees public, visible postcards only (widgets, public walls).
    Public,
}

#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub recipient: Option<String>,
    pub sender: Option<String>,
    pub behaviour: Option<String>,
    pub department: Option<String>,
    pub since: Option<NaiveDateTime>,
    /// Exclusive keyset position `(created_at, id)`; pages run newest first.
    pub before: Option<(NaiveDateTime, String)>,
    pub limit: i64,
    /// Only hidden postcards (the console's moderation; only admins see them at all).
    pub hidden_only: bool,
}

pub fn list(conn: &mut DbConnection, viewer: &Viewer, f: &FeedFilter) -> QueryResult<Vec<PostcardRow>> {
    let mut q = postcards::table.select(PostcardRow::as_select()).into_boxed();
    match viewer {
        Viewer::Admin { include_hidden: true } => {}
        Viewer::Admin { include_hidden: false } => q = q.filter(postcards::hidden.eq(false)),
        Viewer::Public => {
            q = q
                .filter(postcards::hidden.eq(false))
                .filter(postcards::visibility.eq("public"))
        }
        Viewer::Employee(me) => {
            let mine_or_my_reports = postcard_recipients::table
                .inner_join(employees::table.on(employees::id.eq(postcard_recipients::recipient_id)))
                .filter(
                    postcard_recipients::recipient_id
                        .eq(me.clone())
                        .or(employees::manager_id.eq(me.clone())),
                )
                .select(postcard_recipients::postcard_id);
            q = q.filter(postcards::hidden.eq(false)).filter(
                postcards::visibility
                    .eq("public")
                    .or(postcards::sender_id.eq(me.clone()))
                    .or(postcards::id.eq_any(mine_or_my_reports)),
            );
        }
    }
    if let Some(r) = &f.recipient {
        let received = postcard_recipients::table
            .filter(postcard_recipients::recipient_id.eq(r.clone()))
            .select(postcard_recipients::postcard_id);
        q = q.filter(postcards::id.eq_any(received));
    }
    if let Some(s) = &f.sender {
        q = q.filter(postcards::sender_id.eq(s.clone()));
    }
    if let Some(b) = &f.behaviour {
        q = q.filter(postcards::behaviour.eq(b.clone()));
    }
    if let Some(d) = &f.department {
        let to_department = postcard_recipients::table
            .inner_join(employees::table.on(employees::id.eq(postcard_recipients::recipient_id)))
            .filter(employees::department.eq(d.clone()))
            .select(postcard_recipients::postcard_id);
        q = q.filter(postcards::id.eq_any(to_department));
    }
    if f.hidden_only {
        q = q.filter(postcards::hidden.eq(true));
    }
    if let Some(since) = f.since {
        q = q.filter(postcards::created_at.ge(since));
    }
    if let Some((at, id)) = &f.before {
        q = q.filter(
            postcards::created_at
                .lt(*at)
                .or(postcards::created_at.eq(*at).and(postcards::id.lt(id.clone()))),
        );
    }
    q.order((postcards::created_at.desc(), postcards::id.desc()))
        .limit(f.limit)
        .load(conn)
}

/// Every postcard created at or after `since`, oldest first, in keyset batches (exports).
pub fn batch_after(
    conn: &mut DbConnection,
    since: Option<NaiveDateTime>,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<PostcardRow>> {
    let mut q = postcards::table.select(PostcardRow::as_select()).into_boxed();
    if let Some(since) = since {
        q = q.filter(postcards::created_at.ge(since));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            postcards::created_at
                .gt(*at)
                .or(postcards::created_at.eq(*at).and(postcards::id.gt(id.clone()))),
        );
    }
    q.order((postcards::created_at.asc(), postcards::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Visible (not hidden) postcards received by any of `recipients` in `span`, newest first,
/// with which of those recipients each one names. For digests: a manager may see private
/// postcards of their reports.
pub fn received_by(
    conn: &mut DbConnection,
    recipients: &[String],
    span: Span,
) -> QueryResult<Vec<(PostcardRow, String)>> {
    postcards::table
        .inner_join(postcard_recipients::table)
        .filter(postcard_recipients::recipient_id.eq_any(recipients))
        .filter(postcard_recipients::created_at.ge(span.start))
        .filter(postcard_recipients::created_at.lt(span.end))
        .filter(postcard_recipients::hidden.eq(false))
        .order((
            postcards::created_at.desc(),
            postcards::id.desc(),
            postcard_recipients::position,
        ))
        .select((PostcardRow::as_select(), postcard_recipients::recipient_id))
        .load(conn)
}

/// Which of `recipients` received a visible postcard in `span`.
pub fn recognised_among(conn: &mut DbConnection, recipients: &[String], span: Span) -> QueryResult<Vec<String>> {
    postcard_recipients::table
        .filter(postcard_recipients::recipient_id.eq_any(recipients))
        .filter(postcard_recipients::created_at.ge(span.start))
        .filter(postcard_recipients::created_at.lt(span.end))
        .filter(postcard_recipients::hidden.eq(false))
        .select(postcard_recipients::recipient_id)
        .distinct()
        .load(conn)
}

/// Public, visible postcards `recipient` received, counted by behaviour (most first).
pub fn received_by_behaviour(conn: &mut DbConnection, recipient: &str) -> QueryResult<Vec<(String, i64)>> {
    let public = postcards::table
        .filter(postcards::visibility.eq("public"))
        .select(postcards::id);
    let mut counts: Vec<(String, i64)> = postcard_recipients::table
        .filter(postcard_recipients::recipient_id.eq(recipient))
        .filter(postcard_recipients::hidden.eq(false))
        .filter(postcard_recipients::postcard_id.eq_any(public))
        .group_by(postcard_recipients::behaviour)
        .select((postcard_recipients::behaviour, diesel::dsl::count_star()))
        .load(conn)?;
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}
