//! A request to stop, set by the binary on Ctrl-C, SIGTERM or SIGHUP and polled by long
//! operations between batches, so that a stop never leaves a batch half done. Waits that are
//! not batches (a confirmation prompt, a retry's sleep) await it instead, so they end at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Stop(Arc<Inner>);

#[derive(Default)]
struct Inner {
    set: AtomicBool,
    notify: Notify,
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn request(&self) {
        self.0.set.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    /// Resolves once a stop has been requested (at once if it already was).
    pub async fn wait(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wait_ends_on_request() {
        let stop = Stop::new();
        let waiter = stop.clone();
        let task = tokio::spawn(async move { waiter.wait().await });
        tokio::task::yield_now().await;
        stop.request();
        tokio::time::timeout(std::time::Duration::from_secs(1), task)
            .await
            .expect("wait() must end when a stop is requested")
            .unwrap();
        // Already set: returns at once.
        stop.wait().await;
    }
}
