//! The company's OpenID provider (authorization code flow with PKCE): its discovery document
//! and signing keys, fetched at start and refreshed in the background (a provider that is down
//! does not stop the service: OIDC sign-in waits until it answers), the code exchanged for
//! tokens, and the ID token verified with `jsonwebtoken` (signature from the provider's keys,
//! fetched again when a token names a key not seen yet, then `iss`, `aud`, `exp`, `nonce`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::client::error_chain;
use crate::auth::jwt::signing_keys;
use crate::settings::OidcSettings;

/// What discovery says, and the keys.
pub struct Discovered {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    fetched: Instant,
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// Why a sign-in failed, in words for the person.
#[derive(Debug)]
pub struct OidcFailure(pub String);

pub struct OidcProvider {
    http: reqwest::Client,
    issuer_url: String,
    client_id: String,
    client_secret: SecretString,
    scopes: String,
    post_secret: bool,
    refresh: Duration,
    retry: Duration,
    current: RwLock<Option<Arc<Discovered>>>,
}

/// PKCE S256: the challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    B64URL.encode(Sha256::digest(verifier.as_bytes()))
}

impl OidcProvider {
    pub fn from_settings(s: &OidcSettings) -> anyhow::Result<Option<Arc<OidcProvider>>> {
        let Some((issuer, client_id, secret)) = s.configured() else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        Ok(Some(Arc::new(OidcProvider {
            http,
            issuer_url: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret: secret.clone(),
            scopes: s.scopes.clone(),
            post_secret: s.client_auth == "client_secret_post",
            refresh: Duration::from_secs(s.refresh_seconds),
            retry: Duration::from_secs(s.retry_seconds),
            current: RwLock::new(None),
        })))
    }

    /// What discovery said last, if the provider has answered.
    pub fn current(&self) -> Option<Arc<Discovered>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {}", error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(format!("{url}: HTTP {}", res.status()));
        }
        res.json().await.map_err(|e| format!("{url}: {e}"))
    }

    /// Reads discovery and the keys again.
    pub async fn refresh(&self) -> Result<(), String> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer_url);
        let m: Metadata = self.get_json(&url).await?;
        if m.issuer.trim_end_matches('/') != self.issuer_url {
            return Err(format!(
                "discovery names issuer {:?}, not {:?}",
                m.issuer, self.issuer_url
            ));
        }
        let set: JwkSet = self.get_json(&m.jwks_uri).await?;
        let keys = signing_keys(&set)?;
        let found = Discovered {
            issuer: m.issuer,
            authorization_endpoint: m.authorization_endpoint,
            token_endpoint: m.token_endpoint,
            keys,
            fetched: Instant::now(),
        };
        if let Ok(mut c) = self.current.write() {
            *c = Some(Arc::new(found));
        }
        Ok(())
    }

    /// Keeps discovery and keys fresh until the process stops.
    pub async fn run(self: Arc<Self>) {
        loop {
            let wait = match self.refresh().await {
                Ok(()) => self.refresh,
                Err(e) => {
                    tracing::warn!(error = %e, "the OpenID provider did not answer; sign-in with it waits");
                    self.retry
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Where to send the browser.
    pub fn authorize_url(
        &self,
        d: &Discovered,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{query}", d.authorization_endpoint)
    }

    /// The ID token for a code (the token endpoint, with the client's secret).
    pub async fn exchange(
        &self,
        d: &Discovered,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, OidcFailure> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let secret = self.client_secret.expose_secret();
        let mut req = self.http.post(&d.token_endpoint);
        if self.post_secret {
            form.push(("client_id", &self.client_id));
            form.push(("client_secret", secret));
        } else {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(&self.client_id), Some(enc(secret)));
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let res = req
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcFailure(format!("the provider did not answer ({})", error_chain(&e))))?;
        let status = res.status();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let error = answer["error"].as_str().unwrap_or("error");
            tracing::warn!(%status, error, "the OpenID provider refused the code");
            return Err(OidcFailure(match error {
                "invalid_grant" => "The sign-in code was already used or has expired. Start again.".into(),
                other => format!("The company's sign-in service refused the sign-in ({other}). Start again."),
            }));
        }
        answer["id_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| OidcFailure("The company's sign-in service sent no ID token.".into()))
    }

    /// Verifies an ID token and answers its claims.
    pub async fn verify(&self, id_token: &str, nonce: &str) -> Result<Map<String, Value>, OidcFailure> {
        let header =
            jsonwebtoken::decode_header(id_token).map_err(|_| OidcFailure("The ID token is malformed.".into()))?;
        let kid = header.kid.unwrap_or_default();
        let mut d = self
            .current()
            .ok_or_else(|| OidcFailure("The company's sign-in service is unavailable.".into()))?;
        if !d.keys.contains_key(&kid) && d.fetched.elapsed() > Duration::from_secs(5) {
            // A key not seen yet: the provider rotated its keys.
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "refreshing the provider's keys failed");
            }
            d = self.current().unwrap_or(d);
        }
        let (alg, key) = d
            .keys
            .get(&kid)
            .ok_or_else(|| OidcFailure("The ID token is signed with a key the provider does not publish.".into()))?;
        let mut validation = Validation::new(*alg);
        validation.set_issuer(&[&d.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, key, &validation).map_err(|e| {
            tracing::warn!(error = %e, "ID token refused");
            OidcFailure("The ID token could not be verified.".into())
        })?;
        let claims = data.claims;
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(OidcFailure(
                "The ID token does not belong to this sign-in (nonce).".into(),
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn nothing_is_fetched_before_start() {
        let s = OidcSettings {
            issuer_url: Some("http://127.0.0.1:9".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".to_string().into()),
            scopes: "openid".into(),
            email_claim: "email".into(),
            create_unknown: false,
            button_label: "x".into(),
            client_auth: "client_secret_basic".into(),
            refresh_seconds: 1,
            retry_seconds: 1,
        };
        let p = OidcProvider::from_settings(&s).unwrap().unwrap();
        assert!(p.current().is_none());
    }
}
