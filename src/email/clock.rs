//! The digest clock inside `champion serve`: every `digest.check_seconds` it queues the
//! digests that have fallen due. Several instances may run it; the digests table's primary
//! key keeps each manager's week to one digest.

use std::time::Duration;

use crate::domain::clock::now;
use crate::services::digests::{self, DigestConfig};
use crate::store::db;
use crate::store::Pool;

pub async fn run(pool: Pool, cfg: DigestConfig, every: Duration) {
    loop {
        let tick_cfg = cfg.clone();
        match db::run(&pool, move |conn| digests::queue_due(conn, &tick_cfg, now())).await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "weekly digests queued"),
            Err(e) => tracing::warn!(error = %e, "digest clock: could not queue digests"),
        }
        tokio::time::sleep(every).await;
    }
}
