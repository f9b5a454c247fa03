//! Progress bars on stderr, only when stderr is a terminal: results stay alone on stdout.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use cachectl::progress::{ProgressSink, ProgressUpdate};
use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

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
