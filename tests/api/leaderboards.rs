//! Leaderboards on a small hand-checked dataset: scores, competition ranks, ties, metrics,
//! filters, hidden postcards, opt-outs, deactivation, departments, ETags and bad parameters.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::org::{org, Org, Person};

async fn send(app: &TestApp, from: &Person, to: &[&Person], behaviour: &str) -> String {
    let ids: Vec<&str> = to.iter().map(|p| p.id.as_str()).collect();
    let body = json!({"recipients": ids, "behaviour": behaviour, "message": "Thanks!"});
    let r = app.send_postcard(&from.token, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn endorse(app: &TestApp, who: &Person, card: &str) {
    let r = app
        .post(
            &format!("/api/v1/postcards/{card}/endorsements"),
            &who.token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// `(name, rank, score, received, given, endorsements, unique_senders)` of each entry.
fn rows(board: &Value) -> Vec<(String, i64, i64, i64, i64, i64, i64)> {
    board["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {board}"))
        .iter()
        .map(|e| {
            let n = |k: &str| e[k].as_i64().unwrap();
            let name = e["employee"]["name"].as_str().unwrap().to_string();
            (
                name,
                n("rank"),
                n("score"),
                n("received"),
                n("given"),
                n("endorsements"),
                n("unique_senders"),
            )
        })
        .collect()
}

fn names_and_ranks(board: &Value) -> Vec<(String, i64)> {
    rows(board).into_iter().map(|r| (r.0, r.1)).collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(n, r)| (n.to_string(), *r)).collect()
}

/// The dataset of the module docs; Eve (Ops) sends one postcard and opts out.
async fn dataset(app: &TestApp) -> (Org, Person) {
    let o = org(app).await;
    let eve = app.create_employee("eve@example.com", "Eve Ito", "Ops", None).await;
    let eve = Person {
        id: eve["id"].as_str().unwrap().to_string(),
        token: app.token("eve@example.com"),
    };
    let p1 = send(app, &o.bob, &[&o.ann], "small-win").await;
    send(app, &o.cat, &[&o.ann], "above-and-beyond").await;
    let p3 = send(app, &o.dan, &[&o.bob, &o.cat], "small-win").await;
    send(app, &o.ann, &[&o.dan], "team-player").await;
    send(app, &o.bob, &[&o.ann], "small-win").await;
    send(app, &eve, &[&o.dan], "small-win").await;
    let p7 = send(app, &o.bob, &[&o.dan], "customer-obsessed").await;
    endorse(app, &o.dan, &p1).await;
    endorse(app, &o.cat, &p1).await;
    endorse(app, &o.bea, &p3).await;
    let hide = app
        .post(
            &format!("/api/v1/postcards/{p7}/hide"),
            &app.admin_token(),
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(hide.status, 200);
    let optout = app
        .patch(
            "/api/v1/me/preferences",
            &eve.token,
            &json!({"show_on_leaderboard": false}),
        )
        .await;
    assert_eq!(optout.body["show_on_leaderboard"], false, "{}", optout.text);
    (o, eve)
}

async fn scores_ranks_and_metrics(app: TestApp) {
    let (o, eve) = dataset(&app).await;
    let t = &o.dan.token;
    let board = app.get("/api/v1/leaderboard", Some(t)).await;
    assert_eq!(board.status, 200, "{}", board.text);
    assert_eq!(board.body["metric"], "score");
    assert_eq!(board.body["period"]["timezone"], "UTC");
    assert!(board.body["period"]["start"].is_string());
    assert_eq!(
        rows(&board.body),
        vec![
            ("Ann Lee".to_string(), 1, 11, 3, 1, 2, 2),
            ("Dan Ode".to_string(), 2, 6, 2, 1, 0, 2),
            ("Bob Ray".to_string(), 3, 4, 1, 2, 1, 1),
            ("Cat Ng".to_string(), 3, 4, 1, 1, 1, 1),
        ],
        "hidden postcard to Dan left out; Eve opted out; ties by name"
    );
    let received = app.get("/api/v1/leaderboard?metric=received", Some(t)).await;
    assert_eq!(
        names_and_ranks(&received.body),
        pairs(&[("Ann Lee", 1), ("Dan Ode", 2), ("Bob Ray", 3), ("Cat Ng", 3)])
    );
    let given = app.get("/api/v1/leaderboard?metric=given", Some(t)).await;
    assert_eq!(
        names_and_ranks(&given.body),
        pairs(&[("Bob Ray", 1), ("Ann Lee", 2), ("Cat Ng", 2), ("Dan Ode", 2)])
    );
    let small_wins = app.get("/api/v1/leaderboard?behaviour=small-win", Some(t)).await;
    assert_eq!(
        names_and_ranks(&small_wins.body),
        pairs(&[("Ann Lee", 1), ("Bob Ray", 2), ("Cat Ng", 2), ("Dan Ode", 4)]),
        "competition ranks 1, 2, 2, 4"
    );
    let sales = app.get("/api/v1/leaderboard?department=Sales", Some(t)).await;
    assert_eq!(names_and_ranks(&sales.body), pairs(&[("Bob Ray", 1), ("Cat Ng", 1)]));
    let page = app.get("/api/v1/leaderboard?limit=1&offset=2", Some(t)).await;
    assert_eq!(
        names_and_ranks(&page.body),
        pairs(&[("Bob Ray", 3)]),
        "ranks hold on later pages"
    );
    for period in ["month", "quarter", "year", "all"] {
        let b = app.get(&format!("/api/v1/leaderboard?period={period}"), Some(t)).await;
        assert_eq!(
            rows(&b.body),
            rows(&board.body),
            "{period}: everything happened this week"
        );
    }
    let today = board.body["period"]["start"].as_str().unwrap().to_string();
    let custom = app
        .get(
            &format!("/api/v1/leaderboard?period=custom&from={today}&to=2999-12-31"),
            Some(t),
        )
        .await;
    custom.assert_problem(400, "invalid_parameter", "custom period over 366 days");
    let end = board.body["period"]["end"].as_str().unwrap();
    let custom = app
        .get(
            &format!("/api/v1/leaderboard?period=custom&from={today}&to={end}"),
            Some(t),
        )
        .await;
    assert_eq!(rows(&custom.body), rows(&board.body), "a custom week adds up its days");
    let past = app.get("/api/v1/leaderboard?at=2001-01-01", Some(t)).await;
    assert_eq!(past.body["entries"], json!([]));
    assert_eq!(past.body["period"]["start"], "2001-01-01");

    let mine = app.get("/api/v1/leaderboard/me", Some(&o.bob.token)).await;
    assert_eq!(
        (mine.body["rank"].as_i64(), mine.body["score"].as_i64()),
        (Some(3), Some(4)),
        "{}",
        mine.text
    );
    let hers = app.get("/api/v1/leaderboard/me?metric=given", Some(&eve.token)).await;
    assert_eq!(hers.body["listed"], false);
    assert_eq!(hers.body["given"], 1);
    assert_eq!(
        hers.body["rank"], 2,
        "her rank among the listed people, for her eyes only"
    );
    let bea = app.get("/api/v1/leaderboard/me", Some(&o.bea.token)).await;
    assert_eq!(bea.body["rank"], Value::Null, "nothing received: no rank");

    let depts = app.get("/api/v1/leaderboard/departments", Some(t)).await;
    let got: Vec<(String, i64, i64, f64, f64)> = depts.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let d = e["department"].as_str().unwrap().to_string();
            (
                d,
                e["rank"].as_i64().unwrap(),
                e["total_score"].as_i64().unwrap(),
                e["per_capita"].as_f64().unwrap(),
                e["participation"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Support".to_string(), 1, 11, 5.5, 0.5),
            ("Sales".to_string(), 2, 8, 4.0, 1.0),
            ("Ops".to_string(), 3, 6, 3.0, 1.0),
        ]
    );

    // Deactivated people leave the boards.
    let off = app
        .patch(
            &format!("/api/v1/employees/{}", o.cat.id),
            &app.admin_token(),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, 200);
    let depts = app.get("/api/v1/leaderboard/departments", Some(t)).await;
    let sales = depts.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["department"] == "Sales")
        .unwrap_or_else(|| panic!("{}", depts.text));
    assert_eq!(
        sales["employees"], 1,
        "Cat no longer counts in Sales' headcount: {sales}"
    );
    let after = app.get("/api/v1/leaderboard", Some(t)).await;
    assert_eq!(
        names_and_ranks(&after.body),
        pairs(&[("Ann Lee", 1), ("Dan Ode", 2), ("Bob Ray", 3)])
    );
}

async fn etags_follow_every_change(app: TestApp) {
    let o = org(&app).await;
    let card = send(&app, &o.bob, &[&o.ann], "small-win").await;
    let t = &o.dan.token;
    let etag_of = |r: &crate::helpers::Reply| r.headers["etag"].to_str().unwrap().to_string();
    let first = app.get("/api/v1/leaderboard", Some(t)).await;
    let tag = etag_of(&first);
    assert!(first.headers["cache-control"].to_str().unwrap().contains("no-cache"));
    let conditional = |tag: String| {
        let req = app
            .client
            .get(app.url("/api/v1/leaderboard"))
            .bearer_auth(t)
            .header("if-none-match", tag);
        async move { req.send().await.unwrap() }
    };
    let same = conditional(tag.clone()).await;
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"].to_str().unwrap(), tag);

    endorse(&app, &o.cat, &card).await;
    let endorsed = conditional(tag.clone()).await;
    assert_eq!(endorsed.status(), 200, "an endorsement changes the board");
    let tag2 = endorsed.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(tag2, tag);
    send(&app, &o.cat, &[&o.ann], "small-win").await;
    let sent = conditional(tag2.clone()).await;
    assert_eq!(sent.status(), 200, "a new postcard changes it");
    let tag3 = sent.headers()["etag"].to_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/postcards/{card}/hide"),
        &app.admin_token(),
        &json!({"reason": "x"}),
    )
    .await;
    assert_eq!(conditional(tag3).await.status(), 200, "hiding changes it");
    let depts = app.get("/api/v1/leaderboard/departments", Some(t)).await;
    assert!(depts.headers.get("etag").is_some());
}

async fn bad_parameters_name_the_parameter(app: TestApp) {
    let o = org(&app).await;
    for (query, field) in [
        ("period=fortnight", "period"),
        ("metric=likes", "metric"),
        ("at=2026-02-30", "at"),
        ("at=yesterday", "at"),
        ("from=2026-01-01", "from"),
        ("period=custom&to=2026-01-01", "from"),
        ("period=custom&from=2026-01-05&to=2026-01-01", "to"),
        ("period=custom&from=2026-01-05&to=soon", "to"),
        ("limit=1000", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("offset=many", "offset"),
        ("behaviour=telepathy", "behaviour"),
    ] {
        for path in [
            "/api/v1/leaderboard",
            "/api/v1/leaderboard/departments",
            "/api/v1/leaderboard/me",
        ] {
            let r = app.get(&format!("{path}?{query}"), Some(&o.ann.token)).await;
            r.assert_problem(400, "invalid_parameter", &format!("{path}?{query}"));
            assert_eq!(r.field_errors(), [field], "{path}?{query}");
        }
    }
}

async fn widget_tokens_read_boards_only(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    app.post("/api/v1/admin/widget-tokens", &o.ann.token, &json!({"name": "x"}))
        .await
        .assert_problem(403, "forbidden", "an employee minting");
    app.post("/api/v1/admin/widget-tokens", &admin, &json!({"name": " "}))
        .await
        .assert_problem(422, "validation_failed", "blank name");
    let minted = app
        .post("/api/v1/admin/widget-tokens", &admin, &json!({"name": "Lobby screen"}))
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    let token = minted.body["token"].as_str().unwrap().to_string();
    let id = minted.body["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("cw_"));

    for path in ["/api/v1/leaderboard", "/api/v1/leaderboard/departments?period=all"] {
        assert_eq!(app.get(path, Some(&token)).await.status, 200, "{path}");
    }
    for path in [
        "/api/v1/postcards",
        "/api/v1/me",
        "/api/v1/employees",
        "/api/v1/leaderboard/me",
        "/api/v1/admin/widget-tokens",
    ] {
        app.get(path, Some(&token))
            .await
            .assert_problem(401, "invalid_token", path);
    }
    let post = app
        .send_postcard(
            &token,
            &json!({"recipients": [o.ann.id], "behaviour": "small-win", "message": "x"}),
        )
        .await;
    post.assert_problem(401, "invalid_token", "a widget sending");

    let listed = app.get("/api/v1/admin/widget-tokens", Some(&admin)).await;
    assert_eq!(listed.body["items"][0]["name"], "Lobby screen");
    assert!(!listed.text.contains(&token), "the token is shown once only");
    let revoked = app.delete(&format!("/api/v1/admin/widget-tokens/{id}"), &admin).await;
    assert!(revoked.body["revoked_at"].is_string(), "{}", revoked.text);
    app.get("/api/v1/leaderboard", Some(&token))
        .await
        .assert_problem(401, "invalid_token", "a revoked token");
    app.get("/api/v1/leaderboard", Some("cw_made-up")).await.assert_problem(
        401,
        "invalid_token",
        "an unknown widget token",
    );
    app.delete("/api/v1/admin/widget-tokens/nope", &admin)
        .await
        .assert_problem(404, "not_found", "unknown token id");
}

crate::on_both_backends!(
    scores_ranks_and_metrics,
    etags_follow_every_change,
    bad_parameters_name_the_parameter,
    widget_tokens_read_boards_only,
);
