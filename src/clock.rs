//! The wall clock, for the layers that stamp what they write (dumps' TTLs, backups, logs,
//! checkpoints): one place, low in the library, so that none of them reaches up into an
//! operation for it.

use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::ttl::rfc3339;

/// Milliseconds since the Unix epoch (0 for a clock set before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
