//! One chain of SCANs over (part of) one master's hash table: the request loop, its timing by
//! the server's clock, and the overlap of one batch's replies with the next request.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis::Value;

use super::governor::Governor;
use super::recent::Recent;
use super::seam::{Seam, SeamGuard, TWO_CHAIN_MAX_COUNT};
use super::{BatchSize, BatchWork, Counters, NodeCursor, NodeIdentity, Pace, Part, ScanSpec};
use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::retry::Backoff;
use crate::store::{Node, Store, worth_resending};

/// The connection for a standalone server's second chain, when two chains fit: not in a
/// cluster (where a cursor's low bits may name a slot, not a bucket), not under `--rate` (which
/// one chain keeps to anyway), not for batches larger than the seam can hold.
pub(super) async fn second_chain(spec: &ScanSpec<'_>) -> Option<Store> {
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
pub(super) struct Chain<'a> {
    /// The connection this chain's requests travel on, one request at a time.
    store: Store,
    pub(super) node: &'a Node,
    identity: &'a NodeIdentity,
    size: u64,
    part: Part,
    start: u64,
    seam: Option<Arc<Seam>>,
    /// What an earlier run counted before `start` (`--checkpoint`), for the chain's job.
    pub(super) carried: Option<serde_json::Value>,
    /// The replica this chain SCANs instead of the master (`--scan-replica`), on its own
    /// socket.
    scan_on: Option<(Store, Node)>,
}

impl Chain<'_> {
    /// This chain's cursor, without figures.
    fn cursor_at(&self, node: &Node, cursor: u64, finished: bool) -> NodeCursor {
        NodeCursor::at(
            node.addr(),
            self.identity.clone(),
            self.part,
            cursor,
            finished,
        )
    }
}

impl<'a> Chain<'a> {
    pub(super) fn new(
        store: Store,
        node: &'a Node,
        identity: &'a NodeIdentity,
        size: u64,
        part: Part,
        start: u64,
        seam: Option<Arc<Seam>>,
    ) -> Self {
        Chain {
            store,
            node,
            identity,
            size,
            part,
            start,
            seam,
            carried: None,
            scan_on: None,
        }
    }

    pub(super) fn scanning(self, replica: Option<(Store, Node)>) -> Self {
        Chain {
            scan_on: replica,
            ..self
        }
    }

    pub(super) fn carrying(self, figures: Option<serde_json::Value>) -> Self {
        Chain {
            carried: figures,
            ..self
        }
    }
}

/// Walk `chain` to its end (or a stop, or a fault it cannot retry): the job, where the chain
/// stopped, and the fault that ended it. Whatever ends it, everything counted so far is still
/// in the job and the cursor is where it stopped, so the caller reports them with the fault.
pub(super) async fn scan_chain<W: BatchWork>(
    spec: &ScanSpec<'_>,
    chain: Chain<'_>,
    pace: Pace,
    work: W,
    counters: Arc<Counters>,
) -> (W, NodeCursor, Option<Error>) {
    let store = chain.store.clone();
    let opened = store.direct(chain.node).await;
    let mut walk = Walk::new(spec, chain, pace, work, counters, store);
    let result = match opened {
        Ok(link) => {
            walk.link = link;
            walk.walk().await
        }
        Err(e) => Err(e),
    };
    walk.end(result)
}

/// Where one step of a walk leads.
enum Next {
    /// The next request.
    Again,
    /// The part is walked and the job has done everything it found.
    Done,
    /// A fault worth another try: wait, reconnect, and send the same request again.
    Retry(Error),
}

