//! The scan loop every keyspace-wide command shares: SCAN each master in batches and run a
//! per-batch job (delete, TYPE/PTTL/MEMORY USAGE, EXPIRE…) on the keys found.
//!
//! The server must never wait for us, and must never be held long by us. So the job for batch N
//! travels in the same pipeline as the SCAN for batch N+1, one round trip per batch; and the
//! batch size follows the round trips we observe, so that one pipeline costs the server at
//! most the latency budget (`Pace`). Masters are scanned concurrently.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::progress::{ProgressSink, ProgressUpdate};
use crate::stop::Stop;
use crate::store::{Node, Store};

const MIN_COUNT: u32 = 10;
const MAX_COUNT: u32 = 100_000;
const INITIAL_COUNT: u32 = 1000;

/// How large each batch is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchSize {
    /// Grow or shrink SCAN COUNT so one round trip holds the server at most this long.
    Adaptive { budget: Duration },
    /// A fixed SCAN COUNT.
    Fixed(u32),
}

impl Default for BatchSize {
    fn default() -> Self {
        BatchSize::Adaptive {
            budget: Duration::from_millis(1),
        }
    }
}

/// How hard a scan may push the server.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pace {
    pub batch: BatchSize,
    /// At most this many keys acted on per second (deleted, expired…), per master.
    pub rate: Option<u64>,
}

/// The per-batch job of a scan. One instance per master; results are merged by the caller.
pub trait BatchWork: Send {
    /// Sees every key SCAN returned; returns the keys that need commands. Filtering and
    /// counting happen here.
    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>>;

    /// Runs just before the batch's commands are sent (backups, audit logs). The default does
    /// nothing.
    fn before_send(
        &mut self,
        _store: &Store,
        _node: &Node,
        _keys: &[Vec<u8>],
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// Appends the commands for `keys` to `pipe`; returns how many it added.
    fn commands(&mut self, store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize;

    /// The replies to those commands, in order.
    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()>;

    /// How many keys the last `replies` acted on (for `--rate` and progress).
    fn acted(&self) -> u64;
}

/// Where a master's scan stopped (a new scan can start from here), and how it went.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NodeCursor {
    pub node: String,
    pub cursor: u64,
    pub finished: bool,
    /// Round trips made.
    pub batches: u64,
    /// SCAN COUNT at the end (where the latency budget settled it).
    pub count: u32,
    /// Longest round trip, minus the bare network round trip: the most the server was held.
    pub max_batch_ms: f64,
    /// Time spent waiting on round trips; the rest of the scan's time was ours.
    pub waiting_ms: f64,
}

/// Counters shared by the masters' scans, for progress reporting.
#[derive(Default)]
pub struct Counters {
    pub scanned: AtomicU64,
    pub matched: AtomicU64,
    pub done: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> ProgressUpdate {
        ProgressUpdate {
            scanned: self.scanned.load(Ordering::Relaxed),
            matched: self.matched.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
        }
    }
}

/// What a scan over the chosen masters needs besides its job.
pub struct ScanSpec<'a> {
    pub store: &'a Store,
    pub pattern: &'a Glob,
    pub pace: Pace,
    pub stop: &'a Stop,
    pub progress: &'a dyn ProgressSink,
    /// Start each named master from this cursor instead of 0.
    pub resume: &'a [NodeCursor],
}

/// The result of scanning every relevant master.
pub struct ScanOutcome<W> {
    pub work: Vec<W>,
    pub cursors: Vec<NodeCursor>,
    /// The counters when the scan ended.
    pub totals: ProgressUpdate,
    pub elapsed: Duration,
}

impl<W> ScanOutcome<W> {
    /// True when a stop request ended the scan before every master was walked.
    pub fn interrupted(&self) -> bool {
        self.cursors.iter().any(|c| !c.finished)
    }
}

