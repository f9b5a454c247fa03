//! The one way to wait before trying again: after a transient fault (a dropped connection,
//! BUSY, an HTTP 503), or while polling for a state to come (a replica catching up, a
//! promoted primary, a settled cluster). Waits grow exponentially to a cap, are jittered so
//! that clients dropped together do not come back together, and end at once on a stop.

use std::time::{Duration, Instant};

use crate::stop::Stop;

/// A schedule of waits: how many, how long, until when.
#[derive(Clone, Debug)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    /// Waits allowed in all (`u32::MAX`: as many as the deadline allows).
    limit: u32,
    /// Waits so far since the last `reset`.
    done: u32,
    /// No wait ends past this instant, and none starts after it.
    until: Option<Instant>,
    /// Whether a wait is jittered (polls are not: they have nobody to collide with).
    jitter: bool,
}

impl Backoff {
    /// At most `retries` waits, the first about `first` long, doubling up to `cap`.
    pub fn new(first: Duration, cap: Duration, retries: u32) -> Self {
        Backoff {
            first,
            cap: cap.max(first),
            limit: retries,
            done: 0,
            until: None,
            jitter: true,
        }
    }

    /// The retry schedule of requests to Redis: 200 ms, 400 ms, … 3.2 s (each up to half as
    /// long again), `retries` times.
    pub fn redis(retries: u32) -> Self {
        Backoff::new(
            Duration::from_millis(200),
            Duration::from_millis(3200),
            retries,
        )
    }

    /// Waits of `every` until `deadline`, as many as fit: for polling a state that is coming.
    pub fn polling(every: Duration, deadline: Instant) -> Self {
        Backoff {
            first: every,
            cap: every,
            limit: u32::MAX,
            done: 0,
            until: Some(deadline),
            jitter: false,
        }
    }

    /// Waits so far (the retry being made is this one).
    pub fn attempts(&self) -> u32 {
        self.done
    }

    /// Whether another wait may start: retries left, and the deadline not passed.
    pub fn can_retry(&self) -> bool {
        self.done < self.limit && self.until.is_none_or(|u| Instant::now() < u)
    }

    /// A request went through: the next fault starts the schedule again.
    pub fn reset(&mut self) {
        self.done = 0;
    }

    /// The next wait, counted; `None` when the retries are spent or the deadline passed.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if !self.can_retry() {
            return None;
        }
        let doubled = self.first.saturating_mul(1u32 << self.done.min(20));
        let mut delay = doubled.min(self.cap);
        self.done += 1;
        if self.jitter {
            // Up to half as long again, drawn at random: never shorter than the schedule, so
            // the retries still outlast the outage they were sized for.
            delay += (delay / 2).mul_f64(unit_random());
        }
        if let Some(until) = self.until {
            delay = delay.min(until.saturating_duration_since(Instant::now()));
        }
        Some(delay)
    }

    /// Wait the next delay, unless the retries are spent or `stop` is (or becomes) set:
    /// whether to try again.
    pub async fn wait(&mut self, stop: &Stop) -> bool {
        self.wait_at_least(stop, None).await
    }

    /// `wait`, for at least `asked` when the other side said how long (HTTP `Retry-After`).
    pub async fn wait_at_least(&mut self, stop: &Stop, asked: Option<Duration>) -> bool {
        if stop.is_set() {
            return false;
        }
        let Some(delay) = self.next_delay() else {
            return false;
        };
        sleep(asked.map_or(delay, |a| a.max(delay)), stop).await
    }
}

/// Sleep `delay`, or less when `stop` comes: whether the whole wait passed without one.
pub async fn sleep(delay: Duration, stop: &Stop) -> bool {
    if stop.is_set() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => !stop.is_set(),
        () = stop.wait() => false,
    }
}

/// A number in [0, 1) from the operating system; 0.5 when it will not say.
fn unit_random() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_end() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400), 5);
        let waits: Vec<Duration> = std::iter::from_fn(|| b.next_delay()).collect();
        assert_eq!(waits.len(), 5);
        let bounds = [(100, 150), (200, 300), (400, 600), (400, 600), (400, 600)];
        for (w, (lo, hi)) in waits.iter().zip(bounds) {
            assert!(
                *w >= Duration::from_millis(lo) && *w <= Duration::from_millis(hi),
                "{waits:?}"
            );
        }
        b.reset();
        assert!(b.next_delay().is_some());
    }

    #[test]
    fn a_huge_attempt_count_saturates() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), u32::MAX);
        for _ in 0..100 {
            assert!(b.next_delay().is_some_and(|d| d <= Duration::from_secs(45)));
        }
    }

    #[test]
    fn polling_ends_at_its_deadline() {
        let mut b = Backoff::polling(Duration::from_millis(5), Instant::now());
        assert_eq!(b.next_delay(), None);
        let mut b = Backoff::polling(
            Duration::from_millis(5),
            Instant::now() + Duration::from_secs(60),
        );
        assert_eq!(b.next_delay(), Some(Duration::from_millis(5)));
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait_at_once() {
        let stop = Stop::new();
        let mut b = Backoff::new(Duration::from_secs(60), Duration::from_secs(60), 3);
        let s = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.request();
        });
        let started = Instant::now();
        assert!(!b.wait(&stop).await);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(!b.wait(&stop).await, "a set stop retries no more");
    }
}
