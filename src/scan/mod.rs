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

mod chain;
mod governor;
mod recent;
pub mod replicas;
mod seam;
pub mod select;
pub mod topology;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};
use serde::{Deserialize, Serialize};

use self::chain::{Chain, scan_chain, second_chain};
use self::seam::Seam;
use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::progress::{ProgressSink, ProgressUpdate};
use crate::stop::Stop;
use crate::store::{Node, SlotMap, Store};

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

/// How hard a scan may push the server, and how long it keeps trying through faults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    pub batch: BatchSize,
    /// At most this many keys acted on per second (deleted, expired…), per master.
    pub rate: Option<u64>,
    /// Transient faults (a dropped connection, a timeout, LOADING…) retried in a row, with
    /// backoff and a new connection, before a chain gives up.
    pub retries: u32,
    /// SCAN a replica of each master, and send only the commands for the keys found to the
    /// master (`--scan-replica`).
    pub scan_replica: bool,
    /// Only keys of this type (`SCAN … TYPE`, where the server has it).
    pub only_type: Option<KeyType>,
    /// Only keys that are what these filters say (no TTL, idle, large…), checked per page.
    pub select: select::Select,
}

/// A Redis data type, as `SCAN … TYPE` and `TYPE` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    String,
    List,
    Set,
    Zset,
    Hash,
    Stream,
}

impl KeyType {
    pub const ALL: [KeyType; 6] = [
        KeyType::String,
        KeyType::List,
        KeyType::Set,
        KeyType::Zset,
        KeyType::Hash,
        KeyType::Stream,
    ];

    /// The type `TYPE` calls `name`.
    pub fn named(name: &str) -> Option<KeyType> {
        KeyType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::List => "list",
            KeyType::Set => "set",
            KeyType::Zset => "zset",
            KeyType::Hash => "hash",
            KeyType::Stream => "stream",
        }
    }
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            batch: BatchSize::default(),
            rate: None,
            retries: 5,
            scan_replica: false,
            only_type: None,
            select: select::Select::default(),
        }
    }
}

/// The per-batch job of a scan. One instance per master; results are merged by the caller.
/// The largest fixed SCAN COUNT (`--count`): one request of more holds the server for
/// milliseconds on a large keyspace, past any latency budget. A larger one is capped (and the
/// binary says so).
pub const MAX_FIXED_COUNT: u32 = 10_000;

pub trait BatchWork: Send {
    /// The gate's leave for the commands this job adds to a batch, when they change the
    /// server (a sweep's UNLINKs, a fix's EXPIREs); none for a job that only reads.
    fn permit(&self) -> Option<&crate::guard::Permit> {
        None
    }

    /// Sees every key SCAN returned; returns the keys that need commands. Filtering and
    /// counting happen here.
    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>>;

    /// Whether the job counts keys (inspect, ttl-audit, backup), so that SCAN's repeats must
    /// be dropped before `admit`. A sweep's repeat costs only an UNLINK that finds nothing.
    fn counts_keys(&self) -> bool {
        false
    }

    /// Whether `admit` holds keys back now.
    fn holding(&self) -> bool {
        false
    }

    /// Why the job can do no more, when it cannot (its permit's budget turned keys away):
    /// the walk stops scanning, sends what it holds, and ends with this as its fault, its
    /// cursor kept.
    fn halted(&self) -> Option<String> {
        None
    }

