//! Upgrading a database that has postcards to the version with stored unique senders: the
//! migration adds the column with zeros, and the first start rebuilds the totals from the
//! postcards (buckets depend on `org.timezone`, which SQL does not know).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use diesel_migrations::MigrationHarness;

use champion::store::db::{self, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use champion::store::DbConnection;

use crate::helpers::{test_settings, Backend, TestDb};

/// The schema before stored unique senders: the first six migrations.
const BEFORE: usize = 6;

/// Two postcards from Ada to Bo and one from Cy to Bo, written as the earlier version would.
const HISTORY: &str = "
INSERT INTO employees (id, email, name, sort_name, department, created_at, updated_at) VALUES
 ('e-ada', 'ada@example.com', 'Ada', 'ada', 'Ops', '2026-11-01 09:00:00', '2026-11-01 09:00:00'),
 ('e-bo', 'bo@example.com', 'Bo', 'bo', 'Ops', '2026-11-01 09:00:00', '2026-11-01 09:00:00'),
 ('e-cy', 'cy@example.com', 'Cy', 'cy', 'Sales', '2026-11-01 09:00:00', '2026-11-01 09:00:00');
INSERT INTO postcards (id, sender_id, behaviour, message, visibility, created_at) VALUES
 ('p1', 'e-ada', 'small-win', 'one', 'public', '2026-11-16 10:00:00'),
 ('p2', 'e-ada', 'small-win', 'two', 'public', '2026-11-17 10:00:00'),
 ('p3', 'e-cy', 'small-win', 'three', 'public', '2026-11-17 11:00:00');
INSERT INTO postcard_recipients (postcard_id, recipient_id, position, sender_id, behaviour, created_at) VALUES
 ('p1', 'e-bo', 0, 'e-ada', 'small-win', '2026-11-16 10:00:00'),
 ('p2', 'e-bo', 0, 'e-ada', 'small-win', '2026-11-17 10:00:00'),
 ('p3', 'e-bo', 0, 'e-cy', 'small-win', '2026-11-17 11:00:00');
";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Unique {
    #[diesel(sql_type = Integer)]
    unique_senders: i32,
}

fn upgrade_rebuilds_unique_senders(backend: Backend) {
    let test_db = TestDb::create(backend);
    let settings = test_settings(&test_db.url, &[]);
    {
        let pool = db::connect(&test_db.url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        for _ in 0..BEFORE {
            match &mut *conn {
                DbConnection::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS).map(|_| ()),
                DbConnection::Postgres(c) => c.run_next_migration(POSTGRES_MIGRATIONS).map(|_| ()),
            }
            .expect("an earlier migration");
        }
        conn.batch_execute(HISTORY).expect("the earlier version's postcards");
    }
    let pool = champion::startup::prepare_database(&settings).expect("upgrade");
    let mut conn = pool.get().unwrap();
    let bo: Vec<Unique> = diesel::sql_query(
        "SELECT unique_senders FROM board_totals WHERE employee_id = 'e-bo' AND period IN ('all', 'w:2026-11-16') ORDER BY period",
    )
    .load(&mut *conn)
    .unwrap();
    let got: Vec<i32> = bo.iter().map(|r| r.unique_senders).collect();
    assert_eq!(
        got,
        vec![2, 2, 2, 2],
        "Ada counts once, Cy once: all time and that week, overall and for the behaviour"
    );
    // The rebuild dropped the secondary indexes for the load: they must all be back.
    let list = match backend {
        Backend::Postgres => {
            "SELECT indexname::text AS name FROM pg_indexes WHERE tablename = 'board_totals' \
             AND indexname <> 'board_totals_pkey' ORDER BY 1"
        }
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'board_totals' \
             AND sql IS NOT NULL ORDER BY 1"
        }
    };
    let names: Vec<Name> = diesel::sql_query(list).load(&mut *conn).unwrap();
    let names: Vec<String> = names.into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["board_totals_by_department", "board_totals_by_score"]);
    let cfg = champion::boards::scoreboard::BoardConfig::from_settings(&settings);
    let report = champion::boards::recount::verify(&mut conn, &cfg).unwrap();
    assert!(report.is_clean(), "{report:#?}");
}

#[test]
fn sqlite_upgrade_rebuilds_unique_senders() {
    upgrade_rebuilds_unique_senders(Backend::Sqlite);
}

#[test]
fn postgres_upgrade_rebuilds_unique_senders() {
    upgrade_rebuilds_unique_senders(Backend::Postgres);
}
