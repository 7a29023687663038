//! Group commit for sends (`POST /postcards`). Each request queues its send and waits; a few writer
//! tasks (`database.send_writers`) each take every send waiting at that moment (up to
//! `database.send_batch_max`) and write them in one transaction (`send_batch::send_many`).
//! A lone request is taken at once, so nothing waits for company; under load, a send costs
//! a share of one transaction instead of a dozen round trips and a commit of its own.
//!
//! Each sender's sends go to one writer (by a hash of their email). A batch locks its senders
//! until it commits (the weekly allowance is counted under that lock); were one person's sends
//! spread over writers, concurrent batches would share senders and wait for each other's
//! commits instead of overlapping.
//!
//! Nothing answers before its transaction has committed. When a batch's transaction fails,
//! its sends are retried one by one, so one send that cannot be written (or a deadlock) costs
//! no other send its place.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::postcards::{Rules, SendInput};
pub use super::send_batch::Sent;
use super::send_batch::{self, KeyedRequest, SendJob};
use crate::boards::memory::BoardMemory;
use crate::domain::clock::now;
use crate::error::{AppError, AppResult};
use crate::store::employees::{self, EmployeeRow};
use crate::store::{DbConnection, Pool};

/// Turns the directory's entry for the caller's email (if any) into the sender, by the
/// rules of the layer that authenticated them (HTTP: a verified token's).
pub type Resolve = Box<dyn FnOnce(Option<EmployeeRow>) -> AppResult<EmployeeRow> + Send>;

/// A send as the request hands it over.
pub struct Request {
    /// The caller's email, as authenticated.
    pub email: String,
    pub resolve: Resolve,
    pub input: SendInput,
    /// The `Idempotency-Key` and the fingerprint of the body it was sent with.
    pub key: Option<(String, String)>,
}

struct Queued {
    request: Request,
    reply: oneshot::Sender<AppResult<Sent>>,
}

/// The handle requests queue their sends on: one queue per writer, none when `send_writers`
/// is 0.
#[derive(Clone)]
pub struct SendQueue {
    writers: Vec<mpsc::Sender<Queued>>,
    pool: Pool,
    rules: Arc<Rules>,
    /// This instance's board memory, brought up to date by each committed batch.
    memory: Arc<BoardMemory>,
}

impl SendQueue {
    /// Starts `writers` writer tasks on the current runtime.
    pub fn start(pool: Pool, rules: Rules, memory: Arc<BoardMemory>, writers: u32, batch_max: u32) -> SendQueue {
        let rules = Arc::new(rules);
        let batch_max = batch_max.max(1) as usize;
        let writers = (0..writers)
            .map(|_| {
                // Room for a few batches; beyond it, requests wait to queue (backpressure).
                let (tx, rx) = mpsc::channel::<Queued>(batch_max * 4);
                tokio::spawn(writer(rx, pool.clone(), rules.clone(), memory.clone(), batch_max));
                tx
            })
            .collect();
        SendQueue {
            writers,
            pool,
            rules,
            memory,
        }
    }

    /// The writer of this caller's sends.
    fn writer_for(&self, email: &str) -> Option<&mpsc::Sender<Queued>> {
        writer_index(email, self.writers.len()).and_then(|i| self.writers.get(i))
    }

    /// Sends the postcard, in a batch when writers run; answers once it is committed.
    pub async fn send(&self, request: Request) -> AppResult<Sent> {
        let Some(tx) = self.writer_for(&request.email) else {
            let (pool, rules, memory) = (self.pool.clone(), self.rules.clone(), self.memory.clone());
            return crate::store::db::run(&pool, move |conn| {
                let mut answers = write_batch(conn, vec![request], &rules, &memory);
                answers.pop().unwrap_or_else(|| Err(lost()))
            })
            .await;
        };
        let (reply, answer) = oneshot::channel();
        tx.send(Queued { request, reply })
            .await
            .map_err(|_| AppError::Unavailable(anyhow::anyhow!("the send queue has stopped")))?;
        answer.await.map_err(|_| lost())?
    }
}

