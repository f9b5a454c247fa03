//! Time to live, as users write it (`3600`, `1h`, `30m`, `1h30m`) and as Redis reports it.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};

/// A TTL a command will write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    Seconds(u64),
    /// Keep whatever TTL the key already has (`SET ... KEEPTTL`).
    Keep,
    /// No expiry, asked for explicitly.
    Persist,
}

/// The longest duration a flag or a plan may give (a timeout, an interval, a window): a year,
/// as `1y` is read (365.25 days), so that what the message offers is taken. Anything longer is
/// a typo, and would overflow the arithmetic done with it.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(31_557_600);

/// The longest TTL a flag may give: 100 years (the server takes more, nobody means it).
pub const MAX_TTL_SECS: u64 = 100 * 365 * 24 * 3600;

/// A duration from a flag or a plan: above zero and at most `MAX_DURATION`.
pub fn parse_duration(input: &str) -> std::result::Result<std::time::Duration, String> {
    match humantime::parse_duration(input.trim()) {
        Ok(d) if d.is_zero() => Err("must be more than zero (e.g. 500ms, 5s, 1m)".into()),
        Ok(d) if d > MAX_DURATION => Err("must be at most a year (e.g. 500ms, 5s, 1m)".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!("{e} (e.g. 500ms, 5s, 1m)")),
    }
}

/// Parse `3600`, `90s`, `30m`, `1h`, `1h30m`, `2d` into whole seconds (at least one).
pub fn parse_seconds(input: &str) -> Result<u64> {
    let s = input.trim();
    let bad = |reason: &str| Error::BadTtl {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let secs = if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        s.parse::<u64>().map_err(|_| bad("number too large"))?
    } else {
        let d = humantime::parse_duration(s)
            .map_err(|e| bad(&format!("{e} (use seconds or e.g. 30m, 1h, 1h30m)")))?;
        if d.subsec_nanos() != 0 {
            return Err(bad("Redis TTLs are whole seconds"));
        }
        d.as_secs()
    };
    if secs == 0 {
        return Err(bad("a TTL must be at least one second"));
    }
    if secs > MAX_TTL_SECS {
        return Err(bad("a TTL must be at most 100 years"));
    }
    Ok(secs)
}

/// A TTL as the server reports it for an existing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum KeyTtl {
    /// Milliseconds left.
    Expires(u64),
    /// The key exists and never expires.
    Never,
    /// The key does not exist.
    Missing,
}

impl KeyTtl {
    /// From a `PTTL` reply: -1 no expiry, -2 no key.
    pub fn from_pttl(pttl: i64) -> Self {
        match pttl {
            -2 => KeyTtl::Missing,
            n if n < 0 => KeyTtl::Never,
            n => KeyTtl::Expires(n as u64),
        }
    }

    /// From an absolute expiry (ms since the epoch) as of `now_ms`: a key whose time has
    /// passed is as good as gone. A server drops a key only once its expiry is strictly
    /// before now, so a key expiring at `now_ms` itself is still there, with 0 ms left.
    pub fn at(expires_at_ms: Option<i64>, now_ms: i64) -> Self {
        match expires_at_ms {
            None => KeyTtl::Never,
            Some(t) if t >= now_ms => KeyTtl::Expires((t - now_ms) as u64),
            Some(_) => KeyTtl::Missing,
        }
    }

    /// Whole seconds left, rounded up so a key about to expire never shows 0; `None` otherwise.
    pub fn seconds(self) -> Option<u64> {
        match self {
            KeyTtl::Expires(ms) => Some(ms.div_ceil(1000)),
            _ => None,
        }
    }
}

/// How a key's expiry is asked: `PEXPIRETIME`, the exact moment, until the server says it
/// cannot answer that (unknown before 7.0, or an ACL that grants `PTTL` alone); from then on
/// `PTTL`, read against our clock (late by however long the reply took). The audit, the TTL
/// fixes and backups all ask this way; one job's connections share one.
#[derive(Debug, Default)]
pub struct ExpiryQuestion {
    pttl: std::sync::atomic::AtomicBool,
}

