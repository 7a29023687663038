//! What integrations hear about: an event row written in the transaction of the change
//! itself, so an announcement or webhook exists exactly when the change was committed. The
//! dispatcher (`services::dispatch`) turns events into deliveries in the background.

use chrono::NaiveDateTime;

use crate::store::deliveries::{self, EventRow};
use crate::store::DbConnection;

pub const POSTCARD_CREATED: &str = "postcard.created";
pub const POSTCARD_ENDORSED: &str = "postcard.endorsed";
pub const POSTCARD_HIDDEN: &str = "postcard.hidden";
pub const POSTCARD_RESTORED: &str = "postcard.restored";
pub const DIGEST_SENT: &str = "digest.sent";
pub const EMPLOYEE_CREATED: &str = "employee.created";
pub const EMPLOYEE_UPDATED: &str = "employee.updated";
/// Sent only by an admin's "send test event".
pub const WEBHOOK_TEST: &str = "webhook.test";

/// The events a subscription may ask for.
pub const SUBSCRIBABLE: [&str; 7] = [
    POSTCARD_CREATED,
    POSTCARD_ENDORSED,
    POSTCARD_HIDDEN,
    POSTCARD_RESTORED,
    DIGEST_SENT,
    EMPLOYEE_CREATED,
    EMPLOYEE_UPDATED,
];

pub fn event(event_type: &str, subject_id: &str, at: NaiveDateTime) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        event_type: event_type.to_string(),
        subject_id: subject_id.to_string(),
        created_at: at,
    }
}

/// Records one event; call inside the change's transaction.
pub fn record(
    conn: &mut DbConnection,
    event_type: &str,
    subject_id: &str,
    at: NaiveDateTime,
) -> diesel::QueryResult<()> {
    deliveries::record_events(conn, &[event(event_type, subject_id, at)])
}
