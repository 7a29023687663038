//! `Idempotency-Key` on `POST /postcards`: replays, a different body, requests in flight,
//! keys per caller, failed requests, and replays after a restart.

use diesel::{Connection, ExpressionMethods, RunQueryDsl};
use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::{Reply, TestApp};
use crate::org::{card, ids, org};

async fn send_with_key(app: &TestApp, base: &str, token: &str, key: &str, body: &Value) -> Reply {
    let req = app
        .client
        .post(format!("{base}/api/v1/postcards"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body);
    Reply::from(req.send().await.expect("request")).await
}

async fn sent_by(app: &TestApp, token: &str, sender: &str) -> usize {
    ids(&app
        .get(&format!("/api/v1/postcards?sender={sender}"), Some(token))
        .await
        .body)
    .len()
}

async fn retries_replay_the_first_answer(app: TestApp) {
    let o = org(&app).await;
    let base = app.address.clone();
    let body = card(&[&o.ann.id]);
    let first = send_with_key(&app, &base, &o.bob.token, "order-42", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.headers.get("idempotency-replayed").is_none());
    let again = send_with_key(&app, &base, &o.bob.token, "order-42", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the same postcard, not a new one");
    assert_eq!(again.headers["location"], first.headers["location"]);
    assert_eq!(again.headers["idempotency-replayed"], "true");
    // Key order and spacing do not make a different request.
    let reordered = serde_json::json!({"message": body["message"], "behaviour": body["behaviour"], "recipients": body["recipients"]});
    assert_eq!(
        send_with_key(&app, &base, &o.bob.token, "order-42", &reordered)
            .await
            .body["id"],
        first.body["id"]
    );

    // After a restart (another process on the same database) the key is still remembered.
    let restarted = app.another_instance().await;
    let after = send_with_key(&app, &restarted, &o.bob.token, "order-42", &body).await;
    assert_eq!(after.body["id"], first.body["id"], "{}", after.text);

    let mut other = body.clone();
    other["message"] = "A different story".into();
    let reused = send_with_key(&app, &base, &o.bob.token, "order-42", &other).await;
    reused.assert_problem(422, "idempotency_key_reused", "same key, another body");

    // Keys are per caller: Cat's "order-42" is her own.
    let cats = send_with_key(&app, &base, &o.cat.token, "order-42", &body).await;
    assert_eq!(cats.status, 201, "{}", cats.text);
    assert_ne!(cats.body["id"], first.body["id"]);
    assert_eq!(sent_by(&app, &o.bob.token, &o.bob.id).await, 1);

    for (key, why) in [
        ("", "empty"),
        ("has space", "space"),
        (&"k".repeat(256) as &str, "too long"),
    ] {
        let r = send_with_key(&app, &base, &o.bob.token, key, &body).await;
        r.assert_problem(400, "invalid_header", why);
    }
}

async fn a_refused_request_frees_its_key(app: TestApp) {
    let o = org(&app).await;
    let base = app.address.clone();
    let mut bad = card(&[&o.ann.id]);
    bad["behaviour"] = "telepathy".into();
    let refused = send_with_key(&app, &base, &o.bob.token, "k-1", &bad).await;
    refused.assert_problem(422, "unknown_behaviour", "bad behaviour");
    let fixed = send_with_key(&app, &base, &o.bob.token, "k-1", &card(&[&o.ann.id])).await;
    assert_eq!(fixed.status, 201, "{}", fixed.text);
}

/// Puts an in-flight record in the database, as a request still being processed leaves it.
fn in_flight(db_url: &str, caller: &str, key: &str, body: &Value, age_seconds: i64) {
    let parsed: champion::http::postcards::SendPostcard = serde_json::from_value(body.clone()).unwrap();
    let hash = parsed.fingerprint().unwrap();
    let at = (chrono::Utc::now() - chrono::Duration::seconds(age_seconds)).naive_utc();
    let insert = diesel::insert_into(champion::store::schema::idempotency_keys::table).values((
        champion::store::schema::idempotency_keys::caller.eq(caller),
        champion::store::schema::idempotency_keys::idem_key.eq(key),
        champion::store::schema::idempotency_keys::request_hash.eq(hash),
        champion::store::schema::idempotency_keys::created_at.eq(at),
    ));
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        // The service's own writers (outbox, checkpoints) may hold the lock for a moment.
        diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000").unwrap();
        insert.execute(&mut conn).unwrap();
    } else {
        insert
            .execute(&mut diesel::PgConnection::establish(db_url).unwrap())
            .unwrap();
    }
}

async fn in_flight_and_abandoned_requests(app: TestApp) {
    let o = org(&app).await;
    let base = app.address.clone();
    let body = serde_json::json!({"recipients": [o.ann.id], "behaviour": "small-win", "message": "Hi"});
    let (url, bob) = (app.db.url.clone(), o.bob.id.clone());
    tokio::task::spawn_blocking(move || {
        in_flight(&url, &bob, "busy", &body, 5);
        in_flight(&url, &bob, "crashed", &body, 600);
        // Used a day and more ago, with another body: forgotten, so the key is free.
        let other = serde_json::json!({"recipients": [], "behaviour": "small-win", "message": "Old"});
        in_flight(&url, &bob, "expired", &other, 25 * 3600);
    })
    .await
    .unwrap();
    let plain = serde_json::json!({"message": "Hi", "recipients": [o.ann.id], "behaviour": "small-win"});
    let busy = send_with_key(&app, &base, &o.bob.token, "busy", &plain).await;
    busy.assert_problem(409, "idempotency_in_flight", "the first request is still running");
    let taken_over = send_with_key(&app, &base, &o.bob.token, "crashed", &plain).await;
    assert_eq!(
        taken_over.status, 201,
        "an abandoned key is taken over: {}",
        taken_over.text
    );
    let reused_later = send_with_key(&app, &base, &o.bob.token, "expired", &plain).await;
    assert_eq!(
        reused_later.status, 201,
        "a key past 24 hours is free: {}",
        reused_later.text
    );
}

/// The postcards that racing retries' 201s name; every other answer must be 409 in flight.
fn created_by(replies: &[Reply]) -> std::collections::HashSet<String> {
    let mut created = std::collections::HashSet::new();
    for r in replies {
        match r.status {
            201 => {
                created.insert(r.body["id"].as_str().unwrap().to_string());
            }
            409 => r.assert_problem(409, "idempotency_in_flight", "a racing retry"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    created
}

async fn racing_retries_send_one_postcard(app: TestApp) {
    let o = org(&app).await;
    let base = app.address.clone();
    let body = card(&[&o.ann.id]);
    let replies = join_all((0..6).map(|_| send_with_key(&app, &base, &o.bob.token, "race", &body))).await;
    let created = created_by(&replies);
    assert_eq!(created.len(), 1, "every 201 names the same postcard");
    assert_eq!(sent_by(&app, &o.bob.token, &o.bob.id).await, 1);
}

/// Retries of one request racing on three instances (each its own writers) over one
/// database: each key sends one postcard, whatever the interleaving; the others are told it
/// is in flight, or get its answer replayed.
async fn retries_racing_on_several_instances_send_one_postcard(app: TestApp) {
    let o = org(&app).await;
    let others = [app.another_instance().await, app.another_instance().await];
    let bases = [app.address.clone(), others[0].clone(), others[1].clone()];
    // The pair cap (2 a week) allows two postcards to each.
    let to = [&o.ann.id, &o.cat.id, &o.dan.id, &o.ann.id, &o.cat.id];
    for (round, to) in to.into_iter().enumerate() {
        let body = card(&[to]);
        let key = format!("race-{round}");
        let replies =
            join_all((0..12).map(|i| send_with_key(&app, &bases[i % bases.len()], &o.bob.token, &key, &body))).await;
        let created = created_by(&replies);
        assert_eq!(
            created.len(),
            1,
            "round {round}: every 201 names one postcard: {created:?}"
        );
    }
    assert_eq!(sent_by(&app, &o.bob.token, &o.bob.id).await, 5);
}

crate::on_both_backends!(
    retries_replay_the_first_answer,
    a_refused_request_frees_its_key,
    in_flight_and_abandoned_requests,
    racing_retries_send_one_postcard,
    retries_racing_on_several_instances_send_one_postcard,
);
