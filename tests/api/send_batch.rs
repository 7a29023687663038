//! Group commit: several sends written in one transaction decide exactly as the same sends
//! one after another would (allowance, pair cap, unique senders, refusals that leave the
//! others alone), and a batch whose transaction fails is retried send by send.

use chrono::NaiveDateTime;
use futures_util::future::join_all;
use serde_json::json;

use crate::board_totals::recount;
use crate::helpers::{Backend, TestApp};
use crate::org::{card, org, Org};
use champion::error::AppError;
use champion::services::postcards::{Rules, SendInput};
use champion::services::send_batch::{send_many, SendJob};
use champion::store::DbConnection;

const SETTINGS: &[(&str, &str)] = &[
    ("CHAMPION__RULES__WEEKLY_ALLOWANCE", "3"),
    ("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "2"),
];

fn job(conn: &mut DbConnection, from: &str, to: &[&str], behaviour: &str) -> SendJob {
    SendJob {
        sender: champion::store::employees::find(conn, from).unwrap().unwrap(),
        input: SendInput {
            recipients: to.iter().map(|t| t.to_string()).collect(),
            behaviour: behaviour.into(),
            message: "Took the customer's call at midnight.".into(),
            customer: None,
            visibility: champion::domain::postcard::Visibility::Public,
        },
        idempotency: None,
    }
}

/// `"ok"` for a sent postcard, else the rule's code and field.
fn outcome(r: &Result<champion::services::send_batch::Sent, AppError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(AppError::Rule { code, field, .. }) => format!("{code} {}", field.as_deref().unwrap_or("-")),
        Err(e) => format!("error {e:?}"),
    }
}

fn count_postcards(conn: &mut DbConnection) -> i64 {
    diesel::RunQueryDsl::get_result(diesel::QueryDsl::count(champion::store::schema::postcards::table), conn).unwrap()
}

async fn one_batch_decides_like_sends_in_turn(app: TestApp) {
    let Org { ann, bob, cat, dan, .. } = org(&app).await;
    let pool = app.pool();
    let settings = app.settings.clone();
    let (ann_id, bob_id, cat_id, dan_id) = (ann.id.clone(), bob.id.clone(), cat.id.clone(), dan.id.clone());
    let outcomes = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let rules = Rules::from_settings(&settings);
        let jobs = vec![
            job(&mut conn, &bob_id, &[&ann_id], "above-and-beyond"),
            job(&mut conn, &bob_id, &[&ann_id], "small-win"),
            // Third to Ann this week: the pair cap (2) counts the two just before, same batch.
            job(&mut conn, &bob_id, &[&ann_id], "small-win"),
            job(&mut conn, &bob_id, &[&cat_id], "small-win"),
            // Bob's fourth: over the allowance (3), counting this batch's sends.
            job(&mut conn, &bob_id, &[&dan_id], "small-win"),
            job(&mut conn, &cat_id, &[&ann_id, &bob_id], "above-and-beyond"),
            job(&mut conn, &cat_id, &[&dan_id, "no-such-person"], "small-win"),
            job(&mut conn, &dan_id, &[&dan_id], "small-win"),
            job(&mut conn, &dan_id, &[&ann_id], "no-such-behaviour"),
            job(&mut conn, &dan_id, &[&ann_id], "small-win"),
        ];
        let at = champion::domain::clock::now();
        let before = count_postcards(&mut conn);
        let answers = send_many(&mut conn, &jobs, &rules, at, None).unwrap();
        let stored = count_postcards(&mut conn) - before;
        (answers.iter().map(outcome).collect::<Vec<_>>(), stored)
    })
    .await
    .unwrap();
    assert_eq!(
        outcomes.0,
        [
            "ok",
            "ok",
            "pair_limit_exceeded recipients[0]",
            "ok",
            "weekly_allowance_exceeded -",
            "ok",
            "unknown_recipient recipients[1]",
            "self_postcard recipients[0]",
            "unknown_behaviour behaviour",
            "ok",
        ]
    );
    assert_eq!(outcomes.1, 5, "exactly the accepted postcards are stored");
    // Ann: two from Bob (one unique sender), one from Cat, one from Dan.
    let board = app
        .get("/api/v1/leaderboard?period=week&metric=received", Some(&ann.token))
        .await;
    let top = &board.body["entries"][0];
    assert_eq!(top["employee"]["id"], ann.id.as_str(), "{}", board.text);
    assert_eq!(
        (top["received"].as_i64(), top["unique_senders"].as_i64()),
        (Some(4), Some(3))
    );
    let given = app
        .get("/api/v1/leaderboard?period=week&metric=given", Some(&ann.token))
        .await;
    assert_eq!(
        given.body["entries"][0]["employee"]["id"],
        bob.id.as_str(),
        "{}",
        given.text
    );
    assert_eq!(given.body["entries"][0]["given"], 3);
    // The feed shows them, and the boards equal a recount.
    let feed = app.get("/api/v1/postcards?limit=100", Some(&cat.token)).await;
    assert_eq!(feed.body["items"].as_array().map(Vec::len), Some(5), "{}", feed.text);
    let (diffs, _) = recount(&app).await;
    assert!(diffs.is_clean(), "stored totals differ from a recount: {diffs:#?}");
}

