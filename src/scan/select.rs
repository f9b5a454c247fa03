//! Sweeps that select keys by what they are, not only by name (#30.2): no TTL, a TTL under or
//! over a bound, idle longer than a bound (or used less often, under an LFU policy), larger
//! than a size. Each SCAN page's keys are checked with one pipelined read (`PTTL`, `OBJECT
//! IDLETIME`/`FREQ`, `MEMORY USAGE`: none of them touches a key's LRU clock), and only the keys
//! that pass go on to the job: a dry run, the count a permit is judged on, a backup and a log
//! see exactly the selected keys.
//!
//! A key can change between that read and its deletion (given a TTL, read by the application,
//! rewritten smaller). So a filtered deletion is not a bare UNLINK: each batch (one slot's keys)
//! is deleted by one short script that checks every key again and deletes only those that
//! still pass, in one step no other client can come between. A key that no longer passes is
//! left, and counted among the matched keys not deleted. The script is bounded by the batch it
//! is given, as UNLINK is; it never walks the keyspace.

use std::time::Duration;

use redis::{Cmd, Pipeline, Value};
use serde::Serialize;

use crate::error::{Error, Result};

/// What a key must be to be selected, besides matching the pattern; every filter given must
/// hold. A key without a TTL is neither under nor over a TTL bound (`no_ttl` selects those).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Select {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_ttl: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_under: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_over: Option<Duration>,
    /// Idle (not read or written) longer than this; the server counts whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_over: Option<Duration>,
    /// Under an LFU policy: an access frequency counter below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freq_under: Option<u64>,
    /// `MEMORY USAGE` (the server's estimate for a collection) over this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub larger_than: Option<u64>,
}

/// One key's figures, as the check read them.
#[derive(Debug, Default)]
struct Read {
    pttl: Option<i64>,
    idle: Option<i64>,
    freq: Option<i64>,
    bytes: Option<i64>,
}

impl Select {
    pub fn is_empty(&self) -> bool {
        *self == Select::default()
    }

    fn ttl(&self) -> bool {
        self.no_ttl || self.ttl_under.is_some() || self.ttl_over.is_some()
    }

    /// The filters in words, for a prompt, a report and a checkpoint's identity.
    pub fn describe(&self) -> String {
        let d = |t: Duration| crate::ttl::human(t);
        let mut parts = Vec::new();
        if self.no_ttl {
            parts.push("no TTL".to_string());
        }
        if let Some(t) = self.ttl_under {
            parts.push(format!("TTL under {}", d(t)));
        }
        if let Some(t) = self.ttl_over {
            parts.push(format!("TTL over {}", d(t)));
        }
        if let Some(t) = self.idle_over {
            parts.push(format!("idle over {}", d(t)));
        }
        if let Some(n) = self.freq_under {
            parts.push(format!("access frequency under {n}"));
        }
        if let Some(n) = self.larger_than {
            parts.push(format!("larger than {n} bytes"));
        }
        parts.join(", ")
    }

    /// The reads that check one key, in the order `passes` takes their replies.
    fn reads(&self, key: &[u8], pipe: &mut Pipeline) -> usize {
        let mut n = 0;
        if self.ttl() {
            pipe.cmd("PTTL").arg(key);
            n += 1;
        }
        if self.idle_over.is_some() {
            pipe.cmd("OBJECT").arg("IDLETIME").arg(key);
            n += 1;
        }
        if self.freq_under.is_some() {
            pipe.cmd("OBJECT").arg("FREQ").arg(key);
            n += 1;
        }
        if self.larger_than.is_some() {
            pipe.cmd("MEMORY").arg("USAGE").arg(key);
            n += 1;
        }
        n
    }

