//! Sending several postcards in one transaction. Under load, sends that arrive together are
//! written together: each statement (sender locks, lookups, counts, inserts, the board
//! upsert) runs once for the batch instead of once per postcard, and one commit ends it. The
//! rules are checked in memory in the order the sends arrived, each seeing the ones accepted
//! before it, so a batch decides exactly as the same sends one after another would. A send
//! refused by a rule writes nothing and does not stop the others.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;

use super::idempotency::{self, Claim, StoredResponse};
use super::postcard_views::{self, PostcardView};
use super::postcards::{check_directory, check_input, check_limits, id_at, location, notices, Rules, SendInput};
use crate::boards::memory::BoardMemory;
use crate::boards::scoreboard::{self, NewPostcard};
use crate::error::{AppError, AppResult};
use crate::store::board::{self, Standing};
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow};
use crate::store::outbox::{self, OutboxRow};
use crate::store::postcards::{self, PairRow, PostcardRow, RecipientRow};
use crate::store::{behaviours, idempotency as idempotency_store, DbConnection};

/// One send of a batch: who sends what, and the `Idempotency-Key` it came with, if any.
#[derive(Debug, Clone)]
pub struct SendJob {
    pub sender: EmployeeRow,
    pub input: SendInput,
    pub idempotency: Option<KeyedRequest>,
}

/// An `Idempotency-Key` and the digest of the body it was sent with.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    pub key: String,
    pub hash: String,
}

/// How a send ended, when it did not fail.
#[derive(Debug)]
pub enum Sent {
    Created(Box<PostcardView>),
    /// A retry with an `Idempotency-Key`: the first answer, stored.
    Replay(StoredResponse),
}

/// What the boards need of a send the rules accepted (its row aside).
struct Accepted {
    recipients: Vec<String>,
    earlier: Vec<PairRow>,
}

