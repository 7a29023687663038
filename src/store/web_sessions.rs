//! Web sessions: rows keyed by the SHA-256 of the cookie's secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::web_sessions;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSessionRow {
    pub id_hash: String,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &WebSessionRow) -> QueryResult<()> {
    diesel::insert_into(web_sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The signed-in address of a session that has not expired.
pub fn live_email(conn: &mut DbConnection, id_hash: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    web_sessions::table
        .find(id_hash)
        .filter(web_sessions::expires_at.gt(now))
        .select(web_sessions::email)
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.find(id_hash)).execute(conn)
}

pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::expires_at.le(now))).execute(conn)
}