impl ExpiryQuestion {
    /// The command to ask with now.
    pub fn verb(&self) -> &'static str {
        match self.pttl.load(std::sync::atomic::Ordering::Relaxed) {
            true => "PTTL",
            false => "PEXPIRETIME",
        }
    }

    /// Whether `reply`, to a `PEXPIRETIME`, is the server saying it cannot answer that (`ERR`:
    /// unknown; `NOPERM`: not granted): then every later question is `PTTL`, and the key is
    /// to be asked again. Batches already sent are refused whole the same way, so a number
    /// that comes after the switch is always `PTTL`'s.
    pub fn refused(&self, reply: &redis::Value) -> bool {
        let refused =
            matches!(reply, redis::Value::ServerError(e) if matches!(e.code(), "ERR" | "NOPERM"));
        if refused {
            self.pttl.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        refused
    }

    /// An answer to `asked`, received at `now` (ms since the epoch): the time left as `PTTL`
    /// says it (-1 no expiry, -2 no key; a moment already past is 0 left, since the server
    /// still holds the key), and the moment it expires, when it does.
    pub fn read(asked: &str, answer: i64, now: u64) -> (i64, Option<u64>) {
        match (asked, answer) {
            (_, none) if none < 0 => (none, None),
            ("PTTL", ms) => (ms, Some(now.saturating_add(ms as u64))),
            (_, at) => (at.saturating_sub(now as i64).max(0), Some(at as u64)),
        }
    }
}

impl fmt::Display for KeyTtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTtl::Expires(ms) => f.write_str(&human_ms(*ms)),
            KeyTtl::Never => f.write_str("no expiry"),
            KeyTtl::Missing => f.write_str("missing"),
        }
    }
}

/// A duration for people, its two largest units: `1d 1h`, `5m 30s`, `250ms`, `9506y 123d`.
/// Total: any value a server can report prints (a TTL of a few hundred billion seconds is
/// legal), never panics.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return match d.subsec_millis() {
            0 => "0s".to_string(),
            ms => format!("{ms}ms"),
        };
    }
    const UNITS: [(&str, u64); 5] = [
        ("y", 365 * 86_400),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ];
    let mut parts = Vec::with_capacity(2);
    let mut rest = secs;
    for (name, size) in UNITS {
        if rest >= size {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Two adjacent units at most: `1d 0h 5m` would read as more precise than it is.
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// Whole seconds for people (`human` without the sub-second case).
pub fn human_secs(secs: u64) -> String {
    human(Duration::from_secs(secs))
}

/// Milliseconds for people, rounded up to seconds past one second.
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        human(Duration::from_millis(ms))
    } else {
        human_secs(ms.div_ceil(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_asked_exactly_until_the_server_cannot_say_it() {
        let q = ExpiryQuestion::default();
        assert_eq!(q.verb(), "PEXPIRETIME");
        // The exact moment, and the time left from it; a moment just past is 0 left.
        assert_eq!(
            ExpiryQuestion::read("PEXPIRETIME", 10_500, 10_000),
            (500, Some(10_500))
        );
        assert_eq!(
            ExpiryQuestion::read("PEXPIRETIME", 9_990, 10_000),
            (0, Some(9_990))
        );
        assert_eq!(ExpiryQuestion::read("PEXPIRETIME", -1, 10_000), (-1, None));
        assert_eq!(ExpiryQuestion::read("PTTL", -2, 10_000), (-2, None));
        assert_eq!(
            ExpiryQuestion::read("PTTL", 500, 10_000),
            (500, Some(10_500))
        );
        assert!(!q.refused(&redis::Value::Int(5)));
        let busy = redis::parse_redis_value(b"-BUSYKEY exists\r\n").unwrap();
        assert!(!q.refused(&busy));
        assert_eq!(q.verb(), "PEXPIRETIME");
        let denied = redis::parse_redis_value(b"-NOPERM no permissions\r\n").unwrap();
        assert!(q.refused(&denied));
        assert_eq!(q.verb(), "PTTL");
    }
    use crate::clock::{rfc3339, short_time};

    #[test]
    fn a_year_is_at_most_a_year() {
        assert_eq!(parse_duration("1y"), Ok(MAX_DURATION));
        assert!(parse_duration("1y 1s").is_err());
        assert!(parse_duration("365d").is_ok());
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_secs(3600), "1h");
        assert_eq!(human_secs(90_000), "1d 1h");
        assert_eq!(human_secs(90), "1m 30s");
        assert_eq!(human_secs(86_405), "1d");
        assert_eq!(human_ms(250), "250ms");
        assert_eq!(human_ms(1001), "2s");
        assert_eq!(human_secs(300_000_000_000), "9512y 342d");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    /// A server keeps a key until its expiry is strictly before now.
    #[test]
    fn a_key_expiring_now_is_still_there() {
        assert_eq!(KeyTtl::at(Some(1000), 1000), KeyTtl::Expires(0));
        assert_eq!(KeyTtl::at(Some(999), 1000), KeyTtl::Missing);
        assert_eq!(KeyTtl::at(Some(1001), 1000), KeyTtl::Expires(1));
        assert_eq!(KeyTtl::at(None, 1000), KeyTtl::Never);
    }

    /// Every u64 a server can send as a TTL or a timestamp formats without a panic.
    #[test]
    fn formatters_are_total() {
        let mut j = Jitter::seeded(0x5eed);
        let edges = [
            0,
            1,
            999,
            1000,
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
            1 << 63,
        ];
        let random = (0..20_000).map(|i| {
            let bits = j.next();
            // Every magnitude, not only huge numbers.
            bits >> (i % 64)
        });
        for v in edges.into_iter().chain(random) {
            assert!(!human_ms(v).is_empty());
            assert!(!human_secs(v).is_empty());
            assert!(!rfc3339(v).is_empty());
            assert!(!short_time(v).is_empty());
            assert!(!KeyTtl::Expires(v).to_string().is_empty());
        }
        // `EXPIRE k 300000000000`: an expiry in the year 11476 is a date, not a panic.
        let far = rfc3339(300_000_000_000_000 + 1_700_000_000_000);
        assert!(far.starts_with("+11"), "{far}");
        assert!(rfc3339(u64::MAX).ends_with("after 1970"));
    }

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_seconds("3600").unwrap(), 3600);
        assert_eq!(parse_seconds("1h").unwrap(), 3600);
        assert_eq!(parse_seconds("30m").unwrap(), 1800);
        assert_eq!(parse_seconds("1h30m").unwrap(), 5400);
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("1500ms").is_err());
    }

    #[test]
    fn pttl_replies() {
        assert_eq!(KeyTtl::from_pttl(-2), KeyTtl::Missing);
        assert_eq!(KeyTtl::from_pttl(-1), KeyTtl::Never);
        assert_eq!(KeyTtl::from_pttl(1001).seconds(), Some(2));
    }
}

