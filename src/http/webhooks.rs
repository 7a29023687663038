//! Admin management of webhook subscriptions: create (answering the secret once), list,
//! read, change, delete, rotate the secret, send a test event, and read the delivery log.
//! A target is checked (it must not resolve to a private address) whenever its URL is saved.

use actix_web::http::header;
use actix_web::web::{self, Json as JsonOut};
use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::Json;
use super::pagination::{parse_limit, Page};
use super::path_ids::PathId;
use super::problem::{ReadProblems, WriteProblems};
use super::State;
use crate::domain::clock::now;
use crate::error::{AppError, AppResult};
use crate::services::webhooks::{self, DeliveryAttemptView, WebhookInput, WebhookView, WebhookWithSecret};
use crate::store::db;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: http(s), not a loopback, private or metadata address.
    #[schema(example = "https://hooks.example.com/champion")]
    pub url: String,
    /// `postcard.created`, `postcard.endorsed`, `postcard.hidden`, `postcard.restored`,
    /// `digest.sent`, `employee.created`, `employee.updated`.
    #[schema(example = json!(["postcard.created"]))]
    pub events: Vec<String>,
    /// `standard` (default), `slack` or `teams`.
    pub format: Option<String>,
    pub description: Option<String>,
    /// Default true.
    pub active: Option<bool>,
    /// `standard` only; default false.
    pub include_private: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub description: Option<String>,
    /// `true` switches a subscription the service disabled back on.
    pub active: Option<bool>,
    pub include_private: Option<bool>,
}

/// The target's address must be allowed now (it is checked again at every delivery).
async fn check_target(state: &State, url: Option<&str>) -> AppResult<()> {
    match url {
        Some(u) => state
            .webhook_client
            .check_target(u)
            .await
            .map_err(|m| AppError::validation("url", m)),
        None => Ok(()),
    }
}

/// Creates a subscription (admin). The answer carries its `secret`, shown this once.
#[utoipa::path(post, operation_id = "webhooks_create", path = "/api/v1/admin/webhooks", tag = "integrations", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<NewWebhook>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let b = body.into_inner();
    let input = WebhookInput {
        url: Some(b.url),
        events: Some(b.events),
        format: b.format,
        description: b.description,
        active: b.active,
        include_private: b.include_private,
    };
    check_target(&state, input.url.as_deref()).await?;
    let actor = caller.email.to_string();
    let made = db::run(&state.pool, move |conn| webhooks::create(conn, &actor, &input, now())).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/admin/webhooks/{}", made.webhook.id)))
        .json(made))
}

/// Every subscription, newest first (admin). Secrets are never listed.
#[utoipa::path(get, operation_id = "webhooks_list", path = "/api/v1/admin/webhooks", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = Page<WebhookView>), ReadProblems))]
pub async fn list(state: State, caller: Caller) -> AppResult<JsonOut<Page<WebhookView>>> {
    caller.require_admin()?;
    let items = db::run(&state.pool, webhooks::list).await?;
    Ok(JsonOut(Page {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, operation_id = "webhooks_get", path = "/api/v1/admin/webhooks/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id")),
    responses((status = 200, body = WebhookView), ReadProblems))]
pub async fn get(state: State, caller: Caller, id: PathId) -> AppResult<JsonOut<WebhookView>> {
    caller.require_admin()?;
    let id = id.into_inner();
    Ok(JsonOut(
        db::run(&state.pool, move |conn| webhooks::get(conn, &id)).await?,
    ))
}

/// Changes a subscription (admin); `active: true` switches a disabled one back on.
#[utoipa::path(patch, operation_id = "webhooks_update", path = "/api/v1/admin/webhooks/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id")), request_body = WebhookPatch,
    responses((status = 200, body = WebhookView), WriteProblems))]
pub async fn update(
    state: State,
    caller: Caller,
    id: PathId,
    body: Json<WebhookPatch>,
) -> AppResult<JsonOut<WebhookView>> {
    caller.require_admin()?;
    let b = body.into_inner();
    let input = WebhookInput {
        url: b.url,
        events: b.events,
        format: b.format,
        description: b.description,
        active: b.active,
        include_private: b.include_private,
    };
    check_target(&state, input.url.as_deref()).await?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    let view = db::run(&state.pool, move |conn| {
        webhooks::update(conn, &actor, &id, &input, now())
    })
    .await?;
    Ok(JsonOut(view))
}

/// Deletes a subscription (admin); deliveries still waiting are cancelled.
#[utoipa::path(delete, operation_id = "webhooks_delete", path = "/api/v1/admin/webhooks/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id")),
    responses((status = 204, description = "deleted"), WriteProblems))]
pub async fn delete(state: State, caller: Caller, id: PathId) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    db::run(&state.pool, move |conn| webhooks::delete(conn, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret (admin), answered this once; the old one stops signing at once.
#[utoipa::path(post, operation_id = "webhooks_rotate_secret", path = "/api/v1/admin/webhooks/{id}/rotate-secret", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id")),
    responses((status = 200, body = WebhookWithSecret), WriteProblems))]
pub async fn rotate_secret(state: State, caller: Caller, id: PathId) -> AppResult<JsonOut<WebhookWithSecret>> {
    caller.require_admin()?;
    let (actor, id) = (caller.email.to_string(), id.into_inner());
    Ok(JsonOut(
        db::run(&state.pool, move |conn| {
            webhooks::rotate_secret(conn, &actor, &id, now())
        })
        .await?,
    ))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct TestQueued {
    /// The delivery's `webhook-id`; its attempts appear in the delivery log.
    pub delivery_id: String,
}

/// Queues a `webhook.test` event to the subscription (admin).
#[utoipa::path(post, operation_id = "webhooks_test", path = "/api/v1/admin/webhooks/{id}/test", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id")),
    responses((status = 202, body = TestQueued), WriteProblems))]
pub async fn send_test(state: State, caller: Caller, id: PathId) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let id = id.into_inner();
    let delivery_id = db::run(&state.pool, move |conn| webhooks::send_test(conn, &id, now())).await?;
    Ok(HttpResponse::Accepted().json(TestQueued { delivery_id }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DeliveryLog {
    pub items: Vec<DeliveryAttemptView>,
}

/// The latest delivery attempts, newest first (admin).
#[utoipa::path(get, operation_id = "webhooks_deliveries", path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "integrations", security(("bearer" = [])),
    params(("id" = String, Path, description = "subscription id"), DeliveriesQuery),
    responses((status = 200, body = DeliveryLog), ReadProblems))]
pub async fn deliveries(
    state: State,
    caller: Caller,
    id: PathId,
    q: web::Query<DeliveriesQuery>,
) -> AppResult<JsonOut<DeliveryLog>> {
    caller.require_admin()?;
    let limit = parse_limit(q.limit.as_deref())?;
    let id = id.into_inner();
    let items = db::run(&state.pool, move |conn| webhooks::attempts(conn, &id, limit)).await?;
    Ok(JsonOut(DeliveryLog { items }))
}
