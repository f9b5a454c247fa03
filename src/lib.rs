//! cachectl: operate Redis-backed application caches.
//!
//! Everything the `cachectl` binary does is available here: connect with [`conn::Target`],
//! then call an operation in [`ops`]. Operations return serialisable results and report
//! progress through [`progress::ProgressSink`]; they never print.

pub mod backup;
pub mod clock;
pub mod conn;
pub mod error;
pub mod guard;
pub mod keys;
pub mod log;
pub mod ops;
pub mod progress;
pub mod rdb;
pub mod retry;
pub mod scan;
pub mod side;
pub mod stop;
pub mod store;
pub mod ttl;
pub mod warm;

pub use conn::{ClusterMode, Target};
pub use error::{Error, Result};
pub use store::Store;

/// A count reports say only when there is one (`#[serde(skip_serializing_if = "crate::is_zero")]`).
pub(crate) fn is_zero(n: &u64) -> bool {
    *n == 0
}
