//! Signatures of the HTTP messages integrations exchange: Standard Webhooks (what we send),
//! Slack's `v0` request signing and Teams' outgoing-webhook HMAC (what we receive). All are
//! HMAC-SHA256; comparisons are constant-time (`Mac::verify_slice`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: this never fails.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// The prefix of Standard Webhooks secrets.
pub const WHSEC: &str = "whsec_";

/// A new webhook secret: `whsec_` and 32 random bytes in base64.
pub fn new_webhook_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{WHSEC}{}", B64.encode(bytes))
}

/// The `webhook-signature` header of a Standard Webhooks message: `v1,` and the base64
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's decoded bytes.
pub fn standard_webhook_signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = B64
        .decode(secret.strip_prefix(WHSEC).unwrap_or(secret))
        .map_err(|e| format!("the webhook secret is not base64: {e}"))?;
    let mut m = mac(&key);
    m.update(format!("{id}.{timestamp}.").as_bytes());
    m.update(body.as_bytes());
    Ok(format!("v1,{}", B64.encode(m.finalize().into_bytes())))
}

/// Why a signed request was refused (logged; the client only hears 401).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing(&'static str),
    Stale { age_seconds: i64 },
    BadSignature,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing(h) => write!(f, "no {h} header"),
            Refusal::Stale { age_seconds } => write!(f, "timestamp {age_seconds} s away from now (limit 300)"),
            Refusal::BadSignature => write!(f, "the signature does not match"),
        }
    }
}

/// Slack's limit on how old a signed request may be.
pub const SLACK_MAX_AGE_SECONDS: i64 = 300;

/// Verifies a Slack request: `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256 of
/// `v0:{X-Slack-Request-Timestamp}:{raw body}` under the signing secret, and the timestamp is
/// within five minutes of `now`.
pub fn verify_slack(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let timestamp = timestamp.ok_or(Refusal::Missing("X-Slack-Request-Timestamp"))?;
    let signature = signature.ok_or(Refusal::Missing("X-Slack-Signature"))?;
    let at: i64 = timestamp.trim().parse().map_err(|_| Refusal::BadSignature)?;
    if (now - at).abs() > SLACK_MAX_AGE_SECONDS {
        return Err(Refusal::Stale { age_seconds: now - at });
    }
    let given = signature
        .strip_prefix("v0=")
        .and_then(decode_hex)
        .ok_or(Refusal::BadSignature)?;
    let mut m = mac(signing_secret.as_bytes());
    m.update(format!("v0:{timestamp}:").as_bytes());
    m.update(body);
    m.verify_slice(&given).map_err(|_| Refusal::BadSignature)
}

/// Slack's signature of a body (for tests and our own stand-ins).
pub fn slack_signature(signing_secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(signing_secret.as_bytes());
    m.update(format!("v0:{timestamp}:").as_bytes());
    m.update(body);
    let bytes = m.finalize().into_bytes();
    format!("v0={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Verifies a Teams outgoing webhook: `Authorization: HMAC <base64>` where the base64 is the
/// HMAC-SHA256 of the raw body under the base64-decoded security token.
pub fn verify_teams(secret: &str, authorization: Option<&str>, body: &[u8]) -> Result<(), Refusal> {
    let header = authorization.ok_or(Refusal::Missing("Authorization"))?;
    let given = header
        .strip_prefix("HMAC ")
        .and_then(|b| B64.decode(b.trim()).ok())
        .ok_or(Refusal::BadSignature)?;
    let key = B64.decode(secret.trim()).map_err(|_| Refusal::BadSignature)?;
    let mut m = mac(&key);
    m.update(body);
    m.verify_slice(&given).map_err(|_| Refusal::BadSignature)
}

/// Teams' signature of a body (for tests).
pub fn teams_signature(secret: &str, body: &[u8]) -> Result<String, String> {
    let key = B64.decode(secret.trim()).map_err(|e| e.to_string())?;
    let mut m = mac(&key);
    m.update(body);
    Ok(format!("HMAC {}", B64.encode(m.finalize().into_bytes())))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_signature_matches_slacks_documented_example() {
        // The example in Slack's "Verifying requests from Slack".
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(slack_signature(secret, 1531420618, body), expected);
        assert_eq!(
            verify_slack(secret, Some("1531420618"), Some(expected), body, 1531420618 + 10),
            Ok(())
        );
        assert_eq!(
            verify_slack(secret, Some("1531420618"), Some(expected), body, 1531420618 + 301),
            Err(Refusal::Stale { age_seconds: 301 })
        );
        let mut tampered = body.to_vec();
        tampered[0] = b'T';
        assert_eq!(
            verify_slack(secret, Some("1531420618"), Some(expected), &tampered, 1531420618),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify_slack(secret, None, Some(expected), body, 0),
            Err(Refusal::Missing("X-Slack-Request-Timestamp"))
        );
    }

    #[test]
    fn teams_hmac_round_trips_and_refuses_changes() {
        let secret = B64.encode(b"teams shared secret 0123456789");
        let body = br#"{"type":"message","text":"<at>Champion</at> thank"}"#;
        let header = teams_signature(&secret, body).unwrap();
        assert_eq!(verify_teams(&secret, Some(&header), body), Ok(()));
        assert_eq!(verify_teams(&secret, Some(&header), b"{}"), Err(Refusal::BadSignature));
        assert_eq!(
            verify_teams(&secret, Some("Bearer x"), body),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn standard_webhook_secrets_sign() {
        let secret = new_webhook_secret();
        assert!(secret.starts_with(WHSEC) && secret.len() > 40);
        // The example of the Standard Webhooks specification's reference libraries.
        let sig = standard_webhook_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
