//! Tables and charts for inspect and ttl-audit.

use std::io;

use cachectl::clock::rfc3339;
use cachectl::keys;
use cachectl::keys::family::LEARNED;
use cachectl::ops::audit::{AuditReport, Headline};
use cachectl::ops::inspect::{InspectReport, KeyDetails, PREVIEW_BYTES};
use cachectl::ops::remediate::{FixPlan, FixReport};
use cachectl::ops::watch::Tick;
use cachectl::rdb::walk::DumpSummary;
use comfy_table::CellAlignment;

use super::charts::{self, human_secs};
use super::{Renderer, Style};

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Columns from which the full inspect table fits.
const WIDE_TERMINAL: usize = 120;
const RULE_COLUMN_WIDTH: usize = 100;

/// `1 key`, `2 keys`.
pub fn keys(n: u64) -> String {
    format!("{n} {}", cachectl::guard::plural(n, "key", "keys"))
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".to_string())
}

/// `203275` as `203,275`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Renderer {
    /// A count in a table cell: with thousands separators for people, as the progress bars
    /// show counts; plain digits through a pipe, for awk.
    pub fn count(&self, n: u64) -> String {
        match self.boxes {
            true => thousands(n),
            false => n.to_string(),
        }
    }

    /// Number columns: right-aligned, and never wrapped on a narrow terminal (the text
    /// columns wrap instead; a number broken over two lines misreads).
    pub fn right_align(t: &mut comfy_table::Table, cols: std::ops::RangeInclusive<usize>) {
        for i in cols {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
    }

    pub fn key_details(&self, details: &[KeyDetails]) -> io::Result<()> {
        for d in details {
            let mut t = self.table(&["", &keys::display(d.key.as_bytes())]);
            let ttl = match (d.ttl_ms, &d.expires_at) {
                (Some(ms), Some(at)) => format!("{} (expires {at})", human_secs(ms.div_ceil(1000))),
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
                    let shown = d.preview.as_array().map_or(0, Vec::len);
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
                let range = match (f.min_ms, f.max_ms) {
                    (Some(lo), Some(hi)) => format!(
                        ", {} to {}",
                        human_secs(lo.div_ceil(1000)),
                        human_secs(hi.div_ceil(1000))
                    ),
                    _ => String::new(),
                };
                t.add_row(vec![
                    "field TTLs".to_string(),
                    format!("{} of {} fields{range}", f.with_ttl, f.fields),
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
        // Eleven columns do not fit a narrow terminal: there the memory quantiles and the
        // biggest key give way (JSON and plain piped columns keep everything).
        let wide = !self.boxes || super::table::width() >= WIDE_TERMINAL;
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
            let share = if f.keys == 0 {
                "-".to_string()
            } else {
                format!("{:.0}%", f.with_ttl as f64 * 100.0 / f.keys as f64)
            };
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
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "{} inspected of {} scanned in {:.2}s{sampled}",
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
    fn dump_line(&self, d: &DumpSummary, memory: bool) -> io::Result<()> {
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

    /// One interval of `watch`: the hit ratio, then the busiest families' rates per second.
    pub fn watch_tick(&self, t: &Tick, top: usize) -> io::Result<()> {
        let ratio = t
            .hit_ratio
            .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
        let secs = (t.interval_ms as f64 / 1000.0).max(0.001);
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "{}  hit ratio {ratio} ({} hits, {} misses)",
                    t.time, t.hits, t.misses
                ),
                Style::Dim
            )
        ))?;
        if !t.missed_on.is_empty() {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "the subscription to {} dropped and was opened again: events in between are not counted",
                        t.missed_on.join(", ")
                    ),
                    Style::Warn
                )
            ))?;
        }
        if t.families.is_empty() {
            return Ok(());
        }
        let rate = |n: u64| format!("{:.1}", n as f64 / secs);
        let rows = t.families.iter().take(top).map(|f| {
            vec![
                f.family.clone(),
                rate(f.set),
                rate(f.del),
                rate(f.expired),
                rate(f.evicted),
            ]
        });
        let mut table = self.fitted_table(
            &["family", "sets/s", "dels/s", "expired/s", "evicted/s"],
            rows.collect(),
            &[0],
        );
        Self::right_align(&mut table, 1..=4);
        self.print_table(&table)
    }

    pub fn headline(&self, head: &[Headline]) -> io::Result<()> {
        let mut t = self.table(&["node", "db", "keys", "with expiry", "without", "avg TTL"]);
        for h in head {
            t.add_row(vec![
                h.node.clone(),
                h.db.to_string(),
                self.count(h.keys),
                self.count(h.expires),
                self.count(h.keys.saturating_sub(h.expires)),
                if h.avg_ttl_ms > 0 {
                    human_secs(h.avg_ttl_ms / 1000)
                } else {
                    "-".into()
                },
            ]);
        }
        Self::right_align(&mut t, 2..=4);
        self.print_table(&t)
    }

    /// `charts`: draw them, with the TTL histogram folded into at most this many rows.
    pub fn audit_report(&self, r: &AuditReport, charts: Option<usize>) -> io::Result<()> {
        if r.headline.is_empty() {
            if let Some(note) = &r.headline_note {
                self.print(&format!(
                    "{}\n",
                    self.paint(&format!("note: {note}"), Style::Warn)
                ))?;
            }
        } else {
            self.headline(&r.headline)?;
        }
        // Without a policy every rule cell would be `-`: the family gets the room.
        // At under 100 columns the rule column gives way (the violations below name rules).
        let with_rules =
            r.unmatched.is_some() && (!self.boxes || super::table::width() >= RULE_COLUMN_WIDTH);
        let mut headers = vec!["family"];
        if with_rules {
            headers.push("rule");
        }
        headers.extend([
            "keys",
            "no TTL",
            "TTL min",
            "median",
            "max",
            "busiest (UTC)",
        ]);
        let mut rows = Vec::new();
        for f in &r.families {
            let mut row = vec![f.family.clone()];
            if with_rules {
                row.push(f.rule.clone().unwrap_or_else(|| "-".into()));
            }
            row.extend([
                self.count(f.keys),
                self.count(f.without_ttl),
                opt(f.ttl_min_s, human_secs),
                opt(f.ttl_median_s, human_secs),
                opt(f.ttl_max_s, human_secs),
                opt(f.busiest.as_ref(), |c| {
                    format!("{} @ {}", c.keys, cachectl::clock::short_time(c.starts_ms))
                }),
            ]);
            rows.push(row);
        }
        let flex: &[usize] = if with_rules { &[0, 1] } else { &[0] };
        let mut t = self.fitted_table(&headers, rows, flex);
        let first_number = if with_rules { 2 } else { 1 };
        Self::right_align(&mut t, first_number..=first_number + 1);
        for i in first_number + 2..=first_number + 5 {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
        self.print_table(&t)?;
        let mut summary = format!(
            "{} audited of {} scanned in {:.2}s: {} with TTL, {} without",
            keys(r.audited),
            r.scanned,
            r.elapsed_ms as f64 / 1000.0,
            r.with_ttl,
            r.without_ttl
        );
        if let Some(c) = &r.busiest {
            summary.push_str(&format!(
                "; busiest {} window: {} at {}",
                cachectl::ttl::human_ms(c.window_ms),
                keys(c.keys),
                rfc3339(c.starts_ms)
            ));
        }
        self.print(&format!("{}\n", self.paint(&summary, Style::Dim)))?;
        for d in &r.dumps {
            self.dump_line(d, false)?;
        }
        if let Some(m) = &r.info_mismatch {
            self.print(&format!(
                "{}\n",
                self.paint(&format!("note: {m}"), Style::Warn)
            ))?;
        }
        if let Some(n) = r.unmatched.filter(|n| *n > 0) {
            self.print(&format!(
                "{}\n",
                self.paint(&format!("{} match no policy rule", keys(n)), Style::Warn)
            ))?;
        }
        if let Some(rows) = charts {
            self.audit_charts(r, rows)?;
        }
        if r.violations.is_empty() {
            if r.unmatched.is_some() {
                self.print(&format!(
                    "{}\n",
                    self.paint("no policy violations", Style::Good)
                ))?;
            }
            return Ok(());
        }
        // A boxed table shows one sample key, cut to fit, unless the terminal is very wide; a
        // pipe gets three.
        let samples = match self.boxes && super::table::width() < 160 {
            true => 1,
            false => 3,
        };
        // Under 100 columns the rule gives way to the family it was written for.
        let with_rule = !self.boxes || super::table::width() >= RULE_COLUMN_WIDTH;
        let mut rows = Vec::new();
        for x in &r.violations {
            rows.push(vec![
                x.rule.clone(),
                x.family.clone(),
                self.paint(
                    serde_json::to_value(x.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                        .as_str(),
                    Style::Bad,
                ),
                self.count(x.keys),
                x.detail.clone(),
                x.sample
                    .iter()
                    .take(samples)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            ]);
        }
        let mut headers = vec!["rule", "family", "kind", "keys", "detail", "sample"];
        if !with_rule {
            headers.remove(0);
            rows.iter_mut().for_each(|r| {
                r.remove(0);
            });
        }
        let first = usize::from(with_rule);
        let cut: &[usize] = if with_rule { &[0, 1, 5] } else { &[0, 4] };
        let mut v = self.fitted_table_wrapping(&headers, rows, cut, &[first + 3]);
        Self::right_align(&mut v, first + 2..=first + 2);
        self.print_table(&v)
    }

    fn audit_charts(&self, r: &AuditReport, max_rows: usize) -> io::Result<()> {
        let width = charts::terminal_width();
        if !r.ttl_histogram.is_empty() {
            // Neighbouring buckets share a row when there are more than `max_rows` of them,
            // so the family table above stays on screen.
            let per_row = r.ttl_histogram.len().div_ceil(max_rows.max(1));
            let rows: Vec<(String, u64)> = r
                .ttl_histogram
                .chunks(per_row)
                .map(|c| {
                    (
                        format!("≥ {}", human_secs(c[0].from_s)),
                        c.iter().map(|b| b.keys).sum(),
                    )
                })
                .collect();
            self.print(&format!(
                "\n{}\n",
                self.paint("TTL histogram (keys per bucket)", Style::Bold)
            ))?;
            self.print(&charts::bar_rows(&rows, width))?;
        }
        let tl = &r.timeline;
        if tl.counts.iter().any(|&n| n > 0) {
            // Mark the buckets holding the clusters the audit reports.
            let mut marked: Vec<usize> = r
                .violations
                .iter()
                .flat_map(|v| v.clusters.iter())
                .chain(r.busiest.iter())
                .filter(|c| c.starts_ms >= tl.from_ms)
                .map(|c| ((c.starts_ms - tl.from_ms) / tl.bucket_ms) as usize)
                .collect();
            marked.sort_unstable();
            marked.dedup();
            let (line, marks) = charts::timeline(&tl.counts, &marked, width.saturating_sub(2));
            let span = tl.bucket_ms * tl.counts.len() as u64;
            self.print(&format!(
                "\n{}\n",
                self.paint(
                    &format!(
                        "expiries over the next {} (one column ≈ {}; ^ marks an expiry cluster)",
                        human_secs(span / 1000),
                        human_secs((span / line.chars().count().max(1) as u64 / 1000).max(1))
                    ),
                    Style::Bold
                )
            ))?;
            self.print(&format!("|{line}|\n {marks}\n"))?;
        }
        Ok(())
    }

    pub fn fix_plan(&self, plan: &FixPlan, dry_run: bool) -> io::Result<()> {
        let verb = if dry_run { "would" } else { "will" };
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "remediation {verb} set a TTL on {} and spread {}",
                    keys(plan.missing_ttl),
                    keys(plan.spread)
                ),
                Style::Warn
            )
        ))
    }

    pub fn fix_report(&self, f: &FixReport) -> io::Result<()> {
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "set a TTL on {}, spread {}",
                    keys(f.ttl_set),
                    keys(f.spread)
                ),
                Style::Good
            )
        ))
    }
}

