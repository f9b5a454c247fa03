//! `invalidate` and `invalidate-pattern`: what was deleted, or would be.

use std::io::{self};

use cachectl::ops::invalidate::KeyDeletion;
use cachectl::ops::sweep::SweepReport;
use cachectl::scan::Part;

use super::{Renderer, Style};

impl Renderer {
    pub fn deletions(&self, keys: &[KeyDeletion], dry_run: bool) -> io::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut t = self.table(&["key", "result"]);
        for k in keys {
            let result = match (k.skipped, k.existed, dry_run) {
                _ if k.unconfirmed => self.paint("unconfirmed (sent, unanswered)", Style::Warn),
                // Left alone by a rule, or not sent: whether it exists was never asked.
                (Some(why), _, _) => self.paint(why, Style::Warn),
                (None, true, true) => self.paint("would delete", Style::Warn),
                (None, true, false) => self.paint("deleted", Style::Good),
                (None, false, _) => self.paint("not found", Style::Dim),
            };
            t.add_row(vec![cachectl::keys::display(k.key.as_bytes()), result]);
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
        for r in reports {
            if let (Some(filters), Some(passed)) = (&r.filters, r.not_selected) {
                // `matched` above is the keys the filters selected; the rest the pattern found.
                let left = match r.dry_run || r.matched == r.deleted {
                    true => String::new(),
                    false => format!(
                        "; {} selected and not deleted (changed or gone since)",
                        r.matched.saturating_sub(r.deleted)
                    ),
                };
                self.print(&format!(
                    "{}\n",
                    self.paint(
                        &format!(
                            "`{}` selected by {filters}: {} not selected{left}",
                            r.pattern,
                            super::cells::keys(passed)
                        ),
                        Style::Dim
                    )
                ))?;
            }
        }
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
                "{} `{}` after deleting {}{}{why}\n",
                self.paint("incomplete", Style::Bad),
                r.pattern,
                super::cells::keys(r.deleted),
                unanswered(r.unconfirmed),
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
                "{} `{}` after deleting {}{} (stopped at {})\n",
                self.paint("interrupted", Style::Bad),
                r.pattern,
                super::cells::keys(r.deleted),
                unanswered(r.unconfirmed),
                cursors.join(", ")
            ))?;
        }
        Ok(())
    }
}

/// Keys sent in a batch whose answer never came, said after what was deleted.
fn unanswered(n: u64) -> String {
    match n {
        0 => String::new(),
        n => format!(
            ", and {} sent without an answer (deleted or not, only the server knows)",
            super::cells::keys(n)
        ),
    }
}
