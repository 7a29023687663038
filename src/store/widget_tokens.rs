//! Widget tokens: read-only credentials for intranet widgets, stored only as a SHA-256.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::widget_tokens;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = widget_tokens)]
pub struct WidgetTokenRow {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &WidgetTokenRow) -> QueryResult<()> {
    diesel::insert_into(widget_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The live (not revoked) token with this hash.
pub fn find_live(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<WidgetTokenRow>> {
    widget_tokens::table
        .filter(widget_tokens::token_hash.eq(hash))
        .filter(widget_tokens::revoked_at.is_null())
        .select(WidgetTokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<WidgetTokenRow>> {
    widget_tokens::table
        .find(id)
        .select(WidgetTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Every token, newest first (revoked ones too, so admins see what was revoked when).
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<WidgetTokenRow>> {
    widget_tokens::table
        .order((widget_tokens::created_at.desc(), widget_tokens::id.desc()))
        .select(WidgetTokenRow::as_select())
        .load(conn)
}

pub fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        widget_tokens::table
            .find(id)
            .filter(widget_tokens::revoked_at.is_null()),
    )
    .set(widget_tokens::revoked_at.eq(at))
    .execute(conn)
    .map(|_| ())
}
