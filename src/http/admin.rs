//! Admin reading: the audit log and the postcards export (CSV, streamed).

use actix_web::web::{self, Json as JsonOut};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::pagination::{decode_time_cursor, encode_time_cursor, page, parse_limit, Page};
use super::problem::ReadProblems;
use super::query::{non_empty, parse_instant};
use super::State;
use crate::error::AppResult;
use crate::services::postcard_views::utc;
use crate::store::audit::{self, AuditFilter, AuditRow};
use crate::store::db;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// The email of who did it.
    pub actor: String,
    #[schema(example = "postcard.hide")]
    pub action: String,
    #[schema(example = "postcard")]
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            reason: r.reason,
            created_at: utc(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// e.g. `postcard.hide`, `postcard.restore`, `employee.update`, `behaviour.archive`.
    action: Option<String>,
    /// The actor's email.
    actor: Option<String>,
    /// `postcard`, `employee`, `behaviour`, `directory`, `export`.
    target_type: Option<String>,
    target_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    cursor: Option<String>,
}

/// Moderation and admin actions, newest first (admin).
#[utoipa::path(get, operation_id = "admin_audit_log", path = "/api/v1/admin/audit", tag = "moderation", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), ReadProblems))]
pub async fn audit_log(
    state: State,
    caller: Caller,
    q: web::Query<AuditQuery>,
) -> AppResult<JsonOut<Page<AuditEntry>>> {
    caller.require_admin()?;
    let q = q.into_inner();
    let limit = parse_limit(q.limit.as_deref())?;
    let filter = AuditFilter {
        action: non_empty(q.action),
        // Actors are canonical emails (or a name such as `cli`, matched as it is).
        actor: non_empty(q.actor).map(|a| crate::domain::email::Email::parse(&a).map_or(a, |e| e.into_string())),
        target_type: non_empty(q.target_type),
        target_id: non_empty(q.target_id),
        before: decode_time_cursor(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = db::run(&state.pool, move |conn| Ok(audit::list(conn, &filter)?)).await?;
    Ok(JsonOut(page(
        rows,
        limit,
        |r| encode_time_cursor(&r.created_at, &r.id),
        AuditEntry::from,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// From this date (local midnight in `org.timezone`) or RFC 3339 timestamp on.
    since: Option<String>,
}

/// Every postcard (hidden ones flagged) as CSV, oldest first (admin). Columns:
/// `id, created_at, sender_email, sender_name, sender_department, recipient_emails,
/// recipient_names, behaviour, visibility, hidden, endorsement_count, customer_name,
/// customer_quote, message`; several recipients are joined with `; `. Cells that a
/// spreadsheet would run as a formula start with `'`. Each export is audited. At most
/// `export.max_concurrent` exports stream at once (429 beyond); a download that fails after
/// it started ends without its last chunk, so the client sees it is incomplete.
#[utoipa::path(get, operation_id = "admin_export_postcards", path = "/api/v1/admin/export/postcards.csv", tag = "moderation", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 429, description = "`export.max_concurrent` exports are already streaming; see `Retry-After`", content_type = "application/problem+json", body = super::problem::Problem),
        ReadProblems))]
pub async fn export_postcards(state: State, caller: Caller, q: web::Query<ExportQuery>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let since = parse_instant("since", q.since.as_deref(), state.settings.org_timezone())?;
    let slot = state.exports.slot()?;
    let actor = caller.email.to_string();
    db::run(&state.pool, move |conn| {
        let details = serde_json::json!({ "since": since.map(|s| utc(s).to_rfc3339()) });
        Ok(audit::record(
            conn,
            &actor,
            "postcards.export",
            ("export", "postcards.csv"),
            None,
            details,
        )?)
    })
    .await?;
    let body = state.exports.stream(state.pool.clone(), since, slot);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"postcards.csv\""))
        .streaming(body))
}
