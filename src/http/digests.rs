//! Digest preview (the manager or an admin) and running a week's digests on demand (admin).

use actix_web::web::{self, Json as JsonOut};
use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::Json;
use super::problem::{ReadProblems, WriteProblems};
use super::State;
use crate::domain::clock::now;
use crate::error::{AppError, AppResult};
use crate::services::digests::{self, DigestConfig, RunSummary};
use crate::store::db;

#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// The manager; default: the caller.
    manager_id: Option<String>,
    /// `2026-W47`; default: the last week that has ended.
    week: Option<String>,
    /// `html` (default) or `text`.
    format: Option<String>,
}

/// The digest email a manager gets (or would get) for a week, as HTML or plain text. The
/// manager themself or an admin.
#[utoipa::path(get, operation_id = "digests_preview", path = "/api/v1/digests/preview", tag = "email", security(("bearer" = [])),
    params(PreviewQuery),
    responses((status = 200, description = "the digest (`format=text`: plain text)", content((String = "text/html"), (String = "text/plain"))), (status = 422, description = "a bad or unfinished week", content_type = "application/problem+json", body = super::problem::Problem), ReadProblems))]
pub async fn preview(state: State, caller: Caller, q: web::Query<PreviewQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let manager_id = match q.manager_id.filter(|m| !m.trim().is_empty()) {
        Some(m) => m,
        None => caller.employee()?.id.clone(),
    };
    let own = caller.employee.as_ref().is_some_and(|e| e.id == manager_id);
    if !own && !caller.is_admin {
        // Someone else's digest does not exist for the caller.
        return Err(AppError::not_found(format!("no digest for manager {manager_id:?}")));
    }
    let html = match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("html") => true,
        Some("text") => false,
        Some(_) => return Err(AppError::bad_query("format", "must be html or text")),
    };
    let cfg = DigestConfig::from_settings(&state.settings);
    let rendered = db::run(&state.pool, move |conn| {
        let week = digests::parse_week(&cfg, q.week.as_deref(), now())?;
        digests::preview(conn, &cfg, &manager_id, week)
    })
    .await?;
    Ok(if html {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(rendered.html)
    } else {
        HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(rendered.text)
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// `2026-W47`, a week that has ended; default: the last one.
    #[schema(example = "2026-W47")]
    pub week: Option<String>,
}

/// Queues the digests of a week now, for every manager who has them on (admin). A manager's
/// digest of a week is queued at most once, however often this runs.
#[utoipa::path(post, operation_id = "digests_run", path = "/api/v1/admin/digests/run", tag = "email", security(("bearer" = [])),
    request_body = RunRequest,
    responses((status = 200, body = RunSummary), WriteProblems))]
pub async fn run(state: State, caller: Caller, body: Json<RunRequest>) -> AppResult<JsonOut<RunSummary>> {
    caller.require_admin()?;
    let week = body.into_inner().week;
    let cfg = DigestConfig::from_settings(&state.settings);
    let actor = caller.email.to_string();
    let summary = db::run(&state.pool, move |conn| {
        digests::run_for(conn, &cfg, week.as_deref(), now(), &actor)
    })
    .await?;
    Ok(JsonOut(summary))
}
