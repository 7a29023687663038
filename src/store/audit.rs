//! The audit log: who did what to which resource, when, and why.

use diesel::prelude::*;

use super::schema::audit_log;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub details: String,
    pub created_at: chrono::NaiveDateTime,
}

/// Records an action; call inside the transaction that performs it.
pub fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    target: (&str, &str),
    reason: Option<&str>,
    details: serde_json::Value,
) -> QueryResult<()> {
    let row = AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        target_type: target.0.to_string(),
        target_id: target.1.to_string(),
        reason: reason.map(String::from),
        details: details.to_string(),
        created_at: crate::domain::clock::now(),
    };
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Exclusive keyset position `(created_at, id)`; pages run newest first.
    pub before: Option<(chrono::NaiveDateTime, String)>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, f: &AuditFilter) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table.select(AuditRow::as_select()).into_boxed();
    if let Some(a) = &f.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(a) = &f.actor {
        q = q.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(t) = &f.target_type {
        q = q.filter(audit_log::target_type.eq(t.clone()));
    }
    if let Some(t) = &f.target_id {
        q = q.filter(audit_log::target_id.eq(t.clone()));
    }
    if let Some((at, id)) = &f.before {
        q = q.filter(
            audit_log::created_at
                .lt(*at)
                .or(audit_log::created_at.eq(*at).and(audit_log::id.lt(id.clone()))),
        );
    }
    q.order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(f.limit)
        .load(conn)
}
