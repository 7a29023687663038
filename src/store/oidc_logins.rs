//! Sign-ins begun with the company's OpenID provider, until it sends the person back.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::oidc_logins;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_logins)]
pub struct OidcLoginRow {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub next: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &OidcLoginRow) -> QueryResult<()> {
    crate::per_backend!(conn, c => diesel::insert_into(oidc_logins::table).values(row).execute(c)).map(|_| ())
}

/// Takes the sign-in begun with `state` (once: it is deleted), if it began after `since`.
pub fn take(conn: &mut DbConnection, state: &str, since: NaiveDateTime) -> QueryResult<Option<OidcLoginRow>> {
    let row = oidc_logins::table
        .find(state)
        .select(OidcLoginRow::as_select())
        .first(conn)
        .optional()?;
    let gone = diesel::delete(oidc_logins::table.find(state)).execute(conn)?;
    // Two callbacks racing with one state: only the one that deleted it goes on.
    Ok(row.filter(|r| gone == 1 && r.created_at > since))
}

pub fn purge_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oidc_logins::table.filter(oidc_logins::created_at.lt(before))).execute(conn)
}
