//! Admin management of SCIM tokens: mint (shown once), list, revoke. A SCIM token opens
//! `/scim/v2` and nothing else; nothing else opens `/scim/v2`.

use actix_web::http::header;
use actix_web::web::Json as JsonOut;
use actix_web::HttpResponse;

use super::auth::Caller;
use super::json::Json;
use super::pagination::Page;
use super::problem::{ReadProblems, WriteProblems};
use super::widget_tokens::NewWidgetToken as NewToken;
use super::State;
use crate::error::AppResult;
use crate::services::widget_tokens::{self, MintedToken, TokenKind, WidgetTokenView};
use crate::store::db;

/// Mints a SCIM token for a provisioning client (admin): `{id, name, token, created_at}`, the
/// token shown this once.
#[utoipa::path(post, operation_id = "scim_tokens_create", path = "/api/v1/admin/scim-tokens", tag = "integrations", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = MintedToken, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<NewToken>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let (actor, name) = (caller.email.to_string(), body.into_inner().name);
    let minted = db::run(&state.pool, move |conn| {
        widget_tokens::mint_kind(conn, &actor, &name, TokenKind::Scim)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/admin/scim-tokens/{}", minted.info.id),
        ))
        .json(minted))
}

/// Every SCIM token, revoked ones included, newest first (admin).
#[utoipa::path(get, operation_id = "scim_tokens_list", path = "/api/v1/admin/scim-tokens", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = Page<WidgetTokenView>), ReadProblems))]
pub async fn list(state: State, caller: Caller) -> AppResult<JsonOut<Page<WidgetTokenView>>> {
    caller.require_admin()?;
    let rows = db::run(&state.pool, |conn| {
        Ok(crate::store::widget_tokens::list(conn, TokenKind::Scim.as_str())?)
    })
    .await?;
    Ok(JsonOut(Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Revokes a SCIM token at once (admin).
#[utoipa::path(delete, operation_id = "scim_tokens_revoke", path = "/api/v1/admin/scim-tokens/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "SCIM token id")),
    responses((status = 200, body = WidgetTokenView), WriteProblems))]
pub async fn revoke(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<WidgetTokenView>> {
    caller.require_admin()?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    let view = db::run(&state.pool, move |conn| {
        widget_tokens::revoke_kind(conn, &actor, &id, TokenKind::Scim)
    })
    .await?;
    Ok(JsonOut(view))
}