    /// Keys `admit` held back to send with a larger batch, asked for when the walk ends (or
    /// stops): they go out with the last batch. The default holds none.
    fn held(&mut self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// Runs once per batch, before its commands are first sent (backups, plans, budgets): a
    /// batch sent again after its reply was lost is not prepared again. An error leaves the
    /// batch unprepared (and unsent), so it must leave nothing half-done. The default does
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

    /// Sends again, key by key and to wherever each key lives now, the commands the last
    /// batch's replies refused for the moment or redirected (`store::worth_resending`): the
    /// cluster client follows a redirection for one command, not inside a pipeline. Runs
    /// after `replies`; what it does counts with that batch. The default has nothing to send.
    fn follow_up(
        &mut self,
        _store: &Store,
        _retries: u32,
        _stop: &Stop,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// The node restarted and its walk starts over: forget what was counted of keys that
    /// will be seen again (kept: what was done to keys that are gone, and the `carried` keys
    /// admitted whose fate is counted apart: batches in flight, unconfirmed ones). The default
    /// keeps all.
    fn restarted(&mut self, _carried: u64) {}

    /// Keys the pattern matched that the walk's filters did not select (`Pace::select`).
    fn passed_over(&mut self, _n: u64) {}

    /// How many keys the last `replies` acted on (for `--rate` and progress).
    fn acted(&self) -> u64;

    /// How many of the pending batch's keys its commands act on, at most (what `acted` can
    /// reach): for a batch sent again after a lost reply, what it could not confirm is this
    /// less what the second sending acted on. The default: every key.
    fn acting_on(&self, keys: &[Vec<u8>]) -> u64 {
        keys.len() as u64
    }

    /// What the job has counted so far, for a checkpoint to carry into a later run that goes
    /// on from this chain's cursor (`inspect`, `ttl-audit`). The default: nothing to carry (a
    /// sweep reports only what it did itself).
    fn figures(&self) -> Option<serde_json::Value> {
        None
    }

    /// Go on from the figures an earlier run saved with this chain's cursor.
    fn resume(&mut self, _figures: serde_json::Value) -> Result<()> {
        Ok(())
    }
}

/// Where a master's scan stopped (a new scan can start from here), and how it went.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NodeCursor {
    pub node: String,
    /// Which node and process the cursor belongs to: a cursor walks one process's hash table,
    /// so it is continued only where all three still match (what is known of them).
    #[serde(flatten)]
    pub identity: NodeIdentity,
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
    /// Transient faults retried on a new connection.
    pub retries: u32,
    /// Keys of batches whose replies were lost with a connection and that were gone when the
    /// batch was sent again: deleted by the lost request, or by someone else meanwhile.
    pub unconfirmed: u64,
    /// Time spent waiting on round trips; the rest of the scan's time was ours.
    pub waiting_ms: f64,
    /// In a checkpoint: what the job had counted of the keys before `cursor` (`BatchWork::
    /// figures`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<serde_json::Value>,
}

/// Who a master is: its cluster node id and config epoch (a failover or a slot moved changes
/// them), and the server process (`run_id`; a restart changes it).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

impl NodeCursor {
    /// A chain's position, without the figures of a walk.
    pub fn at(node: &str, identity: NodeIdentity, part: Part, cursor: u64, finished: bool) -> Self {
        NodeCursor {
            node: node.to_string(),
            identity,
            part,
            cursor,
            finished,
            batches: 0,
            count: 0,
            max_batch_ms: 0.0,
            retries: 0,
            unconfirmed: 0,
            waiting_ms: 0.0,
            figures: None,
        }
    }
}

impl NodeIdentity {
    /// Whether a cursor taken on `self` may go on on `now`: nothing known differs.
    pub fn same_as(&self, now: &NodeIdentity) -> bool {
        fn agree<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
        }
        agree(&self.node_id, &now.node_id)
            && agree(&self.epoch, &now.epoch)
            && agree(&self.run_id, &now.run_id)
    }
}

