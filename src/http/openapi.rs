//! The served OpenAPI document (`/api-docs/openapi.json`), with Swagger UI at `/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{behaviours, employees, health, me, metrics, pagination, problem};
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
    ),
    components(schemas(problem::Problem, FieldError, ImportReport, crate::domain::import::LineError,
        pagination::Page<employees::EmployeeView>, pagination::Page<behaviours::BehaviourView>)),
    modifiers(&BearerAuth),
    tags(
        (name = "directory", description = "Employees, reporting lines and the CSV import"),
        (name = "behaviours", description = "The customer-focused behaviours postcards are given for"),
        (name = "operations", description = "Probes and metrics")
    )
)]
pub struct ApiDoc;
