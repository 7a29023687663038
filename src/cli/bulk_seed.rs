//! `champion seed --employees N --postcards M`: a large, believable organisation for
//! benchmarks: departments with managers, a year of postcards that keep the weekly
//! allowance and the same-pair cap, endorsements, then leaderboard totals rebuilt from them.
//! Rows are written in multi-row batches in one transaction, with a progress bar.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::boards::recount;
use crate::domain::clock::now;
use crate::domain::period::week_start_date;
use crate::domain::{employee::sort_key, period::local_date};
use crate::services::postcards::{id_at, Rules};
use crate::settings::Settings;
use crate::startup::prepare_database;
use crate::store::db::write_tx;
use crate::store::employees::NewEmployee;
use crate::store::schema::{employees, endorsements, postcard_recipients, postcards};
use crate::store::DbConnection;

const BATCH: usize = 1000;

const TEAM: usize = 8;
const BEHAVIOURS: [&str; 6] = [
    "customer-obsessed",
    "above-and-beyond",
    "listens-to-customers",
    "owns-the-outcome",
    "small-win",
    "team-player",
];
pub(super) const FIRST: [&str; 12] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grete", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
];
pub(super) const LAST: [&str; 10] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Patel",
    "Nakamura",
    "Silva",
    "Kowalski",
    "Haddad",
    "Byrne",
    "Osei",
];

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// N people in departments of about 400, each department a head and teams of eight.
fn people(n: usize, at: NaiveDateTime) -> Vec<NewEmployee> {
    let departments = n.div_ceil(400).max(1);
    let mut rows: Vec<NewEmployee> = Vec::with_capacity(n);
    for i in 0..n {
        let d = i % departments;
        let name = format!(
            "{} {} {i}",
            FIRST[i % FIRST.len()],
            LAST[(i / FIRST.len()) % LAST.len()]
        );
        // The first person of each department heads it; the others report to a team lead.
        let position = i / departments;
        let manager = match position {
            0 => None,
            p if p % TEAM == 1 => Some(d),
            p => Some(d + departments * (1 + ((p - 1) / TEAM) * TEAM)),
        };
        rows.push(NewEmployee {
            id: uuid::Uuid::now_v7().to_string(),
            email: format!("person{i}@bench.example"),
            sort_name: sort_key(&name),
            name,
            department: format!("Department {d:03}"),
            manager_id: manager.map(|m| m.to_string()),
            timezone: None,
            active: true,
            role: "employee".into(),
            created_at: at,
            updated_at: at,
            external_id: None,
        });
    }
    // Managers were named by index; now that every id exists, link them.
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    for r in &mut rows {
        r.manager_id = r
            .manager_id
            .as_ref()
            .and_then(|m| m.parse::<usize>().ok())
            .and_then(|m| ids.get(m).cloned());
    }
    rows
}

type PostcardTuple = (String, String, String, String, String, i32, NaiveDateTime);

