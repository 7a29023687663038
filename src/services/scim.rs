//! Directory sync over SCIM 2.0: a provisioning client (Okta, Microsoft Entra, others)
//! creates, replaces, patches and deletes Users; each is an employee, changed through the
//! same directory rules as the API and the CSV import (canonical emails, look-alikes,
//! reporting-line cycles, the audit log, the boards kept in step). The resource is kept as
//! written, so the client reads back what it sent; `active` is the employee's own.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use super::directory::{self, EmployeePatch, NewEmployeeInput};
use super::postcard_views::utc;
use crate::domain::email::Email;
use crate::domain::employee::parse_timezone;
use crate::domain::scim::{self, fault, Filter, ScimFault, ENTERPRISE, USER_SCHEMA};
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow};
use crate::store::scim::{self as scim_store, ScimUserRow};
use crate::store::DbConnection;

/// A SCIM refusal as the app's error: its `code` is the `scimType`.
pub fn refused(f: ScimFault) -> AppError {
    AppError::BadRequest {
        code: f.scim_type,
        detail: f.detail,
        errors: Vec::new(),
    }
}

fn invalid(detail: impl Into<String>) -> AppError {
    refused(fault("invalidValue", detail))
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("no User {id}"))
}

fn uniqueness(detail: String) -> AppError {
    AppError::Conflict {
        code: "uniqueness",
        detail,
    }
}

/// What the directory takes from a resource.
struct Fields {
    user_name: String,
    email: String,
    name: String,
    department: String,
    manager_id: Option<String>,
    active: bool,
    external_id: Option<String>,
    timezone: Option<String>,
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn fields(conn: &mut DbConnection, r: &Map<String, Value>) -> AppResult<Fields> {
    let user_name = text(r, "userName")
        .ok_or_else(|| invalid("userName is required"))?
        .to_string();
    let emails: Vec<&Map<String, Value>> = r
        .get("emails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    // The primary email, else the only one, else userName when it is an email.
    let chosen = emails
        .iter()
        .find(|e| e.get("primary") == Some(&Value::Bool(true)))
        .or(if emails.len() == 1 { emails.first() } else { None })
        .and_then(|e| text(e, "value"))
        .map(str::to_string)
        .or_else(|| user_name.contains('@').then(|| user_name.clone()))
        .ok_or_else(|| invalid("no email: mark one of emails as primary, or use an email as userName"))?;
    let email = Email::parse(&chosen).map_err(|e| invalid(format!("emails: {chosen:?} {e}")))?;
    let name_parts = r.get("name").and_then(Value::as_object);
    let given = name_parts.and_then(|n| text(n, "givenName"));
    let family = name_parts.and_then(|n| text(n, "familyName"));
    let name = text(r, "displayName")
        .or_else(|| name_parts.and_then(|n| text(n, "formatted")))
        .map(str::to_string)
        .or_else(|| {
            let joined = [given, family].into_iter().flatten().collect::<Vec<_>>().join(" ");
            (!joined.is_empty()).then_some(joined)
        })
        .unwrap_or_else(|| user_name.clone());
    let ext = r.get(ENTERPRISE).and_then(Value::as_object);
    let department = ext.and_then(|e| text(e, "department")).unwrap_or_default().to_string();
    // A manager the directory does not have yet is left out (clients send people in any order).
    let manager_id = match ext
        .and_then(|e| e.get("manager"))
        .and_then(Value::as_object)
        .and_then(|m| text(m, "value"))
    {
        Some(id) => employees::find(conn, id)?.map(|m| m.id),
        None => None,
    };
    let active = match r.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(invalid(format!("active must be true or false, not {other}"))),
    };
    // An IANA name sets the employee's zone; anything else leaves them on the organisation's.
    let timezone = text(r, "timezone").and_then(|t| parse_timezone(t).ok()).flatten();
    Ok(Fields {
        user_name,
        email: email.into_string(),
        name,
        department,
        manager_id,
        active,
        external_id: text(r, "externalId").map(str::to_string),
        timezone,
    })
}

fn patch_of(f: &Fields) -> EmployeePatch {
    EmployeePatch {
        email: Some(f.email.clone()),
        name: Some(f.name.clone()),
        department: Some(f.department.clone()),
        manager_id: Some(f.manager_id.clone()),
        timezone: Some(f.timezone.clone()),
        role: None,
        active: Some(f.active),
        external_id: Some(f.external_id.clone()),
    }
}

/// The resource as SCIM answers it.
fn render(row: &ScimUserRow, employee: Option<&EmployeeRow>, base: &str) -> Value {
    let mut r: Map<String, Value> = serde_json::from_str(&row.resource).unwrap_or_default();
    // The directory's state wins (an admin may have deactivated someone); a resource that
    // never said `active` (so: active) keeps not saying it while the employee is active.
    if let Some(e) = employee {
        if r.contains_key("active") || !e.active {
            r.insert("active".into(), Value::Bool(e.active));
        }
    }
    let mut schemas = vec![json!(USER_SCHEMA)];
    if r.contains_key(ENTERPRISE) {
        schemas.push(json!(ENTERPRISE));
    }
    r.insert("schemas".into(), Value::Array(schemas));
    r.insert("id".into(), json!(row.id));
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": utc(row.created_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": utc(row.updated_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": format!("{base}/scim/v2/Users/{}", row.id),
            "version": format!("W/\"{}\"", row.updated_at.and_utc().timestamp_micros()),
        }),
    );
    Value::Object(r)
}

