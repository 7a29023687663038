//! Slow downloads of the postcards export must not starve the service: eight clients that
//! stop reading once the export has begun leave ordinary requests (`/readyz` included) fast,
//! with a pool of four connections. Exports past `export.max_concurrent` answer 429.

use std::time::Duration;

use champion::store::DbConnection;
use diesel::RunQueryDsl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// Writes `n` public postcards of 2,000 characters each straight into the database (an
/// export of several megabytes, more than socket buffers hold), one second apart.
pub async fn seed_long_postcards(app: &TestApp, n: u32) {
    let ann = app.create_employee("ann@acme.test", "Ann", "Support", None).await;
    let bo = app.create_employee("bo@acme.test", "Bo", "Support", None).await;
    let (ann, bo) = (
        ann["id"].as_str().unwrap().to_string(),
        bo["id"].as_str().unwrap().to_string(),
    );
    let pool = app.pool();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let (postcards, recipients) = match &mut *conn {
            DbConnection::Postgres(_) => (
                format!(
                    "INSERT INTO postcards (id, sender_id, behaviour, message, visibility, endorsement_count, hidden, created_at)
                     SELECT 'p' || lpad(i::text, 6, '0'), '{ann}', 'small-win', repeat('x', 2000), 'public', 0, false,
                            TIMESTAMP '2026-11-01 10:00:00' + i * INTERVAL '1 second'
                     FROM generate_series(1, {n}) AS i"
                ),
                format!(
                    "INSERT INTO postcard_recipients (postcard_id, recipient_id, position, sender_id, behaviour, created_at, hidden)
                     SELECT id, '{bo}', 0, sender_id, behaviour, created_at, hidden FROM postcards"
                ),
            ),
            DbConnection::Sqlite(_) => (
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
                     INSERT INTO postcards (id, sender_id, behaviour, message, visibility, endorsement_count, hidden, created_at)
                     SELECT 'p' || substr('000000' || i, -6), '{ann}', 'small-win', hex(zeroblob(1000)), 'public', 0, 0,
                            datetime('2026-11-01 10:00:00', '+' || i || ' seconds')
                     FROM n"
                ),
                format!(
                    "INSERT INTO postcard_recipients (postcard_id, recipient_id, position, sender_id, behaviour, created_at, hidden)
                     SELECT id, '{bo}', 0, sender_id, behaviour, created_at, hidden FROM postcards"
                ),
            ),
        };
        for sql in [postcards, recipients] {
            match &mut *conn {
                DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c),
                DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
            }
            .expect("seed postcards");
        }
    })
    .await
    .expect("seeding");
}

/// Starts an export as a client that reads its first bytes and then nothing more.
pub async fn start_slow_download(app: &TestApp) -> (TcpStream, String) {
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    let request = format!(
        "GET /api/v1/admin/export/postcards.csv HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\r\n",
        app.admin_token()
    );
    stream.write_all(request.as_bytes()).await.expect("send request");
    let mut first = vec![0u8; 512];
    let n = stream.read(&mut first).await.expect("first bytes");
    (stream, String::from_utf8_lossy(&first[..n]).to_string())
}

async fn eight_slow_downloads_leave_ordinary_requests_fast(app: TestApp) {
    seed_long_postcards(&app, 3000).await;
    let mut stalled = Vec::new();
    for i in 0..8 {
        let (stream, head) = start_slow_download(&app).await;
        assert!(head.starts_with("HTTP/1.1 200"), "download {i}: {head}");
        stalled.push(stream);
    }
    // A ninth is refused while the eight stream.
    let ninth = app
        .get("/api/v1/admin/export/postcards.csv", Some(&app.admin_token()))
        .await;
    ninth.assert_problem(429, "too_many_requests", "a ninth export");
    assert!(ninth.headers.get("retry-after").is_some());
    // Let the eight fill their socket buffers and block.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let admin = app.admin_token();
    for round in 0..10 {
        for path in ["/readyz", "/api/v1/behaviours", "/api/v1/postcards?limit=5"] {
            let started = std::time::Instant::now();
            let reply = tokio::time::timeout(Duration::from_secs(3), app.get(path, Some(&admin)))
                .await
                .unwrap_or_else(|_| panic!("{path} (round {round}) took over 3 s while exports stall"));
            assert_eq!(reply.status, 200, "{path} (round {round}): {}", reply.text);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{path}: {:?}",
                started.elapsed()
            );
        }
    }
    drop(stalled);
}

crate::on_both_backends!(with &[
    ("CHAMPION__EXPORT__MAX_CONCURRENT", "8"),
    ("CHAMPION__EXPORT__SEND_TIMEOUT_SECONDS", "120"),
    ("CHAMPION__EXPORT__BATCH_ROWS", "50"),
]; eight_slow_downloads_leave_ordinary_requests_fast);
