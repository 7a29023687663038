//! The leaderboard totals kept on every write equal a recount from the postcards, after a
//! randomised mix of sends, endorsements, withdrawals, hides and restores.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::helpers::TestApp;
use crate::org::{card, org, Person};

async fn totals_equal_a_recount_after_a_random_workload(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    let people: [&Person; 5] = [&o.bea, &o.ann, &o.bob, &o.cat, &o.dan];
    let behaviours = ["small-win", "above-and-beyond", "team-player"];
    let mut rng = StdRng::seed_from_u64(7);
    let mut cards: Vec<String> = Vec::new();
    let mut withdrawn = 0;
    for step in 0..300 {
        match rng.gen_range(0..10) {
            0..=3 => {
                let from = people[rng.gen_range(0..5)];
                let to: Vec<&str> = people
                    .iter()
                    .filter(|p| p.id != from.id && rng.gen_bool(0.4))
                    .map(|p| p.id.as_str())
                    .collect();
                if to.is_empty() {
                    continue;
                }
                let body = json!({"recipients": to, "behaviour": behaviours[rng.gen_range(0..3)], "message": format!("step {step}")});
                let r = app.send_postcard(&from.token, &body).await;
                if r.status == 201 {
                    cards.push(r.body["id"].as_str().unwrap().to_string());
                } else {
                    assert_eq!(r.status, 422, "{}", r.text);
                }
            }
            4..=6 if !cards.is_empty() => {
                let card = &cards[rng.gen_range(0..cards.len())];
                let who = people[rng.gen_range(0..5)];
                let path = format!("/api/v1/postcards/{card}/endorsements");
                let before = app.get(&format!("/api/v1/postcards/{card}"), Some(&who.token)).await;
                let r = if before.body["endorsed_by_me"] == true {
                    withdrawn += 1;
                    app.delete(&path, &who.token).await
                } else {
                    app.post(&path, &who.token, &json!({})).await
                };
                assert!([200, 404, 422].contains(&r.status), "{}", r.text);
            }
            7..=9 if !cards.is_empty() => {
                let card = &cards[rng.gen_range(0..cards.len())];
                let action = if rng.gen_bool(0.5) { "hide" } else { "restore" };
                let r = app
                    .post(
                        &format!("/api/v1/postcards/{card}/{action}"),
                        &admin,
                        &json!({"reason": "test"}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
            _ => {}
        }
    }
    assert!(cards.len() > 40, "the workload sent postcards: {}", cards.len());
    // Directory changes must reach the board rows too.
    let moved = app
        .patch(
            &format!("/api/v1/employees/{}", o.bob.id),
            &admin,
            &json!({"department": "Ops"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let gone = app
        .patch(
            &format!("/api/v1/employees/{}", o.dan.id),
            &admin,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let hidden = app
        .patch(
            "/api/v1/me/preferences",
            &o.ann.token,
            &json!({"show_on_leaderboard": false}),
        )
        .await;
    assert_eq!(hidden.status, 200, "{}", hidden.text);
    let board = app
        .get("/api/v1/leaderboard?period=all&limit=100", Some(&o.cat.token))
        .await;
    let names: Vec<&str> = board.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["employee"]["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Dan Ode") && !names.contains(&"Ann Lee"), "{names:?}");
    let ops = app
        .get("/api/v1/leaderboard?period=all&department=Ops", Some(&o.cat.token))
        .await;
    assert_eq!(ops.body["entries"][0]["employee"]["name"], "Bob Ray", "{}", ops.text);
    assert!(withdrawn > 5, "and withdrew endorsements: {withdrawn}");
    let (diffs, buckets) = recount(&app).await;
    assert!(buckets > 50, "totals were written: {buckets}");
    assert!(diffs.is_clean(), "stored totals differ from a recount: {diffs:#?}");
}

/// Department figures are split over shards that concurrent writers take in turn: the board
/// adds them up, and so does `leaderboard verify`.
async fn department_figures_add_up_their_shards(app: TestApp) {
    let o = org(&app).await;
    for from in [&o.bob, &o.cat, &o.dan] {
        for _ in 0..4 {
            let sent = app.post("/api/v1/postcards", &from.token, &card(&[&o.ann.id])).await;
            assert_eq!(sent.status, 201, "{}", sent.text);
        }
    }
    let (url, department) = (app.db.url.clone(), "Support");
    let shards: i64 = tokio::task::spawn_blocking(move || {
        use champion::store::schema::board_departments::dsl;
        use diesel::prelude::*;
        let pool = champion::store::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        let rows: Vec<i32> = dsl::board_departments
            .filter(dsl::period.eq("all"))
            .filter(dsl::behaviour.eq(""))
            .filter(dsl::department.eq(department))
            .select(dsl::shard)
            .load(&mut conn)
            .unwrap();
        rows.len() as i64
    })
    .await
    .unwrap();
    assert!(shards >= 2, "twelve separate sends landed in one shard");
    let depts = app
        .get("/api/v1/leaderboard/departments?period=all", Some(&o.ann.token))
        .await;
    let got: Vec<(String, i64, f64)> = depts.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["department"].as_str().unwrap().to_string(),
                e["total_score"].as_i64().unwrap(),
                e["participation"].as_f64().unwrap(),
            )
        })
        .collect();
    let per_card = app.settings.scoring.postcard;
    assert_eq!(
        got,
        vec![
            ("Support".to_string(), 12 * per_card, 0.5),
            ("Ops".to_string(), 0, 1.0),
            ("Sales".to_string(), 0, 1.0),
        ],
        "{}",
        depts.text
    );
    let (diffs, _) = recount(&app).await;
    assert!(diffs.is_clean(), "stored totals differ from a recount: {diffs:#?}");
}

/// `champion leaderboard verify`'s report, and how many board rows are stored.
pub async fn recount(app: &TestApp) -> (champion::boards::recount::Report, i64) {
    let (url, settings) = (app.db.url.clone(), app.settings.clone());
    tokio::task::spawn_blocking(move || {
        let pool = champion::store::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        let cfg = champion::boards::scoreboard::BoardConfig::from_settings(&settings);
        let stored: i64 = diesel::RunQueryDsl::get_result(
            diesel::QueryDsl::count(champion::store::schema::board_totals::table),
            &mut conn,
        )
        .unwrap();
        (champion::boards::recount::verify(&mut conn, &cfg).unwrap(), stored)
    })
    .await
    .unwrap()
}

/// Ann's unique senders on the all-time board.
async fn unique_senders_of_ann(app: &TestApp, o: &crate::org::Org) -> i64 {
    let board = app.get("/api/v1/leaderboard?period=all", Some(&o.cat.token)).await;
    board.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["employee"]["id"] == o.ann.id.as_str())
        .map_or(0, |e| e["unique_senders"].as_i64().unwrap())
}

/// Unique senders are stored per bucket: a sender counts once however many postcards they
/// sent, and stops counting only when their last visible one is hidden, also when hides,
/// restores and sends of the same pair race each other.
async fn unique_senders_survive_racing_hides_and_sends(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    let body = json!({"recipients": [o.ann.id], "behaviour": "small-win", "message": "Thanks"});
    let mut cards = Vec::new();
    for _ in 0..3 {
        let r = app.send_postcard(&o.bob.token, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        cards.push(r.body["id"].as_str().unwrap().to_string());
    }
    let from_cat = app.send_postcard(&o.cat.token, &body).await;
    assert_eq!(from_cat.status, 201, "{}", from_cat.text);
    assert_eq!(
        unique_senders_of_ann(&app, &o).await,
        2,
        "Bob counts once for three postcards"
    );
    // `hide` or `restore` one postcard, as an admin.
    let moderate = |card: String, action: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post(
                &format!("/api/v1/postcards/{card}/{action}"),
                admin,
                &json!({"reason": "test"}),
            )
            .await
        }
    };
    let hide = |card: String| moderate(card, "hide");
    let (a, b) = tokio::join!(hide(cards[0].clone()), hide(cards[1].clone()));
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.text, b.text);
    assert_eq!(
        unique_senders_of_ann(&app, &o).await,
        2,
        "Bob's third postcard still counts"
    );
    // The last of Bob's postcards hidden while he sends another: either order ends with Bob
    // counted once.
    let (c, d) = tokio::join!(hide(cards[2].clone()), app.send_postcard(&o.bob.token, &body));
    assert_eq!((c.status, d.status), (200, 201), "{} {}", c.text, d.text);
    assert_eq!(unique_senders_of_ann(&app, &o).await, 2);
    let last = d.body["id"].as_str().unwrap().to_string();
    let gone = hide(last).await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_eq!(
        unique_senders_of_ann(&app, &o).await,
        1,
        "no visible postcard from Bob is left"
    );
    let restore = |card: String| moderate(card, "restore");
    let (e, f) = tokio::join!(restore(cards[0].clone()), restore(cards[1].clone()));
    assert_eq!((e.status, f.status), (200, 200), "{} {}", e.text, f.text);
    assert_eq!(
        unique_senders_of_ann(&app, &o).await,
        2,
        "restored postcards count Bob once"
    );
    let (diffs, _) = recount(&app).await;
    assert!(diffs.is_clean(), "stored totals differ from a recount: {diffs:#?}");
}

crate::on_both_backends!(with &[("CHAMPION__RULES__WEEKLY_ALLOWANCE", "100"), ("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "50")];
    totals_equal_a_recount_after_a_random_workload,
    unique_senders_survive_racing_hides_and_sends,
    department_figures_add_up_their_shards);
