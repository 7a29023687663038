//! What people type to the bot in chat, read into a command: `/champion @sam @sue small-win
//! Stayed late to fix Acme's invoice` in Slack, `@Champion thank @Sam small-win ...` in
//! Teams. Also the words chat answers use for the API's refusals.

use crate::domain::text::sentence;
use crate::error::AppError;

#[derive(Debug, PartialEq, Eq)]
pub enum ChatCommand {
    /// Nothing, or `help`: the form (Slack's modal) or the usage.
    Help,
    /// `me`: my rank this week and what I may still send.
    Me,
    /// `top`: this week's top five.
    Top,
    /// People to recognise (chat ids, in order), a behaviour and the story.
    Send {
        mentions: Vec<String>,
        behaviour: String,
        story: String,
    },
    /// Something else: what was wrong, in words.
    Unclear(String),
}

/// The usage line both chats answer with.
pub fn usage(prefix: &str) -> String {
    format!(
        "Recognise colleagues: `{prefix} @colleague [@another] behaviour-slug what they did`. \
         `{prefix} me` shows your rank and allowance, `{prefix} top` this week's top five."
    )
}

/// Reads a Slack command's text, in which Slack has escaped mentions as `<@U123|name>` (or
/// `<@U123>`).
pub fn parse_slack(text: &str) -> ChatCommand {
    let text = text.trim();
    let mut rest = text;
    let mut mentions = Vec::new();
    loop {
        rest = rest.trim_start();
        let Some(after) = rest.strip_prefix("<@") else { break };
        let Some(end) = after.find('>') else { break };
        let inner = &after[..end];
        let id = inner.split('|').next().unwrap_or_default().trim();
        if !id.is_empty() && !mentions.iter().any(|m| m == id) {
            mentions.push(id.to_string());
        }
        rest = &after[end + 1..];
    }
    read_command(mentions, rest, "/champion")
}

/// Reads a Teams message whose `<at>Name</at>` mentions were matched to `mentions` (the
/// people mentioned, bot excluded, in order); the text after them holds an optional
/// "thank"/"thanks", the behaviour and the story.
pub fn parse_teams(text: &str, mentions: Vec<String>) -> ChatCommand {
    // Everything up to the last mention's closing tag is names.
    let rest = match text.rfind("</at>") {
        Some(i) => &text[i + "</at>".len()..],
        None => text,
    };
    let mut rest = decode_html(rest).trim().to_string();
    // "@Champion thank @Sam ..." puts the verb before the mention; "@Champion @Sam thanks" after.
    for verb in ["thanks", "thank"] {
        if let Some(after) = rest.strip_prefix(verb) {
            if after.is_empty() || after.starts_with(char::is_whitespace) {
                rest = after.trim_start().to_string();
                break;
            }
        }
    }
    read_command(mentions, &rest, "@Champion")
}

fn read_command(mentions: Vec<String>, rest: &str, prefix: &str) -> ChatCommand {
    let rest = rest.trim();
    if mentions.is_empty() {
        return match rest.to_ascii_lowercase().as_str() {
            "" | "help" | "thank" | "thanks" => ChatCommand::Help,
            "me" => ChatCommand::Me,
            "top" => ChatCommand::Top,
            _ if rest.contains('@') => ChatCommand::Unclear(format!(
                "Pick colleagues with a mention (type @ and choose them from the list). {}",
                usage(prefix)
            )),
            _ => ChatCommand::Unclear(usage(prefix)),
        };
    }
    let mut words = rest.splitn(2, char::is_whitespace);
    let behaviour = words.next().unwrap_or_default().trim().to_string();
    let story = words.next().unwrap_or_default().trim().to_string();
    if behaviour.is_empty() {
        return ChatCommand::Unclear(format!("Say which behaviour after the names. {}", usage(prefix)));
    }
    ChatCommand::Send {
        mentions,
        behaviour,
        story,
    }
}

fn decode_html(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// An error of a send, in words for a chat reply (field names are the API's; chat users
/// see what was wrong).
pub fn in_words(e: &AppError) -> String {
    match e {
        AppError::Validation { errors } => errors
            .iter()
            .map(|f| format!("{}: {}", field_in_words(&f.field), f.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Rule {
            detail,
            field: Some(field),
            ..
        } => format!("{}: {detail}", field_in_words(field)),
        AppError::Rule { detail, .. }
        | AppError::Forbidden { detail }
        | AppError::NotFound { detail }
        | AppError::Conflict { detail, .. }
        | AppError::BadRequest { detail, .. } => sentence(detail),
        AppError::TooManyRequests { detail, .. } => sentence(detail),
        _ => "Something went wrong on our side; please try again in a minute.".into(),
    }
}

/// The part of a form an API field belongs to.
pub fn field_in_words(field: &str) -> &'static str {
    match field.split(['[', '.']).next().unwrap_or_default() {
        "recipients" => "Colleagues",
        "behaviour" => "Behaviour",
        "message" => "Story",
        "customer" => "Customer",
        "visibility" => "Visibility",
        _ => "Postcard",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_commands_read_mentions_behaviour_and_story() {
        assert_eq!(
            parse_slack("<@U1|sam> <@U2|sue>  small-win Stayed late to fix Acme's invoice"),
            ChatCommand::Send {
                mentions: vec!["U1".into(), "U2".into()],
                behaviour: "small-win".into(),
                story: "Stayed late to fix Acme's invoice".into()
            }
        );
        assert_eq!(
            parse_slack("<@U1> <@U1|sam> listen"),
            ChatCommand::Send {
                mentions: vec!["U1".into()],
                behaviour: "listen".into(),
                story: String::new()
            }
        );
        assert_eq!(parse_slack(""), ChatCommand::Help);
        assert_eq!(parse_slack(" help "), ChatCommand::Help);
        assert_eq!(parse_slack("me"), ChatCommand::Me);
        assert_eq!(parse_slack("TOP"), ChatCommand::Top);
        assert!(matches!(parse_slack("@sam small-win x"), ChatCommand::Unclear(m) if m.contains("mention")));
        assert!(matches!(parse_slack("<@U1|sam>"), ChatCommand::Unclear(m) if m.contains("behaviour")));
    }

    #[test]
    fn teams_messages_read_after_the_mentions() {
        assert_eq!(
            parse_teams(
                "<at>Champion</at> thank <at>Sam</at> small-win Fixed Acme&#39;s invoice",
                vec!["aad-sam".into()]
            ),
            ChatCommand::Send {
                mentions: vec!["aad-sam".into()],
                behaviour: "small-win".into(),
                story: "Fixed Acme's invoice".into()
            }
        );
        assert_eq!(parse_teams("<at>Champion</at> me", vec![]), ChatCommand::Me);
        assert_eq!(parse_teams("<at>Champion</at>", vec![]), ChatCommand::Help);
    }

    #[test]
    fn refusals_read_as_sentences() {
        let e = AppError::validation("recipients[0]", "you cannot send a postcard to yourself");
        assert_eq!(in_words(&e), "Colleagues: you cannot send a postcard to yourself");
        let rule = AppError::Rule {
            code: "weekly_allowance_exceeded",
            detail: "you have sent 10 of your 10 postcards this week".into(),
            field: None,
        };
        assert_eq!(in_words(&rule), "You have sent 10 of your 10 postcards this week.");
    }
}
