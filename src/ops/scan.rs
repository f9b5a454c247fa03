//! The scan loop every keyspace-wide command shares: SCAN each master in batches and run a
//! per-batch job (delete, TYPE/PTTL/MEMORY USAGE, EXPIRE…) on the keys found.
//!
//! The server must never wait for us, and must never be held long by us. One request holds
//! the job for batch N and the SCAN for batch N+1, and its size follows what the server
//! reports it spent on the last ones (TIME before and after), so that none costs more than its
//! share of the latency budget (`Pace`). A round trip on a virtual machine can take longer than
//! such a request, so a standalone server is walked by two chains of requests on two
//! connections, one over the even hash-table buckets and one over the odd: while the server
//! works on one chain's request, the other's is on its way. Masters are scanned concurrently.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
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
const INITIAL_COUNT: u32 = 100;

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
    /// Which of the node's hash-table buckets this walk covers.
    pub part: Part,
    pub cursor: u64,
    pub finished: bool,
    /// Round trips made.
    pub batches: u64,
    /// SCAN COUNT at the end (where the latency budget settled it).
    pub count: u32,
    /// The most one request held the server: by the server's clock (TIME before and after),
    /// or the round trip less the bare network round trip when TIME is refused.
    pub max_batch_ms: f64,
    /// Time spent waiting on round trips; the rest of the scan's time was ours.
    pub waiting_ms: f64,
}

/// The share of a node's hash table one chain of SCANs walks. SCAN visits buckets in
/// reverse-binary order, so from cursor 0 it sees every even bucket before the first odd one
/// (cursor 1); two chains started at 0 and 1 split the table without overlap, except for what
/// the even chain's last SCAN reads past the seam (`Seam`).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    All,
    Even,
    Odd,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::All => "all",
            Part::Even => "even",
            Part::Odd => "odd",
        })
    }
}

impl Part {
    /// Whether a SCAN that returned `next` has walked past this part's end.
    fn ends_at(self, next: u64) -> bool {
        next == 0 || (self == Part::Even && next & 1 == 1)
    }

    /// About how many of a node's `size` keys this part holds.
    fn share(self, size: u64) -> u64 {
        match self {
            Part::All => size,
            Part::Even => size / 2,
            Part::Odd => size - size / 2,
        }
    }

    /// How many of a node's `size` keys a chain at `cursor` has passed. The cursor read
    /// backwards is how far along the table it is.
    fn walked(self, cursor: u64, size: u64) -> u64 {
        let at = cursor.reverse_bits() as f64 / 2f64.powi(64);
        let done = match self {
            Part::All => at,
            Part::Even => at * 2.0,
            Part::Odd => (at - 0.5).max(0.0) * 2.0,
        };
        let share = self.share(size);
        ((done * share as f64) as u64).min(share)
    }
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

/// Scan the masters that can hold keys matching `spec.pattern`, one job per chain of SCANs
/// (one or two per master).
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
    let mut chains = Vec::new();
    for (node, &size) in nodes.iter().zip(&sizes) {
        let resumed: Vec<&NodeCursor> = spec
            .resume
            .iter()
            .filter(|c| c.node == node.addr())
            .collect();
        if !resumed.is_empty() {
            // A resumed walk has lost its seam: the even chain's last batch may repeat a few
            // keys the odd chain saw before the stop, as SCAN itself may.
            let unfinished = resumed.into_iter().filter(|c| !c.finished);
            for (i, c) in unfinished.enumerate() {
                // Each chain on its own socket, as when the walk began.
                let conn = match i {
                    0 => spec.store.clone(),
                    _ => spec
                        .store
                        .another()
                        .await
                        .unwrap_or_else(|_| spec.store.clone()),
                };
                chains.push(Chain::new(conn, node, size, c.part, c.cursor, None));
            }
        } else if let Some(second) = second_chain(spec).await {
            let seam = Arc::new(Seam::default());
            let first = spec.store.clone();
            chains.push(Chain::new(
                first,
                node,
                size,
                Part::Even,
                0,
                Some(seam.clone()),
            ));
            chains.push(Chain::new(second, node, size, Part::Odd, 1, Some(seam)));
        } else {
            chains.push(Chain::new(
                spec.store.clone(),
                node,
                size,
                Part::All,
                0,
                None,
            ));
        }
    }
    // `--rate` is per master: chains on one master share it.
    let per_node: Vec<usize> = chains
        .iter()
        .map(|c| chains.iter().filter(|o| o.node == c.node).count())
        .collect();
    let runs = chains
        .into_iter()
        .zip(per_node)
        .map(|(chain, siblings)| {
            let work = make_work(chain.node);
            let pace = Pace {
                rate: spec.pace.rate.map(|r| r.div_ceil(siblings as u64)),
                ..spec.pace
            };
            scan_chain(spec, chain, pace, work, counters.clone())
        })
        .collect::<Vec<_>>();
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

/// The connection for a standalone server's second chain, when two chains fit: not in a
/// cluster (where a cursor's low bits may name a slot, not a bucket), not under `--rate` (which
/// one chain keeps to anyway), not for batches larger than the seam can hold.
async fn second_chain(spec: &ScanSpec<'_>) -> Option<Store> {
    let fits = match spec.pace.batch {
        BatchSize::Adaptive { .. } => true,
        BatchSize::Fixed(n) => n <= TWO_CHAIN_MAX_COUNT,
    };
    if spec.store.is_cluster() || spec.pace.rate.is_some() || !fits {
        return None;
    }
    // Without a second connection (say, at maxclients) one chain is slower, not wrong.
    spec.store.another().await.ok()
}

/// One chain of SCANs over (part of) one master's hash table.
struct Chain<'a> {
    /// The connection this chain's requests travel on, one request at a time.
    store: Store,
    node: &'a Node,
    size: u64,
    part: Part,
    start: u64,
    seam: Option<Arc<Seam>>,
}

