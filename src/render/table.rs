//! Results as text for people: tables, and values shown the way an operator wants to read them.

use std::io::{self, Write};

use cachectl::keys;
use cachectl::ops::get::{Data, KeyValue, Lookup};
use cachectl::ops::invalidate::KeyDeletion;
use cachectl::ops::scan::Part;
use cachectl::ops::set::{SetOutcome, TtlChange};
use cachectl::ops::sweep::SweepReport;
use cachectl::ttl::human_ms;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::{Renderer, Style};

/// The width tables fit: `$COLUMNS`, then the terminal's, 80 when neither says (or says 0).
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| *c > 0);
    let terminal = || Table::new().width().filter(|w| *w > 0);
    usize::from(columns.or_else(terminal).unwrap_or(80))
}

impl Renderer {
    pub fn table(&self, headers: &[&str]) -> Table {
        let mut t = Table::new();
        if !self.boxes {
            // kubectl's way through a pipe: no borders, no wrapping, one row a line.
            t.load_preset(comfy_table::presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled)
                .set_header(headers.to_vec());
            t.force_no_tty();
            return t;
        }
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(headers.to_vec());
        // $COLUMNS first, then the terminal; a terminal that says 0 columns (some ptys) is
        // taken as unknown, 80, rather than as one-character columns.
        t.set_width(width() as u16);
        if !self.stdout_tty {
            t.force_no_tty();
        }
        // No column narrower than its header: a name printed one letter a line reads as none.
        for (i, h) in headers.iter().enumerate() {
            if let Some(c) = t.column_mut(i) {
                // The boundary counts the cell's padding, one space each side.
                let w = h.chars().count() as u16 + 2;
                c.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                    comfy_table::Width::Fixed(w),
                ));
            }
        }
        t
    }

    pub fn print_table(&self, t: &Table) -> io::Result<()> {
        self.print(&format!("{t}\n"))
    }

    /// `get`: strings as they are (JSON pretty on a terminal unless --raw), collections as
    /// tables.
    pub fn lookups(&self, lookups: &[Lookup], raw: bool) -> io::Result<()> {
        let several = lookups.len() > 1;
        for l in lookups {
            let Lookup::Found(kv) = l else { continue };
            let pretty = self.stdout_tty && !raw;
            if pretty || several {
                let ttl = kv.ttl_ms.map_or("no expiry".to_string(), |ms| {
                    format!("ttl {}", human_ms(ms))
                });
                let header = format!("{}  {}  {}", keys::display(kv.key.as_bytes()), kv.kind, ttl);
                self.print(&format!("{}\n", self.paint(&header, Style::Dim)))?;
            }
            self.value(kv, pretty)?;
        }
        Ok(())
    }

    fn value(&self, kv: &KeyValue, pretty: bool) -> io::Result<()> {
        let text = |b: &[u8]| keys::display(b);
        match &kv.value {
            Data::String(bytes) => {
                if pretty
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
                    && let Ok(s) = serde_json::to_string_pretty(&v)
                {
                    // JSON escapes C0 controls but leaves C1 ones and bidi overrides raw.
                    return self.print(&format!("{}\n", keys::printable(s.as_bytes())));
                }
                // On a terminal a value is shown, never obeyed: escape sequences in it are
                // printed as text. Through a pipe, or with --raw, it goes out byte for byte.
                if pretty {
                    return self.print(&format!("{}\n", keys::printable(bytes)));
                }
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.write_all(b"\n")?;
                return out.flush();
            }
            Data::Hash(pairs) => {
                let mut t = self.table(&["field", "value"]);
                for (f, v) in pairs {
                    t.add_row(vec![text(f), text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::List(items) => {
                let mut t = self.table(&["index", "value"]);
                for (i, v) in items.iter().enumerate() {
                    t.add_row(vec![i.to_string(), text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::Set(items) => {
                let mut t = self.table(&["member"]);
                for v in items {
                    t.add_row(vec![text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::ZSet(items) => {
                let mut t = self.table(&["member", "score"]);
                for (m, s) in items {
                    t.add_row(vec![text(m), s.to_string()]);
                }
                self.print_table(&t)?;
            }
            Data::Stream(entries) => {
                let mut t = self.table(&["id", "fields"]);
                for e in entries {
                    let fields: Vec<String> = e
                        .fields
                        .iter()
                        .map(|(k, v)| format!("{}={}", text(k), text(v)))
                        .collect();
                    t.add_row(vec![e.id.clone(), fields.join(" ")]);
                }
                self.print_table(&t)?;
            }
            Data::Other => {
                self.print(&format!("({} value not shown)\n", kv.kind))?;
            }
        }
        if kv.truncated {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "… {} of {} elements shown (--limit)",
                        kv.value.elements(),
                        kv.length
                    ),
                    Style::Warn
                )
            ))?;
        }
        Ok(())
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

    pub fn deletions(&self, keys: &[KeyDeletion], dry_run: bool) -> io::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut t = self.table(&["key", "result"]);
        for k in keys {
            let result = match (k.existed, dry_run) {
                (true, true) => self.paint("would delete", Style::Warn),
                (true, false) => self.paint("deleted", Style::Good),
                (false, _) => self.paint("not found", Style::Dim),
            };
            t.add_row(vec![k.key.clone(), result]);
        }
        self.print_table(&t)
    }

    pub fn sweeps(&self, reports: &[SweepReport]) -> io::Result<()> {
        if reports.is_empty() {
            return Ok(());
        }
        let dry = reports.iter().any(|r| r.dry_run);
        let mut t = self.table(&[
            "pattern",
            "scanned",
            "matched",
            if dry { "would delete" } else { "deleted" },
            "protected",
            "excluded",
            "time",
        ]);
        for r in reports {
            let done = if r.dry_run { r.matched } else { r.deleted };
            t.add_row(vec![
                r.pattern.clone(),
                r.scanned.to_string(),
                r.matched.to_string(),
                done.to_string(),
                r.protected.to_string(),
                r.excluded.to_string(),
                format!("{:.2}s", r.elapsed_ms as f64 / 1000.0),
            ]);
        }
        Self::right_align(&mut t, 1..=5);
        self.print_table(&t)?;
        for r in reports.iter().filter(|r| r.dry_run) {
            if !r.groups.is_empty() {
                let mut g = self.table(&["group (first segment)", "keys"]);
                for group in &r.groups {
                    g.add_row(vec![group.group.clone(), group.keys.to_string()]);
                }
                self.print(&format!(
                    "{}\n",
                    self.paint(&format!("`{}` would hit:", r.pattern), Style::Bold)
                ))?;
                self.print_table(&g)?;
            }
            if !r.sample.is_empty() {
                self.print(&format!(
                    "{}\n",
                    self.paint(
                        &format!("sample ({} of {}):", r.sample.len(), r.matched),
                        Style::Dim
                    )
                ))?;
                let mut out = String::new();
                for k in &r.sample {
                    out.push_str("  ");
                    out.push_str(k);
                    out.push('\n');
                }
                self.print(&out)?;
            }
        }
        for r in reports.iter().filter(|r| !r.complete && !r.interrupted) {
            let why = r
                .error
                .as_ref()
                .map_or(String::new(), |e| format!(": {}: {}", e.node, e.error));
            self.print(&format!(
                "{} `{}` after deleting {}{why}\n",
                self.paint("incomplete", Style::Bad),
                r.pattern,
                super::report::keys(r.deleted),
            ))?;
        }
        for r in reports.iter().filter(|r| r.interrupted) {
            let cursors: Vec<String> = r
                .cursors
                .iter()
                .filter(|c| !c.finished)
                .map(|c| match c.part {
                    Part::All => format!("{}@{}", c.node, c.cursor),
                    part => format!("{}@{} ({part} buckets)", c.node, c.cursor),
                })
                .collect();
            self.print(&format!(
                "{} `{}` after deleting {} (stopped at {})\n",
                self.paint("interrupted", Style::Bad),
                r.pattern,
                super::report::keys(r.deleted),
                cursors.join(", ")
            ))?;
        }
        Ok(())
    }
}
