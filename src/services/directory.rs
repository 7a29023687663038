//! Directory use cases: create and edit employees, import a CSV.

use std::collections::HashMap;

use super::events;
use crate::domain::email::{Email, LookAlikes};
use crate::domain::employee::{parse_department, parse_name, parse_timezone, sort_key, Role};
use crate::domain::import::{self, ChangeKind, ImportPlan, LineError};
use crate::error::{AppError, AppResult, Checks};
use crate::store::employees::{self, EmployeeChanges, EmployeeRow, NewEmployee};
use crate::store::{audit, db::write_tx, DbConnection};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EmployeeView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: String,
    pub manager_id: Option<String>,
    /// IANA timezone; the organisation's when the employee has none of their own.
    pub timezone: String,
    pub active: bool,
    pub role: Role,
    /// The id another system knows them by (Teams: the Entra object id).
    pub external_id: Option<String>,
}

impl EmployeeView {
    pub fn from_row(row: EmployeeRow, org_timezone: &str) -> Self {
        EmployeeView {
            id: row.id,
            email: row.email,
            name: row.name,
            department: row.department,
            manager_id: row.manager_id,
            timezone: row.timezone.unwrap_or_else(|| org_timezone.to_string()),
            active: row.active,
            role: Role::from_db(&row.role),
            external_id: row.external_id,
        }
    }
}

pub struct NewEmployeeInput {
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    pub timezone: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub external_id: Option<String>,
}

#[derive(Default)]
pub struct EmployeePatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub external_id: Option<Option<String>>,
}

/// An external id as given: trimmed, 1 to 200 printable characters.
fn parse_external_id(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err("must be 1 to 200 characters without line breaks".into());
    }
    Ok(v.to_string())
}

/// Refuses an external id another employee has.
fn refuse_taken_external_id(conn: &mut DbConnection, external_id: &str, owner: Option<&str>) -> AppResult<()> {
    match employees::find_by_external_id(conn, external_id)? {
        Some(other) if Some(other.id.as_str()) != owner => Err(AppError::Conflict {
            code: "external_id_taken",
            detail: format!(
                "another employee ({}) already has external_id {external_id:?}",
                other.email
            ),
        }),
        _ => Ok(()),
    }
}

fn email_taken(email: &str) -> AppError {
    AppError::Conflict {
        code: "email_taken",
        detail: format!("an employee with email {email} already exists"),
    }
}

/// Refuses an address that would pass on screen for a colleague's (another script's
/// look-alike letters); `owner` is the person whose address it may already be.
fn refuse_look_alike(conn: &mut DbConnection, email: &Email, owner: Option<&str>) -> AppResult<()> {
    let taken = employees::all_emails(conn)?;
    // An ASCII address can only pass for a non-ASCII one (see `Email::looks_like`): the
    // usual case skips building skeletons for the whole directory.
    let others = taken
        .iter()
        .filter(|(id, e)| Some(id.as_str()) != owner && !(email.is_ascii() && e.is_ascii()));
    let set = LookAlikes::new(others.map(|(_, e)| e.as_str()));
    match set.twin_of(email) {
        Some(twin) => Err(AppError::validation(
            "email",
            format!(
                "looks like {twin}, a colleague's address, but uses letters of another script; type it in one script"
            ),
        )),
        None => Ok(()),
    }
}

fn require_manager(conn: &mut DbConnection, checks: &mut Checks, manager_id: &str) -> AppResult<()> {
    if employees::find(conn, manager_id)?.is_none() {
        checks.fail("manager_id", format!("no employee has id {manager_id:?}"));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = actor))]
