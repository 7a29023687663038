//! A few weeks of believable postcards and endorsements for the demo organisation, sent
//! through the same rules as real ones (a send the rules refuse is simply skipped).

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::domain::clock::now;
use crate::domain::postcard::Visibility;
use crate::services::endorsements;
use crate::services::postcards::{Rules, SendInput};
use crate::store::employees::EmployeeRow;
use crate::store::DbConnection;

const WEEKS: i64 = 4;

const CUSTOMERS: [&str; 8] = [
    "Acme Logistics",
    "Brightwater Clinic",
    "Northwind Foods",
    "Contoso Bank",
    "Harbour Dental",
    "Fabrikam Schools",
    "Tailspin Travel",
    "Globex Energy",
];

const STORIES: [(&str, &str); 10] = [
    ("above-and-beyond", "stayed on the call with {c} until their payroll export finally ran, well past six."),
    ("listens-to-customers", "noticed that {c} kept asking the same question and rewrote the help page that same afternoon."),
    ("customer-obsessed", "started the renewal meeting with {c} by asking what had annoyed them most this year, then fixed two of those things."),
    ("owns-the-outcome", "chased a stuck refund for {c} across three teams and called them back personally when it cleared."),
    ("small-win", "sent {c} a short video showing exactly where the setting lives instead of another long email."),
    ("team-player", "covered my queue so I could finish the migration for {c} without being interrupted."),
    ("above-and-beyond", "drove the replacement scanner over to {c} yourself so their warehouse could open on time."),
    ("listens-to-customers", "turned a grumpy survey comment from {c} into a proper bug report with steps to reproduce."),
    ("small-win", "remembered that {c} closes early on Fridays and moved the upgrade window for them."),
    ("owns-the-outcome", "wrote up what went wrong in the {c} outage and what we changed, before anyone asked."),
];

const QUOTES: [&str; 4] = [
    "Honestly the best support we have had from any vendor.",
    "You made a horrible week a lot better.",
    "I did not expect anyone to remember that.",
    "Please tell their manager.",
];

fn story(rng: &mut StdRng) -> (String, String, Option<(String, Option<String>)>) {
    let (behaviour, template) = STORIES[rng.gen_range(0..STORIES.len())];
    let customer = CUSTOMERS[rng.gen_range(0..CUSTOMERS.len())];
    let quote = rng
        .gen_bool(0.3)
        .then(|| QUOTES[rng.gen_range(0..QUOTES.len())].to_string());
    let with_customer = rng.gen_bool(0.6).then(|| (customer.to_string(), quote));
    let message = format!("Thank you! You {}", template.replace("{c}", customer));
    (behaviour.to_string(), message, with_customer)
}

/// Sends demo postcards over the last few weeks; returns (postcards, endorsements).
pub fn create(conn: &mut DbConnection, people: &[EmployeeRow], rules: &Rules) -> anyhow::Result<(usize, usize)> {
    let mut rng = StdRng::seed_from_u64(2026);
    let end = now();
    let start = end - Duration::weeks(WEEKS);
    let mut moments: Vec<NaiveDateTime> = (0..people.len() * 6)
        .map(|_| start + Duration::seconds(rng.gen_range(0..(end - start).num_seconds())))
        .collect();
    moments.sort();
    let (mut sent, mut endorsed) = (0, 0);
    for at in moments {
        let Some(sender) = people.choose(&mut rng) else { break };
        let count = if rng.gen_bool(0.15) { 2 } else { 1 };
        let recipients: Vec<String> = people
            .choose_multiple(&mut rng, count + 1)
            .filter(|p| p.id != sender.id)
            .take(count)
            .map(|p| p.id.clone())
            .collect();
        let (behaviour, message, customer) = story(&mut rng);
        let input = SendInput {
            recipients: recipients.clone(),
            behaviour,
            message,
            customer,
            visibility: if rng.gen_bool(0.1) {
                Visibility::Private
            } else {
                Visibility::Public
            },
        };
        let Ok(card) = crate::services::send_batch::send(conn, sender, input, rules, at) else {
            continue; // over the allowance or the pair cap: the rules hold for the demo too
        };
        sent += 1;
        let fans = rng.gen_range(0..5);
        for fan in people.choose_multiple(&mut rng, fans) {
            if fan.id == sender.id || recipients.contains(&fan.id) {
                continue;
            }
            let later = at + Duration::minutes(rng.gen_range(5..600)).min(end - at);
            if endorsements::endorse(conn, &card.id, &fan.id, false, later, &rules.board).is_ok() {
                endorsed += 1;
            }
        }
    }
    Ok((sent, endorsed))
}
