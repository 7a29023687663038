//! Magic-link sign-in: ask for a link by email, exchange it once for an access token.

use actix_web::web::Json as JsonOut;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::Json;
use super::problem::WriteProblems;
use super::State;
use crate::domain::clock::now;
use crate::error::{AppError, AppResult};
use crate::services::sign_in::{self, SignInConfig};
use crate::store::db;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
}

/// Emails a one-time sign-in link (valid 15 minutes) to a known active employee. Always
/// 202, whoever the address belongs to; 429 after `auth.magic_links_per_hour` requests for
/// one address in an hour.
#[utoipa::path(post, operation_id = "auth_magic_link", path = "/api/v1/auth/magic-link", tag = "auth",
    request_body = MagicLinkRequest,
    responses((status = 202, description = "accepted; an email follows if the address belongs to an active employee"),
        (status = 429, description = "too many links asked for this address", content_type = "application/problem+json", body = super::problem::Problem),
        WriteProblems))]
pub async fn magic_link(state: State, body: Json<MagicLinkRequest>) -> AppResult<HttpResponse> {
    let email = body.into_inner().email;
    let settings = state.settings.clone();
    db::run(&state.pool, move |conn| {
        sign_in::request_link(conn, &SignInConfig::new(&settings, None), &email, now())
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The `magic_token` of the emailed link.
    pub magic_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessToken {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Exchanges a magic token (once) for an access token.
#[utoipa::path(post, operation_id = "auth_token", path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses((status = 200, body = AccessToken), WriteProblems))]
pub async fn token(state: State, body: Json<TokenRequest>) -> AppResult<JsonOut<AccessToken>> {
    let magic = body.into_inner().magic_token;
    let employee = db::run(&state.pool, move |conn| sign_in::exchange(conn, &magic, now())).await?;
    let email =
        crate::domain::email::Email::parse(&employee.email).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let access_token = state.keys.issue(&email, None).map_err(AppError::internal)?;
    Ok(JsonOut(AccessToken {
        access_token,
        token_type: "Bearer",
        expires_in: state.keys.default_ttl_seconds(),
    }))
}
