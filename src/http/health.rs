//! Liveness and readiness probes.

use actix_web::HttpResponse;
use serde_json::json;

use super::State;
use crate::error::AppResult;
use crate::store::db;

/// The process is up.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers.
#[utoipa::path(get, operation_id = "health_readyz", path = "/readyz", tag = "operations", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "database unreachable", body = super::problem::Problem, content_type = "application/problem+json")))]
pub async fn readyz(state: State) -> AppResult<HttpResponse> {
    db::run(&state.pool, |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1")
            .map_err(|e| crate::error::AppError::Unavailable(e.into()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
