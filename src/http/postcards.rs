//! Postcards: send (with `Idempotency-Key`), the feed, and one postcard.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Json as JsonOut};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, VerifiedToken};
use super::json::Json;
use super::pagination::{decode_time_cursor, encode_time_cursor, page, parse_limit, Page};
use super::problem::{ReadProblems, WriteProblems};
use super::query::{non_empty, parse_bool, parse_instant};
use super::State;
use crate::domain::postcard::Visibility;
use crate::error::{AppError, AppResult};
use crate::services::idempotency::{self, StoredResponse};
use crate::services::postcard_views::{self, Looker, PostcardView};
use crate::services::postcards::{self, SendInput};
use crate::services::send_queue::{Request, Sent};
use crate::store::db;
use crate::store::postcards::FeedFilter;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[schema(example = "Acme Ltd")]
    pub name: String,
    #[schema(example = "She fixed it before I had finished explaining.")]
    pub quote: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendPostcard {
    /// Employee ids, 1 to `rules.max_recipients` (default 5), nobody twice, not yourself.
    #[schema(min_items = 1, example = json!(["0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"]))]
    pub recipients: Vec<String>,
    /// The slug of an active behaviour.
    #[schema(example = "above-and-beyond")]
    pub behaviour: String,
    /// The story, 1 to `rules.message_max_chars` (default 2000) characters after trimming.
    #[schema(example = "Stayed on the phone with Acme until their payroll ran.")]
    pub message: String,
    pub customer: Option<CustomerInput>,
    /// `public` (default) or `private`.
    pub visibility: Option<Visibility>,
}

impl SendPostcard {
    /// What tells a retry from a different request: the digest of the parsed body, so key
    /// order and spacing do not matter.
    pub fn fingerprint(&self) -> AppResult<String> {
        let canonical = serde_json::to_string(self).map_err(AppError::internal)?;
        Ok(idempotency::request_hash(&canonical))
    }
}

fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bad = |message: String| AppError::BadRequest {
        code: "invalid_header",
        detail: format!("header `Idempotency-Key` {message}"),
        errors: vec![crate::error::FieldError::new("Idempotency-Key", message)],
    };
    let text = value.to_str().map_err(|_| bad("must be visible ASCII".into()))?;
    idempotency::parse_key(text).map(Some).map_err(bad)
}

fn replay(r: StoredResponse) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(r.status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type("application/json")
        .insert_header(("idempotency-replayed", HeaderValue::from_static("true")));
    if let Some(location) = r.location {
        res.insert_header((header::LOCATION, location));
    }
    res.body(r.body)
}

/// Sends a postcard. With an `Idempotency-Key`, a retry with the same body replays the first
/// answer (marked `Idempotency-Replayed: true`), another body with the key is 422
/// `idempotency_key_reused`, and a retry racing the first request is 409 `idempotency_in_flight`.
#[utoipa::path(post, operation_id = "postcards_send", path = "/api/v1/postcards", tag = "postcards", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters; kept 24 hours, per caller")),
    request_body = SendPostcard,
    responses((status = 201, body = PostcardView, headers(("Location" = String))), WriteProblems))]
pub async fn send(
    state: State,
    token: VerifiedToken,
    req: HttpRequest,
    body: Json<SendPostcard>,
) -> AppResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let body = body.into_inner();
    let hash = body.fingerprint()?;
    let input = SendInput {
        recipients: body.recipients.into_iter().map(|r| r.trim().to_string()).collect(),
        behaviour: body.behaviour,
        message: body.message,
        customer: body.customer.map(|c| (c.name, c.quote)),
        visibility: body.visibility.unwrap_or(Visibility::Public),
    };
    let email = token.email.as_str().to_string();
    let request = Request {
        email,
        resolve: Box::new(move |employee| Ok(token.resolve(employee)?.employee()?.clone())),
        input,
        key: key.map(|k| (k, hash)),
    };
    match state.sends.send(request).await? {
        Sent::Created(view) => {
            let mut res = HttpResponse::Created()
                .insert_header((header::LOCATION, postcards::location(&view.id)))
                .json(*view);
            res.extensions_mut().insert(super::edge::BoardRowsLaid);
            Ok(res)
        }
        Sent::Replay(stored) => Ok(replay(stored)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FeedQuery {
    /// Postcards this employee (id) received.
    recipient: Option<String>,
    /// Postcards this employee (id) sent.
    sender: Option<String>,
    /// A behaviour slug.
    behaviour: Option<String>,
    /// Postcards received by someone in this department.
    department: Option<String>,
    /// From this date (local midnight in `org.timezone`) or RFC 3339 timestamp on.
    since: Option<String>,
    /// Admins only: also list hidden postcards.
    #[param(value_type = Option<bool>)]
    include_hidden: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    cursor: Option<String>,
}

/// The feed, newest first, holding only what the caller may see: public postcards, private
/// ones they sent, received or that their reports received; hidden ones only for admins who ask.
#[utoipa::path(get, operation_id = "postcards_list", path = "/api/v1/postcards", tag = "postcards", security(("bearer" = [])), params(FeedQuery),
    responses((status = 200, body = Page<PostcardView>), ReadProblems))]
pub async fn list(state: State, caller: Caller, q: web::Query<FeedQuery>) -> AppResult<JsonOut<Page<PostcardView>>> {
    let q = q.into_inner();
    let limit = parse_limit(q.limit.as_deref())?;
    let include_hidden = parse_bool("include_hidden", q.include_hidden.as_deref())?;
    let filter = FeedFilter {
        since: parse_instant("since", q.since.as_deref(), state.settings.org_timezone())?,
        before: decode_time_cursor(q.cursor.as_deref())?,
        recipient: non_empty(q.recipient),
        sender: non_empty(q.sender),
        behaviour: non_empty(q.behaviour),
        department: non_empty(q.department),
        limit: limit + 1,
        ..FeedFilter::default()
    };
    let me = caller.employee.as_ref().map(|e| e.id.clone());
    let is_admin = caller.is_admin;
    let rows = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: me.as_deref(),
            is_admin,
        };
        postcards::feed(conn, looker, include_hidden, &filter)
    })
    .await?;
    Ok(JsonOut(page(
        rows,
        limit,
        |(r, _)| encode_time_cursor(&r.created_at, &r.id),
        |(_, v)| v,
    )))
}

/// One postcard; 404 when it does not exist for the caller (private to others, or hidden).
#[utoipa::path(get, operation_id = "postcards_get", path = "/api/v1/postcards/{id}", tag = "postcards", security(("bearer" = [])),
    params(("id" = String, Path, description = "postcard id")),
    responses((status = 200, body = PostcardView), ReadProblems))]
pub async fn get(state: State, caller: Caller, id: super::path_ids::PathId) -> AppResult<JsonOut<PostcardView>> {
    let id = id.into_inner();
    let me = caller.employee.as_ref().map(|e| e.id.clone());
    let is_admin = caller.is_admin;
    let view = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: me.as_deref(),
            is_admin,
        };
        postcard_views::visible(conn, &id, looker).map(|(_, v)| v)
    })
    .await?;
    Ok(JsonOut(view))
}
