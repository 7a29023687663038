//! Keeping the leaderboard totals in step with postcards: every write path calls in here
//! inside its own transaction. `boards::recount` proves they are right.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Weekday};
use chrono_tz::Tz;

use crate::domain::buckets::{recorded_before, Bucket};
use crate::domain::period::local_date;
use crate::error::AppResult;
use crate::settings::Settings;
use crate::store::board::{self, Contribution, LonePairs, RowAfter, Standing, Weights};
use crate::store::postcards::{self, PairRow, PostcardRow};
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

    /// The buckets a postcard sent at `created_at` counts in.
    pub fn buckets(&self, created_at: NaiveDateTime) -> [Bucket; 6] {
        Bucket::holding(local_date(created_at, self.timezone), self.week_starts)
    }
}

/// A postcard's buckets and their keys.
struct Buckets {
    of: [Bucket; 6],
    keys: [String; 6],
}

impl Buckets {
    fn at(cfg: &BoardConfig, created_at: NaiveDateTime) -> Buckets {
        let of = cfg.buckets(created_at);
        Buckets {
            of,
            keys: of.map(Bucket::key),
        }
    }
}

/// Records a change to those of these postcards' buckets that services keep in memory with versions
/// (`boards::memory`): buckets that have ended, or are about to. A postcard sent now
/// changes none of them (bar in the last minutes of a day): sends write no version row.
fn record_kept<'a>(
    conn: &mut DbConnection,
    cfg: &BoardConfig,
    postcards: impl IntoIterator<Item = &'a Buckets>,
) -> AppResult<()> {
    let before = recorded_before(crate::domain::clock::now(), cfg.timezone);
    let kept: Vec<&str> = postcards
        .into_iter()
        .flat_map(|p| p.of.iter().zip(&p.keys))
        .filter(|(b, _)| b.ends_before(before))
        .map(|(_, key)| key.as_str())
        .collect();
    Ok(board::record_changes(conn, &kept)?)
}

fn recipients_of(conn: &mut DbConnection, postcard_id: &str) -> AppResult<Vec<String>> {
    Ok(postcards::recipients_of(conn, &[postcard_id.to_string()])?
        .into_iter()
        .map(|r| r.recipient_id)
        .collect())
}

/// What a postcard, as stored now, is worth on the boards of its buckets.
fn contribution<'a>(
    row: &'a PostcardRow,
    keys: &'a [String],
    recipients: &'a [String],
    lone_pairs: &'a LonePairs<'a>,
) -> Contribution<'a> {
    Contribution {
        keys,
        behaviour: &row.behaviour,
        sender_id: &row.sender_id,
        recipients,
        endorsements: row.endorsement_count,
        lone_pairs,
    }
}

/// The buckets of a postcard (`buckets`, behaviour `behaviour`) where its sender has no
/// other visible postcard to a recipient, given every other postcard of those pairs: there
/// the sender is one unique sender more when it is sent or restored, one less when hidden.
fn lone_pairs<'a>(
    cfg: &BoardConfig,
    buckets: &'a Buckets,
    behaviour: &'a str,
    recipients: &'a [String],
    others: &[PairRow],
) -> LonePairs<'a> {
    // The other visible postcards' buckets, kind by kind.
    let others: Vec<(&str, &str, [Bucket; 6])> = others
        .iter()
        .filter(|(_, _, _, hidden)| !hidden)
        .map(|(r, b, at, _)| (r.as_str(), b.as_str(), cfg.buckets(*at)))
        .collect();
    let mut lone = LonePairs::new();
    for r in recipients {
        let theirs: Vec<&(&str, &str, [Bucket; 6])> = others.iter().filter(|o| o.0 == r.as_str()).collect();
        for (kind, key) in buckets.keys.iter().enumerate() {
            let mut in_bucket = theirs.iter().filter(|o| o.2[kind] == buckets.of[kind]).peekable();
            if in_bucket.peek().is_none() {
                lone.insert((key.as_str(), "", r.as_str()));
            }
            if !in_bucket.any(|o| o.1 == behaviour) {
                lone.insert((key.as_str(), behaviour, r.as_str()));
            }
        }
    }
    lone
}

/// Adds (`sign = 1`, restored) or removes (`-1`, hidden) a postcard from the boards. Call
/// with its people locked (`postcards::lock_people`): the pair's other postcards must not
/// change until the transaction ends.
pub fn on_postcard(conn: &mut DbConnection, row: &PostcardRow, cfg: &BoardConfig, sign: i32) -> AppResult<()> {
    let buckets = Buckets::at(cfg, row.created_at);
    let recipients = recipients_of(conn, &row.id)?;
    let others = postcards::pair_history(conn, &row.sender_id, &recipients, &row.id)?;
    let lone = lone_pairs(cfg, &buckets, &row.behaviour, &recipients, &others);
    let c = contribution(row, &buckets.keys, &recipients, &lone);
    board::apply_postcard(conn, &c, sign, cfg.weights)?;
    record_kept(conn, cfg, [&buckets])
}

/// A postcard just sent, with its recipients and every earlier postcard of its pairs
/// (`postcards::pair_history`, plus those sent before it in the same batch).
pub struct NewPostcard<'a> {
    pub row: &'a PostcardRow,
    pub recipients: &'a [String],
    pub earlier: &'a [PairRow],
}

/// Postcards just sent, whose people's standings the caller already knows: one merged
/// board upsert for all of them. Answers the rows as they left them, for
/// `BoardMemory::apply` once committed.
pub fn on_new_postcards(
    conn: &mut DbConnection,
    cards: &[NewPostcard],
    standings: &HashMap<String, Standing>,
    cfg: &BoardConfig,
) -> AppResult<Vec<RowAfter>> {
    let buckets: Vec<Buckets> = cards.iter().map(|c| Buckets::at(cfg, c.row.created_at)).collect();
    let lone: Vec<LonePairs> = cards
        .iter()
        .zip(&buckets)
        .map(|(c, b)| lone_pairs(cfg, b, &c.row.behaviour, c.recipients, c.earlier))
        .collect();
    let contributions: Vec<Contribution> = cards
        .iter()
        .zip(&buckets)
        .zip(&lone)
        .map(|((c, b), l)| contribution(c.row, &b.keys, c.recipients, l))
        .collect();
    let after = board::apply_postcards_with(conn, &contributions, 1, cfg.weights, standings)?;
    record_kept(conn, cfg, &buckets)?;
    Ok(after)
}

/// An endorsement added or withdrawn; hidden postcards are not on the boards.
pub fn on_endorsement(conn: &mut DbConnection, row: &PostcardRow, cfg: &BoardConfig, sign: i32) -> AppResult<()> {
    if row.hidden {
        return Ok(());
    }
    let buckets = Buckets::at(cfg, row.created_at);
    let recipients = recipients_of(conn, &row.id)?;
    let none = LonePairs::new();
    let c = contribution(row, &buckets.keys, &recipients, &none);
    board::apply_endorsement(conn, &c, sign, cfg.weights)?;
    record_kept(conn, cfg, [&buckets])
}
