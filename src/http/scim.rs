//! `/scim/v2`: SCIM 2.0 for provisioning clients. It speaks SCIM, not the API's conventions:
//! `application/scim+json`, SCIM error bodies (`schemas`, `status`, `scimType`, `detail`) for
//! every error, and SCIM tokens only (`Authorization: Bearer cs_...`), which open nothing else.

use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::State;
use crate::domain::clock::now;
use crate::domain::scim::{project, ERROR, LIST_RESPONSE};
use crate::domain::scim_schema::{self, MAX_RESULTS};
use crate::error::AppError;
use crate::services::scim::{self, Listed};
use crate::services::widget_tokens::{hash, TokenKind};
use crate::store::db;

pub const CONTENT_TYPE: &str = "application/scim+json";

/// An error, as SCIM says it.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        HttpResponse::build(self.status)
            .content_type(CONTENT_TYPE)
            .body(body.to_string())
    }
}

/// A SCIM error body for an error made outside the SCIM handlers (a body too large, say).
pub fn error_response(status: StatusCode, detail: String) -> HttpResponse {
    error(status, None, detail).error_response()
}

fn error(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> ScimError {
    ScimError {
        status,
        scim_type,
        detail: detail.into(),
    }
}

const SCIM_TYPES: [&str; 10] = [
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
];

impl From<AppError> for ScimError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest { code, detail, errors } => {
                let scim_type = SCIM_TYPES
                    .iter()
                    .find(|t| **t == code)
                    .copied()
                    .unwrap_or("invalidValue");
                let detail = match errors.first() {
                    Some(f) if detail.is_empty() => format!("{}: {}", f.field, f.message),
                    _ => detail,
                };
                error(StatusCode::BAD_REQUEST, Some(scim_type), detail)
            }
            AppError::Validation { errors } => {
                let detail = errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                error(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
            }
            AppError::Rule { detail, .. } => error(StatusCode::BAD_REQUEST, Some("invalidValue"), detail),
            AppError::Conflict { detail, .. } => error(StatusCode::CONFLICT, Some("uniqueness"), detail),
            AppError::NotFound { detail } => error(StatusCode::NOT_FOUND, None, detail),
            AppError::Unauthorized { detail, .. } => error(StatusCode::UNAUTHORIZED, None, detail),
            AppError::Forbidden { detail } => error(StatusCode::FORBIDDEN, None, detail),
            AppError::PayloadTooLarge { detail } => error(StatusCode::PAYLOAD_TOO_LARGE, None, detail),
            AppError::TooManyRequests { detail, .. } => error(StatusCode::TOO_MANY_REQUESTS, Some("tooMany"), detail),
            AppError::UnsupportedMediaType { detail } => error(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, detail),
            other => {
                other.log_cause();
                error(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            }
        }
    }
}

type ScimResult = Result<HttpResponse, ScimError>;

/// The SCIM token's holder (`scim:<token name>`, the actor in the audit log).
async fn authorised(state: &State, req: &HttpRequest) -> Result<String, ScimError> {
    let refused = || {
        error(
            StatusCode::UNAUTHORIZED,
            None,
            "a SCIM token is required (Authorization: Bearer cs_...)",
        )
    };
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with("cs_"))
        .ok_or_else(refused)?;
    let lookup = hash(token);
    let found = db::run(&state.pool, move |conn| {
        Ok(crate::store::widget_tokens::find_live(
            conn,
            &lookup,
            TokenKind::Scim.as_str(),
        )?)
    })
    .await?;
    found.map(|t| format!("scim:{}", t.name)).ok_or_else(refused)
}

fn base(state: &State) -> String {
    state.settings.server.public_url.trim_end_matches('/').to_string()
}

fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .body(body.to_string())
}

fn body_json(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("the body is not JSON: {e}"),
        )
    })
}

fn list_response(listed: Listed, start: i64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": listed.total,
        "startIndex": start,
        "itemsPerPage": listed.items.len(),
        "Resources": listed.items,
    })
}

fn projected(mut resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    if let Some(m) = resource.as_object_mut() {
        project(m, attributes, excluded);
    }
    resource
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn int(name: &str, raw: Option<&str>, default: i64) -> Result<i64, ScimError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<i64>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{name} must be an integer"),
            )
        }),
    }
}

/// RFC 7644 §3.4.2.4: a `startIndex` below 1 is 1; a `count` below 0 is 0.
async fn search(state: &State, q: ListQuery) -> ScimResult {
    let start = int("startIndex", q.start_index.as_deref(), 1)?.max(1);
    let count = int("count", q.count.as_deref(), MAX_RESULTS)?.clamp(0, MAX_RESULTS);
    let (filter, base) = (q.filter.clone(), base(state));
    let listed = db::run(&state.pool, move |conn| {
        scim::list(conn, filter.as_deref(), start, count, &base)
    })
    .await?;
    let listed = Listed {
        total: listed.total,
        items: listed
            .items
            .into_iter()
            .map(|r| projected(r, q.attributes.as_deref(), q.excluded_attributes.as_deref()))
            .collect(),
    };
    Ok(scim_json(StatusCode::OK, &list_response(listed, start)))
}

pub async fn list_users(state: State, req: HttpRequest, q: web::Query<ListQuery>) -> ScimResult {
    authorised(&state, &req).await?;
    search(&state, q.into_inner()).await
}

