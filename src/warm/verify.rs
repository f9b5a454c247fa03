//! `warm PLAN --verify`: is the cache what its sources say? Every key the plan would write is
//! read back (pipelined, in the plan's own batches) and compared with the value warm would
//! write: `stale` when it differs (JSON compared as JSON: key order and spacing do not count),
//! `missing` when it is not there, `ttl_drift` when it outlives what the plan gives (no TTL,
//! or more than the step's TTL with its jitter). Then each step's key family (its key
//! template, every field any value without a `:`) is walked with SCAN, and a key of the family
//! that no row produced is `orphaned`: a deleted row still cached. Nothing is written unless
//! `--fix` asks for the stale and missing keys to be written again.

use std::collections::HashSet;
use std::sync::Mutex;

use redis::{Pipeline, Value};
use serde::Serialize;

use crate::error::Result;
use crate::keys::glob::Glob;
use crate::keys::template::KeyTemplate;
use crate::scan::{self, BatchWork, ScanSpec};
use crate::store::{Node, Store};

/// Sample keys kept per kind and step.
pub const SAMPLES: usize = 5;

/// What one step's keys were found to be.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Verified {
    /// Keys read back and compared.
    pub checked: u64,
    pub matching: u64,
    pub stale: u64,
    pub missing: u64,
    pub orphaned: u64,
    /// Keys whose TTL is past what the plan gives (or that have none): reported, not failed.
    pub ttl_drift: u64,
    /// With `--fix`: stale and missing keys written again.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub rewritten: u64,
    pub samples: Samples,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Samples {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orphaned: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ttl_drift: Vec<String>,
}

fn sample(list: &mut Vec<String>, key: &[u8]) {
    if list.len() < SAMPLES {
        list.push(crate::keys::display(key));
    }
}

impl Verified {
    /// Cache and sources disagree (a TTL's drift alone is not a disagreement).
    pub fn differs(&self) -> bool {
        self.stale + self.missing + self.orphaned > 0
    }

    pub fn add(&mut self, o: &Verified) {
        self.checked += o.checked;
        self.matching += o.matching;
        self.stale += o.stale;
        self.missing += o.missing;
        self.orphaned += o.orphaned;
        self.ttl_drift += o.ttl_drift;
        self.rewritten += o.rewritten;
        let s = &mut self.samples;
        for (to, from) in [
            (&mut s.stale, &o.samples.stale),
            (&mut s.missing, &o.samples.missing),
            (&mut s.orphaned, &o.samples.orphaned),
            (&mut s.ttl_drift, &o.samples.ttl_drift),
        ] {
            to.extend(from.iter().take(SAMPLES.saturating_sub(to.len())).cloned());
        }
    }
}

