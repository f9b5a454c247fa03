//! Where warm rows come from.

pub mod http;
pub mod sql;
