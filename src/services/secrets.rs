//! Random secrets handed to clients (sign-in links, widget tokens, web sessions), of which
//! only a SHA-256 is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

pub use super::idempotency::request_hash as sha256_hex;

/// 256 random bits, URL-safe, after `prefix` (which tells the kind of token at a glance).
pub fn random_token(prefix: &str) -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(secret))
}

/// Equality that takes the same time wherever the inputs differ, for comparing a secret a
/// client sent with the expected one.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let (a, b) = (random_token("cx_"), random_token("cx_"));
        assert!(a.starts_with("cx_") && a.len() == 3 + 43, "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }
}
