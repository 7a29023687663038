//! Curating the behaviour catalogue.

use crate::domain::clock::now;
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

#[tracing::instrument(skip_all, fields(actor = actor, slug = slug))]
pub fn create(
    conn: &mut DbConnection,
    actor: &str,
    slug: &str,
    title: &str,
    description: Option<&str>,
) -> AppResult<BehaviourRow> {
    let mut checks = Checks::new();
    let slug = checks.check("slug", Slug::parse(slug));
    let title = checks.check("title", required_line(title, TITLE_MAX));
    let description = checks.check("description", parse_description(description.unwrap_or("")));
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
pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    slug: &str,
    title: Option<&str>,
    description: Option<&str>,
    active: Option<bool>,
) -> AppResult<BehaviourRow> {
    let mut checks = Checks::new();
    let changes = BehaviourChanges {
        title: title.and_then(|t| checks.check("title", required_line(t, TITLE_MAX))),
        description: description.and_then(|d| checks.check("description", parse_description(d))),
        active,
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
