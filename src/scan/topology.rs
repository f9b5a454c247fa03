//! Which masters of a cluster a later pass must walk again after the slot map changed under a
//! pass: only those where keys can have moved in behind a cursor.
//!
//! A master's walk stands when, through the whole of it, every node saw that master with the
//! same id, config epoch and slots, and no slot of it was moving: no key can have entered its
//! hash table then. Keys move only with their slots, so a master whose slots (and epoch) are
//! still those of its clean walk holds nothing the walk could have missed. A failover brings a
//! new node id, a migration a new epoch or a moving slot: those masters are walked again, from
//! cursor 0.

use crate::retry::Backoff;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::stop::Stop;
use crate::store::{MasterView, SlotMap, Store};

use super::NodeCursor;

/// The masters walked to the end under a steady view of themselves, by node id.
#[derive(Default)]
pub struct Walked {
    clean: HashMap<String, MasterView>,
}

impl Walked {
    /// Record a pass: the maps before and after it, and where its chains ended.
    pub fn record(&mut self, before: &SlotMap, after: &SlotMap, cursors: &[NodeCursor]) {
        for master in every_master(after) {
            let steady = [before, after]
                .iter()
                .flat_map(|m| m.views())
                .flatten()
                .filter(|v| v.id == master.id)
                .all(|v| v == master && v.moving.is_empty());
            let mine: Vec<&NodeCursor> = cursors.iter().filter(|c| c.node == master.addr).collect();
            let finished = !mine.is_empty() && mine.iter().all(|c| c.finished);
            if steady && finished {
                self.clean.insert(master.id.clone(), master.clone());
            }
        }
    }

    /// The addresses of the masters in `now` whose keys a new walk must cover.
    pub fn to_walk(&self, now: &SlotMap) -> Vec<String> {
        let mut out: Vec<String> = every_master(now)
            .filter(|m| {
                let seen = now.views().iter().flatten().filter(|v| v.id == m.id);
                !seen
                    .clone()
                    .all(|v| self.clean.get(&v.id) == Some(v) && v.moving.is_empty())
            })
            .map(|m| m.addr.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Every master some view lists, once per node id (the first view's entry).
fn every_master(map: &SlotMap) -> impl Iterator<Item = &MasterView> {
    let mut seen = std::collections::HashSet::new();
    map.views()
        .iter()
        .flatten()
        .filter(move |m| seen.insert(m.id.clone()))
}

/// How long the slot map must stay the same before a later pass starts: a reshard moves
/// slots one after another, and the map is settled for a moment between two of them.
const QUIET: Duration = Duration::from_secs(1);

/// The slot map once every master agrees on it, no slot is moving and it has stayed so for
/// `QUIET`; or the map as it is after `patience` (or a stop). A failover or a migration is
/// given time to finish before the next pass.
pub async fn settle(store: &Store, patience: Duration, stop: &Stop) -> Option<SlotMap> {
    let mut poll = Backoff::polling(Duration::from_millis(200), Instant::now() + patience);
    let mut steady: Option<(SlotMap, Instant)> = None;
    loop {
        let map = store.topology().await.ok();
        match &map {
            Some(m) if m.settled().is_some() => match &steady {
                Some((seen, since)) if seen == m => {
                    if since.elapsed() >= QUIET {
                        return map;
                    }
                }
                _ => steady = Some((m.clone(), Instant::now())),
            },
            _ => steady = None,
        }
        if !poll.wait(stop).await {
            return map;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{NodeIdentity, Part};

    fn master(id: &str, port: u16, epoch: u64, slots: &[(u16, u16)]) -> MasterView {
        MasterView {
            id: id.to_string(),
            addr: format!("127.0.0.1:{port}"),
            epoch,
            slots: slots.to_vec(),
            moving: Vec::new(),
        }
    }

    fn cursor(port: u16, finished: bool) -> NodeCursor {
        let node = format!("127.0.0.1:{port}");
        NodeCursor::at(&node, NodeIdentity::default(), Part::All, 0, finished)
    }

    fn map(masters: Vec<MasterView>) -> SlotMap {
        SlotMap::from_views(vec![masters])
    }

    #[test]
    fn after_a_failover_only_the_promoted_master_is_walked_again() {
        let before = map(vec![
            master("a", 1, 1, &[(0, 5460)]),
            master("b", 2, 2, &[(5461, 10922)]),
            master("c", 3, 3, &[(10923, 16383)]),
        ]);
        // b's replica d took over during the pass.
        let after = map(vec![
            master("a", 1, 1, &[(0, 5460)]),
            master("d", 4, 4, &[(5461, 10922)]),
            master("c", 3, 3, &[(10923, 16383)]),
        ]);
        let mut walked = Walked::default();
        let cursors = [cursor(1, true), cursor(2, true), cursor(3, true)];
        walked.record(&before, &after, &cursors);
        assert_eq!(walked.to_walk(&after), vec!["127.0.0.1:4"]);
        // Walked again cleanly: nothing is left to walk.
        walked.record(&after, &after, &[cursor(4, true)]);
        assert!(walked.to_walk(&after).is_empty());
    }

    #[test]
    fn a_migration_walks_both_ends_and_an_unfinished_walk_again() {
        let before = map(vec![
            master("a", 1, 1, &[(0, 5460)]),
            master("b", 2, 2, &[(5461, 16383)]),
        ]);
        let after = map(vec![
            master("a", 1, 1, &[(0, 5000)]),
            master("b", 2, 3, &[(5001, 16383)]),
        ]);
        let mut walked = Walked::default();
        walked.record(&before, &after, &[cursor(1, true), cursor(2, true)]);
        assert_eq!(walked.to_walk(&after), vec!["127.0.0.1:1", "127.0.0.1:2"]);
        // An unchanged master whose walk did not finish is walked again too.
        let mut walked = Walked::default();
        walked.record(&before, &before, &[cursor(1, true), cursor(2, false)]);
        assert_eq!(walked.to_walk(&before), vec!["127.0.0.1:2"]);
    }
}