/// A chain on its way: its connections, its cursor, the batches in hand and its counters.
/// One request at a time: `send` builds it, `receive` awaits it while the last batch's replies
/// are worked through, `found` takes the SCAN's keys, `record` saves where a later walk may go
/// on; a transient fault is `retry`'d on new connections, and `detect_restart` starts the walk
/// again on a server process that never saw its cursor.
struct Walk<'c, 's, W: BatchWork> {
    spec: &'c ScanSpec<'s>,
    chain: Chain<'c>,
    pace: Pace,
    work: W,
    counters: Arc<Counters>,
    /// The job's leave to change the server, for every batch this chain sends.
    permit: Option<crate::guard::Permit>,
    /// The chain's store (routing by key, in a cluster) and its own connection to the node
    /// (standalone: the same), both replaced by new ones when a fault drops them.
    store: Store,
    link: Store,
    /// The replica whose hash table the chain walks, when it is not the master's.
    scan_link: Option<(Store, Node)>,
    /// The server process answering now (its run_id): it changes with a restart or a failover.
    server_run: Option<String>,
    /// Our connection's CLIENT ID on the scanned server: ids only grow within one server
    /// process, so a new connection with a lower one is talking to a restarted server.
    server_client: Option<u64>,
    /// Transient faults retried since the last request that went through.
    backoff: Backoff,
    retried: u32,
    /// A batch sent again after its reply was lost: how many keys it held.
    resent: Option<u64>,
    /// Whether the pending batch's request has gone out (and may have been acted on).
    in_flight: bool,
    /// Whether the job has prepared the pending batch (`before_send`: its plan, its backup,
    /// its budget): a batch sent again after a lost reply is not prepared twice.
    prepared: bool,
    unconfirmed: u64,
    /// The bare network round trip, measured only if the server will not time our requests.
    base: Option<Duration>,
    /// Ask the server to time each request with TIME before and after it, unless it refuses
    /// (an ACL without TIME); then the round trip, less the network's, is all we know.
    timed: bool,
    governor: Governor,
    odd_seam: SeamGuard,
    recording: bool,
    max_server: Duration,
    waiting: Duration,
    cursor: u64,
    finished: bool,
    /// How much of the part the cursor has passed, as counted into `counters.scanned`.
    scanned_estimate: u64,
    /// The batch to send: keys the job admitted.
    pending: Option<Vec<Vec<u8>>>,
    /// A batch's job replies wait here and are worked through while the next batch is at the
    /// server: for inspect and ttl-audit that work is as long as the server's.
    unprocessed: Option<(Vec<Vec<u8>>, Vec<Value>)>,
    /// The SCAN cursors that found the keys still to be dealt with, oldest first: the batch
    /// answered but not yet worked through, the batch to send, the keys the job holds back.
    /// A walk continued from the oldest of them misses nothing.
    unprocessed_from: Option<u64>,
    pending_from: Option<u64>,
    held_from: Option<u64>,
    batches: u64,
    recent: Option<Recent>,
}

/// A request as `send` built it.
struct Request {
    pipe: redis::Pipeline,
    /// Commands of the job's batch in `pipe` (0: none).
    job: usize,
    /// The SCAN, when it goes to a replica on its own.
    scan_pipe: Option<redis::Pipeline>,
    count: u32,
}

type Replies = Result<(Vec<Value>, Option<Duration>)>;

impl<'c, 's, W: BatchWork> Walk<'c, 's, W> {
    fn new(
        spec: &'c ScanSpec<'s>,
        chain: Chain<'c>,
        pace: Pace,
        work: W,
        counters: Arc<Counters>,
        store: Store,
    ) -> Self {
        let permit = work.permit().cloned();
        let recent = work.counts_keys().then(Recent::new);
        let odd_seam = SeamGuard(chain.seam.clone().filter(|_| chain.part == Part::Odd));
        Walk {
            spec,
            permit,
            link: store.clone(),
            store,
            scan_link: chain.scan_on.clone(),
            server_run: chain.identity.run_id.clone(),
            server_client: None,
            backoff: Backoff::redis(pace.retries),
            retried: 0,
            resent: None,
            in_flight: false,
            prepared: false,
            unconfirmed: 0,
            base: None,
            timed: true,
            governor: Governor::new(pace, chain.part != Part::All),
            recording: odd_seam.0.is_some(),
            odd_seam,
            max_server: Duration::ZERO,
            waiting: Duration::ZERO,
            cursor: chain.start,
            finished: false,
            // A walk resumed from a checkpoint has passed its cursor already: what this run
            // scans is what lies after it.
            scanned_estimate: chain.part.walked(chain.start, chain.size),
            pending: None,
            unprocessed: None,
            unprocessed_from: None,
            pending_from: None,
            held_from: None,
            batches: 0,
            recent,
            chain,
            pace,
            work,
            counters,
        }
    }

