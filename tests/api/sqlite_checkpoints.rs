//! The service's SQLite connections leave checkpoints to a background task: a commit never
//! copies the write-ahead log into the database itself (tens of milliseconds on a large
//! database, after the commit is already visible), and `db::checkpoint` copies all of it.

use champion::store::db::{self, Checkpoints};
use champion::store::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::{Backend, TestDb};

#[derive(QueryableByName)]
struct Pages {
    #[diesel(sql_type = BigInt)]
    wal_autocheckpoint: i64,
}

fn autocheckpoint(conn: &mut DbConnection) -> i64 {
    let DbConnection::Sqlite(c) = conn else {
        panic!("SQLite only")
    };
    let pages: Pages = diesel::sql_query("PRAGMA wal_autocheckpoint").get_result(c).unwrap();
    pages.wal_autocheckpoint
}

#[test]
fn service_connections_leave_checkpoints_to_the_background() {
    let test_db = TestDb::create(Backend::Sqlite);
    let commands = db::connect(&test_db.url, 1).unwrap();
    assert_eq!(autocheckpoint(&mut commands.get().unwrap()), 1000, "SQLite's default");
    let service = db::connect_with(&test_db.url, 1, Checkpoints::InBackground).unwrap();
    let mut conn = service.get().unwrap();
    assert_eq!(autocheckpoint(&mut conn), 0);
    let DbConnection::Sqlite(c) = &mut *conn else {
        unreachable!()
    };
    // Two thousand pages and more, in two commits: the second would checkpoint on SQLite's
    // default, and the log would then hold only what came after.
    c.batch_execute(
        "CREATE TABLE filler (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO filler SELECT zeroblob(4000) FROM n;",
    )
    .unwrap();
    c.batch_execute("INSERT INTO filler SELECT b FROM filler LIMIT 10;")
        .unwrap();
    let (log, checkpointed) = db::checkpoint(&mut conn).unwrap();
    assert!(log > 1200, "the log was checkpointed by a commit: {log} frames left");
    assert_eq!(
        checkpointed, log,
        "a passive checkpoint with nobody reading copies it all"
    );
}
