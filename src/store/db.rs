//! One connection type over both backends, a pool that picks the backend from the URL,
//! per-connection SQLite settings, embedded migrations and the write-transaction helper.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;

/// Runs one diesel expression on whichever backend the connection holds. For the statements
/// diesel cannot build generically over both (multi-row inserts, upserts, row locks); where
/// the two backends need different SQL, write the `match` out instead.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Sqlite($c) => $body,
            $crate::store::DbConnection::Postgres($c) => $body,
        }
    };
}

/// A closure inserting one batch of rows into `$table`: `COPY` on Postgres (no statement of
/// thousands of parameters to parse and plan), a multi-row `INSERT` on SQLite. For bulk loads
/// (seeding, rebuilding totals) of rows that name every column they set.
#[macro_export]
macro_rules! bulk_insert {
    ($table:expr) => {
        |conn: &mut $crate::store::DbConnection, chunk| match conn {
            $crate::store::DbConnection::Postgres(c) => diesel::copy_from($table).from_insertable(chunk).execute(c),
            $crate::store::DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c),
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite://") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Opens connections of the backend the URL names. (The derived `establish` would try
/// each backend in turn, and SQLite happily creates a file named after a Postgres URL.)
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    checkpoints: Checkpoints,
}

/// Who copies SQLite's write-ahead log into the database file (a checkpoint, with a sync of
/// both: tens of milliseconds on a database of gigabytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// The commit that takes the log past a thousand pages (SQLite's default): for commands.
    OnCommit,
    /// A background task ([`checkpoint`]): for the service, whose writers would otherwise
    /// hold up a send now and then for a checkpoint after its commit was already visible
    /// to readers (which then wait for that send's rows to reach the board memory).
    InBackground,
}

// busy_timeout comes first: switching to WAL takes a lock, and the pool opens several
// connections at once. The page cache is per connection and small by default; memory-mapped
// reads share the OS cache between connections, so boards over large tables do not re-read pages.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
     PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;";

// No JIT: the service's queries take milliseconds, and compiling a plan costs more than that
// (a query costed above `jit_above_cost`, such as a scan of many board rows, spent 14 ms of
// 125 compiling).
const POSTGRES_SETTINGS: &str = "SET jit = off;";

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS).map_err(r2d2::Error::QueryError)?;
                if self.checkpoints == Checkpoints::InBackground {
                    conn.batch_execute("PRAGMA wal_autocheckpoint = 0;")
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(POSTGRES_SETTINGS).map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgres(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool and checks that one connection can be opened.
pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Pool> {
    connect_with(url, pool_size, Checkpoints::OnCommit)
}

/// [`connect`], saying who checkpoints SQLite's log.
pub fn connect_with(url: &str, pool_size: u32, checkpoints: Checkpoints) -> anyhow::Result<Pool> {
    let backend =
        Backend::of_url(url).ok_or_else(|| anyhow::anyhow!("database.url must start with sqlite:// or postgres://"))?;
    let manager = Manager {
        url: url.to_string(),
        backend,
        checkpoints,
    };
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    Ok(pool)
}

/// Gives a SQLite connection a large page cache for bulk writes (seeding, rebuilding
/// totals): random-order inserts into big indexes otherwise spend their time re-reading
/// pages from disk. Postgres needs nothing here.
pub fn prepare_for_bulk_writes(conn: &mut DbConnection) -> anyhow::Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY;")?;
    }
    Ok(())
}

/// Applies pending migrations of the connection's backend; returns the versions that ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))
}

/// Runs `f` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write
/// lock up front: a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY when another writer got there first, which `busy_timeout` cannot cure.
///
/// On Postgres a transaction that the database ends as a deadlock victim or a serialization
/// failure is run again (at most [`ATTEMPTS`] times, after a short random pause): such a
/// failure says nothing about the request, so it must never reach a client as a 500. Locks
/// are taken in one order everywhere (see `store::board_sync`), which makes this rare.
pub fn write_tx<T, F>(conn: &mut DbConnection, mut f: F) -> AppResult<T>
where
    F: FnMut(&mut DbConnection) -> AppResult<T>,
{
    // Called inside another write transaction (a SCIM write creating an employee through
    // the directory's own use case): part of it; the outer one commits and retries.
    if in_transaction(conn) {
        return f(conn);
    }
    let mut attempt = 1;
    loop {
        match write_tx_once(conn, &mut f) {
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tracing::warn!(attempt, error = %cause_of(&e), "transaction lost to a concurrent one; running it again");
                std::thread::sleep(std::time::Duration::from_millis(rand::random::<u64>() % (5 * attempt)));
                attempt += 1;
            }
            result => return result,
        }
    }
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    use diesel::connection::TransactionManager;
    let depth = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
        DbConnection::Postgres(c) => AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
    };
    matches!(depth, Ok(Some(_)))
}

/// How many times a write transaction is tried before its failure is reported.
pub const ATTEMPTS: u64 = 8;

fn cause_of(e: &AppError) -> String {
    match e {
        AppError::Internal(cause) => cause.to_string(),
        other => other.to_string(),
    }
}

/// A deadlock or serialization failure: the transaction was rolled back and may run again.
pub fn is_transient(e: &AppError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    let AppError::Internal(cause) = e else {
        return false;
    };
    match cause.downcast_ref::<Error>() {
        Some(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
        Some(Error::DatabaseError(_, info)) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

fn write_tx_once<T, F>(conn: &mut DbConnection, f: &mut F) -> AppResult<T>
where
    F: FnMut(&mut DbConnection) -> AppResult<T>,
{
    let begun = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(AppError::from)?;
    match f(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Runs `f` in a read-only transaction that sees one consistent snapshot (a deferred
/// transaction on SQLite's WAL, REPEATABLE READ on Postgres): for checks that read several
/// tables while writers carry on.
pub fn snapshot_tx<T, F>(conn: &mut DbConnection, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<T>,
{
    let begun = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED"),
        DbConnection::Postgres(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
    };
    begun.map_err(AppError::from)?;
    let result = f(conn);
    if let Err(e) = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
        tracing::error!(error = %e, "ending a read-only transaction failed");
    }
    result
}

/// Runs blocking database work on the blocking thread pool, never on an async worker.
pub async fn run<T, F>(pool: &Pool, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// Copies what SQLite's write-ahead log holds into the database file, as far as no reader
/// still needs the log (a passive checkpoint: it waits for nobody); answers the log's frames
/// and how many of them are now in the database. Nothing to do on Postgres.
pub fn checkpoint(conn: &mut DbConnection) -> diesel::QueryResult<(i64, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Done {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        log: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        checkpointed: i64,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let done: Done = diesel::RunQueryDsl::get_result(diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)"), c)?;
            Ok((done.log, done.checkpointed))
        }
        DbConnection::Postgres(_) => Ok((0, 0)),
    }
}
