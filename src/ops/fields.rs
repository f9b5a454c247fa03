//! Hash field expirations (Redis 7.4+, Valkey 9): a hash whose own TTL is absent may still
//! have fields that expire one by one (`HEXPIRE`). What every command that shows a TTL needs
//! of them, read the one way: pipelined, bounded per hash, and only where the server says
//! field TTLs exist.
//!
//! The semantics, once (README "TTLs of hash fields"): a hash without a TTL of its own whose
//! every field has one vanishes on its own with its last field, so it is not a key without
//! TTL, and its effective expiry is its last field's; a hash with any field without TTL and
//! no key TTL is one.

use redis::{Cmd, Value};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ops::distributions::{ExpiryCluster, ExpiryWindows, LogHistogram};
use crate::ops::policy::Rule;
use crate::store::Store;

/// Fields one hash is read for at most: past this its figures are those of a sample (and
/// say so), so that a hash of millions of fields costs no more than one of ten thousand.
pub const MAX_FIELDS_READ: u64 = 10_000;

/// Fields asked for per HSCAN (the server may return more for a small hash: all of them).
const PAGE: u64 = 1_000;

/// The field expirations of one hash, as read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FieldTtls {
    /// Fields the hash holds (HLEN).
    pub fields: u64,
    /// Fields whose TTL was read: all of them, or a sample of a large hash.
    pub read: u64,
    /// Of those read, fields that expire.
    pub with_ttl: u64,
    /// The soonest and the latest field expiry, in ms from now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
    /// When the hash goes with its last field (every field expires, and it has no TTL of its
    /// own to go sooner): its effective TTL, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_ms: Option<u64>,
    /// Not every field was read (a hash larger than `MAX_FIELDS_READ`): the counts are a
    /// sample's.
    pub sampled: bool,
    /// Each field read and its TTL in ms (`null`: no expiry), when asked for.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "per_field_map"
    )]
    pub per_field: Vec<(Vec<u8>, Option<u64>)>,
}

fn per_field_map<S: serde::Serializer>(
    fields: &[(Vec<u8>, Option<u64>)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(fields.len()))?;
    for (f, ttl) in fields {
        m.serialize_entry(&crate::keys::display(f), ttl)?;
    }
    m.end()
}

impl FieldTtls {
    /// Every field expires, so the hash does: with its last field, `max_ms` from now.
    pub fn all_expire(&self) -> bool {
        self.fields > 0 && !self.sampled && self.with_ttl == self.fields
    }

    /// A hash of `fields` fields, of which `read` were read with their TTLs (ms; `None`:
    /// no expiry).
    pub fn of(fields: u64, read: impl IntoIterator<Item = (Vec<u8>, Option<u64>)>) -> FieldTtls {
        let mut f = FieldTtls {
            fields,
            ..FieldTtls::default()
        };
        for (name, ttl) in read {
            f.add(name, ttl, false);
        }
        f.finish();
        f
    }

    /// A hash of a dump: `fields` fields, these expiring at these times (ms since the epoch),
    /// as of `now_ms` (fields whose time has passed are gone, as a server loading it drops
    /// them).
    pub fn from_expiries(fields: u64, expires_at_ms: &[i64], now_ms: i64) -> FieldTtls {
        let live = expires_at_ms.iter().filter(|&&at| at >= now_ms);
        let gone = expires_at_ms.len() as u64 - live.clone().count() as u64;
        let mut f = FieldTtls {
            fields: fields.saturating_sub(gone),
            ..FieldTtls::default()
        };
        for &at in live {
            f.add(
                Vec::new(),
                Some(at.saturating_sub(now_ms).max(0) as u64),
                true,
            );
        }
        let without = f.fields.saturating_sub(f.read);
        f.read += without;
        f.finish();
        f
    }

    fn finish(&mut self) {
        self.sampled = self.read < self.fields;
        self.effective_ms = self.all_expire().then_some(self.max_ms).flatten();
    }

