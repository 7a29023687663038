//! Leaderboard totals per period bucket, changed in the same transaction as the postcard,
//! endorsement or moderation that moves them: one statement per change, whatever the size
//! of the history.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;

use super::schema::{board_departments, board_totals, employees};
use super::DbConnection;

/// `scoring.postcard` and `scoring.endorsement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub postcard: i64,
    pub endorsement: i64,
}

/// What one postcard adds to the boards (or takes away, when hidden).
#[derive(Debug, Clone)]
pub struct Contribution<'a> {
    /// The bucket keys of the postcard's local date.
    pub keys: &'a [String],
    pub behaviour: &'a str,
    pub sender_id: &'a str,
    pub recipients: &'a [String],
    /// Endorsements the postcard holds now.
    pub endorsements: i32,
    /// The `(bucket, behaviour or "", recipient)` where the sender has no other visible
    /// postcard to the recipient: there the postcard moves the recipient's unique senders.
    pub lone_pairs: &'a LonePairs<'a>,
}

/// See [`Contribution::lone_pairs`].
pub type LonePairs<'a> = HashSet<(&'a str, &'a str, &'a str)>;

impl Contribution<'_> {
    fn scopes(&self) -> Vec<(&str, &str)> {
        self.keys
            .iter()
            .flat_map(|k| [(k.as_str(), ""), (k.as_str(), self.behaviour)])
            .collect()
    }
}

/// What a board needs to know of a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub department: String,
    pub active: bool,
    /// Active and not opted out.
    pub listed: bool,
}

pub fn standing(department: String, active: bool, show_on_leaderboard: bool) -> Standing {
    Standing {
        department,
        active,
        listed: active && show_on_leaderboard,
    }
}

/// These people's standings (everyone's, given `None`).
pub fn standings(conn: &mut DbConnection, ids: Option<&[&str]>) -> QueryResult<HashMap<String, Standing>> {
    let mut query = employees::table.into_boxed();
    if let Some(ids) = ids {
        query = query.filter(employees::id.eq_any(ids));
    }
    let rows: Vec<(String, String, bool, bool)> = query
        .select((
            employees::id,
            employees::department,
            employees::active,
            employees::show_on_leaderboard,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, department, active, shown)| (id, standing(department, active, shown)))
        .collect())
}

/// How much a change moves one person's totals.
#[derive(Debug, Clone, Copy, Default)]
struct Delta {
    received: i32,
    given: i32,
    endorsements: i32,
    score: i64,
    unique_senders: i32,
}

impl Delta {
    fn add(&mut self, d: Delta) {
        self.received += d.received;
        self.given += d.given;
        self.endorsements += d.endorsements;
        self.score += d.score;
        self.unique_senders += d.unique_senders;
    }
}

/// A board row as it is after a change.
#[derive(Debug, Clone, QueryableByName, Queryable, Selectable)]
#[diesel(table_name = board_totals)]
pub struct RowAfter {
    pub period: String,
    pub behaviour: String,
    pub employee_id: String,
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    pub department: String,
    pub active: bool,
    pub listed: bool,
    /// How many writes the row has had (see `boards::memory`: the higher, the newer).
    pub revision: i64,
}

/// A change to one board row, as written.
#[derive(Clone, Copy)]
struct Change<'a> {
    period: &'a str,
    behaviour: &'a str,
    employee: &'a str,
    delta: Delta,
    standing: &'a Standing,
}