    /// Where the SCANs go: the master, or its replica.
    fn scanned(&self) -> (&Store, &Node) {
        match &self.scan_link {
            Some((s, n)) => (s, n),
            None => (&self.link, self.chain.node),
        }
    }

    async fn walk(&mut self) -> Result<()> {
        self.server_client = {
            let (s, n) = self.scanned();
            client_id(s, n).await
        };
        loop {
            match self.step().await? {
                Next::Again => {}
                // What the job could not do is the walk's fault, not a stop's.
                Next::Done => {
                    return self
                        .work
                        .halted()
                        .map_or(Ok(()), |why| Err(Error::Refused(why)));
                }
                Next::Retry(e) => self.retry(e).await?,
            }
        }
    }

    /// One request: send it, receive its replies (working through the last batch's meanwhile),
    /// take what the SCAN found, record where the walk is.
    async fn step(&mut self) -> Result<Next> {
        let scanning = !self.finished && !self.spec.stop.is_set() && self.work.halted().is_none();
        // The walk is over: what the job held back goes out now.
        if !scanning && self.pending.is_none() {
            let held = self.work.held();
            if !held.is_empty() {
                self.pending = Some(held);
                self.prepared = false;
                self.pending_from = self.held_from.take();
            }
        }
        let request = match self.send(scanning).await {
            Ok(r) => r,
            Err(e) => {
                // The next batch could not be prepared (its backup failed): the last one was
                // answered all the same, and what it did counts, whatever ends the walk now.
                if let Some((keys, replies)) = self.unprocessed.take() {
                    let _ = self.work.replies(self.chain.node, keys, replies);
                    let _ = (self.work)
                        .follow_up(&self.store, self.pace.retries, self.spec.stop)
                        .await;
                    account(&self.work, &self.counters, &mut self.governor).await;
                    settle(&mut self.resent, &mut self.unconfirmed, &self.work);
                }
                return Ok(Next::Retry(e));
            }
        };
        let previous = self.unprocessed.take();
        if request.job == 0 && !scanning {
            return self.last(previous).await;
        }
        let sent = Instant::now();
        let (replies, late_fault) = self.receive(&request, previous).await;
        let rtt = sent.elapsed();
        if let Some(e) = late_fault {
            self.count_refused(replies, scanning);
            // A primary demoted under us (READONLY) or another passing refusal: the keys it
            // refused wait in the job, and the walk goes on from this request's cursor over a
            // new connection (to the new primary, through the sentinels).
            return Ok(Next::Retry(e));
        }
        let (mut replies, server) = match replies {
            Ok(r) => r,
            Err(e) => {
                self.count_lost(&e, request.job).await;
                return Ok(Next::Retry(e));
            }
        };
        let server = match server {
            Some(server) => server,
            None => self.rtt_less_network(rtt).await?,
        };
        self.governor.observe(server, request.count);
        self.max_server = self.max_server.max(server);
        self.batches += 1;
        let scan_reply = if scanning { replies.pop() } else { None };
        // The batch's job was answered: its replies are counted whatever the SCAN says.
        if let Some(keys) = self.pending.take() {
            self.unprocessed = Some((keys, replies));
            self.unprocessed_from = self.pending_from.take();
        } else {
            self.unprocessed_from = None;
        }
        // A SCAN refused for a moment (LOADING, TRYAGAIN) is sent again.
        let (scan_store, scan_node) = self.scanned();
        let scanned =
            match scan_reply.map(|r| scan_store.value_on::<(u64, Vec<Vec<u8>>)>(scan_node, r)) {
                Some(Err(e)) => return Ok(Next::Retry(e)),
                other => other.map(|r| r.unwrap_or_default()),
            };
        self.backoff.reset();
        if let Some((next, keys)) = scanned {
            self.found(next, keys, request.count).await?;
        }
        self.record();
        self.spec.progress.update(&self.counters.snapshot());
        Ok(Next::Again)
    }

