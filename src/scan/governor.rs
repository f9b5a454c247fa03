//! How large each request is: batches sized from the server's own time per SCAN-COUNT unit, so
//! that none holds the server longer than its share of `--budget`, and `--rate` kept.

use std::time::{Duration, Instant};

use super::seam::TWO_CHAIN_MAX_COUNT;
use super::{BatchSize, Pace};

const MIN_COUNT: u32 = 10;
const MAX_COUNT: u32 = 100_000;
const INITIAL_COUNT: u32 = 100;

/// Sizes batches so that no request of ours holds the server longer than its share of the
/// budget, and keeps to `--rate`.
pub(super) struct Governor {
    pub(super) count: u32,
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
    pub(super) fn new(pace: Pace, two_chains: bool) -> Self {
        let max_count = if two_chains {
            TWO_CHAIN_MAX_COUNT
        } else {
            MAX_COUNT
        };
        let (count, adaptive) = match pace.batch {
            BatchSize::Adaptive { budget } => (INITIAL_COUNT, Some(budget)),
            BatchSize::Fixed(n) => (n.clamp(1, max_count.min(super::MAX_FIXED_COUNT)), None),
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
    pub(super) fn observe(&mut self, server: Duration, count: u32) {
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
    pub(super) fn acted(&mut self, n: u64) -> Option<Duration> {
        self.acted += n;
        let rate = self.rate.filter(|r| *r > 0)?;
        let due = Duration::from_secs_f64(self.acted as f64 / rate as f64);
        due.checked_sub(self.started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                ..Pace::default()
            },
            true,
        );
        assert_eq!(fixed.count, TWO_CHAIN_MAX_COUNT);
        fixed.observe(Duration::from_secs(1), 500);
        assert_eq!(fixed.count, TWO_CHAIN_MAX_COUNT);
    }
}
