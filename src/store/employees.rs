//! Employee rows: lookups, directory listing with keyset pagination, writes, and the
//! transactional application of a planned CSV import.

use std::collections::HashMap;

use crate::domain::clock::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::employees;
use super::DbConnection;
use crate::domain::hierarchy::cycle_through;
use crate::domain::import::{ChangeKind, ImportPlan, Person};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = employees)]
pub struct EmployeeRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub sort_name: String,
    pub department: String,
    pub manager_id: Option<String>,
    pub timezone: Option<String>,
    pub active: bool,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `false`: the employee opted out of public rankings.
    pub show_on_leaderboard: bool,
    pub weekly_digest: bool,
    pub notify_on_postcard: bool,
    /// The id another system knows them by (Teams: the Entra object id; SCIM: externalId).
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = employees)]
pub struct NewEmployee {
    pub id: String,
    pub email: String,
    pub name: String,
    pub sort_name: String,
    pub department: String,
    pub manager_id: Option<String>,
    pub timezone: Option<String>,
    pub active: bool,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub external_id: Option<String>,
}

/// Fields to change; `None` leaves a field alone, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = employees)]
pub struct EmployeeChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub sort_name: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub active: Option<bool>,
    pub role: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
    pub external_id: Option<Option<String>>,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .find(id)
        .select(EmployeeRow::as_select())
        .first(conn)
        .optional()
}

/// The employee another system knows by `external_id` (Teams' Entra object id).
pub fn find_by_external_id(conn: &mut DbConnection, external_id: &str) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .filter(employees::external_id.eq(external_id))
        .select(EmployeeRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .filter(employees::email.eq(email))
        .select(EmployeeRow::as_select())
        .first(conn)
        .optional()
}

/// The employees with these emails (any order; unknown emails are missing).
pub fn find_by_emails(conn: &mut DbConnection, emails: &[&str]) -> QueryResult<Vec<EmployeeRow>> {
    employees::table
        .filter(employees::email.eq_any(emails))
        .select(EmployeeRow::as_select())
        .load(conn)
}

/// Every active employee, by name.
pub fn all_active(conn: &mut DbConnection) -> QueryResult<Vec<EmployeeRow>> {
    employees::table
        .filter(employees::active.eq(true))
        .order((employees::sort_name, employees::id))
        .select(EmployeeRow::as_select())
        .load(conn)
}

/// Active employees with the admin role (told when something needs an admin).
pub fn active_admins(conn: &mut DbConnection) -> QueryResult<Vec<EmployeeRow>> {
    employees::table
        .filter(employees::active.eq(true))
        .filter(employees::role.eq("admin"))
        .select(EmployeeRow::as_select())
        .load(conn)
}

/// The employees with these ids (unknown ids are left out).
pub fn find_many<S: AsRef<str>>(conn: &mut DbConnection, ids: &[S]) -> QueryResult<Vec<EmployeeRow>> {
    let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    employees::table
        .filter(employees::id.eq_any(ids))
        .select(EmployeeRow::as_select())
        .load(conn)
}

