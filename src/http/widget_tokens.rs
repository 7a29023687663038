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
use crate::services::widget_tokens::{self, MintedToken, TokenKind, WidgetTokenView};
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
    mint_of(state, caller, body, TokenKind::Widget, "/api/v1/admin/widget-tokens").await
}

/// Mints a token of `kind` (admin), answered `201` with its `Location` under `at`: widget
/// and SCIM tokens alike.
pub(super) async fn mint_of(
    state: State,
    caller: Caller,
    body: Json<NewWidgetToken>,
    kind: TokenKind,
    at: &str,
) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let (actor, name) = (caller.email.to_string(), body.into_inner().name);
    let minted = db::run(&state.pool, move |conn| {
        widget_tokens::mint_kind(conn, &actor, &name, kind)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{at}/{}", minted.info.id)))
        .json(minted))
}

/// Every widget token, revoked ones included, newest first (admin). Tokens themselves are
/// never shown again.
#[utoipa::path(get, operation_id = "widget_tokens_list", path = "/api/v1/admin/widget-tokens", tag = "leaderboards", security(("bearer" = [])),
    responses((status = 200, body = Page<WidgetTokenView>), ReadProblems))]
pub async fn list(state: State, caller: Caller) -> AppResult<JsonOut<Page<WidgetTokenView>>> {
    list_of(state, caller, TokenKind::Widget).await
}

/// Every token of `kind`, revoked ones included, newest first (admin).
pub(super) async fn list_of(
    state: State,
    caller: Caller,
    kind: TokenKind,
) -> AppResult<JsonOut<Page<WidgetTokenView>>> {
    caller.require_admin()?;
    let rows = db::run(&state.pool, move |conn| {
        Ok(crate::store::widget_tokens::list(conn, kind.as_str())?)
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
    revoke_of(state, caller, id, TokenKind::Widget).await
}

/// Revokes a token of `kind` at once (admin); revoking twice changes nothing.
pub(super) async fn revoke_of(
    state: State,
    caller: Caller,
    id: super::path_ids::PathId,
    kind: TokenKind,
) -> AppResult<JsonOut<WidgetTokenView>> {
    caller.require_admin()?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    let view = db::run(&state.pool, move |conn| {
        widget_tokens::revoke_kind(conn, &actor, &id, kind)
    })
    .await?;
    Ok(JsonOut(view))
}
