//! One-time sign-in links: only a SHA-256 of the token is stored; using one sets `used_at`
//! with a conditional update, so two racing exchanges cannot both succeed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::magic_links;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = magic_links)]
pub struct MagicLinkRow {
    pub token_hash: String,
    pub email: String,
    pub employee_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &MagicLinkRow) -> QueryResult<()> {
    diesel::insert_into(magic_links::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Requests for this address since `since`.
pub fn count_since(conn: &mut DbConnection, email: &str, since: NaiveDateTime) -> QueryResult<i64> {
    magic_links::table
        .filter(magic_links::email.eq(email))
        .filter(magic_links::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Marks an unused, unexpired link used and returns its employee; None when there is no
/// such link (unknown, expired, already used, or asked for an unknown address).
pub fn consume(conn: &mut DbConnection, hash: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    let used = diesel::update(
        magic_links::table
            .filter(magic_links::token_hash.eq(hash))
            .filter(magic_links::used_at.is_null())
            .filter(magic_links::expires_at.gt(now))
            .filter(magic_links::employee_id.is_not_null()),
    )
    .set(magic_links::used_at.eq(Some(now)))
    .execute(conn)?;
    if used == 0 {
        return Ok(None);
    }
    magic_links::table
        .find(hash)
        .select(magic_links::employee_id)
        .first::<Option<String>>(conn)
}

/// Forgets links created before `cutoff` (they can no longer be used or count).
pub fn purge_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(magic_links::table.filter(magic_links::created_at.lt(cutoff))).execute(conn)
}

/// The employee an unused, unexpired link would sign in, without using it (the page that
/// asks "Sign in as ...?": mail scanners that open links must not use them up).
pub fn peek(conn: &mut DbConnection, hash: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    magic_links::table
        .find(hash)
        .filter(magic_links::used_at.is_null())
        .filter(magic_links::expires_at.gt(now))
        .select(magic_links::employee_id)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}
