//! The keys a chain's SCAN returned last, so that a key SCAN returns again is not counted
//! twice. SCAN repeats keys only when the server shrinks its table in the middle of a walk
//! (after mass deletions), and then only keys of the buckets the walk had just passed: the
//! bucket it stands on in the smaller table gathers the larger table's buckets that share its
//! low bits, which the walk visits one after another. Those are a few keys on average (the
//! table shrinks to about one bucket per key), so remembering the last `WINDOW` keys returned
//! drops every repeat of any shrink the server makes, without holding the keyspace.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Keys remembered: repeats of a shrink by up to 2^16 at full load.
const WINDOW: usize = 1 << 16;

pub(super) struct Recent {
    seen: HashSet<u64, BuildHasherDefault<Mixed>>,
    order: VecDeque<u64>,
}

impl Recent {
    pub(super) fn new() -> Self {
        Recent {
            seen: HashSet::default(),
            order: VecDeque::new(),
        }
    }

    /// Drop from `keys` those returned recently; remember the rest.
    pub(super) fn fresh(&mut self, keys: &mut Vec<Vec<u8>>) {
        keys.retain(|k| {
            let h = crate::keys::fnv1a(k);
            if !self.seen.insert(h) {
                return false;
            }
            self.order.push_back(h);
            if self.order.len() > WINDOW
                && let Some(old) = self.order.pop_front()
            {
                self.seen.remove(&old);
            }
            true
        });
    }

    /// The walk starts over (another server process): every key is new again.
    pub(super) fn clear(&mut self) {
        self.seen.clear();
        self.order.clear();
    }
}

/// The set's hasher for values that are hashes already: one multiply spreads FNV's bits.
#[derive(Default)]
struct Mixed(u64);

impl Hasher for Mixed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_dropped_and_the_window_is_bounded() {
        let mut r = Recent::new();
        let mut first: Vec<Vec<u8>> = (0..10).map(|i| format!("k{i}").into_bytes()).collect();
        r.fresh(&mut first);
        assert_eq!(first.len(), 10);
        let mut again: Vec<Vec<u8>> = (5..15).map(|i| format!("k{i}").into_bytes()).collect();
        r.fresh(&mut again);
        assert_eq!(again.len(), 5, "k5..k9 were returned already");
        let mut many: Vec<Vec<u8>> = (0..WINDOW + 100)
            .map(|i| format!("m{i}").into_bytes())
            .collect();
        r.fresh(&mut many);
        assert_eq!(r.order.len(), WINDOW);
        assert_eq!(r.seen.len(), WINDOW);
        // Long gone from the window: seen as new.
        let mut old = vec![b"k0".to_vec()];
        r.fresh(&mut old);
        assert_eq!(old.len(), 1);
        r.clear();
        assert!(r.seen.is_empty());
    }
}
