//! JWT verification following RFC 8725: the algorithm comes from our allow-list, never
//! from the token alone; `exp`, `iss` and `aud` are required; malformed claims fail, and
//! so does a time claim of the wrong JSON type (CVE-2026-25537: jsonwebtoken before 10.3
//! skipped such a claim's check).

use std::collections::HashMap;
use std::path::Path;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::domain::email::Email;
use crate::settings::AuthSettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub iss: String,
    pub aud: Audience,
}

/// `aud` may be one string or a list (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Why a token was refused; each is a 401 with its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub code: &'static str,
    pub detail: String,
}

fn refuse(code: &'static str, detail: impl Into<String>) -> TokenError {
    TokenError {
        code,
        detail: detail.into(),
    }
}

pub struct TokenKeys {
    hs256_encoding: EncodingKey,
    hs256_decoding: DecodingKey,
    /// Identity-provider keys by `kid`, each with the one algorithm it may be used with.
    provider_keys: HashMap<String, (Algorithm, DecodingKey)>,
    issuer: String,
    audience: String,
    leeway: u64,
    ttl_minutes: i64,
}

impl TokenKeys {
    pub fn from_settings(auth: &AuthSettings) -> anyhow::Result<TokenKeys> {
        let secret = auth.hs256_secret.expose_secret().as_bytes();
        let provider_keys = match &auth.jwks_file {
            Some(path) => load_jwks(path)?,
            None => HashMap::new(),
        };
        Ok(TokenKeys {
            hs256_encoding: EncodingKey::from_secret(secret),
            hs256_decoding: DecodingKey::from_secret(secret),
            provider_keys,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            leeway: auth.leeway_seconds,
            ttl_minutes: auth.token_ttl_minutes,
        })
    }

    pub fn default_ttl_seconds(&self) -> i64 {
        self.ttl_minutes * 60
    }

    /// Signs an access token for `email`, valid `ttl_seconds` (default: the configured TTL).
    pub fn issue(&self, email: &Email, ttl_seconds: Option<i64>) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            email: email.to_string(),
            sub: None,
            exp: now + ttl_seconds.unwrap_or_else(|| self.default_ttl_seconds()),
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.hs256_encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<(Claims, Email), TokenError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| refuse("invalid_token", "the token is not a well-formed JWT"))?;
        let (algorithm, key) = match header.alg {
            Algorithm::HS256 => (Algorithm::HS256, &self.hs256_decoding),
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| refuse("invalid_token", "a provider token must name its key (kid)"))?;
                match self.provider_keys.get(kid) {
                    Some((alg, key)) if *alg == header.alg => (*alg, key),
                    Some(_) => return Err(refuse("invalid_token", "the key does not allow this algorithm")),
                    None => return Err(refuse("invalid_token", "unknown signing key")),
                }
            }
            other => return Err(refuse("invalid_token", format!("algorithm {other:?} is not accepted"))),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => refuse("token_expired", "the token has expired"),
                ErrorKind::ImmatureSignature => refuse("invalid_token", "the token is not valid yet"),
                ErrorKind::InvalidIssuer => refuse("invalid_token", "the token's issuer is not accepted"),
                ErrorKind::InvalidAudience => refuse("invalid_token", "the token's audience is not accepted"),
                ErrorKind::InvalidSignature => refuse("invalid_token", "the token's signature is not valid"),
                ErrorKind::MissingRequiredClaim(c) => {
                    refuse("invalid_token", format!("the token lacks the `{c}` claim"))
                }
                ErrorKind::Json(_) => refuse("invalid_token", "the token's claims are malformed"),
                _ => refuse("invalid_token", "the token is not valid"),
            }
        })?;
        check_issued_at(&data.claims, self.leeway)?;
        let email = Email::parse(&data.claims.email)
            .map_err(|_| refuse("invalid_token", "the token's `email` claim is not an email address"))?;
        Ok((data.claims, email))
    }
}

/// Every time claim a token carries is checked, whatever the library does with it: the
/// claims are typed (`exp`, `nbf`, `iat` as whole seconds), so a claim of another JSON type
/// such as `"nbf": "soon"` fails to decode (401), and `iat` may not lie in the future.
fn check_issued_at(claims: &Claims, leeway: u64) -> Result<(), TokenError> {
    let now = chrono::Utc::now().timestamp();
    match claims.iat {
        Some(iat) if iat > now.saturating_add(leeway as i64) => {
            Err(refuse("invalid_token", "the token says it was issued in the future"))
        }
        _ => Ok(()),
    }
}

fn load_jwks(path: &Path) -> anyhow::Result<HashMap<String, (Algorithm, DecodingKey)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("auth.jwks_file: cannot read {}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("auth.jwks_file: not a JWK set: {e}"))?;
    signing_keys(&set).map_err(|e| anyhow::anyhow!("auth.jwks_file: {e}"))
}

/// The signature keys of a JWK set by `kid` (RSA keys verify RS256, EC keys ES256); keys for
/// encryption are left out.
pub fn signing_keys(set: &JwkSet) -> Result<HashMap<String, (Algorithm, DecodingKey)>, String> {
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        if jwk.common.public_key_use == Some(jsonwebtoken::jwk::PublicKeyUse::Encryption) {
            continue;
        }
        let kid = jwk.common.key_id.clone().ok_or("every key needs a `kid`")?;
        let algorithm = match &jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
            jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
            _ => return Err(format!("key {kid:?} is neither RSA nor EC")),
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid:?}: {e}"))?;
        keys.insert(kid, (algorithm, key));
    }
    Ok(keys)
}

/// Parses a lifetime such as `90s`, `30m`, `1h` or `7d` into seconds.
pub fn parse_ttl(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30m or 1h"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    if n <= 0 || n > 366 * 86_400 {
        return Err(format!("{s:?} must be between 1s and 366d"));
    }
    Ok(n * factor)
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn ttl() {
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("90"), Ok(90));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