/// A trigger that makes the database refuse one postcard (its message), the kind of failure
/// no rule foresees: the whole batch's transaction fails.
fn poison(conn: &mut DbConnection, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER poison BEFORE INSERT ON postcards WHEN NEW.message = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned postcard'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF NEW.message = 'poison' THEN RAISE EXCEPTION 'poisoned postcard'; END IF; \
               RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON postcards FOR EACH ROW EXECUTE FUNCTION poison();"
        }
    };
    diesel::connection::SimpleConnection::batch_execute(conn, sql).unwrap();
}

async fn a_failed_batch_is_retried_send_by_send(app: TestApp) {
    let o = org(&app).await;
    let pool = app.pool();
    let backend = app.backend;
    let settings = app.settings.clone();
    let (bob_id, cat_id) = (o.bob.id.clone(), o.cat.id.clone());
    let (batch_failed, nothing_written) = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        poison(&mut conn, backend);
        let rules = Rules::from_settings(&settings);
        let mut bad = job(&mut conn, &bob_id, &[&cat_id], "small-win");
        bad.input.message = "poison".into();
        let jobs = [job(&mut conn, &cat_id, &[&bob_id], "small-win"), bad];
        let at = NaiveDateTime::parse_from_str("2026-11-20 12:00", "%Y-%m-%d %H:%M").unwrap();
        let result = send_many(&mut conn, &jobs, &rules, at, None);
        (result.is_err(), count_postcards(&mut conn) == 0)
    })
    .await
    .unwrap();
    assert!(
        batch_failed && nothing_written,
        "the batch fails as a whole and writes nothing"
    );

    // Through the API, with one writer: sends queue behind each other and are batched; the
    // poisoned one fails alone, every other one is sent.
    let good: Vec<_> = (0..12)
        .map(|i| {
            let (from, to) = if i % 2 == 0 { (&o.ann, &o.dan) } else { (&o.dan, &o.ann) };
            (from.token.clone(), card(&[&to.id]))
        })
        .collect();
    let mut bad = card(&[&o.cat.id]);
    bad["message"] = json!("poison");
    let mut requests: Vec<_> = good.iter().map(|(t, b)| (t.clone(), b.clone())).collect();
    requests.insert(5, (o.bob.token.clone(), bad));
    let replies = join_all(requests.iter().map(|(t, b)| app.send_postcard(t, b))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let mut expected = vec![201; 13];
    expected[5] = 500;
    assert_eq!(statuses, expected, "{}", replies[5].text);
    assert_eq!(
        replies[5].headers["content-type"], "application/problem+json",
        "{}",
        replies[5].text
    );
    let feed = app.get("/api/v1/postcards?limit=100", Some(&o.ann.token)).await;
    assert_eq!(feed.body["items"].as_array().map(Vec::len), Some(12), "{}", feed.text);
    let (diffs, _) = recount(&app).await;
    assert!(diffs.is_clean(), "stored totals differ from a recount: {diffs:#?}");
}

mod rules {
    use super::*;
    crate::on_both_backends!(with crate::send_batch::SETTINGS; one_batch_decides_like_sends_in_turn);
}

mod failures {
    use super::*;
    crate::on_both_backends!(with &[
        ("CHAMPION__DATABASE__SEND_WRITERS", "1"),
        ("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "20"),
        ("CHAMPION__RULES__WEEKLY_ALLOWANCE", "20"),
    ]; a_failed_batch_is_retried_send_by_send);
}
