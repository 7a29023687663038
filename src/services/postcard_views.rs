//! Postcards as callers see them: names instead of ids, the behaviour's title, the
//! endorsement count, and whether the viewer may see them at all.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::postcard::{Audience, Visibility};
use crate::error::{AppError, AppResult};
use crate::store::employees::{self, EmployeeRow};
use crate::store::postcards::{self, PostcardRow, RecipientRow};
use crate::store::{behaviours, endorsements, DbConnection};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    #[schema(example = "Ann Lee")]
    pub name: String,
    #[schema(example = "Support")]
    pub department: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BehaviourRef {
    #[schema(example = "above-and-beyond")]
    pub slug: String,
    #[schema(example = "Above and beyond")]
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerView {
    #[schema(example = "Acme Ltd")]
    pub name: String,
    #[schema(example = "She fixed it before I had finished explaining.")]
    pub quote: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostcardView {
    /// UUID v7.
    pub id: String,
    pub sender: PersonRef,
    pub recipients: Vec<PersonRef>,
    pub behaviour: BehaviourRef,
    #[schema(example = "Stayed on the phone with Acme until their payroll ran.")]
    pub message: String,
    pub customer: Option<CustomerView>,
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
    pub endorsement_count: i32,
    /// Whether the caller has endorsed it.
    pub endorsed_by_me: bool,
    /// Moderated away. Only admins see this field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}

/// Who is looking.
#[derive(Debug, Clone, Copy)]
pub struct Looker<'a> {
    pub employee_id: Option<&'a str>,
    pub is_admin: bool,
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

fn person(e: Option<&EmployeeRow>, id: &str) -> PersonRef {
    match e {
        Some(e) => PersonRef {
            id: e.id.clone(),
            name: e.name.clone(),
            department: e.department.clone(),
        },
        None => PersonRef {
            id: id.to_string(),
            name: String::new(),
            department: String::new(),
        },
    }
}

/// Everything the views of these postcards need, in four queries whatever the page size.
struct Context {
    recipients: HashMap<String, Vec<String>>,
    people: HashMap<String, EmployeeRow>,
    titles: HashMap<String, String>,
    endorsed: HashSet<String>,
}

fn load_context(conn: &mut DbConnection, rows: &[PostcardRow], looker: Looker) -> AppResult<Context> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut recipients: HashMap<String, Vec<String>> = HashMap::new();
    for RecipientRow {
        postcard_id,
        recipient_id,
        ..
    } in postcards::recipients_of(conn, &ids)?
    {
        recipients.entry(postcard_id).or_default().push(recipient_id);
    }
    let mut wanted: HashSet<String> = rows.iter().map(|r| r.sender_id.clone()).collect();
    wanted.extend(recipients.values().flatten().cloned());
    let wanted: Vec<String> = wanted.into_iter().collect();
    let people = employees::find_many(conn, &wanted)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let titles = behaviours::list(conn, true)?
        .into_iter()
        .map(|b| (b.slug, b.title))
        .collect();
    let endorsed = match looker.employee_id {
        Some(me) => endorsements::endorsed_by(conn, me, &ids)?.into_iter().collect(),
        None => HashSet::new(),
    };
    Ok(Context {
        recipients,
        people,
        titles,
        endorsed,
    })
}

impl Context {
    fn audience_allows(&self, row: &PostcardRow, looker: Looker) -> bool {
        let recipient_ids = self.recipients.get(&row.id).cloned().unwrap_or_default();
        let pairs: Vec<(&str, Option<&str>)> = recipient_ids
            .iter()
            .map(|id| {
                let manager = self.people.get(id).and_then(|e| e.manager_id.as_deref());
                (id.as_str(), manager)
            })
            .collect();
        Audience {
            visibility: Visibility::from_db(&row.visibility),
            hidden: row.hidden,
            sender_id: &row.sender_id,
            recipients: &pairs,
        }
        .includes(looker.employee_id, looker.is_admin)
    }

    fn view(&self, row: PostcardRow, looker: Looker) -> PostcardView {
        let recipients = self
            .recipients
            .get(&row.id)
            .into_iter()
            .flatten()
            .map(|id| person(self.people.get(id), id))
            .collect();
        let customer = row.customer_name.map(|name| CustomerView {
            name,
            quote: row.customer_quote,
        });
        PostcardView {
            sender: person(self.people.get(&row.sender_id), &row.sender_id),
            recipients,
            behaviour: BehaviourRef {
                title: self.titles.get(&row.behaviour).cloned().unwrap_or_default(),
                slug: row.behaviour,
            },
            message: row.message,
            customer,
            visibility: Visibility::from_db(&row.visibility),
            created_at: utc(row.created_at),
            endorsement_count: row.endorsement_count,
            endorsed_by_me: self.endorsed.contains(&row.id),
            hidden: looker.is_admin.then_some(row.hidden),
            id: row.id,
        }
    }
}

/// The view of a postcard its sender has just sent, from what the send already read.
pub fn fresh(
    row: PostcardRow,
    sender: &EmployeeRow,
    recipients: &[&EmployeeRow],
    behaviour_title: String,
) -> PostcardView {
    PostcardView {
        sender: person(Some(sender), &sender.id),
        recipients: recipients.iter().map(|e| person(Some(e), &e.id)).collect(),
        behaviour: BehaviourRef {
            slug: row.behaviour,
            title: behaviour_title,
        },
        message: row.message,
        customer: row.customer_name.map(|name| CustomerView {
            name,
            quote: row.customer_quote,
        }),
        visibility: Visibility::from_db(&row.visibility),
        created_at: utc(row.created_at),
        endorsement_count: row.endorsement_count,
        endorsed_by_me: false,
        hidden: None,
        id: row.id,
    }
}

/// Views of rows the feed query already filtered for the looker.
pub fn views(conn: &mut DbConnection, rows: Vec<PostcardRow>, looker: Looker) -> AppResult<Vec<PostcardView>> {
    let ctx = load_context(conn, &rows, looker)?;
    Ok(rows.into_iter().map(|r| ctx.view(r, looker)).collect())
}

pub fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("no postcard {id}"))
}

/// One postcard, or 404 when it does not exist for the looker (private or hidden ones).
pub fn visible(conn: &mut DbConnection, id: &str, looker: Looker) -> AppResult<(PostcardRow, PostcardView)> {
    let row = postcards::find(conn, id)?.ok_or_else(|| not_found(id))?;
    let ctx = load_context(conn, std::slice::from_ref(&row), looker)?;
    if !ctx.audience_allows(&row, looker) {
        return Err(not_found(id));
    }
    let view = ctx.view(row.clone(), looker);
    Ok((row, view))
}