    /// Build the next request: the job's commands for the pending batch, the SCAN (riding with
    /// the job, or on its own to the replica), each bracketed by TIME when the server times
    /// them. An error is the job's own preparation failing (its batch never left).
    async fn send(&mut self, scanning: bool) -> Result<Request> {
        let mut pipe = redis::pipe();
        if self.timed {
            pipe.cmd("TIME");
        }
        let mut job = 0;
        self.in_flight = false;
        if let Some(keys) = &self.pending {
            if !self.prepared {
                // Its DUMPs (a backup) stall as a batch can: given up a second after a stop,
                // before anything of the batch was sent.
                let prepare = self.work.before_send(&self.store, self.chain.node, keys);
                self.spec.stop.within_grace(prepare).await?;
                self.prepared = true;
            }
            job = self.work.commands(&self.store, keys, &mut pipe);
        }
        self.in_flight = true;
        let count = self.governor.count;
        let mut scan_pipe = None;
        if scanning {
            let mut scan = redis::cmd("SCAN");
            scan.arg(self.cursor)
                .arg("MATCH")
                .arg(self.spec.pattern.as_bytes())
                .arg("COUNT")
                .arg(count);
            if let Some(kind) = self.spec.pace.only_type {
                scan.arg("TYPE").arg(kind.as_str());
            }
            match &self.scan_link {
                None => {
                    pipe.add_command(scan);
                }
                Some(_) => {
                    let mut p = redis::pipe();
                    if self.timed {
                        p.cmd("TIME");
                    }
                    p.add_command(scan);
                    if self.timed {
                        p.cmd("TIME");
                    }
                    scan_pipe = Some(p);
                }
            }
        }
        if self.timed {
            pipe.cmd("TIME");
        }
        Ok(Request {
            pipe,
            job,
            scan_pipe,
            count,
        })
    }

    /// Nothing left to send: the last batch's replies are worked through, and what the job
    /// still has to do (also what a refusal left waiting, after a reconnect) is done.
    async fn last(&mut self, previous: Option<(Vec<Vec<u8>>, Vec<Value>)>) -> Result<Next> {
        if let Some((keys, replies)) = previous {
            self.work.replies(self.chain.node, keys, replies)?;
        }
        if let Err(e) = self
            .work
            .follow_up(&self.store, self.pace.retries, self.spec.stop)
            .await
        {
            return Ok(Next::Retry(e));
        }
        account(&self.work, &self.counters, &mut self.governor).await;
        settle(&mut self.resent, &mut self.unconfirmed, &self.work);
        Ok(Next::Done)
    }

