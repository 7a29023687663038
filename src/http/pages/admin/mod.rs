//! The admin console at `/admin`: server-rendered pages over the same services as the API.
//! Reads are GETs with their own URLs (filters in the query string, so reload and share
//! work); each change is a form post carrying the session's CSRF token, answered with a
//! redirect to the page it changed (`?done=` says what happened) or, when refused, the page
//! again with the problem next to what caused it.

pub mod behaviours;
pub mod digests;
pub mod directory;
pub mod integrations;
pub mod moderation;
pub mod outbox;
pub mod stats;
pub mod widgets;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{render, AdminViewer, Chrome, PageError};
use crate::http::State;
use crate::store::widget_tokens::WidgetTokenRow;
use crate::store::{db, outbox as outbox_store};

/// A form that is only a button (revoke, keep): its CSRF token.
#[derive(Deserialize)]
pub struct ButtonForm {
    csrf_token: String,
}

/// A token as the token tables show it (`token_table.html`; SCIM tokens too).
pub struct TokenLine {
    row: WidgetTokenRow,
    created: String,
    revoked: Option<String>,
}

impl From<WidgetTokenRow> for TokenLine {
    fn from(row: WidgetTokenRow) -> TokenLine {
        TokenLine {
            created: when(row.created_at),
            revoked: row.revoked_at.map(when),
            row,
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin").route(web::get().to(overview)))
        .service(web::resource("/admin/moderation").route(web::get().to(moderation::page)))
        .service(web::resource("/admin/moderation/{id}/hide").route(web::post().to(moderation::hide)))
        .service(web::resource("/admin/moderation/{id}/restore").route(web::post().to(moderation::restore)))
        .service(web::resource("/admin/moderation/{id}/keep").route(web::post().to(moderation::keep)))
        .service(web::resource("/admin/directory").route(web::get().to(directory::page)))
        .service(web::resource("/admin/directory/sample.csv").route(web::get().to(directory::sample_csv)))
        .service(
            web::resource("/admin/directory/import")
                // The CSV travels in the form: as large as the API's import takes (plus
                // the form's encoding).
                .app_data(
                    web::FormConfig::default()
                        .limit(3 * crate::http::employees::CSV_LIMIT)
                        .error_handler(super::bad_form),
                )
                .route(web::post().to(directory::import)),
        )
        .service(
            web::resource("/admin/directory/{id}")
                .route(web::get().to(directory::person))
                .route(web::post().to(directory::save)),
        )
        .service(
            web::resource("/admin/behaviours")
                .route(web::get().to(behaviours::page))
                .route(web::post().to(behaviours::create)),
        )
        .service(web::resource("/admin/behaviours/{slug}").route(web::post().to(behaviours::save)))
        .service(web::resource("/admin/behaviours/{slug}/move").route(web::post().to(behaviours::reorder)))
        .service(
            web::resource("/admin/widgets")
                .route(web::get().to(widgets::page))
                .route(web::post().to(widgets::mint)),
        )
        .service(web::resource("/admin/widgets/{id}/revoke").route(web::post().to(widgets::revoke)))
        .service(web::resource("/admin/digests").route(web::get().to(digests::page)))
        .service(web::resource("/admin/digests/run").route(web::post().to(digests::run)))
        .service(web::resource("/admin/digests/preview").route(web::get().to(digests::preview)))
        .service(web::resource("/admin/outbox").route(web::get().to(outbox::page)))
        .service(web::resource("/admin/outbox/{id}").route(web::get().to(outbox::email)))
        .service(web::resource("/admin/outbox/{id}/html").route(web::get().to(outbox::email_html)))
        .service(web::resource("/admin/integrations").route(web::get().to(integrations::page)))
        .service(web::resource("/admin/integrations/webhooks").route(web::post().to(integrations::create)))
        .service(web::resource("/admin/integrations/scim-tokens").route(web::post().to(integrations::mint_scim_token)))
        .service(
            web::resource("/admin/integrations/scim-tokens/{id}/revoke")
                .route(web::post().to(integrations::revoke_scim_token)),
        )
        .service(
            web::resource("/admin/integrations/webhooks/{id}")
                .route(web::get().to(integrations::log))
                .route(web::post().to(integrations::act)),
        )
        .service(web::resource("/admin/stats").route(web::get().to(stats::page)));
}

/// The `?done=` of a redirect after a change.
#[derive(Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

/// A moment as people read it in the console (UTC, which the page says).
pub fn when(at: NaiveDateTime) -> String {
    at.format("%-d %b %Y, %H:%M").to_string()
}

/// `self.csrf()` for a page's forms (askama templates cannot reach into `Option<Chrome>`
/// with a closure).
macro_rules! csrf_in_forms {
    ($($page:ty),*) => {$(
        impl $page {
            fn csrf(&self) -> String {
                self.chrome.as_ref().map(|c| c.csrf.clone()).unwrap_or_default()
            }
        }
    )*};
}
pub(crate) use csrf_in_forms;

pub fn chrome(viewer: &AdminViewer, section: &'static str) -> Option<Chrome> {
    Some(Chrome {
        in_console: true,
        ..viewer.0.chrome(section)
    })
}

#[derive(Template)]
#[template(path = "pages/admin/overview.html")]
struct Overview {
    chrome: Option<Chrome>,
    flash: Option<String>,
    failed_emails: i64,
    queued_emails: i64,
    reported: i64,
    log_links: bool,
}

pub async fn overview(state: State, viewer: AdminViewer) -> Result<HttpResponse, PageError> {
    let (failed, queued, reported) = db::run(&state.pool, |conn| {
        Ok((
            outbox_store::count_by_status(conn, outbox_store::FAILED)?,
            outbox_store::count_by_status(conn, outbox_store::QUEUED)?,
            crate::store::reports::count_open(conn)?,
        ))
    })
    .await?;
    render(
        StatusCode::OK,
        &Overview {
            chrome: chrome(&viewer, "overview"),
            flash: None,
            failed_emails: failed,
            queued_emails: queued,
            reported,
            log_links: state.settings.auth.log_sign_in_links,
        },
    )
}
