//! The wall clock, for the layers that stamp what they write (dumps' TTLs, backups, logs,
//! checkpoints): one place, low in the library, so that none of them reaches up into an
//! operation for it.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::ttl::human_ms;

/// Milliseconds since the Unix epoch (0 for a clock set before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Unix milliseconds as RFC 3339 (UTC, whole seconds). Instants past what a calendar type can
/// hold are said in words rather than panicking.
pub fn rfc3339(unix_ms: u64) -> String {
    i64::try_from(unix_ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{} after 1970", human_ms(unix_ms)))
}

/// Unix milliseconds as RFC 3339 with milliseconds (UTC), for logs.
pub fn rfc3339_ms(unix_ms: u64) -> String {
    i64::try_from(unix_ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| rfc3339(unix_ms))
}

/// Unix milliseconds as `MM-DD HH:MM` (UTC), for table cells where a full RFC 3339 stamp
/// would wrap (a cluster is a window of seconds; JSON has the exact start); falls back to
/// `rfc3339` for what a calendar cannot hold.
pub fn short_time(unix_ms: u64) -> String {
    i64::try_from(unix_ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_else(|| rfc3339(unix_ms))
}