/// Adds the changes to the board rows (creating missing ones) and answers the rows as they
/// are now. Rows are written in the order given (key order), one statement. On Postgres the
/// rows come as one array per column, unnested, in a statement whose text does not depend on
/// how many rows there are: it is prepared once per connection (a multi-row VALUES of a
/// batch's few hundred rows was parsed and planned anew on every send batch, a tenth of the
/// database's CPU). SQLite reads them from one JSON array.
fn add_totals(conn: &mut DbConnection, changes: &[Change]) -> QueryResult<Vec<RowAfter>> {
    use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};
    let upsert = |rows: &str| {
        format!(
            "INSERT INTO board_totals (period, behaviour, employee_id, received, given, endorsements, \
             score, department, active, listed, unique_senders) SELECT * FROM {rows} WHERE true \
             ON CONFLICT (employee_id, period, behaviour) DO UPDATE SET \
             received = board_totals.received + excluded.received, \
             given = board_totals.given + excluded.given, \
             endorsements = board_totals.endorsements + excluded.endorsements, \
             score = board_totals.score + excluded.score, \
             department = excluded.department, active = excluded.active, listed = excluded.listed, \
             unique_senders = board_totals.unique_senders + excluded.unique_senders, \
             revision = board_totals.revision + 1 \
             RETURNING period, behaviour, employee_id, received, given, endorsements, score, \
             department, active, listed, revision"
        )
    };
    match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(upsert(
            "unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::int4[], \
             $7::int8[], $8::text[], $9::bool[], $10::bool[], $11::int4[])",
        ))
        .bind::<Array<Text>, _>(column(changes, |c| c.period))
        .bind::<Array<Text>, _>(column(changes, |c| c.behaviour))
        .bind::<Array<Text>, _>(column(changes, |c| c.employee))
        .bind::<Array<Integer>, _>(column(changes, |c| c.delta.received))
        .bind::<Array<Integer>, _>(column(changes, |c| c.delta.given))
        .bind::<Array<Integer>, _>(column(changes, |c| c.delta.endorsements))
        .bind::<Array<BigInt>, _>(column(changes, |c| c.delta.score))
        .bind::<Array<Text>, _>(column(changes, |c| c.standing.department.as_str()))
        .bind::<Array<Bool>, _>(column(changes, |c| c.standing.active))
        .bind::<Array<Bool>, _>(column(changes, |c| c.standing.listed))
        .bind::<Array<Integer>, _>(column(changes, |c| c.delta.unique_senders))
        .load(pg),
        DbConnection::Sqlite(lite) => {
            let rows: Vec<serde_json::Value> = changes
                .iter()
                .map(|c| {
                    let (d, s) = (c.delta, c.standing);
                    serde_json::json!([
                        c.period,
                        c.behaviour,
                        c.employee,
                        d.received,
                        d.given,
                        d.endorsements,
                        d.score,
                        s.department,
                        s.active,
                        s.listed,
                        d.unique_senders
                    ])
                })
                .collect();
            diesel::sql_query(upsert(&json_rows(11)))
                .bind::<Text, _>(serde_json::Value::Array(rows).to_string())
                .load(lite)
        }
    }
}

/// One column of a statement's rows, as an array for Postgres.
fn column<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// SQLite: the rows of a JSON array of `columns`-long arrays (the one parameter), as a table.
fn json_rows(columns: usize) -> String {
    let values: Vec<String> = (0..columns).map(|i| format!("value ->> {i}")).collect();
    format!("(SELECT {} FROM json_each(?)) AS r", values.join(", "))
}

/// How many rows each department figure is split over. Nearly every send moves the same few
/// hundred department rows (its departments' "all time", year, month... rows), and a moved
/// row stays locked until its transaction commits: with one row per figure, concurrent
/// writers queue behind each other's commits. Each write adds its changes to one shard, and
/// readers add the shards up.
pub const DEPARTMENT_SHARDS: u32 = 8;

static NEXT_SHARD: AtomicU32 = AtomicU32::new(0);

/// The shard for the next department write: round robin, so writers that overlap in time
/// (which started one after the other) take different shards until eight of them overlap.
fn next_shard() -> i32 {
    // u32::MAX + 1 is a multiple of 8: the sequence stays round robin when the counter wraps.
    (NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % DEPARTMENT_SHARDS) as i32
}

/// How a change moves each department's figures in each bucket: `(period, behaviour,
/// department)` to `(score, participants)`. A BTreeMap, so rows are written in key order and
/// concurrent writers cannot deadlock on them.
#[derive(Debug, Default)]
pub(super) struct DepartmentDeltas(BTreeMap<(String, String, String), (i64, i32)>);

impl DepartmentDeltas {
    pub(super) fn add(&mut self, period: &str, behaviour: &str, department: &str, score: i64, participants: i32) {
        let d = self
            .0
            .entry((period.to_string(), behaviour.to_string(), department.to_string()))
            .or_default();
        d.0 += score;
        d.1 += participants;
    }