    fn add(&mut self, field: Vec<u8>, ttl: Option<u64>, keep: bool) {
        self.read += 1;
        if let Some(ms) = ttl {
            self.with_ttl += 1;
            self.min_ms = Some(self.min_ms.map_or(ms, |m| m.min(ms)));
            self.max_ms = Some(self.max_ms.map_or(ms, |m| m.max(ms)));
        }
        if keep {
            self.per_field.push((field, ttl));
        }
    }
}

/// Keys a report names per finding, at most.
const SAMPLE: usize = 5;

/// The field expirations of many hashes (those without a TTL of their own), for a report:
/// counts, the fields' TTLs and when they expire, and what a policy rule finds wrong.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FieldAcc {
    /// Hashes with a field that expires.
    pub hashes: u64,
    /// Of those, hashes whose every field expires: they go with their last field.
    pub expire_with_fields: u64,
    pub fields_with_ttl: u64,
    pub fields_without_ttl: u64,
    /// Hashes too large to read whole: their figures are a sample's.
    pub sampled: u64,
    pub ttl: LogHistogram,
    /// When the fields expire (created with the first).
    pub windows: Option<ExpiryWindows>,
    /// Hashes with a field without TTL, where the rule requires every field to expire.
    pub missing: (u64, Vec<String>),
    /// Fields below and above the rule's `field_ttl` bounds (counted as fields, sampled as
    /// their hashes).
    pub below_min: (u64, Vec<String>),
    pub above_max: (u64, Vec<String>),
}

impl FieldAcc {
    /// One hash's fields, read at `now` (ms), under `rule`; `window_ms`/`start_ms` as the
    /// report's key windows, so that the two line up.
    pub fn add(
        &mut self,
        key: &[u8],
        f: &FieldTtls,
        rule: Option<&Rule>,
        now: u64,
        (window_ms, start_ms): (u64, u64),
    ) {
        let shown = || crate::keys::display(key);
        let note = |into: &mut (u64, Vec<String>), n: u64| {
            into.0 += n;
            if into.1.len() < SAMPLE {
                into.1.push(shown());
            }
        };
        if f.with_ttl > 0 {
            self.hashes += 1;
            self.expire_with_fields += u64::from(f.all_expire());
        }
        self.sampled += u64::from(f.sampled);
        self.fields_with_ttl += f.with_ttl;
        self.fields_without_ttl += f.read - f.with_ttl;
        if rule.is_some_and(|r| r.require_field_ttl) && f.read > f.with_ttl {
            note(&mut self.missing, 1);
        }
        let (mut below, mut above) = (0, 0);
        for ms in f.per_field.iter().filter_map(|(_, t)| *t) {
            let secs = ms.div_ceil(1000);
            self.ttl.add(secs);
            self.windows
                .get_or_insert_with(|| ExpiryWindows::starting(window_ms, start_ms))
                .add(now.saturating_add(ms));
            below += u64::from(rule.and_then(|r| r.field_min_ttl).is_some_and(|m| secs < m));
            above += u64::from(rule.and_then(|r| r.field_max_ttl).is_some_and(|m| secs > m));
        }
        if below > 0 {
            note(&mut self.below_min, below);
        }
        if above > 0 {
            note(&mut self.above_max, above);
        }
    }

    pub fn merge(&mut self, o: &FieldAcc) {
        self.hashes += o.hashes;
        self.expire_with_fields += o.expire_with_fields;
        self.fields_with_ttl += o.fields_with_ttl;
        self.fields_without_ttl += o.fields_without_ttl;
        self.sampled += o.sampled;
        self.ttl.merge(&o.ttl);
        match (&mut self.windows, &o.windows) {
            (Some(w), Some(ow)) => w.merge(ow),
            (None, Some(ow)) => self.windows = Some(ow.clone()),
            _ => {}
        }
        for (into, from) in [
            (&mut self.missing, &o.missing),
            (&mut self.below_min, &o.below_min),
            (&mut self.above_max, &o.above_max),
        ] {
            into.0 += from.0;
            let room = SAMPLE.saturating_sub(into.1.len());
            into.1.extend(from.1.iter().take(room).cloned());
        }
    }

