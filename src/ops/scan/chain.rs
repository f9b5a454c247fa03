//! One chain of SCANs over (part of) one master's hash table: the request loop, its timing by
//! the server's clock, and the overlap of one batch's replies with the next request.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis::Value;

use super::governor::Governor;
use super::seam::{Seam, SeamGuard, TWO_CHAIN_MAX_COUNT};
use super::{BatchSize, BatchWork, Counters, NodeCursor, Pace, Part, ScanSpec};
use crate::error::Result;
use crate::store::{Node, Store};

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
    size: u64,
    part: Part,
    start: u64,
    seam: Option<Arc<Seam>>,
}

impl<'a> Chain<'a> {
    pub(super) fn new(
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

pub(super) async fn scan_chain<W: BatchWork>(
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
