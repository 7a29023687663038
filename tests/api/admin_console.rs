//! The admin console's pages and forms, on both backends: who may open them, and that each
//! change goes through the same rules as the API (and says so in words when refused).

use serde_json::json;

use crate::helpers::{TestApp, ROOT_ADMIN};
use crate::web_sessions::{form, page, session};

async fn only_admins_open_the_console(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let signed_out = page(&app, "/admin/directory", None).await;
    assert_eq!(signed_out.status, 303);
    assert_eq!(signed_out.headers["location"], "/sign-in?next=%2Fadmin%2Fdirectory");

    let (ada, ada_csrf) = session(&app, "ada@example.com").await;
    for path in [
        "/admin",
        "/admin/moderation",
        "/admin/directory",
        "/admin/behaviours",
        "/admin/widgets",
        "/admin/digests",
        "/admin/outbox",
        "/admin/integrations",
        "/admin/stats",
    ] {
        let refused = page(&app, path, Some(&ada)).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(refused.text.contains("Admins only"), "{path}: {}", refused.text);
    }
    let write = form(
        &app,
        "/admin/widgets",
        &[("csrf_token", &ada_csrf), ("name", "Mine")],
        Some(&ada),
        &app.address,
    )
    .await;
    assert_eq!(write.status, 403, "no widget token for an employee");

    let (root, _) = session(&app, ROOT_ADMIN).await;
    for path in [
        "/admin",
        "/admin/moderation",
        "/admin/moderation?show=hidden",
        "/admin/directory",
        "/admin/behaviours",
        "/admin/widgets",
        "/admin/digests",
        "/admin/outbox",
        "/admin/integrations",
        "/admin/stats?period=all",
    ] {
        let shown = page(&app, path, Some(&root)).await;
        assert_eq!(shown.status, 200, "{path}: {}", shown.text);
        let csp = shown.headers["content-security-policy"].to_str().unwrap();
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
    }
    let forged = form(
        &app,
        "/admin/widgets",
        &[("csrf_token", "x"), ("name", "Lobby")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(forged.status, 403, "a form without the session's token changes nothing");
    let listed = app.get("/api/v1/admin/widget-tokens", Some(&app.admin_token())).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
}

async fn moderation_needs_a_reason_and_is_audited(app: TestApp) {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Support", None)
        .await;
    let sent = app
        .send_postcard(
            &app.token("ada@example.com"),
            &json!({"recipients": [bob["id"]], "behaviour": "small-win", "message": "Fixed Acme's invoice"}),
        )
        .await;
    let id = sent.body["id"].as_str().unwrap().to_string();
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let listed = page(&app, "/admin/moderation", Some(&root)).await;
    assert!(
        listed.text.contains("Fixed Acme&#39;s invoice") || listed.text.contains("Fixed Acme's invoice"),
        "{}",
        listed.text
    );

    let path = format!("/admin/moderation/{id}/hide");
    let no_reason = form(
        &app,
        &path,
        &[("csrf_token", &csrf), ("reason", " ")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.text.contains("Say why it is hidden"), "{}", no_reason.text);
    let feed = app.get("/api/v1/postcards", Some(&app.token("bob@example.com"))).await;
    assert_eq!(feed.body["items"].as_array().unwrap().len(), 1, "still there");

    let hidden = form(
        &app,
        &path,
        &[("csrf_token", &csrf), ("reason", "Names a customer's account number")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(hidden.status, 303, "{}", hidden.text);
    let feed = app.get("/api/v1/postcards", Some(&app.token("bob@example.com"))).await;
    assert_eq!(feed.body["items"].as_array().unwrap().len(), 0, "gone from the feed");
    let board = app
        .get("/api/v1/leaderboard?period=week", Some(&app.token("ada@example.com")))
        .await;
    let received: i64 = board.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["received"].as_i64().unwrap())
        .sum();
    assert_eq!(received, 0, "and from the board: {}", board.text);
    let shown = page(&app, "/admin/moderation?show=hidden", Some(&root)).await;
    assert!(
        shown.text.contains("Names a customer&#39;s account number"),
        "the audit trail: {}",
        shown.text
    );
    assert!(shown.text.contains("postcard.hide"));

    let restored = form(
        &app,
        &format!("/admin/moderation/{id}/restore"),
        &[("csrf_token", &csrf), ("reason", "")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(restored.status, 303);
    let feed = app.get("/api/v1/postcards", Some(&app.token("bob@example.com"))).await;
    assert_eq!(feed.body["items"].as_array().unwrap().len(), 1, "back");
    let _ = ada;
}

async fn an_import_is_previewed_line_by_line_before_it_is_applied(app: TestApp) {
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let csv = "email,name,department,manager_email,timezone,active\n\
               maya@example.com,Maya Patel,Support,,Europe/London,true\n\
               not-an-email,Broken Line,Support,,,true\n\
               leo@example.com,Leo Martin,Support,maya@example.com,Mars/Olympus,true\n\
               sam@example.com,Sam Okoro,Support,maya@example.com,,true\n";
    let preview = form(
        &app,
        "/admin/directory/import",
        &[("csrf_token", &csrf), ("csv", csv)],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert!(
        preview.text.contains("Preview: nothing is changed yet"),
        "{}",
        preview.text
    );
    assert_eq!(
        preview.text.matches("class=\"bad-line\"").count(),
        2,
        "lines 3 and 4 marked: {}",
        preview.text
    );
    assert!(preview.text.contains("Apply 2 changes"), "{}", preview.text);
    let people = app.get("/api/v1/employees", Some(&app.admin_token())).await;
    assert_eq!(
        people.body["items"].as_array().unwrap().len(),
        0,
        "a preview writes nothing"
    );

    let applied = form(
        &app,
        "/admin/directory/import",
        &[("csrf_token", &csrf), ("csv", csv), ("apply", "1")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(applied.status, 303, "{}", applied.text);
    let done = page(&app, applied.headers["location"].to_str().unwrap(), Some(&root)).await;
    assert!(
        done.text
            .contains("Imported: 2 new, 0 changed, 0 deactivated. 2 line(s) with problems were skipped."),
        "{}",
        done.text
    );
    let people = app.get("/api/v1/employees", Some(&app.admin_token())).await;
    assert_eq!(people.body["items"].as_array().unwrap().len(), 2);

    let empty = form(
        &app,
        "/admin/directory/import",
        &[("csrf_token", &csrf), ("csv", "")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("Choose a CSV file"), "{}", empty.text);
    let sample = page(&app, "/admin/directory/sample.csv", Some(&root)).await;
    assert!(sample
        .text
        .starts_with("email,name,department,manager_email,timezone,active"));
}

async fn a_person_is_edited_with_problems_shown_by_their_fields(app: TestApp) {
    let maya = app
        .create_employee("maya@example.com", "Maya Patel", "Support", None)
        .await;
    let leo = app
        .create_employee("leo@example.com", "Leo Martin", "Support", maya["id"].as_str())
        .await;
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let maya_path = format!("/admin/directory/{}", maya["id"].as_str().unwrap());
    let fields = |manager: &'static str, tz: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("action", "save".to_string()),
            ("name", "Maya Patel".to_string()),
            ("email", "maya@example.com".to_string()),
            ("department", "Customer Experience".to_string()),
            ("manager_email", manager.to_string()),
            ("timezone", tz.to_string()),
            ("role", "employee".to_string()),
        ]
    };
    let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let cycle = fields("leo@example.com", "");
    let cycle: Vec<(&str, String)> = as_refs(&cycle);
    let cycle: Vec<(&str, &str)> = cycle.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = form(&app, &maya_path, &cycle, Some(&root), &app.address).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("id=\"manager_email-error\""),
        "next to the manager's field: {}",
        refused.text
    );
    assert!(refused.text.contains("cycle"), "{}", refused.text);
    assert!(
        refused.text.contains("value=\"Customer Experience\""),
        "what was typed stays"
    );

    let good = fields("", "Europe/Paris");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = form(&app, &maya_path, &good, Some(&root), &app.address).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let now = app
        .get(
            &format!("/api/v1/employees/{}", maya["id"].as_str().unwrap()),
            Some(&app.admin_token()),
        )
        .await;
    assert_eq!(now.body["department"], "Customer Experience");
    assert_eq!(now.body["timezone"], "Europe/Paris");

    let leo_path = format!("/admin/directory/{}", leo["id"].as_str().unwrap());
    let off = form(
        &app,
        &leo_path,
        &[("csrf_token", &csrf), ("action", "deactivate")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(off.status, 303);
    let leo_now = app
        .get(
            &format!("/api/v1/employees/{}", leo["id"].as_str().unwrap()),
            Some(&app.admin_token()),
        )
        .await;
    assert_eq!(leo_now.body["active"], false);
    let shown = page(&app, off.headers["location"].to_str().unwrap(), Some(&root)).await;
    assert!(shown.text.contains("Their postcards stay"), "{}", shown.text);
}

async fn behaviours_get_colours_icons_and_an_order(app: TestApp) {
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let light = form(
        &app,
        "/admin/behaviours",
        &[
            ("csrf_token", &csrf),
            ("slug", "first-call"),
            ("title", "First call"),
            ("color_custom", "#ffee00"),
            ("icon", "trophy"),
        ],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(light.status, 422);
    assert!(light.text.contains("too light to read on a postcard"), "{}", light.text);
    assert!(
        light.text.contains("value=\"first-call\""),
        "the form keeps what was typed"
    );

    let added = form(
        &app,
        "/admin/behaviours",
        &[
            ("csrf_token", &csrf),
            ("slug", "first-call"),
            ("title", "First call"),
            ("description", "Solved it on the first call"),
            ("color", "#1d4ed8"),
            ("icon", "trophy"),
        ],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.text);
    let list = app.get("/api/v1/behaviours", Some(&app.admin_token())).await;
    let items = list.body["items"].as_array().unwrap();
    let last = items.last().unwrap();
    assert_eq!(
        (last["slug"].as_str(), last["color"].as_str(), last["icon"].as_str()),
        (Some("first-call"), Some("#1d4ed8"), Some("trophy"))
    );
    assert_eq!(items[0]["icon"], "heart", "the default set has its looks");

    let up = form(
        &app,
        "/admin/behaviours/first-call/move",
        &[("csrf_token", &csrf), ("direction", "up")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(up.status, 303);
    let list = app.get("/api/v1/behaviours", Some(&app.admin_token())).await;
    let slugs: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap())
        .collect();
    assert_eq!(&slugs[slugs.len() - 2..], ["first-call", "team-player"], "{slugs:?}");

    let archived = form(
        &app,
        "/admin/behaviours/first-call",
        &[("csrf_token", &csrf), ("action", "archive")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(archived.status, 303);
    let list = app.get("/api/v1/behaviours", Some(&app.admin_token())).await;
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["slug"] != "first-call"));

    // The API takes the same looks, and clears them with null.
    let patched = app
        .patch(
            "/api/v1/behaviours/small-win",
            &app.admin_token(),
            &json!({"color": null, "icon": "star"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["color"], serde_json::Value::Null);
    assert_eq!(patched.body["icon"], "star");
    let bad = app
        .patch(
            "/api/v1/behaviours/small-win",
            &app.admin_token(),
            &json!({"icon": "skull"}),
        )
        .await;
    bad.assert_problem(422, "validation_failed", "an icon outside the set");
    assert_eq!(bad.field_errors(), vec!["icon"]);
}

async fn widget_tokens_are_shown_once_and_revocable(app: TestApp) {
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let unnamed = form(
        &app,
        "/admin/widgets",
        &[("csrf_token", &csrf), ("name", "")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(unnamed.status, 422);
    assert!(unnamed.text.contains("Name the token after where it will be shown"));
    let minted = form(
        &app,
        "/admin/widgets",
        &[("csrf_token", &csrf), ("name", "Lobby screen")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(minted.status, 200, "{}", minted.text);
    let at = minted.text.find("id=\"minted-token\" value=\"").unwrap() + "id=\"minted-token\" value=\"".len();
    let token = minted.text[at..].split('"').next().unwrap().to_string();
    assert!(token.starts_with("cw_"));
    assert!(
        minted.text.contains(&format!("/widgets/leaderboard?token={token}")),
        "the embed code uses it"
    );
    let widget = page(&app, &format!("/widgets/leaderboard?token={token}"), None).await;
    assert_eq!(widget.status, 200);
    let again = page(&app, "/admin/widgets", Some(&root)).await;
    assert!(!again.text.contains(&token), "shown once");
    assert!(again.text.contains("Lobby screen"));
    assert!(again.text.contains("server.allowed_origins"), "the hint");

    let tokens = app.get("/api/v1/admin/widget-tokens", Some(&app.admin_token())).await;
    let id = tokens.body["items"][0]["id"].as_str().unwrap().to_string();
    let revoked = form(
        &app,
        &format!("/admin/widgets/{id}/revoke"),
        &[("csrf_token", &csrf)],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(revoked.status, 303);
    let widget = page(&app, &format!("/widgets/leaderboard?token={token}"), None).await;
    assert_eq!(widget.status, 401);
}

async fn digests_are_previewed_and_sent_from_the_console(app: TestApp) {
    let maya = app
        .create_employee("maya@example.com", "Maya Patel", "Support", None)
        .await;
    app.create_employee("leo@example.com", "Leo Martin", "Support", maya["id"].as_str())
        .await;
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let shown = page(&app, "/admin/digests", Some(&root)).await;
    assert!(shown.text.contains("Maya Patel"), "{}", shown.text);
    let src_at = shown
        .text
        .find("src=\"/admin/digests/preview?")
        .expect("a preview frame")
        + "src=\"".len();
    let src = shown.text[src_at..].split('"').next().unwrap().replace("&#38;", "&");
    assert!(src.contains("&week=20"), "the week is in the frame's address: {src}");
    let email = page(&app, &src, Some(&root)).await;
    assert_eq!(email.status, 200, "{}", email.text);
    assert!(email.text.contains("<base target=\"_blank\">"), "links open a new tab");
    let csp = email.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");

    let future = form(
        &app,
        "/admin/digests/run",
        &[("csrf_token", &csrf), ("week", "2099-W01")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(future.status, 422);
    assert!(future.text.contains("has not ended yet"), "{}", future.text);
    let ran = form(
        &app,
        "/admin/digests/run",
        &[("csrf_token", &csrf), ("week", "")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(ran.status, 303, "{}", ran.text);
    let done = page(&app, ran.headers["location"].to_str().unwrap(), Some(&root)).await;
    assert!(done.text.contains("already had theirs"), "{}", done.text);
}

async fn the_outbox_shows_emails_but_not_sign_in_links(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    crate::sign_in::ask(&app, "ada@example.com").await;
    let (root, _) = session(&app, ROOT_ADMIN).await;
    let list = page(&app, "/admin/outbox", Some(&root)).await;
    let at = list.text.find("href=\"/admin/outbox/").expect("an email") + "href=\"".len();
    let link = list.text[at..].split('"').next().unwrap().to_string();
    let email = page(&app, &link, Some(&root)).await;
    assert!(email.text.contains("not shown here"), "{}", email.text);
    assert!(!email.text.contains("magic_token"));
    assert_eq!(page(&app, &format!("{link}/html"), Some(&root)).await.status, 404);
}

async fn in_development_the_outbox_is_the_mail_catcher(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    crate::sign_in::ask(&app, "ada@example.com").await;
    let (root, _) = session(&app, ROOT_ADMIN).await;
    let list = page(&app, "/admin/outbox", Some(&root)).await;
    let at = list.text.find("href=\"/admin/outbox/").expect("an email") + "href=\"".len();
    let link = list.text[at..].split('"').next().unwrap().to_string();
    let email = page(&app, &link, Some(&root)).await;
    assert!(
        email.text.contains("/sign-in?magic_token=cm_"),
        "the text part: {}",
        email.text
    );
    let html = page(&app, &format!("{link}/html"), Some(&root)).await;
    assert!(html.text.contains("magic_token=cm_"), "{}", html.text);
}

crate::on_both_backends!(
    only_admins_open_the_console,
    moderation_needs_a_reason_and_is_audited,
    an_import_is_previewed_line_by_line_before_it_is_applied,
    a_person_is_edited_with_problems_shown_by_their_fields,
    behaviours_get_colours_icons_and_an_order,
    widget_tokens_are_shown_once_and_revocable,
    digests_are_previewed_and_sent_from_the_console,
    the_outbox_shows_emails_but_not_sign_in_links
);

mod development {
    use super::*;
    crate::on_both_backends!(
        with &[("CHAMPION__AUTH__LOG_SIGN_IN_LINKS", "true")];
        in_development_the_outbox_is_the_mail_catcher
    );
}

async fn reported_postcards_wait_for_an_admin(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Support", None)
        .await;
    app.create_employee("cy@example.com", "Cy Young", "Sales", None).await;
    let ada = app.token("ada@example.com");
    let send = |visibility: &'static str, message: &'static str| {
        let body =
            json!({"recipients": [bob["id"]], "behaviour": "small-win", "message": message, "visibility": visibility});
        let ada = ada.clone();
        let app = &app;
        async move {
            app.send_postcard(&ada, &body).await.body["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let public = send("public", "Read out Acme's card number on the call").await;
    let private = send("private", "A private thanks").await;

    // Reported through the API by someone who can see it; a private one does not exist for Cy.
    let cy = app.token("cy@example.com");
    let path = format!("/api/v1/postcards/{public}/report");
    app.post(&path, &cy, &json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed", "no reason");
    assert_eq!(
        app.post(&path, &cy, &json!({"reason": "Card number in the story"}))
            .await
            .status,
        202
    );
    app.post(
        &format!("/api/v1/postcards/{private}/report"),
        &cy,
        &json!({"reason": "x"}),
    )
    .await
    .assert_problem(404, "not_found", "a private postcard Cy cannot see");
    // ...and through the postcard's page.
    let (bob_session, bob_csrf) = session(&app, "bob@example.com").await;
    let on_page = form(
        &app,
        &format!("/postcards/{public}/report"),
        &[("csrf_token", &bob_csrf), ("reason", "Please take it down")],
        Some(&bob_session),
        &app.address,
    )
    .await;
    assert_eq!(on_page.status, 303, "{}", on_page.text);
    let thanked = page(&app, on_page.headers["location"].to_str().unwrap(), Some(&bob_session)).await;
    assert!(thanked.text.contains("The admins will look at it"), "{}", thanked.text);

    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let overview = page(&app, "/admin", Some(&root)).await;
    assert!(overview.text.contains("1 postcard was reported"), "{}", overview.text);
    let listed = page(&app, "/admin/moderation?show=reported", Some(&root)).await;
    assert!(listed.text.contains("Reported by 2 people"), "{}", listed.text);
    assert!(listed.text.contains("Card number in the story") && listed.text.contains("Please take it down"));

    let kept = form(
        &app,
        &format!("/admin/moderation/{public}/keep"),
        &[("csrf_token", &csrf)],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(kept.status, 303);
    let listed = page(&app, "/admin/moderation?show=reported", Some(&root)).await;
    assert!(listed.text.contains("Nothing reported"), "{}", listed.text);
    let audit = app
        .get("/api/v1/admin/audit?action=postcard.keep", Some(&app.admin_token()))
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.text);

    // Reported again, then hidden: hiding answers the reports too.
    assert_eq!(
        app.post(&path, &cy, &json!({"reason": "Still there"})).await.status,
        202
    );
    let hidden = form(
        &app,
        &format!("/admin/moderation/{public}/hide"),
        &[("csrf_token", &csrf), ("reason", "Card number"), ("show", "reported")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(hidden.status, 303);
    assert!(hidden.headers["location"].to_str().unwrap().contains("show=reported"));
    let listed = page(&app, "/admin/moderation?show=reported", Some(&root)).await;
    assert!(listed.text.contains("Reported (0)"), "{}", listed.text);
    app.post(&path, &cy, &json!({"reason": "again"})).await.assert_problem(
        404,
        "not_found",
        "a hidden postcard cannot be reported",
    );
}

mod reports {
    use super::*;
    crate::on_both_backends!(reported_postcards_wait_for_an_admin);
}