pub fn run(settings: &Settings, n_people: usize, n_postcards: usize, weeks: i64) -> anyhow::Result<()> {
    anyhow::ensure!(n_people >= 2, "--employees must be at least 2");
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let existing: i64 = employees::table.count().get_result(&mut conn)?;
    anyhow::ensure!(
        existing == 0,
        "seed --employees needs an empty database (it holds {existing} employees)"
    );
    let rules = Rules {
        notify: None,
        ..Rules::from_settings(settings)
    };
    let end = now();
    let start = end - Duration::weeks(weeks);
    let staff = people(n_people, start);
    let mut rng = StdRng::seed_from_u64(20_000);

    // Postcards that keep the rules: per sender and week, and per pair and week.
    let mut sent: HashMap<(usize, chrono::NaiveDate), u32> = HashMap::new();
    let mut pair: HashMap<(usize, usize, chrono::NaiveDate), u32> = HashMap::new();
    let mut cards: Vec<PostcardTuple> = Vec::with_capacity(n_postcards);
    let mut recipients: Vec<(String, String, i32, String, String, NaiveDateTime)> =
        Vec::with_capacity(n_postcards * 6 / 5);
    let mut fans: Vec<(String, String, NaiveDateTime)> = Vec::with_capacity(n_postcards * 3 / 2);
    let span = (end - start).num_seconds();
    let making = bar(n_postcards as u64, "postcards made");
    while cards.len() < n_postcards {
        let at = start + Duration::seconds(rng.gen_range(0..span));
        let week = week_start_date(local_date(at, rules.timezone), rules.week_starts);
        let sender = rng.gen_range(0..n_people);
        let count = if rng.gen_bool(0.15) { 2 } else { 1 };
        let to: Vec<usize> = (0..count).map(|_| rng.gen_range(0..n_people)).collect();
        let allowed = sent.get(&(sender, week)).copied().unwrap_or(0) < rules.weekly_allowance as u32
            && to.iter().all(|&r| {
                r != sender && pair.get(&(sender, r, week)).copied().unwrap_or(0) < rules.same_pair_per_week as u32
            })
            && (count == 1 || to[0] != to[1]);
        if !allowed {
            continue;
        }
        *sent.entry((sender, week)).or_default() += 1;
        for &r in &to {
            *pair.entry((sender, r, week)).or_default() += 1;
        }
        let id = id_at(at);
        let behaviour = BEHAVIOURS[rng.gen_range(0..BEHAVIOURS.len())].to_string();
        for (i, &r) in to.iter().enumerate() {
            recipients.push((
                id.clone(),
                staff[r].id.clone(),
                i as i32,
                staff[sender].id.clone(),
                behaviour.clone(),
                at,
            ));
        }
        let mut endorsed = 0;
        for _ in 0..rng.gen_range(0..4) {
            let fan = rng.gen_range(0..n_people);
            if fan != sender && !to.contains(&fan) && !fans.iter().rev().take(endorsed).any(|f| f.1 == staff[fan].id) {
                fans.push((
                    id.clone(),
                    staff[fan].id.clone(),
                    at + Duration::minutes(rng.gen_range(1..600)),
                ));
                endorsed += 1;
            }
        }
        let message = format!(
            "Thank you for looking after customer #{} so well.",
            rng.gen_range(1000..99999)
        );
        cards.push((
            id,
            staff[sender].id.clone(),
            behaviour,
            message,
            "public".into(),
            endorsed as i32,
            at,
        ));
        making.inc(1);
    }
    making.finish_and_clear();
    // Oldest first: ids are time-ordered, so rows go to the end of the indexes.
    cards.sort_by(|a, b| a.0.cmp(&b.0));
    recipients.sort();
    fans.sort();
    crate::store::db::prepare_for_bulk_writes(&mut conn)?;

    write_tx(&mut conn, |conn| {
        // Not COPY: employees are few, and their Insertable leaves NULLs to column defaults.
        insert_all(conn, &staff, "employees", |c, chunk| {
            let q = diesel::insert_into(employees::table).values(chunk);
            crate::per_backend!(c, c => q.execute(c))
        })?;
        let rows: Vec<_> = cards
            .iter()
            .map(|(id, sender, behaviour, message, visibility, endorsed, at)| {
                (
                    postcards::id.eq(id),
                    postcards::sender_id.eq(sender),
                    postcards::behaviour.eq(behaviour),
                    postcards::message.eq(message),
                    postcards::visibility.eq(visibility),
                    postcards::endorsement_count.eq(*endorsed),
                    postcards::created_at.eq(*at),
                )
            })
            .collect();
        insert_all(conn, &rows, "postcards", crate::bulk_insert!(postcards::table))?;
        let rows: Vec<_> = recipients
            .iter()
            .map(|(p, r, i, sender, behaviour, at)| {
                (
                    postcard_recipients::postcard_id.eq(p),
                    postcard_recipients::recipient_id.eq(r),
                    postcard_recipients::position.eq(*i),
                    postcard_recipients::sender_id.eq(sender),
                    postcard_recipients::behaviour.eq(behaviour),
                    postcard_recipients::created_at.eq(*at),
                )
            })
            .collect();
        insert_all(
            conn,
            &rows,
            "recipients",
            crate::bulk_insert!(postcard_recipients::table),
        )?;
        let rows: Vec<_> = fans
            .iter()
            .map(|(p, e, at)| {
                (
                    endorsements::postcard_id.eq(p),
                    endorsements::employee_id.eq(e),
                    endorsements::created_at.eq(*at),
                )
            })
            .collect();
        insert_all(conn, &rows, "endorsements", crate::bulk_insert!(endorsements::table))?;
        Ok(())
    })
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("writing the seed")?;

    let totals = bar(6, "kinds of leaderboard bucket rebuilt");
    recount::rebuild(&mut conn, &rules.board, recount::Readers::Nobody, &|done, _| {
        totals.set_position(done)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    totals.finish_and_clear();
    // Fresh statistics, so the query planners know the tables' new shape (and, on Postgres,
    // a visibility map, so index-only scans need not visit the table).
    let analyze = match &mut *conn {
        DbConnection::Postgres(_) => "VACUUM ANALYZE",
        DbConnection::Sqlite(_) => "ANALYZE",
    };
    diesel::sql_query(analyze).execute(&mut conn)?;
    println!(
        "Seeded {n_people} employees, {} postcards over {weeks} weeks and {} endorsements; leaderboards rebuilt.",
        cards.len(),
        fans.len()
    );
    Ok(())
}

fn insert_all<T>(
    conn: &mut DbConnection,
    rows: &[T],
    what: &str,
    insert: impl Fn(&mut DbConnection, &[T]) -> QueryResult<usize>,
) -> crate::error::AppResult<()> {
    let progress = bar(rows.len() as u64, what);
    for chunk in rows.chunks(BATCH) {
        insert(conn, chunk)?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(())
}
