//! Where a standalone server's two chains meet: the even chain's last SCAN reads past the odd
//! chain's start, and the keys both saw are counted once.

use std::collections::HashSet;
use std::sync::Arc;

/// Largest SCAN COUNT with two chains: the odd chain's first keys are kept until the even
/// chain's last SCAN, which may read that far past the seam, has been answered.
pub(super) const TWO_CHAIN_MAX_COUNT: u32 = 10_000;
const SEAM_KEYS: usize = 2 * TWO_CHAIN_MAX_COUNT as usize + 5_000;

/// Where the even chain's walk meets the odd chain's start. The even chain's last SCAN reads
/// on past cursor 1 into odd buckets (SCAN stops after COUNT keys, not at a bucket we choose),
/// so its keys are checked against the first keys the odd chain found, which cover at least
/// as far.
#[derive(Default)]
pub(super) struct Seam {
    first_odd: std::sync::Mutex<HashSet<Vec<u8>>>,
    complete: std::sync::OnceLock<()>,
    ready: tokio::sync::Notify,
}

impl Seam {
    /// The odd chain found `keys`; returns whether it still needs to report more.
    pub(super) fn record(&self, keys: &[Vec<u8>]) -> bool {
        let mut first = self.first_odd.lock().unwrap_or_else(|e| e.into_inner());
        first.extend(keys.iter().cloned());
        let full = first.len() >= SEAM_KEYS;
        drop(first);
        if full {
            self.close();
        }
        !full
    }

    /// No more keys will be recorded (the odd chain has enough, ended, or failed).
    pub(super) fn close(&self) {
        if self.complete.set(()).is_ok() {
            self.ready.notify_waiters();
        }
    }

    /// The even chain's last keys, less those the odd chain has reported.
    pub(super) async fn strip(&self, mut keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        loop {
            let notified = self.ready.notified();
            if self.complete.get().is_some() {
                break;
            }
            notified.await;
        }
        let mut first = self.first_odd.lock().unwrap_or_else(|e| e.into_inner());
        keys.retain(|k| !first.contains(k));
        first.clear();
        first.shrink_to_fit();
        keys
    }
}

/// Closes the seam when the odd chain ends, however it ends, so the even chain never waits
/// on a chain that is gone.
pub(super) struct SeamGuard(pub(super) Option<Arc<Seam>>);

impl Drop for SeamGuard {
    fn drop(&mut self) {
        if let Some(seam) = &self.0 {
            seam.close();
        }
    }
}