/// The share of a node's hash table one chain of SCANs walks. SCAN visits buckets in
/// reverse-binary order, so from cursor 0 it sees every even bucket before the first odd one
/// (cursor 1); two chains started at 0 and 1 split the table without overlap, except for what
/// the even chain's last SCAN reads past the seam (`Seam`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
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
    /// The cursor a walk of this part starts from on a server that has seen none of it.
    fn first_cursor(self) -> u64 {
        match self {
            Part::Odd => 1,
            Part::All | Part::Even => 0,
        }
    }

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
        let matched = self.matched.load(Ordering::Relaxed);
        ProgressUpdate {
            // Walked keys are estimated from the cursors, which early in a large table (or
            // in a keyspace that grew) put fewer than were matched: those are a floor.
            scanned: self.scanned.load(Ordering::Relaxed).max(matched),
            matched,
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
    /// Start each named master from this cursor instead of 0, if it is still the same node
    /// and process.
    pub resume: &'a [NodeCursor],
    /// Scan only the masters at these addresses (a later pass of a cluster sweep).
    pub only: Option<&'a [String]>,
    /// Told, after each batch, the cursor from which a later walk misses nothing.
    pub checkpoint: Option<&'a dyn CursorSink>,
}

/// Where progress is kept for a later run (`--checkpoint`).
pub trait CursorSink: Send + Sync {
    /// A chain's cursor from which a walk would miss nothing (with `finished` once it is done),
    /// and the job's figures of the keys before it, which the sink asks for when it keeps them
    /// (they can cost more than a cursor to copy); `last`: the chain's final word.
    fn record(
        &self,
        cursor: &NodeCursor,
        figures: &dyn Fn() -> Option<serde_json::Value>,
        last: bool,
    );

    /// What was kept of `node` no longer holds (another process answers there now, or it is
    /// no longer a master): forget it, figures and all.
    fn forget(&self, node: &str);
}

impl<'a> ScanSpec<'a> {
    /// A scan from the start of every master's keyspace.
    pub fn new(
        store: &'a Store,
        pattern: &'a Glob,
        pace: Pace,
        stop: &'a Stop,
        progress: &'a dyn ProgressSink,
    ) -> Self {
        ScanSpec {
            store,
            pattern,
            pace,
            stop,
            progress,
            resume: &[],
            only: None,
            checkpoint: None,
        }
    }
}

/// The result of scanning every relevant master.
pub struct ScanOutcome<W> {
    /// Every chain's job, also those that ended on an error: what they did stays counted.
    pub work: Vec<W>,
    pub cursors: Vec<NodeCursor>,
    /// The chains that ended on an error, first error each.
    pub faults: Vec<Fault>,
    /// On a cluster: the slot map was not the same after the scan as before it (a failover, a
    /// slot migration), or not settled, so keys may have moved behind a cursor. Also reported
    /// as a fault.
    pub map_changed: bool,
    /// On a cluster: the slot map before the scan and after it.
    pub maps: Option<(SlotMap, SlotMap)>,
    /// The counters when the scan ended.
    pub totals: ProgressUpdate,
    pub elapsed: Duration,
}

/// Ask again, key by key and routed by slot, about the keys a batch's reply refused for a moment
/// (a job's `again`, in its `follow_up`): `questions` are the reads for one key, the same
/// number for each. Each key with its replies, in order; the first error ends it.
pub async fn ask_again(
    store: &Store,
    keys: Vec<Vec<u8>>,
    questions: impl Fn(&[u8]) -> Vec<redis::Cmd>,
    retries: u32,
    stop: &Stop,
) -> Result<Vec<(Vec<u8>, Vec<Value>)>> {
    let asked: Vec<Vec<redis::Cmd>> = keys.iter().map(|k| questions(k)).collect();
    let per_key: Vec<usize> = asked.iter().map(Vec::len).collect();
    let replies = store
        .routed_each(asked.into_iter().flatten().collect(), retries, stop)
        .await;
    let mut replies = replies.into_iter();
    let mut out = Vec::with_capacity(keys.len());
    for (key, n) in keys.into_iter().zip(per_key) {
        let answers = replies.by_ref().take(n).collect::<Result<Vec<Value>>>()?;
        out.push((key, answers));
    }
    Ok(out)
}