/// Which of `writers` writes this caller's sends: always the same one for one caller (the
/// hasher's keys are fixed), callers spread evenly.
fn writer_index(email: &str, writers: usize) -> Option<usize> {
    if writers == 0 {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    email.hash(&mut h);
    Some((h.finish() % writers as u64) as usize)
}

/// Every request of a batch the database could not be reached for.
fn unavailable(n: usize, e: impl std::fmt::Display) -> Vec<AppResult<Sent>> {
    let detail = e.to_string();
    (0..n)
        .map(|_| Err(AppError::Unavailable(anyhow::anyhow!("{detail}"))))
        .collect()
}

fn lost() -> AppError {
    AppError::internal(anyhow::anyhow!("a queued send got no answer"))
}

/// Takes the sends waiting now (at least one, waiting for it) and writes them, forever.
async fn writer(
    mut rx: mpsc::Receiver<Queued>,
    pool: Pool,
    rules: Arc<Rules>,
    memory: Arc<BoardMemory>,
    batch_max: usize,
) {
    loop {
        let Some(first) = rx.recv().await else { return };
        let mut batch = vec![first];
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        let rules = rules.clone();
        let memory = memory.clone();
        let done = tokio::task::spawn_blocking(move || {
            let (requests, replies): (Vec<Request>, Vec<_>) = batch.into_iter().map(|q| (q.request, q.reply)).unzip();
            let answers = match pool.get() {
                Ok(mut conn) => write_batch(&mut conn, requests, &rules, &memory),
                Err(e) => unavailable(requests.len(), e),
            };
            for (reply, answer) in replies.into_iter().zip(answers) {
                // The request may have gone (client hung up): its postcard stays sent.
                let _ = reply.send(answer);
            }
        })
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "a send batch panicked");
        }
    }
}

/// Resolves the callers and sends (keys are checked in the batch's transaction); one answer
/// per request, in order.
fn write_batch(
    conn: &mut DbConnection,
    requests: Vec<Request>,
    rules: &Rules,
    memory: &BoardMemory,
) -> Vec<AppResult<Sent>> {
    let at = now();
    let mut answers: Vec<Option<AppResult<Sent>>> = requests.iter().map(|_| None).collect();
    let emails: Vec<&str> = requests.iter().map(|r| r.email.as_str()).collect();
    let callers: HashMap<String, EmployeeRow> = match employees::find_by_emails(conn, &emails) {
        Ok(found) => found.into_iter().map(|e| (e.email.clone(), e)).collect(),
        Err(e) => return unavailable(requests.len(), e),
    };
    let mut ready: Vec<usize> = Vec::new();
    let mut jobs: Vec<SendJob> = Vec::new();
    for (index, request) in requests.into_iter().enumerate() {
        match admit(request, &callers) {
            Ok(job) => {
                ready.push(index);
                jobs.push(job);
            }
            Err(e) => answers[index] = Some(Err(e)),
        }
    }
    let results = match send_batch::send_many(conn, &jobs, rules, at, Some(memory)) {
        Ok(results) => results,
        Err(e) if jobs.len() > 1 => {
            tracing::warn!(error = %e, sends = jobs.len(), "a send batch failed; sending one by one");
            jobs.iter()
                .map(|job| {
                    send_batch::send_many(conn, std::slice::from_ref(job), rules, at, Some(memory))
                        .and_then(|mut one| one.pop().unwrap_or_else(|| Err(lost())))
                })
                .collect()
        }
        Err(e) => vec![Err(e)],
    };
    for (index, result) in ready.into_iter().zip(results) {
        answers[index] = Some(result);
    }
    answers.into_iter().map(|a| a.unwrap_or_else(|| Err(lost()))).collect()
}

/// The caller must be an active employee: their job.
fn admit(request: Request, callers: &HashMap<String, EmployeeRow>) -> AppResult<SendJob> {
    let me = (request.resolve)(callers.get(request.email.as_str()).cloned())?;
    if !me.active {
        return Err(AppError::forbidden("a deactivated employee cannot send postcards"));
    }
    Ok(SendJob {
        sender: me,
        input: request.input,
        idempotency: request.key.map(|(key, hash)| KeyedRequest { key, hash }),
    })
}

#[cfg(test)]
mod tests {
    use super::writer_index;

    #[test]
    fn one_caller_one_writer_and_callers_spread() {
        assert_eq!(writer_index("ann@example.com", 0), None, "no writers: the direct path");
        let mut per_writer = [0usize; 3];
        for n in 0..3000 {
            let email = format!("person{n}@example.com");
            let i = writer_index(&email, 3).unwrap();
            assert_eq!(writer_index(&email, 3), Some(i), "{email} moved");
            per_writer[i] += 1;
        }
        assert!(per_writer.iter().all(|&n| (800..1200).contains(&n)), "{per_writer:?}");
    }
}
