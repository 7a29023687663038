//! HTTP: routes, handlers (one file per resource), extractors and error mapping.

pub mod admin;
pub mod auth;
pub mod behaviours;
pub mod board_cache;
pub mod chat;
pub mod digests;
pub mod edge;
pub mod employees;
pub mod export_stream;
pub mod health;
pub mod json;
pub mod leaderboard;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod pages;
pub mod pagination;
pub mod path_ids;
pub mod postcard_actions;
pub mod postcards;
pub mod preferences;
pub mod problem;
pub mod query;
pub mod scim;
pub mod scim_tokens;
pub mod session;
pub mod sign_in;
pub mod slack;
pub mod stats;
pub mod teams;
pub mod unsubscribe;
pub mod web_app;
pub mod webhooks;
pub mod widget_page;
pub mod widget_tokens;
pub mod widgets;

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
    pub boards: board_cache::BoardCache,
    /// Ended buckets' board rows, for custom periods.
    pub board_memory: Arc<crate::boards::memory::BoardMemory>,
    pub sends: crate::services::send_queue::SendQueue,
    pub exports: export_stream::Exports,
    /// Checks webhook targets (SSRF) when subscriptions are saved.
    pub webhook_client: crate::outgoing::client::WebhookClient,
    /// Slack's Web API, when Slack is connected.
    pub slack: Option<crate::outgoing::slack_api::SlackApi>,
    /// The company's OpenID provider, when sign-in with it is configured.
    pub oidc: Option<std::sync::Arc<crate::outgoing::oidc::OidcProvider>>,
}

impl AppState {
    pub fn is_configured_admin(&self, email: &Email) -> bool {
        self.settings
            .auth
            .admins
            .iter()
            // Compared in canonical form, like every other sign-in path.
            .any(|a| Email::parse(a).is_ok_and(|a| &a == email))
    }
}

pub type State = web::Data<AppState>;

/// The `/api/v1` routes.
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/magic-link").route(web::post().to(sign_in::magic_link)))
        .service(web::resource("/auth/token").route(web::post().to(sign_in::token)))
        .service(web::resource("/digests/preview").route(web::get().to(digests::preview)))
        .service(web::resource("/admin/digests/run").route(web::post().to(digests::run)))
        .service(web::resource("/admin/outbox").route(web::get().to(outbox::list)))
        .service(web::resource("/me").route(web::get().to(me::get_me)))
        .service(
            web::resource("/me/preferences")
                .route(web::get().to(preferences::get))
                .route(web::patch().to(preferences::update)),
        )
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
        .service(web::resource("/behaviours/{slug}").route(web::patch().to(behaviours::update)))
        .service(
            web::resource("/postcards")
                .route(web::get().to(postcards::list))
                .route(web::post().to(postcards::send)),
        )
        .service(web::resource("/postcards/{id}").route(web::get().to(postcards::get)))
        .service(
            web::resource("/postcards/{id}/endorsements")
                .route(web::post().to(postcard_actions::endorse))
                .route(web::delete().to(postcard_actions::withdraw)),
        )
        .service(web::resource("/postcards/{id}/hide").route(web::post().to(postcard_actions::hide)))
        .service(web::resource("/postcards/{id}/restore").route(web::post().to(postcard_actions::restore)))
        .service(web::resource("/postcards/{id}/report").route(web::post().to(postcard_actions::report)))
        .service(web::resource("/leaderboard").route(web::get().to(leaderboard::board)))
        .service(web::resource("/leaderboard/departments").route(web::get().to(leaderboard::departments)))
        .service(web::resource("/stats").route(web::get().to(stats::get)))
        .service(web::resource("/leaderboard/me").route(web::get().to(leaderboard::me)))
        .service(
            web::resource("/admin/widget-tokens")
                .route(web::get().to(widget_tokens::list))
                .route(web::post().to(widget_tokens::create)),
        )
        .service(web::resource("/admin/widget-tokens/{id}").route(web::delete().to(widget_tokens::revoke)))
        .service(
            web::resource("/admin/scim-tokens")
                .route(web::get().to(scim_tokens::list))
                .route(web::post().to(scim_tokens::create)),
        )
        .service(web::resource("/admin/scim-tokens/{id}").route(web::delete().to(scim_tokens::revoke)))
        .service(
            web::resource("/admin/webhooks")
                .route(web::get().to(webhooks::list))
                .route(web::post().to(webhooks::create)),
        )
        .service(
            web::resource("/admin/webhooks/{id}")
                .route(web::get().to(webhooks::get))
                .route(web::patch().to(webhooks::update))
                .route(web::delete().to(webhooks::delete)),
        )
        .service(web::resource("/admin/webhooks/{id}/rotate-secret").route(web::post().to(webhooks::rotate_secret)))
        .service(web::resource("/admin/webhooks/{id}/test").route(web::post().to(webhooks::send_test)))
        .service(web::resource("/admin/webhooks/{id}/deliveries").route(web::get().to(webhooks::deliveries)))
        .service(web::resource("/admin/audit").route(web::get().to(admin::audit_log)))
        .service(web::resource("/admin/export/postcards.csv").route(web::get().to(admin::export_postcards)));
}
