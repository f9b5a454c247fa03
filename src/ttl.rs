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

    /// Whole seconds left, rounded up so a key about to expire never shows 0; `None` otherwise.
    pub fn seconds(self) -> Option<u64> {
        match self {
            KeyTtl::Expires(ms) => Some(ms.div_ceil(1000)),
            _ => None,
        }
    }
}

impl fmt::Display for KeyTtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTtl::Expires(ms) => {
                let secs = ms.div_ceil(1000);
                write!(
                    f,
                    "{}",
                    humantime::format_duration(Duration::from_secs(secs))
                )
            }
            KeyTtl::Never => f.write_str("no expiry"),
            KeyTtl::Missing => f.write_str("missing"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
