//! The email a colleague gets when they receive a postcard (`notify_on_postcard`), queued
//! with the postcard itself; stories stay text and names cannot add headers.

use serde_json::json;

use crate::helpers::TestApp;
use crate::org::org;

async fn recipients_hear_about_their_postcards(app: TestApp) {
    let o = org(&app).await;
    let sent = app
        .send_postcard(
            &o.bob.token,
            &json!({"recipients": [o.ann.id, o.cat.id], "behaviour": "small-win",
                    "message": "Fixed it <script>alert('x')</script>", "customer": {"name": "Acme", "quote": "Brilliant"}}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let id = sent.body["id"].as_str().expect("id").to_string();
    let mails = app.smtp.wait_for(10, "two notifications", |m| m.len() == 2).await;
    let to_ann = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("ann@")))
        .expect("Ann's email");
    assert_eq!(
        to_ann.header("Subject").as_deref(),
        Some("Bob Ray sent you a Customer Champion postcard")
    );
    let body = to_ann.decoded();
    assert!(body.contains("Fixed it &#60;script&#62;"), "escaped HTML: {body}");
    assert!(body.contains("Small win"));
    assert!(body.contains("Brilliant"));
    assert!(body.contains(&format!("/postcards/{id}")));
    let unsubscribe = to_ann.header("List-Unsubscribe").expect("List-Unsubscribe");

    // Ann turns them off with the link; Cat in her preferences.
    let url = unsubscribe
        .trim_matches(|c| c == '<' || c == '>')
        .replace("http://localhost:8080", &app.address);
    let page = app.client.get(&url).send().await.expect("unsubscribe");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains("Unsubscribed"));
    let off = app
        .patch(
            "/api/v1/me/preferences",
            &o.cat.token,
            &json!({"notify_on_postcard": false}),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let prefs = app.get("/api/v1/me/preferences", Some(&o.ann.token)).await;
    assert_eq!(prefs.body["notify_on_postcard"], false);
    assert_eq!(
        prefs.body["weekly_digest"], true,
        "only postcard emails were turned off"
    );

    let again = app
        .send_postcard(
            &o.dan.token,
            &json!({"recipients": [o.ann.id, o.cat.id, o.bea.id], "behaviour": "small-win", "message": "Again"}),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    let mails = app.smtp.wait_for(10, "Bea's notification", |m| m.len() == 3).await;
    assert!(mails[2].to.iter().any(|t| t.contains("bea@")));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.smtp.messages().len(), 3, "nothing to Ann or Cat any more");
}

crate::on_both_backends!(recipients_hear_about_their_postcards);
