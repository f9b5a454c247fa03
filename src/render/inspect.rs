//! `inspect`: one key in depth, a keyspace by family, and where a dump came from.

use std::io;

use cachectl::clock::rfc3339;
use cachectl::keys;
use cachectl::keys::family::LEARNED;
use cachectl::ops::inspect::{InspectReport, KeyDetails, PREVIEW_BYTES};
use cachectl::rdb::walk::DumpSummary;

use super::cells::*;
use super::charts::human_secs;
use super::{Renderer, Style};

/// The share of keys with a TTL, and the count without one when there is any: rounded down, so
/// that 14 keys without TTL among 100,000 never read as 100% (#31.7).
/// `; selected by FILTERS (N passed over)` after a report's count, when filters chose its keys.
pub(super) fn selected_by(filters: Option<&str>, not_selected: Option<u64>) -> String {
    match (filters, not_selected) {
        (Some(f), Some(n)) => format!("; selected by {f} ({} passed over)", keys(n)),
        _ => String::new(),
    }
}

fn with_ttl_share(keys: u64, with_ttl: u64, without_ttl: u64) -> String {
    if keys == 0 {
        return "-".to_string();
    }
    let pct = with_ttl.saturating_mul(100) / keys;
    match without_ttl {
        0 => format!("{pct}%"),
        n => format!("{pct}% ({n} without)"),
    }
}

impl Renderer {
    pub fn key_details(&self, details: &[KeyDetails]) -> io::Result<()> {
        for d in details {
            let mut t = self.table(&["", &keys::display(d.key.as_bytes())]);
            let through_fields = d.field_ttls.as_ref().and_then(|f| f.effective_ms);
            let ttl = match (d.ttl_ms, &d.expires_at, through_fields) {
                (Some(ms), Some(at), _) => {
                    format!("{} (expires {at})", human_secs(ms.div_ceil(1000)))
                }
                (None, _, Some(ms)) => format!(
                    "goes with its last field in {}",
                    cachectl::ttl::human_ms(ms)
                ),
                _ => "no expiry".to_string(),
            };
            let mut preview = match &d.preview {
                serde_json::Value::Null => "-".to_string(),
                serde_json::Value::String(text) => keys::printable(text.as_bytes()),
                other => keys::printable(
                    serde_json::to_string_pretty(other)
                        .unwrap_or_default()
                        .as_bytes(),
                ),
            };
            if d.preview_truncated {
                let total = d.length.unwrap_or(0);
                preview.push_str(&if d.kind == "string" {
                    format!("\n… (first {PREVIEW_BYTES} bytes of {})", bytes(total))
                } else {
                    // A hash's preview is an object, the others' a list.
                    let shown = match &d.preview {
                        serde_json::Value::Array(a) => a.len(),
                        serde_json::Value::Object(o) => o.len(),
                        _ => 0,
                    };
                    format!("\n… (first {shown} of {total} elements)")
                });
            }
            for (k, v) in [
                ("type", d.kind.clone()),
                ("encoding", opt(d.encoding.clone(), |e| e)),
                ("ttl", ttl),
                ("memory", opt(d.memory_bytes, bytes)),
                ("length", opt(d.length, |n| n.to_string())),
                ("idle", opt(d.idle_seconds, human_secs)),
                ("LFU frequency", opt(d.frequency, |n| n.to_string())),
                ("preview", preview),
            ] {
                if k == "LFU frequency" && d.frequency.is_none() {
                    continue;
                }
                t.add_row(vec![k.to_string(), v]);
            }
            if let Some(f) = &d.field_ttls {
                t.add_row(vec![
                    "field TTLs".to_string(),
                    crate::render::get::field_summary(f),
                ]);
            }
            self.print_table(&t)?;
            if d.preview_touched_key {
                self.print(&format!(
                    "{}\n",
                    self.paint(
                        "note: reading the preview reset this key's idle time (this server has no CLIENT NO-TOUCH; --no-preview avoids it)",
                        Style::Warn
                    )
                ))?;
            }
        }
        Ok(())
    }

    /// `inspect --cold/--hot`: how each family is used, and the hottest keys.
    fn access_report(&self, r: &InspectReport, access: &str) -> io::Result<()> {
        let lfu = access == "lfu";
        let mut headers = vec!["family", "keys"];
        if lfu {
            headers.push("frequency p50");
        } else {
            headers.extend(["idle p50", "idle p99"]);
            if let Some(c) = r.cold_after_s {
                headers.push(if c > 0 { "cold" } else { "cold (idle)" });
            }
        }
        let mut rows = Vec::new();
        for f in r.families.iter().chain(std::iter::once(&r.total)) {
            let mut row = vec![f.family.clone(), self.count(f.keys)];
            if lfu {
                row.push(opt(f.frequency_p50, |v| v.to_string()));
            } else {
                row.extend([opt(f.idle_p50_s, human_secs), opt(f.idle_p99_s, human_secs)]);
                if r.cold_after_s.is_some() {
                    row.push(match (f.cold_keys, f.keys) {
                        (Some(c), k) if k > 0 => {
                            format!("{c} ({:.0}%)", c as f64 * 100.0 / k as f64)
                        }
                        _ => "-".into(),
                    });
                }
            }
            rows.push(row);
        }
        let mut t = self.fitted_table(&headers, rows, &[0]);
        Self::right_align(&mut t, 1..=headers.len() - 1);
        if let Some(c) = r.cold_after_s {
            self.print(&format!("idle longer than {} is cold\n", human_secs(c)))?;
        }
        self.print_table(&t)?;
        if !r.hot.is_empty() {
            let mut t = self.table(&[
                "hottest keys",
                "family",
                if lfu { "frequency" } else { "idle" },
            ]);
            for k in &r.hot {
                t.add_row(vec![
                    k.key.clone(),
                    k.family.clone(),
                    match (k.frequency, k.idle_s) {
                        (Some(f), _) => f.to_string(),
                        (None, Some(i)) => human_secs(i),
                        _ => "-".into(),
                    },
                ]);
            }
            self.print_table(&t)?;
        }
        Ok(())
    }