pub fn create_employee(conn: &mut DbConnection, actor: &str, input: NewEmployeeInput) -> AppResult<EmployeeRow> {
    let mut checks = Checks::new();
    let email = checks.check("email", Email::parse(&input.email));
    let name = checks.check("name", parse_name(&input.name));
    let department = checks.check(
        "department",
        parse_department(input.department.as_deref().unwrap_or("")),
    );
    let timezone = checks.check("timezone", parse_timezone(input.timezone.as_deref().unwrap_or("")));
    let external_id = match &input.external_id {
        Some(raw) => checks.check("external_id", parse_external_id(raw)),
        None => None,
    };
    write_tx(conn, |conn| {
        if let Some(m) = &input.manager_id {
            require_manager(conn, &mut checks, m)?;
        }
        std::mem::take(&mut checks).finish()?;
        let (Some(email), Some(name), Some(department), Some(timezone)) =
            (email.clone(), name.clone(), department.clone(), timezone.clone())
        else {
            return Err(AppError::internal(anyhow::anyhow!("checked fields missing")));
        };
        if employees::find_by_email(conn, email.as_str())?.is_some() {
            return Err(email_taken(email.as_str()));
        }
        refuse_look_alike(conn, &email, None)?;
        if let Some(x) = &external_id {
            refuse_taken_external_id(conn, x, None)?;
        }
        let now = crate::domain::clock::now();
        let row = NewEmployee {
            id: uuid::Uuid::now_v7().to_string(),
            email: email.into_string(),
            sort_name: sort_key(&name),
            name,
            department,
            manager_id: input.manager_id.clone(),
            timezone,
            active: input.active.unwrap_or(true),
            role: input.role.unwrap_or(Role::Employee).as_str().to_string(),
            created_at: now,
            updated_at: now,
            external_id: external_id.clone(),
        };
        employees::insert(conn, &row)?;
        events::record(conn, events::EMPLOYEE_CREATED, &row.id, now)?;
        audit::record(
            conn,
            actor,
            "employee.create",
            ("employee", &row.id),
            None,
            serde_json::json!({"email": row.email}),
        )?;
        employees::find(conn, &row.id)?.ok_or_else(|| AppError::internal(anyhow::anyhow!("inserted row vanished")))
    })
}

