//! `/admin/directory`: find people, edit or deactivate one, and import a CSV with a preview
//! of every line (bad ones marked and explained) before anything is applied.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, AdminViewer};
use crate::domain::employee::Role;
use crate::domain::import::ChangeKind;
use crate::error::AppError;
use crate::http::pages::{encode, in_words, render, see_other, sentence, Chrome, PageError};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::directory::{self, EmployeePatch, ImportReport, PreviewLine};
use crate::store::db;
use crate::store::employees::{self, EmployeeRow, ListFilter};

const PAGE: i64 = 50;
const SAMPLE: &str = include_str!("../../../../examples/people.csv");

#[derive(Template)]
#[template(path = "pages/admin/directory.html")]
struct DirectoryPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    query: String,
    inactive: bool,
    people: Vec<EmployeeRow>,
    next: Option<String>,
    /// The CSV being imported (kept in the form while it is previewed) and its problem.
    csv: String,
    csv_error: Option<String>,
    preview: Option<Preview>,
}

struct Preview {
    report: ImportReport,
    lines: Vec<PreviewLine>,
}

impl Preview {
    fn good(&self) -> usize {
        self.report.created + self.report.updated + self.report.deactivated
    }
}

impl DirectoryPage {
    fn label(&self, kind: &ChangeKind) -> &'static str {
        kind_label(kind)
    }
}

fn kind_label(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create => "New",
        ChangeKind::Update => "Changed",
        ChangeKind::Deactivate => "Deactivated",
        ChangeKind::Unchanged => "Unchanged",
    }
}

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    query: Option<String>,
    inactive: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<DirectoryQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let flash = q.done.as_deref().map(done_message);
    show(state, viewer, q, flash, String::new(), None, None, StatusCode::OK).await
}

fn done_message(done: &str) -> String {
    match done.split_once(':') {
        Some(("imported", counts)) => {
            let n: Vec<&str> = counts.split(',').collect();
            match n.as_slice() {
                [c, u, d, e] => format!(
                    "Imported: {c} new, {u} changed, {d} deactivated.{}",
                    if *e != "0" {
                        format!(" {e} line(s) with problems were skipped.")
                    } else {
                        String::new()
                    }
                ),
                _ => "Imported.".into(),
            }
        }
        _ => "Done.".into(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    state: State,
    viewer: AdminViewer,
    q: DirectoryQuery,
    flash: Option<String>,
    csv: String,
    csv_error: Option<String>,
    preview: Option<Preview>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let query = q.query.clone().unwrap_or_default().trim().to_string();
    let inactive = q.inactive.as_deref() == Some("1");
    let after = q
        .after
        .as_deref()
        .and_then(|a| crate::http::pagination::decode_cursor(Some(a), 2).ok().flatten())
        .map(|mut p| (p.remove(0), p.remove(0)));
    let filter = ListFilter {
        query: Some(query.clone()).filter(|q| !q.is_empty()),
        department: None,
        include_inactive: inactive,
        after,
        limit: PAGE + 1,
    };
    let mut people = db::run(&state.pool, move |conn| Ok(employees::list(conn, &filter)?)).await?;
    let next = (people.len() as i64 > PAGE)
        .then(|| people.get(PAGE as usize - 1))
        .flatten()
        .map(|p| crate::http::pagination::encode_cursor(&[&p.sort_name, &p.id]));
    people.truncate(PAGE as usize);
    render(
        status,
        &DirectoryPage {
            chrome: chrome(&viewer, "directory"),
            flash,
            query,
            inactive,
            people,
            next,
            csv,
            csv_error,
            preview,
        },
    )
}

pub async fn sample_csv() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"people.csv\""))
        .body(SAMPLE)
}

#[derive(Deserialize)]
pub struct ImportForm {
    csrf_token: String,
    #[serde(default)]
    csv: String,
    /// "1" once the preview was seen: apply.
    #[serde(default)]
    apply: String,
}

/// Previews the CSV (nothing written), or applies it when the preview's button says so.
pub async fn import(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let form = form.into_inner();
    if form.csv.trim().is_empty() {
        let why = "Choose a CSV file, or paste its text, first.".to_string();
        return import_answer(state, viewer, form.csv, Err(why)).await;
    }
    let csv = form.csv.clone();
    if form.apply == "1" {
        let actor = viewer.0.caller.email.to_string();
        let applied = db::run(&state.pool, move |conn| {
            directory::import_csv(conn, &actor, &csv, false, &|_, _| {})
        })
        .await;
        return match applied {
            Ok(r) => Ok(see_other(&format!(
                "/admin/directory?done={}",
                encode(&format!(
                    "imported:{},{},{},{}",
                    r.created,
                    r.updated,
                    r.deactivated,
                    r.errors.len()
                ))
            ))),
            Err(e @ AppError::Rule { .. }) => import_answer(state, viewer, form.csv, Err(in_words(&e))).await,
            Err(e) => Err(e.into()),
        };
    }
    let previewed = db::run(&state.pool, move |conn| directory::preview_csv(conn, &csv)).await;
    match previewed {
        Ok((report, lines)) => import_answer(state, viewer, form.csv, Ok(Preview { report, lines })).await,
        Err(e @ AppError::Rule { .. }) => import_answer(state, viewer, form.csv, Err(in_words(&e))).await,
        Err(e) => Err(e.into()),
    }
}

