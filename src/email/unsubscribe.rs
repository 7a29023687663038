//! Signed unsubscribe links: `employee id . what . signature`, an HMAC-SHA256 under the
//! service's secret, so a link works without signing in and cannot be forged for someone else.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a link turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    WeeklyDigest,
    PostcardEmails,
}

impl Topic {
    fn code(self) -> &'static str {
        match self {
            Topic::WeeklyDigest => "digest",
            Topic::PostcardEmails => "postcard",
        }
    }

    fn from_code(s: &str) -> Option<Topic> {
        match s {
            "digest" => Some(Topic::WeeklyDigest),
            "postcard" => Some(Topic::PostcardEmails),
            _ => None,
        }
    }
}

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch cannot be reached.
        <Hmac<Sha256> as Mac>::new_from_slice(b"unreachable").expect("fixed key")
    });
    mac.update(b"unsubscribe:");
    mac.update(payload.as_bytes());
    mac
}

pub fn sign(secret: &[u8], employee_id: &str, topic: Topic) -> String {
    let payload = format!("{employee_id}.{}", topic.code());
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{tag}")
}

/// The employee and topic a token names, if its signature holds.
pub fn verify(secret: &[u8], token: &str) -> Option<(String, Topic)> {
    let (payload, tag) = token.trim().rsplit_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(secret, payload).verify_slice(&tag).ok()?;
    let (employee_id, topic) = payload.rsplit_once('.')?;
    Some((employee_id.to_string(), Topic::from_code(topic)?))
}

/// The one-click link for an email to `employee_id`.
pub fn url(public_url: &str, secret: &[u8], employee_id: &str, topic: Topic) -> String {
    format!(
        "{}/unsubscribe?token={}",
        public_url.trim_end_matches('/'),
        sign(secret, employee_id, topic)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_resist_tampering() {
        let token = sign(b"secret", "emp-1", Topic::WeeklyDigest);
        assert_eq!(verify(b"secret", &token), Some(("emp-1".into(), Topic::WeeklyDigest)));
        assert_eq!(verify(b"other", &token), None);
        let forged = token.replacen("emp-1", "emp-2", 1);
        assert_eq!(verify(b"secret", &forged), None);
        let retopic = token.replacen("digest", "postcard", 1);
        assert_eq!(verify(b"secret", &retopic), None);
        assert_eq!(verify(b"secret", "garbage"), None);
        assert_eq!(verify(b"secret", ""), None);
    }
}
