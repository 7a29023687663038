//! Reading the leaderboard totals of one bucket: a page in rank order, the count of people
//! ahead of a value (for competition ranks), one person's row, department figures, and unique
//! senders (boards of several buckets are in `boards::custom`).

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{
    board_changes, board_departments, board_totals, department_headcounts, employees, postcard_recipients,
};
use super::{board, DbConnection};
use crate::domain::buckets::Bucket;
use crate::domain::period::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Score,
    Received,
    Given,
}

#[derive(Debug, Clone)]
pub struct BoardFilter<'a> {
    pub buckets: &'a [Bucket],
    /// A behaviour slug, or "" for all.
    pub behaviour: &'a str,
    pub department: Option<&'a str>,
    /// Leave out people who opted out of public rankings.
    pub only_listed: bool,
}

/// One person's totals in a bucket (or summed over several).
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub employee_id: String,
    pub name: String,
    pub department: String,
    pub sort_name: String,
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    /// Different people who sent them a visible postcard in the bucket (not additive: only
    /// meaningful for a single bucket).
    pub unique_senders: i32,
}

impl Metric {
    /// The metric's name in answers (`metric`) and query parameters.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Score => "score",
            Metric::Received => "received",
            Metric::Given => "given",
        }
    }
}

impl EntryRow {
    pub fn value(&self, m: Metric) -> i64 {
        match m {
            Metric::Score => self.score,
            Metric::Received => i64::from(self.received),
            Metric::Given => i64::from(self.given),
        }
    }
}

type Selection = (
    board_totals::employee_id,
    employees::name,
    employees::department,
    employees::sort_name,
    board_totals::received,
    board_totals::given,
    board_totals::endorsements,
    board_totals::score,
    board_totals::unique_senders,
);

const SELECTION: Selection = (
    board_totals::employee_id,
    employees::name,
    employees::department,
    employees::sort_name,
    board_totals::received,
    board_totals::given,
    board_totals::endorsements,
    board_totals::score,
    board_totals::unique_senders,
);

/// The rows of the filter's buckets, on `board_totals` alone or joined to `employees` (for
/// names); standing and department are read from the board rows, kept in step with employees.
macro_rules! filtered {
    ($table:expr, $f:expr) => {{
        let f = $f;
        let mut q = $table
            .filter(board_totals::behaviour.eq(f.behaviour))
            .filter(board_totals::active.eq(true))
            .into_boxed();
        // One bucket as `=`: Postgres plans `= ANY(array)` without walking the score index.
        q = match f.buckets {
            [one] => q.filter(board_totals::period.eq(one.key())),
            buckets => q.filter(board_totals::period.eq_any(buckets.iter().map(|b| b.key()).collect::<Vec<_>>())),
        };
        if f.only_listed {
            q = q.filter(board_totals::listed.eq(true));
        }
        if let Some(d) = f.department {
            q = q.filter(board_totals::department.eq(d.to_string()));
        }
        q
    }};
}

