//! Domain rules: plain Rust values and checks, no HTTP and no database.

pub mod email;
pub mod employee;
pub mod hierarchy;
pub mod import;
pub mod slug;
pub mod text;
