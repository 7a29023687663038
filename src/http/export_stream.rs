//! Streaming the postcards export to a client that may be slow, or may vanish.
//!
//! - A task reads one batch at a time through `db::run`, so a pooled connection is held for
//!   a batch's few reads and never while the client is waiting (eight slow downloads once
//!   held every connection, and `/readyz` answered 503).
//! - Batches go to the response through a small channel; a client that takes nothing for
//!   `export.send_timeout_seconds` is cut off.
//! - At most `export.max_concurrent` exports stream at once; more answer 429.
//! - A failure after the status line ends the body with an error, so the chunked response
//!   stops without its last chunk and the client sees an incomplete download, never a
//!   short CSV that looks whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use chrono::NaiveDateTime;
use futures_util::Stream;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};
use crate::services::export::{self, ExportCursor};
use crate::settings::ExportSettings;
use crate::store::{db, Pool};

/// Exports streaming on this instance.
pub struct Exports {
    slots: Arc<Semaphore>,
    settings: ExportSettings,
}

/// Why a body stopped short: actix ends the connection without the closing chunk.
fn cut_short(why: &str) -> actix_web::Error {
    actix_web::error::ErrorInternalServerError(format!("postcards export stopped: {why}"))
}

impl Exports {
    pub fn new(settings: &ExportSettings) -> Exports {
        Exports {
            slots: Arc::new(Semaphore::new(settings.max_concurrent)),
            settings: settings.clone(),
        }
    }

    /// Takes a slot for one export, or refuses with 429 when all are streaming.
    pub fn slot(&self) -> AppResult<OwnedSemaphorePermit> {
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::TooManyRequests {
                detail: format!(
                    "{} exports are already streaming; try again in a minute",
                    self.settings.max_concurrent
                ),
                retry_after: 60,
            })
    }

    /// The CSV of every postcard created at or after `since`, as a body stream.
    pub fn stream(
        &self,
        pool: Pool,
        since: Option<NaiveDateTime>,
        slot: OwnedSemaphorePermit,
    ) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
        let (tx, rx) = mpsc::channel::<Bytes>(2);
        let failed = Arc::new(AtomicBool::new(false));
        let batch = self.settings.batch_rows;
        let send_timeout = Duration::from_secs(self.settings.send_timeout_seconds);
        let failure = failed.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut cursor = ExportCursor::new(since);
            loop {
                let step = db::run(&pool, move |conn| {
                    let chunk = export::next_batch(conn, &mut cursor, batch)?;
                    Ok((cursor, chunk))
                })
                .await;
                let chunk = match step {
                    Ok((next, Some(chunk))) => {
                        cursor = next;
                        chunk
                    }
                    Ok((done, None)) => {
                        tracing::info!(rows = done.rows_written, "postcards export finished");
                        return;
                    }
                    Err(e) => {
                        tracing::error!(error = ?e, "postcards export failed; the download ends incomplete");
                        failure.store(true, Ordering::SeqCst);
                        return;
                    }
                };
                if let Err(e) = tx.send_timeout(Bytes::from(chunk), send_timeout).await {
                    let why = match e {
                        mpsc::error::SendTimeoutError::Timeout(_) => "the client took nothing in time",
                        mpsc::error::SendTimeoutError::Closed(_) => "the client went away",
                    };
                    tracing::warn!(why, "postcards export cut off");
                    failure.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        futures_util::stream::unfold((rx, failed), |(mut rx, failed)| async move {
            match rx.recv().await {
                Some(chunk) => Some((Ok(chunk), (rx, failed))),
                // The sender is gone: a finished export ends the body, a failed one breaks it.
                None if failed.swap(false, Ordering::SeqCst) => Some((Err(cut_short("see the log")), (rx, failed))),
                None => None,
            }
        })
    }
}
