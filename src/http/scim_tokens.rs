//! Admin management of SCIM tokens: mint (shown once), list, revoke. A SCIM token opens
//! `/scim/v2` and nothing else; nothing else opens `/scim/v2`.

use actix_web::web::Json as JsonOut;
use actix_web::HttpResponse;

use super::auth::Caller;
use super::json::Json;
use super::pagination::Page;
use super::problem::{ReadProblems, WriteProblems};
use super::widget_tokens::{list_of, mint_of, revoke_of, NewWidgetToken as NewToken};
use super::State;
use crate::error::AppResult;
use crate::services::widget_tokens::{MintedToken, TokenKind, WidgetTokenView};

/// Mints a SCIM token for a provisioning client (admin): `{id, name, token, created_at}`, the
/// token shown this once.
#[utoipa::path(post, operation_id = "scim_tokens_create", path = "/api/v1/admin/scim-tokens", tag = "integrations", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = MintedToken, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<NewToken>) -> AppResult<HttpResponse> {
    mint_of(state, caller, body, TokenKind::Scim, "/api/v1/admin/scim-tokens").await
}

/// Every SCIM token, revoked ones included, newest first (admin).
#[utoipa::path(get, operation_id = "scim_tokens_list", path = "/api/v1/admin/scim-tokens", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = Page<WidgetTokenView>), ReadProblems))]
pub async fn list(state: State, caller: Caller) -> AppResult<JsonOut<Page<WidgetTokenView>>> {
    list_of(state, caller, TokenKind::Scim).await
}

/// Revokes a SCIM token at once (admin).
#[utoipa::path(delete, operation_id = "scim_tokens_revoke", path = "/api/v1/admin/scim-tokens/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "SCIM token id")),
    responses((status = 200, body = WidgetTokenView), WriteProblems))]
pub async fn revoke(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<WidgetTokenView>> {
    revoke_of(state, caller, id, TokenKind::Scim).await
}