    /// Adds the moved figures to one shard (none taken when nothing moved).
    pub(super) fn write(self, conn: &mut DbConnection) -> QueryResult<()> {
        let moved: Vec<Moved> = self.0.iter().filter(|(_, d)| **d != (0, 0)).collect();
        if moved.is_empty() {
            return Ok(());
        }
        let this_shard = next_shard();
        let upsert = |rows: &str| {
            format!(
                "INSERT INTO board_departments (period, behaviour, department, shard, score, participants) \
                 SELECT * FROM {rows} WHERE true \
                 ON CONFLICT (period, behaviour, department, shard) DO UPDATE SET \
                 score = board_departments.score + excluded.score, \
                 participants = board_departments.participants + excluded.participants"
            )
        };
        use diesel::sql_types::{Array, BigInt, Integer, Text};
        match conn {
            // One prepared statement over arrays (see `add_totals`).
            DbConnection::Postgres(pg) => diesel::sql_query(upsert(
                "(SELECT p, b, d, $4, s, n FROM unnest($1::text[], $2::text[], $3::text[], \
                 $5::int8[], $6::int4[]) AS u(p, b, d, s, n)) AS r",
            ))
            .bind::<Array<Text>, _>(column(&moved, |((p, _, _), _)| p.as_str()))
            .bind::<Array<Text>, _>(column(&moved, |((_, b, _), _)| b.as_str()))
            .bind::<Array<Text>, _>(column(&moved, |((_, _, d), _)| d.as_str()))
            .bind::<Integer, _>(this_shard)
            .bind::<Array<BigInt>, _>(column(&moved, |(_, (s, _))| *s))
            .bind::<Array<Integer>, _>(column(&moved, |(_, (_, n))| *n))
            .execute(pg),
            DbConnection::Sqlite(lite) => {
                let rows: Vec<serde_json::Value> = moved
                    .iter()
                    .map(|((p, b, d), (s, n))| serde_json::json!([p, b, d, this_shard, s, n]))
                    .collect();
                diesel::sql_query(upsert(&json_rows(6)))
                    .bind::<Text, _>(serde_json::Value::Array(rows).to_string())
                    .execute(lite)
            }
        }
        .map(|_| ())
    }
}

/// One department figure's change: `(period, behaviour, department)`, `(score, participants)`.
type Moved<'a> = (&'a (String, String, String), &'a (i64, i32));

/// Someone took part in a bucket when they sent or received a visible postcard in it.
pub(super) fn took_part(received: i32, given: i32) -> bool {
    received > 0 || given > 0
}

/// Adds (`sign = 1`) or removes (`sign = -1`) a postcard's contribution to every bucket,
/// in one multi-row upsert.
pub fn apply_postcard(conn: &mut DbConnection, c: &Contribution, sign: i32, w: Weights) -> QueryResult<()> {
    let mut people: Vec<&str> = c.recipients.iter().map(String::as_str).collect();
    people.push(c.sender_id);
    let standings = standings(conn, Some(&people))?;
    apply_postcards_with(conn, std::slice::from_ref(c), sign, w, &standings).map(|_| ())
}

/// `apply_postcard` for several postcards at once, by a caller that already holds the
/// people's standings (sends, which have just read the recipients and locked the senders).
/// Their changes to one row are merged: one upsert, each row named once, in key order.
/// Answers the rows as they are after it.
pub fn apply_postcards_with(
    conn: &mut DbConnection,
    cs: &[Contribution],
    sign: i32,
    w: Weights,
    standings: &HashMap<String, Standing>,
) -> QueryResult<Vec<RowAfter>> {
    let unknown = Standing::default();
    let standing = |id: &str| standings.get(id).unwrap_or(&unknown);
    // Rows in key order (a BTreeMap): concurrent writers then lock shared rows in the same
    // order and cannot deadlock.
    let mut merged: BTreeMap<(&str, &str, &str), Delta> = BTreeMap::new();
    for c in cs {
        let per_recipient_score = i64::from(sign) * (w.postcard + w.endorsement * i64::from(c.endorsements));
        for (period, behaviour) in c.scopes() {
            for r in c.recipients {
                let lone = c.lone_pairs.contains(&(period, behaviour, r.as_str()));
                merged.entry((period, behaviour, r)).or_default().add(Delta {
                    received: sign,
                    endorsements: sign * c.endorsements,
                    score: per_recipient_score,
                    unique_senders: if lone { sign } else { 0 },
                    ..Delta::default()
                });
            }
            merged.entry((period, behaviour, c.sender_id)).or_default().add(Delta {
                given: sign,
                ..Delta::default()
            });
        }
    }
    let changes: Vec<Change> = merged
        .into_iter()
        .map(|((period, behaviour, employee), delta)| Change {
            period,
            behaviour,
            employee,
            delta,
            standing: standing(employee),
        })
        .collect();
    let after = add_totals(conn, &changes)?;
    // The rows as they are now, less this change, tell whether each person just started (or
    // stopped) taking part in the bucket: exact under concurrency, as each row is locked.
    let deltas: HashMap<(&str, &str, &str), Delta> = changes
        .iter()
        .map(|c| ((c.period, c.behaviour, c.employee), c.delta))
        .collect();
    let mut departments = DepartmentDeltas::default();
    for row in &after {
        let Some(d) = deltas.get(&(row.period.as_str(), row.behaviour.as_str(), row.employee_id.as_str())) else {
            continue;
        };
        if !row.active {
            continue;
        }
        let before = took_part(row.received - d.received, row.given - d.given);
        let now = took_part(row.received, row.given);
        departments.add(
            &row.period,
            &row.behaviour,
            &row.department,
            d.score,
            i32::from(now) - i32::from(before),
        );
    }
    departments.write(conn)?;
    Ok(after)
}

