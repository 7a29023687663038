//! `/admin/behaviours`: the catalogue postcards are given for. Add, edit (title,
//! description, colour, icon), reorder, archive and restore.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, csrf_in_forms, AdminViewer};
use crate::domain::looks::{ICONS, PALETTE};
use crate::error::AppError;
use crate::http::pages::{in_words, render, see_other, Chrome, PageError};
use crate::http::path_ids::PathSlug;
use crate::http::State;
use crate::services::behaviours::{self as service, BehaviourEdit, NewBehaviour};
use crate::store::behaviours::{self, BehaviourRow};
use crate::store::db;

#[derive(Template)]
#[template(path = "pages/admin/behaviours.html")]
struct BehavioursPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    behaviours: Vec<BehaviourRow>,
    palette: &'static [&'static str],
    icons: &'static [&'static str],
    /// A refused form: which one ("new" or a slug), and the problem in words.
    refused: Option<(String, String)>,
    /// What the refused "new" form held.
    draft: Draft,
}

#[derive(Default, Deserialize, Clone)]
pub struct Draft {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    color_custom: String,
    #[serde(default)]
    icon: String,
}

impl Draft {
    /// The colour asked for: the custom one when typed, else the palette's choice.
    fn color(&self) -> Option<&str> {
        [self.color_custom.trim(), self.color.trim()]
            .into_iter()
            .find(|c| !c.is_empty())
    }

    fn icon(&self) -> Option<&str> {
        Some(self.icon.trim()).filter(|i| !i.is_empty())
    }
}

impl BehavioursPage {
    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    fn in_palette(&self, color: &str) -> bool {
        color.is_empty() || self.palette.contains(&color)
    }

    fn error_for(&self, form: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|(f, _)| f == form)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct BehavioursQuery {
    done: Option<String>,
}

pub async fn page(
    state: State,
    viewer: AdminViewer,
    q: web::Query<BehavioursQuery>,
) -> Result<HttpResponse, PageError> {
    let flash = q.done.as_deref().map(|d| {
        match d {
            "added" => "Added: people can send postcards for it now.",
            "archived" => "Archived: no new postcards for it; the ones already sent keep it.",
            "restored" => "Restored: people can send postcards for it again.",
            "moved" => "Moved: the send form lists behaviours in this order.",
            _ => "Saved.",
        }
        .to_string()
    });
    show(state, viewer, flash, None, Draft::default()).await
}

async fn show(
    state: State,
    viewer: AdminViewer,
    flash: Option<String>,
    refused: Option<(String, String)>,
    draft: Draft,
) -> Result<HttpResponse, PageError> {
    let rows = db::run(&state.pool, |conn| Ok(behaviours::list(conn, true)?)).await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &BehavioursPage {
            chrome: chrome(&viewer, "behaviours"),
            flash,
            behaviours: rows,
            palette: PALETTE,
            icons: ICONS,
            refused,
            draft,
        },
    )
}

#[derive(Deserialize)]
pub struct NewForm {
    csrf_token: String,
    #[serde(flatten)]
    draft: Draft,
}

pub async fn create(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    form: web::Form<NewForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let draft = form.into_inner().draft;
    let actor = viewer.0.caller.email.to_string();
    let d = draft.clone();
    let made = db::run(&state.pool, move |conn| {
        let new = NewBehaviour {
            slug: d.slug.trim(),
            title: &d.title,
            description: Some(&d.description),
            color: d.color(),
            icon: d.icon(),
        };
        service::create(conn, &actor, new)
    })
    .await;
    match made {
        Ok(_) => Ok(see_other("/admin/behaviours?done=added")),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            show(state, viewer, None, Some(("new".into(), in_words(&e))), draft).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf_token: String,
    /// `save`, `archive` or `restore`.
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    draft: Draft,
}

pub async fn save(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    slug: PathSlug,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let slug = slug.into_inner();
    let form = form.into_inner();
    let actor = viewer.0.caller.email.to_string();
    let (target, action, d) = (slug.clone(), form.action.clone(), form.draft.clone());
    let saved = db::run(&state.pool, move |conn| {
        let edit = match action.as_str() {
            "archive" => BehaviourEdit {
                active: Some(false),
                ..BehaviourEdit::default()
            },
            "restore" => BehaviourEdit {
                active: Some(true),
                ..BehaviourEdit::default()
            },
            _ => BehaviourEdit {
                title: Some(&d.title),
                description: Some(&d.description),
                active: None,
                color: Some(d.color()),
                icon: Some(d.icon()),
            },
        };
        service::update(conn, &actor, &target, edit)
    })
    .await;
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/admin/behaviours?done={}",
            match form.action.as_str() {
                "archive" => "archived",
                "restore" => "restored",
                _ => "saved",
            }
        ))),
        Err(e @ AppError::Validation { .. }) => {
            show(state, viewer, None, Some((slug, in_words(&e))), Draft::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    csrf_token: String,
    /// `up` or `down`.
    direction: String,
}

pub async fn reorder(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    slug: PathSlug,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let step = if form.direction == "up" { -1 } else { 1 };
    let (slug, actor) = (slug.into_inner(), viewer.0.caller.email.to_string());
    db::run(&state.pool, move |conn| service::reorder(conn, &actor, &slug, step)).await?;
    Ok(see_other("/admin/behaviours?done=moved"))
}

csrf_in_forms!(BehavioursPage);
