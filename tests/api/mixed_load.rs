//! A randomised mixed workload from three instances on one database, eight clients at once:
//! sends (with an `Idempotency-Key`, as the web app sends them), endorsements and
//! withdrawals, hides and restores, leaderboard opt-outs, department changes, small imports
//! and reads. No answer may be a 5xx (a deadlock is retried, never surfaced), and afterwards
//! the stored leaderboard totals must equal a recount (`champion leaderboard verify`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::helpers::TestApp;

const DEPARTMENTS: [&str; 3] = ["Support", "Sales", "Ops"];
const BEHAVIOURS: [&str; 3] = ["small-win", "above-and-beyond", "team-player"];
const CLIENTS: u64 = 8;
const RUN_FOR: Duration = Duration::from_secs(8);

struct Someone {
    id: String,
    email: String,
    token: String,
}

struct World {
    client: reqwest::Client,
    instances: Vec<String>,
    people: Vec<Someone>,
    admin: String,
    cards: Mutex<Vec<String>>,
    failures: Mutex<Vec<String>>,
    answered: Mutex<[u64; 6]>,
}

impl World {
    async fn call(
        &self,
        rng: &mut StdRng,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Body>,
    ) -> Option<serde_json::Value> {
        let base = &self.instances[rng.gen_range(0..self.instances.len())];
        let mut req = self
            .client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(token);
        req = match body {
            Some(Body::Json(v, key)) => {
                let req = req.json(&v);
                match key {
                    Some(k) => req.header("idempotency-key", k),
                    None => req,
                }
            }
            Some(Body::Csv(text)) => req.header("content-type", "text/csv").body(text),
            None => req,
        };
        match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                self.answered.lock().unwrap()[usize::from(status / 100)] += 1;
                let text = res.text().await.unwrap_or_default();
                if status >= 500 {
                    self.failures
                        .lock()
                        .unwrap()
                        .push(format!("{method} {path}: {status} {text}"));
                }
                (status < 300).then(|| serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
            }
            Err(e) => {
                self.failures.lock().unwrap().push(format!("{method} {path}: {e}"));
                None
            }
        }
    }
}

enum Body {
    Json(serde_json::Value, Option<String>),
    Csv(String),
}

async fn client(world: Arc<World>, seed: u64) {
    use reqwest::Method;
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let n = world.people.len();
    let mut step = 0u64;
    while started.elapsed() < RUN_FOR {
        step += 1;
        let who = &world.people[rng.gen_range(0..n)];
        let card = {
            let cards = world.cards.lock().unwrap();
            (!cards.is_empty()).then(|| cards[rng.gen_range(0..cards.len())].clone())
        };
        match (rng.gen_range(0..100), card) {
            (0..=34, _) | (35..=64, None) => {
                let to: Vec<&str> = (0..rng.gen_range(1..=3))
                    .map(|_| world.people[rng.gen_range(0..n)].id.as_str())
                    .filter(|id| *id != who.id)
                    .collect();
                if to.is_empty() {
                    continue;
                }
                let mut to = to;
                to.sort();
                to.dedup();
                let body = json!({"recipients": to, "behaviour": BEHAVIOURS[rng.gen_range(0..3)], "message": format!("client {seed} step {step}")});
                let key = format!("mixed-{seed}-{step}");
                if let Some(sent) = world
                    .call(
                        &mut rng,
                        Method::POST,
                        "/api/v1/postcards",
                        &who.token,
                        Some(Body::Json(body, Some(key))),
                    )
                    .await
                {
                    if let Some(id) = sent["id"].as_str() {
                        world.cards.lock().unwrap().push(id.to_string());
                    }
                }
            }
            (35..=49, Some(card)) => {
                let path = format!("/api/v1/postcards/{card}/endorsements");
                world
                    .call(
                        &mut rng,
                        Method::POST,
                        &path,
                        &who.token,
                        Some(Body::Json(json!({}), None)),
                    )
                    .await;
            }
            (50..=57, Some(card)) => {
                let path = format!("/api/v1/postcards/{card}/endorsements");
                world.call(&mut rng, Method::DELETE, &path, &who.token, None).await;
            }
            (58..=64, Some(card)) => {
                let action = if rng.gen_bool(0.6) { "hide" } else { "restore" };
                let path = format!("/api/v1/postcards/{card}/{action}");
                world
                    .call(
                        &mut rng,
                        Method::POST,
                        &path,
                        &world.admin,
                        Some(Body::Json(json!({"reason": "mixed load"}), None)),
                    )
                    .await;
            }
            (65..=72, _) => {
                let body = json!({"show_on_leaderboard": rng.gen_bool(0.7)});
                world
                    .call(
                        &mut rng,
                        Method::PATCH,
                        "/api/v1/me/preferences",
                        &who.token,
                        Some(Body::Json(body, None)),
                    )
                    .await;
            }
            (73..=82, _) => {
                let body = json!({"department": DEPARTMENTS[rng.gen_range(0..3)]});
                let path = format!("/api/v1/employees/{}", who.id);
                world
                    .call(
                        &mut rng,
                        Method::PATCH,
                        &path,
                        &world.admin,
                        Some(Body::Json(body, None)),
                    )
                    .await;
            }
            (83..=87, _) => {
                let mut csv = String::from("email,name,department\n");
                for _ in 0..rng.gen_range(2..=4) {
                    let p = &world.people[rng.gen_range(0..n)];
                    csv.push_str(&format!(
                        "{},Person {},{}\n",
                        p.email,
                        &p.email[..3],
                        DEPARTMENTS[rng.gen_range(0..3)]
                    ));
                }
                world
                    .call(
                        &mut rng,
                        Method::POST,
                        "/api/v1/employees/import",
                        &world.admin,
                        Some(Body::Csv(csv)),
                    )
                    .await;
            }
            (_, _) => {
                let period = ["week", "month", "all"][rng.gen_range(0..3)];
                let path = if rng.gen_bool(0.5) {
                    format!("/api/v1/leaderboard?period={period}")
                } else {
                    format!("/api/v1/leaderboard/departments?period={period}")
                };
                world.call(&mut rng, Method::GET, &path, &who.token, None).await;
            }
        }
    }
}

