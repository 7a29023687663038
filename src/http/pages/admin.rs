//! The admin console at `/admin`.

use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