#[tracing::instrument(skip_all, fields(actor = actor, employee_id = id))]
pub fn update_employee(conn: &mut DbConnection, actor: &str, id: &str, patch: EmployeePatch) -> AppResult<EmployeeRow> {
    let mut checks = Checks::new();
    let mut changes = EmployeeChanges::default();
    let email = patch
        .email
        .as_ref()
        .and_then(|raw| checks.check("email", Email::parse(raw)));
    changes.email = email.as_ref().map(|e| e.to_string());
    if let Some(raw) = &patch.name {
        changes.name = checks.check("name", parse_name(raw));
        changes.sort_name = changes.name.as_deref().map(sort_key);
    }
    if let Some(raw) = &patch.department {
        changes.department = checks.check("department", parse_department(raw));
    }
    if let Some(raw) = &patch.timezone {
        changes.timezone = checks.check("timezone", parse_timezone(raw.as_deref().unwrap_or("")));
    }
    changes.external_id = match &patch.external_id {
        Some(Some(raw)) => checks.check("external_id", parse_external_id(raw)).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    changes.manager_id = patch.manager_id.clone();
    changes.active = patch.active;
    changes.role = patch.role.map(|r| r.as_str().to_string());
    write_tx(conn, |conn| {
        let before =
            employees::find(conn, id)?.ok_or_else(|| AppError::not_found(format!("no employee has id {id}")))?;
        if let Some(Some(manager_id)) = &patch.manager_id {
            require_manager(conn, &mut checks, manager_id)?;
        }
        std::mem::take(&mut checks).finish()?;
        if let Some(Some(manager_id)) = &patch.manager_id {
            if let Some(path) = employees::cycle_if_managed_by(conn, id, manager_id)? {
                return Err(AppError::Rule {
                    code: "manager_cycle",
                    detail: format!("the reporting line would form a cycle ({})", path.join(" -> ")),
                    field: Some("manager_id".into()),
                });
            }
        }
        if let Some(email) = email.as_ref().filter(|e| e.as_str() != before.email) {
            if employees::find_by_email(conn, email.as_str())?.is_some() {
                return Err(email_taken(email.as_str()));
            }
            refuse_look_alike(conn, email, Some(id))?;
        }
        if let Some(Some(x)) = &changes.external_id {
            refuse_taken_external_id(conn, x, Some(id))?;
        }
        changes.updated_at = Some(crate::domain::clock::now());
        employees::update(conn, id, &changes)?;
        events::record(conn, events::EMPLOYEE_UPDATED, id, crate::domain::clock::now())?;
        let action = if before.active && patch.active == Some(false) {
            "employee.deactivate"
        } else {
            "employee.update"
        };
        audit::record(conn, actor, action, ("employee", id), None, serde_json::json!({}))?;
        employees::find(conn, id)?.ok_or_else(|| AppError::not_found(format!("no employee has id {id}")))
    })
}

/// One line of a CSV as the import would take it: the change it makes, or why it is refused.
pub struct PreviewLine {
    pub line: u64,
    pub outcome: Result<(ChangeKind, import::Person), String>,
}

/// What an import of `csv_text` would do, line by line, in file order (nothing is written).
pub fn preview_csv(conn: &mut DbConnection, csv_text: &str) -> AppResult<(ImportReport, Vec<PreviewLine>)> {
    let (existing, _ids) = employees::import_snapshot(conn)?;
    let plan = import::plan(csv_text, &existing).map_err(|e| AppError::Rule {
        code: "invalid_csv",
        detail: e.0,
        field: Some("file".into()),
    })?;
    let mut lines: Vec<PreviewLine> = plan
        .changes
        .iter()
        .map(|c| PreviewLine {
            line: c.line,
            outcome: Ok((c.kind, c.person.clone())),
        })
        .chain(plan.errors.iter().map(|e| PreviewLine {
            line: e.line,
            outcome: Err(e.message.clone()),
        }))
        .collect();
    lines.sort_by_key(|l| l.line);
    Ok((report(&plan, true), lines))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
    pub dry_run: bool,
    pub errors: Vec<LineError>,
}

fn report(plan: &ImportPlan, dry_run: bool) -> ImportReport {
    ImportReport {
        created: plan.count(ChangeKind::Create),
        updated: plan.count(ChangeKind::Update),
        unchanged: plan.count(ChangeKind::Unchanged),
        deactivated: plan.count(ChangeKind::Deactivate),
        dry_run,
        errors: plan.errors.clone(),
    }
}

/// Plans and (unless `dry_run`) applies an import in one write transaction, so the plan is
/// made against exactly the directory it is applied to.
#[tracing::instrument(skip_all, fields(actor = actor, dry_run = dry_run, bytes = csv_text.len()))]
pub fn import_csv(
    conn: &mut DbConnection,
    actor: &str,
    csv_text: &str,
    dry_run: bool,
    progress: &dyn Fn(u64, u64),
) -> AppResult<ImportReport> {
    write_tx(conn, |conn| {
        let (existing, ids): (HashMap<_, _>, HashMap<_, _>) = employees::import_snapshot(conn)?;
        let plan = import::plan(csv_text, &existing).map_err(|e| AppError::Rule {
            code: "invalid_csv",
            detail: e.0,
            field: Some("body".into()),
        })?;
        let out = report(&plan, dry_run);
        if !dry_run {
            let total = plan.changes.iter().filter(|c| c.kind != ChangeKind::Unchanged).count() as u64;
            let done = std::cell::Cell::new(0u64);
            let (created, changed) = employees::apply_import(conn, &plan, ids, &|n| {
                done.set(done.get() + n);
                progress(done.get(), total);
            })?;
            let now = crate::domain::clock::now();
            let mut happened: Vec<_> = created
                .iter()
                .map(|id| events::event(events::EMPLOYEE_CREATED, id, now))
                .collect();
            happened.extend(
                changed
                    .iter()
                    .map(|id| events::event(events::EMPLOYEE_UPDATED, id, now)),
            );
            crate::store::deliveries::record_events(conn, &happened)?;
            audit::record(
                conn,
                actor,
                "employees.import",
                ("directory", "csv"),
                None,
                serde_json::json!({"created": out.created, "updated": out.updated, "deactivated": out.deactivated, "errors": out.errors.len()}),
            )?;
        }
        Ok(out)
    })
}