/// `POST /Users/.search` (and `/.search`): the query in a SearchRequest body.
pub async fn search_users(state: State, req: HttpRequest, body: Bytes) -> ScimResult {
    authorised(&state, &req).await?;
    let b = body_json(&body)?;
    let joined = |k: &str| -> Option<String> {
        match b.get(k) {
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    };
    let number = |k: &str| b.get(k).map(|v| v.to_string().trim_matches('"').to_string());
    let q = ListQuery {
        filter: b.get("filter").and_then(Value::as_str).map(str::to_string),
        start_index: number("startIndex"),
        count: number("count"),
        attributes: joined("attributes"),
        excluded_attributes: joined("excludedAttributes"),
    };
    search(&state, q).await
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OneQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

pub async fn create_user(state: State, req: HttpRequest, body: Bytes) -> ScimResult {
    let actor = authorised(&state, &req).await?;
    let b = body_json(&body)?;
    let base = base(&state);
    let made = db::run(&state.pool, move |conn| scim::create(conn, &actor, &b, &base, now())).await?;
    let location = made["meta"]["location"].as_str().unwrap_or_default().to_string();
    let mut res = scim_json(StatusCode::CREATED, &made);
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

pub async fn get_user(state: State, req: HttpRequest, id: web::Path<String>, q: web::Query<OneQuery>) -> ScimResult {
    authorised(&state, &req).await?;
    let (id, base) = (id.into_inner(), base(&state));
    let user = db::run(&state.pool, move |conn| scim::get(conn, &id, &base)).await?;
    Ok(scim_json(
        StatusCode::OK,
        &projected(user, q.attributes.as_deref(), q.excluded_attributes.as_deref()),
    ))
}

pub async fn replace_user(state: State, req: HttpRequest, id: web::Path<String>, body: Bytes) -> ScimResult {
    let actor = authorised(&state, &req).await?;
    let (id, b, base) = (id.into_inner(), body_json(&body)?, base(&state));
    let user = db::run(&state.pool, move |conn| {
        scim::replace(conn, &actor, &id, &b, &base, now())
    })
    .await?;
    Ok(scim_json(StatusCode::OK, &user))
}

pub async fn patch_user(state: State, req: HttpRequest, id: web::Path<String>, body: Bytes) -> ScimResult {
    let actor = authorised(&state, &req).await?;
    let (id, b, base) = (id.into_inner(), body_json(&body)?, base(&state));
    let user = db::run(&state.pool, move |conn| {
        scim::patch(conn, &actor, &id, &b, &base, now())
    })
    .await?;
    Ok(scim_json(StatusCode::OK, &user))
}

pub async fn delete_user(state: State, req: HttpRequest, id: web::Path<String>) -> ScimResult {
    let actor = authorised(&state, &req).await?;
    let id = id.into_inner();
    db::run(&state.pool, move |conn| scim::delete(conn, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn service_provider_config(state: State, req: HttpRequest) -> ScimResult {
    authorised(&state, &req).await?;
    Ok(scim_json(
        StatusCode::OK,
        &scim_schema::service_provider_config(&base(&state)),
    ))
}

fn listed(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

pub async fn resource_types(state: State, req: HttpRequest) -> ScimResult {
    authorised(&state, &req).await?;
    Ok(scim_json(
        StatusCode::OK,
        &listed(scim_schema::resource_types(&base(&state))),
    ))
}

fn one_of(items: Vec<Value>, id: &str, what: &str) -> ScimResult {
    items
        .into_iter()
        .find(|i| i["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
        .map(|i| scim_json(StatusCode::OK, &i))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, None, format!("no {what} {id}")))
}

pub async fn resource_type(state: State, req: HttpRequest, id: web::Path<String>) -> ScimResult {
    authorised(&state, &req).await?;
    one_of(scim_schema::resource_types(&base(&state)), &id, "resource type")
}

pub async fn schemas(state: State, req: HttpRequest) -> ScimResult {
    authorised(&state, &req).await?;
    Ok(scim_json(StatusCode::OK, &listed(scim_schema::schemas(&base(&state)))))
}

pub async fn schema(state: State, req: HttpRequest, id: web::Path<String>) -> ScimResult {
    authorised(&state, &req).await?;
    one_of(scim_schema::schemas(&base(&state)), &id, "schema")
}

/// Writes to the discovery endpoints, and other methods a resource does not take.
pub async fn method_not_allowed(req: HttpRequest) -> ScimResult {
    Err(error(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{} is not allowed on {}", req.method(), req.path()),
    ))
}

pub async fn not_found(req: HttpRequest) -> ScimResult {
    Err(error(
        StatusCode::NOT_FOUND,
        None,
        format!("no SCIM resource at {}", req.path()),
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    let refuse = || web::to(method_not_allowed);
    cfg.service(
        web::resource("/ServiceProviderConfig")
            .route(web::get().to(service_provider_config))
            .default_service(refuse()),
    )
    .service(
        web::resource("/ResourceTypes")
            .route(web::get().to(resource_types))
            .default_service(refuse()),
    )
    .service(
        web::resource("/ResourceTypes/{id}")
            .route(web::get().to(resource_type))
            .default_service(refuse()),
    )
    .service(
        web::resource("/Schemas")
            .route(web::get().to(schemas))
            .default_service(refuse()),
    )
    .service(
        web::resource("/Schemas/{id:.+}")
            .route(web::get().to(schema))
            .default_service(refuse()),
    )
    .service(
        web::resource("/.search")
            .route(web::post().to(search_users))
            .default_service(refuse()),
    )
    .service(
        web::resource("/Users")
            .route(web::get().to(list_users))
            .route(web::post().to(create_user))
            .default_service(refuse()),
    )
    .service(
        web::resource("/Users/.search")
            .route(web::post().to(search_users))
            .default_service(refuse()),
    )
    .service(
        web::resource("/Users/{id}")
            .route(web::get().to(get_user))
            .route(web::put().to(replace_user))
            .route(web::patch().to(patch_user))
            .route(web::delete().to(delete_user))
            .default_service(refuse()),
    )
    .default_service(web::to(not_found));
}