    /// Nothing was seen: no hash had fields read.
    pub fn is_empty(&self) -> bool {
        self.fields_with_ttl == 0 && self.fields_without_ttl == 0
    }

    /// The figures a report shows, counts multiplied by `scale` (a sample's rate's inverse).
    pub fn summary(&self, scale: impl Fn(u64) -> u64) -> FieldSummary {
        FieldSummary {
            hashes: scale(self.hashes),
            expire_with_fields: scale(self.expire_with_fields),
            fields_with_ttl: scale(self.fields_with_ttl),
            fields_without_ttl: scale(self.fields_without_ttl),
            sampled_hashes: self.sampled,
            ttl_min_s: self.ttl.min(),
            ttl_median_s: self.ttl.quantile(0.5),
            ttl_max_s: self.ttl.max(),
            busiest: self.windows.as_ref().and_then(ExpiryWindows::busiest),
        }
    }
}

/// Hash field expirations in a report: per family, and over everything audited.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FieldSummary {
    /// Hashes without a TTL of their own that have a field that expires.
    pub hashes: u64,
    /// Of those, hashes whose every field expires (not keys without TTL: they go with their
    /// last field).
    pub expire_with_fields: u64,
    pub fields_with_ttl: u64,
    pub fields_without_ttl: u64,
    /// Hashes larger than `MAX_FIELDS_READ` fields, whose figures are a sample's.
    pub sampled_hashes: u64,
    pub ttl_min_s: Option<u64>,
    pub ttl_median_s: Option<u64>,
    pub ttl_max_s: Option<u64>,
    /// The most fields expiring within one window, and when.
    pub busiest: Option<ExpiryCluster>,
}

/// Whether an INFO keyspace line's figures say some keys have fields that expire: Redis
/// counts them as `subexpiry`, Valkey as `keys_with_volatile_items`.
pub fn keys_with_field_ttls(fields: &str) -> u64 {
    fields
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| matches!(*k, "subexpiry" | "keys_with_volatile_items"))
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

/// Whether the server knows hash field expiry (`COMMAND INFO HPTTL` names it), for when INFO
/// cannot say whether any key has it.
pub async fn supported(store: &Store) -> bool {
    let reply: Result<Value> = store
        .query(redis::cmd("COMMAND").arg("INFO").arg("HPTTL"))
        .await;
    matches!(reply, Ok(Value::Array(v)) if v.first().is_some_and(|c| *c != Value::Nil))
}

