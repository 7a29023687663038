//! Storage: diesel models and queries over SQLite or Postgres, the pool and migrations.

pub mod audit;
pub mod behaviours;
pub mod db;
pub mod employees;
pub mod schema;

pub use db::{DbConnection, Pool};
