//! The behaviour catalogue.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::behaviours;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = behaviours)]
pub struct BehaviourRow {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub active: bool,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `#rrggbb`, shown on postcards; `None`: the app's own colour.
    pub color: Option<String>,
    /// A name from `domain::looks::ICONS`.
    pub icon: Option<String>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = behaviours)]
pub struct BehaviourChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub position: Option<i32>,
    /// `Some(None)` clears the colour.
    pub color: Option<Option<String>>,
    pub icon: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn list(conn: &mut DbConnection, include_archived: bool) -> QueryResult<Vec<BehaviourRow>> {
    let mut q = behaviours::table.select(BehaviourRow::as_select()).into_boxed();
    if !include_archived {
        q = q.filter(behaviours::active.eq(true));
    }
    q.order((behaviours::position.asc(), behaviours::slug.asc())).load(conn)
}

pub fn find(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<BehaviourRow>> {
    behaviours::table
        .find(slug)
        .select(BehaviourRow::as_select())
        .first(conn)
        .optional()
}

/// The behaviours with these slugs (unknown slugs are missing).
pub fn find_many(conn: &mut DbConnection, slugs: &[&str]) -> QueryResult<Vec<BehaviourRow>> {
    behaviours::table
        .filter(behaviours::slug.eq_any(slugs))
        .select(BehaviourRow::as_select())
        .load(conn)
}

pub fn next_position(conn: &mut DbConnection) -> QueryResult<i32> {
    let max: Option<i32> = behaviours::table
        .select(diesel::dsl::max(behaviours::position))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert(conn: &mut DbConnection, row: &BehaviourRow) -> QueryResult<()> {
    diesel::insert_into(behaviours::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConnection, slug: &str, changes: &BehaviourChanges) -> QueryResult<()> {
    diesel::update(behaviours::table.find(slug))
        .set(changes)
        .execute(conn)
        .map(|_| ())
}
