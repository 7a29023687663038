//! Reports of postcards by employees, open until an admin decides.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::postcard_reports;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postcard_reports)]
pub struct ReportRow {
    pub postcard_id: String,
    pub reporter_id: String,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

/// Records a report, replacing the reporter's earlier one of the same postcard (and opening
/// it again if an admin had closed it).
pub fn put(conn: &mut DbConnection, row: &ReportRow) -> QueryResult<()> {
    diesel::delete(
        postcard_reports::table
            .filter(postcard_reports::postcard_id.eq(&row.postcard_id))
            .filter(postcard_reports::reporter_id.eq(&row.reporter_id)),
    )
    .execute(conn)?;
    diesel::insert_into(postcard_reports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Open reports, newest first, at most `limit` postcards' worth (all reports of each).
pub fn open(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<ReportRow>> {
    let postcards: Vec<String> = postcard_reports::table
        .filter(postcard_reports::closed_at.is_null())
        .group_by(postcard_reports::postcard_id)
        .select(postcard_reports::postcard_id)
        .order(diesel::dsl::max(postcard_reports::created_at).desc())
        .limit(limit)
        .load(conn)?;
    postcard_reports::table
        .filter(postcard_reports::closed_at.is_null())
        .filter(postcard_reports::postcard_id.eq_any(&postcards))
        .order(postcard_reports::created_at.desc())
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn count_open(conn: &mut DbConnection) -> QueryResult<i64> {
    postcard_reports::table
        .filter(postcard_reports::closed_at.is_null())
        .select(diesel::dsl::count(postcard_reports::postcard_id).aggregate_distinct())
        .first(conn)
}

/// Closes the postcard's open reports (an admin decided); answers how many.
pub fn close(conn: &mut DbConnection, postcard_id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        postcard_reports::table
            .filter(postcard_reports::postcard_id.eq(postcard_id))
            .filter(postcard_reports::closed_at.is_null()),
    )
    .set(postcard_reports::closed_at.eq(Some(at)))
    .execute(conn)
}