/// One endorsement added (`sign = 1`) or withdrawn (`sign = -1`) on a visible postcard.
pub fn apply_endorsement(conn: &mut DbConnection, c: &Contribution, sign: i32, w: Weights) -> QueryResult<()> {
    use board_totals::*;
    let behaviours = ["", c.behaviour];
    // In the board's lock order first (see `board_sync`), then changed by a filter.
    lock_rows(conn, c.keys, &behaviours, c.recipients)?;
    let points = i64::from(sign) * w.endorsement;
    let update = diesel::update(
        table
            .filter(period.eq_any(c.keys))
            .filter(behaviour.eq_any(behaviours))
            .filter(employee_id.eq_any(c.recipients)),
    )
    .set((
        endorsements.eq(endorsements + sign),
        score.eq(score + points),
        revision.eq(revision + 1),
    ))
    .returning((period, behaviour, department, active));
    let changed: Vec<(String, String, String, bool)> = crate::per_backend!(conn, c => update.get_results(c))?;
    let mut departments = DepartmentDeltas::default();
    for (p, b, d, _) in changed.iter().filter(|r| r.3) {
        departments.add(p, b, d, points, 0);
    }
    departments.write(conn)
}

#[derive(QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = diesel::sql_types::Text)]
    indexname: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    indexdef: String,
}

/// Drops the secondary indexes of the totals and answers the statements that build them
/// again (their definitions as the database holds them, so nothing is repeated from the
/// migrations): loading millions of rows and then building each index once is far faster
/// than maintaining the indexes row by row. The indexes are gone until the transaction ends,
/// so only for a rebuild nobody reads meanwhile.
pub fn drop_secondary_indexes(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    use diesel::connection::SimpleConnection;
    let list = match conn {
        DbConnection::Postgres(_) => {
            "SELECT indexname::text AS indexname, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'board_totals' \
             AND indexname <> 'board_totals_pkey'"
        }
        // The primary key's own index has no SQL and stays.
        DbConnection::Sqlite(_) => {
            "SELECT name AS indexname, sql AS indexdef FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'board_totals' AND sql IS NOT NULL"
        }
    };
    let defs: Vec<IndexDef> = diesel::sql_query(list).load(conn)?;
    for d in &defs {
        conn.batch_execute(&format!("DROP INDEX \"{}\"", d.indexname))?;
    }
    Ok(defs.into_iter().map(|d| d.indexdef).collect())
}

/// Builds the indexes `drop_secondary_indexes` dropped.
pub fn create_indexes(conn: &mut DbConnection, defs: &[String]) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    for d in defs {
        conn.batch_execute(d)?;
    }
    Ok(())
}

/// The highest revision of any board row (0 when there are none).
pub fn highest_revision(conn: &mut DbConnection) -> QueryResult<i64> {
    use diesel::dsl::max;
    let highest: Option<i64> = board_totals::table.select(max(board_totals::revision)).first(conn)?;
    Ok(highest.unwrap_or(0))
}

/// Forgets every total (before a rebuild; the caller records the change to every bucket).
pub fn clear(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(board_departments::table).execute(conn)?;
    diesel::delete(board_totals::table).execute(conn)?;
    Ok(())
}