    /// Send `request` and await its replies, working through the last batch's replies while it
    /// is out. The replies without their TIME brackets, with the server's time; and a refusal
    /// found among the last batch's replies, which ends this step once its replies are in.
    async fn receive(
        &mut self,
        request: &Request,
        previous: Option<(Vec<Vec<u8>>, Vec<Value>)>,
    ) -> (Replies, Option<Error>) {
        let node = self.chain.node;
        let mut late_fault = None;
        let to_node = request.job > 0 || request.scan_pipe.is_none();
        let mut round_trip = std::pin::pin!(exchange(
            to_node.then_some((&self.link, node, &request.pipe)),
            self.permit.as_ref(),
            self.scan_link.as_ref().zip(request.scan_pipe.as_ref()),
        ));
        // Queue the pipeline, then step aside so the connection's task writes it out: on our
        // single-threaded runtime it would otherwise wait until the previous batch's replies
        // have been worked through, and the server would wait with it.
        let early = futures::poll!(round_trip.as_mut());
        tokio::task::yield_now().await;
        if let Some((keys, replies)) = previous {
            let answered = match self.work.replies(node, keys, replies) {
                Ok(()) => {
                    self.work
                        .follow_up(&self.store, self.pace.retries, self.spec.stop)
                        .await
                }
                Err(e) => Err(e),
            };
            match answered {
                Ok(()) => {
                    account(&self.work, &self.counters, &mut self.governor).await;
                    settle(&mut self.resent, &mut self.unconfirmed, &self.work);
                }
                Err(e) => late_fault = Some(e),
            }
        }
        let replies = match early {
            Poll::Ready(r) => r,
            Poll::Pending => {
                let wait = Instant::now();
                // A stop waits for the request in flight, so that its batch is counted; a
                // reply that has not come a second after the stop (the server stalled) is given
                // up, and the batch's keys are said unconfirmed.
                let r = self.spec.stop.within_grace(&mut round_trip).await;
                self.waiting += wait.elapsed();
                r
            }
        };
        let timed = &mut self.timed;
        let replies = replies.map(|(main, scan)| {
            let (mut replies, mut server) = untime(main, timed);
            if let Some(scan) = scan {
                let (scan, spent) = untime(scan, timed);
                replies.extend(scan);
                server = server.max(spent);
            }
            (replies, server)
        });
        (replies, late_fault)
    }

    /// The pending batch's replies, when a refusal ended the step: counted (a second refusal
    /// adds nothing to the first).
    fn count_refused(&mut self, replies: Replies, scanning: bool) {
        if let (Ok((mut replies, _)), Some(keys)) = (replies, self.pending.take()) {
            if scanning {
                replies.pop();
            }
            let _ = self.work.replies(self.chain.node, keys, replies);
        }
    }

    /// A request that fails for good may have run on the server all the same (a pipeline
    /// answered in part, then redirected): its batch's keys that are gone now are counted as
    /// unconfirmed, not lost from the report.
    async fn count_lost(&mut self, e: &Error, job: usize) {
        let last = !e.is_transient() || !self.backoff.can_retry() || self.spec.stop.is_set();
        if last
            && job > 0
            && let Some(keys) = &self.pending
        {
            self.unconfirmed += match e {
                // Given up after a stop: the server that did not answer is not asked again.
                Error::Interrupted => keys.len() as u64,
                _ => gone(&self.store, keys).await,
            };
        }
    }

    /// How long the request held the server when it would not time it: the round trip less
    /// the bare network's.
    async fn rtt_less_network(&mut self, rtt: Duration) -> Result<Duration> {
        let base = match self.base {
            Some(b) => b,
            None => *self
                .base
                .insert(base_rtt(&self.link, self.chain.node).await?),
        };
        Ok(rtt.saturating_sub(base))
    }

