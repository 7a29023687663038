//! Domain rules: plain Rust values and checks, no HTTP and no database.

pub mod board_period;
pub mod buckets;
pub mod clock;
pub mod digest_week;
pub mod email;
pub mod employee;
pub mod hierarchy;
pub mod import;
pub mod looks;
pub mod period;
pub mod postcard;
pub mod ranking;
pub mod scim;
pub mod scim_schema;
pub mod signatures;
pub mod slug;
pub mod targets;
pub mod text;
