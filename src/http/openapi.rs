//! The served OpenAPI document (`/api-docs/openapi.json`), with Swagger UI at `/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    admin, behaviours, digests, employees, health, leaderboard, me, metrics, outbox, pagination, postcard_actions,
    postcards, preferences, problem, scim_tokens, sign_in, stats, unsubscribe, webhooks, widget_tokens, widgets,
};
use crate::error::FieldError;
use crate::services::directory::ImportReport;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Customer Champion",
        description = "Peer recognition for customer-focused behaviour: postcards, leaderboards, digests. \
Errors are application/problem+json (RFC 9457) with a stable `code`; lists take `limit` and `cursor`.",
        version = "1"
    ),
    paths(
        health::healthz, health::readyz, metrics::metrics,
        me::get_me,
        employees::list, employees::get, employees::create, employees::update, employees::import,
        behaviours::list, behaviours::create, behaviours::update,
        postcards::send, postcards::list, postcards::get,
        postcard_actions::endorse, postcard_actions::withdraw, postcard_actions::hide, postcard_actions::restore, postcard_actions::report,
        admin::audit_log, admin::export_postcards,
        preferences::get, preferences::update,
        leaderboard::board, leaderboard::departments, leaderboard::me, stats::get,
        widget_tokens::create, widget_tokens::list, widget_tokens::revoke,
        webhooks::create, webhooks::list, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::send_test, webhooks::deliveries,
        scim_tokens::create, scim_tokens::list, scim_tokens::revoke,
        sign_in::magic_link, sign_in::token,
        digests::preview, digests::run, outbox::list, unsubscribe::unsubscribe, unsubscribe::unsubscribe_one_click,
        widgets::leaderboard_widget, widgets::wall_widget,
    ),
    components(schemas(problem::Problem, FieldError, ImportReport, crate::domain::import::LineError,
        pagination::Page<employees::EmployeeView>, pagination::Page<behaviours::BehaviourView>,
        pagination::Page<crate::services::postcard_views::PostcardView>, pagination::Page<admin::AuditEntry>,
        pagination::Page<crate::services::widget_tokens::WidgetTokenView>, pagination::Page<outbox::OutboxEntry>,
        pagination::Page<crate::services::webhooks::WebhookView>)),
    modifiers(&BearerAuth),
    tags(
        (name = "directory", description = "Employees, reporting lines and the CSV import"),
        (name = "behaviours", description = "The customer-focused behaviours postcards are given for"),
        (name = "postcards", description = "Send, read and endorse Customer Champion postcards"),
        (name = "leaderboards", description = "Rankings for people and departments, and widget tokens"),
        (name = "moderation", description = "Hiding and restoring postcards, the audit log and exports (admin)"),
        (name = "auth", description = "Magic-link sign-in for people without a company identity provider"),
        (name = "email", description = "Weekly manager digests, the outbox, unsubscribe links"),
        (name = "widgets", description = "HTML pages for intranet iframes, authorised by a widget token in `?token=`"),
        (name = "integrations", description = "Webhook subscriptions and SCIM tokens (admin); the Slack, Teams and SCIM endpoints speak their own protocols and are not listed here"),
        (name = "operations", description = "Probes and metrics")
    )
)]
pub struct ApiDoc;
