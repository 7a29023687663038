//! Planning a directory CSV import: every line is checked against the file and the current
//! directory before anything is written, so a bad line is reported and never half-applied
//! while the good lines go through together.
//!
//! Columns: `email,name,department,manager_email,timezone,active,external_id`. `email` and `name` are
//! required; a column left out of the header keeps the stored value for existing people.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::email::{Email, LookAlikes};
use super::employee::{parse_department, parse_name, parse_timezone};
use super::hierarchy::cycle_through;

const KNOWN_COLUMNS: [&str; 7] = [
    "email",
    "name",
    "department",
    "manager_email",
    "timezone",
    "active",
    "external_id",
];

/// The fields an import sets, as they will be after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub department: String,
    pub manager_email: Option<String>,
    pub timezone: Option<String>,
    pub active: bool,
    /// The id another system knows them by (Teams: the Entra object id).
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Deactivate,
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct PlannedChange {
    pub line: u64,
    pub kind: ChangeKind,
    pub person: Person,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LineError {
    /// 1-based line number in the file, the header being line 1.
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct ImportPlan {
    pub changes: Vec<PlannedChange>,
    pub errors: Vec<LineError>,
}

impl ImportPlan {
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }
}

/// A problem with the file as a whole (not one line): nothing can be imported.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FileError(pub String);

struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn parse(header: &csv::StringRecord) -> Result<Columns, FileError> {
        let mut index = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let name = raw.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            let known = KNOWN_COLUMNS.iter().find(|k| **k == name).ok_or_else(|| {
                FileError(format!(
                    "unknown column {name:?} in the header; expected {}",
                    KNOWN_COLUMNS.join(",")
                ))
            })?;
            if index.insert(*known, i).is_some() {
                return Err(FileError(format!("column {name:?} appears twice in the header")));
            }
        }
        for required in ["email", "name"] {
            if !index.contains_key(required) {
                return Err(FileError(format!("the header must have a {required:?} column")));
            }
        }
        Ok(Columns { index })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.index.get(column).map(|i| record.get(*i).unwrap_or(""))
    }
}

fn parse_active(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" | "y" => Ok(true),
        "false" | "no" | "0" | "n" => Ok(false),
        other => Err(format!("active: {other:?} is not true or false")),
    }
}

/// One line read and checked on its own, merged with what the directory holds.
fn read_line(
    columns: &Columns,
    record: &csv::StringRecord,
    existing: &HashMap<String, Person>,
) -> Result<Person, String> {
    let email = Email::parse(columns.get(record, "email").unwrap_or(""))
        .map_err(|e| format!("email: {e}"))?
        .into_string();
    let before = existing.get(&email);
    let name = parse_name(columns.get(record, "name").unwrap_or("")).map_err(|e| format!("name: {e}"))?;
    let department = match columns.get(record, "department") {
        Some(raw) => parse_department(raw).map_err(|e| format!("department: {e}"))?,
        None => before.map(|p| p.department.clone()).unwrap_or_default(),
    };
    let manager_email = match columns.get(record, "manager_email") {
        Some(raw) if raw.trim().is_empty() => None,
        Some(raw) => Some(
            Email::parse(raw)
                .map_err(|e| format!("manager_email: {e}"))?
                .into_string(),
        ),
        None => before.and_then(|p| p.manager_email.clone()),
    };
    if manager_email.as_deref() == Some(email.as_str()) {
        return Err("manager_email: a person cannot be their own manager".into());
    }
    let timezone = match columns.get(record, "timezone") {
        Some(raw) => parse_timezone(raw).map_err(|e| format!("timezone: {e}"))?,
        None => before.and_then(|p| p.timezone.clone()),
    };
    let active = match columns.get(record, "active") {
        Some(raw) => parse_active(raw)?,
        None => before.map(|p| p.active).unwrap_or(true),
    };
    let external_id = match columns.get(record, "external_id").map(str::trim) {
        Some("") => None,
        Some(raw) if raw.chars().count() > 200 || raw.chars().any(char::is_control) => {
            return Err("external_id: must be at most 200 characters without line breaks".into())
        }
        Some(raw) => Some(raw.to_string()),
        None => before.and_then(|p| p.external_id.clone()),
    };
    Ok(Person {
        email,
        name,
        department,
        manager_email,
        timezone,
        active,
        external_id,
    })
}

