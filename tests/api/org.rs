//! A small organisation for postcard tests: Bea manages Ann (Support); Bob and Cat work in
//! Sales; Dan (Ops) is a stranger to everyone's private postcards.

use serde_json::{json, Value};

use crate::helpers::TestApp;

pub struct Person {
    pub id: String,
    pub token: String,
}

pub struct Org {
    pub bea: Person,
    pub ann: Person,
    pub bob: Person,
    pub cat: Person,
    pub dan: Person,
}

async fn person(app: &TestApp, email: &str, name: &str, department: &str, manager: Option<&str>) -> Person {
    let created = app.create_employee(email, name, department, manager).await;
    Person {
        id: created["id"].as_str().expect("id").to_string(),
        token: app.token(email),
    }
}

pub async fn org(app: &TestApp) -> Org {
    let bea = person(app, "bea@example.com", "Bea Boss", "Support", None).await;
    let ann = person(app, "ann@example.com", "Ann Lee", "Support", Some(&bea.id)).await;
    let bob = person(app, "bob@example.com", "Bob Ray", "Sales", None).await;
    let cat = person(app, "cat@example.com", "Cat Ng", "Sales", None).await;
    let dan = person(app, "dan@example.com", "Dan Ode", "Ops", None).await;
    Org {
        bea,
        ann,
        bob,
        cat,
        dan,
    }
}

/// A valid postcard body to these recipients.
pub fn card(to: &[&str]) -> Value {
    json!({
        "recipients": to,
        "behaviour": "above-and-beyond",
        "message": "Stayed late to get Acme's payroll running.",
    })
}

/// The ids of a page of postcards.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str().map(String::from))
        .collect()
}