/// Whether two values are the same cached value: the same bytes, or the same JSON.
pub fn same_value(cached: &[u8], fresh: &[u8]) -> bool {
    if cached == fresh {
        return true;
    }
    match (
        serde_json::from_slice::<serde_json::Value>(cached),
        serde_json::from_slice::<serde_json::Value>(fresh),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Compare a batch of `(key, value)` the plan would write with what the server holds. The
/// indices of the keys that differ (stale or missing), for `--fix`.
pub async fn compare(
    store: &Store,
    batch: &[(&[u8], &[u8])],
    ttl_bound_s: u64,
    found: &mut Verified,
) -> Result<Vec<usize>> {
    let mut cmds = Vec::with_capacity(batch.len() * 2);
    for (key, _) in batch {
        cmds.push((key.to_vec(), redis::cmd("GET").arg(*key).clone()));
        cmds.push((key.to_vec(), redis::cmd("PTTL").arg(*key).clone()));
    }
    // Reading a cache back must not make it look used: every key read would otherwise seem
    // fresh to the eviction policy and to `--idle-over`.
    let replies = store.per_key_untouched(cmds).await?;
    let mut differing = Vec::new();
    // A second of slack: the key was written a moment before its TTL was read.
    let bound_ms = ttl_bound_s.saturating_add(1).saturating_mul(1000) as i64;
    for (i, ((key, fresh), pair)) in batch.iter().zip(replies.chunks_exact(2)).enumerate() {
        found.checked += 1;
        match &pair[0] {
            Value::Nil => {
                found.missing += 1;
                sample(&mut found.samples.missing, key);
                differing.push(i);
                continue;
            }
            Value::BulkString(cached) if same_value(cached, fresh) => found.matching += 1,
            // Another value, or another type (GET refused it): stale either way.
            _ => {
                found.stale += 1;
                sample(&mut found.samples.stale, key);
                differing.push(i);
            }
        }
        if let Value::Int(pttl) = pair[1]
            && (pttl == -1 || pttl > bound_ms)
        {
            found.ttl_drift += 1;
            sample(&mut found.samples.ttl_drift, key);
        }
    }
    Ok(differing)
}

/// Keys a verify remembers for its orphan walk: about 180 MB of hashes. A plan producing more
/// is verified key by key all the same, and its orphans are said not to have been looked for.
pub const MAX_PRODUCED: usize = 10_000_000;

/// The keys the plan produced, per run: what makes a family's key not an orphan. Hashes, so
/// that a million keys cost 8 MB, not their names; at most `MAX_PRODUCED` of them.
#[derive(Default)]
pub struct Produced {
    set: Mutex<HashSet<u64>>,
    overflowed: std::sync::atomic::AtomicBool,
}

impl Produced {
    pub fn add<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        for k in keys {
            if set.len() >= MAX_PRODUCED {
                self.overflowed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                return;
            }
            set.insert(crate::keys::fnv1a(k));
        }
    }

    /// More keys were produced than are remembered: orphans cannot be told.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn has(&self, key: &[u8]) -> bool {
        let set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        set.contains(&crate::keys::fnv1a(key))
    }
}

/// Walk `template`'s family and count (and keep, up to `keep`) the keys no row produced.
pub async fn orphans(
    store: &Store,
    template: &KeyTemplate,
    produced: &Produced,
    keep: usize,
    stop: &crate::stop::Stop,
) -> Result<(Verified, Vec<Vec<u8>>, bool)> {
    let glob = Glob::new(template.family_glob());
    let spec = ScanSpec::new(
        store,
        &glob,
        scan::Pace::default(),
        stop,
        &crate::progress::Silent,
    );
    let outcome = scan::scan(&spec, "verifying", |_| Orphans {
        template,
        produced,
        keep,
        found: Verified::default(),
        keys: Vec::new(),
    })
    .await?;
    let complete = outcome.complete();
    let mut found = Verified::default();
    let mut keys = Vec::new();
    for w in outcome.work {
        found.add(&w.found);
        keys.extend(w.keys.into_iter().take(keep.saturating_sub(keys.len())));
    }
    Ok((found, keys, complete))
}

struct Orphans<'a> {
    template: &'a KeyTemplate,
    produced: &'a Produced,
    keep: usize,
    found: Verified,
    keys: Vec<Vec<u8>>,
}

impl BatchWork for Orphans<'_> {
    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        for key in keys {
            if self.template.family_matches(&key) && !self.produced.has(&key) {
                self.found.orphaned += 1;
                sample(&mut self.found.samples.orphaned, &key);
                if self.keys.len() < self.keep {
                    self.keys.push(key);
                }
            }
        }
        Vec::new()
    }

    fn counts_keys(&self) -> bool {
        true
    }

    fn commands(&mut self, _: &Store, _: &[Vec<u8>], _: &mut Pipeline) -> usize {
        0
    }

    fn replies(&mut self, _: &Node, _: Vec<Vec<u8>>, _: Vec<Value>) -> Result<()> {
        Ok(())
    }

    fn acted(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_compared_as_json() {
        assert!(same_value(
            br#"{"a":1,"b":[1,2]}"#,
            br#"{ "b": [1, 2], "a": 1 }"#
        ));
        assert!(!same_value(br#"{"a":1}"#, br#"{"a":2}"#));
        assert!(same_value(b"plain", b"plain"));
        assert!(!same_value(b"plain", b"plain "));
    }
}