/// A page of one bucket, best first; ties by name, then id. Only people with a non-zero value.
pub fn page(
    conn: &mut DbConnection,
    f: &BoardFilter,
    metric: Metric,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<EntryRow>> {
    let q = filtered!(board_totals::table.inner_join(employees::table), f).select(SELECTION);
    let q = match metric {
        Metric::Score => {
            q.filter(board_totals::score.gt(0))
                .order((board_totals::score.desc(), employees::sort_name, employees::id))
        }
        Metric::Received => q.filter(board_totals::received.gt(0)).order((
            board_totals::received.desc(),
            employees::sort_name,
            employees::id,
        )),
        Metric::Given => {
            q.filter(board_totals::given.gt(0))
                .order((board_totals::given.desc(), employees::sort_name, employees::id))
        }
    };
    q.limit(limit).offset(offset).load(conn)
}

/// How many listed people in one bucket have more than `value`: a competition rank is one more.
pub fn count_above(conn: &mut DbConnection, f: &BoardFilter, metric: Metric, value: i64) -> QueryResult<i64> {
    let q = filtered!(board_totals::table, f).select(count_star());
    match metric {
        Metric::Score => q.filter(board_totals::score.gt(value)).first(conn),
        Metric::Received => q.filter(board_totals::received.gt(value as i32)).first(conn),
        Metric::Given => q.filter(board_totals::given.gt(value as i32)).first(conn),
    }
}

/// One person's row of the bucket, if they have one.
pub fn person(conn: &mut DbConnection, f: &BoardFilter, employee: &str) -> QueryResult<Option<EntryRow>> {
    filtered!(board_totals::table.inner_join(employees::table), f)
        .select(SELECTION)
        .filter(board_totals::employee_id.eq(employee.to_string()))
        .first(conn)
        .optional()
}

/// Who sent each of these people a visible postcard in `span`, as (recipient, sender), each
/// pair once: unique senders for periods of several buckets (custom ones; a single bucket
/// stores its count), which are not additive. Read from the recipient index alone (it
/// carries time, sender, behaviour and the hidden flag).
pub fn sender_pairs(
    conn: &mut DbConnection,
    span: Span,
    behaviour: &str,
    recipients: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let mut q = postcard_recipients::table
        .filter(postcard_recipients::recipient_id.eq_any(recipients))
        .filter(postcard_recipients::hidden.eq(false))
        .filter(postcard_recipients::created_at.ge(span.start))
        .filter(postcard_recipients::created_at.lt(span.end))
        .select((postcard_recipients::recipient_id, postcard_recipients::sender_id))
        .distinct()
        .into_boxed();
    if !behaviour.is_empty() {
        q = q.filter(postcard_recipients::behaviour.eq(behaviour.to_string()));
    }
    q.load(conn)
}

/// Per department of the (first) bucket: total score and how many active people took part
/// (sent or received), a few stored rows (shards) per department.
pub fn department_totals(conn: &mut DbConnection, f: &BoardFilter) -> QueryResult<Vec<(String, i64, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let key = f.buckets.first().map(|b| b.key()).unwrap_or_default();
    board_departments::table
        .filter(board_departments::period.eq(key))
        .filter(board_departments::behaviour.eq(f.behaviour))
        .group_by(board_departments::department)
        .select((
            board_departments::department,
            sql::<BigInt>(board::SHARD_SCORE),
            sql::<BigInt>(board::SHARD_PARTICIPANTS),
        ))
        .load(conn)
}

/// Active employees per department (for per-capita figures), kept by triggers on employees.
pub fn headcounts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    department_headcounts::table
        .filter(department_headcounts::active.gt(0))
        .select((
            department_headcounts::department,
            sql::<BigInt>("CAST(department_headcounts.active AS BIGINT)"),
        ))
        .load(conn)
}

/// The same counted from the directory (to verify the stored ones).
pub fn counted_headcounts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    employees::table
        .filter(employees::active.eq(true))
        .group_by(employees::department)
        .select((employees::department, count_star()))
        .load(conn)
}

/// A person's row in a bucket, as the board memory reads it.
#[derive(Debug, Clone, Queryable)]
pub struct BucketRow {
    pub period: String,
    pub employee_id: String,
    pub department: String,
    pub active: bool,
    pub listed: bool,
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    pub revision: i64,
}

impl From<&board::RowAfter> for BucketRow {
    fn from(r: &board::RowAfter) -> BucketRow {
        BucketRow {
            period: r.period.clone(),
            employee_id: r.employee_id.clone(),
            department: r.department.clone(),
            active: r.active,
            listed: r.listed,
            received: r.received,
            given: r.given,
            endorsements: r.endorsements,
            score: r.score,
            revision: r.revision,
        }
    }
}

/// Every row of these buckets for `behaviour` ("" for all).
pub fn bucket_rows(conn: &mut DbConnection, keys: &[String], behaviour: &str) -> QueryResult<Vec<BucketRow>> {
    board_totals::table
        .filter(board_totals::period.eq_any(keys))
        .filter(board_totals::behaviour.eq(behaviour))
        .select((
            board_totals::period,
            board_totals::employee_id,
            board_totals::department,
            board_totals::active,
            board_totals::listed,
            board_totals::received,
            board_totals::given,
            board_totals::endorsements,
            board_totals::score,
            board_totals::revision,
        ))
        .load(conn)
}

/// The versions of these buckets (`board_changes`) that have any.
pub fn versions(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<Vec<(String, i64)>> {
    board_changes::table
        .filter(board_changes::period.eq_any(keys))
        .select((board_changes::period, board_changes::version))
        .load(conn)
}

/// How many rows a bucket has for `behaviour`, and the sum of their revisions: the same as a
/// copy's exactly when no row of it changed since the copy was read (revisions only grow, and
/// a new row adds one to the count), at the cost of an index range, with no rows to send.
pub fn bucket_signature(conn: &mut DbConnection, key: &str, behaviour: &str) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Signature {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        revisions: i64,
    }
    let query = |a: &str, b: &str| {
        format!(
            "SELECT COUNT(*) AS rows, CAST(COALESCE(SUM(revision), 0) AS BIGINT) AS revisions \
             FROM board_totals WHERE period = {a} AND behaviour = {b}"
        )
    };
    use diesel::sql_types::Text;
    let got: Signature = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(query("$1", "$2"))
            .bind::<Text, _>(key)
            .bind::<Text, _>(behaviour)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(query("?", "?"))
            .bind::<Text, _>(key)
            .bind::<Text, _>(behaviour)
            .get_result(lite)?,
    };
    Ok((got.rows, got.revisions))
}
