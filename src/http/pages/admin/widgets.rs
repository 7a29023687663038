//! `/admin/widgets`: widget tokens (minted and shown once, revoked with a confirmation) and
//! an embed-code builder with a live preview. The builder is a GET form, so it works
//! without script; `pages.js` rebuilds the snippet and the preview as options change.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, csrf_in_forms, AdminViewer, ButtonForm, TokenLine};
use crate::error::AppError;
use crate::http::pages::{encode, in_words, render, see_other, Chrome, PageError};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::widget_tokens::{self, TokenKind};
use crate::store::db;

#[derive(Template)]
#[template(path = "pages/admin/widgets.html")]
struct WidgetsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tokens: Vec<TokenLine>,
    /// A token just minted: shown this once.
    minted: Option<(String, String)>,
    mint_error: Option<String>,
    embed: Embed,
    /// The address widgets are served from (`server.public_url`).
    base: String,
    allowed_origins: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct Embed {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    done: String,
}

impl Embed {
    fn is_wall(&self) -> bool {
        self.kind == "wall"
    }

    /// The widget's address for these options (the wall takes no period or department).
    fn url(&self, base: &str) -> String {
        let kind = if self.is_wall() { "wall" } else { "leaderboard" };
        let mut params = vec![("token", self.token.trim())];
        if !self.is_wall() {
            params.push(("period", self.period.trim()));
            params.push(("department", self.department.trim()));
        }
        params.push(("limit", self.limit.trim()));
        params.push(("theme", self.theme.trim()));
        let query: Vec<String> = params
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("{}/widgets/{kind}?{}", base.trim_end_matches('/'), query.join("&"))
    }

    fn snippet(&self, base: &str) -> String {
        format!(
            "<iframe src=\"{}\" width=\"360\" height=\"480\" style=\"border:0\" title=\"Customer Champions\"></iframe>",
            self.url(base)
        )
    }
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<Embed>) -> Result<HttpResponse, PageError> {
    let embed = q.into_inner();
    let flash = match embed.done.as_str() {
        "revoked" => Some("Revoked: screens using that token show a sentence asking for a new one.".to_string()),
        _ => None,
    };
    show(state, viewer, flash, None, None, embed, StatusCode::OK).await
}

async fn show(
    state: State,
    viewer: AdminViewer,
    flash: Option<String>,
    minted: Option<(String, String)>,
    mint_error: Option<String>,
    embed: Embed,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let rows = db::run(&state.pool, |conn| {
        Ok(crate::store::widget_tokens::list(conn, TokenKind::Widget.as_str())?)
    })
    .await?;
    let tokens = rows.into_iter().map(TokenLine::from).collect();
    render(
        status,
        &WidgetsPage {
            chrome: chrome(&viewer, "widgets"),
            flash,
            tokens,
            minted,
            mint_error,
            embed,
            base: state.settings.server.public_url.trim_end_matches('/').to_string(),
            allowed_origins: state.settings.server.allowed_origins.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct MintForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
}

/// Mints a token and shows it on the page answered (only this once: it is not kept).
pub async fn mint(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    form: web::Form<MintForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, name) = (viewer.0.caller.email.to_string(), form.name.clone());
    let minted = db::run(&state.pool, move |conn| widget_tokens::mint(conn, &actor, &name)).await;
    match minted {
        Ok(m) => {
            let embed = Embed {
                token: m.token.clone(),
                ..Embed::default()
            };
            let shown = Some((m.info.name, m.token));
            show(state, viewer, None, shown, None, embed, StatusCode::OK).await
        }
        Err(e @ AppError::Validation { .. }) => {
            let why = if form.name.trim().is_empty() {
                "Name the token after where it will be shown, like “Lobby screen”.".to_string()
            } else {
                in_words(&e)
            };
            show(
                state,
                viewer,
                None,
                None,
                Some(why),
                Embed::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<ButtonForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, id) = (viewer.0.caller.email.to_string(), id.into_inner());
    db::run(&state.pool, move |conn| widget_tokens::revoke(conn, &actor, &id)).await?;
    Ok(see_other("/admin/widgets?done=revoked"))
}

csrf_in_forms!(WidgetsPage);
