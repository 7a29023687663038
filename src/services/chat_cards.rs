//! What a postcard looks like where people chat: a Slack Block Kit message and a Teams
//! Adaptive Card (1.4), built from the postcard as the API answers it. Also the bodies of
//! `slack` and `teams` webhook subscriptions for the other events.

use serde_json::{json, Value};

use super::postcard_views::PostcardView;

/// Slack's text escaping: `&`, `<` and `>` are control characters in mrkdwn.
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn names(view: &PostcardView) -> String {
    let names: Vec<&str> = view.recipients.iter().map(|r| r.name.as_str()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One line saying what happened, for notifications and clients without cards.
pub fn headline(view: &PostcardView) -> String {
    format!(
        "{} recognised {} for {}",
        view.sender.name,
        names(view),
        view.behaviour.title
    )
}

/// The "+1" button's text, with the count once there is one.
fn plus_ones(count: i32) -> String {
    if count > 0 {
        format!("+1 ({count})")
    } else {
        "+1".into()
    }
}

/// The postcard as a Slack message: header, story, the customer's words, "+1" and "open".
pub fn slack_postcard(view: &PostcardView, public_url: &str) -> Value {
    let url = format!("{public_url}/postcards/{}", view.id);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": format!("🏆 {}", view.behaviour.title), "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
            "*{}* recognised *{}*\n{}",
            slack_escape(&view.sender.name),
            slack_escape(&names(view)),
            slack_escape(&view.message)
        )}}),
    ];
    if let Some(c) = &view.customer {
        let words = match &c.quote {
            Some(q) => format!("> “{}”\n> — {}", slack_escape(q), slack_escape(&c.name)),
            None => format!("Customer: {}", slack_escape(&c.name)),
        };
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": words}]}));
    }
    blocks.push(json!({"type": "actions", "block_id": "champion_postcard", "elements": [
        {"type": "button", "action_id": "champion_endorse", "value": view.id,
         "text": {"type": "plain_text", "text": plus_ones(view.endorsement_count), "emoji": true}},
        {"type": "button", "action_id": "champion_open", "url": url,
         "text": {"type": "plain_text", "text": "Open"}}
    ]}));
    json!({"text": headline(view), "blocks": blocks, "unfurl_links": false})
}

/// The postcard as an Adaptive Card 1.4, wrapped as Teams' Workflows webhooks take it.
pub fn teams_postcard(view: &PostcardView, public_url: &str) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": format!("🏆 {}", view.behaviour.title), "weight": "Bolder", "size": "Large", "wrap": true}),
        json!({"type": "TextBlock", "text": format!("**{}** recognised **{}**", view.sender.name, names(view)), "wrap": true}),
        json!({"type": "TextBlock", "text": view.message, "wrap": true}),
    ];
    if let Some(c) = &view.customer {
        let words = match &c.quote {
            Some(q) => format!("“{q}” — {}", c.name),
            None => format!("Customer: {}", c.name),
        };
        body.push(json!({"type": "TextBlock", "text": words, "isSubtle": true, "wrap": true}));
    }
    let url = format!("{public_url}/postcards/{}", view.id);
    teams_message(json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": "+1", "url": url.clone()},
            {"type": "Action.OpenUrl", "title": "Open", "url": url}
        ]
    }))
}

/// An Adaptive Card as a Teams message (the attachment shape Workflows and bots take).
pub fn teams_message(card: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}]
    })
}

/// A card of a single line (replies, and events other than a new postcard).
pub fn teams_text(text: &str) -> Value {
    teams_message(json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": true}]
    }))
}

/// Slack's modal for sending a postcard: colleagues, behaviour, story, customer, quote and
/// visibility. `metadata` comes back with the submission (the channel to confirm in).
pub fn slack_send_modal(behaviours: &[(String, String)], story: &str, colleagues: &[String], metadata: &str) -> Value {
    let plain = |t: &str| json!({"type": "plain_text", "text": t});
    let option =
        |value: &str, text: &str| json!({"text": plain(&text.chars().take(75).collect::<String>()), "value": value});
    let options: Vec<Value> = behaviours
        .iter()
        .take(100)
        .map(|(slug, title)| option(slug, title))
        .collect();
    let public = option("public", "Public: on the wall and in the channel");
    let private = option("private", "Private: only the people on it and their managers");
    let mut people = json!({"type": "multi_users_select", "action_id": "value", "max_selected_items": 5,
        "placeholder": plain("Choose colleagues")});
    if !colleagues.is_empty() {
        people["initial_users"] = json!(colleagues);
    }
    let mut story_input = json!({"type": "plain_text_input", "action_id": "value", "multiline": true, "max_length": 2000,
        "placeholder": plain("What did they do for a customer?")});
    if !story.trim().is_empty() {
        story_input["initial_value"] = json!(story.chars().take(2000).collect::<String>());
    }
    json!({
        "type": "modal",
        "callback_id": "champion_send",
        "private_metadata": metadata,
        "title": plain("Customer Champion"),
        "submit": plain("Send postcard"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "input", "block_id": "recipients", "label": plain("Colleagues"), "element": people},
            {"type": "input", "block_id": "behaviour", "label": plain("Behaviour"),
             "element": {"type": "static_select", "action_id": "value", "options": options, "placeholder": plain("Choose a behaviour")}},
            {"type": "input", "block_id": "story", "label": plain("Story"), "element": story_input},
            {"type": "input", "block_id": "customer", "optional": true, "label": plain("Customer"),
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200}},
            {"type": "input", "block_id": "quote", "optional": true, "label": plain("The customer's own words"),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": true, "max_length": 1000}},
            {"type": "input", "block_id": "visibility", "label": plain("Who sees it"),
             "element": {"type": "radio_buttons", "action_id": "value", "initial_option": public, "options": [public, private]}}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postcard::Visibility;
    use crate::services::postcard_views::{BehaviourRef, CustomerView, PersonRef};

    fn view() -> PostcardView {
        let person = |id: &str, name: &str| PersonRef {
            id: id.into(),
            name: name.into(),
            department: "Support".into(),
        };
        PostcardView {
            id: "p1".into(),
            sender: person("a", "Ann <b>"),
            recipients: vec![person("b", "Bo"), person("c", "Cy"), person("d", "Di")],
            behaviour: BehaviourRef {
                slug: "small-win".into(),
                title: "Small win".into(),
            },
            message: "Fixed <Acme>'s invoice & more".into(),
            customer: Some(CustomerView {
                name: "Acme".into(),
                quote: Some("Brilliant".into()),
            }),
            visibility: Visibility::Public,
            created_at: chrono::Utc::now(),
            endorsement_count: 0,
            endorsed_by_me: false,
            hidden: None,
        }
    }

    #[test]
    fn slack_cards_escape_and_carry_buttons() {
        let card = slack_postcard(&view(), "https://c.example.com");
        let text = card.to_string();
        assert!(
            text.contains("Ann &lt;b&gt;") && text.contains("&lt;Acme&gt;'s invoice &amp; more"),
            "{text}"
        );
        assert!(text.contains("Bo, Cy and Di"));
        assert!(text.contains("champion_endorse") && text.contains("https://c.example.com/postcards/p1"));
    }

    #[test]
    fn teams_cards_are_adaptive_cards_1_4() {
        let card = teams_postcard(&view(), "https://c.example.com");
        let content = &card["attachments"][0]["content"];
        assert_eq!(content["version"], "1.4");
        assert_eq!(content["type"], "AdaptiveCard");
        assert!(content["body"].to_string().contains("Brilliant"));
    }
}
