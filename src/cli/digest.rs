//! `champion digest preview` and `champion digest run`: the weekly digest from the shell.

use crate::domain::clock::now;
use crate::services::digests::{self, DigestConfig};
use crate::settings::Settings;
use crate::startup::prepare_database;
use crate::store::db::write_tx;
use crate::store::employees;

fn failed(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Prints a manager's digest of a week: HTML, or plain text with `text`.
pub fn preview(settings: &Settings, manager: &str, week: Option<&str>, text: bool) -> anyhow::Result<()> {
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let cfg = DigestConfig::from_settings(settings);
    let email = crate::domain::email::Email::parse(manager).map_err(|e| anyhow::anyhow!("--manager: {e}"))?;
    let email = email.as_str();
    let person = employees::find_by_email(&mut conn, email)?
        .ok_or_else(|| anyhow::anyhow!("--manager: nobody in the directory has the email {email}"))?;
    let week = digests::parse_week(&cfg, week, now()).map_err(|e| anyhow::anyhow!("--week: {e}"))?;
    let rendered = digests::preview(&mut conn, &cfg, &person.id, week).map_err(failed)?;
    eprintln!("Subject: {}", rendered.subject);
    println!("{}", if text { rendered.text } else { rendered.html });
    Ok(())
}

/// Queues a week's digests (never twice) and prints what happened as JSON.
pub fn run(settings: &Settings, week: Option<&str>) -> anyhow::Result<()> {
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let cfg = DigestConfig::from_settings(settings);
    let at = now();
    let week = digests::parse_week(&cfg, week, at).map_err(|e| anyhow::anyhow!("--week: {e}"))?;
    let summary = digests::run_week(&mut conn, &cfg, week, at).map_err(failed)?;
    write_tx(&mut conn, |conn| {
        Ok(crate::store::audit::record(
            conn,
            "cli",
            "digests.run",
            ("digest", &summary.week),
            None,
            serde_json::json!({ "queued": summary.queued, "empty": summary.empty, "already_done": summary.already_done }),
        )?)
    })
    .map_err(failed)?;
    eprintln!("the outbox worker of `champion serve` sends queued digests");
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
