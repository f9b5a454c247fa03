//! A dump walked key by key for a report: the pattern and database chosen, TTLs as of one
//! moment, progress, and a stop request honoured between keys.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::{Entry, Rdb, Snapshot};
use crate::clock::rfc3339;
use crate::error::Result;
use crate::keys::glob::Glob;
use crate::progress::{ProgressSink, ProgressUpdate};
use crate::stop::Stop;
use crate::ttl::KeyTtl;

/// Keys between progress reports and stop checks.
const EVERY: u64 = 1 << 14;

/// What was read of a dump, for a report.
#[derive(Clone, Debug, Serialize)]
pub struct DumpSummary {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    /// TTLs are as of this moment: when the dump was written, or `--at`.
    pub at: String,
    pub at_ms: i64,
    /// Bytes of the dump read.
    pub bytes: u64,
    /// Keys read from the dump, whatever their database or name.
    pub keys_read: u64,
    /// Keys whose expiry had passed by `at`: gone for a server loading the dump, so not counted.
    pub expired: u64,
    /// Keys of databases other than the one asked for.
    pub other_dbs: u64,
    /// Empty collections: a server loading the dump skips them ("empty keys skipped"), so
    /// they are not counted either.
    pub empty_skipped: u64,
}

/// Which keys of a dump a report covers, and as of when.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Only this database (default: all).
    pub db: Option<u32>,
    /// TTLs as of this moment (ms since the epoch; default: when the dump was written).
    pub at_ms: Option<i64>,
    /// Only keys of this type, as `TYPE` names it.
    pub kind: Option<String>,
}

/// One dump's walk.
struct DumpWalk {
    /// TTLs are as of this moment.
    pub at_ms: i64,
    scope: Scope,
    /// Keys read.
    pub read: u64,
    matched: u64,
    done: u64,
    expired: u64,
    other_dbs: u64,
    empty: u64,
    /// Counters shared by the walks of several dumps at once, for progress, and what this
    /// walk has added to them so far.
    totals: Arc<Totals>,
    added: (u64, u64, u64),
}

/// Keys read, matched and counted by every walk of a report, for progress.
#[derive(Default)]
struct Totals {
    read: AtomicU64,
    matched: AtomicU64,
    done: AtomicU64,
}

impl DumpWalk {
    /// A walk of `rdb` counting its progress into `totals`, shared with the walks of other
    /// dumps.
    fn new(rdb: &Rdb, scope: Scope, totals: Arc<Totals>) -> Self {
        DumpWalk {
            at_ms: scope.at_ms.unwrap_or_else(|| rdb.snapshot().time_ms()),
            scope,
            read: 0,
            matched: 0,
            done: 0,
            expired: 0,
            other_dbs: 0,
            empty: 0,
            totals,
            added: (0, 0, 0),
        }
    }

    /// Hand `each` every live key in scope matching `pattern`, with its TTL and the moment it
    /// is as of; `each` says whether it counted the key. `Ok(true)` once the dump is read to
    /// its end (checksum checked), `Ok(false)` when stopped.
    fn walk(
        &mut self,
        rdb: &mut Rdb,
        pattern: &Glob,
        stop: &Stop,
        progress: &dyn ProgressSink,
        mut each: impl FnMut(&Entry, KeyTtl, i64) -> bool,
    ) -> Result<bool> {
        let everything = pattern.matches_everything();
        let result = loop {
            let entry = match rdb.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => break Ok(true),
                Err(e) => break Err(e),
            };
            self.read += 1;
            if self.scope.db.is_some_and(|d| d != entry.db) {
                self.other_dbs += 1;
            } else if entry.empty {
                self.empty += 1;
            } else if (everything || pattern.is_match(entry.key))
                && self
                    .scope
                    .kind
                    .as_ref()
                    .is_none_or(|k| k == entry.kind.name())
            {
                match KeyTtl::at(entry.expires_at_ms, self.at_ms) {
                    KeyTtl::Missing => self.expired += 1,
                    ttl => {
                        self.matched += 1;
                        if each(&entry, ttl, self.at_ms) {
                            self.done += 1;
                        }
                    }
                }
            }
            if self.read.is_multiple_of(EVERY) {
                self.report(progress);
                if stop.is_set() {
                    break Ok(false);
                }
            }
        };
        self.report(progress);
        result
    }

    /// Add what this walk counted since its last report to the shared totals, and show them.
    fn report(&mut self, progress: &dyn ProgressSink) {
        let add = |total: &AtomicU64, now: u64, before: u64| {
            total.fetch_add(now - before, Ordering::Relaxed) + now - before
        };
        let t = &self.totals;
        let update = ProgressUpdate {
            scanned: add(&t.read, self.read, self.added.0),
            matched: add(&t.matched, self.matched, self.added.1),
            done: add(&t.done, self.done, self.added.2),
        };
        self.added = (self.read, self.matched, self.done);
        progress.update(&update);
    }

    fn summary(&self, rdb: &Rdb) -> DumpSummary {
        DumpSummary {
            snapshot: rdb.snapshot().clone(),
            at: rfc3339(self.at_ms.max(0) as u64),
            at_ms: self.at_ms,
            bytes: rdb.offset(),
            keys_read: self.read,
            expired: self.expired,
            other_dbs: self.other_dbs,
            empty_skipped: self.empty,
        }
    }
}