/// How a walk over keys ended, live or through dumps: the core every report of a walk shares
/// (inspect, ttl-audit), before each adds its own figures.
#[derive(Clone, Debug)]
pub struct WalkEnd {
    pub scanned: u64,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    pub complete: bool,
    /// The first fault (a node, or a dump file).
    pub error: Option<Fault>,
}

impl<W> ScanOutcome<W> {
    /// How this scan ended.
    pub fn end(&self) -> WalkEnd {
        WalkEnd {
            scanned: self.totals.scanned,
            elapsed_ms: self.elapsed.as_millis() as u64,
            interrupted: self.interrupted(),
            complete: self.complete(),
            error: self.first_fault(),
        }
    }
}

/// Why a chain of a scan ended before its part of the keyspace was walked.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Fault {
    pub node: String,
    pub error: String,
}

impl Fault {
    /// `error` at `node`, said once: most errors name their address already, and a report
    /// prints `node: error` (`127.0.0.1:6379: 127.0.0.1:6379: timed out` otherwise).
    pub fn at(node: &str, error: &impl std::fmt::Display) -> Fault {
        let text = error.to_string();
        let error = match text.strip_prefix(node).and_then(|r| r.strip_prefix(": ")) {
            Some(rest) => rest.to_string(),
            None => text,
        };
        Fault {
            node: node.to_string(),
            error,
        }
    }
}

impl<W> ScanOutcome<W> {
    /// True when a stop request ended the scan before every master was walked.
    pub fn interrupted(&self) -> bool {
        self.faults.is_empty() && self.cursors.iter().any(|c| !c.finished)
    }

    /// Every chain walked its part to the end.
    pub fn complete(&self) -> bool {
        self.faults.is_empty() && self.cursors.iter().all(|c| c.finished)
    }

