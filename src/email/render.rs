//! The emails' words: askama templates, HTML escaped automatically (a story holding
//! `<script>` stays text) and plain text alongside. Every field here is plain data, so the
//! renderings can be snapshot-tested without a database.

use askama::Template;

/// One postcard as a digest lists it.
#[derive(Debug, Clone)]
pub struct DigestPostcard {
    pub sender: String,
    pub recipients: String,
    pub behaviour: String,
    pub message: String,
    /// The customer's words, with their name: `"Great help" - Ada (Acme)`.
    pub customer: Option<String>,
    pub url: String,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    d: &'a Digest,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    d: &'a Digest,
}

/// What a manager's weekly digest says.
#[derive(Debug, Clone)]
pub struct Digest {
    pub manager_name: String,
    pub week: String,
    /// "16 Nov - 22 Nov 2026".
    pub week_range: String,
    pub postcards: Vec<DigestPostcard>,
    pub top_behaviours: Vec<(String, i64)>,
    pub quiet: Vec<String>,
    pub quiet_weeks: u32,
    /// "Customer Experience ranked 2nd of 7 departments this week." when known.
    pub rank: Option<String>,
    pub app_url: String,
    pub unsubscribe_url: String,
}

/// A rendered email: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Digest {
    /// Nothing to tell: no postcards for the team and nobody quiet.
    pub fn is_empty(&self) -> bool {
        self.postcards.is_empty() && self.quiet.is_empty()
    }

    pub fn render(&self) -> Result<Rendered, askama::Error> {
        let html = DigestHtml { d: self }.render()?;
        let text = DigestText { d: self }.render()?;
        let count = self.postcards.len();
        let subject = match count {
            0 => format!("Your team's week {}: no postcards", self.week),
            1 => format!("Your team's week {}: 1 postcard", self.week),
            n => format!("Your team's week {}: {n} postcards", self.week),
        };
        Ok(Rendered {
            subject: one_line(&subject),
            text,
            html,
        })
    }
}

/// The email to a colleague who received a postcard.
#[derive(Debug, Clone, Template)]
#[template(path = "postcard.html")]
pub struct PostcardNotice {
    pub recipient_name: String,
    pub sender: String,
    pub behaviour: String,
    /// The behaviour's colour (`#rrggbb`, checked when it was set), for the stamp.
    pub color: String,
    pub message: String,
    pub customer: Option<String>,
    pub url: String,
    pub unsubscribe_url: String,
}

#[derive(Template)]
#[template(path = "postcard.txt")]
struct PostcardNoticeText<'a> {
    n: &'a PostcardNotice,
}

impl PostcardNotice {
    pub fn rendered(&self) -> Result<Rendered, askama::Error> {
        let text = PostcardNoticeText { n: self }.render()?;
        Ok(Rendered {
            subject: one_line(&format!("{} sent you a Customer Champion postcard", self.sender)),
            text,
            html: self.render()?,
        })
    }
}

/// The sign-in link email.
#[derive(Debug, Clone, Template)]
#[template(path = "magic_link.html")]
pub struct MagicLinkMail {
    pub name: String,
    pub url: String,
    pub minutes: i64,
}

#[derive(Template)]
#[template(path = "magic_link.txt")]
struct MagicLinkText<'a> {
    m: &'a MagicLinkMail,
}

impl MagicLinkMail {
    pub fn rendered(&self) -> Result<Rendered, askama::Error> {
        let text = MagicLinkText { m: self }.render()?;
        Ok(Rendered {
            subject: "Your Customer Champion sign-in link".into(),
            text,
            html: self.render()?,
        })
    }
}

/// The customer's words as emails quote them: `"Great help" - Ada (Acme)`.
pub fn customer_line(name: Option<&str>, quote: Option<&str>) -> Option<String> {
    match (name, quote) {
        (Some(n), Some(q)) => Some(format!("\u{201c}{q}\u{201d} \u{2014} {n}")),
        (Some(n), None) => Some(format!("for {n}")),
        _ => None,
    }
}