/// `(period, behaviour, department, score, participants)`.
pub type DepartmentRow = (String, String, String, i64, i64);

/// Department figures as the board rows of active people add up to (to rebuild and to verify
/// the stored ones).
pub fn departments_from_totals(conn: &mut DbConnection) -> QueryResult<Vec<DepartmentRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    board_totals::table
        .filter(board_totals::active.eq(true))
        .group_by((board_totals::period, board_totals::behaviour, board_totals::department))
        .select((
            board_totals::period,
            board_totals::behaviour,
            board_totals::department,
            sql::<BigInt>("CAST(COALESCE(SUM(board_totals.score), 0) AS BIGINT)"),
            sql::<BigInt>(
                "CAST(SUM(CASE WHEN board_totals.received > 0 OR board_totals.given > 0 THEN 1 ELSE 0 END) AS BIGINT)",
            ),
        ))
        .load(conn)
}

/// The stored department figures (their shards added up).
pub fn stored_departments(conn: &mut DbConnection) -> QueryResult<Vec<DepartmentRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    board_departments::table
        .group_by((
            board_departments::period,
            board_departments::behaviour,
            board_departments::department,
        ))
        .select((
            board_departments::period,
            board_departments::behaviour,
            board_departments::department,
            sql::<BigInt>(SHARD_SCORE),
            sql::<BigInt>(SHARD_PARTICIPANTS),
        ))
        .load(conn)
}

/// A department's score and participants: the sums of its shards.
pub const SHARD_SCORE: &str = "CAST(SUM(board_departments.score) AS BIGINT)";
pub const SHARD_PARTICIPANTS: &str = "CAST(SUM(board_departments.participants) AS BIGINT)";

/// Writes department figures (after `clear`), each in one shard.
pub fn insert_departments(conn: &mut DbConnection, rows: &[DepartmentRow]) -> QueryResult<()> {
    use board_departments::*;
    for chunk in rows.chunks(1000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(p, b, d, s, n)| {
                (
                    period.eq(p.as_str()),
                    behaviour.eq(b.as_str()),
                    department.eq(d.as_str()),
                    shard.eq(0),
                    score.eq(*s),
                    participants.eq(*n as i32),
                )
            })
            .collect();
        let insert = diesel::insert_into(table).values(&values);
        crate::per_backend!(conn, c => insert.execute(c))?;
    }
    Ok(())
}

/// Locks board rows before an `UPDATE` that names them by a filter (Postgres would lock
/// them in whatever order its plan meets them, and two writers could wait for each other).
fn lock_rows(conn: &mut DbConnection, periods: &[String], behaviours: &[&str], people: &[String]) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            _one: i32,
        }
        diesel::sql_query(
            "SELECT 1 AS _one FROM board_totals WHERE period = ANY($1::text[]) AND behaviour = ANY($2::text[]) \
             AND employee_id = ANY($3::text[]) \
             ORDER BY period COLLATE \"C\", behaviour COLLATE \"C\", employee_id COLLATE \"C\" FOR UPDATE",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(periods)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(behaviours)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(people)
        .load::<Locked>(pg)?;
    }
    Ok(())
}

/// Records, in the writer's transaction, that these ended (or ending) buckets' totals
/// changed (see `domain::buckets::recorded`): one statement, rows in key order, so two
/// writers never wait for each other's rows in turn.
pub fn record_changes(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<()> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let bump = |list: &str| {
        format!(
            "INSERT INTO board_changes (period, version) SELECT value, 1 FROM {list} WHERE true \
             ON CONFLICT (period) DO UPDATE SET version = board_changes.version + 1"
        )
    };
    match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(bump("unnest($1::text[]) AS value"))
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&keys)
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(bump("json_each(?)"))
            .bind::<diesel::sql_types::Text, _>(serde_json::to_string(&keys).unwrap_or_default())
            .execute(lite)?,
    };
    Ok(())
}

/// Records a change to every bucket that has rows (a rebuild, before it clears them and
/// after it writes them again).
pub fn record_change_to_all(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO board_changes (period, version) SELECT DISTINCT period, 1 FROM board_totals WHERE true \
         ON CONFLICT (period) DO UPDATE SET version = board_changes.version + 1",
    )
    .execute(conn)?;
    Ok(())
}
