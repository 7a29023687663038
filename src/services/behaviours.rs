//! Curating the behaviour catalogue.

use crate::domain::clock::now;
use crate::domain::looks::{parse_color, parse_icon};
use crate::domain::slug::Slug;
use crate::domain::text::{clean_multiline, required_line};
use crate::error::{AppError, AppResult, Checks};
use crate::store::behaviours::{self, BehaviourChanges, BehaviourRow};
use crate::store::{audit, db::write_tx, DbConnection};

const TITLE_MAX: usize = 80;
const DESCRIPTION_MAX: usize = 500;

fn parse_description(raw: &str) -> Result<String, String> {
    let s = clean_multiline(raw);
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(format!("must be at most {DESCRIPTION_MAX} characters"));
    }
    Ok(s)
}

pub struct NewBehaviour<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub color: Option<&'a str>,
    pub icon: Option<&'a str>,
}

/// A change to a behaviour: `None` leaves a field alone; `Some(None)` clears a colour or icon.
#[derive(Default)]
pub struct BehaviourEdit<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub active: Option<bool>,
    pub color: Option<Option<&'a str>>,
    pub icon: Option<Option<&'a str>>,
}

#[tracing::instrument(skip_all, fields(actor = actor, slug = new.slug))]
pub fn create(conn: &mut DbConnection, actor: &str, new: NewBehaviour) -> AppResult<BehaviourRow> {
    let mut checks = Checks::new();
    let slug = checks.check("slug", Slug::parse(new.slug));
    let title = checks.check("title", required_line(new.title, TITLE_MAX));
    let description = checks.check("description", parse_description(new.description.unwrap_or("")));
    let color = new.color.and_then(|c| checks.check("color", parse_color(c)));
    let icon = new.icon.and_then(|i| checks.check("icon", parse_icon(i)));
    checks.finish()?;
    let (Some(slug), Some(title), Some(description)) = (slug, title, description) else {
        return Err(AppError::internal(anyhow::anyhow!("checked fields missing")));
    };
    write_tx(conn, |conn| {
        if behaviours::find(conn, slug.as_str())?.is_some() {
            return Err(AppError::Conflict {
                code: "slug_taken",
                detail: format!("behaviour {:?} already exists", slug.as_str()),
            });
        }
        let row = BehaviourRow {
            slug: slug.as_str().to_string(),
            title: title.clone(),
            description: description.clone(),
            active: true,
            position: behaviours::next_position(conn)?,
            created_at: now(),
            updated_at: now(),
            color: color.clone(),
            icon: icon.clone(),
        };
        behaviours::insert(conn, &row)?;
        audit::record(
            conn,
            actor,
            "behaviour.create",
            ("behaviour", &row.slug),
            None,
            serde_json::json!({}),
        )?;
        Ok(row)
    })
}

#[tracing::instrument(skip_all, fields(actor = actor, slug = slug))]
pub fn update(conn: &mut DbConnection, actor: &str, slug: &str, edit: BehaviourEdit) -> AppResult<BehaviourRow> {
    let mut checks = Checks::new();
    let active = edit.active;
    let changes = BehaviourChanges {
        title: edit
            .title
            .and_then(|t| checks.check("title", required_line(t, TITLE_MAX))),
        description: edit
            .description
            .and_then(|d| checks.check("description", parse_description(d))),
        active,
        position: None,
        color: match edit.color {
            Some(Some(c)) => checks.check("color", parse_color(c)).map(Some),
            Some(None) => Some(None),
            None => None,
        },
        icon: match edit.icon {
            Some(Some(i)) => checks.check("icon", parse_icon(i)).map(Some),
            Some(None) => Some(None),
            None => None,
        },
        updated_at: Some(now()),
    };
    checks.finish()?;
    write_tx(conn, |conn| {
        let not_found = || AppError::not_found(format!("no behaviour {slug:?}"));
        let before = behaviours::find(conn, slug)?.ok_or_else(not_found)?;
        behaviours::update(conn, slug, &changes)?;
        let action = match (before.active, active) {
            (true, Some(false)) => "behaviour.archive",
            (false, Some(true)) => "behaviour.restore",
            _ => "behaviour.update",
        };
        audit::record(conn, actor, action, ("behaviour", slug), None, serde_json::json!({}))?;
        behaviours::find(conn, slug)?.ok_or_else(not_found)
    })
}

/// Moves a behaviour one place up (`-1`) or down (`1`) in the catalogue's order, swapping
/// with its neighbour (the order of the send form's choices).
pub fn reorder(conn: &mut DbConnection, actor: &str, slug: &str, step: i32) -> AppResult<()> {
    write_tx(conn, |conn| {
        let all = behaviours::list(conn, true)?;
        let at = all
            .iter()
            .position(|b| b.slug == slug)
            .ok_or_else(|| AppError::not_found(format!("no behaviour {slug:?}")))?;
        let Some(other) = at.checked_add_signed(step as isize).and_then(|i| all.get(i)) else {
            return Ok(());
        };
        // Positions may repeat (older catalogues): renumber in the current order, swapped.
        let mut order: Vec<&str> = all.iter().map(|b| b.slug.as_str()).collect();
        let other_at = order.iter().position(|s| *s == other.slug).unwrap_or(at);
        order.swap(at, other_at);
        for (i, s) in order.iter().enumerate() {
            let changes = BehaviourChanges {
                position: Some(i as i32 + 1),
                ..BehaviourChanges::default()
            };
            behaviours::update(conn, s, &changes)?;
        }
        audit::record(
            conn,
            actor,
            "behaviour.reorder",
            ("behaviour", slug),
            None,
            serde_json::json!({"step": step}),
        )?;
        Ok(())
    })
}
