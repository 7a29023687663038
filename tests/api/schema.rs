//! `src/store/schema.rs` must describe exactly what the migrations of each backend create:
//! same tables, same columns, same nullability, compatible types.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::helpers::TestApp;

type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Parses the `diesel::table!` blocks of schema.rs: table -> column -> (type, nullable).
fn declared() -> Columns {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/schema.rs")).expect("schema.rs");
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if !line.starts_with(|c: char| c.is_ascii_lowercase()) || line.starts_with("diesel::") {
            // Column lines start with a lowercase name; macros after the tables end a block.
            if line.starts_with("diesel::joinable") || line.starts_with("diesel::allow") {
                current = None;
            }
            continue;
        }
        if let Some(name) = line
            .strip_suffix('{')
            .and_then(|l| l.split_once('('))
            .map(|(n, _)| n.trim())
        {
            if !name.is_empty() && !name.contains(' ') {
                current = Some(name.to_string());
                tables.entry(name.to_string()).or_default();
                continue;
            }
        }
        if let (Some(table), Some((col, ty))) = (&current, line.trim_end_matches(',').split_once(" -> ")) {
            let nullable = ty.starts_with("Nullable<");
            let base = ty.trim_start_matches("Nullable<").trim_end_matches('>').to_string();
            tables
                .get_mut(table)
                .map(|t| t.insert(col.trim().to_string(), (base, nullable)));
        }
    }
    tables
}

#[derive(QueryableByName)]
struct DbColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

fn family(db_type: &str) -> &'static str {
    match db_type.to_ascii_lowercase().as_str() {
        "text" | "character varying" => "Text",
        "boolean" => "Bool",
        "integer" => "Integer",
        "bigint" => "BigInt",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        "date" => "Date",
        "double precision" | "real" => "Double",
        _ => "unknown",
    }
}

async fn schema_matches_migrations(app: TestApp) {
    let url = app.db.url.clone();
    let rows: Vec<DbColumn> = tokio::task::spawn_blocking(move || {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let mut conn = diesel::SqliteConnection::establish(path).expect("sqlite");
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                 CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 0 ELSE 1 END AS nullable \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '__diesel_schema_migrations'",
            )
            .load(&mut conn)
            .expect("introspect sqlite")
        } else {
            let mut conn = diesel::PgConnection::establish(&url).expect("postgres");
            diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, \
                 CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name != '__diesel_schema_migrations'",
            )
            .load(&mut conn)
            .expect("introspect postgres")
        }
    })
    .await
    .expect("introspection");
    let mut actual = Columns::new();
    for r in rows {
        actual
            .entry(r.table_name)
            .or_default()
            .insert(r.column_name, (family(&r.data_type).to_string(), r.nullable == 1));
    }
    assert_eq!(
        declared(),
        actual,
        "schema.rs differs from the {:?} migrations",
        app.backend
    );
}

crate::on_both_backends!(schema_matches_migrations);
