//! A request to stop, set by the binary on Ctrl-C, SIGTERM or SIGHUP and polled by long
//! operations between batches, so that a stop never leaves a batch half done. Waits that are
//! not batches (a confirmation prompt, a retry's sleep) await it instead, so they end at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::error::Error;

/// How long a stop waits for the answer to a request already sent before giving it up.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(1);

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

    /// Resolves [`GRACE`] after a stop was requested: what a stop has not ended by then (a
    /// reply that has stalled) is given up.
    pub async fn unheeded(&self) {
        self.wait().await;
        tokio::time::sleep(GRACE).await;
    }

    /// `work`'s result, unless a stop was requested and `work` had not ended [`GRACE`] after
    /// it: then `Error::Interrupted`, and whatever `work` had sent is unconfirmed (the server
    /// may still run it). A stop waits for an answer already asked for, so that the report can
    /// count it, but not for a server that has stalled.
    pub async fn within_grace<T, E: From<Error>>(
        &self,
        work: impl std::future::Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        tokio::select! {
            r = work => r,
            () = self.unheeded() => Err(Error::Interrupted.into()),
        }
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
