//! An employee's own settings: changed from the app (`PATCH /me/preferences`) or by the
//! one-click unsubscribe link in an email. An opt-out moves their board rows too.

use crate::error::AppResult;
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow, PreferenceChanges};
use crate::store::DbConnection;

/// Applies `changes` to employee `id`; answers the row as it is now, or `None` when nobody
/// has that id.
pub fn update(conn: &mut DbConnection, id: &str, changes: &PreferenceChanges) -> AppResult<Option<EmployeeRow>> {
    write_tx(conn, |conn| {
        // Nobody with that id: the update changes nothing, and nobody is found after it.
        employees::update_preferences(conn, id, changes)?;
        Ok(employees::find(conn, id)?)
    })
}
