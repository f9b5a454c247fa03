//! The one mapping from a report to an exit code: 130 (128 + the signal) when a stop ended
//! the job, 1 with each fault said on stderr when it is not done, else the report's own code
//! (0, or 4 for a ttl-audit that found violations). Every command that walks or writes
//! implements `Ended` for its report.

use cachectl::backup::BackupReport;
use cachectl::ops::audit::AuditReport;
use cachectl::ops::inspect::InspectReport;
use cachectl::ops::invalidate::InvalidateReport;
use cachectl::ops::remediate::FixReport;
use cachectl::ops::restore::RestoreReport;
use cachectl::warm::run::WarmReport;

use super::{exit, interrupted};
use crate::render::say;

/// How a job's report ended.
pub trait Ended {
    /// A stop (Ctrl-C, SIGTERM) ended the job before it was done.
    fn interrupted(&self) -> bool;
    /// Why the job is not done, a line each; none when it is.
    fn faults(&self) -> Vec<String>;
    /// The exit code of a job that is done.
    fn done_code(&self) -> u8 {
        exit::OK
    }
    /// The job stopped at its permit's budget (keys appeared past what was approved): a
    /// guard's refusal, exit 3, though what came before it was done.
    fn over_budget(&self) -> bool {
        false
    }
}

/// The exit code for `report`, its faults said on stderr.
pub fn exit_for(report: &impl Ended) -> u8 {
    if report.interrupted() {
        return interrupted();
    }
    let faults = report.faults();
    for f in &faults {
        say(&format!("error: {f}"));
    }
    match (faults.is_empty(), report.over_budget()) {
        (true, _) => report.done_code(),
        (false, true) => exit::REFUSED,
        (false, false) => exit::FAILED,
    }
}

impl Ended for BackupReport {
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    fn faults(&self) -> Vec<String> {
        let e = self.error.iter();
        e.map(|e| {
            format!(
                "{}: {} (the file holds the keys read before it)",
                e.node, e.error
            )
        })
        .collect()
    }
}

impl Ended for RestoreReport {
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    fn faults(&self) -> Vec<String> {
        if self.complete {
            return Vec::new();
        }
        let mut faults = Vec::new();
        if let Some(why) = &self.backup_incomplete {
            faults.push(format!(
                "the backup is incomplete ({why}): it holds only the keys read before"
            ));
        }
        if let Some(e) = &self.error {
            faults.push(format!("{e} (the keys before it were restored as counted)"));
        }
        for k in self.keys.iter().filter(|k| k.error.is_some()).take(5) {
            faults.push(format!("{}: {}", k.key, k.error.as_deref().unwrap_or("")));
        }
        if faults.is_empty() {
            faults.push("the restore did not complete".into());
        }
        faults
    }
}

impl Ended for InspectReport {
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    fn faults(&self) -> Vec<String> {
        let e = self.error.iter();
        e.map(|e| {
            format!(
                "{}: {} (the figures cover the keys walked before it)",
                e.node, e.error
            )
        })
        .collect()
    }
}

impl Ended for InvalidateReport {
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    fn over_budget(&self) -> bool {
        InvalidateReport::over_budget(self) > 0
    }

    fn faults(&self) -> Vec<String> {
        if self.complete {
            return Vec::new();
        }
        let mut faults: Vec<String> = self
            .patterns
            .iter()
            .filter_map(|p| p.error.as_ref().map(|e| (p, e)))
            .map(|(p, e)| format!("`{}`: {}: {}", p.pattern, e.node, e.error))
            .collect();
        faults.extend(
            self.error
                .iter()
                .map(|e| format!("{}: {}", e.node, e.error)),
        );
        let named = InvalidateReport::over_budget(self)
            - self.patterns.iter().map(|p| p.over_budget).sum::<u64>();
        if named > 0 {
            faults.push(format!(
                "{named} named {} past the approved budget and not sent",
                cachectl::guard::plural(named, "key was", "keys were")
            ));
        }
        if faults.is_empty() {
            faults.push("the deletion did not complete".into());
        }
        faults
    }
}

impl Ended for WarmReport {
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    fn faults(&self) -> Vec<String> {
        let mut faults: Vec<String> = (self.steps.iter())
            .filter_map(|s| s.error.as_ref().map(|e| format!("step `{}`: {e}", s.step)))
            .collect();
        let errors: u64 = self.steps.iter().map(|s| s.errors).sum();
        if self.failed() && faults.is_empty() {
            faults.push(format!(
                "{errors} rows or writes failed (see the steps above)"
            ));
        }
        faults
    }
}

/// A ttl-audit with the fixes it applied, and how many violations are still true after them.
pub struct Audited<'a> {
    pub report: &'a AuditReport,
    pub applied: Option<&'a FixReport>,
    pub remaining: usize,
}

impl Ended for Audited<'_> {
    fn interrupted(&self) -> bool {
        self.report.interrupted || self.applied.is_some_and(|a| a.interrupted)
    }

    fn faults(&self) -> Vec<String> {
        let fault = (self.report.error.as_ref()).or(self.applied.and_then(|a| a.error.as_ref()));
        fault
            .map(|e| format!("{}: {}", e.node, e.error))
            .into_iter()
            .collect()
    }

    /// Exit by what is true now: violations the fixes cleared are gone, so `ttl-audit
    /// --fix-… --yes && deploy` goes on after a fix that did its job.
    fn done_code(&self) -> u8 {
        match self.remaining {
            0 => exit::OK,
            _ => exit::VIOLATIONS,
        }
    }
}