/// How a walk over one or more dumps ended.
pub struct Walked {
    /// Keys read, in every dump.
    pub read: u64,
    /// Every dump was read to its end.
    pub complete: bool,
    /// A stop request ended it.
    pub interrupted: bool,
    /// The first dump that could not be read on, and why (the others were read whole).
    pub error: Option<(String, crate::error::Error)>,
    pub dumps: Vec<DumpSummary>,
}

impl Walked {
    /// How this walk over dumps ended, begun at `started`: the fault names the dump file.
    pub fn end(&mut self, started: std::time::Instant) -> crate::scan::WalkEnd {
        crate::scan::WalkEnd {
            scanned: self.read,
            elapsed_ms: started.elapsed().as_millis() as u64,
            interrupted: self.interrupted,
            complete: self.complete,
            error: self.error.take().map(|(file, e)| crate::scan::Fault {
                node: file,
                error: e.without_origin(),
            }),
        }
    }
}

/// What a report's walk over dumps gives: each thread's job, how the walk ended, the dumps.
pub struct ReportWalk<W> {
    pub works: Vec<W>,
    pub end: crate::scan::WalkEnd,
    pub dumps: Vec<DumpSummary>,
}

/// `walk_all` for a report (inspect, ttl-audit): progress shown under `label`, the walk timed,
/// and its end in the shape a live scan's has.
#[allow(clippy::too_many_arguments)]
pub fn walk_for_report<W: Send>(
    rdbs: &mut [Rdb],
    pattern: &Glob,
    scope: &Scope,
    stop: &Stop,
    progress: &dyn ProgressSink,
    label: &str,
    make: impl Fn() -> W + Sync,
    each: impl Fn(&mut W, &Entry, KeyTtl, i64) -> bool + Sync,
) -> ReportWalk<W> {
    let started = std::time::Instant::now();
    progress.begin(label, None);
    let (works, mut walked) = walk_all(rdbs, pattern, scope, stop, progress, make, each);
    progress.end();
    ReportWalk {
        works,
        end: walked.end(started),
        dumps: walked.dumps,
    }
}

/// The moment TTLs are read as of in the earliest of `rdbs`.
pub fn earliest(rdbs: &[Rdb], scope: &Scope) -> i64 {
    rdbs.iter()
        .map(|r| scope.at_ms.unwrap_or_else(|| r.snapshot().time_ms()))
        .min()
        .unwrap_or_else(|| crate::clock::now_ms() as i64)
}

/// Walk `rdbs` (a cluster's masters' dumps make one report), several at once on as many
/// threads as there are cores, each thread with a job of its own from `make`, handed every live
/// key in scope with its TTL and the moment that TTL is as of. A dump that cannot be read on ends its own walk;
/// the others go on, and the report names the first such dump.
pub fn walk_all<W: Send>(
    rdbs: &mut [Rdb],
    pattern: &Glob,
    scope: &Scope,
    stop: &Stop,
    progress: &dyn ProgressSink,
    make: impl Fn() -> W + Sync,
    each: impl Fn(&mut W, &Entry, KeyTtl, i64) -> bool + Sync,
) -> (Vec<W>, Walked) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = rdbs.len().min(cores).max(1);
    let mut shares: Vec<Vec<(usize, &mut Rdb)>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, rdb) in rdbs.iter_mut().enumerate() {
        shares[i % threads].push((i, rdb));
    }
    let totals = Arc::new(Totals::default());
    let walk_share = |share: Vec<(usize, &mut Rdb)>| {
        let mut work = make();
        let mut outcomes = Vec::new();
        for (i, rdb) in share {
            let mut walk = DumpWalk::new(rdb, scope.clone(), totals.clone());
            // A fault of the reader's own on one dump (a bug) ends that dump's walk as damage
            // would, at its byte: the other dumps' figures stand.
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                walk.walk(rdb, pattern, stop, progress, |e, ttl, at| {
                    each(&mut work, e, ttl, at)
                })
            }))
            .unwrap_or_else(|_| {
                Err(crate::error::Error::Rdb {
                    file: rdb.snapshot().file.clone(),
                    offset: rdb.offset(),
                    detail: "the reader failed here (an internal error, please report it); \
                             this dump's figures stop at this byte"
                        .into(),
                })
            });
            outcomes.push((i, walk.summary(rdb), read));
        }
        (work, outcomes)
    };
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| s.spawn(|| walk_share(share)))
            .collect();
        // A walk that panicked is a bug, not a short report: it goes on up.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut works = Vec::new();
    let mut outcomes = Vec::new();
    for (w, o) in results {
        works.push(w);
        outcomes.extend(o);
    }
    outcomes.sort_by_key(|o| o.0);
    let mut out = Walked {
        read: 0,
        complete: true,
        interrupted: false,
        error: None,
        dumps: Vec::new(),
    };
    for (_, summary, outcome) in outcomes {
        out.read += summary.keys_read;
        match outcome {
            Ok(true) => {}
            // Stopped; or cut off after a stop request: the producer went with the same
            // Ctrl-C (`redis-cli --rdb - | cachectl …`), an interruption rather than damage.
            Ok(false) => {
                out.complete = false;
                out.interrupted = true;
            }
            Err(_) if stop.is_set() => {
                out.complete = false;
                out.interrupted = true;
            }
            Err(e) => {
                out.complete = false;
                if out.error.is_none() {
                    out.error = Some((summary.snapshot.file.clone(), e));
                }
            }
        }
        out.dumps.push(summary);
    }
    (works, out)
}