/// The field expirations of each of `keys` that is a hash (`None` for any other key, a key
/// that is gone, or a server without field expiry). `keep_fields`: also each field's own TTL.
pub async fn read(
    store: &Store,
    keys: &[Vec<u8>],
    keep_fields: bool,
) -> Result<Vec<Option<FieldTtls>>> {
    let mut out: Vec<Option<FieldTtls>> = vec![None; keys.len()];
    if keys.is_empty() {
        return Ok(out);
    }
    // First: each key's size and first page of field names.
    let mut cmds = Vec::with_capacity(keys.len() * 2);
    for k in keys {
        cmds.push((k.clone(), redis::cmd("HLEN").arg(k).clone()));
        cmds.push((k.clone(), hscan(k, 0)));
    }
    let replies = store.per_key_untouched(cmds).await?;
    let mut pages: Vec<(usize, u64, Vec<Vec<u8>>)> = Vec::new();
    for (i, pair) in replies.chunks(2).enumerate() {
        let (Some(Value::Int(len)), Some(page)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let Some((cursor, names)) = page_of(page) else {
            continue;
        };
        out[i] = Some(FieldTtls {
            fields: (*len).max(0) as u64,
            ..FieldTtls::default()
        });
        pages.push((i, cursor, names));
    }
    // Then, round by round: the TTLs of the names read, and the next page where there is one
    // and the bound allows.
    // A page may come back empty with more to come (a hash being rehashed): it asks for no
    // TTLs, only for the next page.
    let more = |read: u64, cursor: u64, names: &[Vec<u8>]| {
        cursor != 0 && read + (names.len() as u64) < MAX_FIELDS_READ
    };
    // A hash rehashed while it is scanned may name a field twice: each is read once.
    let mut seen: Vec<std::collections::HashSet<Vec<u8>>> = vec![Default::default(); keys.len()];
    while !pages.is_empty() {
        for (i, _, names) in pages.iter_mut() {
            names.retain(|n| seen[*i].insert(n.clone()));
        }
        let mut cmds = Vec::new();
        for (i, cursor, names) in &pages {
            let key = &keys[*i];
            if !names.is_empty() {
                let mut hpttl = redis::cmd("HPTTL");
                hpttl.arg(key).arg("FIELDS").arg(names.len());
                for n in names {
                    hpttl.arg(n);
                }
                cmds.push((key.clone(), hpttl));
            }
            if more(out[*i].as_ref().map_or(0, |f| f.read), *cursor, names) {
                cmds.push((key.clone(), hscan(key, *cursor)));
            }
        }
        // Every page may be empty and the last (names all read before): nothing to ask.
        let mut replies = match cmds.is_empty() {
            true => Vec::new(),
            false => store.per_key_untouched(cmds).await?,
        }
        .into_iter();
        let mut next = Vec::new();
        for (i, cursor, names) in pages {
            let ttls = match names.is_empty() {
                true => Value::Array(Vec::new()),
                false => replies.next().unwrap_or(Value::Nil),
            };
            let read = out[i].as_ref().map_or(0, |f| f.read);
            let page = match more(read, cursor, &names) {
                true => replies.next(),
                false => None,
            };
            let Some(acc) = out[i].as_mut() else { continue };
            match ttls {
                Value::Array(items) => {
                    for (name, t) in names.into_iter().zip(items) {
                        match t {
                            // The field went between the two reads.
                            Value::Int(-2) => acc.fields = acc.fields.saturating_sub(1),
                            Value::Int(ms) if ms >= 0 => {
                                acc.add(name, Some(ms as u64), keep_fields)
                            }
                            _ => acc.add(name, None, keep_fields),
                        }
                    }
                }
                // No field expiry on this server (an unknown command), or the key changed
                // type: nothing is known of its fields.
                _ => {
                    out[i] = None;
                    continue;
                }
            }
            if let Some((c, n)) = page.as_ref().and_then(page_of) {
                next.push((i, c, n));
            }
        }
        pages = next;
    }
    for f in out.iter_mut().flatten() {
        f.finish();
    }
    Ok(out)
}

fn hscan(key: &[u8], cursor: u64) -> Cmd {
    redis::cmd("HSCAN")
        .arg(key)
        .arg(cursor)
        .arg("COUNT")
        .arg(PAGE)
        .arg("NOVALUES")
        .clone()
}

/// An HSCAN reply: the next cursor and the field names (`None` for an error: not a hash).
fn page_of(v: &Value) -> Option<(u64, Vec<Vec<u8>>)> {
    let Value::Array(parts) = v else { return None };
    let cursor = match parts.first()? {
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok()?,
        _ => return None,
    };
    let names = match parts.get(1)? {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::BulkString(b) => Some(b.clone()),
                _ => None,
            })
            .collect(),
        _ => return None,
    };
    Some((cursor, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_names_field_expiry_either_way() {
        assert_eq!(
            keys_with_field_ttls("keys=2,expires=0,avg_ttl=0,subexpiry=2"),
            2
        );
        assert_eq!(
            keys_with_field_ttls("keys=2,expires=0,avg_ttl=0,keys_with_volatile_items=3"),
            3
        );
        assert_eq!(keys_with_field_ttls("keys=2,expires=0,avg_ttl=0"), 0);
    }

    #[test]
    fn a_hash_whose_every_field_expires_expires_with_its_last() {
        let mut f = FieldTtls {
            fields: 2,
            ..FieldTtls::default()
        };
        f.add(b"a".to_vec(), Some(1_000), false);
        assert!(!f.all_expire());
        f.add(b"b".to_vec(), Some(5_000), false);
        assert_eq!((f.all_expire(), f.max_ms), (true, Some(5_000)));
        f.sampled = true;
        assert!(!f.all_expire());
    }
}