/// Sends every job at `now` in one transaction: one answer per job, in order. Keys are
/// checked in the same transaction and the answers of the sends stored there
/// (`idempotency::check_many`). An `Err` for the whole batch means the transaction failed and
/// wrote nothing (retrying each job alone then tells which one, if any, cannot be written).
/// Once committed, the board rows it wrote are laid over `memory` (this instance's), when
/// given, before any answer leaves.
pub fn send_many(
    conn: &mut DbConnection,
    jobs: &[SendJob],
    rules: &Rules,
    now: NaiveDateTime,
    memory: Option<&BoardMemory>,
) -> AppResult<Vec<AppResult<Sent>>> {
    let checked: Vec<_> = jobs
        .iter()
        .map(|j| check_input(&j.input, &j.sender.id, rules))
        .collect();
    if checked.iter().all(Result::is_err) {
        return Ok(checked.into_iter().filter_map(Result::err).map(Err).collect());
    }
    let live = || jobs.iter().zip(&checked).filter(|(_, c)| c.is_ok()).map(|(j, _)| j);
    let sender_ids = distinct(live().map(|j| j.sender.id.as_str()));
    let slugs = distinct(live().map(|j| j.input.behaviour.trim()));
    let recipient_ids = distinct(live().flat_map(|j| j.input.recipients.iter().map(String::as_str)));
    let everyone = distinct(sender_ids.iter().chain(&recipient_ids).copied());
    let week = rules.week_of(now);
    // The keys of the sends that passed the checks: (job index, (caller, key, body hash)).
    let (keyed_jobs, keyed): (Vec<usize>, Vec<(&str, &str, &str)>) = jobs
        .iter()
        .enumerate()
        .filter(|(i, _)| checked[*i].is_ok())
        .filter_map(|(i, j)| {
            let k = j.idempotency.as_ref()?;
            Some((i, (j.sender.id.as_str(), k.key.as_str(), k.hash.as_str())))
        })
        .unzip();
    let (answers, written) = write_tx(conn, |conn| {
        // Keys first: a retry or a request racing one in flight is answered without a send.
        let mut claim_of: Vec<Option<AppResult<Claim>>> = jobs.iter().map(|_| None).collect();
        for (i, claim) in keyed_jobs.iter().zip(idempotency::check_many(conn, &keyed, now)?) {
            claim_of[*i] = Some(claim);
        }
        // Everyone named, in id order: senders for their counts, recipients for their
        // standings on the boards (see `store::board_sync` for the lock order).
        let mut standings = postcards::lock_people(conn, &everyone)?;
        let found_behaviours: HashMap<String, _> = behaviours::find_many(conn, &slugs)?
            .into_iter()
            .map(|b| (b.slug.clone(), b))
            .collect();
        let people: HashMap<String, EmployeeRow> = employees::find_many(conn, &recipient_ids)?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        // Counted with the senders locked: no other transaction can add to them until commit.
        let mut sent = postcards::count_sent_by(conn, &sender_ids, week)?;
        let mut history: HashMap<String, Vec<PairRow>> = HashMap::new();
        for (sender, pair) in postcards::pair_histories(conn, &sender_ids, &recipient_ids, NOT_AN_ID)? {
            history.entry(sender).or_default().push(pair);
        }

        let mut answers = Vec::with_capacity(jobs.len());
        let mut rows: Vec<PostcardRow> = Vec::new();
        let mut accepted: Vec<Accepted> = Vec::new();
        let mut recipient_rows: Vec<RecipientRow> = Vec::new();
        let mut emails: Vec<OutboxRow> = Vec::new();
        let mut replies = Vec::new();
        for ((job, checked), claim) in jobs.iter().zip(&checked).zip(&mut claim_of) {
            match claim.take() {
                Some(Err(e)) => {
                    answers.push(Err(e));
                    continue;
                }
                Some(Ok(Claim::Replay(stored))) => {
                    answers.push(Ok(Sent::Replay(stored)));
                    continue;
                }
                Some(Ok(Claim::Fresh)) | None => {}
            }
            // A transaction run again (`write_tx`) starts from the same checked input; a
            // refused one is checked again for its error (checks are pure).
            let checked = match checked {
                Ok(input) => Ok(input.clone()),
                Err(_) => check_input(&job.input, &job.sender.id, rules),
            };
            let answer = checked.and_then(|(message, customer)| {
                let sender = &job.sender;
                let input = &job.input;
                let slug = input.behaviour.trim();
                let title = check_directory(input, found_behaviours.get(slug), &people)?;
                if !standings.contains_key(&sender.id) {
                    return Err(AppError::forbidden("this action needs an employee in the directory"));
                }
                let earlier: Vec<PairRow> = history
                    .get(&sender.id)
                    .map(|h| h.iter().filter(|p| input.recipients.contains(&p.0)).cloned().collect())
                    .unwrap_or_default();
                let sent_so_far = sent.get(&sender.id).copied().unwrap_or(0);
                check_limits(sent_so_far, &input.recipients, &earlier, rules, week)?;

                let id = id_at(now);
                let row = PostcardRow {
                    id: id.clone(),
                    sender_id: sender.id.clone(),
                    behaviour: slug.to_string(),
                    message: message.into_string(),
                    customer_name: customer.as_ref().map(|c| c.name.clone()),
                    customer_quote: customer.and_then(|c| c.quote),
                    visibility: input.visibility.as_str().to_string(),
                    endorsement_count: 0,
                    hidden: false,
                    created_at: now,
                };
                // What the sends after this one in the batch must see.
                *sent.entry(sender.id.clone()).or_default() += 1;
                let pairs = history.entry(sender.id.clone()).or_default();
                for (i, r) in input.recipients.iter().enumerate() {
                    pairs.push((r.clone(), row.behaviour.clone(), now, false));
                    recipient_rows.push(RecipientRow {
                        postcard_id: id.clone(),
                        recipient_id: r.clone(),
                        position: i as i32,
                        sender_id: sender.id.clone(),
                        behaviour: row.behaviour.clone(),
                        created_at: now,
                        hidden: false,
                    });
                }
                let named: Vec<&EmployeeRow> = input.recipients.iter().filter_map(|r| people.get(r)).collect();
                for e in &named {
                    standings.insert(e.id.clone(), recipient_standing(e));
                }
                if let Some(links) = &rules.notify {
                    let color = found_behaviours.get(slug).and_then(|b| b.color.as_deref());
                    emails.extend(notices(links, &row, sender, &named, (&title, color), now)?);
                }
                // Everything the answer shows is at hand: no need to read the postcard back.
                let view = postcard_views::fresh(row.clone(), sender, &named, title);
                if let Some(k) = &job.idempotency {
                    let body = serde_json::to_string(&view).map_err(AppError::internal)?;
                    replies.push(idempotency::done(
                        &sender.id,
                        &k.key,
                        &k.hash,
                        201,
                        body,
                        location(&id),
                        now,
                    ));
                }
                rows.push(row);
                accepted.push(Accepted {
                    recipients: input.recipients.clone(),
                    earlier,
                });
                Ok(Sent::Created(Box::new(view)))
            });
            answers.push(answer);
        }
        if accepted.is_empty() {
            return Ok((answers, Vec::new()));
        }
        postcards::insert(conn, &rows, &recipient_rows)?;
        outbox::enqueue_many(conn, &emails)?;
        let events: Vec<_> = rows
            .iter()
            .map(|r| super::events::event(super::events::POSTCARD_CREATED, &r.id, now))
            .collect();
        crate::store::deliveries::record_events(conn, &events)?;
        idempotency_store::store_many(conn, &replies)?;
        // The boards last: their rows (a department's especially) are shared by concurrent
        // sends, which wait for each other's commit; nothing else runs while they are held.
        let cards: Vec<NewPostcard> = rows
            .iter()
            .zip(&accepted)
            .map(|(row, a)| NewPostcard {
                row,
                recipients: &a.recipients,
                earlier: &a.earlier,
            })
            .collect();
        let written = scoreboard::on_new_postcards(conn, &cards, &standings, &rules.board)?;
        Ok((answers, written))
    })?;
    if let Some(memory) = memory {
        memory.apply(&written);
    }
    Ok(answers)
}

/// One postcard (the CLI's demo, tests): a batch of one, without a key.
#[tracing::instrument(skip_all, fields(sender = %sender.id))]
pub fn send(
    conn: &mut DbConnection,
    sender: &EmployeeRow,
    input: SendInput,
    rules: &Rules,
    now: NaiveDateTime,
) -> AppResult<PostcardView> {
    let job = SendJob {
        sender: sender.clone(),
        input,
        idempotency: None,
    };
    match send_many(conn, std::slice::from_ref(&job), rules, now, None)?.pop() {
        Some(Ok(Sent::Created(view))) => Ok(*view),
        Some(Err(e)) => Err(e),
        _ => Err(AppError::internal(anyhow::anyhow!("a send of one gave no postcard"))),
    }
}

/// The batch's postcards are not written yet: no pair history needs one left out.
const NOT_AN_ID: &str = "";

/// Each value once, in order (ids in order are also the order rows are locked in).
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    values.collect::<BTreeSet<_>>().into_iter().collect()
}

fn recipient_standing(e: &EmployeeRow) -> Standing {
    board::standing(e.department.clone(), e.active, e.show_on_leaderboard)
}