/// Randomness for spreading expiries (warm's `jitter`, ttl-audit's `--spread`). Spreading
/// needs no cryptographic quality, only independence between keys: SplitMix64.
#[derive(Clone, Debug)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    pub fn seeded(seed: u64) -> Self {
        Jitter { state: seed }
    }

    /// Seeded from the operating system's randomness (the clock only if that fails), so two
    /// runs, or two parts of one run started in the same millisecond, never share a sequence.
    pub fn from_os() -> Self {
        let mut seed = [0u8; 8];
        if getrandom::fill(&mut seed).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            seed = (nanos ^ u64::from(std::process::id()).rotate_left(32)).to_le_bytes();
        }
        Jitter::seeded(u64::from_le_bytes(seed))
    }

    /// A generator of its own for a part of the work (a chain, a child step), drawn from this
    /// one: independent of its siblings.
    pub fn fork(&mut self) -> Jitter {
        Jitter::seeded(self.next())
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `secs` moved by up to ±`fraction` of itself, never below one second.
    pub fn spread(&mut self, secs: u64, fraction: f64) -> u64 {
        let delta = (self.unit() * 2.0 - 1.0) * fraction * secs as f64;
        ((secs as f64 + delta).round() as u64).max(1)
    }
}

#[cfg(test)]
mod jitter_tests {
    use super::*;

    #[test]
    fn spread_stays_in_bounds_and_varies() {
        let mut j = Jitter::seeded(7);
        let v: Vec<u64> = (0..1000).map(|_| j.spread(1000, 0.1)).collect();
        assert!(v.iter().all(|&x| (900..=1100).contains(&x)));
        assert!(v.iter().collect::<std::collections::HashSet<_>>().len() > 100);
    }
}
