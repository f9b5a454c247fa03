//! Progress bars on stderr, only when stderr is a terminal: results stay alone on stdout.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use cachectl::progress::{ProgressBars, ProgressSink, ProgressUpdate};
use indicatif::{HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {human_pos}/{human_len} scanned  {msg}  {per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn update(&self, u: &ProgressUpdate) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.set_position(u.scanned);
            bar.set_message(format!(
                "matched {}  {} {}",
                HumanCount(u.matched),
                self.done_label,
                HumanCount(u.done)
            ));
        }
    }

    fn end(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// One bar per running warm step (rows read, keys written, rate), stacked on stderr.
pub struct StepBars {
    multi: Option<MultiProgress>,
}

impl StepBars {
    pub fn new() -> Self {
        StepBars {
            multi: std::io::stderr()
                .is_terminal()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
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
            ProgressStyle::with_template(
                "{prefix:>20} {spinner} {human_pos} rows  {msg}  {per_sec}",
            )
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
