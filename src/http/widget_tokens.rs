//! Admin management of widget tokens: mint (shown once), list, revoke.

use actix_web::http::header;
use actix_web::web::Json as JsonOut;
use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::Json;
use super::pagination::Page;
use super::problem::{ReadProblems, WriteProblems};
use super::State;
use crate::error::AppResult;
use crate::services::widget_tokens::{self, MintedToken, WidgetTokenView};
use crate::store::db;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWidgetToken {
    /// Where the widget runs, for the admins' list: 1 to 100 characters.
    #[schema(example = "Lobby screen")]
    pub name: String,
}

/// Mints a read-only widget token (admin). The token is in this answer only; it reads
/// leaderboards (and widget pages) and nothing else.
#[utoipa::path(post, operation_id = "widget_tokens_create", path = "/api/v1/admin/widget-tokens", tag = "leaderboards", security(("bearer" = [])),
    request_body = NewWidgetToken,
    responses((status = 201, body = MintedToken, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<NewWidgetToken>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let (actor, name) = (caller.email.to_string(), body.into_inner().name);
    let minted = db::run(&state.pool, move |conn| widget_tokens::mint(conn, &actor, &name)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/admin/widget-tokens/{}", minted.info.id),
        ))
        .json(minted))
}

/// Every widget token, revoked ones included, newest first (admin). Tokens themselves are
/// never shown again.
#[utoipa::path(get, operation_id = "widget_tokens_list", path = "/api/v1/admin/widget-tokens", tag = "leaderboards", security(("bearer" = [])),
    responses((status = 200, body = Page<WidgetTokenView>), ReadProblems))]
pub async fn list(state: State, caller: Caller) -> AppResult<JsonOut<Page<WidgetTokenView>>> {
    caller.require_admin()?;
    let rows = db::run(&state.pool, |conn| {
        Ok(crate::store::widget_tokens::list(conn, "widget")?)
    })
    .await?;
    Ok(JsonOut(Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Revokes a widget token at once (admin); revoking twice changes nothing.
#[utoipa::path(delete, operation_id = "widget_tokens_revoke", path = "/api/v1/admin/widget-tokens/{id}", tag = "leaderboards", security(("bearer" = [])),
    params(("id" = String, Path, description = "widget token id")),
    responses((status = 200, body = WidgetTokenView), WriteProblems))]
pub async fn revoke(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<WidgetTokenView>> {
    caller.require_admin()?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    let view = db::run(&state.pool, move |conn| widget_tokens::revoke(conn, &actor, &id)).await?;
    // Forget remembered tokens at once.
    Ok(JsonOut(view))
}