impl Renderer {
    /// `target`: the Redis written to (none for a dry run).
    pub fn warm_report(
        &self,
        r: &cachectl::warm::run::WarmReport,
        target: Option<&str>,
    ) -> io::Result<()> {
        let mut t = self.table(&["step", "rows", "keys", "bytes", "errors", "time", "status"]);
        for s in &r.steps {
            let status = match (&s.error, s.skipped) {
                (Some(e), _) => self.paint(e, Style::Bad),
                (None, _) if s.interrupted => self.paint("interrupted", Style::Bad),
                (None, true) => self.paint("skipped", Style::Dim),
                (None, false) if r.dry_run => self.paint("would write", Style::Warn),
                (None, false) => self.paint("ok", Style::Good),
            };
            t.add_row(vec![
                s.step.clone(),
                self.count(s.rows),
                self.count(s.keys),
                bytes(s.bytes),
                s.errors.to_string(),
                format!("{:.2}s", s.elapsed_ms as f64 / 1000.0),
                status,
            ]);
        }
        Self::right_align(&mut t, 1..=4);
        self.print_table(&t)?;
        for s in r.steps.iter().filter(|s| !s.preview.is_empty()) {
            self.print(&format!(
                "{}\n",
                self.paint(&format!("{}:", s.step), Style::Bold)
            ))?;
            for p in &s.preview {
                // Keys and values built from rows are shown, never obeyed by the terminal.
                let mut v = keys::printable(p.value.to_string().as_bytes());
                if v.len() > 160 {
                    v = format!("{}…", &v[..v.floor_char_boundary(160)]);
                }
                self.print(&format!(
                    "  {}  ttl {}  {} B  {v}\n",
                    keys::display(p.key.as_bytes()),
                    human_secs(p.ttl_s),
                    p.bytes
                ))?;
            }
        }
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "{} in {:.2}s{}",
                    r.plan,
                    r.elapsed_ms as f64 / 1000.0,
                    target
                        .map(|t| format!(", written to {t}"))
                        .unwrap_or_default()
                ),
                Style::Dim
            )
        ))
    }

    pub fn warm_check(&self, r: &cachectl::warm::check::CheckReport) -> io::Result<()> {
        let mut t = self.table(&["redis or source", "reachable", "error"]);
        if let Some(redis) = &r.redis {
            t.add_row(vec![
                format!("redis {}", redis.target),
                if redis.reachable {
                    self.paint("yes", Style::Good)
                } else {
                    self.paint("no", Style::Bad)
                },
                redis.error.clone().unwrap_or_default(),
            ]);
        }
        for s in &r.sources {
            let reach = match s.reachable {
                Some(true) => self.paint("yes", Style::Good),
                Some(false) => self.paint("no", Style::Bad),
                None => "not tried (--offline)".to_string(),
            };
            t.add_row(vec![
                s.source.clone(),
                reach,
                s.error.clone().unwrap_or_default(),
            ]);
        }
        self.print_table(&t)?;
        let mut t = self.table(&["step", "fields", "result"]);
        for s in &r.steps {
            let result = match (&s.unchecked, s.problems.is_empty()) {
                (_, false) => self.paint(&s.problems.join("; "), Style::Bad),
                (Some(why), true) if r.offline => {
                    self.paint(&format!("syntax only ({why})"), Style::Dim)
                }
                (Some(why), true) => self.paint(&format!("not checked: {why}"), Style::Bad),
                (None, true) => self.paint("ok", Style::Good),
            };
            t.add_row(vec![
                s.step.clone(),
                s.columns
                    .as_ref()
                    .map(|c| c.join(", "))
                    .unwrap_or_else(|| "-".into()),
                result,
            ]);
        }
        self.print_table(&t)?;
        let verdict = if r.ok() && r.offline {
            self.paint(
                "plan is valid (syntax only: --offline contacted nothing)",
                Style::Good,
            )
        } else if r.ok() {
            self.paint("plan checked: ok", Style::Good)
        } else {
            self.paint("plan check failed", Style::Bad)
        };
        self.print(&format!("{verdict}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(203_275), "203,275");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
