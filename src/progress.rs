//! How long-running operations report progress. The library never knows a terminal exists:
//! the binary implements this with progress bars; a caller that wants none passes `Silent`.

/// Counters of a running scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressUpdate {
    /// Keys walked so far (estimated from the SCAN cursor).
    pub scanned: u64,
    /// Keys that matched the pattern.
    pub matched: u64,
    /// Keys acted on (deleted, expired, inspected…).
    pub done: u64,
}

pub trait ProgressSink: Send + Sync {
    /// A phase starts; `total` is the number of keys it will walk, when known.
    fn begin(&self, _label: &str, _total: Option<u64>) {}
    fn update(&self, _update: &ProgressUpdate) {}
    fn end(&self) {}
    /// A transient fault is being retried (said under `--verbose`).
    fn retrying(&self, _what: &str) {}
}

/// Reports nothing.
pub struct Silent;

impl ProgressSink for Silent {}

/// Progress for work with several phases running at once (warm: one per step).
pub trait ProgressBars: Send + Sync {
    fn phase(&self, name: &str) -> Box<dyn ProgressSink>;
}

impl ProgressBars for Silent {
    fn phase(&self, _name: &str) -> Box<dyn ProgressSink> {
        Box::new(Silent)
    }
}