impl<'a> Chain<'a> {
    fn new(
        store: Store,
        node: &'a Node,
        size: u64,
        part: Part,
        start: u64,
        seam: Option<Arc<Seam>>,
    ) -> Self {
        Chain {
            store,
            node,
            size,
            part,
            start,
            seam,
        }
    }
}

/// Largest SCAN COUNT with two chains: the odd chain's first keys are kept until the even
/// chain's last SCAN, which may read that far past the seam, has been answered.
const TWO_CHAIN_MAX_COUNT: u32 = 10_000;
const SEAM_KEYS: usize = 2 * TWO_CHAIN_MAX_COUNT as usize + 5_000;

/// Where the even chain's walk meets the odd chain's start. The even chain's last SCAN reads
/// on past cursor 1 into odd buckets (SCAN stops after COUNT keys, not at a bucket we choose),
/// so its keys are checked against the first keys the odd chain found, which cover at least
/// as far.
#[derive(Default)]
struct Seam {
    first_odd: std::sync::Mutex<HashSet<Vec<u8>>>,
    complete: std::sync::OnceLock<()>,
    ready: tokio::sync::Notify,
}

impl Seam {
    /// The odd chain found `keys`; returns whether it still needs to report more.
    fn record(&self, keys: &[Vec<u8>]) -> bool {
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
    fn close(&self) {
        if self.complete.set(()).is_ok() {
            self.ready.notify_waiters();
        }
    }

    /// The even chain's last keys, less those the odd chain has reported.
    async fn strip(&self, mut keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
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
struct SeamGuard(Option<Arc<Seam>>);

impl Drop for SeamGuard {
    fn drop(&mut self) {
        if let Some(seam) = &self.0 {
            seam.close();
        }
    }
}

async fn scan_chain<W: BatchWork>(
    spec: &ScanSpec<'_>,
    chain: Chain<'_>,
    pace: Pace,
    mut work: W,
    counters: Arc<Counters>,
) -> Result<(W, NodeCursor)> {
    let store = &chain.store;
    let node = chain.node;
    // The bare network round trip, measured only if the server will not time our requests.
    let mut base: Option<Duration> = None;
    let mut governor = Governor::new(pace, chain.part != Part::All);
    let odd_seam = SeamGuard(chain.seam.clone().filter(|_| chain.part == Part::Odd));
    let mut recording = odd_seam.0.is_some();
    let mut max_server = Duration::ZERO;
    let mut waiting = Duration::ZERO;
    let mut cursor = chain.start;
    let mut finished = false;
    let mut scanned_estimate = 0u64;
    // Ask the server to time each request with TIME before and after it, unless it refuses
    // (an ACL without TIME); then the round trip, less the network's, is all we know.
    let mut timed = true;
    let mut pending: Option<Vec<Vec<u8>>> = None;
    // A batch's job replies wait here and are worked through while the next batch is at the
    // server: for inspect and ttl-audit that work is as long as the server's.
    let mut unprocessed: Option<(Vec<Vec<u8>>, Vec<Value>)> = None;
    let mut batches = 0u64;
    loop {
        let scanning = !finished && !spec.stop.is_set();
        let mut pipe = redis::pipe();
        if timed {
            pipe.cmd("TIME");
        }
        let mut job = 0;
        if let Some(keys) = &pending {
            work.before_send(store, node, keys).await?;
            job = work.commands(store, keys, &mut pipe);
        }
        let count = governor.count;
        if scanning {
            pipe.cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(spec.pattern.as_bytes())
                .arg("COUNT")
                .arg(count);
        }
        if timed {
            pipe.cmd("TIME");
        }
        let previous = unprocessed.take();
        if job == 0 && !scanning {
            if let Some((keys, replies)) = previous {
                work.replies(node, keys, replies)?;
                account(&work, &counters, &mut governor).await;
            }
            break;
        }
        let sent = Instant::now();
        let mut round_trip = std::pin::pin!(store.node_pipeline(node, &pipe));
        // Queue the pipeline, then step aside so the connection's task writes it out: on our
        // single-threaded runtime it would otherwise wait until the previous batch's replies
        // have been worked through, and the server would wait with it.
        let early = futures::poll!(round_trip.as_mut());
        tokio::task::yield_now().await;
        if let Some((keys, replies)) = previous {
            work.replies(node, keys, replies)?;
            account(&work, &counters, &mut governor).await;
        }
        let replies = match early {
            Poll::Ready(r) => r,
            Poll::Pending => {
                let wait = Instant::now();
                let r = round_trip.await;
                waiting += wait.elapsed();
                r
            }
        };
        let rtt = sent.elapsed();
        let (mut replies, server) = untime(replies?, &mut timed);
        let server = match server {
            Some(server) => server,
            None => {
                let base = match base {
                    Some(b) => b,
                    None => *base.insert(base_rtt(store, node).await?),
                };
                rtt.saturating_sub(base)
            }
        };
        governor.observe(server, count);
        max_server = max_server.max(server);
        batches += 1;
        let scan_reply = if scanning { replies.pop() } else { None };
        if let Some(keys) = pending.take() {
            unprocessed = Some((keys, replies));
        }
        if let Some(reply) = scan_reply {
            let (next, mut keys): (u64, Vec<Vec<u8>>) = store.value_on(node, reply)?;
            cursor = next;
            finished = chain.part.ends_at(next);
            let estimate = if finished {
                chain.part.share(chain.size)
            } else {
                chain.part.walked(next, chain.size)
            };
            let grew = estimate.saturating_sub(scanned_estimate);
            scanned_estimate = scanned_estimate.max(estimate);
            counters.scanned.fetch_add(grew, Ordering::Relaxed);
            if recording && let Some(seam) = &odd_seam.0 {
                recording = seam.record(&keys) && !finished;
            }
            if finished
                && chain.part == Part::Even
                && let Some(seam) = &chain.seam
            {
                keys = seam.strip(keys).await;
            }
            let n_found = keys.len() as u64;
            let admitted = work.admit(keys);
            counters.matched.fetch_add(n_found, Ordering::Relaxed);
            if !admitted.is_empty() {
                pending = Some(admitted);
            }
        }
        spec.progress.update(&counters.snapshot());
    }
    drop(odd_seam);
    Ok((
        work,
        NodeCursor {
            node: node.addr().to_string(),
            part: chain.part,
            cursor: if finished { 0 } else { cursor },
            finished,
            batches,
            count: governor.count,
            max_batch_ms: max_server.as_secs_f64() * 1000.0,
            waiting_ms: waiting.as_secs_f64() * 1000.0,
        },
    ))
}

/// The replies without the TIME brackets, and how long the request held the server (the
/// difference of the two TIMEs) when it was timed.
fn untime(mut replies: Vec<Value>, timed: &mut bool) -> (Vec<Value>, Option<Duration>) {
    if !*timed || replies.len() < 2 {
        return (replies, None);
    }
    let after = replies.pop().unwrap_or(Value::Nil);
    let before = replies.remove(0);
    match (server_time(&before), server_time(&after)) {
        (Some(a), Some(b)) => (replies, Some(b.saturating_sub(a))),
        // Refused (an ACL without TIME): the commands' own replies still stand.
        _ => {
            *timed = false;
            (replies, None)
        }
    }
}

/// A TIME reply as a duration since the epoch.
fn server_time(v: &Value) -> Option<Duration> {
    let Value::Array(parts) = v else {
        return None;
    };
    let [secs, micros] = parts.as_slice() else {
        return None;
    };
    let secs: u64 = redis::from_redis_value_ref(secs).ok()?;
    let micros: u64 = redis::from_redis_value_ref(micros).ok()?;
    Some(Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// Count what a batch's job did, and keep to `--rate`.
async fn account<W: BatchWork>(work: &W, counters: &Counters, governor: &mut Governor) {
    counters.done.fetch_add(work.acted(), Ordering::Relaxed);
    if let Some(pause) = governor.acted(work.acted()) {
        tokio::time::sleep(pause).await;
    }
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

/// Sizes batches so that no request of ours holds the server longer than its share of the
/// budget, and keeps to `--rate`.
struct Governor {
    count: u32,
    max_count: u32,
    share: f64,
    adaptive: Option<Duration>,
    /// Server seconds per unit of SCAN COUNT, smoothed.
    unit: f64,
    rate: Option<u64>,
    started: Instant,
    acted: u64,
}

/// A request's share of the budget, as TIME measures it. TIME brackets the commands, not the
/// reading of the request and the writing of its replies, which for a pipelined batch cost
/// about as much again; and a bystander who arrives during one of our requests may find the
/// other chain's next request ahead of it too. Measured on 1M keys: at 0.2 a bystander's p99
/// stays under the budget, at 0.3 it often does not.
const BUDGET_SHARE: f64 = 0.2;
/// With one chain per server (a cluster's masters), nothing of ours waits behind a request.
const ONE_CHAIN_BUDGET_SHARE: f64 = 0.35;

impl Governor {
    fn new(pace: Pace, two_chains: bool) -> Self {
        let max_count = if two_chains {
            TWO_CHAIN_MAX_COUNT
        } else {
            MAX_COUNT
        };
        let (count, adaptive) = match pace.batch {
            BatchSize::Adaptive { budget } => (INITIAL_COUNT, Some(budget)),
            BatchSize::Fixed(n) => (n.clamp(1, max_count), None),
        };
        Governor {
            count,
            max_count,
            share: if two_chains {
                BUDGET_SHARE
            } else {
                ONE_CHAIN_BUDGET_SHARE
            },
            adaptive,
            unit: 0.0,
            rate: pace.rate,
            started: Instant::now(),
            acted: 0,
        }
    }

    /// Learn from a request made with SCAN COUNT `count` that held the server for `server`
    /// (the job in it was for the batch before, of about the same size); resize.
    fn observe(&mut self, server: Duration, count: u32) {
        let Some(budget) = self.adaptive else {
            return;
        };
        let unit = server.as_secs_f64() / f64::from(count.max(1));
        // Smoothed, so that one slow request (a big key, a busy moment) does not halve the
        // batches on its own.
        self.unit = if self.unit == 0.0 {
            unit
        } else {
            0.7 * self.unit + 0.3 * unit
        };
        let ideal = budget.as_secs_f64() * self.share / self.unit.max(1e-9);
        let now = f64::from(self.count);
        self.count = (ideal.clamp(now * 0.5, now * 2.0) as u32).clamp(MIN_COUNT, self.max_count);
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
        assert_eq!(Part::All.walked(0, 1000), 0);
        // Top bit of the reversed cursor set: half the table walked.
        assert_eq!(Part::All.walked(1, 1000), 500);
        assert_eq!(Part::All.walked(3, 1000), 750);
        // Each half of the table is a chain's whole.
        assert_eq!(Part::Even.walked(2, 1000), 250);
        assert_eq!(Part::Odd.walked(1, 1000), 0);
        assert_eq!(Part::Odd.walked(3, 1000), 250);
    }

    #[test]
    fn parts_end_where_the_next_begins() {
        assert!(!Part::Even.ends_at(2));
        assert!(Part::Even.ends_at(1));
        assert!(Part::Even.ends_at(5));
        assert!(Part::Even.ends_at(0));
        assert!(!Part::Odd.ends_at(5));
        assert!(Part::Odd.ends_at(0));
        assert!(!Part::All.ends_at(1));
    }

    #[test]
    fn governor_grows_and_shrinks_smoothly() {
        let mut g = Governor::new(Pace::default(), true);
        assert_eq!(g.count, INITIAL_COUNT);
        // 0.5 µs a unit leaves room for 400 in 0.2 ms; it at most doubles per request.
        g.observe(Duration::from_micros(50), 100);
        assert_eq!(g.count, 200);
        g.observe(Duration::from_micros(100), 200);
        assert_eq!(g.count, 400);
        g.observe(Duration::from_micros(200), 400);
        assert_eq!(g.count, 400);
        // A request ten times as slow: smoothed to 1.85 µs a unit, not 5.
        g.observe(Duration::from_micros(2000), 400);
        assert_eq!(g.count, 200);
        g.observe(Duration::from_micros(1000), 200);
        assert_eq!(g.count, 100);
        let mut fixed = Governor::new(
            Pace {
                batch: BatchSize::Fixed(50_000),
                rate: None,
            },
            true,
        );
        assert_eq!(fixed.count, TWO_CHAIN_MAX_COUNT);
        fixed.observe(Duration::from_secs(1), 500);
        assert_eq!(fixed.count, TWO_CHAIN_MAX_COUNT);
    }

    #[test]
    fn time_replies() {
        let t = Value::Array(vec![
            Value::BulkString(b"1700000000".to_vec()),
            Value::BulkString(b"250".to_vec()),
        ]);
        assert_eq!(
            server_time(&t),
            Some(Duration::from_secs(1_700_000_000) + Duration::from_micros(250))
        );
        assert_eq!(server_time(&Value::Nil), None);
    }
}
