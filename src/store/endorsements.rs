//! Endorsements ("+1"), at most one per person per postcard, and the postcard's count kept
//! in step in the same transaction.

use diesel::prelude::*;

use super::schema::{endorsements, postcards};
use super::DbConnection;

/// Adds the endorsement unless it exists; true when it was added.
pub fn add(
    conn: &mut DbConnection,
    postcard_id: &str,
    employee_id: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let insert = diesel::insert_into(endorsements::table)
        .values((
            endorsements::postcard_id.eq(postcard_id),
            endorsements::employee_id.eq(employee_id),
            endorsements::created_at.eq(at),
        ))
        .on_conflict_do_nothing();
    let added = crate::per_backend!(conn, c => insert.execute(c))? == 1;
    if added {
        bump_count(conn, postcard_id, 1)?;
    }
    Ok(added)
}

/// Withdraws the endorsement if it exists; true when one was removed.
pub fn remove(conn: &mut DbConnection, postcard_id: &str, employee_id: &str) -> QueryResult<bool> {
    let removed = diesel::delete(endorsements::table.find((postcard_id, employee_id))).execute(conn)? == 1;
    if removed {
        bump_count(conn, postcard_id, -1)?;
    }
    Ok(removed)
}

fn bump_count(conn: &mut DbConnection, postcard_id: &str, by: i32) -> QueryResult<()> {
    diesel::update(postcards::table.find(postcard_id))
        .set(postcards::endorsement_count.eq(postcards::endorsement_count + by))
        .execute(conn)
        .map(|_| ())
}

/// Which of these postcards the employee has endorsed.
pub fn endorsed_by(conn: &mut DbConnection, employee_id: &str, postcard_ids: &[String]) -> QueryResult<Vec<String>> {
    endorsements::table
        .filter(endorsements::employee_id.eq(employee_id))
        .filter(endorsements::postcard_id.eq_any(postcard_ids))
        .select(endorsements::postcard_id)
        .load(conn)
}