fn stored(r: &Map<String, Value>) -> String {
    Value::Object(r.clone()).to_string()
}

/// POST /Users.
pub fn create(conn: &mut DbConnection, actor: &str, body: &Value, base: &str, now: NaiveDateTime) -> AppResult<Value> {
    let resource = scim::normalize(body).map_err(refused)?;
    write_tx(conn, |conn| {
        let f = fields(conn, &resource)?;
        if scim_store::find_by_user_name(conn, &f.user_name)?.is_some() {
            return Err(uniqueness(format!("userName {:?} is taken", f.user_name)));
        }
        let employee = match employees::find_by_email(conn, &f.email)? {
            Some(e) if scim_store::find(conn, &e.id)?.is_some() => {
                return Err(uniqueness(format!(
                    "{} is already provisioned under another userName",
                    f.email
                )))
            }
            // Someone already in the directory (from a CSV, say) is taken over, not duplicated.
            Some(e) => directory::update_employee(conn, actor, &e.id, patch_of(&f))?,
            None => directory::create_employee(
                conn,
                actor,
                NewEmployeeInput {
                    email: f.email.clone(),
                    name: f.name.clone(),
                    department: Some(f.department.clone()),
                    manager_id: f.manager_id.clone(),
                    timezone: f.timezone.clone(),
                    role: None,
                    active: Some(f.active),
                    external_id: f.external_id.clone(),
                },
            )?,
        };
        let row = ScimUserRow {
            id: employee.id.clone(),
            user_name_key: f.user_name.to_lowercase(),
            user_name: f.user_name.clone(),
            resource: stored(&resource),
            created_at: now,
            updated_at: now,
        };
        scim_store::insert(conn, &row)?;
        Ok(render(&row, Some(&employee), base))
    })
}

/// Writes a whole new resource over a user (PUT, and PATCH after its operations).
fn write(
    conn: &mut DbConnection,
    actor: &str,
    mut row: ScimUserRow,
    resource: &Map<String, Value>,
    base: &str,
    now: NaiveDateTime,
) -> AppResult<Value> {
    let f = fields(conn, resource)?;
    if let Some(other) = scim_store::find_by_user_name(conn, &f.user_name)?.filter(|o| o.id != row.id) {
        return Err(uniqueness(format!(
            "userName {:?} belongs to User {}",
            f.user_name, other.id
        )));
    }
    let employee = directory::update_employee(conn, actor, &row.id, patch_of(&f)).map_err(|e| match e {
        AppError::Rule {
            code: "manager_cycle",
            detail,
            ..
        } => invalid(detail),
        other => other,
    })?;
    row.user_name_key = f.user_name.to_lowercase();
    row.user_name = f.user_name;
    row.resource = stored(resource);
    row.updated_at = now.max(row.updated_at + chrono::Duration::microseconds(1));
    scim_store::update(conn, &row)?;
    Ok(render(&row, Some(&employee), base))
}

