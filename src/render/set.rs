//! `set`: what was written, and the TTL it has now.

use std::io::{self};

use cachectl::keys;
use cachectl::ops::set::{SetOutcome, TtlChange};
use cachectl::ttl::human_ms;

use super::{Renderer, Style};

impl Renderer {
    /// `expire` / `persist`: the key's TTL before and after.
    pub fn expire_outcome(&self, o: &cachectl::ops::set::ExpireOutcome) -> io::Result<()> {
        let key = keys::display(o.key.as_bytes());
        let ttl = |ms: Option<u64>| {
            ms.map_or("no expiry".to_string(), |ms| {
                format!("ttl {}", human_ms(ms))
            })
        };
        if !o.existed {
            return Ok(());
        }
        let (verb, style) = match (o.dry_run, o.changed) {
            (true, _) => ("would be", Style::Warn),
            (false, true) => ("now", Style::Good),
            (false, false) => ("unchanged,", Style::Dim),
        };
        let line = format!(
            "{key}: {} {} (was {})",
            self.paint(verb, style),
            ttl(o.ttl_ms),
            ttl(o.ttl_before_ms)
        );
        self.print(&format!("{line}\n"))
    }

    pub fn set_outcome(&self, o: &SetOutcome) -> io::Result<()> {
        let key = keys::display(o.key.as_bytes());
        let left = |ms: Option<u64>| ms.map(human_ms).unwrap_or_default();
        let (ttl, style) = match o.ttl_change {
            TtlChange::Set => (format!("ttl {}", left(o.ttl_ms)), Style::Good),
            TtlChange::Kept => (format!("TTL kept: {} left", left(o.ttl_ms)), Style::Good),
            TtlChange::Removed => (
                format!(
                    "TTL removed (had {} left): never expires",
                    left(o.ttl_before_ms)
                ),
                Style::Warn,
            ),
            TtlChange::NoTtl if !o.existed => (
                "new key without TTL: it never expires".to_string(),
                Style::Warn,
            ),
            TtlChange::NoTtl => ("no TTL: never expires".to_string(), Style::Warn),
            TtlChange::Unchanged => ("TTL unchanged".to_string(), Style::Dim),
        };
        let ttl = self.paint(&ttl, style);
        let line = match (&o.reason, o.dry_run) {
            (Some(reason), _) => {
                format!("{} {key}: {reason}", self.paint("not written", Style::Warn))
            }
            (None, true) => format!(
                "{} {key} ({} bytes): {ttl}",
                self.paint("would write", Style::Warn),
                o.bytes
            ),
            (None, false) if o.written => format!(
                "{} {key} ({} bytes): {ttl}",
                self.paint("OK", Style::Good),
                o.bytes
            ),
            (None, false) => format!("{} {key}", self.paint("not written", Style::Warn)),
        };
        self.print(&format!("{line}\n"))
    }
}
