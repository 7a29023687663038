//! Storage: diesel models and queries over SQLite or Postgres, the pool and migrations.

pub mod audit;
pub mod behaviours;
pub mod board;
pub mod board_read;
pub mod board_sync;
pub mod db;
pub mod deliveries;
pub mod employees;
pub mod endorsements;
pub mod idempotency;
pub mod magic_links;
pub mod oidc_logins;
pub mod outbox;
pub mod postcards;
pub mod reports;
pub mod schema;
pub mod scim;
pub mod web_sessions;
pub mod webhooks;
pub mod widget_tokens;

pub use db::{DbConnection, Pool};
