//! The employee pages without a browser, on both backends: paging past the first page,
//! filters, the send form without script (colleagues by address) and its refusals in words,
//! people pages, and who may open the team page.

use serde_json::json;

use crate::helpers::TestApp;
use crate::web_sessions::{form, page, session};

async fn the_wall_pages_and_filters(app: TestApp) {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Sales", None)
        .await;
    let cy = app.create_employee("cy@example.com", "Cy Young", "Sales", None).await;
    // 14 postcards, Cy to Ada and Ada to Bob in turn (this test's rules allow that many).
    for i in 0..14 {
        let (sender, to) = if i % 2 == 0 {
            ("cy@example.com", &ada)
        } else {
            ("ada@example.com", &bob)
        };
        let sent = app
            .send_postcard(&app.token(sender), &json!({"recipients": [to["id"]], "behaviour": if i % 3 == 0 { "small-win" } else { "team-player" }, "message": format!("Story number {i}")}))
            .await;
        assert_eq!(sent.status, 201, "{i}: {}", sent.text);
    }
    let (cookie, _) = session(&app, "cy@example.com").await;
    let first = page(&app, "/", Some(&cookie)).await;
    assert_eq!(first.text.matches("class=\"pc ").count(), 12, "a page of 12");
    assert!(first.text.contains("Story number 13") && !first.text.contains("Story number 1<"));
    let at = first.text.find("rel=\"next\"").expect("older postcards");
    let href_at = first.text[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let next = first.text[href_at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let second = page(&app, &next, Some(&cookie)).await;
    assert_eq!(second.text.matches("class=\"pc ").count(), 2, "{next}");
    assert!(second.text.contains("Story number 0") && second.text.contains("Story number 1<"));
    assert!(!second.text.contains("rel=\"next\""), "the last page");

    let small = page(&app, "/?behaviour=small-win", Some(&cookie)).await;
    assert_eq!(small.text.matches("class=\"pc ").count(), 5, "stories 0, 3, 6, 9, 12");
    let sales = page(&app, "/?department=Sales", Some(&cookie)).await;
    assert_eq!(
        sales.text.matches("class=\"pc ").count(),
        7,
        "the postcards to Bob, in Sales"
    );
    let (ada_cookie, _) = session(&app, "ada@example.com").await;
    let for_me = page(&app, "/?for=me", Some(&ada_cookie)).await;
    assert_eq!(for_me.text.matches("class=\"pc ").count(), 7);
    assert!(
        !for_me.text.contains(&format!(
            "/people/{}\">Bob Builder</a></li>",
            bob["id"].as_str().unwrap()
        )),
        "only Ada's"
    );

    // A person's page: what they were recognised for, counted.
    let person = page(&app, &format!("/people/{}", ada["id"].as_str().unwrap()), Some(&cookie)).await;
    assert!(person.text.contains("Recognised for"), "{}", person.text);
    let _ = cy;
}

async fn sending_without_script_says_what_is_wrong(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Support", None)
        .await;
    let (cookie, csrf) = session(&app, "ada@example.com").await;
    let send_page = page(
        &app,
        &format!("/send?to={}", bob["id"].as_str().unwrap()),
        Some(&cookie),
    )
    .await;
    assert!(
        send_page.text.contains("name=\"recipient\" value=\""),
        "Bob is on the card already"
    );
    let key_at =
        send_page.text.find("name=\"idempotency_key\" value=\"").unwrap() + "name=\"idempotency_key\" value=\"".len();
    let key = send_page.text[key_at..].split('"').next().unwrap().to_string();

    let send = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf_token", csrf.clone())];
        all.extend(fields);
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form(app, "/send", &refs, Some(&cookie), &app.address).await
        }
    };
    let to_self = send(vec![
        ("recipient_emails", "ada@example.com".into()),
        ("behaviour", "small-win".into()),
        ("message", "Me".into()),
    ])
    .await;
    assert_eq!(to_self.status, 422);
    assert!(
        to_self
            .text
            .contains("Postcards are for colleagues. Ask someone to send you one."),
        "{}",
        to_self.text
    );
    let nobody = send(vec![
        ("recipient_emails", "ghost@example.com".into()),
        ("behaviour", "small-win".into()),
        ("message", "x".into()),
    ])
    .await;
    assert!(nobody
        .text
        .contains("Nobody in the directory has the address ghost@example.com."));
    let empty = send(vec![("behaviour", "".into()), ("message", "".into())]).await;
    assert!(empty.text.contains("Choose at least one colleague."), "{}", empty.text);
    assert!(empty.text.contains("Pick what they were caught doing."));
    assert!(empty
        .text
        .contains("Tell the story: what did they do for the customer?"));
    let quote_only = send(vec![
        ("recipient_emails", "bob@example.com".into()),
        ("behaviour", "small-win".into()),
        ("message", "Fixed it".into()),
        ("customer_quote", "Thanks!".into()),
    ])
    .await;
    assert!(
        quote_only.text.contains("Add the customer&#39;s name") || quote_only.text.contains("Add the customer's name"),
        "{}",
        quote_only.text
    );

    // Sent by address (no script); the same form sent twice is one postcard.
    let fields = || {
        vec![
            ("recipient_emails", "Bob@Example.com".to_string()),
            ("behaviour", "small-win".to_string()),
            ("message", "Fixed Acme's invoice".to_string()),
            ("idempotency_key", key.clone()),
        ]
    };
    let sent = send(fields()).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let again = send(fields()).await;
    assert_eq!(
        again.headers["location"], sent.headers["location"],
        "a double submit is one postcard"
    );
    let feed = app.get("/api/v1/postcards", Some(&app.token("bob@example.com"))).await;
    assert_eq!(feed.body["items"].as_array().unwrap().len(), 1);

    // Twice to Bob is the weekly pair limit: the third says so with his name.
    let second = send(vec![
        ("recipient", bob["id"].as_str().unwrap().to_string()),
        ("behaviour", "team-player".into()),
        ("message", "Again".into()),
    ])
    .await;
    assert_eq!(second.status, 303);
    let third = send(vec![
        ("recipient", bob["id"].as_str().unwrap().to_string()),
        ("behaviour", "team-player".into()),
        ("message", "And again".into()),
    ])
    .await;
    assert_eq!(third.status, 422);
    assert!(
        third
            .text
            .contains("You&#39;ve already sent Bob 2 postcards this week. Someone else you&#39;d like to thank?"),
        "{}",
        third.text
    );
    let allowance = page(&app, "/send", Some(&cookie)).await;
    assert!(
        allowance.text.contains("You can send 8 more this week."),
        "the allowance after sending"
    );
}