async fn mixed_writes_from_three_instances_never_fail_and_keep_totals_exact(app: TestApp) {
    let mut people = Vec::new();
    for i in 0..12 {
        let email = format!("p{i:02}@acme.test");
        let created = app
            .create_employee(&email, &format!("Person {i:02}"), DEPARTMENTS[i % 3], None)
            .await;
        people.push(Someone {
            id: created["id"].as_str().unwrap().to_string(),
            token: app.token(&email),
            email,
        });
    }
    let instances = vec![
        app.address.clone(),
        app.another_instance().await,
        app.another_instance().await,
    ];
    let world = Arc::new(World {
        client: reqwest::Client::new(),
        instances,
        people,
        admin: app.admin_token(),
        cards: Mutex::new(Vec::new()),
        failures: Mutex::new(Vec::new()),
        answered: Mutex::new([0; 6]),
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|seed| tokio::spawn(client(world.clone(), seed)))
        .collect();
    for c in clients {
        c.await.expect("client");
    }
    let answered = *world.answered.lock().unwrap();
    let failures = world.failures.lock().unwrap().clone();
    let (report, _) = crate::board_totals::recount(&app).await;
    let wrong = format!(
        "leaderboard verify: {} totals, {} standings, {} department figures wrong: {:?}",
        report.totals.len(),
        report.standings.len(),
        report.departments.len(),
        report.departments.iter().take(5).collect::<Vec<_>>()
    );
    assert!(answered[2] > 200, "the workload did little: {answered:?}");
    assert!(
        failures.is_empty(),
        "{} of {} answers failed (2xx/4xx/5xx: {answered:?}):\n{}\n{wrong}",
        failures.len(),
        answered.iter().sum::<u64>(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(report.is_clean(), "after {answered:?}: {wrong}");
}

crate::on_both_backends!(with &[
    ("CHAMPION__RULES__WEEKLY_ALLOWANCE", "100000"),
    ("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "100000"),
    ("CHAMPION__DATABASE__POOL_SIZE", "6"),
]; mixed_writes_from_three_instances_never_fail_and_keep_totals_exact);

/// Two transactions that lock two rows in opposite orders: Postgres ends one as a deadlock
/// victim, and `write_tx` runs it again instead of reporting it, so both succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_is_run_again() {
    use champion::store::db::write_tx;
    use champion::store::DbConnection;
    use diesel::RunQueryDsl;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Barrier;

    let app = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await;
    let pool = app.pool();
    let barrier = Arc::new(Barrier::new(2));
    let attempts = Arc::new(AtomicU64::new(0));
    let bump = |conn: &mut DbConnection, key: &str| -> champion::error::AppResult<()> {
        let sql = format!(
            "INSERT INTO board_changes (period, version) VALUES ('{key}', 1) \
             ON CONFLICT (period) DO UPDATE SET version = board_changes.version + 1"
        );
        match conn {
            DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c)?,
            DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c)?,
        };
        Ok(())
    };
    let handles: Vec<_> = [("lock-a", "lock-b"), ("lock-b", "lock-a")]
        .into_iter()
        .map(|(first, second)| {
            let (pool, barrier, attempts) = (pool.clone(), barrier.clone(), attempts.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                let mut mine = 0;
                write_tx(&mut conn, |conn| {
                    mine += 1;
                    attempts.fetch_add(1, Ordering::SeqCst);
                    bump(conn, first)?;
                    if mine == 1 {
                        barrier.wait(); // both hold their first row: each now wants the other's
                    }
                    bump(conn, second)
                })
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread").expect("both transactions succeed");
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "one of the two ran again");
}
