//! Results as text for people: tables, and values shown the way an operator wants to read them.

use std::io::{self, Write};

use cachectl::keys;
use cachectl::ops::get::{Data, KeyValue, Lookup};
use cachectl::ops::invalidate::KeyDeletion;
use cachectl::ops::set::{SetOutcome, TtlChange};
use cachectl::ops::sweep::SweepReport;
use cachectl::scan::Part;
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

fn header_width(headers: &[&str], i: usize) -> usize {
    headers.get(i).map_or(0, |h| h.chars().count())
}

/// How many characters each flexible column may show: what the others leave of `width`
/// (each column padded one space a side, one border between and around), shared evenly,
/// never below 6.
fn flex_budget(
    width: usize,
    headers: &[&str],
    rows: &[Vec<String>],
    flex: &[usize],
    wrap: &[usize],
) -> usize {
    let column = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| visible_width(c))
            .max()
            .unwrap_or(0)
            .max(header_width(headers, i))
    };
    let fixed: usize = (0..headers.len())
        .filter(|i| !flex.contains(i))
        .map(|i| match wrap.contains(&i) {
            true => column(i).min(PROSE_WIDTH.max(header_width(headers, i))) + 2,
            false => column(i) + 2,
        })
        .sum();
    let borders = headers.len() + 1;
    let room = width.saturating_sub(fixed + borders + 2 * flex.len());
    let wanted: usize = flex.iter().map(|&i| column(i)).sum();
    if wanted <= room {
        return usize::MAX;
    }
    (room / flex.len()).max(6)
}

const PROSE_WIDTH: usize = 16;

/// The columns `text` takes on screen: colour escapes (`ESC [ … m`) take none.
fn visible_width(text: &str) -> usize {
    let mut n = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for e in chars.by_ref() {
                if e == 'm' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// `text` in at most `max` characters, cut in the middle with `…`.
fn cut_middle(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max || max < 2 {
        return text.to_string();
    }
    let head = (max - 1).div_ceil(2);
    let tail = max - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
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

    /// A boxed table whose text columns `flex` (keys, families, rules) are cut in the middle
    /// (`user_{n}_po…:page_{n}`, both ends readable) so each row fits the width on one line,
    /// rather than wrapped mid-word. The other columns keep their content whole. Through a
    /// pipe nothing is cut.
    pub fn fitted_table(&self, headers: &[&str], rows: Vec<Vec<String>>, flex: &[usize]) -> Table {
        self.fitted_table_wrapping(headers, rows, flex, &[])
    }

    /// As `fitted_table`, with prose columns `wrap` that wrap at words in up to
    /// `PROSE_WIDTH` characters instead of being cut.
    pub fn fitted_table_wrapping(
        &self,
        headers: &[&str],
        mut rows: Vec<Vec<String>>,
        flex: &[usize],
        wrap: &[usize],
    ) -> Table {
        if self.boxes && !flex.is_empty() {
            let budget = flex_budget(width(), headers, &rows, flex, wrap);
            for row in &mut rows {
                for &i in flex {
                    if let Some(cell) = row.get_mut(i) {
                        *cell = cut_middle(cell, budget.max(header_width(headers, i)));
                    }
                }
            }
        }
        let mut t = self.table(headers);
        for row in rows {
            t.add_row(row);
        }
        if self.boxes {
            // Cut to fit, every column but the prose keeps its content's width; comfy-table's
            // even sharing would otherwise wrap the cut names again.
            for i in (0..headers.len()).filter(|i| !wrap.contains(i)) {
                if let Some(c) = t.column_mut(i) {
                    c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                }
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