async fn pages_only_for_whom_they_are(app: TestApp) {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    app.create_employee("bob@example.com", "Bob Builder", "Support", ada["id"].as_str())
        .await;
    let (bob, _) = session(&app, "bob@example.com").await;
    assert_eq!(page(&app, "/team", Some(&bob)).await.status, 404, "Bob manages nobody");
    assert!(!page(&app, "/", Some(&bob)).await.text.contains("href=\"/team\""));
    let (ada_cookie, _) = session(&app, "ada@example.com").await;
    let team = page(&app, "/team", Some(&ada_cookie)).await;
    assert_eq!(team.status, 200);
    assert!(team.text.contains("src=\"/team/digest\""));
    let digest = page(&app, "/team/digest", Some(&ada_cookie)).await;
    assert!(digest.text.contains("<base target=\"_blank\">"));
    let bad = page(
        &app,
        "/leaderboard?period=custom&from=2026-05-01&to=2020-01-01",
        Some(&ada_cookie),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("Choose a first and a last day"), "{}", bad.text);
    let hidden_elsewhere = page(
        &app,
        "/postcards/01900000-0000-7000-8000-000000000000",
        Some(&ada_cookie),
    )
    .await;
    assert_eq!(hidden_elsewhere.status, 404);
    assert!(hidden_elsewhere.text.contains("Page not found"));
}

crate::on_both_backends!(sending_without_script_says_what_is_wrong, pages_only_for_whom_they_are);

mod many_postcards {
    use super::*;
    crate::on_both_backends!(
        with &[("CHAMPION__RULES__SAME_PAIR_PER_WEEK", "20")];
        the_wall_pages_and_filters
    );
}
