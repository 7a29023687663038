//! Use cases: each validates with the domain rules and writes through the store in one
//! transaction. No HTTP here, so the CLI and the API share them.

pub mod behaviours;
pub mod directory;
