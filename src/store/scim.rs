//! Employees provisioned over SCIM: the client's `userName` and the resource as written.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::scim_users;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_users)]
pub struct ScimUserRow {
    /// The employee's id.
    pub id: String,
    pub user_name: String,
    /// `userName` in lower case: unique (SCIM compares user names without case).
    pub user_name_key: String,
    /// The resource's JSON (our attributes, canonical names).
    pub resource: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &ScimUserRow) -> QueryResult<()> {
    crate::per_backend!(conn, c => diesel::insert_into(scim_users::table).values(row).execute(c)).map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ScimUserRow>> {
    scim_users::table
        .find(id)
        .select(ScimUserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_user_name(conn: &mut DbConnection, user_name: &str) -> QueryResult<Option<ScimUserRow>> {
    scim_users::table
        .filter(scim_users::user_name_key.eq(user_name.to_lowercase()))
        .select(ScimUserRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, row: &ScimUserRow) -> QueryResult<()> {
    diesel::update(scim_users::table.find(&row.id))
        .set((
            scim_users::user_name.eq(&row.user_name),
            scim_users::user_name_key.eq(&row.user_name_key),
            scim_users::resource.eq(&row.resource),
            scim_users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(scim_users::table.find(id)).execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    scim_users::table.count().get_result(conn)
}

/// A page in creation order (`offset` from 0).
pub fn page(conn: &mut DbConnection, offset: i64, limit: i64) -> QueryResult<Vec<ScimUserRow>> {
    scim_users::table
        .order((scim_users::created_at, scim_users::id))
        .offset(offset)
        .limit(limit)
        .select(ScimUserRow::as_select())
        .load(conn)
}

/// Every provisioned user, in creation order (filters other than by `userName` read them all).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<ScimUserRow>> {
    scim_users::table
        .order((scim_users::created_at, scim_users::id))
        .select(ScimUserRow::as_select())
        .load(conn)
}
