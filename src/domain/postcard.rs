//! What a postcard is made of, checked before anything is stored: the story, the optional
//! customer's words, visibility, and the shape of the recipient list.

use serde::{Deserialize, Serialize};

use super::text::{clean_line, clean_multiline};

pub const CUSTOMER_NAME_MAX: usize = 120;
pub const CUSTOMER_QUOTE_MAX: usize = 1000;
pub const HIDE_REASON_MAX: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone in the company can see it, on feeds and widgets.
    Public,
    /// Only the sender, the recipients, the recipients' managers and admins.
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    pub fn from_db(s: &str) -> Visibility {
        if s == "private" {
            Visibility::Private
        } else {
            Visibility::Public
        }
    }
}

/// The story: cleaned (trimmed, NFC, no control or bidi-override characters), then
/// 1..=max characters long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(String);

impl Message {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Message, String> {
        let s = clean_multiline(raw);
        let n = s.chars().count();
        if n == 0 {
            return Err("must not be empty".into());
        }
        if n > max_chars {
            return Err(format!("must be at most {max_chars} characters (it has {n})"));
        }
        Ok(Message(s))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The customer the story is about, and optionally their own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: String,
    pub quote: Option<String>,
}

/// Checks the customer's name and quote, reporting each bad part by its field name.
pub fn parse_customer(name: &str, quote: Option<&str>) -> Result<Customer, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let name = clean_line(name);
    if name.is_empty() {
        errors.push(("customer.name", "is required when a customer is given".to_string()));
    } else if name.chars().count() > CUSTOMER_NAME_MAX {
        errors.push((
            "customer.name",
            format!("must be at most {CUSTOMER_NAME_MAX} characters"),
        ));
    }
    let quote = quote.map(clean_multiline).filter(|q| !q.is_empty());
    if quote.as_ref().is_some_and(|q| q.chars().count() > CUSTOMER_QUOTE_MAX) {
        errors.push((
            "customer.quote",
            format!("must be at most {CUSTOMER_QUOTE_MAX} characters"),
        ));
    }
    if errors.is_empty() {
        Ok(Customer { name, quote })
    } else {
        Err(errors)
    }
}

/// Why a recipient list is refused before the directory is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientProblem {
    Empty,
    TooMany { max: usize },
    Duplicate { index: usize },
    ToSelf { index: usize },
}

/// Checks the list's shape: 1..=max people, nobody twice, not the sender.
pub fn check_recipients(ids: &[String], sender_id: &str, max: usize) -> Result<(), RecipientProblem> {
    if ids.is_empty() {
        return Err(RecipientProblem::Empty);
    }
    if ids.len() > max {
        return Err(RecipientProblem::TooMany { max });
    }
    for (index, id) in ids.iter().enumerate() {
        if id == sender_id {
            return Err(RecipientProblem::ToSelf { index });
        }
        if ids[..index].contains(id) {
            return Err(RecipientProblem::Duplicate { index });
        }
    }
    Ok(())
}

/// A moderation reason: one line, 1..=500 characters.
pub fn parse_reason(raw: &str) -> Result<String, String> {
    super::text::required_line(raw, HIDE_REASON_MAX)
}

/// Who may see a postcard. Recipients are `(id, manager_id)` pairs.
pub struct Audience<'a> {
    pub visibility: Visibility,
    pub hidden: bool,
    pub sender_id: &'a str,
    pub recipients: &'a [(&'a str, Option<&'a str>)],
}

impl Audience<'_> {
    /// Admins see everything; hidden postcards exist for nobody else; a private postcard
    /// exists only for its sender, its recipients and their managers.
    pub fn includes(&self, viewer_id: Option<&str>, is_admin: bool) -> bool {
        if is_admin {
            return true;
        }
        if self.hidden {
            return false;
        }
        if self.visibility == Visibility::Public {
            return true;
        }
        let Some(me) = viewer_id else { return false };
        self.sender_id == me
            || self
                .recipients
                .iter()
                .any(|(id, manager)| *id == me || *manager == Some(me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_length_counts_after_cleaning() {
        assert_eq!(Message::parse("  hi\u{202E} ", 2).unwrap().into_string(), "hi");
        assert!(Message::parse(" \u{200F}\n ", 10).is_err());
        // "e" + combining acute is one character after NFC.
        assert!(Message::parse("e\u{0301}e\u{0301}", 2).is_ok());
        assert!(Message::parse("abc", 2).is_err());
    }

    #[test]
    fn recipients_shape() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_recipients(&[], "me", 5), Err(RecipientProblem::Empty));
        assert_eq!(
            check_recipients(&ids(&["a", "b", "c"]), "me", 2),
            Err(RecipientProblem::TooMany { max: 2 })
        );
        assert_eq!(
            check_recipients(&ids(&["a", "me"]), "me", 5),
            Err(RecipientProblem::ToSelf { index: 1 })
        );
        assert_eq!(
            check_recipients(&ids(&["a", "b", "a"]), "me", 5),
            Err(RecipientProblem::Duplicate { index: 2 })
        );
        assert!(check_recipients(&ids(&["a", "b"]), "me", 5).is_ok());
    }

    #[test]
    fn private_audience() {
        let recipients = [("r1", Some("boss")), ("r2", None)];
        let a = Audience {
            visibility: Visibility::Private,
            hidden: false,
            sender_id: "s",
            recipients: &recipients,
        };
        for (viewer, admin, sees) in [
            (Some("s"), false, true),
            (Some("r1"), false, true),
            (Some("r2"), false, true),
            (Some("boss"), false, true),
            (Some("stranger"), false, false),
            (None, false, false),
            (None, true, true),
        ] {
            assert_eq!(a.includes(viewer, admin), sees, "{viewer:?} admin={admin}");
        }
        let hidden = Audience {
            visibility: Visibility::Public,
            hidden: true,
            ..a
        };
        assert!(!hidden.includes(Some("s"), false));
        assert!(hidden.includes(None, true));
    }

    #[test]
    fn customer_parts() {
        assert!(parse_customer("  ", None).is_err());
        let c = parse_customer(" Acme\nLtd ", Some("  ")).unwrap();
        assert_eq!(
            c,
            Customer {
                name: "Acme Ltd".into(),
                quote: None
            }
        );
    }
}