/// The directory page with the import's preview, or with why the file was refused.
async fn import_answer(
    state: State,
    viewer: AdminViewer,
    csv: String,
    outcome: Result<Preview, String>,
) -> Result<HttpResponse, PageError> {
    let (status, error, preview) = match outcome {
        Ok(preview) => (StatusCode::OK, None, Some(preview)),
        Err(why) => (StatusCode::UNPROCESSABLE_ENTITY, Some(why), None),
    };
    show(
        state,
        viewer,
        DirectoryQuery::default(),
        None,
        csv,
        error,
        preview,
        status,
    )
    .await
}

#[derive(Template)]
#[template(path = "pages/admin/person.html")]
struct PersonPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    person: EmployeeRow,
    manager_email: String,
    /// Problems by field, in words.
    errors: Vec<(String, String)>,
}

impl PersonPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

pub async fn person(
    state: State,
    viewer: AdminViewer,
    id: PathId,
    q: web::Query<DirectoryQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (person, manager_email) = load(&state, id).await?;
    let flash = q.done.as_deref().map(|d| match d {
        "deactivated" => {
            "Deactivated: they can no longer sign in or be sent postcards. Their postcards stay.".to_string()
        }
        "reactivated" => "Reactivated: they can sign in and be sent postcards again.".to_string(),
        _ => "Saved.".to_string(),
    });
    render(
        StatusCode::OK,
        &PersonPage {
            chrome: chrome(&viewer, "directory"),
            flash,
            person,
            manager_email,
            errors: vec![],
        },
    )
}

async fn load(state: &State, id: String) -> Result<(EmployeeRow, String), PageError> {
    let found = db::run(&state.pool, move |conn| {
        let Some(person) = employees::find(conn, &id)? else {
            return Err(AppError::not_found("no such employee"));
        };
        let manager = match &person.manager_id {
            Some(m) => employees::find(conn, m)?.map(|m| m.email).unwrap_or_default(),
            None => String::new(),
        };
        Ok((person, manager))
    })
    .await?;
    Ok(found)
}

#[derive(Deserialize)]
pub struct PersonForm {
    csrf_token: String,
    /// `save` (the edit form) or `deactivate` / `reactivate` (their own buttons).
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    manager_email: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    role: String,
}

pub async fn save(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<PersonForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let actor = viewer.0.caller.email.to_string();
    let (target, f) = (id.clone(), (form.action.clone(), form.name.clone(), form.email.clone()));
    let (department, manager_email, timezone, role) = (
        form.department.clone(),
        form.manager_email.trim().to_string(),
        form.timezone.trim().to_string(),
        form.role.clone(),
    );
    let saved = db::run(&state.pool, move |conn| {
        let (action, name, email) = &f;
        let patch = match action.as_str() {
            "deactivate" => EmployeePatch {
                active: Some(false),
                ..EmployeePatch::default()
            },
            "reactivate" => EmployeePatch {
                active: Some(true),
                ..EmployeePatch::default()
            },
            _ => {
                let manager_id = if manager_email.is_empty() {
                    None
                } else {
                    match employees::find_by_email(conn, &manager_email.to_lowercase())? {
                        Some(m) => Some(m.id),
                        None => {
                            return Err(AppError::validation(
                                "manager_email",
                                format!("nobody in the directory has the address {manager_email}"),
                            ))
                        }
                    }
                };
                EmployeePatch {
                    name: Some(name.clone()),
                    email: Some(email.clone()),
                    department: Some(department.clone()),
                    manager_id: Some(manager_id),
                    timezone: Some(Some(timezone.clone()).filter(|t| !t.is_empty())),
                    role: Some(if role == "admin" { Role::Admin } else { Role::Employee }),
                    active: None,
                    external_id: None,
                }
            }
        };
        directory::update_employee(conn, &actor, &target, patch)
    })
    .await;
    match saved {
        Ok(_) => {
            let done = match form.action.as_str() {
                "deactivate" => "deactivated",
                "reactivate" => "reactivated",
                _ => "saved",
            };
            Ok(see_other(&format!("/admin/directory/{id}?done={done}")))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Rule { .. } | AppError::Conflict { .. })) => {
            let errors = field_errors(&e);
            let (mut person, _) = load(&state, id).await?;
            // The form shows what was typed, with the problems next to it.
            person.name = form.name;
            person.email = form.email;
            person.department = form.department;
            person.timezone = Some(form.timezone).filter(|t| !t.is_empty());
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PersonPage {
                    chrome: chrome(&viewer, "directory"),
                    flash: None,
                    person,
                    manager_email: form.manager_email,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `(field, sentence)` pairs of a refused change (the manager's id is the form's email).
fn field_errors(e: &AppError) -> Vec<(String, String)> {
    let field = |f: &str| {
        if f == "manager_id" {
            "manager_email".to_string()
        } else {
            f.to_string()
        }
    };
    match e {
        AppError::Validation { errors } => errors.iter().map(|f| (field(&f.field), sentence(&f.message))).collect(),
        AppError::Rule { field: f, detail, .. } => {
            vec![(field(f.as_deref().unwrap_or("form")), sentence(detail))]
        }
        AppError::Conflict {
            code: "email_taken",
            detail,
        } => vec![("email".into(), sentence(detail))],
        other => vec![("form".into(), in_words(other))],
    }
}
