//! Keeping the leaderboard totals in step with postcards: every write path calls in here
//! inside its own transaction. `services::recount` proves they are right.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Weekday};
use chrono_tz::Tz;

use crate::domain::buckets::keys_for;
use crate::domain::period::local_date;
use crate::error::AppResult;
use crate::settings::Settings;
use crate::store::board::{self, Contribution, Standing, Weights};
use crate::store::postcards::{self, PostcardRow};
use crate::store::DbConnection;

/// Where postcards fall (timezone, week start) and what they are worth.
#[derive(Debug, Clone, Copy)]
pub struct BoardConfig {
    pub timezone: Tz,
    pub week_starts: Weekday,
    pub weights: Weights,
}

impl BoardConfig {
    pub fn from_settings(s: &Settings) -> BoardConfig {
        BoardConfig {
            timezone: s.org_timezone(),
            week_starts: s.week_starts(),
            weights: Weights {
                postcard: s.scoring.postcard,
                endorsement: s.scoring.endorsement,
            },
        }
    }

    pub fn keys(&self, created_at: NaiveDateTime) -> [String; 6] {
        keys_for(local_date(created_at, self.timezone), self.week_starts)
    }
}

fn recipients_of(conn: &mut DbConnection, postcard_id: &str) -> AppResult<Vec<String>> {
    Ok(postcards::recipients_of(conn, &[postcard_id.to_string()])?
        .into_iter()
        .map(|r| r.recipient_id)
        .collect())
}

/// What a postcard, as stored now, is worth on the boards of its buckets.
fn contribution<'a>(row: &'a PostcardRow, keys: &'a [String], recipients: &'a [String]) -> Contribution<'a> {
    Contribution {
        keys,
        behaviour: &row.behaviour,
        sender_id: &row.sender_id,
        recipients,
        endorsements: row.endorsement_count,
    }
}

/// Adds (`sign = 1`, sent or restored) or removes (`-1`, hidden) a postcard from the boards.
pub fn on_postcard(conn: &mut DbConnection, row: &PostcardRow, cfg: &BoardConfig, sign: i32) -> AppResult<()> {
    let keys = cfg.keys(row.created_at);
    let recipients = recipients_of(conn, &row.id)?;
    let c = contribution(row, &keys, &recipients);
    Ok(board::apply_postcard(conn, &c, sign, cfg.weights)?)
}

/// A postcard just sent, whose recipients the caller already knows.
pub fn on_new_postcard(
    conn: &mut DbConnection,
    row: &PostcardRow,
    recipients: &[String],
    standings: &HashMap<String, Standing>,
    cfg: &BoardConfig,
) -> AppResult<()> {
    let keys = cfg.keys(row.created_at);
    let c = contribution(row, &keys, recipients);
    Ok(board::apply_postcard_with(conn, &c, 1, cfg.weights, standings)?)
}

/// An endorsement added or withdrawn; hidden postcards are not on the boards.
pub fn on_endorsement(conn: &mut DbConnection, row: &PostcardRow, cfg: &BoardConfig, sign: i32) -> AppResult<()> {
    if row.hidden {
        return Ok(());
    }
    let keys = cfg.keys(row.created_at);
    let recipients = recipients_of(conn, &row.id)?;
    let c = contribution(row, &keys, &recipients);
    Ok(board::apply_endorsement(conn, &c, sign, cfg.weights)?)
}
