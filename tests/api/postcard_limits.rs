//! The weekly allowance and the same-pair cap, one request at a time and under a burst of
//! concurrent sends (with `rules.weekly_allowance = 3`, `rules.same_pair_per_week = 2`).

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::TestApp;
use crate::org::{card, ids, org};

const SETTINGS: &[(&str, &str)] = &[
    ("CHAMPION__RULES__WEEKLY_ALLOWANCE", "3"),
    ("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "2"),
    ("CHAMPION__DATABASE__POOL_SIZE", "8"),
];

async fn allowance_and_pair_cap(app: TestApp) {
    let o = org(&app).await;
    let to_ann = card(&[&o.ann.id]);
    for n in 1..=2 {
        let r = app.send_postcard(&o.bob.token, &to_ann).await;
        assert_eq!(r.status, 201, "postcard {n} to Ann: {}", r.text);
    }
    let third = app.send_postcard(&o.bob.token, &card(&[&o.cat.id, &o.ann.id])).await;
    third.assert_problem(422, "pair_limit_exceeded", "third postcard to Ann this week");
    assert_eq!(third.field_errors(), ["recipients[1]"]);
    assert_eq!(app.send_postcard(&o.bob.token, &card(&[&o.cat.id])).await.status, 201);
    let me = app.get("/api/v1/me", Some(&o.bob.token)).await;
    assert_eq!(me.body["remaining_allowance"], 0);
    let over = app.send_postcard(&o.bob.token, &card(&[&o.dan.id])).await;
    over.assert_problem(
        422,
        "weekly_allowance_exceeded",
        "fourth postcard with an allowance of 3",
    );
    // Others keep their own allowance, and may still write to Ann.
    assert_eq!(app.send_postcard(&o.cat.token, &to_ann).await.status, 201);
    let sent = app
        .get(&format!("/api/v1/postcards?sender={}", o.bob.id), Some(&o.bob.token))
        .await;
    assert_eq!(ids(&sent.body).len(), 3);
}

async fn concurrent_sends_never_overspend(app: TestApp) {
    let o = org(&app).await;
    let everyone = [&o.ann, &o.cat, &o.dan, &o.bea];
    let bodies: Vec<_> = (0..20).map(|i| card(&[&everyone[i % everyone.len()].id])).collect();
    let replies = join_all(bodies.iter().map(|b| app.send_postcard(&o.bob.token, b))).await;
    let accepted = replies.iter().filter(|r| r.status == 201).count();
    // Twenty sends cycle over four colleagues: a refused one is over the allowance, or, when
    // two of the first accepted went to the same colleague, over that pair's cap (the order
    // the racing requests are served in decides which).
    let mut over_allowance = 0;
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 422, "{}", r.text);
        match r.body["code"].as_str() {
            Some("weekly_allowance_exceeded") => over_allowance += 1,
            Some("pair_limit_exceeded") => {}
            other => panic!("unexpected refusal {other:?}: {}", r.text),
        }
    }
    assert!(over_allowance > 0, "the allowance refused the sends past it");
    assert_eq!(accepted, 3, "exactly the allowance is accepted");
    let sent = app
        .get(&format!("/api/v1/postcards?sender={}", o.bob.id), Some(&o.bob.token))
        .await;
    assert_eq!(ids(&sent.body).len(), 3, "and exactly that many are stored");
}

async fn concurrent_sends_to_one_colleague_respect_the_pair_cap(app: TestApp) {
    let o = org(&app).await;
    let body = card(&[&o.ann.id]);
    let replies = join_all((0..10).map(|_| app.send_postcard(&o.cat.token, &body))).await;
    let accepted = replies.iter().filter(|r| r.status == 201).count();
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(422, "pair_limit_exceeded", "a send over the pair cap");
    }
    assert_eq!(accepted, 2);
    let received = app
        .get(&format!("/api/v1/postcards?recipient={}", o.ann.id), Some(&o.ann.token))
        .await;
    assert_eq!(ids(&received.body).len(), 2);
    assert_eq!(
        app.send_postcard(
            &o.cat.token,
            &json!({"recipients": [o.bob.id], "behaviour": "small-win", "message": "ok"})
        )
        .await
        .status,
        201
    );
}

crate::on_both_backends!(with super::SETTINGS;
    allowance_and_pair_cap,
    concurrent_sends_never_overspend,
    concurrent_sends_to_one_colleague_respect_the_pair_cap,
);
