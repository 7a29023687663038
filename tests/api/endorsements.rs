//! Endorsements ("+1"): idempotent, one per person, never by the sender or a recipient.

use serde_json::json;

use crate::helpers::TestApp;
use crate::org::{card, org};

async fn endorse_and_withdraw(app: TestApp) {
    let o = org(&app).await;
    let sent = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    let id = sent.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/postcards/{id}/endorsements");

    let first = app.post(&path, &o.dan.token, &json!({})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["endorsement_count"], 1);
    assert_eq!(first.body["endorsed_by_me"], true);
    let twice = app.post(&path, &o.dan.token, &json!({})).await;
    assert_eq!(twice.body["endorsement_count"], 1, "endorsing twice counts once");
    let cat = app.post(&path, &o.cat.token, &json!({})).await;
    assert_eq!(cat.body["endorsement_count"], 2);
    let seen_by_bob = app.get(&format!("/api/v1/postcards/{id}"), Some(&o.bob.token)).await;
    assert_eq!(seen_by_bob.body["endorsement_count"], 2);
    assert_eq!(seen_by_bob.body["endorsed_by_me"], false);

    app.post(&path, &o.bob.token, &json!({}))
        .await
        .assert_problem(422, "cannot_endorse_own", "the sender");
    app.post(&path, &o.ann.token, &json!({}))
        .await
        .assert_problem(422, "cannot_endorse_received", "a recipient");

    let withdrawn = app.delete(&path, &o.dan.token).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(withdrawn.body["endorsement_count"], 1);
    assert_eq!(withdrawn.body["endorsed_by_me"], false);
    let again = app.delete(&path, &o.dan.token).await;
    assert_eq!(again.body["endorsement_count"], 1, "withdrawing twice changes nothing");

    app.post("/api/v1/postcards/nope/endorsements", &o.dan.token, &json!({}))
        .await
        .assert_problem(404, "not_found", "unknown postcard");
    let mut private = card(&[&o.ann.id]);
    private["visibility"] = json!("private");
    let private = app.send_postcard(&o.bob.token, &private).await;
    let private_path = format!(
        "/api/v1/postcards/{}/endorsements",
        private.body["id"].as_str().unwrap()
    );
    app.post(&private_path, &o.dan.token, &json!({})).await.assert_problem(
        404,
        "not_found",
        "a private postcard for a stranger",
    );
    let manager = app.post(&private_path, &o.bea.token, &json!({})).await;
    assert_eq!(
        manager.status, 200,
        "Ann's manager sees and may endorse it: {}",
        manager.text
    );
}

async fn concurrent_endorsements_count_once_each(app: TestApp) {
    let o = org(&app).await;
    let sent = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    let path = format!("/api/v1/postcards/{}/endorsements", sent.body["id"].as_str().unwrap());
    let body = json!({});
    let tokens = [&o.cat.token, &o.dan.token, &o.bea.token];
    let calls = (0..12).map(|i| app.post(&path, tokens[i % 3], &body));
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let now = app
        .get(
            &format!("/api/v1/postcards/{}", sent.body["id"].as_str().unwrap()),
            Some(&o.cat.token),
        )
        .await;
    assert_eq!(now.body["endorsement_count"], 3);
}

crate::on_both_backends!(endorse_and_withdraw, concurrent_endorsements_count_once_each);
