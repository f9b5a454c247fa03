//! Progress bars on stderr, only when stderr is a terminal: results stay alone on stdout.
//! Bars are cleared however a run ends (success, error, signal), and messages printed while
//! one is drawn go above it instead of through it.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use cachectl::progress::{ProgressBars, ProgressSink, ProgressUpdate};
use indicatif::{HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What is drawn now, so that messages and exits can get past it.
enum Drawn {
    Bar(ProgressBar),
    Multi(MultiProgress),
}

static DRAWN: Mutex<Vec<Drawn>> = Mutex::new(Vec::new());

/// `--verbose`: say each retry of a transient fault.
pub static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn drawn() -> std::sync::MutexGuard<'static, Vec<Drawn>> {
    DRAWN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` (which writes to stderr) with the bars hidden, so its lines are not torn.
pub fn suspend(f: impl FnOnce()) {
    let bars = drawn();
    match bars.last() {
        Some(Drawn::Bar(b)) => b.suspend(f),
        Some(Drawn::Multi(m)) => m.suspend(f),
        None => f(),
    }
}

/// Clear every bar (before the process exits at once).
pub fn clear_all() {
    for d in drawn().drain(..) {
        match d {
            Drawn::Bar(b) => b.finish_and_clear(),
            Drawn::Multi(m) => {
                let _ = m.clear();
            }
        }
    }
}

/// Stop tracking bars that are finished.
fn forget_finished() {
    drawn().retain(|d| !matches!(d, Drawn::Bar(b) if b.is_finished()));
}

/// `12,345/s`: whole keys per second, never `121,243.1999/s`.
fn with_rate(style: ProgressStyle) -> ProgressStyle {
    style.with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", HumanCount(state.per_sec().max(0.0) as u64));
        },
    )
}

pub struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    /// What `done` counts in this phase ("deleted", "inspected"…).
    done_label: &'static str,
}

impl Bars {
    pub fn new(done_label: &'static str) -> Self {
        Bars {
            enabled: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
            done_label,
        }
    }
}

impl ProgressSink for Bars {
    fn begin(&self, label: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        self.end();
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {human_pos}/{human_len} scanned  {msg}  {rate} ETA {eta}",
        )
        .map(with_rate)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        drawn().push(Drawn::Bar(bar.clone()));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn update(&self, u: &ProgressUpdate) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.set_position(u.scanned);
            // A count phase deletes nothing: say only what it found.
            let done = if bar.prefix() == "counting" {
                String::new()
            } else {
                format!("  {} {}", self.done_label, HumanCount(u.done))
            };
            bar.set_message(format!("matched {}{done}", HumanCount(u.matched)));
        }
    }

    fn retrying(&self, what: &str) {
        say_retry(what);
    }

    fn end(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
            forget_finished();
        }
    }
}

fn say_retry(what: &str) {
    if VERBOSE.load(std::sync::atomic::Ordering::Relaxed) {
        super::say(&format!("retrying: {what}"));
    }
}

impl Drop for Bars {
    /// An error or a signal may end the run between `begin` and `end`.
    fn drop(&mut self) {
        self.end();
    }
}

/// One bar per running warm step (rows read, keys written, rate), stacked on stderr.
pub struct StepBars {
    multi: Option<MultiProgress>,
}

impl StepBars {
    pub fn new() -> Self {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        if let Some(m) = &multi {
            drawn().push(Drawn::Multi(m.clone()));
        }
        StepBars { multi }
    }
}

impl Drop for StepBars {
    fn drop(&mut self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
            drawn().retain(|d| !matches!(d, Drawn::Multi(_)));
        }
    }
}

struct StepBar(ProgressBar);

impl ProgressBars for StepBars {
    fn phase(&self, name: &str) -> Box<dyn ProgressSink> {
        let Some(multi) = &self.multi else {
            return Box::new(cachectl::progress::Silent);
        };
        let bar = multi.add(ProgressBar::no_length());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>20} {spinner} {human_pos} rows  {msg}  {rate}")
                .map(with_rate)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Box::new(StepBar(bar))
    }
}

impl ProgressSink for StepBar {
    fn update(&self, u: &ProgressUpdate) {
        self.0.set_position(u.scanned);
        self.0.set_message(format!("{} keys", HumanCount(u.done)));
    }

    fn end(&self) {
        self.0.finish_and_clear();
    }
}
