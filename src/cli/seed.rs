//! `champion seed --demo`: a small believable organisation so a new user can try the API
//! at once. It goes through the same import as a real directory file.

use crate::auth::TokenKeys;
use crate::domain::email::Email;
use crate::domain::employee::Role;
use crate::services::directory::{self, EmployeePatch};
use crate::services::postcards::Rules;
use crate::settings::Settings;
use crate::startup::prepare_database;
use crate::store::{employees, postcards};

pub const DEMO_ADMIN: &str = "grace.hopper@demo.example";

const DEPARTMENTS: [(&str, &str); 5] = [
    ("Support", "Europe/London"),
    ("Sales", "America/New_York"),
    ("Engineering", "Europe/Berlin"),
    ("Customer Success", "Europe/London"),
    ("Operations", "Asia/Singapore"),
];

// The demo's people take the first names of the bulk seeder's lists.
const FIRST: &[&str] = super::bulk_seed::FIRST.split_at(10).0;
const LAST: &[&str] = super::bulk_seed::LAST.split_at(9).0;

/// The demo directory as CSV: a CX leader, a head of each department, and their teams.
pub fn demo_csv() -> String {
    let mut csv = String::from("email,name,department,manager_email,timezone,active\n");
    csv.push_str(&format!(
        "{DEMO_ADMIN},Grace Hopper,Customer Experience,,Europe/London,true\n"
    ));
    let mut n = 0;
    for (d, (department, tz)) in DEPARTMENTS.iter().enumerate() {
        let head = format!("{}.{}@demo.example", FIRST[d].to_lowercase(), LAST[d].to_lowercase());
        csv.push_str(&format!(
            "{head},{} {},{department},{DEMO_ADMIN},{tz},true\n",
            FIRST[d], LAST[d]
        ));
        for _ in 0..9 {
            n += 1;
            let (first, last) = (FIRST[(n * 3 + d) % FIRST.len()], LAST[(n * 7 + d + 1) % LAST.len()]);
            let email = format!("{}.{}{}@demo.example", first.to_lowercase(), last.to_lowercase(), n);
            csv.push_str(&format!("{email},{first} {last},{department},{head},{tz},true\n"));
        }
    }
    csv
}

pub fn demo(settings: &Settings) -> anyhow::Result<()> {
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let report =
        directory::import_csv(&mut conn, "seed", &demo_csv(), false, &|_, _| {}).map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = employees::find_by_email(&mut conn, DEMO_ADMIN)?
        .ok_or_else(|| anyhow::anyhow!("the demo admin was not created"))?;
    directory::update_employee(
        &mut conn,
        "seed",
        &admin.id,
        EmployeePatch {
            role: Some(Role::Admin),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Postcards only into an empty wall, so `serve --demo` can be run again and again.
    let stories = if postcards::any(&mut conn)? {
        None
    } else {
        let people = employees::all_active(&mut conn)?;
        Some(super::demo_postcards::create(
            &mut conn,
            &people,
            &Rules {
                notify: None,
                ..Rules::from_settings(settings)
            },
        )?)
    };
    let keys = TokenKeys::from_settings(&settings.auth)?;
    let token = keys.issue(&Email::parse(DEMO_ADMIN).map_err(anyhow::Error::msg)?, None)?;
    let base = format!("http://{}:{}", settings.server.host, settings.server.port);
    println!(
        "Demo organisation ready: {} people created, {} updated.",
        report.created, report.updated
    );
    if let Some((sent, endorsed)) = stories {
        println!("{sent} postcards over the last four weeks, with {endorsed} endorsements.");
    }
    println!();
    println!("Admin ({DEMO_ADMIN}) token:");
    println!("{token}");
    println!();
    println!("Try next (with `champion serve` running):");
    println!("  export TOKEN={token}");
    println!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/me");
    println!("  curl -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/employees?department=Support'");
    println!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/behaviours");
    println!("  curl -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/postcards?limit=5'");
    println!("  open {base}/docs for the API explorer");
    println!("  open {base}/ for the web app (\"Operators: sign in with an access token\", paste the token)");
    println!("  champion widget-token --name Lobby, then open {base}/widgets/leaderboard?token=<it>");
    Ok(())
}