/// Scan the masters that can hold keys matching `spec.pattern`, one job per master.
pub async fn scan<W, F>(spec: &ScanSpec<'_>, label: &str, make_work: F) -> Result<ScanOutcome<W>>
where
    W: BatchWork,
    F: Fn(&Node) -> W,
{
    let started = Instant::now();
    let nodes = spec.store.nodes_for(spec.pattern).await?;
    let mut sizes = Vec::with_capacity(nodes.len());
    for node in &nodes {
        sizes.push(spec.store.dbsize(node).await?);
    }
    let keyspace: u64 = sizes.iter().sum();
    spec.progress.begin(label, Some(keyspace));
    let counters = Arc::new(Counters::default());
    let mut runs = Vec::new();
    for (node, &size) in nodes.iter().zip(&sizes) {
        let resumed = spec.resume.iter().find(|c| c.node == node.addr());
        if resumed.is_some_and(|c| c.finished) {
            continue;
        }
        let start = resumed.map_or(0, |c| c.cursor);
        runs.push(scan_node(
            spec,
            node,
            size,
            start,
            make_work(node),
            counters.clone(),
        ));
    }
    let results = futures::future::join_all(runs).await;
    spec.progress.end();
    let mut work = Vec::with_capacity(results.len());
    let mut cursors = Vec::with_capacity(results.len());
    for r in results {
        let (w, c) = r?;
        work.push(w);
        cursors.push(c);
    }
    Ok(ScanOutcome {
        work,
        cursors,
        totals: counters.snapshot(),
        elapsed: started.elapsed(),
    })
}

async fn scan_node<W: BatchWork>(
    spec: &ScanSpec<'_>,
    node: &Node,
    size: u64,
    start: u64,
    mut work: W,
    counters: Arc<Counters>,
) -> Result<(W, NodeCursor)> {
    let store = spec.store;
    let mut governor = Governor::new(spec.pace, base_rtt(store, node).await?);
    let mut max_server = Duration::ZERO;
    let mut waiting = Duration::ZERO;
    let mut cursor = start;
    let mut finished = false;
    let mut scanned_estimate = 0u64;
    let mut pending: Option<Vec<Vec<u8>>> = None;
    // A batch's job replies wait here and are worked through while the next batch is at the
    // server: for inspect and ttl-audit that work is as long as the server's, and doing it
    // between round trips left the server idle half the time.
    let mut unprocessed: Option<(Vec<Vec<u8>>, Vec<Value>)> = None;
    let mut batches = 0u64;
    loop {
        let scanning = !finished && !spec.stop.is_set();
        let mut pipe = redis::pipe();
        let mut job = 0;
        if let Some(keys) = &pending {
            work.before_send(store, node, keys).await?;
            job = work.commands(store, keys, &mut pipe);
        }
        if scanning {
            pipe.cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(spec.pattern.as_bytes())
                .arg("COUNT")
                .arg(governor.count);
        }
        let previous = unprocessed.take();
        if job == 0 && !scanning {
            if let Some((keys, replies)) = previous {
                work.replies(node, keys, replies)?;
                account(&work, &counters, &mut governor).await;
            }
            break;
        }
        let round_trip = async {
            let sent = Instant::now();
            let replies = store.node_pipeline(node, &pipe).await;
            (replies, sent.elapsed())
        };
        let had_previous = previous.is_some();
        let process = async {
            match previous {
                Some((keys, replies)) => work.replies(node, keys, replies),
                None => Ok(()),
            }
        };
        // join! polls the round trip first, so the pipeline is on its way before the work.
        let ((replies, rtt), processed) = futures::join!(round_trip, process);
        processed?;
        if had_previous {
            account(&work, &counters, &mut governor).await;
        }
        let mut replies = replies?;
        governor.observe(rtt);
        max_server = max_server.max(rtt.saturating_sub(governor.base));
        waiting += rtt;
        batches += 1;
        let scan_reply = if scanning { replies.pop() } else { None };
        if let Some(keys) = pending.take() {
            unprocessed = Some((keys, replies));
        }
        if let Some(reply) = scan_reply {
            let (next, keys): (u64, Vec<Vec<u8>>) = store.value_on(node, reply)?;
            cursor = next;
            finished = next == 0;
            let estimate = if finished { size } else { walked(next, size) };
            let grew = estimate.saturating_sub(scanned_estimate);
            scanned_estimate = scanned_estimate.max(estimate);
            counters.scanned.fetch_add(grew, Ordering::Relaxed);
            let n_found = keys.len() as u64;
            let admitted = work.admit(keys);
            counters.matched.fetch_add(n_found, Ordering::Relaxed);
            if !admitted.is_empty() {
                pending = Some(admitted);
            }
        }
        spec.progress.update(&counters.snapshot());
    }
    Ok((
        work,
        NodeCursor {
            node: node.addr().to_string(),
            cursor: if finished { 0 } else { cursor },
            finished,
            batches,
            count: governor.count,
            max_batch_ms: max_server.as_secs_f64() * 1000.0,
            waiting_ms: waiting.as_secs_f64() * 1000.0,
        },
    ))
}

/// Count what a batch's job did, and keep to `--rate`.
async fn account<W: BatchWork>(work: &W, counters: &Counters, governor: &mut Governor) {
    counters.done.fetch_add(work.acted(), Ordering::Relaxed);
    if let Some(pause) = governor.acted(work.acted()) {
        tokio::time::sleep(pause).await;
    }
}

/// How many of a node's `size` keys a SCAN cursor has passed. The server walks its hash table
/// in reverse-binary bucket order, so the cursor read backwards is how far along it is.
fn walked(cursor: u64, size: u64) -> u64 {
    let done = cursor.reverse_bits() as f64 / 2f64.powi(64);
    ((done * size as f64) as u64).min(size)
}

/// The round trip of a command that costs the server nothing: what is left of a batch's round
/// trip after subtracting it is the server's own time.
async fn base_rtt(store: &Store, node: &Node) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let mut pipe = redis::pipe();
        pipe.cmd("PING");
        let t = Instant::now();
        store.node_pipeline(node, &pipe).await?;
        best = best.min(t.elapsed());
    }
    Ok(best)
}

