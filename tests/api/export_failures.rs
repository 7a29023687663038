//! An export that cannot finish must not look finished: a client that stalls past
//! `export.send_timeout_seconds`, or a database that fails part-way, ends the chunked body
//! without its last chunk, so the download is visibly incomplete.

use std::time::Duration;

use champion::store::DbConnection;
use diesel::RunQueryDsl;
use tokio::io::AsyncReadExt;

use crate::export_slow_readers::{seed_long_postcards, start_slow_download};
use crate::helpers::TestApp;

/// The end of a complete chunked body.
const LAST_CHUNK: &[u8] = b"\r\n0\r\n\r\n";

async fn a_stalled_client_is_cut_off_and_frees_its_slot(app: TestApp) {
    seed_long_postcards(&app, 3000).await;
    let (mut stalled, head) = start_slow_download(&app).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let admin = app.admin_token();
    app.get("/api/v1/admin/export/postcards.csv", Some(&admin))
        .await
        .assert_problem(429, "too_many_requests", "the one slot is taken");
    // Past the send timeout (2 s) the stalled export gives its slot back.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let next = app.get("/api/v1/admin/export/postcards.csv", Some(&admin)).await;
    assert_eq!(next.status, 200, "{}", &next.text[..next.text.len().min(300)]);
    let rows = csv::Reader::from_reader(next.text.as_bytes()).records().count();
    assert_eq!(rows, 3000, "a client that reads gets every postcard");
    // The stalled client, reading at last, finds its download cut short.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stalled.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server closed the stalled download");
    assert!(
        !rest.ends_with(LAST_CHUNK),
        "a cut-off download must not end like a complete one"
    );
}

async fn a_database_failure_mid_export_ends_the_download_incomplete(app: TestApp) {
    seed_long_postcards(&app, 2000).await;
    let res = app
        .client
        .get(app.url("/api/v1/admin/export/postcards.csv"))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 200);
    let mut res = res;
    let first = res.chunk().await.expect("first chunk").expect("some data");
    assert!(first.starts_with(b"id,created_at"), "the header comes first");
    // The database loses a table the export reads, while the client is still downloading.
    let pool = app.pool();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let sql = "ALTER TABLE postcard_recipients RENAME TO postcard_recipients_gone";
        match &mut *conn {
            DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c),
            DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
        }
        .expect("rename");
    })
    .await
    .expect("rename");
    let mut received = first.len();
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(20), res.chunk()).await {
            Ok(Ok(Some(chunk))) => received += chunk.len(),
            Ok(Ok(None)) => break "a normal end",
            Ok(Err(_)) => break "an error",
            Err(_) => break "no end",
        }
    };
    assert_eq!(ended, "an error", "after {received} bytes the body must break, not end");
    assert!(
        received < 2000 * 2000,
        "the export cannot have been complete ({received} bytes)"
    );
}

crate::on_both_backends!(with &[
    ("CHAMPION__EXPORT__MAX_CONCURRENT", "1"),
    ("CHAMPION__EXPORT__SEND_TIMEOUT_SECONDS", "2"),
    ("CHAMPION__EXPORT__BATCH_ROWS", "50"),
]; a_stalled_client_is_cut_off_and_frees_its_slot, a_database_failure_mid_export_ends_the_download_incomplete);
