//! Customer Champion: employees send each other postcards for customer-focused behaviour.
//!
//! Layers: `http` (actix handlers) -> `services` (use cases) -> `domain` (plain rules) and
//! `store` (diesel on SQLite or Postgres). `boards` holds the leaderboards' use cases and
//! their memory (its SQL stays in `store`). `cli` drives the same services.

pub mod auth;
pub mod boards;
pub mod cli;
pub mod domain;
pub mod email;
pub mod error;
pub mod http;
pub mod outgoing;
pub mod services;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