    fn passes(&self, r: &Read) -> bool {
        // Gone since the SCAN found it (PTTL -2, OBJECT and MEMORY answer nil): not selected.
        if self.ttl() && !matches!(r.pttl, Some(t) if t >= -1) {
            return false;
        }
        let ttl = r.pttl.filter(|t| *t >= 0);
        let ms = |d: Duration| d.as_millis().min(i64::MAX as u128) as i64;
        (!self.no_ttl || r.pttl == Some(-1))
            && self
                .ttl_under
                .is_none_or(|u| ttl.is_some_and(|t| t < ms(u)))
            && self.ttl_over.is_none_or(|o| ttl.is_some_and(|t| t > ms(o)))
            && self
                .idle_over
                .is_none_or(|d| r.idle.is_some_and(|i| i > d.as_secs() as i64))
            && self
                .freq_under
                .is_none_or(|f| r.freq.is_some_and(|n| (n as u64) < f))
            && self
                .larger_than
                .is_none_or(|b| r.bytes.is_some_and(|n| n as u64 > b))
    }

    /// Which of `keys` pass, read with one pipeline through `send` (to the master the keys
    /// live on). A server that cannot answer a filter is said plainly.
    pub async fn check<F, Fut>(&self, keys: &[Vec<u8>], addr: &str, send: F) -> Result<Vec<bool>>
    where
        F: FnOnce(Pipeline) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Value>>>,
    {
        if self.is_empty() || keys.is_empty() {
            return Ok(vec![true; keys.len()]);
        }
        let mut pipe = redis::pipe();
        let mut per = 0;
        for k in keys {
            per = self.reads(k, &mut pipe);
        }
        let replies = send(pipe).await?;
        if replies.len() != keys.len() * per {
            return Err(Error::Protocol {
                addr: addr.to_string(),
                command: "PTTL/OBJECT/MEMORY",
                detail: format!("{} replies for {} reads", replies.len(), keys.len() * per),
            });
        }
        replies
            .chunks_exact(per)
            .map(|r| Ok(self.passes(&self.read(r, addr)?)))
            .collect()
    }

    fn read(&self, replies: &[Value], addr: &str) -> Result<Read> {
        let mut it = replies.iter();
        let mut next = |asked: bool, what: &'static str| -> Result<Option<i64>> {
            if !asked {
                return Ok(None);
            }
            match it.next() {
                Some(Value::Int(n)) => Ok(Some(*n)),
                Some(Value::Nil) | None => Ok(None),
                Some(Value::ServerError(e)) => Err(self.refused(what, e)),
                Some(other) => Err(Error::Protocol {
                    addr: addr.to_string(),
                    command: "PTTL/OBJECT/MEMORY",
                    detail: format!("expected an integer, got {other:?}"),
                }),
            }
        };
        Ok(Read {
            pttl: next(self.ttl(), "PTTL")?,
            idle: next(self.idle_over.is_some(), "IDLETIME")?,
            freq: next(self.freq_under.is_some(), "FREQ")?,
            bytes: next(self.larger_than.is_some(), "MEMORY")?,
        })
    }

    /// A filter the server refused: under an LFU policy there is no idle time, under any other
    /// no access frequency; an ACL may deny the read.
    fn refused(&self, what: &str, e: &redis::ServerError) -> Error {
        let said = e.details().unwrap_or(e.code());
        match what {
            "IDLETIME" if said.contains("LFU") => Error::Precondition(
                "--idle-over cannot be answered: the server's maxmemory-policy is LFU, which \
                 keeps no idle time (select the rarely used keys with --freq-under N instead)"
                    .into(),
            ),
            "FREQ" if said.contains("LFU") => Error::Precondition(
                "--freq-under cannot be answered: the server's maxmemory-policy is not LFU, so \
                 it counts no access frequency (select the unused keys with --idle-over DURATION \
                 instead)"
                    .into(),
            ),
            _ => Error::Precondition(format!(
                "the filter's read ({what}) was refused: {} {said}",
                e.code()
            )),
        }
    }

    /// The check-and-delete of `keys` (one slot's): deletes with `verb` each key that still
    /// passes, answering how many it deleted, as UNLINK does.
    pub fn delete(&self, verb: &str, type_name: Option<&str>, keys: &[&[u8]]) -> Cmd {
        let arg =
            |d: Option<Duration>| d.map_or(-1, |d| d.as_millis().min(i64::MAX as u128) as i64);
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(CHECK_AND_DELETE).arg(keys.len());
        for k in keys {
            cmd.arg(*k);
        }
        cmd.arg(if self.no_ttl { 1 } else { 0 })
            .arg(arg(self.ttl_under))
            .arg(arg(self.ttl_over))
            .arg(self.idle_over.map_or(-1, |d| d.as_secs() as i64))
            .arg(
                self.freq_under
                    .map_or(-1, |n| n.min(i64::MAX as u64) as i64),
            )
            .arg(
                self.larger_than
                    .map_or(-1, |n| n.min(i64::MAX as u64) as i64),
            )
            .arg(type_name.unwrap_or(""))
            .arg(verb);
        cmd
    }
}

