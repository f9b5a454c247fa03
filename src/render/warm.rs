//! `warm`: what a run wrote, and what `--check` found.

use std::io;

use cachectl::keys;

use super::cells::*;
use super::charts::human_secs;
use super::{Renderer, Style};

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
        for s in r.steps.iter().filter(|s| s.unconfirmed > 0) {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "{}: {} more sent without a reply: written or not, only the server knows",
                        s.step,
                        self.count(s.unconfirmed)
                    ),
                    Style::Warn
                )
            ))?;
        }
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

impl Renderer {
    /// `warm --verify`: per step, what the cache holds against what the sources say, and a few
    /// keys of each kind of difference.
    pub fn warm_verify(&self, r: &cachectl::warm::run::WarmReport) -> io::Result<()> {
        let mut t = self.table(&[
            "step",
            "checked",
            "matching",
            "stale",
            "missing",
            "orphaned",
            "ttl drift",
            "status",
        ]);
        let empty = cachectl::warm::verify::Verified::default();
        for s in &r.steps {
            let v = s.verify.as_ref().unwrap_or(&empty);
            let status = match (&s.error, s.skipped) {
                (Some(e), _) => self.paint(e, Style::Bad),
                (None, _) if s.interrupted => self.paint("interrupted", Style::Bad),
                (None, true) => self.paint("skipped", Style::Dim),
                (None, false) if v.differs() && v.rewritten > 0 => self.paint(
                    &format!("{} rewritten", self.count(v.rewritten)),
                    Style::Warn,
                ),
                (None, false) if v.differs() => self.paint("differs", Style::Bad),
                (None, false) => self.paint("agrees", Style::Good),
            };
            t.add_row(vec![
                s.step.clone(),
                self.count(v.checked),
                self.count(v.matching),
                self.count(v.stale),
                self.count(v.missing),
                self.count(v.orphaned),
                self.count(v.ttl_drift),
                status,
            ]);
        }
        Self::right_align(&mut t, 1..=6);
        self.print_table(&t)?;
        for s in &r.steps {
            let Some(v) = &s.verify else { continue };
            for (kind, keys) in [
                ("stale", &v.samples.stale),
                ("missing", &v.samples.missing),
                ("orphaned", &v.samples.orphaned),
                ("ttl drift", &v.samples.ttl_drift),
            ] {
                if !keys.is_empty() {
                    self.print(&format!(
                        "{} {}\n",
                        self.paint(&format!("{} {kind}:", s.step), Style::Dim),
                        keys.join(" ")
                    ))?;
                }
            }
        }
        Ok(())
    }
}
