//! `ttl-audit`: the headline, families, violations, charts, and the fixes planned and done.

use std::io;

use cachectl::clock::rfc3339;
use cachectl::ops::audit::{AuditReport, Headline};
use cachectl::ops::remediate::{FixPlan, FixReport};

use super::cells::*;
use super::charts::{self, human_secs};
use super::{Renderer, Style};

/// Hash fields that expire, in a sentence: how many, in how many hashes, how many hashes go
/// with their last field (and so are not keys without TTL), and when the most expire at once.
pub fn fields_line(f: &cachectl::ops::fields::FieldSummary) -> String {
    let mut line = format!(
        "hash fields: {} expire in {} hash{} without a TTL of their own ({} {} with {} last field), {} never expire",
        f.fields_with_ttl,
        f.hashes,
        if f.hashes == 1 { "" } else { "es" },
        f.expire_with_fields,
        if f.expire_with_fields == 1 {
            "goes"
        } else {
            "go"
        },
        if f.expire_with_fields == 1 {
            "its"
        } else {
            "their"
        },
        f.fields_without_ttl
    );
    if let Some(c) = &f.busiest {
        line.push_str(&format!(
            "; busiest {} window: {} fields at {}",
            cachectl::ttl::human_ms(c.window_ms),
            c.keys,
            rfc3339(c.starts_ms)
        ));
    }
    if f.sampled_hashes > 0 {
        line.push_str(&format!(
            "; {} hash{} read in part (over {} fields)",
            f.sampled_hashes,
            if f.sampled_hashes == 1 { "" } else { "es" },
            cachectl::ops::fields::MAX_FIELDS_READ
        ));
    }
    line
}

impl Renderer {
    /// `quick`: no scan follows to say which of those keys expire with their fields.
    pub fn headline(&self, head: &[Headline], quick: bool) -> io::Result<()> {
        // Keys with hash fields that expire (Redis 7.4+, Valkey 9): a column where any are.
        let fields = head.iter().any(|h| h.keys_with_field_ttls > 0);
        let mut columns = vec!["node", "db", "keys", "with expiry", "without", "avg TTL"];
        if fields {
            columns.push("with field TTLs");
        }
        let mut t = self.table(&columns);
        for h in head {
            let mut row = vec![
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
            ];
            if fields {
                row.push(self.count(h.keys_with_field_ttls));
            }
            t.add_row(row);
        }
        Self::right_align(&mut t, 2..=4);
        self.print_table(&t)?;
        if fields {
            let note = match quick {
                true => {
                    "a key with field TTLs is counted `without` when it has no TTL of its own; \
                         whether every field expires (so the key does) takes a scan: run without --quick"
                }
                false => {
                    "a key with field TTLs is counted `without` when it has no TTL of its own; \
                          the scan below counts it by its fields"
                }
            };
            self.print(&format!("{}\n", self.paint(note, Style::Dim)))?;
        }
        // The server's own size histograms (Redis 8 INFO KEYSIZES): no scan needed.
        for h in head {
            for s in &h.sizes {
                let buckets: Vec<String> =
                    s.buckets.iter().map(|(b, n)| format!("{b}: {n}")).collect();
                let line = format!("{} db{} {}: {}", h.node, h.db, s.of, buckets.join(", "));
                self.print(&format!("{}\n", self.paint(&line, Style::Dim)))?;
            }
        }
        Ok(())
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
            self.headline(&r.headline, false)?;
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
        summary.push_str(&super::inspect::selected_by(
            r.filters.as_deref(),
            r.not_selected,
        ));
        if let Some(c) = &r.busiest {
            summary.push_str(&format!(
                "; busiest {} window: {} at {}",
                cachectl::ttl::human_ms(c.window_ms),
                keys(c.keys),
                rfc3339(c.starts_ms)
            ));
        }
        self.print(&format!("{}\n", self.paint(&summary, Style::Dim)))?;
        if let Some(f) = &r.fields {
            self.print(&format!("{}\n", self.paint(&fields_line(f), Style::Dim)))?;
        }
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
        let clamped = match f.clamped {
            0 => String::new(),
            n => format!(" ({} brought into their rule's ttl range)", keys(n)),
        };
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "set a TTL on {}{clamped}, spread {}",
                    keys(f.ttl_set),
                    keys(f.spread)
                ),
                Style::Good
            )
        ))
    }
}
