//! Bounded-memory statistics for keyspace scans: quantiles of memory and TTL, and expiry
//! clusters. Memory grows with the spread of the values, never with the number of keys.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Sub-buckets per power of two: each bucket is about 4.4% wide, fine enough to see a TTL
/// spike (3600 and 3800 land in different buckets) and to quote p50/p99 usefully.
const SUB: f64 = 16.0;

/// A log-scale histogram of positive integers (bytes, seconds).
#[derive(Clone, Debug, Default)]
pub struct LogHistogram {
    buckets: BTreeMap<i32, u64>,
    count: u64,
    sum: u128,
    min: Option<u64>,
    max: u64,
}

impl LogHistogram {
    fn bucket(v: u64) -> i32 {
        if v == 0 {
            return i32::MIN;
        }
        ((v as f64).log2() * SUB).floor() as i32
    }

    /// The smallest value that falls in bucket `b`.
    fn lower(b: i32) -> u64 {
        if b == i32::MIN {
            return 0;
        }
        2f64.powf(b as f64 / SUB).ceil() as u64
    }

    pub fn add(&mut self, v: u64) {
        self.add_n(v, 1);
    }

    pub fn add_n(&mut self, v: u64, n: u64) {
        *self.buckets.entry(Self::bucket(v)).or_default() += n;
        self.count += n;
        self.sum += v as u128 * n as u128;
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        for (b, n) in &other.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> u128 {
        self.sum
    }

    pub fn min(&self) -> Option<u64> {
        self.min
    }

    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The value at quantile `q` (0..=1), to the bucket's resolution, clamped to min/max.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                let v = Self::lower(*b);
                return Some(v.clamp(self.min.unwrap_or(0), self.max));
            }
        }
        Some(self.max)
    }

    /// Non-empty buckets as (lower bound, count), ascending.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        self.buckets
            .iter()
            .map(|(b, n)| (Self::lower(*b), *n))
            .collect()
    }
}

/// Counts of keys by absolute expiry time, at a tenth of the cluster window, so that the
/// busiest window can be found wherever it starts (a grid of whole windows could split a spike
/// in two and report half of it).
#[derive(Clone, Debug)]
pub struct ExpiryWindows {
    tick_ms: u64,
    ticks: HashMap<u64, u64>,
}

/// The most keys expiring within one window.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExpiryCluster {
    pub keys: u64,
    /// Unix time (ms) the window starts.
    pub starts_ms: u64,
    pub window_ms: u64,
}

const TICKS_PER_WINDOW: u64 = 10;

impl ExpiryWindows {
    pub fn new(window_ms: u64) -> Self {
        ExpiryWindows {
            tick_ms: (window_ms / TICKS_PER_WINDOW).max(1),
            ticks: HashMap::new(),
        }
    }

    pub fn add(&mut self, expires_at_ms: u64) {
        *self.ticks.entry(expires_at_ms / self.tick_ms).or_default() += 1;
    }

    pub fn merge(&mut self, other: &ExpiryWindows) {
        for (t, n) in &other.ticks {
            *self.ticks.entry(*t).or_default() += n;
        }
    }

    pub fn window_ms(&self) -> u64 {
        self.tick_ms * TICKS_PER_WINDOW
    }

    /// The busiest window: a sliding sum over consecutive ticks.
    pub fn busiest(&self) -> Option<ExpiryCluster> {
        self.clusters_over(0).into_iter().max_by(|a, b| {
            a.keys
                .cmp(&b.keys)
                .then_with(|| b.starts_ms.cmp(&a.starts_ms))
        })
    }

    /// Every window (not overlapping each other) holding more than `limit` keys, earliest first.
    pub fn clusters_over(&self, limit: u64) -> Vec<ExpiryCluster> {
        let mut ticks: Vec<(u64, u64)> = self.ticks.iter().map(|(t, n)| (*t, *n)).collect();
        ticks.sort_unstable();
        let mut out: Vec<ExpiryCluster> = Vec::new();
        let mut sum = 0u64;
        let mut lo = 0usize;
        let mut best: Option<ExpiryCluster> = None;
        for hi in 0..ticks.len() {
            sum += ticks[hi].1;
            while ticks[hi].0 - ticks[lo].0 >= TICKS_PER_WINDOW {
                sum -= ticks[lo].1;
                lo += 1;
            }
            let starts_ms = ticks[lo].0 * self.tick_ms;
            if sum > limit {
                let candidate = ExpiryCluster {
                    keys: sum,
                    starts_ms,
                    window_ms: self.window_ms(),
                };
                match &best {
                    // Still within the window of the current best: keep the larger one.
                    Some(b) if starts_ms < b.starts_ms + b.window_ms => {
                        if candidate.keys > b.keys {
                            best = Some(candidate);
                        }
                    }
                    _ => {
                        if let Some(b) = best.take() {
                            out.push(b);
                        }
                        best = Some(candidate);
                    }
                }
            }
        }
        out.extend(best);
        out
    }

    /// Keys expiring per `bucket_ms` from `from_ms` on, for `buckets` buckets.
    pub fn timeline(&self, from_ms: u64, bucket_ms: u64, buckets: usize) -> Vec<u64> {
        let mut out = vec![0u64; buckets];
        for (t, n) in &self.ticks {
            let at = t * self.tick_ms;
            if at < from_ms {
                continue;
            }
            let i = ((at - from_ms) / bucket_ms.max(1)) as usize;
            if i < buckets {
                out[i] += n;
            }
        }
        out
    }

    /// True when `expires_at_ms` falls inside `cluster`.
    pub fn contains(cluster: &ExpiryCluster, expires_at_ms: u64) -> bool {
        expires_at_ms >= cluster.starts_ms && expires_at_ms < cluster.starts_ms + cluster.window_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_close() {
        let mut h = LogHistogram::default();
        for v in 1..=1000 {
            h.add(v);
        }
        let p50 = h.quantile(0.5).unwrap();
        assert!((480..=520).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99).unwrap();
        assert!((950..=1000).contains(&p99), "{p99}");
        assert_eq!(h.max(), Some(1000));
        assert_eq!(h.min(), Some(1));
    }

    #[test]
    fn spike_buckets_are_distinct() {
        assert_ne!(LogHistogram::bucket(3600), LogHistogram::bucket(3800));
    }

    #[test]
    fn busiest_window_is_found_across_grid_lines() {
        let mut w = ExpiryWindows::new(1000);
        // 100 keys from 10.5 s to 11.4 s: one second apart at most, across the 11 s line.
        for i in 0..100 {
            w.add(10_500 + i * 9);
        }
        for i in 0..50 {
            w.add(100_000 + i * 100);
        }
        let c = w.busiest().unwrap();
        assert_eq!(c.keys, 100);
        assert_eq!(c.starts_ms, 10_500);
        let over = w.clusters_over(20);
        assert_eq!(over.len(), 1, "{over:?}");
        // Ten keys a second for five seconds: five separate windows over a limit of 5.
        let over = w.clusters_over(5);
        assert_eq!(over.len(), 6, "{over:?}");
        assert!(over[1..].iter().all(|c| c.keys == 10));
    }

    #[test]
    fn timeline_counts_per_bucket() {
        let mut w = ExpiryWindows::new(1000);
        w.add(60_000);
        w.add(61_000);
        w.add(130_000);
        assert_eq!(w.timeline(60_000, 60_000, 3), vec![2, 1, 0]);
    }
}