/// Control characters (CR and LF above all) never reach a header: names and subjects are
/// folded onto one line.
pub fn one_line(s: &str) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        Digest {
            manager_name: "Grace Hopper".into(),
            week: "2026-W47".into(),
            week_range: "16 Nov \u{2013} 22 Nov 2026".into(),
            postcards: vec![
                DigestPostcard {
                    sender: "Alan Turing".into(),
                    recipients: "Ada Lovelace".into(),
                    behaviour: "Customer-obsessed".into(),
                    message: "Stayed late so Acme's payroll ran.\n<script>alert('x')</script> & more".into(),
                    customer: customer_line(Some("Acme <Payroll>"), Some("You saved our month")),
                    url: "https://champion.example.com/postcards/0196".into(),
                },
                DigestPostcard {
                    sender: "Edsger Dijkstra".into(),
                    recipients: "Ada Lovelace, Barbara Liskov".into(),
                    behaviour: "Team player".into(),
                    message: "Covered the support queue.".into(),
                    customer: None,
                    url: "https://champion.example.com/postcards/0197".into(),
                },
            ],
            top_behaviours: vec![("Customer-obsessed".into(), 1), ("Team player".into(), 1)],
            quiet: vec!["Claude Shannon".into()],
            quiet_weeks: 4,
            rank: Some("Customer Experience ranked 2nd of 7 departments by score that week.".into()),
            app_url: "https://champion.example.com/".into(),
            unsubscribe_url: "https://champion.example.com/unsubscribe?token=abc".into(),
        }
    }

    #[test]
    fn digest_renders() {
        let r = digest().render().unwrap();
        assert_eq!(r.subject, "Your team's week 2026-W47: 2 postcards");
        assert!(!r.html.contains("<script>"), "stories are escaped in HTML");
        assert!(r.html.contains("&#60;script&#62;"), "{}", r.html);
        assert!(r.text.contains("<script>alert('x')</script>"), "plain text is text");
        insta::assert_snapshot!("digest_html", r.html);
        insta::assert_snapshot!("digest_text", r.text);
    }

    #[test]
    fn empty_digest_is_empty() {
        let mut d = digest();
        d.postcards.clear();
        assert!(!d.is_empty(), "quiet members are worth a digest");
        d.quiet.clear();
        assert!(d.is_empty());
        let r = d.render().unwrap();
        assert!(r.text.contains("Nobody in your team received a postcard"));
    }

    #[test]
    fn postcard_notice_renders() {
        let r = PostcardNotice {
            recipient_name: "Ada Lovelace".into(),
            sender: "Alan\r\nBcc: eve@example.com".into(),
            behaviour: "Small win".into(),
            color: "#b45309".into(),
            message: "<b>bold</b> move".into(),
            customer: None,
            url: "https://champion.example.com/postcards/0196".into(),
            unsubscribe_url: "https://champion.example.com/unsubscribe?token=abc".into(),
        }
        .rendered()
        .unwrap();
        assert_eq!(
            r.subject,
            "Alan Bcc: eve@example.com sent you a Customer Champion postcard"
        );
        assert!(r.html.contains("&#60;b&#62;bold&#60;/b&#62;"), "{}", r.html);
        insta::assert_snapshot!("postcard_html", r.html);
        insta::assert_snapshot!("postcard_text", r.text);
    }

    #[test]
    fn magic_link_renders() {
        let r = MagicLinkMail {
            name: "Ada".into(),
            url: "https://champion.example.com/sign-in?magic_token=cm_x".into(),
            minutes: 15,
        }
        .rendered()
        .unwrap();
        insta::assert_snapshot!("magic_link_text", r.text);
        assert!(r.html.contains("https://champion.example.com/sign-in?magic_token=cm_x"));
    }
}

/// To the admins: a webhook subscription failed for a day and was switched off.
#[derive(Debug, Clone, Template)]
#[template(path = "webhook_disabled.html")]
pub struct WebhookDisabledMail {
    pub url: String,
    pub since: String,
    pub error: String,
    pub console_url: String,
}

#[derive(Template)]
#[template(path = "webhook_disabled.txt")]
struct WebhookDisabledText<'a> {
    m: &'a WebhookDisabledMail,
}

impl WebhookDisabledMail {
    pub fn rendered(&self) -> Result<Rendered, askama::Error> {
        Ok(Rendered {
            subject: "A Customer Champion webhook was switched off".into(),
            text: WebhookDisabledText { m: self }.render()?,
            html: self.render()?,
        })
    }
}
