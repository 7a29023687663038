//! The directory: search, read, create, edit/deactivate, and CSV import.

use actix_web::http::header;
use actix_web::web::{self, Json as JsonOut};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::{double_option, read_body, Json};
use super::pagination::{decode_cursor, encode_cursor, page, parse_limit, Page};
use super::problem::{ReadProblems, WriteProblems};
use super::query::{non_empty, parse_bool};
use super::State;
use crate::domain::employee::Role;
use crate::error::{AppError, AppResult};
pub use crate::services::directory::EmployeeView;
use crate::services::directory::{self, EmployeePatch, ImportReport, NewEmployeeInput};
use crate::store::db;
use crate::store::employees::{self, ListFilter};

/// Directory files may hold tens of thousands of people.
pub const CSV_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Matches names and emails, case-insensitively.
    query: Option<String>,
    department: Option<String>,
    /// Admins only: also list deactivated employees.
    #[param(value_type = Option<bool>)]
    include_inactive: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    cursor: Option<String>,
}

/// Directory search, ordered by name.
#[utoipa::path(get, operation_id = "employees_list", path = "/api/v1/employees", tag = "directory", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<EmployeeView>), ReadProblems))]
pub async fn list(state: State, caller: Caller, q: web::Query<ListQuery>) -> AppResult<JsonOut<Page<EmployeeView>>> {
    let q = q.into_inner();
    let limit = parse_limit(q.limit.as_deref())?;
    let after = decode_cursor(q.cursor.as_deref(), 2)?.map(|mut p| {
        let id = p.pop().unwrap_or_default();
        (p.pop().unwrap_or_default(), id)
    });
    let include_inactive = parse_bool("include_inactive", q.include_inactive.as_deref())? && caller.is_admin;
    let filter = ListFilter {
        query: non_empty(q.query),
        department: non_empty(q.department),
        include_inactive,
        after,
        limit: limit + 1,
    };
    let rows = db::run(&state.pool, move |conn| Ok(employees::list(conn, &filter)?)).await?;
    let tz = state.settings.org.timezone.clone();
    Ok(JsonOut(page(
        rows,
        limit,
        |r| encode_cursor(&[&r.sort_name, &r.id]),
        |r| EmployeeView::from_row(r, &tz),
    )))
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("no employee has id {id}"))
}

/// One employee. Deactivated people are shown too (with `active: false`): their postcards stay
/// and still name them, even though the directory search leaves them out.
#[utoipa::path(get, operation_id = "employees_get", path = "/api/v1/employees/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "employee id")),
    responses((status = 200, body = EmployeeView), ReadProblems))]
pub async fn get(state: State, _caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<EmployeeView>> {
    let id = id.into_inner();
    let lookup = id.clone();
    let row = db::run(&state.pool, move |conn| Ok(employees::find(conn, &lookup)?)).await?;
    let row = row.ok_or_else(|| not_found(&id))?;
    Ok(JsonOut(EmployeeView::from_row(row, &state.settings.org.timezone)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmployee {
    #[schema(example = "ann.lee@example.com")]
    pub email: String,
    #[schema(example = "Ann Lee")]
    pub name: String,
    #[schema(example = "Support")]
    pub department: Option<String>,
    pub manager_id: Option<String>,
    #[schema(example = "Europe/London")]
    pub timezone: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// The id another system knows them by: Teams matches people by their Entra object id here.
    pub external_id: Option<String>,
}

/// Adds an employee (admin).
#[utoipa::path(post, operation_id = "employees_create", path = "/api/v1/employees", tag = "directory", security(("bearer" = [])), request_body = CreateEmployee,
    responses((status = 201, body = EmployeeView, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<CreateEmployee>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let b = body.into_inner();
    let actor = caller.email.to_string();
    let input = NewEmployeeInput {
        email: b.email,
        name: b.name,
        department: b.department,
        manager_id: b.manager_id,
        timezone: b.timezone,
        role: b.role,
        active: b.active,
        external_id: b.external_id,
    };
    let row = db::run(&state.pool, move |conn| directory::create_employee(conn, &actor, input)).await?;
    let location = format!("/api/v1/employees/{}", row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(EmployeeView::from_row(row, &state.settings.org.timezone)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmployee {
    pub email: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    /// `null` removes the manager.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub manager_id: Option<Option<String>>,
    /// `null` falls back to the organisation's timezone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub timezone: Option<Option<String>>,
    pub role: Option<Role>,
    /// `false` deactivates: the employee stays, with their postcards, but cannot sign in.
    pub active: Option<bool>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub external_id: Option<Option<String>>,
}

/// Edits or deactivates an employee (admin). Employees are never deleted.
#[utoipa::path(patch, operation_id = "employees_update", path = "/api/v1/employees/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "employee id")), request_body = UpdateEmployee,
    responses((status = 200, body = EmployeeView), WriteProblems))]
pub async fn update(
    state: State,
    caller: Caller,
    id: super::path_ids::PathId,
    body: Json<UpdateEmployee>,
) -> AppResult<JsonOut<EmployeeView>> {
    caller.require_admin()?;
    let b = body.into_inner();
    let patch = EmployeePatch {
        email: b.email,
        name: b.name,
        department: b.department,
        manager_id: b.manager_id,
        timezone: b.timezone,
        role: b.role,
        active: b.active,
        external_id: b.external_id,
    };
    let actor = caller.email.to_string();
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        directory::update_employee(conn, &actor, &id, patch)
    })
    .await?;
    // A deactivation, a new department or a rename moves the boards.
    Ok(JsonOut(EmployeeView::from_row(row, &state.settings.org.timezone)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Check the file and report what would change, changing nothing.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

/// Upserts the directory from a CSV file (admin): `email,name,department,manager_email,timezone,active`.
/// Good lines are applied together; each bad line is reported with its 1-based line number
/// (the header is line 1) and changes nothing.
#[utoipa::path(post, operation_id = "employees_import", path = "/api/v1/employees/import", tag = "directory", security(("bearer" = [])), params(ImportQuery),
    request_body(content = String, content_type = "text/csv", example = "email,name,department,manager_email,timezone,active\nann@example.com,Ann Lee,Support,,Europe/London,true\n"),
    responses((status = 200, body = ImportReport), WriteProblems))]
pub async fn import(
    state: State,
    caller: Caller,
    q: web::Query<ImportQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<JsonOut<ImportReport>> {
    caller.require_admin()?;
    let dry_run = parse_bool("dry_run", q.dry_run.as_deref())?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "text/csv" && mime != "text/plain" {
        return Err(AppError::UnsupportedMediaType {
            detail: "send the directory as text/csv".into(),
        });
    }
    let body = read_body(&req, &mut payload.into_inner(), CSV_LIMIT).await?;
    let text = String::from_utf8(body).map_err(|e| AppError::Rule {
        code: "invalid_csv",
        detail: format!("the file is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        field: Some("body".into()),
    })?;
    let actor = caller.email.to_string();
    let report = db::run(&state.pool, move |conn| {
        directory::import_csv(conn, &actor, &text, dry_run, &|_, _| {})
    })
    .await?;
    Ok(JsonOut(report))
}
