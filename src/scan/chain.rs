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
use crate::store::{Node, Store, sent_elsewhere};

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

pub(super) async fn scan_chain<W: BatchWork>(
    spec: &ScanSpec<'_>,
    chain: Chain<'_>,
    pace: Pace,
    mut work: W,
    counters: Arc<Counters>,
) -> (W, NodeCursor, Option<Error>) {
    // The chain's store (routing by key, in a cluster) and its own connection to the node
    // (standalone: the same), both replaced by new ones when a fault drops them.
    let mut store = chain.store.clone();
    // The job's leave to change the server, for every batch this chain sends.
    let permit = work.permit().cloned();
    let node = chain.node;
    let opened = store.direct(node).await;
    // The replica whose hash table the chain walks, when it is not the master's.
    let mut scan_link = chain.scan_on.clone();
    // The server process answering now (its run_id): it changes with a restart or a failover.
    let mut server_run = chain.identity.run_id.clone();
    // Transient faults retried since the last request that went through, and in all.
    let mut attempts = 0u32;
    let mut retried = 0u32;
    // A batch sent again after its reply was lost: how many keys it held.
    let mut resent: Option<u64> = None;
    // Whether the pending batch's request has gone out (and may have been acted on).
    let mut in_flight = false;
    let mut unconfirmed = 0u64;
    // The bare network round trip, measured only if the server will not time our requests.
    let mut base: Option<Duration> = None;
    let mut governor = Governor::new(pace, chain.part != Part::All);
    let odd_seam = SeamGuard(chain.seam.clone().filter(|_| chain.part == Part::Odd));
    let mut recording = odd_seam.0.is_some();
    let mut max_server = Duration::ZERO;
    let mut waiting = Duration::ZERO;
    let mut cursor = chain.start;
    // The SCAN cursors that found the keys still to be dealt with, oldest first: the batch
    // answered but not yet worked through, the batch to send, the keys the job holds back.
    // A walk continued from the oldest of them (`safe`) misses nothing.
    let mut unprocessed_from: Option<u64> = None;
    let mut pending_from: Option<u64> = None;
    let mut held_from: Option<u64> = None;
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
    let mut recent = work.counts_keys().then(Recent::new);
    // The loop runs in a block of its own so that an error (a dropped connection, a refused
    // command) ends it with everything counted so far still in `work` and the cursor where
    // it stopped: the caller reports them with the error instead of losing them.
    let result: Result<()> = async {
        let mut link = opened?;
        // Where the SCANs go: the master, or its replica.
        macro_rules! scanned {
            () => {
                match &scan_link {
                    Some((s, n)) => (s, n),
                    None => (&link, node),
                }
            };
        }
        // Our connection's CLIENT ID on the scanned server: ids only grow within one server
        // process, so a new connection with a lower one is talking to a restarted server.
        let mut server_client = {
            let (s, n) = scanned!();
            client_id(s, n).await
        };
        // A transient fault: wait (a stop ends the wait), take a new connection and send the
        // same request again: the same batch's job and the same SCAN cursor. Anything else,
        // or too many in a row, ends the chain with the fault.
        macro_rules! retry_or_fail {
            ($e:expr) => {{
                let e: Error = $e;
                if !e.is_transient() || attempts >= pace.retries || spec.stop.is_set() {
                    return Err(e);
                }
                attempts += 1;
                retried += 1;
                let wait = Duration::from_millis(100u64 << attempts.min(5));
                spec.progress.retrying(&format!(
                    "{}: {e}; retry {attempts} of {} in {} ms",
                    node.addr(),
                    pace.retries,
                    wait.as_millis()
                ));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = spec.stop.wait() => return Err(e),
                }
                if let Ok(fresh) = store.another().await {
                    store = fresh;
                }
                if let Some((s, n)) = &scan_link
                    && let Ok(fresh) = s.another().await
                {
                    scan_link = Some((fresh, n.clone()));
                }
                if let Ok(fresh) = store.direct(node).await {
                    link = fresh;
                    // A cursor means nothing to another server process: a restarted server
                    // is walked again from the start (deletions are idempotent).
                    // Known by its run_id where INFO is allowed (a failover to another server
                    // behind the same name, a restart), else by CLIENT IDs going backwards.
                    let (s, n) = scanned!();
                    let id = client_id(s, n).await;
                    let run = s.run_id(n).await;
                    let other_process = matches!((&server_run, &run), (Some(a), Some(b)) if a != b);
                    let restarted =
                        matches!((server_client, id), (Some(before), Some(now)) if now <= before);
                    if other_process || restarted {
                        cursor = chain.start;
                        finished = false;
                        let in_flight = pending.as_ref().map_or(0, Vec::len)
                            + unprocessed.as_ref().map_or(0, |(k, _)| k.len());
                        work.restarted(in_flight as u64 + unconfirmed);
                        if let Some(r) = &mut recent {
                            r.clear();
                        }
                        spec.progress.retrying(&format!(
                            "{}: another server process answers now (a restart or a \
                             failover); walking its keys again from the start",
                            node.addr()
                        ));
                    }
                    server_client = id.or(server_client);
                    server_run = run.or(server_run.take());
                }
                // A batch whose request went out may have been done before its reply was
                // lost; one that never left (its job's own preparation failed) was not.
                if let (Some(keys), true) = (&pending, in_flight) {
                    resent = Some(keys.len() as u64);
                }
                continue;
            }};
        }
        loop {
            let scanning = !finished && !spec.stop.is_set();
            // The walk is over: what the job held back goes out now.
            if !scanning && pending.is_none() {
                let held = work.held();
                if !held.is_empty() {
                    pending = Some(held);
                    pending_from = held_from.take();
                }
            }
            let mut pipe = redis::pipe();
            if timed {
                pipe.cmd("TIME");
            }
            let mut job = 0;
            in_flight = false;
            if let Some(keys) = &pending {
                if let Err(e) = work.before_send(&store, node, keys).await {
                    retry_or_fail!(e);
                }
                job = work.commands(&store, keys, &mut pipe);
            }
            in_flight = true;
            let count = governor.count;
            // The SCAN rides with the job, or goes alone to the replica the chain walks.
            let mut scan_pipe = None;
            if scanning {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(spec.pattern.as_bytes())
                    .arg("COUNT")
                    .arg(count);
                if let Some(kind) = spec.pace.only_type {
                    scan.arg("TYPE").arg(kind.as_str());
                }
                match &scan_link {
                    None => {
                        pipe.add_command(scan);
                    }
                    Some(_) => {
                        let mut p = redis::pipe();
                        if timed {
                            p.cmd("TIME");
                        }
                        p.add_command(scan);
                        if timed {
                            p.cmd("TIME");
                        }
                        scan_pipe = Some(p);
                    }
                }
            }
            if timed {
                pipe.cmd("TIME");
            }
            let previous = unprocessed.take();
            if job == 0 && !scanning {
                if let Some((keys, replies)) = previous {
                    work.replies(node, keys, replies)?;
                }
                // Also what a refusal left waiting, after a reconnect.
                if let Err(e) = work.follow_up(&store, pace.retries, spec.stop).await {
                    retry_or_fail!(e);
                }
                account(&work, &counters, &mut governor).await;
                settle(&mut resent, &mut unconfirmed, &work);
                break;
            }
            let sent = Instant::now();
            // A refusal among the last batch's replies, found while this request is out: this
            // request is still awaited and its job counted before the chain gives up.
            let mut late_fault: Option<Error> = None;
            // The request's future borrows the connection: it lives in this block, so that a
            // retry can replace the connection afterwards.
            let replies = {
                let to_node = job > 0 || scan_pipe.is_none();
                let mut round_trip = std::pin::pin!(exchange(
                    to_node.then_some((&link, node, &pipe)),
                    permit.as_ref(),
                    scan_link.as_ref().zip(scan_pipe.as_ref()),
                ));
                // Queue the pipeline, then step aside so the connection's task writes it out: on our
                // single-threaded runtime it would otherwise wait until the previous batch's replies
                // have been worked through, and the server would wait with it.
                let early = futures::poll!(round_trip.as_mut());
                tokio::task::yield_now().await;
                if let Some((keys, replies)) = previous {
                    let answered = match work.replies(node, keys, replies) {
                        Ok(()) => work.follow_up(&store, pace.retries, spec.stop).await,
                        Err(e) => Err(e),
                    };
                    match answered {
                        Ok(()) => {
                            account(&work, &counters, &mut governor).await;
                            settle(&mut resent, &mut unconfirmed, &work);
                        }
                        Err(e) => late_fault = Some(e),
                    }
                }
                match early {
                    Poll::Ready(r) => r,
                    Poll::Pending => {
                        let wait = Instant::now();
                        let r = round_trip.await;
                        waiting += wait.elapsed();
                        r
                    }
                }
            };
            let rtt = sent.elapsed();
            let replies = replies.map(|(main, scan)| {
                let (mut replies, mut server) = untime(main, &mut timed);
                if let Some(scan) = scan {
                    let (scan, spent) = untime(scan, &mut timed);
                    replies.extend(scan);
                    server = server.max(spent);
                }
                (replies, server)
            });
            if let Some(e) = late_fault {
                if let (Ok((mut replies, _)), Some(keys)) = (replies, pending.take()) {
                    if scanning {
                        replies.pop();
                    }
                    // Counted; a second refusal adds nothing to the first.
                    let _ = work.replies(node, keys, replies);
                }
                // A primary demoted under us (READONLY) or another passing refusal: the keys
                // it refused wait in the job, and the walk goes on from this request's cursor
                // over a new connection (to the new primary, through the sentinels).
                retry_or_fail!(e);
            }
            let replies = match replies {
                Ok(r) => r,
                Err(e) => {
                    // A request that fails for good may have run on the server all the same
                    // (a pipeline answered in part, then redirected): its batch's keys that
                    // are gone now are counted as unconfirmed, not lost from the report.
                    let last = !e.is_transient() || attempts >= pace.retries || spec.stop.is_set();
                    if last
                        && job > 0
                        && let Some(keys) = &pending
                    {
                        unconfirmed += gone(&store, keys).await;
                    }
                    retry_or_fail!(e)
                }
            };
            let (mut replies, server) = replies;
            let server = match server {
                Some(server) => server,
                None => {
                    let base = match base {
                        Some(b) => b,
                        None => *base.insert(base_rtt(&link, node).await?),
                    };
                    rtt.saturating_sub(base)
                }
            };
            governor.observe(server, count);
            max_server = max_server.max(server);
            batches += 1;
            let scan_reply = if scanning { replies.pop() } else { None };
            // The batch's job was answered: its replies are counted whatever the SCAN says.
            if let Some(keys) = pending.take() {
                unprocessed = Some((keys, replies));
                unprocessed_from = pending_from.take();
            } else {
                unprocessed_from = None;
            }
            // A SCAN refused for a moment (LOADING, TRYAGAIN) is sent again.
            let (scan_store, scan_node) = scanned!();
            let scanned = match scan_reply
                .map(|r| scan_store.value_on::<(u64, Vec<Vec<u8>>)>(scan_node, r))
            {
                Some(Err(e)) => retry_or_fail!(e),
                other => other.map(|r| r.unwrap_or_default()),
            };
            attempts = 0;
            if let Some((next, mut keys)) = scanned {
                let sent_cursor = cursor;
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
                if finished && chain.part == Part::Even {
                    keys = match &chain.seam {
                        Some(seam) => seam.strip(keys).await,
                        // Resumed: the odd chain's record of its first keys went with the run
                        // that made it, so the odd buckets this SCAN read are walked again.
                        None => {
                            let (s, n) = scanned!();
                            let odd = odd_keys_until(
                                s,
                                n,
                                spec.pattern,
                                spec.pace.only_type,
                                next,
                                count,
                            )
                            .await?;
                            keys.retain(|k| !odd.contains(k));
                            keys
                        }
                    };
                }
                if let Some(r) = &mut recent {
                    r.fresh(&mut keys);
                }
                let n_found = keys.len() as u64;
                let mut admitted = work.admit(keys);
                if finished || spec.stop.is_set() {
                    admitted.extend(work.held());
                }
                counters.matched.fetch_add(n_found, Ordering::Relaxed);
                let oldest = held_from.unwrap_or(sent_cursor);
                if !admitted.is_empty() {
                    pending = Some(admitted);
                    pending_from = Some(oldest);
                    held_from = None;
                } else if work.holding() {
                    held_from = Some(oldest);
                }
            }
            if let Some(sink) = spec.checkpoint {
                let safe = unprocessed_from.or(pending_from).or(held_from);
                let done = finished && safe.is_none() && unprocessed.is_none();
                sink.record(
                    &NodeCursor {
                        cursor: if done { 0 } else { safe.unwrap_or(cursor) },
                        finished: done,
                        ..chain.cursor_at(node, 0, false)
                    },
                    &|| work.figures(),
                    false,
                );
            }
            spec.progress.update(&counters.snapshot());
        }
        Ok(())
    }
    .await;
    drop(odd_seam);
    let mut end = NodeCursor {
        batches,
        count: governor.count,
        max_batch_ms: max_server.as_secs_f64() * 1000.0,
        waiting_ms: waiting.as_secs_f64() * 1000.0,
        retries: retried,
        unconfirmed,
        ..chain.cursor_at(node, if finished { 0 } else { cursor }, finished)
    };
    // The process that answered last: a restart mid-walk is a new identity.
    end.identity.run_id = server_run;
    // A chain that ended cleanly dealt with everything it found: where it stopped is where
    // a later walk may go on. (One that failed left its last safe cursor recorded.)
    if result.is_ok()
        && let Some(sink) = spec.checkpoint
    {
        sink.record(&end, &|| work.figures(), true);
    }
    (work, end, result.err())
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
    let passing = |v: &Value| matches!(v, Value::ServerError(e) if sent_elsewhere(e));
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