    /// The first fault, for a report's `error`.
    pub fn first_fault(&self) -> Option<Fault> {
        self.faults.first().cloned()
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
    // On a cluster, who serves which slots before and after: a cursor belongs to one node's
    // table, so a scan under a changing slot map may have missed keys, and says so.
    let cluster = spec.store.is_cluster();
    let map_before = if cluster {
        spec.store.topology().await.ok()
    } else {
        None
    };
    let mut nodes = spec.store.nodes_for(spec.pattern).await?;
    if let Some(only) = spec.only {
        nodes.retain(|n| only.iter().any(|a| a == n.addr()));
    }
    if let (Some(kind), Some(node)) = (spec.pace.only_type, nodes.first()) {
        scan_type_known(spec.store, node, kind).await?;
    }
    let surveyed = survey(spec, &nodes, map_before.as_ref()).await?;
    let keyspace: u64 = surveyed.iter().map(|n| n.size).sum();
    spec.progress.begin(label, Some(keyspace));
    let counters = Arc::new(Counters::default());
    let mut chains = Vec::new();
    // Chains an earlier run finished, whose figures count in this run's report.
    let mut walked_before = Vec::new();
    if let Some(sink) = spec.checkpoint
        && spec.only.is_none()
    {
        // Saved for a node that is not a master here now: its keys are walked where they are.
        for c in spec.resume {
            if !nodes.iter().any(|n| n.addr() == c.node) {
                sink.forget(&c.node);
            }
        }
    }
    for (node, surveyed) in nodes.iter().zip(&surveyed) {
        chains.extend(chains_for(spec, node, surveyed, &mut walked_before).await);
    }
    // `--rate` is per master: chains on one master share it.
    let per_node: Vec<usize> = chains
        .iter()
        .map(|c| chains.iter().filter(|o| o.node == c.node).count())
        .collect();
    // Each chain's job, carrying on from what an earlier run counted before its cursor.
    let resumed_work = |node: &Node, figures: Option<serde_json::Value>| -> Result<W> {
        let mut work = make_work(node);
        if let Some(f) = figures {
            work.resume(f)?;
        }
        Ok(work)
    };
    let mut runs = Vec::with_capacity(chains.len());
    for (mut chain, siblings) in chains.into_iter().zip(per_node) {
        let work = resumed_work(chain.node, chain.carried.take())?;
        let pace = Pace {
            rate: spec.pace.rate.map(|r| r.div_ceil(siblings as u64)),
            ..spec.pace
        };
        runs.push(scan_chain(spec, chain, pace, work, counters.clone()));
    }
    let mut work = Vec::with_capacity(runs.len() + walked_before.len());
    let mut cursors = Vec::with_capacity(runs.len() + walked_before.len());
    for (node, c) in walked_before {
        work.push(resumed_work(node, c.figures.clone())?);
        cursors.push(NodeCursor { figures: None, ..c });
    }
    let results = futures::future::join_all(runs).await;
    spec.progress.end();
    let mut faults = Vec::new();
    for (w, c, fault) in results {
        if let Some(e) = fault {
            faults.push(Fault::at(&c.node, &e));
        }
        work.push(w);
        cursors.push(c);
    }
    let (map_changed, maps) = match cluster {
        true => map_changes(spec.store, map_before, &mut faults).await,
        false => (false, None),
    };
    Ok(ScanOutcome {
        work,
        cursors,
        faults,
        map_changed,
        maps,
        totals: counters.snapshot(),
        elapsed: started.elapsed(),
    })
}

/// What a walk needs to know of a master before it starts.
struct Surveyed {
    size: u64,
    identity: NodeIdentity,
    replica: Option<replicas::Replica>,
}

/// Each master's size, identity (the process whose table a cursor walks: the replica's, when
/// the SCANs go there) and replica.
async fn survey(
    spec: &ScanSpec<'_>,
    nodes: &[Node],
    map: Option<&crate::store::SlotMap>,
) -> Result<Vec<Surveyed>> {
    let mut surveyed = Vec::with_capacity(nodes.len());
    for node in nodes {
        let size = spec.store.dbsize(node).await?;
        let master = map.and_then(|m| m.master_at(node.addr()));
        let replica = match spec.pace.scan_replica {
            true => Some(replicas::replica_for(spec.store, node, spec.stop).await?),
            false => None,
        };
        let run_id = match &replica {
            Some(r) => r.store.run_id(&r.node).await,
            None => spec.store.run_id(node).await,
        };
        let identity = NodeIdentity {
            node_id: master.map(|m| m.id.clone()),
            epoch: master.map(|m| m.epoch).filter(|&e| e > 0),
            run_id,
        };
        surveyed.push(Surveyed {
            size,
            identity,
            replica,
        });
    }
    Ok(surveyed)
}

/// The chains that walk `node`: those a checkpoint left unfinished, or two (even and odd
/// buckets, on two sockets) where they fit, or one. Chains an earlier run finished go to
/// `walked_before`, their figures counted in this run's report.
async fn chains_for<'a>(
    spec: &ScanSpec<'_>,
    node: &'a Node,
    surveyed: &'a Surveyed,
    walked_before: &mut Vec<(&'a Node, NodeCursor)>,
) -> Vec<Chain<'a>> {
    let (size, identity) = (surveyed.size, &surveyed.identity);
    // Each chain SCANs on its own socket to the replica, as to the master.
    let scan_on = async |first: bool| match &surveyed.replica {
        Some(r) if first => Some((r.store.clone(), r.node.clone())),
        Some(r) => Some((
            r.store.another().await.unwrap_or_else(|_| r.store.clone()),
            r.node.clone(),
        )),
        None => None,
    };
    let mut chains = Vec::new();
    let (resumed, stale): (Vec<&NodeCursor>, Vec<&NodeCursor>) = spec
        .resume
        .iter()
        .filter(|c| c.node == node.addr())
        .partition(|c| c.identity.same_as(identity));
    if !stale.is_empty() {
        spec.progress.retrying(&format!(
            "{}: not the node or server process the saved cursor was taken on; walking \
             it from the start",
            node.addr()
        ));
        if let Some(sink) = spec.checkpoint {
            sink.forget(node.addr());
        }
    }
    if !resumed.is_empty() {
        for c in resumed.iter().filter(|c| c.finished && c.figures.is_some()) {
            walked_before.push((node, (*c).clone()));
        }
        // A resumed walk has lost its seam: the even chain's last batch is checked
        // against the odd buckets walked again (`chain::odd_keys_until`).
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
            chains.push(
                Chain::new(conn, node, identity, size, c.part, c.cursor, None)
                    .carrying(c.figures.clone())
                    .scanning(scan_on(i == 0).await),
            );
        }
    } else if let Some(second) = second_chain(spec).await {
        let seam = Arc::new(Seam::default());
        let first = spec.store.clone();
        chains.push(
            Chain::new(
                first,
                node,
                identity,
                size,
                Part::Even,
                0,
                Some(seam.clone()),
            )
            .scanning(scan_on(true).await),
        );
        chains.push(
            Chain::new(second, node, identity, size, Part::Odd, 1, Some(seam))
                .scanning(scan_on(false).await),
        );
    } else {
        chains.push(
            Chain::new(spec.store.clone(), node, identity, size, Part::All, 0, None)
                .scanning(scan_on(true).await),
        );
    }
    chains
}

