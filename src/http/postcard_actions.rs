//! What people do to a postcard after it is sent: endorse it, withdraw the endorsement,
//! and (admins) hide or restore it.

use actix_web::web::Json as JsonOut;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::{Json, MaybeJson};
use super::problem::WriteProblems;
use super::State;
use crate::boards::scoreboard::BoardConfig;
use crate::domain::clock::now;
use crate::error::AppResult;
use crate::services::postcard_views::PostcardView;
use crate::services::{endorsements, moderation};
use crate::store::db;

/// Endorses ("+1") a postcard; endorsing twice changes nothing. Nobody endorses a postcard
/// they sent (422 `cannot_endorse_own`) or received (422 `cannot_endorse_received`).
#[utoipa::path(post, operation_id = "postcard_actions_endorse", path = "/api/v1/postcards/{id}/endorsements", tag = "postcards", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")),
    responses((status = 200, body = PostcardView), WriteProblems))]
pub async fn endorse(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<PostcardView>> {
    let me = caller.employee()?.id.clone();
    let (id, is_admin) = (id.into_inner(), caller.is_admin);
    let board = BoardConfig::from_settings(&state.settings);
    let view = db::run(&state.pool, move |conn| {
        endorsements::endorse(conn, &id, &me, is_admin, now(), &board)
    })
    .await?;
    Ok(JsonOut(view))
}

/// Withdraws the caller's endorsement; withdrawing one that is not there changes nothing.
#[utoipa::path(delete, operation_id = "postcard_actions_withdraw", path = "/api/v1/postcards/{id}/endorsements", tag = "postcards", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")),
    responses((status = 200, body = PostcardView), WriteProblems))]
pub async fn withdraw(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<PostcardView>> {
    let me = caller.employee()?.id.clone();
    let (id, is_admin) = (id.into_inner(), caller.is_admin);
    let board = BoardConfig::from_settings(&state.settings);
    let view = db::run(&state.pool, move |conn| {
        endorsements::withdraw(conn, &id, &me, is_admin, &board)
    })
    .await?;
    Ok(JsonOut(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideBody {
    /// Why, for the audit log: 1 to 500 characters.
    #[schema(example = "Names a customer who asked not to be mentioned")]
    pub reason: String,
}

/// Hides a postcard from every feed and leaderboard (admin); the action and reason are audited.
#[utoipa::path(post, operation_id = "postcard_actions_hide", path = "/api/v1/postcards/{id}/hide", tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")), request_body = HideBody,
    responses((status = 200, body = PostcardView), WriteProblems))]
pub async fn hide(
    state: State,
    caller: Caller,
    id: super::path_ids::PathId,
    body: Json<HideBody>,
) -> AppResult<JsonOut<PostcardView>> {
    caller.require_admin()?;
    let board = BoardConfig::from_settings(&state.settings);
    let (actor, id, reason) = (caller.email.to_string(), id.into_inner(), body.into_inner().reason);
    let view = db::run(&state.pool, move |conn| {
        moderation::hide(conn, &actor, &id, &reason, &board)
    })
    .await?;
    Ok(JsonOut(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// Optional note for the audit log.
    pub reason: Option<String>,
}

/// Puts a hidden postcard back (admin). The body is optional.
#[utoipa::path(post, operation_id = "postcard_actions_restore", path = "/api/v1/postcards/{id}/restore", tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")), request_body(content = Option<RestoreBody>),
    responses((status = 200, body = PostcardView), WriteProblems))]
pub async fn restore(
    state: State,
    caller: Caller,
    id: super::path_ids::PathId,
    body: MaybeJson<RestoreBody>,
) -> AppResult<JsonOut<PostcardView>> {
    caller.require_admin()?;
    let board = BoardConfig::from_settings(&state.settings);
    let reason = body.0.and_then(|b| b.reason);
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    let view = db::run(&state.pool, move |conn| {
        moderation::restore(conn, &actor, &id, reason.as_deref(), &board)
    })
    .await?;
    Ok(JsonOut(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// What is wrong, for the admins: 1 to 500 characters.
    #[schema(example = "It names a customer who asked not to be mentioned")]
    pub reason: String,
}

/// Asks the admins to look at a postcard the caller can see (it stays up until they decide:
/// it shows under "Reported" in the console). Reporting it again replaces the reason. 202.
#[utoipa::path(post, operation_id = "postcard_actions_report", path = "/api/v1/postcards/{id}/report", tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")), request_body = ReportBody,
    responses((status = 202, description = "reported; the admins will decide"), WriteProblems))]
pub async fn report(
    state: State,
    caller: Caller,
    id: super::path_ids::PathId,
    body: Json<ReportBody>,
) -> AppResult<actix_web::HttpResponse> {
    let me = caller.employee()?.clone();
    let (id, is_admin, reason) = (id.into_inner(), caller.is_admin, body.into_inner().reason);
    db::run(&state.pool, move |conn| {
        moderation::report(conn, &id, &me, is_admin, &reason)
    })
    .await?;
    Ok(actix_web::HttpResponse::Accepted().finish())
}