/// The check `passes` makes, made again by the server beside the delete. Reads that do not
/// touch the key's LRU clock; bounded by the keys given.
const CHECK_AND_DELETE: &str = r#"
local a = ARGV
local nottl, under, over = a[1] == '1', tonumber(a[2]), tonumber(a[3])
local idle, freq, size, kind = tonumber(a[4]), tonumber(a[5]), tonumber(a[6]), a[7]
local n = 0
for _, k in ipairs(KEYS) do
  local t = redis.call('PTTL', k)
  local ok = t ~= -2
  if ok and nottl then ok = t == -1 end
  if ok and under >= 0 then ok = t >= 0 and t < under end
  if ok and over >= 0 then ok = t >= 0 and t > over end
  if ok and idle >= 0 then ok = redis.call('OBJECT', 'IDLETIME', k) > idle end
  if ok and freq >= 0 then ok = redis.call('OBJECT', 'FREQ', k) < freq end
  if ok and size >= 0 then ok = (redis.call('MEMORY', 'USAGE', k) or 0) > size end
  if ok and kind ~= '' then ok = redis.call('TYPE', k)['ok'] == kind end
  if ok then n = n + redis.call(a[8], k) end
end
return n
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pttl: i64) -> Read {
        Read {
            pttl: Some(pttl),
            ..Read::default()
        }
    }

    #[test]
    fn ttl_filters_select_as_documented() {
        let no_ttl = Select {
            no_ttl: true,
            ..Select::default()
        };
        assert!(no_ttl.passes(&read(-1)));
        assert!(!no_ttl.passes(&read(5_000)));
        assert!(!no_ttl.passes(&read(-2)));
        let under = Select {
            ttl_under: Some(Duration::from_secs(60)),
            ..Select::default()
        };
        assert!(under.passes(&read(59_999)));
        assert!(!under.passes(&read(60_000)));
        // No TTL is neither under nor over.
        assert!(!under.passes(&read(-1)));
        let over = Select {
            ttl_over: Some(Duration::from_secs(60)),
            ..Select::default()
        };
        assert!(over.passes(&read(60_001)));
        assert!(!over.passes(&read(-1)));
    }

    #[test]
    fn idle_and_size_filters_need_their_reads() {
        let s = Select {
            idle_over: Some(Duration::from_secs(30)),
            larger_than: Some(1024),
            ..Select::default()
        };
        let r = |idle, bytes| Read {
            idle: Some(idle),
            bytes: Some(bytes),
            ..Read::default()
        };
        assert!(s.passes(&r(31, 1025)));
        assert!(!s.passes(&r(30, 1025)));
        assert!(!s.passes(&r(31, 1024)));
        assert!(!s.passes(&Read::default()));
        assert_eq!(s.describe(), "idle over 30s, larger than 1024 bytes");
    }
}
