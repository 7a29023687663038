//! Identifiers in paths, validated at the edge: `{id}` must be a UUID (the ids this service
//! hands out) and `{slug}` a slug. Anything else names no resource, so it is a 404 and never
//! reaches the database (a NUL or an odd byte in an id once was a 500 on Postgres).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::domain::slug::Slug;
use crate::error::AppError;

fn segment<'r>(req: &'r HttpRequest, name: &str) -> &'r str {
    req.match_info().get(name).unwrap_or_default()
}

/// `{id}`: a UUID, in the lower-case hyphenated form ids are stored in.
pub struct PathId(String);

impl PathId {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromRequest for PathId {
    type Error = AppError;
    type Future = Ready<Result<PathId, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = segment(req, "id");
        ready(
            uuid::Uuid::parse_str(raw)
                .map(|id| PathId(id.hyphenated().to_string()))
                .map_err(|_| AppError::not_found(format!("no resource has id {raw:?} (ids are UUIDs)"))),
        )
    }
}

/// `{slug}`: a behaviour's slug.
pub struct PathSlug(String);

impl PathSlug {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromRequest for PathSlug {
    type Error = AppError;
    type Future = Ready<Result<PathSlug, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = segment(req, "slug");
        ready(
            Slug::parse(raw)
                .map(|s| PathSlug(s.into_string()))
                .map_err(|_| AppError::not_found(format!("no behaviour has the slug {raw:?}"))),
        )
    }
}
