//! Operations: each returns a typed, serialisable result and never prints.

pub mod get;
pub mod invalidate;
pub mod scan;
pub mod set;
pub mod sweep;
