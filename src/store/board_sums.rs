//! Boards of several buckets (custom periods), added up, ranked and paged by the database: a
//! custom period is a tiling of up to about twenty buckets, whose rows (tens of thousands at
//! a million postcards) are grouped per person where they are stored rather than sent over
//! to be added up here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::board_read::{BoardFilter, EntryRow, Metric};
use super::DbConnection;

/// A statement's text with its parameters, numbered for the backend (`$1` on Postgres, `?1`
/// on SQLite) so one text serves both.
struct Statement {
    text: String,
    binds: Vec<Bind>,
    postgres: bool,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Statement {
    fn new(conn: &DbConnection) -> Self {
        Statement {
            text: String::new(),
            binds: Vec::new(),
            postgres: matches!(conn, DbConnection::Postgres(_)),
        }
    }

    /// The placeholder of a new parameter.
    fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        let n = self.binds.len();
        if self.postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }

    fn load<T>(self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        crate::per_backend!(conn, c => {
            let mut q = diesel::sql_query(self.text).into_boxed();
            for b in self.binds {
                q = match b {
                    Bind::Text(s) => q.bind::<Text, _>(s),
                    Bind::Int(i) => q.bind::<BigInt, _>(i),
                };
            }
            q.load(c)
        })
    }
}

/// The condition on board rows of active people in the filter's buckets and behaviour.
fn in_buckets(s: &mut Statement, f: &BoardFilter) -> String {
    let behaviour = s.param(Bind::Text(f.behaviour.to_string()));
    let keys: Vec<String> = f.keys.iter().map(|k| s.param(Bind::Text(k.clone()))).collect();
    format!("behaviour = {behaviour} AND active AND period IN ({})", keys.join(", "))
}

/// `SELECT employee_id, received, given, endorsements, score` per person over the filter's
/// buckets (and one person's rows only, when given).
fn per_person(s: &mut Statement, f: &BoardFilter, employee: Option<&str>) -> String {
    let mut sql = format!(
        "SELECT employee_id, SUM(received) AS received, SUM(given) AS given, \
         SUM(endorsements) AS endorsements, SUM(score) AS score FROM board_totals WHERE {}",
        in_buckets(s, f)
    );
    if f.only_listed {
        sql.push_str(" AND listed");
    }
    if let Some(d) = f.department {
        sql += &format!(" AND department = {}", s.param(Bind::Text(d.to_string())));
    }
    if let Some(e) = employee {
        sql += &format!(" AND employee_id = {}", s.param(Bind::Text(e.to_string())));
    }
    sql + " GROUP BY employee_id"
}

/// The columns of a [`SummedRow`], from a person's totals with their rank (`r`) and their
/// directory entry (`e`).
const ENTRY: &str = "r.employee_id, e.name, e.department, e.sort_name, \
     CAST(r.received AS INTEGER) AS received, CAST(r.given AS INTEGER) AS given, \
     CAST(r.endorsements AS INTEGER) AS endorsements, CAST(r.score AS BIGINT) AS score, \
     CAST(r.rank AS BIGINT) AS rank";

/// A person's totals over several buckets, with their competition rank.
#[derive(QueryableByName)]
struct SummedRow {
    #[diesel(sql_type = Text)]
    employee_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    department: String,
    #[diesel(sql_type = Text)]
    sort_name: String,
    #[diesel(sql_type = Integer)]
    received: i32,
    #[diesel(sql_type = Integer)]
    given: i32,
    #[diesel(sql_type = Integer)]
    endorsements: i32,
    #[diesel(sql_type = BigInt)]
    score: i64,
    #[diesel(sql_type = BigInt)]
    rank: i64,
}

impl SummedRow {
    fn entry(self) -> (i64, EntryRow) {
        let row = EntryRow {
            employee_id: self.employee_id,
            name: self.name,
            department: self.department,
            sort_name: self.sort_name,
            received: self.received,
            given: self.given,
            endorsements: self.endorsements,
            score: self.score,
            // Not additive: counted from the postcards by the caller.
            unique_senders: 0,
        };
        (self.rank, row)
    }
}

/// A page of the people with a non-zero value, best first (ties by name, then id), each with
/// their competition rank among all of them.
pub fn page(
    conn: &mut DbConnection,
    f: &BoardFilter,
    metric: Metric,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<(i64, EntryRow)>> {
    let mut s = Statement::new(conn);
    let totals = per_person(&mut s, f, None);
    let last = s.param(Bind::Int(offset.saturating_add(limit)));
    let (limit, offset) = (s.param(Bind::Int(limit)), s.param(Bind::Int(offset)));
    let m = metric.name();
    // Ranks are taken on the totals alone (a sort of integers); only the people who can be on
    // the page (a rank is at most a position) are joined to their names and ordered by them.
    s.text = format!(
        "SELECT {ENTRY} FROM (SELECT t.*, RANK() OVER (ORDER BY t.{m} DESC) AS rank \
         FROM ({totals}) t WHERE t.{m} > 0) r \
         JOIN employees e ON e.id = r.employee_id WHERE r.rank <= {last} \
         ORDER BY r.{m} DESC, e.sort_name, e.id LIMIT {limit} OFFSET {offset}"
    );
    Ok(s.load::<SummedRow>(conn)?.into_iter().map(SummedRow::entry).collect())
}

/// One person's totals over the buckets (whatever they add up to).
pub fn one(conn: &mut DbConnection, f: &BoardFilter, employee_id: &str) -> QueryResult<Option<EntryRow>> {
    let mut s = Statement::new(conn);
    let totals = per_person(&mut s, f, Some(employee_id));
    s.text = format!(
        "SELECT {ENTRY} FROM (SELECT t.*, 0 AS rank FROM ({totals}) t) r \
         JOIN employees e ON e.id = r.employee_id"
    );
    Ok(s.load::<SummedRow>(conn)?.pop().map(|r| r.entry().1))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many people's totals over the buckets exceed `value`: a competition rank is one more.
pub fn count_above(conn: &mut DbConnection, f: &BoardFilter, metric: Metric, value: i64) -> QueryResult<i64> {
    let mut s = Statement::new(conn);
    let totals = per_person(&mut s, f, None);
    let value = s.param(Bind::Int(value));
    s.text = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ({totals}) t WHERE t.{} > {value}",
        metric.name()
    );
    Ok(s.load::<Count>(conn)?.first().map_or(0, |c| c.n))
}

#[derive(QueryableByName)]
struct DepartmentSum {
    #[diesel(sql_type = Text)]
    department: String,
    #[diesel(sql_type = BigInt)]
    score: i64,
    #[diesel(sql_type = BigInt)]
    participants: i64,
}

/// Per department: total score over the buckets, and how many active people took part (sent
/// or received) in any of them, each counted once.
pub fn departments(conn: &mut DbConnection, f: &BoardFilter) -> QueryResult<Vec<(String, i64, i64)>> {
    let mut s = Statement::new(conn);
    let rows = in_buckets(&mut s, f);
    s.text = format!(
        "SELECT department, CAST(COALESCE(SUM(score), 0) AS BIGINT) AS score, \
         CAST(COUNT(DISTINCT CASE WHEN received > 0 OR given > 0 THEN employee_id END) AS BIGINT) \
         AS participants FROM board_totals WHERE {rows} GROUP BY department"
    );
    Ok(s.load::<DepartmentSum>(conn)?
        .into_iter()
        .map(|d| (d.department, d.score, d.participants))
        .collect())
}
