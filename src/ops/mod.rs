//! Operations: each returns a typed, serialisable result and never prints.

pub mod audit;
pub mod checkpoint;
pub mod distributions;
pub mod doctor;
pub mod fields;
pub mod get;
pub mod headline;
pub mod inspect;
pub mod invalidate;
pub mod policy;
pub mod remediate;
pub mod restore;
pub mod set;
pub mod sweep;
pub mod watch;
