//! Minting and revoking widget tokens. The token is shown once; only its SHA-256 is kept, so
//! a database leak does not leak working tokens.

use serde::Serialize;
use utoipa::ToSchema;

use super::idempotency::request_hash as sha256_hex;
use super::postcard_views::utc;
use crate::domain::clock::now;
use crate::domain::text::required_line;
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::widget_tokens::{self, WidgetTokenRow};
use crate::store::{audit, DbConnection};

/// Widget tokens start with this, so they are told from JWTs at a glance.
pub const PREFIX: &str = "cw_";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WidgetTokenView {
    pub id: String,
    #[schema(example = "Lobby screen")]
    pub name: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MintedToken {
    #[serde(flatten)]
    pub info: WidgetTokenView,
    /// The token itself: shown this once, never again.
    #[schema(example = "cw_3q2-7wIXl0T1oUq1Qq2rDg0Q5u3pYb7yQbqv8bqgP3E")]
    pub token: String,
}

impl From<WidgetTokenRow> for WidgetTokenView {
    fn from(r: WidgetTokenRow) -> Self {
        WidgetTokenView {
            id: r.id,
            name: r.name,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

pub fn hash(token: &str) -> String {
    sha256_hex(token)
}

pub fn mint(conn: &mut DbConnection, actor: &str, name: &str) -> AppResult<MintedToken> {
    let name = required_line(name, 100).map_err(|m| AppError::validation("name", m))?;
    let token = super::secrets::random_token(PREFIX);
    let row = WidgetTokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        token_hash: hash(&token),
        created_by: actor.to_string(),
        created_at: now(),
        revoked_at: None,
    };
    write_tx(conn, |conn| {
        widget_tokens::insert(conn, &row)?;
        let details = serde_json::json!({ "name": row.name });
        audit::record(
            conn,
            actor,
            "widget_token.create",
            ("widget_token", &row.id),
            None,
            details,
        )?;
        Ok(())
    })?;
    Ok(MintedToken {
        info: row.into(),
        token,
    })
}

/// Revokes at once: the next request with the token is refused.
pub fn revoke(conn: &mut DbConnection, actor: &str, id: &str) -> AppResult<WidgetTokenView> {
    write_tx(conn, |conn| {
        let not_found = || AppError::not_found(format!("no widget token {id}"));
        let before = widget_tokens::find(conn, id)?.ok_or_else(not_found)?;
        if before.revoked_at.is_none() {
            widget_tokens::revoke(conn, id, now())?;
            audit::record(
                conn,
                actor,
                "widget_token.revoke",
                ("widget_token", id),
                None,
                serde_json::json!({}),
            )?;
        }
        Ok(widget_tokens::find(conn, id)?.ok_or_else(not_found)?.into())
    })
}