    /// The keys that pass the walk's filters, read on the master they live on (again, over
    /// a new connection, after a passing fault: the read changes nothing); those passed over
    /// are told to the job.
    async fn select(&mut self, keys: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>> {
        let select = self.spec.pace.select;
        if select.is_empty() || keys.is_empty() {
            return Ok(keys);
        }
        let passed = loop {
            let (link, node) = (&self.link, self.chain.node);
            let send = |pipe: redis::Pipeline| async move { link.node_pipeline(node, &pipe).await };
            match select.check(&keys, node.addr(), send).await {
                Ok(p) => break p,
                Err(e) => self.retry(e).await?,
            }
        };
        let before = keys.len();
        let kept: Vec<_> = keys
            .into_iter()
            .zip(passed)
            .filter_map(|(k, pass)| pass.then_some(k))
            .collect();
        self.work.passed_over((before - kept.len()) as u64);
        Ok(kept)
    }

    /// The SCAN answered `next` with `keys`: move the cursor, count the part walked, and hand
    /// the keys to the job; those it admits are the next batch.
    async fn found(&mut self, next: u64, mut keys: Vec<Vec<u8>>, count: u32) -> Result<()> {
        let chain = &self.chain;
        let sent_cursor = self.cursor;
        self.cursor = next;
        self.finished = chain.part.ends_at(next);
        let estimate = if self.finished {
            chain.part.share(chain.size)
        } else {
            chain.part.walked(next, chain.size)
        };
        let grew = estimate.saturating_sub(self.scanned_estimate);
        self.scanned_estimate = self.scanned_estimate.max(estimate);
        self.counters.scanned.fetch_add(grew, Ordering::Relaxed);
        if self.recording
            && let Some(seam) = &self.odd_seam.0
        {
            self.recording = seam.record(&keys) && !self.finished;
        }
        if self.finished && chain.part == Part::Even {
            keys = self.past_the_seam(keys, next, count).await?;
        }
        if let Some(r) = &mut self.recent {
            r.fresh(&mut keys);
        }
        let keys = self.select(keys).await?;
        let n_found = keys.len() as u64;
        let mut admitted = self.work.admit(keys);
        if self.finished || self.spec.stop.is_set() {
            admitted.extend(self.work.held());
        }
        self.counters.matched.fetch_add(n_found, Ordering::Relaxed);
        let oldest = self.held_from.unwrap_or(sent_cursor);
        if !admitted.is_empty() {
            self.pending = Some(admitted);
            self.prepared = false;
            self.pending_from = Some(oldest);
            self.held_from = None;
        } else if self.work.holding() {
            self.held_from = Some(oldest);
        }
        Ok(())
    }

    /// The even chain's last keys, less those in odd buckets, which the odd chain walks.
    async fn past_the_seam(
        &self,
        keys: Vec<Vec<u8>>,
        next: u64,
        count: u32,
    ) -> Result<Vec<Vec<u8>>> {
        match &self.chain.seam {
            Some(seam) => Ok(seam.strip(keys).await),
            // Resumed: the odd chain's record of its first keys went with the run that made
            // it, so the odd buckets this SCAN read are walked again.
            None => {
                let (s, n) = self.scanned();
                let odd = odd_keys_until(
                    s,
                    n,
                    self.spec.pattern,
                    self.spec.pace.only_type,
                    next,
                    count,
                )
                .await?;
                Ok(keys.into_iter().filter(|k| !odd.contains(k)).collect())
            }
        }
    }

    /// Tell the checkpoint the cursor from which a later walk misses nothing.
    fn record(&self) {
        let Some(sink) = self.spec.checkpoint else {
            return;
        };
        let safe = self
            .unprocessed_from
            .or(self.pending_from)
            .or(self.held_from);
        let done = self.finished && safe.is_none() && self.unprocessed.is_none();
        sink.record(
            &NodeCursor {
                cursor: if done { 0 } else { safe.unwrap_or(self.cursor) },
                finished: done,
                ..self.chain.cursor_at(self.chain.node, 0, false)
            },
            &|| self.work.figures(),
            false,
        );
    }

    /// After a transient fault: wait (a stop ends the wait), take new connections, and let the
    /// next step send the same request again: the same batch's job and the same SCAN cursor.
    /// Anything else, or too many in a row, ends the chain with the fault.
    async fn retry(&mut self, e: Error) -> Result<()> {
        if !e.is_transient() || self.spec.stop.is_set() {
            return Err(e);
        }
        let Some(wait) = self.backoff.next_delay() else {
            return Err(e);
        };
        self.retried += 1;
        let node = self.chain.node;
        self.spec.progress.retrying(&format!(
            "{}: {e}; retry {} of {} in {} ms",
            node.addr(),
            self.backoff.attempts(),
            self.pace.retries,
            wait.as_millis()
        ));
        if !crate::retry::sleep(wait, self.spec.stop).await {
            return Err(e);
        }
        if let Ok(fresh) = self.store.another().await {
            self.store = fresh;
        }
        if let Some((s, n)) = &self.scan_link
            && let Ok(fresh) = s.another().await
        {
            self.scan_link = Some((fresh, n.clone()));
        }
        if let Ok(fresh) = self.store.direct(node).await {
            self.link = fresh;
            self.detect_restart().await;
        }
        // A batch whose request went out may have been done before its reply was lost; one
        // that never left (its job's own preparation failed) was not.
        if let (Some(keys), true) = (&self.pending, self.in_flight) {
            self.resent = Some(self.work.acting_on(keys));
        }
        Ok(())
    }

    /// On a new connection: whether another server process answers now (known by its run_id
    /// where INFO is allowed: a failover to another server behind the same name, a restart;
    /// else by CLIENT IDs going backwards). A cursor means nothing to it: its part is walked
    /// again from the very start, not from where a resumed walk began (deletions are
    /// idempotent).
    async fn detect_restart(&mut self) {
        let (s, n) = self.scanned();
        let id = client_id(s, n).await;
        let run = s.run_id(n).await;
        let other_process = matches!((&self.server_run, &run), (Some(a), Some(b)) if a != b);
        let restarted =
            matches!((self.server_client, id), (Some(before), Some(now)) if now <= before);
        if other_process || restarted {
            self.cursor = self.chain.part.first_cursor();
            self.finished = false;
            let in_flight = self.pending.as_ref().map_or(0, Vec::len)
                + self.unprocessed.as_ref().map_or(0, |(k, _)| k.len());
            self.work.restarted(in_flight as u64 + self.unconfirmed);
            if let Some(r) = &mut self.recent {
                r.clear();
            }
            self.spec.progress.retrying(&format!(
                "{}: another server process answers now (a restart or a failover); walking \
                 its keys again from the start",
                self.chain.node.addr()
            ));
        }
        self.server_client = id.or(self.server_client);
        self.server_run = run.or(self.server_run.take());
    }

    /// The chain's end: its cursor and figures, recorded as its last word when it ended
    /// cleanly (one that failed left its last safe cursor recorded).
    fn end(self, result: Result<()>) -> (W, NodeCursor, Option<Error>) {
        let Walk {
            chain,
            work,
            odd_seam,
            spec,
            ..
        } = self;
        drop(odd_seam);
        let node = chain.node;
        let mut end = NodeCursor {
            batches: self.batches,
            count: self.governor.count,
            max_batch_ms: self.max_server.as_secs_f64() * 1000.0,
            waiting_ms: self.waiting.as_secs_f64() * 1000.0,
            retries: self.retried,
            unconfirmed: self.unconfirmed,
            ..chain.cursor_at(
                node,
                if self.finished { 0 } else { self.cursor },
                self.finished,
            )
        };
        // The process that answered last: a restart mid-walk is a new identity.
        end.identity.run_id = self.server_run;
        if result.is_ok()
            && let Some(sink) = spec.checkpoint
        {
            sink.record(&end, &|| work.figures(), true);
        }
        // A reply given up after a stop ends the walk as the stop does, not as a fault; its
        // checkpoint keeps the last cursor before the batch it could not confirm.
        let given_up = matches!(result, Err(Error::Interrupted)) && spec.stop.is_set();
        (work, end, result.err().filter(|_| !given_up))
    }
}

/// One request of a chain: its pipeline to the node (the job, and the SCAN unless it goes
/// to a replica), and the SCAN to the replica, at the same time. The replies as sent, each
/// with its TIME brackets.
async fn exchange(
    to_node: Option<(&Store, &Node, &redis::Pipeline)>,
    permit: Option<&crate::guard::Permit>,
    to_replica: Option<(&(Store, Node), &redis::Pipeline)>,
) -> Result<(Vec<Value>, Option<Vec<Value>>)> {
    let main = async {
        match (to_node, permit) {
            (Some((s, n, p)), Some(permit)) => s.write_node_pipeline(permit, n, p).await,
            (Some((s, n, p)), None) => s.node_pipeline(n, p).await,
            (None, _) => Ok(Vec::new()),
        }
    };
    let scan = async {
        match to_replica {
            Some(((s, n), p)) => s.node_pipeline(n, p).await.map(Some),
            None => Ok(None),
        }
    };
    let (main, scan) = futures::join!(main, scan);
    Ok((main?, scan?))
}

/// The keys matching `pattern` in the odd buckets before cursor `until` (all of them for 0):
/// those an even chain's last SCAN may have read past the seam, which the odd chain walks.
async fn odd_keys_until(
    link: &Store,
    node: &Node,
    pattern: &Glob,
    only_type: Option<super::KeyType>,
    until: u64,
    count: u32,
) -> Result<HashSet<Vec<u8>>> {
    let mut found = HashSet::new();
    let mut cursor = 1u64;
    loop {
        let mut pipe = redis::pipe();
        pipe.cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern.as_bytes())
            .arg("COUNT")
            .arg(count);
        if let Some(kind) = only_type {
            pipe.arg("TYPE").arg(kind.as_str());
        }
        let reply = link.node_pipeline(node, &pipe).await?;
        let (next, keys): (u64, Vec<Vec<u8>>) =
            link.value_on(node, reply.into_iter().next().unwrap_or(Value::Nil))?;
        found.extend(keys);
        // SCAN's cursor, read backwards, only grows: past `until` is past the seam's reach.
        if next == 0 || (until != 0 && next.reverse_bits() >= until.reverse_bits()) {
            return Ok(found);
        }
        cursor = next;
    }
}

