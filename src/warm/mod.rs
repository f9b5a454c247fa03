//! Warm plans: declarative YAML that turns rows from SQL databases and HTTP JSON APIs into
//! cache keys with TTLs.

pub mod check;
pub mod plan;
pub mod run;
pub mod source;
pub mod verify;