/// Line numbers from byte offsets, counted as records go by. The csv crate's own
/// `Position::line` runs one behind after each `\r\n` (BurntSushi/rust-csv#395), and files
/// saved by spreadsheets on Windows end their lines so.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The 1-based line of the record starting at byte `offset` (offsets only grow). After
    /// a `\r\n` the offset is that of its `\n`: line ends before the record are passed over.
    fn of(&mut self, offset: u64) -> u64 {
        let mut to = (offset as usize).min(self.text.len()).max(self.at);
        while matches!(self.text.get(to), Some(b'\r' | b'\n')) {
            to += 1;
        }
        self.line += self.text[self.at..to].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = to;
        self.line
    }
}

/// Plans an import of `csv_text` against the current directory (`existing`, by email).
pub fn plan(csv_text: &str, existing: &HashMap<String, Person>) -> Result<ImportPlan, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(csv_text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FileError(format!("cannot read the header: {e}")))?
        .clone();
    let columns = Columns::parse(&header)?;

    let mut errors: Vec<LineError> = Vec::new();
    let mut rows: BTreeMap<u64, Person> = BTreeMap::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut taken = LookAlikes::new(existing.keys().map(String::as_str));
    // Who holds each external id: the directory's, then each good line's.
    let mut external_ids: HashMap<String, String> = existing
        .values()
        .filter_map(|p| Some((p.external_id.clone()?, p.email.clone())))
        .collect();
    let mut lines = Lines {
        text: csv_text.as_bytes(),
        at: 0,
        line: 1,
    };
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.of(p.byte())).unwrap_or(0);
                errors.push(LineError {
                    line,
                    message: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| lines.of(p.byte())).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank lines are harmless
        }
        if record.len() > header.len() {
            errors.push(LineError {
                line,
                message: format!("has {} fields, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        match read_line(&columns, &record, existing) {
            Ok(person) => {
                let holder = person
                    .external_id
                    .as_ref()
                    .and_then(|x| external_ids.get(x.as_str()))
                    .cloned();
                if let Some(first) = first_line_of.get(&person.email) {
                    errors.push(LineError {
                        line,
                        message: format!("email: {} already appears on line {first}", person.email),
                    });
                } else if let Some(other) = holder.filter(|h| *h != person.email) {
                    errors.push(LineError {
                        line,
                        message: format!(
                            "external_id: {} already belongs to {other}",
                            person.external_id.as_deref().unwrap_or_default()
                        ),
                    });
                } else if let Some(message) = look_alike(&mut taken, &person.email, existing, &first_line_of) {
                    errors.push(LineError { line, message });
                } else {
                    first_line_of.insert(person.email.clone(), line);
                    if let Some(x) = &person.external_id {
                        external_ids.insert(x.clone(), person.email.clone());
                    }
                    rows.insert(line, person);
                }
            }
            Err(message) => errors.push(LineError { line, message }),
        }
    }

    drop_unresolvable(&mut rows, &mut errors, existing);

    let mut changes: Vec<PlannedChange> = rows
        .into_iter()
        .map(|(line, person)| {
            let kind = match existing.get(&person.email) {
                None => ChangeKind::Create,
                Some(before) if *before == person => ChangeKind::Unchanged,
                Some(before) if before.active && !person.active => ChangeKind::Deactivate,
                Some(_) => ChangeKind::Update,
            };
            PlannedChange { line, kind, person }
        })
        .collect();
    changes.sort_by_key(|c| c.line);
    errors.sort_by_key(|e| e.line);
    Ok(ImportPlan { changes, errors })
}

/// A new address that would pass on screen for one in the directory or on an earlier line
/// is refused, so nobody can be given a colleague's on-screen twin; otherwise it is taken.
fn look_alike(
    taken: &mut LookAlikes,
    email: &str,
    existing: &HashMap<String, Person>,
    first_line_of: &HashMap<String, u64>,
) -> Option<String> {
    if existing.contains_key(email) {
        return None;
    }
    let email = Email::parse(email).ok()?;
    if let Some(twin) = taken.twin_of(&email) {
        let whose = match first_line_of.get(twin.as_str()) {
            Some(line) => format!("the address on line {line}"),
            None => "an address already in the directory".to_string(),
        };
        return Some(format!(
            "email: {email} looks like {twin} ({whose}) but uses letters of another script; type it in one script"
        ));
    }
    taken.add(email);
    None
}

/// Removes lines whose manager cannot be found or whose new reporting line would form a
/// cycle, repeating because dropping one line can strand the people who report to it.
fn drop_unresolvable(
    rows: &mut BTreeMap<u64, Person>,
    errors: &mut Vec<LineError>,
    existing: &HashMap<String, Person>,
) {
    loop {
        let emails: HashSet<&str> = rows.values().map(|p| p.email.as_str()).collect();
        let mut bad: Vec<LineError> = Vec::new();
        for (line, person) in rows.iter() {
            if let Some(m) = &person.manager_email {
                if !emails.contains(m.as_str()) && !existing.contains_key(m) {
                    bad.push(LineError {
                        line: *line,
                        message: format!("manager_email: {m} is not in the directory or among this file's good lines"),
                    });
                }
            }
        }
        if bad.is_empty() {
            let by_email: HashMap<&str, &Person> = rows.values().map(|p| (p.email.as_str(), p)).collect();
            let manager_of = |e: &str| -> Option<String> {
                match by_email.get(e) {
                    Some(p) => p.manager_email.clone(),
                    None => existing.get(e).and_then(|p| p.manager_email.clone()),
                }
            };
            for (line, person) in rows.iter() {
                if let Some(path) = cycle_through(&person.email, manager_of) {
                    bad.push(LineError {
                        line: *line,
                        message: format!(
                            "manager_email: the reporting line would form a cycle ({})",
                            path.join(" -> ")
                        ),
                    });
                }
            }
        }
        if bad.is_empty() {
            return;
        }
        for e in &bad {
            rows.remove(&e.line);
        }
        errors.extend(bad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str, manager: Option<&str>) -> Person {
        Person {
            external_id: None,
            email: email.into(),
            name: email.split('@').next().unwrap_or("").into(),
            department: "Support".into(),
            manager_email: manager.map(String::from),
            timezone: None,
            active: true,
        }
    }

    #[test]
    fn creates_updates_and_resolves_managers_anywhere_in_the_file() {
        let existing: HashMap<_, _> = [("old@x.com".to_string(), person("old@x.com", None))].into();
        let csv = "email,name,department,manager_email\n\
                   a@x.com,A,Support,b@x.com\n\
                   b@x.com,B,Support,\n\
                   old@x.com,Old Name,Support,\n";
        let plan = plan(csv, &existing).unwrap();
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert_eq!(plan.count(ChangeKind::Create), 2);
        assert_eq!(plan.count(ChangeKind::Update), 1);
    }

    #[test]
    fn reports_lines_counting_the_header() {
        let csv = "email,name\nok@x.com,Ok\nnot-an-email,Bad\nok@x.com,Again\n,\n";
        let plan = plan(csv, &HashMap::new()).unwrap();
        let lines: Vec<u64> = plan.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert_eq!(plan.count(ChangeKind::Create), 1);
    }

    #[test]
    fn windows_line_ends_and_quoted_line_breaks_keep_the_line_numbers() {
        let csv = "email,name\r\nok@x.com,Ok\r\nnot-an-email,Bad\r\n\"two@x.com\",\"Two\r\nLines\"\r\nbad again,X\r\n";
        let plan = plan(csv, &HashMap::new()).unwrap();
        let lines: Vec<u64> = plan.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 6], "{:?}", plan.errors);
        let created: Vec<u64> = plan.changes.iter().map(|c| c.line).collect();
        assert_eq!(created, vec![2, 4]);
    }

    #[test]
    fn strands_reports_of_a_bad_manager_line_and_refuses_cycles() {
        let csv = "email,name,manager_email,active\n\
                   boss@x.com,Boss,,maybe\n\
                   worker@x.com,Worker,boss@x.com,true\n\
                   c1@x.com,C1,c2@x.com,\n\
                   c2@x.com,C2,c1@x.com,\n";
        let plan = plan(csv, &HashMap::new()).unwrap();
        let lines: Vec<u64> = plan.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn header_problems_are_file_errors() {
        assert!(plan("email,nom\n", &HashMap::new()).is_err());
        assert!(plan("name\n", &HashMap::new()).is_err());
        assert!(plan("email,name,email\n", &HashMap::new()).is_err());
    }

    #[test]
    fn deactivation_and_unchanged_are_counted() {
        let existing: HashMap<_, _> = [
            ("a@x.com".to_string(), person("a@x.com", None)),
            ("b@x.com".to_string(), person("b@x.com", None)),
        ]
        .into();
        let csv = "email,name,department,active\na@x.com,a,Support,false\nb@x.com,b,Support,true\n";
        let plan = plan(csv, &existing).unwrap();
        assert_eq!(plan.count(ChangeKind::Deactivate), 1);
        assert_eq!(plan.count(ChangeKind::Unchanged), 1);
    }
}
