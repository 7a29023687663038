//! The behaviour catalogue: everyone reads, admins curate.

use actix_web::http::header;
use actix_web::web::{self, Json as JsonOut};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::json::Json;
use super::pagination::Page;
use super::problem::{ReadProblems, WriteProblems};
use super::query::parse_bool;
use super::State;
use crate::error::AppResult;
use crate::services::behaviours as service;
use crate::store::behaviours::{self, BehaviourRow};
use crate::store::db;

#[derive(Debug, Serialize, ToSchema)]
pub struct BehaviourView {
    #[schema(example = "customer-obsessed")]
    pub slug: String,
    pub title: String,
    pub description: String,
    pub active: bool,
    /// For display: `#rrggbb`, readable at 4.5:1 against white.
    #[schema(example = "#0b6e4f")]
    pub color: Option<String>,
    /// For display: one of `heart`, `star`, `ear`, `shield-check`, `sparkles`, `users`,
    /// `rocket`, `message-circle`, `trophy`, `handshake`, `lightbulb`, `smile`.
    #[schema(example = "heart")]
    pub icon: Option<String>,
}

impl From<BehaviourRow> for BehaviourView {
    fn from(r: BehaviourRow) -> Self {
        BehaviourView {
            slug: r.slug,
            title: r.title,
            description: r.description,
            active: r.active,
            color: r.color,
            icon: r.icon,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Admins only: also list archived behaviours.
    #[param(value_type = Option<bool>)]
    include_archived: Option<String>,
}

/// The behaviours postcards can be given for. The catalogue is short, so it is one page.
#[utoipa::path(get, operation_id = "behaviours_list", path = "/api/v1/behaviours", tag = "behaviours", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<BehaviourView>), ReadProblems))]
pub async fn list(state: State, caller: Caller, q: web::Query<ListQuery>) -> AppResult<JsonOut<Page<BehaviourView>>> {
    let include_archived = parse_bool("include_archived", q.include_archived.as_deref())? && caller.is_admin;
    let rows = db::run(&state.pool, move |conn| Ok(behaviours::list(conn, include_archived)?)).await?;
    Ok(JsonOut(Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBehaviour {
    #[schema(
        example = "first-call-resolution",
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 64
    )]
    pub slug: String,
    #[schema(example = "First-call resolution")]
    pub title: String,
    pub description: Option<String>,
    #[schema(example = "#0b6e4f", pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: Option<String>,
    #[schema(example = "star")]
    pub icon: Option<String>,
}

/// Adds a behaviour (admin).
#[utoipa::path(post, operation_id = "behaviours_create", path = "/api/v1/behaviours", tag = "behaviours", security(("bearer" = [])), request_body = CreateBehaviour,
    responses((status = 201, body = BehaviourView, headers(("Location" = String))), WriteProblems))]
pub async fn create(state: State, caller: Caller, body: Json<CreateBehaviour>) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let b = body.into_inner();
    let actor = caller.email.to_string();
    let row = db::run(&state.pool, move |conn| {
        let new = service::NewBehaviour {
            slug: &b.slug,
            title: &b.title,
            description: b.description.as_deref(),
            color: b.color.as_deref(),
            icon: b.icon.as_deref(),
        };
        service::create(conn, &actor, new)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/behaviours/{}", row.slug)))
        .json(BehaviourView::from(row)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBehaviour {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `false` archives the behaviour: no new postcards, old ones keep it.
    pub active: Option<bool>,
    /// `null` clears the colour.
    #[serde(default, deserialize_with = "super::json::double_option")]
    #[schema(value_type = Option<String>, nullable, pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: Option<Option<String>>,
    /// `null` clears the icon.
    #[serde(default, deserialize_with = "super::json::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub icon: Option<Option<String>>,
}

/// Edits, archives or restores a behaviour (admin).
#[utoipa::path(patch, operation_id = "behaviours_update", path = "/api/v1/behaviours/{slug}", tag = "behaviours", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = UpdateBehaviour,
    responses((status = 200, body = BehaviourView), WriteProblems))]
pub async fn update(
    state: State,
    caller: Caller,
    slug: super::path_ids::PathSlug,
    body: Json<UpdateBehaviour>,
) -> AppResult<JsonOut<BehaviourView>> {
    caller.require_admin()?;
    let b = body.into_inner();
    let actor = caller.email.to_string();
    let slug = slug.into_inner();
    let row = db::run(&state.pool, move |conn| {
        let edit = service::BehaviourEdit {
            title: b.title.as_deref(),
            description: b.description.as_deref(),
            active: b.active,
            color: b.color.as_ref().map(Option::as_deref),
            icon: b.icon.as_ref().map(Option::as_deref),
        };
        service::update(conn, &actor, &slug, edit)
    })
    .await?;
    Ok(JsonOut(row.into()))
}
