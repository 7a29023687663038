//! Minting and revoking admin-minted tokens: widget tokens (boards and widget pages) and SCIM
//! tokens (`/scim/v2` and nothing else). The token is shown once; only its SHA-256 is kept, so
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

/// What a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Widget,
    Scim,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Widget => "widget",
            TokenKind::Scim => "scim",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Widget => PREFIX,
            TokenKind::Scim => "cs_",
        }
    }

    /// Its name in the audit log and in messages.
    fn noun(self) -> &'static str {
        match self {
            TokenKind::Widget => "widget_token",
            TokenKind::Scim => "scim_token",
        }
    }
}

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
    mint_kind(conn, actor, name, TokenKind::Widget)
}

pub fn mint_kind(conn: &mut DbConnection, actor: &str, name: &str, kind: TokenKind) -> AppResult<MintedToken> {
    let name = required_line(name, 100).map_err(|m| AppError::validation("name", m))?;
    let token = super::secrets::random_token(kind.prefix());
    let row = WidgetTokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        token_hash: hash(&token),
        created_by: actor.to_string(),
        created_at: now(),
        revoked_at: None,
        kind: kind.as_str().to_string(),
    };
    write_tx(conn, |conn| {
        widget_tokens::insert(conn, &row)?;
        let details = serde_json::json!({ "name": row.name });
        audit::record(
            conn,
            actor,
            &format!("{}.create", kind.noun()),
            (kind.noun(), &row.id),
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
    revoke_kind(conn, actor, id, TokenKind::Widget)
}

pub fn revoke_kind(conn: &mut DbConnection, actor: &str, id: &str, kind: TokenKind) -> AppResult<WidgetTokenView> {
    write_tx(conn, |conn| {
        let not_found = || AppError::not_found(format!("no {} {id}", kind.noun().replace('_', " ")));
        let before = widget_tokens::find(conn, id)?
            .filter(|t| t.kind == kind.as_str())
            .ok_or_else(not_found)?;
        if before.revoked_at.is_none() {
            widget_tokens::revoke(conn, id, now())?;
            audit::record(
                conn,
                actor,
                &format!("{}.revoke", kind.noun()),
                (kind.noun(), id),
                None,
                serde_json::json!({}),
            )?;
        }
        Ok(widget_tokens::find(conn, id)?.ok_or_else(not_found)?.into())
    })
}