/// PUT /Users/{id}.
pub fn replace(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    body: &Value,
    base: &str,
    now: NaiveDateTime,
) -> AppResult<Value> {
    let resource = scim::normalize(body).map_err(refused)?;
    write_tx(conn, |conn| {
        let row = scim_store::find(conn, id)?.ok_or_else(|| not_found(id))?;
        write(conn, actor, row, &resource, base, now)
    })
}

/// PATCH /Users/{id}.
pub fn patch(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    body: &Value,
    base: &str,
    now: NaiveDateTime,
) -> AppResult<Value> {
    let ops = scim::patch_ops(body).map_err(refused)?;
    write_tx(conn, |conn| {
        let row = scim_store::find(conn, id)?.ok_or_else(|| not_found(id))?;
        let mut resource: Map<String, Value> = serde_json::from_str(&row.resource).unwrap_or_default();
        // `active` is the employee's: an operation on it starts from the directory's value.
        if let Some(e) = employees::find(conn, id)? {
            if resource.contains_key("active") || !e.active {
                resource.insert("active".into(), Value::Bool(e.active));
            }
        }
        scim::apply_patch(&mut resource, &ops).map_err(refused)?;
        write(conn, actor, row, &resource, base, now)
    })
}

/// DELETE /Users/{id}: the employee is deactivated and stays, with their postcards; to SCIM
/// the user is gone (404 from now on).
pub fn delete(conn: &mut DbConnection, actor: &str, id: &str) -> AppResult<()> {
    write_tx(conn, |conn| {
        scim_store::find(conn, id)?.ok_or_else(|| not_found(id))?;
        let patch = EmployeePatch {
            active: Some(false),
            ..EmployeePatch::default()
        };
        directory::update_employee(conn, actor, id, patch)?;
        scim_store::delete(conn, id)?;
        Ok(())
    })
}

/// GET /Users/{id}.
pub fn get(conn: &mut DbConnection, id: &str, base: &str) -> AppResult<Value> {
    let row = scim_store::find(conn, id)?.ok_or_else(|| not_found(id))?;
    let employee = employees::find(conn, id)?;
    Ok(render(&row, employee.as_ref(), base))
}

/// A page of a list: `start` from 1, at most `count`.
pub struct Listed {
    pub total: i64,
    pub items: Vec<Value>,
}

/// GET /Users (and POST /Users/.search): filtered, paged from `start` (1-based).
pub fn list(conn: &mut DbConnection, filter: Option<&str>, start: i64, count: i64, base: &str) -> AppResult<Listed> {
    let filter = filter.map(Filter::parse).transpose().map_err(refused)?;
    let rows: Vec<ScimUserRow> = match &filter {
        None => {
            let total = scim_store::count(conn)?;
            let rows = scim_store::page(conn, start - 1, count)?;
            return Ok(Listed {
                total,
                items: rendered(conn, &rows, base)?,
            });
        }
        // What provisioning clients ask before each create: answered from the index.
        Some(Filter::Compare { attr, op, value }) if attr.eq_ignore_ascii_case("userName") && op == "eq" => {
            let name = value.as_str().unwrap_or_default();
            scim_store::find_by_user_name(conn, name)?.into_iter().collect()
        }
        Some(_) => scim_store::all(conn)?,
    };
    let all = rendered(conn, &rows, base)?;
    let matched: Vec<Value> = all
        .into_iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    let total = matched.len() as i64;
    let items = matched
        .into_iter()
        .skip(usize::try_from(start - 1).unwrap_or(0))
        .take(usize::try_from(count).unwrap_or(0))
        .collect();
    Ok(Listed { total, items })
}

fn rendered(conn: &mut DbConnection, rows: &[ScimUserRow], base: &str) -> AppResult<Vec<Value>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let people: HashMap<String, EmployeeRow> = employees::find_many(conn, &ids)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    Ok(rows.iter().map(|r| render(r, people.get(&r.id), base)).collect())
}
