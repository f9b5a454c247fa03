//! `--scan-replica`: each master's SCANs go to one of its replicas, so the master serves none
//! of the scanning, only the commands for the keys found. A replica can miss only a key it has
//! not yet received: it is used once it has caught up with what its master held when the
//! command began.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::retry::Backoff;
use crate::stop::Stop;
use crate::store::{Info, Node, Store};

/// How long a replica may take to catch up with its master before the command gives up.
const CATCH_UP: Duration = Duration::from_secs(10);

/// A replica of a master, connected, and caught up with it.
pub struct Replica {
    pub store: Store,
    pub node: Node,
}

/// Every master the store reaches has a replica to scan, or an error naming the one without
/// (asked before a command changes anything, so that a refusal changes nothing).
pub async fn check(store: &Store) -> Result<()> {
    for node in store.masters().await? {
        let info = replication(store, &node).await?;
        if replicas_in(&info) == 0 {
            return Err(no_replica(&node));
        }
    }
    Ok(())
}

/// One of the master at `node`'s replicas (as the master lists them in `INFO replication`,
/// standalone, behind Sentinel or in a cluster): the one furthest along, connected on its own
/// socket, once it holds everything its master held when this was asked. An error when the
/// master has none, or none is online and caught up in time.
pub async fn replica_for(store: &Store, node: &Node, stop: &Stop) -> Result<Replica> {
    let deadline = Instant::now() + CATCH_UP;
    // Polled every 50 ms until the deadline; a stop ends the wait at once.
    let mut poll = Backoff::polling(Duration::from_millis(50), deadline);
    let late = |what: String| {
        Error::Usage(format!(
            "--scan-replica: {}: {what} after {} s; run without --scan-replica",
            node.addr(),
            CATCH_UP.as_secs()
        ))
    };
    // The master's offset first: everything it held before now is at or below it.
    let info = replication(store, node).await?;
    let target: u64 = info
        .field("master_repl_offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let mut info = Some(info);
    let best = loop {
        let now = match info.take() {
            Some(i) => i,
            None => replication(store, node).await?,
        };
        if replicas_in(&now) == 0 {
            return Err(no_replica(node));
        }
        let mut online = listed_replicas(&now);
        online.sort_by_key(|r| std::cmp::Reverse(r.offset));
        if let Some(best) = online.into_iter().next() {
            break best;
        }
        if !poll.wait(stop).await {
            return Err(match stop.is_set() {
                true => Error::Interrupted,
                false => late("no replica is online (still syncing?)".into()),
            });
        }
    };
    let (replica, replica_node) = store.open_at(&best.host, best.port).await?;
    loop {
        let info = replica.info_on(&replica_node, "replication").await;
        let (offset, link_up) = info.as_ref().map_or((0, false), |i| {
            (
                offset_of(i).unwrap_or(0),
                i.field("master_link_status") == Some("up"),
            )
        });
        if link_up && offset >= target {
            return Ok(Replica {
                store: replica,
                node: replica_node,
            });
        }
        if stop.is_set() {
            return Err(Error::Interrupted);
        }
        if !poll.wait(stop).await && !stop.is_set() {
            return Err(late(format!(
                "its replica {} has not caught up ({offset} of {target} bytes of the \
                 replication stream{})",
                replica_node.addr(),
                if link_up { "" } else { ", link down" }
            )));
        }
    }
}

async fn replication(store: &Store, node: &Node) -> Result<Info> {
    store.info_on(node, "replication").await.ok_or_else(|| {
        Error::Usage(format!(
            "--scan-replica: {}: INFO replication is not allowed or not answered",
            node.addr()
        ))
    })
}

fn no_replica(node: &Node) -> Error {
    Error::Usage(format!(
        "--scan-replica: {} has no replica to scan",
        node.addr()
    ))
}

/// Replicas a master knows of, online or not.
fn replicas_in(info: &Info) -> usize {
    (0..)
        .take_while(|i| info.field(&format!("slave{i}")).is_some())
        .count()
}

/// What a replica has received of its master's replication stream.
fn offset_of(info: &Info) -> Option<u64> {
    info.field("slave_repl_offset")
        .or_else(|| info.field("master_repl_offset"))
        .and_then(|o| o.parse().ok())
}

struct Listed {
    host: String,
    port: u16,
    offset: u64,
}

/// The online replicas a master lists in `INFO replication`
/// (`slave0:ip=10.0.0.2,port=6380,state=online,offset=1234,lag=0`).
fn listed_replicas(info: &Info) -> Vec<Listed> {
    (0..)
        .map_while(|i| info.field(&format!("slave{i}")))
        .filter_map(|line| {
            let field = |name: &str| {
                line.split(',')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            };
            (field("state")? == "online").then_some(())?;
            Some(Listed {
                host: field("ip")?.to_string(),
                port: field("port")?.parse().ok()?,
                offset: field("offset").and_then(|o| o.parse().ok()).unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_listed_by_a_master() {
        let info = Info::from_text(
            "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n\
             slave0:ip=10.0.0.2,port=6380,state=online,offset=120,lag=0\r\n\
             slave1:ip=10.0.0.3,port=6381,state=wait_bgsave,offset=0,lag=0\r\n\
             master_repl_offset:120\r\n",
        );
        let found = listed_replicas(&info);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].host.as_str(), found[0].port), ("10.0.0.2", 6380));
        assert_eq!(found[0].offset, 120);
    }
}