    pub fn inspect_report(&self, r: &InspectReport) -> io::Result<()> {
        if !r.headline.is_empty() {
            self.headline(&r.headline, false)?;
        }
        // Eleven columns do not fit a narrow terminal: there the memory quantiles and the
        // biggest key give way (JSON and plain piped columns keep everything), and so they
        // do wherever the families' names would be cut to keep them: names first.
        let wide = !self.boxes || super::table::width() >= WIDE_TERMINAL;
        let (headers, rows, wide) = match self.family_rows(r, wide) {
            (h, rows, true)
                if self.boxes
                    && !super::table::first_fits(super::table::width(), &h, &rows, &[0, 6]) =>
            {
                self.family_rows(r, false)
            }
            built => built,
        };
        let flex: &[usize] = if wide { &[0, 6] } else { &[0] };
        let mut t = self.fitted_table(&headers, rows, flex);
        let numbers = if wide { 5 } else { 3 };
        Self::right_align(&mut t, 1..=numbers);
        for i in headers.len() - 4..headers.len() {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
        self.print_table(&t)?;
        self.inspect_report_rest(r)
    }

    /// The families' table: its headers and rows, with the size columns (`wide`) or without.
    fn family_rows(
        &self,
        r: &InspectReport,
        wide: bool,
    ) -> (Vec<&'static str>, Vec<Vec<String>>, bool) {
        let mut headers = vec!["family", "keys", "memory"];
        if wide {
            headers.extend(["p50", "p99"]);
        }
        headers.push("max");
        if wide {
            headers.push("biggest key");
        }
        headers.extend(["with TTL", "TTL min", "median", "max"]);
        let mut rows = Vec::new();
        for f in r.families.iter().chain(std::iter::once(&r.total)) {
            let share = with_ttl_share(f.keys, f.with_ttl, f.without_ttl);
            let mut row = vec![f.family.clone(), self.count(f.keys), bytes(f.memory_bytes)];
            if wide {
                row.extend([opt(f.memory_p50, bytes), opt(f.memory_p99, bytes)]);
            }
            row.push(opt(f.memory_max, bytes));
            if wide {
                row.push(f.biggest_key.clone().unwrap_or_default());
            }
            row.extend([
                share,
                opt(f.ttl_min_s, human_secs),
                opt(f.ttl_median_s, human_secs),
                opt(f.ttl_max_s, human_secs),
            ]);
            rows.push(row);
        }
        (headers, rows, wide)
    }

    /// What follows the families' table.
    fn inspect_report_rest(&self, r: &InspectReport) -> io::Result<()> {
        // Hashes whose fields expire, per family (Redis 7.4+, Valkey 9).
        for f in r.families.iter() {
            let Some(fields) = &f.fields else { continue };
            let line = format!(
                "{}: {}",
                f.family,
                crate::render::audit::fields_line(fields).trim_start_matches("hash fields: ")
            );
            self.print(&format!("{}\n", self.paint(&line, Style::Dim)))?;
        }
        // A learned family's name hides its words: a few of its keys say what it holds.
        for f in r.families.iter().filter(|f| f.family.contains(LEARNED)) {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!("{}: e.g. {}", f.family, f.examples.join(", ")),
                    Style::Dim
                )
            ))?;
        }
        if let Some(access) = r.access {
            self.access_report(r, access)?;
        }
        let sampled = r
            .sample_rate
            .map(|s| format!(", sampled at {:.1}%, counts scaled", s * 100.0))
            .unwrap_or_default();
        let selected = selected_by(r.filters.as_deref(), r.not_selected);
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "{} inspected of {} scanned in {:.2}s{sampled}{selected}",
                    keys(r.inspected),
                    r.scanned,
                    r.elapsed_ms as f64 / 1000.0
                ),
                Style::Dim
            )
        ))?;
        for d in &r.dumps {
            self.dump_line(d, true)?;
        }
        Ok(())
    }

    /// Where a report read from a dump came from, and as of when.
    pub(super) fn dump_line(&self, d: &DumpSummary, memory: bool) -> io::Result<()> {
        let server = d.snapshot.server.as_deref().unwrap_or("an unknown server");
        let written = d
            .snapshot
            .ctime_s
            .map(|s| format!(", written {}", rfc3339(s.max(0) as u64 * 1000)))
            .unwrap_or_default();
        let mut line = format!(
            "from the dump {} ({server}, RDB {}{written}); TTLs as of {}",
            d.snapshot.file, d.snapshot.rdb_version, d.at
        );
        if memory {
            line.push_str("; memory estimated from each key's encoding");
        }
        if d.expired > 0 {
            line.push_str(&format!("; {} had expired by then", keys(d.expired)));
        }
        if d.other_dbs > 0 {
            line.push_str(&format!("; {} in other databases", keys(d.other_dbs)));
        }
        self.print(&format!("{}\n", self.paint(&line, Style::Dim)))
    }
}

#[cfg(test)]
mod share_tests {
    use super::with_ttl_share;

    #[test]
    fn a_share_never_hides_keys_without_ttl() {
        assert_eq!(with_ttl_share(100_000, 99_986, 14), "99% (14 without)");
        assert_eq!(with_ttl_share(10, 10, 0), "100%");
        assert_eq!(with_ttl_share(0, 0, 0), "-");
    }
}