pub fn has_active_reports(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n: i64 = employees::table
        .filter(employees::manager_id.eq(id))
        .filter(employees::active.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub struct ListFilter {
    pub query: Option<String>,
    pub department: Option<String>,
    pub include_inactive: bool,
    /// Keyset position: the `(sort_name, id)` of the last row already seen.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn list(conn: &mut DbConnection, f: &ListFilter) -> QueryResult<Vec<EmployeeRow>> {
    let mut query = employees::table.select(EmployeeRow::as_select()).into_boxed();
    if !f.include_inactive {
        query = query.filter(employees::active.eq(true));
    }
    if let Some(d) = &f.department {
        query = query.filter(employees::department.eq(d.clone()));
    }
    if let Some(q) = &f.query {
        let pattern = like_pattern(q);
        query = query.filter(
            employees::sort_name
                .like(pattern.clone())
                .escape('\\')
                .or(employees::email.like(pattern).escape('\\')),
        );
    }
    if let Some((name, id)) = &f.after {
        query = query.filter(
            employees::sort_name
                .gt(name.clone())
                .or(employees::sort_name.eq(name.clone()).and(employees::id.gt(id.clone()))),
        );
    }
    query
        .order((employees::sort_name.asc(), employees::id.asc()))
        .limit(f.limit)
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &NewEmployee) -> QueryResult<()> {
    diesel::insert_into(employees::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &EmployeeChanges) -> QueryResult<()> {
    diesel::update(employees::table.find(id)).set(changes).execute(conn)?;
    if changes.department.is_some() || changes.active.is_some() {
        super::board_sync::sync_people(conn, &[id])?;
    }
    Ok(())
}

/// An employee's own settings; `None` leaves a field alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = employees)]
pub struct PreferenceChanges {
    pub weekly_digest: Option<bool>,
    pub notify_on_postcard: Option<bool>,
    pub show_on_leaderboard: Option<bool>,
    pub timezone: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update_preferences(conn: &mut DbConnection, id: &str, changes: &PreferenceChanges) -> QueryResult<()> {
    diesel::update(employees::table.find(id)).set(changes).execute(conn)?;
    if changes.show_on_leaderboard.is_some() {
        super::board_sync::sync_people(conn, &[id])?;
    }
    Ok(())
}

/// The reporting-line cycle that making `manager_id` the manager of `id` would create.
pub fn cycle_if_managed_by(conn: &mut DbConnection, id: &str, manager_id: &str) -> QueryResult<Option<Vec<String>>> {
    let mut failure = None;
    let path = cycle_through(id, |person| {
        if person == id {
            return Some(manager_id.to_string());
        }
        match employees::table
            .find(person)
            .select(employees::manager_id)
            .first::<Option<String>>(conn)
        {
            Ok(m) => m,
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    match failure {
        Some(diesel::result::Error::NotFound) | None => Ok(path),
        Some(e) => Err(e),
    }
}

/// Whether an active employee works in `department` (compared as stored).
pub fn department_exists(conn: &mut DbConnection, department: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        employees::table
            .filter(employees::active.eq(true))
            .filter(employees::department.eq(department)),
    ))
    .get_result(conn)
}

/// Locks the headcount rows of `departments` (creating missing ones at zero) in department
/// order, before a transaction that moves several people changes them through the trigger
/// one person at a time, in no particular order (Postgres; see `board_sync`).
fn lock_headcounts(conn: &mut DbConnection, departments: &[&str]) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        let mut departments = departments.to_vec();
        departments.sort_unstable();
        departments.dedup();
        diesel::sql_query(
            "INSERT INTO department_headcounts (department, active) \
             SELECT d, 0 FROM unnest($1::text[]) AS d ORDER BY d COLLATE \"C\" \
             ON CONFLICT (department) DO UPDATE SET active = department_headcounts.active",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(departments)
        .execute(pg)?;
    }
    Ok(())
}

/// Every stored email with its owner's id (for the look-alike check of a new address).
pub fn all_emails(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    employees::table.select((employees::id, employees::email)).load(conn)
}

/// The directory as the import planner sees it, keyed by email, plus ids by email.
pub fn import_snapshot(conn: &mut DbConnection) -> QueryResult<(HashMap<String, Person>, HashMap<String, String>)> {
    let rows: Vec<EmployeeRow> = employees::table.select(EmployeeRow::as_select()).load(conn)?;
    let email_of: HashMap<String, String> = rows.iter().map(|r| (r.id.clone(), r.email.clone())).collect();
    let ids = rows.iter().map(|r| (r.email.clone(), r.id.clone())).collect();
    let people = rows
        .into_iter()
        .map(|r| {
            let person = Person {
                manager_email: r.manager_id.as_ref().and_then(|m| email_of.get(m).cloned()),
                email: r.email,
                name: r.name,
                department: r.department,
                timezone: r.timezone,
                active: r.active,
                external_id: r.external_id,
            };
            (person.email.clone(), person)
        })
        .collect();
    Ok((people, ids))
}

/// Writes a plan's changes: new people first (so that managers exist), then every
/// manager link. Call inside a write transaction; `progress` is told of each line done.
/// Answers the ids of the people created and of those changed.
pub fn apply_import(
    conn: &mut DbConnection,
    plan: &ImportPlan,
    mut ids: HashMap<String, String>,
    progress: &dyn Fn(u64),
) -> QueryResult<(Vec<String>, Vec<String>)> {
    let now = now();
    let creates: Vec<NewEmployee> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Create)
        .map(|c| {
            let id = uuid::Uuid::now_v7().to_string();
            ids.insert(c.person.email.clone(), id.clone());
            NewEmployee {
                id,
                email: c.person.email.clone(),
                name: c.person.name.clone(),
                sort_name: crate::domain::employee::sort_key(&c.person.name),
                department: c.person.department.clone(),
                manager_id: None,
                timezone: c.person.timezone.clone(),
                active: c.person.active,
                role: "employee".into(),
                created_at: now,
                updated_at: now,
                external_id: c.person.external_id.clone(),
            }
        })
        .collect();
    // Chunked so a single statement stays under SQLite's bound-parameter limit.
    for chunk in creates.chunks(500) {
        // Multi-row inserts are not generic over both backends in diesel, so dispatch.
        let insert = diesel::insert_into(employees::table).values(chunk);
        crate::per_backend!(conn, c => insert.execute(c)?);
        progress(chunk.len() as u64);
    }
    // The people updated are locked in id order before any is written (the board's lock
    // order, see `board_sync`), and their board rows are moved once, after all of them.
    let mut updated: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Unchanged)
        .filter_map(|c| ids.get(&c.person.email).map(String::as_str))
        .collect();
    updated.sort_unstable();
    updated.dedup();
    super::postcards::lock_people(conn, &updated)?;
    let mut departments: Vec<&str> = plan.changes.iter().map(|c| c.person.department.as_str()).collect();
    let before = employees::table
        .filter(employees::id.eq_any(&updated))
        .select(employees::department)
        .load::<String>(conn)?;
    departments.extend(before.iter().map(String::as_str));
    lock_headcounts(conn, &departments)?;
    for change in plan.changes.iter().filter(|c| c.kind != ChangeKind::Unchanged) {
        let p = &change.person;
        let changes = EmployeeChanges {
            name: Some(p.name.clone()),
            sort_name: Some(crate::domain::employee::sort_key(&p.name)),
            department: Some(p.department.clone()),
            manager_id: Some(p.manager_email.as_ref().and_then(|m| ids.get(m).cloned())),
            timezone: Some(p.timezone.clone()),
            active: Some(p.active),
            updated_at: Some(now),
            external_id: Some(p.external_id.clone()),
            ..Default::default()
        };
        if let Some(id) = ids.get(&p.email) {
            diesel::update(employees::table.find(id)).set(&changes).execute(conn)?;
        }
        if change.kind != ChangeKind::Create {
            progress(1);
        }
    }
    super::board_sync::sync_people(conn, &updated)?;
    let created: Vec<String> = creates.into_iter().map(|c| c.id).collect();
    let changed = updated
        .into_iter()
        .filter(|id| !created.iter().any(|c| c == id))
        .map(str::to_string)
        .collect();
    Ok((created, changed))
}

/// The departments of active people, by name (the wall's and the leaderboard's filters).
pub fn departments(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    employees::table
        .filter(employees::active.eq(true))
        .select(employees::department)
        .distinct()
        .order(employees::department.asc())
        .load(conn)
}