/// Whether the slot map changed under the walk (a fault naming how, in `faults`), and the
/// maps before and after.
async fn map_changes(
    store: &Store,
    before: Option<crate::store::SlotMap>,
    faults: &mut Vec<Fault>,
) -> (bool, Option<(crate::store::SlotMap, crate::store::SlotMap)>) {
    let after = store.topology().await.ok();
    let mut changed = false;
    if let Some(error) = map_fault(before.as_ref(), after.as_ref()) {
        changed = true;
        faults.push(Fault {
            node: store.addr().to_string(),
            error,
        });
    }
    (changed, before.zip(after))
}

/// `SCAN … TYPE` is asked of the server once before a walk relies on it: a server before
/// Redis 6.0 takes `TYPE` for a syntax error, and filtering there would need a TYPE per key.
async fn scan_type_known(store: &Store, node: &Node, kind: KeyType) -> Result<()> {
    let mut pipe = redis::pipe();
    pipe.cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(1)
        .arg("TYPE")
        .arg(kind.as_str());
    let reply = store.node_pipeline(node, &pipe).await?;
    match reply.into_iter().next() {
        Some(Value::ServerError(e)) => Err(Error::Usage(format!(
            "--type needs `SCAN … TYPE` (Redis 6.0, Valkey), which {} does not have ({}); \
             leave --type out",
            node.addr(),
            e.details().unwrap_or(e.code())
        ))),
        _ => Ok(()),
    }
}

/// Why a scan under these slot maps (before and after it) may have missed keys, if it may.
fn map_fault(before: Option<&SlotMap>, after: Option<&SlotMap>) -> Option<String> {
    let (Some(before), Some(after)) = (before, after) else {
        return Some("the cluster's slot map could not be read around the scan".to_string());
    };
    if before != after {
        return Some(
            "the cluster's slot map changed during the scan (a failover or a slot migration): \
             keys may have been missed"
                .to_string(),
        );
    }
    if before.settled().is_none() {
        return Some(
            "the cluster's masters disagree on the slot map, or slots are being migrated: keys \
             may move behind the scan"
                .to_string(),
        );
    }
    None
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
    fn keys_walked_are_never_fewer_than_keys_matched() {
        let c = Counters::default();
        c.scanned.store(3, Ordering::Relaxed);
        c.matched.store(5, Ordering::Relaxed);
        assert_eq!(c.snapshot().scanned, 5);
        c.scanned.store(9, Ordering::Relaxed);
        assert_eq!(c.snapshot().scanned, 9);
    }

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
}
