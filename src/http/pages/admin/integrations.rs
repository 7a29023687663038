//! `/admin/integrations`: whether Slack and Teams are connected (and the addresses to give
//! them), and the webhook subscriptions: made, changed, tested, their secret rotated (shown
//! once), switched off or on, deleted, and each one's delivery log.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, csrf_in_forms, when, AdminViewer, ButtonForm, Done, TokenLine};
use crate::domain::clock::now;
use crate::error::AppError;
use crate::http::pages::{in_words, render, see_other, Chrome, PageError};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::dispatch::FORMATS;
use crate::services::events::SUBSCRIBABLE;
use crate::services::webhooks::{self, DeliveryAttemptView, WebhookInput, WebhookView};
use crate::services::widget_tokens::{self, TokenKind};
use crate::store::db;

#[derive(Template)]
#[template(path = "pages/admin/integrations.html")]
struct IntegrationsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    base: String,
    slack: bool,
    slack_channel: Option<String>,
    teams: bool,
    hooks: Vec<WebhookView>,
    /// A secret just made or rotated: (the subscription's URL, the secret), shown this once.
    secret: Option<(String, String)>,
    form: NewHookForm,
    form_error: Option<String>,
    events: &'static [&'static str],
    formats: &'static [&'static str],
    /// The OpenID provider's issuer, and whether it has answered.
    oidc: Option<(String, bool)>,
    scim_tokens: Vec<TokenLine>,
    /// A SCIM token just minted: (its name, the token), shown this once.
    minted: Option<(String, String)>,
}

impl IntegrationsPage {
    fn chosen(&self, event: &&str) -> bool {
        self.form.events.iter().any(|e| e == event) || (self.form.events.is_empty() && *event == "postcard.created")
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct NewHookForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    format: String,
    /// Checkboxes: each ticked event once.
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    include_private: Option<String>,
}

fn flash_of(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "tested" => "A test event is on its way; its attempt shows in the log in a moment.",
        "on" => "Switched on: new events are delivered again.",
        "off" => "Switched off: nothing is sent until you switch it on.",
        "deleted" => "Deleted. Deliveries still waiting were cancelled.",
        "revoked" => "Revoked: the provisioning client using that token is refused from now on.",
        _ => return None,
    };
    Some(text.to_string())
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<Done>) -> Result<HttpResponse, PageError> {
    let flash = flash_of(q.done.as_deref());
    show(state, viewer, flash, None, NewHookForm::default(), None, StatusCode::OK).await
}

/// What the page shows besides its forms: a secret or token made just now, a message.
#[derive(Default)]
struct Shown {
    secret: Option<(String, String)>,
    minted: Option<(String, String)>,
}

async fn show(
    state: State,
    viewer: AdminViewer,
    flash: Option<String>,
    secret: Option<(String, String)>,
    form: NewHookForm,
    form_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    show_all(
        state,
        viewer,
        flash,
        Shown { secret, minted: None },
        form,
        form_error,
        status,
    )
    .await
}

async fn show_all(
    state: State,
    viewer: AdminViewer,
    flash: Option<String>,
    shown: Shown,
    form: NewHookForm,
    form_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (hooks, tokens) = db::run(&state.pool, |conn| {
        Ok((
            webhooks::list(conn)?,
            crate::store::widget_tokens::list(conn, TokenKind::Scim.as_str())?,
        ))
    })
    .await?;
    let scim_tokens = tokens.into_iter().map(TokenLine::from).collect();
    let s = &state.settings;
    render(
        status,
        &IntegrationsPage {
            chrome: chrome(&viewer, "integrations"),
            flash,
            base: s.server.public_url.trim_end_matches('/').to_string(),
            slack: s.slack.connected().is_some(),
            slack_channel: s.slack.announce_channel.clone(),
            teams: s.teams.outgoing_secret.is_some(),
            hooks,
            secret: shown.secret,
            form,
            form_error,
            events: &SUBSCRIBABLE,
            formats: &FORMATS,
            oidc: state
                .oidc
                .as_ref()
                .map(|p| (s.oidc.issuer_url.clone().unwrap_or_default(), p.current().is_some())),
            scim_tokens,
            minted: shown.minted,
        },
    )
}

/// Reads the form's body by hand: checkboxes repeat `events=`, which `web::Form` cannot.
fn read_form(body: &[u8]) -> NewHookForm {
    let mut f = NewHookForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "csrf_token" => f.csrf_token = v.into_owned(),
            "url" => f.url = v.into_owned(),
            "description" => f.description = v.into_owned(),
            "format" => f.format = v.into_owned(),
            "events" => f.events.push(v.into_owned()),
            "include_private" => f.include_private = Some(v.into_owned()),
            _ => {}
        }
    }
    f
}

