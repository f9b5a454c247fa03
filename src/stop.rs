//! A request to stop, set by the binary on Ctrl-C, SIGTERM or SIGHUP and polled by long
//! operations between batches, so that a stop never leaves a batch half done. Waits that are
//! not batches (a confirmation prompt, a retry's sleep) await it instead, so they end at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Stop(Arc<Inner>);

#[derive(Default)]
struct Inner {
    set: AtomicBool,
    notify: Notify,
    /// What must still be put back on the server (one line each), while it is pending: a
    /// second signal waits for it, and a forced exit prints it.
    pending: Mutex<Vec<(u64, String)>>,
    next: std::sync::atomic::AtomicU64,
}

/// A change on the server that must be undone before the process ends; dropping it says the
/// change was undone (or reported).
pub struct Pending {
    stop: Stop,
    id: u64,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut list) = self.stop.0.pending.lock() {
            list.retain(|(id, _)| *id != self.id);
        }
    }
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

    /// Registers a change that must be put back on the way out; `undo` says how, for an exit
    /// that cannot wait (it is printed then).
    pub fn pending(&self, undo: String) -> Pending {
        let id = self.0.next.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut list) = self.0.pending.lock() {
            list.push((id, undo));
        }
        Pending {
            stop: self.clone(),
            id,
        }
    }

    /// The changes still to be put back, as registered by [`Stop::pending`].
    pub fn still_pending(&self) -> Vec<String> {
        match self.0.pending.lock() {
            Ok(list) => list.iter().map(|(_, undo)| undo.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Resolves `grace` after a stop was requested: what a stop has not ended by then (a
    /// reply that has stalled) is given up.
    pub async fn unheeded(&self, grace: std::time::Duration) {
        self.wait().await;
        tokio::time::sleep(grace).await;
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

    #[test]
    fn pending_changes_are_listed_until_dropped() {
        let stop = Stop::new();
        let a = stop.pending("CONFIG SET a".into());
        let b = stop.pending("CONFIG SET b".into());
        assert_eq!(stop.still_pending(), ["CONFIG SET a", "CONFIG SET b"]);
        drop(a);
        assert_eq!(stop.still_pending(), ["CONFIG SET b"]);
        drop(b);
        assert!(stop.still_pending().is_empty());
    }
}
