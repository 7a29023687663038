//! `/settings`: what emails someone gets, whether they appear on leaderboards, and their
//! time zone. The page emails' unsubscribe links point at.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::clock::now;
use crate::domain::employee::parse_timezone;
use crate::http::pages::{render, see_other, Chrome, PageError, Viewer};
use crate::http::State;
use crate::services::preferences;
use crate::store::db;
use crate::store::employees::PreferenceChanges;

#[derive(Template)]
#[template(path = "pages/app/settings.html")]
struct SettingsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    weekly_digest: bool,
    notify_on_postcard: bool,
    show_on_leaderboard: bool,
    timezone: String,
    org_timezone: String,
    timezone_error: Option<String>,
    is_manager: bool,
    theme: &'static str,
}

impl SettingsPage {
    fn is_theme(&self, t: &str) -> bool {
        self.theme == t
    }
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: String,
}

pub async fn page(state: State, viewer: Viewer, q: web::Query<SettingsQuery>) -> Result<HttpResponse, PageError> {
    let me = viewer.caller.employee()?.clone();
    render(
        StatusCode::OK,
        &SettingsPage {
            chrome: Some(viewer.chrome("settings")),
            flash: (q.saved == "1").then(|| "Saved.".to_string()),
            weekly_digest: me.weekly_digest,
            notify_on_postcard: me.notify_on_postcard,
            show_on_leaderboard: me.show_on_leaderboard,
            timezone: me.timezone.unwrap_or_default(),
            org_timezone: state.settings.org.timezone.clone(),
            timezone_error: None,
            is_manager: viewer.is_manager,
            theme: viewer.theme,
        },
    )
}

/// A checkbox form sends only the boxes ticked: unticked means off.
#[derive(Deserialize)]
pub struct SettingsForm {
    csrf_token: String,
    #[serde(default)]
    weekly_digest: Option<String>,
    #[serde(default)]
    notify_on_postcard: Option<String>,
    #[serde(default)]
    show_on_leaderboard: Option<String>,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    theme: String,
}

pub async fn save(
    state: State,
    req: HttpRequest,
    viewer: Viewer,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&req, &form.csrf_token)?;
    let me = viewer.caller.employee()?.id.clone();
    let form = form.into_inner();
    let timezone = match parse_timezone(form.timezone.trim()) {
        Ok(tz) => tz,
        Err(m) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    chrome: Some(viewer.chrome("settings")),
                    flash: None,
                    weekly_digest: form.weekly_digest.is_some(),
                    notify_on_postcard: form.notify_on_postcard.is_some(),
                    show_on_leaderboard: form.show_on_leaderboard.is_some(),
                    timezone: form.timezone,
                    org_timezone: state.settings.org.timezone.clone(),
                    timezone_error: Some(format!(
                        "That is not a time zone we know ({m}). Use a name like Europe/London, or leave it empty."
                    )),
                    is_manager: viewer.is_manager,
                    theme: viewer.theme,
                },
            );
        }
    };
    let changes = PreferenceChanges {
        weekly_digest: Some(form.weekly_digest.is_some()),
        notify_on_postcard: Some(form.notify_on_postcard.is_some()),
        show_on_leaderboard: Some(form.show_on_leaderboard.is_some()),
        timezone: Some(timezone),
        updated_at: Some(now()),
    };
    db::run(&state.pool, move |conn| preferences::update(conn, &me, &changes)).await?;
    let theme = match form.theme.as_str() {
        "light" => "light",
        "dark" => "dark",
        _ => "system",
    };
    let mut res = see_other("/settings?saved=1");
    res.add_cookie(&crate::http::session::theme_cookie(&state, theme))
        .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("theme cookie: {e}")))?;
    Ok(res)
}
