//! Access tokens minted by admins and stored only as a SHA-256: widget tokens (read-only
//! credentials for intranet widgets) and SCIM tokens (for directory sync), told apart by `kind`.

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
    /// `widget` or `scim`: a token opens only what its kind opens.
    pub kind: String,
}

pub fn insert(conn: &mut DbConnection, row: &WidgetTokenRow) -> QueryResult<()> {
    diesel::insert_into(widget_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The live (not revoked) token of this kind with this hash.
pub fn find_live(conn: &mut DbConnection, hash: &str, kind: &str) -> QueryResult<Option<WidgetTokenRow>> {
    widget_tokens::table
        .filter(widget_tokens::token_hash.eq(hash))
        .filter(widget_tokens::kind.eq(kind))
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

/// Every token of a kind, newest first (revoked ones too, so admins see what was revoked when).
pub fn list(conn: &mut DbConnection, kind: &str) -> QueryResult<Vec<WidgetTokenRow>> {
    widget_tokens::table
        .filter(widget_tokens::kind.eq(kind))
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