struct Governor {
    count: u32,
    adaptive: Option<Duration>,
    base: Duration,
    rate: Option<u64>,
    started: Instant,
    acted: u64,
}

impl Governor {
    fn new(pace: Pace, base: Duration) -> Self {
        let (count, adaptive) = match pace.batch {
            BatchSize::Adaptive { budget } => (INITIAL_COUNT, Some(budget)),
            BatchSize::Fixed(n) => (n.clamp(1, u32::MAX), None),
        };
        Governor {
            count,
            adaptive,
            base,
            rate: pace.rate,
            started: Instant::now(),
            acted: 0,
        }
    }

    fn observe(&mut self, rtt: Duration) {
        let Some(budget) = self.adaptive else {
            return;
        };
        // Aim below the budget: the server's time varies from batch to batch, and the bystander
        // who arrives just after our pipeline waits for all of it.
        let target = budget.as_secs_f64() * 0.75;
        let server = rtt.saturating_sub(self.base).as_secs_f64().max(1e-6);
        let factor = (target / server).clamp(0.5, 2.0);
        let next = (self.count as f64 * factor) as u32;
        self.count = next.clamp(MIN_COUNT, MAX_COUNT);
    }

    /// Count keys acted on; returns how long to pause to keep to `--rate`.
    fn acted(&mut self, n: u64) -> Option<Duration> {
        self.acted += n;
        let rate = self.rate.filter(|r| *r > 0)?;
        let due = Duration::from_secs_f64(self.acted as f64 / rate as f64);
        due.checked_sub(self.started.elapsed())
    }
}

/// Turn a `Value::ServerError` in a batch's replies into an error naming the node.
pub fn check_reply(node: &Node, v: &Value) -> Result<()> {
    if let Value::ServerError(e) = v {
        return Err(Error::redis(node.addr(), e.clone().into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_progress() {
        assert_eq!(walked(0, 1000), 0);
        // Top bit of the reversed cursor set: half the table walked.
        assert_eq!(walked(1, 1000), 500);
        assert_eq!(walked(3, 1000), 750);
    }

    #[test]
    fn governor_grows_and_shrinks() {
        let pace = Pace::default();
        let mut g = Governor::new(pace, Duration::from_micros(50));
        g.observe(Duration::from_micros(150));
        assert_eq!(g.count, 2000);
        g.observe(Duration::from_millis(5));
        assert_eq!(g.count, 1000);
        let mut fixed = Governor::new(
            Pace {
                batch: BatchSize::Fixed(500),
                rate: None,
            },
            Duration::ZERO,
        );
        fixed.observe(Duration::from_secs(1));
        assert_eq!(fixed.count, 500);
    }
}
