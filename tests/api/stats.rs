//! `GET /stats`: admins see the organisation, managers their reporting tree, others nothing.

use serde_json::json;

use crate::helpers::TestApp;
use crate::org::org;

async fn stats_by_scope(app: TestApp) {
    let o = org(&app).await;
    // Ann's report, so Bea's tree is Ann and Fay.
    let fay = app
        .create_employee("fay@example.com", "Fay Lu", "Support", Some(&o.ann.id))
        .await;
    let fay_id = fay["id"].as_str().unwrap();
    for (from, to, behaviour) in [
        (&o.bob.token, o.ann.id.as_str(), "small-win"),
        (&o.cat.token, o.ann.id.as_str(), "small-win"),
        (&o.ann.token, fay_id, "team-player"),
        (&o.dan.token, o.bob.id.as_str(), "above-and-beyond"),
    ] {
        let r = app
            .send_postcard(
                from,
                &json!({"recipients": [to], "behaviour": behaviour, "message": "Thanks"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let admin = app.get("/api/v1/stats?period=week", Some(&app.admin_token())).await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    assert_eq!(admin.body["scope"], "organisation");
    assert_eq!(admin.body["postcards_per_week"].as_array().unwrap().len(), 1);
    assert_eq!(admin.body["postcards_per_week"][0]["postcards"], 4);
    let p = &admin.body["participation"];
    assert_eq!(
        (p["employees"].as_i64(), p["participants"].as_i64()),
        (Some(6), Some(5)),
        "Bea took no part"
    );
    assert_eq!(admin.body["top_behaviours"][0]["slug"], "small-win");
    assert_eq!(admin.body["top_behaviours"][0]["postcards"], 2);
    let support = admin.body["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "Support")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            support["employees"].as_i64(),
            support["received"].as_i64(),
            support["sent"].as_i64()
        ),
        (Some(3), Some(3), Some(1))
    );

    let team = app.get("/api/v1/stats?period=week", Some(&o.bea.token)).await;
    assert_eq!(team.status, 200, "{}", team.text);
    assert_eq!(team.body["scope"], "team");
    assert_eq!(team.body["participation"]["employees"], 2, "Ann and Fay, under Bea");
    assert_eq!(
        team.body["postcards_per_week"][0]["postcards"], 3,
        "received by Ann or Fay"
    );
    let quarter = app.get("/api/v1/stats", Some(&o.bea.token)).await;
    assert!(
        quarter.body["postcards_per_week"].as_array().unwrap().len() >= 13,
        "{}",
        quarter.text
    );

    app.get("/api/v1/stats", Some(&o.bob.token))
        .await
        .assert_problem(403, "forbidden", "not a manager");
    app.get("/api/v1/stats?period=decade", Some(&o.bea.token))
        .await
        .assert_problem(400, "invalid_parameter", "bad period");
}

crate::on_both_backends!(stats_by_scope);