/// How many of `keys` no longer exist (EXISTS, routed by slot); all of them when that
/// cannot be asked either, as the most the lost request can have done.
async fn gone(store: &Store, keys: &[Vec<u8>]) -> u64 {
    let cmds = keys
        .iter()
        .map(|k| {
            let mut c = redis::cmd("EXISTS");
            c.arg(k);
            (k.clone(), c)
        })
        .collect();
    match store.per_key(cmds).await {
        Ok(replies) => replies
            .iter()
            .filter(|r| matches!(r, Value::Int(0)))
            .count() as u64,
        Err(_) => keys.len() as u64,
    }
}

/// This connection's CLIENT ID on `node`, when the server (and the user's ACL) tell it.
async fn client_id(store: &Store, node: &Node) -> Option<u64> {
    let mut pipe = redis::pipe();
    pipe.cmd("CLIENT").arg("ID");
    let reply = store.node_pipeline(node, &pipe).await.ok()?;
    store
        .value_on(node, reply.into_iter().next().unwrap_or(Value::Nil))
        .ok()
}

/// After the replies to a batch sent again have been counted: its keys that were already gone
/// went with the lost request (or with someone else meanwhile), and cannot be confirmed.
fn settle<W: BatchWork>(resent: &mut Option<u64>, unconfirmed: &mut u64, work: &W) {
    if let Some(keys) = resent.take() {
        *unconfirmed += keys.saturating_sub(work.acted());
    }
}

/// The replies without the TIME brackets, and how long the request held the server (the
/// difference of the two TIMEs) when it was timed.
fn untime(mut replies: Vec<Value>, timed: &mut bool) -> (Vec<Value>, Option<Duration>) {
    if !*timed || replies.len() < 2 {
        return (replies, None);
    }
    let after = replies.pop().unwrap_or(Value::Nil);
    let before = replies.remove(0);
    let passing = |v: &Value| matches!(v, Value::ServerError(e) if worth_resending(e));
    match (server_time(&before), server_time(&after)) {
        (Some(a), Some(b)) => (replies, Some(b.saturating_sub(a))),
        // Refused for the moment (BUSY, LOADING): this request is timed by its round trip.
        _ if passing(&before) || passing(&after) => (replies, None),
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

#[cfg(test)]
mod tests {
    use super::*;

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