/// Makes a subscription; the page answered shows its secret, once.
pub async fn create(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = read_form(&body);
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let input = WebhookInput {
        url: Some(form.url.clone()),
        events: Some(form.events.clone()),
        format: Some(form.format.clone()).filter(|f| !f.is_empty()),
        description: Some(form.description.clone()),
        active: Some(true),
        include_private: Some(form.include_private.is_some()),
    };
    let refused = |e: AppError| in_words(&e);
    let outcome = state
        .webhook_client
        .check_target(&form.url)
        .await
        .map_err(|m| format!("URL: {m}."));
    let made = match outcome {
        Err(why) => Err(why),
        Ok(()) => {
            let actor = viewer.0.caller.email.to_string();
            db::run(&state.pool, move |conn| webhooks::create(conn, &actor, &input, now()))
                .await
                .map_err(|e| match e {
                    e @ (AppError::Validation { .. } | AppError::Rule { .. }) => refused(e),
                    other => format!("{other}"),
                })
        }
    };
    match made {
        Ok(m) => {
            let shown = Some((m.webhook.url.clone(), m.secret));
            show(state, viewer, None, shown, NewHookForm::default(), None, StatusCode::OK).await
        }
        Err(why) => {
            show(
                state,
                viewer,
                None,
                None,
                form,
                Some(why),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf_token: String,
    action: String,
}

/// One subscription's buttons: test, rotate, switch off or on, delete.
pub async fn act(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, id) = (viewer.0.caller.email.to_string(), id.into_inner());
    let action = form.action.clone();
    match action.as_str() {
        "rotate" => {
            let rotated = db::run(&state.pool, move |conn| {
                webhooks::rotate_secret(conn, &actor, &id, now())
            })
            .await?;
            let shown = Some((rotated.webhook.url.clone(), rotated.secret));
            show(state, viewer, None, shown, NewHookForm::default(), None, StatusCode::OK).await
        }
        "test" => {
            db::run(&state.pool, move |conn| webhooks::send_test(conn, &id, now())).await?;
            Ok(see_other("/admin/integrations?done=tested"))
        }
        "on" | "off" => {
            let input = WebhookInput {
                active: Some(action == "on"),
                ..WebhookInput::default()
            };
            db::run(&state.pool, move |conn| {
                webhooks::update(conn, &actor, &id, &input, now())
            })
            .await?;
            Ok(see_other(&format!("/admin/integrations?done={action}")))
        }
        "delete" => {
            db::run(&state.pool, move |conn| webhooks::delete(conn, &actor, &id)).await?;
            Ok(see_other("/admin/integrations?done=deleted"))
        }
        other => {
            Err(AppError::validation("action", format!("{other:?} is not test, rotate, on, off or delete")).into())
        }
    }
}

struct AttemptLine {
    a: DeliveryAttemptView,
    at: String,
}

#[derive(Template)]
#[template(path = "pages/admin/webhook_log.html")]
struct LogPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    hook: WebhookView,
    lines: Vec<AttemptLine>,
}

/// A subscription's latest delivery attempts.
pub async fn log(state: State, viewer: AdminViewer, id: PathId) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (hook, attempts) = db::run(&state.pool, move |conn| {
        Ok((webhooks::get(conn, &id)?, webhooks::attempts(conn, &id, 100)?))
    })
    .await?;
    let lines = attempts
        .into_iter()
        .map(|a| AttemptLine {
            at: when(a.created_at.naive_utc()),
            a,
        })
        .collect();
    render(
        StatusCode::OK,
        &LogPage {
            chrome: chrome(&viewer, "integrations"),
            flash: None,
            hook,
            lines,
        },
    )
}

#[derive(Deserialize)]
pub struct MintForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
}

/// Mints a SCIM token; the page answered shows it, once.
pub async fn mint_scim_token(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    form: web::Form<MintForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, name) = (viewer.0.caller.email.to_string(), form.name.clone());
    let minted = db::run(&state.pool, move |conn| {
        widget_tokens::mint_kind(conn, &actor, &name, TokenKind::Scim)
    })
    .await;
    match minted {
        Ok(m) => {
            let shown = Shown {
                secret: None,
                minted: Some((m.info.name, m.token)),
            };
            show_all(state, viewer, None, shown, NewHookForm::default(), None, StatusCode::OK).await
        }
        Err(AppError::Validation { .. }) => {
            let why = "Name the token after the provisioning client, like “Okta”.".to_string();
            show_all(
                state,
                viewer,
                Some(why),
                Shown::default(),
                NewHookForm::default(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_scim_token(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<ButtonForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, id) = (viewer.0.caller.email.to_string(), id.into_inner());
    db::run(&state.pool, move |conn| {
        widget_tokens::revoke_kind(conn, &actor, &id, TokenKind::Scim)
    })
    .await?;
    Ok(see_other("/admin/integrations?done=revoked"))
}

csrf_in_forms!(IntegrationsPage);
