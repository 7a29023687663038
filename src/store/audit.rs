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
        created_at: super::employees::now(),
    };
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}
