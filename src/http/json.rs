//! A JSON body extractor with clear errors: 415 for another content type, 413 over 64 KiB,
//! 400 for broken JSON and 422 naming the field for a wrong type, a missing or an unknown
//! field (request types use `deny_unknown_fields`).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

pub const JSON_LIMIT: usize = 64 * 1024;

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads a request body of at most `limit` bytes, refusing more with 413.
pub async fn read_body(req: &HttpRequest, payload: &mut Payload, limit: usize) -> Result<Vec<u8>, AppError> {
    let too_large = || AppError::PayloadTooLarge {
        detail: format!("the request body is larger than {limit} bytes"),
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest {
            code: "unreadable_body",
            detail: format!("the request body could not be read: {e}"),
            errors: vec![],
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn field_of(path: &serde_path_to_error::Path, message: &str) -> String {
    // For unknown and missing fields serde names the field only in the message.
    let named = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))
        .and_then(|rest| rest.split('`').next());
    let base = path.to_string();
    match (named, base.as_str()) {
        (Some(name), "." | "") => name.to_string(),
        (Some(name), base) if base == name || base.ends_with(&format!(".{name}")) => base.to_string(),
        (Some(name), base) => format!("{base}.{name}"),
        (None, ".") => "body".to_string(),
        (None, base) => base.to_string(),
    }
}

/// Whether a JSON text holds the escape `\u0000` (a raw NUL byte is not valid JSON).
fn has_nul_escape(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6).is_some_and(|hex| hex == b"0000") {
                return true;
            }
            i += 2; // an escape pair: `\\\\` must not make the next backslash look escaped
            continue;
        }
        i += 1;
    }
    false
}

/// The first field (`message`, `recipients[1]`) whose key or text holds a NUL character.
fn field_with_nul(value: &serde_json::Value, at: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(if at.is_empty() { "body".into() } else { at.into() }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| field_with_nul(v, &format!("{at}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let name = if at.is_empty() {
                k.replace('\0', "\u{FFFD}")
            } else {
                format!("{at}.{}", k.replace('\0', "\u{FFFD}"))
            };
            if k.contains('\0') {
                Some(name)
            } else {
                field_with_nul(v, &name)
            }
        }),
        _ => None,
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(AppError::BadRequest {
            code: "invalid_json",
            detail: "the request body is empty; a JSON object is expected".into(),
            errors: vec![FieldError::new("body", "is empty")],
        });
    }
    // Every request body is an object; serde would also read a struct from an array.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        // Well-formed JSON of the wrong type is a 422, as a wrong field type is; broken
        // JSON stays a 400 below.
        if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
            return Err(AppError::validation("body", "must be a JSON object"));
        }
    }
    // Everything is stored as text, which never holds NUL (Postgres refuses it).
    if has_nul_escape(body) {
        if let Some(field) = serde_json::from_slice(body).ok().and_then(|v| field_with_nul(&v, "")) {
            return Err(AppError::validation(
                field,
                "must not contain a NUL character (\\u0000)",
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        if inner.is_data() {
            let field = field_of(e.path(), &message);
            AppError::Validation {
                errors: vec![FieldError::new(field, message)],
            }
        } else {
            AppError::BadRequest {
                code: "invalid_json",
                detail: format!("the request body is not valid JSON: {inner}"),
                errors: vec![FieldError::new("body", message)],
            }
        }
    })?;
    Ok(value)
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(AppError::UnsupportedMediaType {
                    detail: "send the body as application/json".into(),
                });
            }
            let body = read_body(&req, &mut payload, JSON_LIMIT).await?;
            parse_json(&body).map(Json)
        })
    }
}

/// A JSON body that may be left out altogether (an empty body is `None`); otherwise the
/// same rules as [`Json`].
pub struct MaybeJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, &mut payload, JSON_LIMIT).await?;
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(MaybeJson(None));
            }
            if !is_json(&req) {
                return Err(AppError::UnsupportedMediaType {
                    detail: "send the body as application/json".into(),
                });
            }
            parse_json(&body).map(|v| MaybeJson(Some(v)))
        })
    }
}

/// `Option<Option<T>>` for PATCH bodies: absent leaves a field alone, `null` clears it.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_named() {
        for (body, field) in [
            (r#"{"message":"a\u0000b"}"#, Some("message")),
            (r#"{"recipients":["x","\u0000"]}"#, Some("recipients[1]")),
            (r#"{"customer":{"name":"\u0000"}}"#, Some("customer.name")),
            (r#"{"message":"a\\u0000b"}"#, None), // an escaped backslash, then text
            (r#"{"message":"\\\u0000"}"#, Some("message")),
        ] {
            let found = has_nul_escape(body.as_bytes())
                .then(|| {
                    serde_json::from_slice(body.as_bytes())
                        .ok()
                        .and_then(|v| field_with_nul(&v, ""))
                })
                .flatten();
            assert_eq!(found.as_deref(), field, "{body}");
        }
    }
}
