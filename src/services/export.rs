//! The postcards export (CSV), for the API and `champion export postcards`. Read in keyset
//! batches, oldest first, so a million postcards stream without being held in memory, and
//! each batch can take its own pooled connection (a slow reader must never hold one).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::postcard_views::utc;
use crate::error::{AppError, AppResult};
use crate::store::employees::{self, EmployeeRow};
use crate::store::{postcards, DbConnection};

pub const HEADER: [&str; 14] = [
    "id",
    "created_at",
    "sender_email",
    "sender_name",
    "sender_department",
    "recipient_emails",
    "recipient_names",
    "behaviour",
    "visibility",
    "hidden",
    "endorsement_count",
    "customer_name",
    "customer_quote",
    "message",
];

/// Spreadsheets run cells that start with these as formulas; a leading apostrophe keeps
/// people's text as text (OWASP "CSV injection").
fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn io_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("writing CSV: {e}"))
}

/// Where an export has got to: postcards after `after` (oldest first) are still to come.
#[derive(Debug, Clone, Default)]
pub struct ExportCursor {
    since: Option<NaiveDateTime>,
    after: Option<(NaiveDateTime, String)>,
    header_written: bool,
    pub rows_written: u64,
}

impl ExportCursor {
    pub fn new(since: Option<NaiveDateTime>) -> ExportCursor {
        ExportCursor {
            since,
            ..ExportCursor::default()
        }
    }
}

/// The next batch of at most `batch` postcards as CSV (the header before the first), or
/// `None` when every postcard created at or after `since` has been written (hidden ones
/// too, flagged). Each call is a few short reads on `conn`, which the caller may take from
/// the pool for this batch alone: nothing is held between batches but the cursor.
pub fn next_batch(conn: &mut DbConnection, cursor: &mut ExportCursor, batch: i64) -> AppResult<Option<Vec<u8>>> {
    let rows = postcards::batch_after(conn, cursor.since, cursor.after.as_ref(), batch)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    if !cursor.header_written {
        csv.write_record(HEADER).map_err(io_error)?;
        cursor.header_written = true;
    } else if rows.is_empty() {
        return Ok(None);
    }
    let Some(last) = rows.last() else {
        return csv.into_inner().map(Some).map_err(io_error);
    };
    cursor.after = Some((last.created_at, last.id.clone()));
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut recipients: HashMap<String, Vec<String>> = HashMap::new();
    for r in postcards::recipients_of(conn, &ids)? {
        recipients.entry(r.postcard_id).or_default().push(r.recipient_id);
    }
    let mut wanted: Vec<String> = rows.iter().map(|r| r.sender_id.clone()).collect();
    wanted.extend(recipients.values().flatten().cloned());
    wanted.sort();
    wanted.dedup();
    let people: HashMap<String, EmployeeRow> = employees::find_many(conn, &wanted)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    for row in rows {
        let sender = people.get(&row.sender_id);
        let to: Vec<&EmployeeRow> = recipients
            .get(&row.id)
            .into_iter()
            .flatten()
            .filter_map(|id| people.get(id))
            .collect();
        let join = |f: fn(&EmployeeRow) -> &str| to.iter().map(|e| f(e)).collect::<Vec<_>>().join("; ");
        let record = [
            row.id.clone(),
            utc(row.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            sender.map(|e| e.email.clone()).unwrap_or_default(),
            sender.map(|e| e.name.clone()).unwrap_or_default(),
            sender.map(|e| e.department.clone()).unwrap_or_default(),
            join(|e| &e.email),
            join(|e| &e.name),
            row.behaviour.clone(),
            row.visibility.clone(),
            row.hidden.to_string(),
            row.endorsement_count.to_string(),
            row.customer_name.clone().unwrap_or_default(),
            row.customer_quote.clone().unwrap_or_default(),
            row.message.clone(),
        ];
        csv.write_record(record.iter().map(|c| defuse(c))).map_err(io_error)?;
        cursor.rows_written += 1;
    }
    csv.into_inner().map(Some).map_err(io_error)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::defuse("-1"), "'-1");
        assert_eq!(super::defuse("Ann"), "Ann");
    }
}
