//! HTTP: routes, handlers (one file per resource), extractors and error mapping.

pub mod auth;
pub mod behaviours;
pub mod employees;
pub mod health;
pub mod json;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod problem;
pub mod query;

use std::sync::Arc;

use actix_web::web;

use crate::auth::TokenKeys;
use crate::domain::email::Email;
use crate::settings::Settings;
use crate::store::Pool;

/// Shared by every handler through `app_data`.
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub keys: Arc<TokenKeys>,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn is_configured_admin(&self, email: &Email) -> bool {
        self.settings
            .auth
            .admins
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(email.as_str()))
    }
}

pub type State = web::Data<AppState>;

/// The `/api/v1` routes.
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me").route(web::get().to(me::get_me)))
        .service(
            web::resource("/employees")
                .route(web::get().to(employees::list))
                .route(web::post().to(employees::create)),
        )
        .service(web::resource("/employees/import").route(web::post().to(employees::import)))
        .service(
            web::resource("/employees/{id}")
                .route(web::get().to(employees::get))
                .route(web::patch().to(employees::update)),
        )
        .service(
            web::resource("/behaviours")
                .route(web::get().to(behaviours::list))
                .route(web::post().to(behaviours::create)),
        )
        .service(web::resource("/behaviours/{slug}").route(web::patch().to(behaviours::update)));
}
