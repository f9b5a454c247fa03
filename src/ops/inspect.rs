//! What is in the cache and what it costs: one key in depth, or the keyspace summarised by
//! key family (count, memory, TTLs). The per-key questions ride in the same pipeline as the
//! next SCAN, so a million keys cost a few thousand round trips, not three million.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use redis::{Pipeline, Value};
use serde::Serialize;

use crate::error::Result;
use crate::keys::family::Grouping;
use crate::keys::glob::Glob;
use crate::keys::{self, family};
use crate::ops::get::{self, Data, Lookup};
use crate::ops::scan::{self, BatchWork, Pace, ScanSpec, check_reply};
use crate::progress::ProgressSink;
use crate::stop::Stop;
use crate::store::{Node, Store};
use crate::ttl::KeyTtl;

/// Families tracked one by one before the rest are folded together.
pub const MAX_FAMILIES: usize = 10_000;
pub const OTHER_FAMILIES: &str = "(other families)";

/// How keys are put into families.
#[derive(Clone, Debug, Default)]
pub struct Grouper {
    pub grouping: Grouping,
    pub depth: Option<usize>,
    /// Keys matching this regex are grouped by its first capture group (or whole match).
    pub regex: Option<regex::Regex>,
}

impl Grouper {
    pub fn group(&self, key: &[u8]) -> String {
        if let Some(re) = &self.regex {
            let text = String::from_utf8_lossy(key);
            if let Some(c) = re.captures(&text) {
                let m = c.get(1).or_else(|| c.get(0));
                if let Some(m) = m {
                    return keys::display(m.as_str().as_bytes());
                }
            }
        }
        family::group_of(key, self.grouping, self.depth)
    }
}

/// The keys `sample` keeps: the same keys every run (a hash, not a dice roll), so two sampled
/// runs compare.
pub fn keep_sampled(keys: Vec<Vec<u8>>, sample: Option<f64>) -> Vec<Vec<u8>> {
    match sample {
        None => keys,
        Some(_) => keys.into_iter().filter(|k| sampled(k, sample)).collect(),
    }
}

fn sampled(key: &[u8], sample: Option<f64>) -> bool {
    match sample {
        None => true,
        Some(rate) => {
            // FNV-1a: cheap and well spread for short keys.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in key {
                h ^= *b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            (h % 1_000_000) as f64 / 1_000_000.0 < rate
        }
    }
}

/// One key in depth.
#[derive(Clone, Debug, Serialize)]
pub struct KeyDetails {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub encoding: Option<String>,
    /// Milliseconds left; null when the key never expires.
    pub ttl_ms: Option<u64>,
    /// When it expires (RFC 3339, UTC).
    pub expires_at: Option<String>,
    pub memory_bytes: Option<u64>,
    /// Elements (bytes for a string).
    pub length: Option<u64>,
    /// Seconds since last access (not available under an LFU eviction policy).
    pub idle_seconds: Option<u64>,
    /// The value, or its first elements: parsed when it is JSON.
    pub preview: serde_json::Value,
}

const PREVIEW_ELEMENTS: usize = 5;
const PREVIEW_BYTES: usize = 512;

/// Inspect `keys`; `None` for a key that does not exist.
pub async fn inspect_keys(store: &Store, keys: &[String]) -> Result<Vec<Option<KeyDetails>>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let mut pipe = redis::pipe();
        pipe.cmd("OBJECT")
            .arg("ENCODING")
            .arg(key)
            .cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .cmd("OBJECT")
            .arg("IDLETIME")
            .arg(key)
            .cmd("PTTL")
            .arg(key);
        let replies = store.query_pipeline(&pipe).await?;
        let lookup = get::get(store, std::slice::from_ref(key), PREVIEW_ELEMENTS).await?;
        let Some(Lookup::Found(kv)) = lookup.into_iter().next() else {
            out.push(None);
            continue;
        };
        let mut r = replies.into_iter();
        // Each of these can be refused (e.g. IDLETIME under LFU); a refusal is "unknown".
        let encoding: Option<String> = r.next().and_then(|v| redis::from_redis_value(v).ok());
        let memory: Option<u64> = r.next().and_then(|v| redis::from_redis_value(v).ok());
        let idle: Option<u64> = r.next().and_then(|v| redis::from_redis_value(v).ok());
        let pttl: i64 = store.decode(r.next().unwrap_or(redis::Value::Nil))?;
        let ttl = KeyTtl::from_pttl(pttl);
        let ttl_ms = match ttl {
            KeyTtl::Expires(ms) => Some(ms),
            _ => None,
        };
        out.push(Some(KeyDetails {
            key: key.clone(),
            kind: kv.kind.clone(),
            encoding,
            ttl_ms,
            expires_at: ttl_ms.map(|ms| rfc3339(now_ms().saturating_add(ms))),
            memory_bytes: memory,
            length: Some(kv.length),
            idle_seconds: idle,
            preview: preview(&kv.value),
        }));
    }
    Ok(out)
}

fn preview(data: &Data) -> serde_json::Value {
    match data {
        Data::String(bytes) => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
                return v;
            }
            let text = keys::display(&bytes[..bytes.len().min(PREVIEW_BYTES)]);
            serde_json::Value::String(text)
        }
        other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub use crate::ttl::rfc3339;

#[derive(Clone, Debug)]
pub struct InspectOptions {
    pub grouper: Grouper,
    /// Inspect this share of keys (0 < rate ≤ 1) and scale the counts.
    pub sample: Option<f64>,
    /// Families shown; the rest are folded into one row.
    pub top: usize,
    pub pace: Pace,
}

/// One family's figures.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyReport {
    pub family: String,
    pub keys: u64,
    pub memory_bytes: u64,
    pub memory_p50: Option<u64>,
    pub memory_p99: Option<u64>,
    pub memory_max: Option<u64>,
    pub biggest_key: Option<String>,
    pub with_ttl: u64,
    pub without_ttl: u64,
    pub ttl_min_s: Option<u64>,
    pub ttl_median_s: Option<u64>,
    pub ttl_max_s: Option<u64>,
    pub types: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    pub pattern: String,
    pub scanned: u64,
    /// Keys inspected (after sampling).
    pub inspected: u64,
    pub sample_rate: Option<f64>,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    pub total: FamilyReport,
    /// Sorted by memory, largest first.
    pub families: Vec<FamilyReport>,
}

#[derive(Clone, Debug, Default)]
struct FamilyAcc {
    keys: u64,
    memory: crate::ops::stats::LogHistogram,
    biggest: Option<(u64, String)>,
    without_ttl: u64,
    ttl: crate::ops::stats::LogHistogram,
    types: BTreeMap<String, u64>,
}

impl FamilyAcc {
    fn merge(&mut self, o: &FamilyAcc) {
        self.keys += o.keys;
        self.memory.merge(&o.memory);
        if let Some((m, k)) = &o.biggest
            && self.biggest.as_ref().is_none_or(|(b, _)| m > b)
        {
            self.biggest = Some((*m, k.clone()));
        }
        self.without_ttl += o.without_ttl;
        self.ttl.merge(&o.ttl);
        for (t, n) in &o.types {
            *self.types.entry(t.clone()).or_default() += n;
        }
    }

    fn report(&self, family: String, scale: f64) -> FamilyReport {
        let s = |n: u64| (n as f64 * scale).round() as u64;
        FamilyReport {
            family,
            keys: s(self.keys),
            memory_bytes: (self.memory.sum() as f64 * scale).round() as u64,
            memory_p50: self.memory.quantile(0.5),
            memory_p99: self.memory.quantile(0.99),
            memory_max: self.memory.max(),
            biggest_key: self.biggest.as_ref().map(|(_, k)| k.clone()),
            with_ttl: s(self.ttl.count()),
            without_ttl: s(self.without_ttl),
            ttl_min_s: self.ttl.min(),
            ttl_median_s: self.ttl.quantile(0.5),
            ttl_max_s: self.ttl.max(),
            types: self.types.iter().map(|(t, n)| (t.clone(), s(*n))).collect(),
        }
    }
}

/// Summarise the keys matching `pattern` by family.
pub async fn inspect_pattern(
    store: &Store,
    pattern: &Glob,
    options: &InspectOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<InspectReport> {
    let spec = ScanSpec {
        store,
        pattern,
        pace: options.pace,
        stop,
        progress,
        resume: &[],
    };
    let outcome = scan::scan(&spec, "inspecting", |_| InspectWork {
        options,
        families: Families::default(),
        last: 0,
    })
    .await?;
    let interrupted = outcome.interrupted();
    let mut all = Families::default();
    for w in outcome.work {
        all.merge(w.families);
    }
    let families = all.map;
    let scale = 1.0 / options.sample.unwrap_or(1.0);
    let mut total = FamilyAcc::default();
    for acc in families.values() {
        total.merge(acc);
    }
    let mut rows: Vec<(String, FamilyAcc)> = families.into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.memory
            .sum()
            .cmp(&a.1.memory.sum())
            .then_with(|| a.0.cmp(&b.0))
    });
    let mut shown = Vec::new();
    let mut rest = FamilyAcc::default();
    for (i, (f, acc)) in rows.into_iter().enumerate() {
        if i < options.top {
            shown.push(acc.report(f, scale));
        } else {
            rest.merge(&acc);
        }
    }
    if rest.keys > 0 {
        shown.push(rest.report(OTHER_FAMILIES.to_string(), scale));
    }
    Ok(InspectReport {
        pattern: pattern.to_string(),
        scanned: outcome.totals.scanned,
        inspected: total.keys,
        sample_rate: options.sample,
        elapsed_ms: outcome.elapsed.as_millis() as u64,
        interrupted,
        total: total.report("(all)".to_string(), scale),
        families: shown,
    })
}

struct InspectWork<'a> {
    options: &'a InspectOptions,
    families: Families,
    last: u64,
}

/// The shape of a family's name (`user_7_posts` → `user_{n}_posts`).
fn shape(name: String) -> String {
    if name == OTHER_FAMILIES {
        name
    } else {
        family::family(name.as_bytes(), None)
    }
}

/// Accumulators per family, bounded in number. Past `MAX_FAMILIES` the families are rolled up
/// into their shapes (`user_7_posts`, `user_8_posts`… into `user_{n}_posts`), all of them at
/// once, so every row stays exact; only if even the shapes are too many does the rest share
/// one row.
#[derive(Default)]
struct Families {
    map: HashMap<String, FamilyAcc>,
    rolled_up: bool,
}

impl Families {
    fn entry(&mut self, family: String) -> &mut FamilyAcc {
        let mut family = family;
        if !self.rolled_up && self.map.len() >= MAX_FAMILIES && !self.map.contains_key(&family) {
            self.roll_up();
        }
        if self.rolled_up {
            family = shape(family);
        }
        if self.map.len() >= MAX_FAMILIES && !self.map.contains_key(&family) {
            family = OTHER_FAMILIES.to_string();
        }
        self.map.entry(family).or_default()
    }

    fn roll_up(&mut self) {
        if self.rolled_up {
            return;
        }
        self.rolled_up = true;
        let literal = std::mem::take(&mut self.map);
        for (name, acc) in literal {
            self.map.entry(shape(name)).or_default().merge(&acc);
        }
    }

    fn merge(&mut self, mut other: Families) {
        // Both sides in the same terms before their rows meet.
        if other.rolled_up {
            self.roll_up();
        } else if self.rolled_up {
            other.roll_up();
        }
        for (name, acc) in other.map {
            self.entry(name).merge(&acc);
        }
    }
}

impl BatchWork for InspectWork<'_> {
    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keep_sampled(keys, self.options.sample)
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        for k in keys {
            pipe.cmd("TYPE")
                .arg(k)
                .cmd("PTTL")
                .arg(k)
                .cmd("MEMORY")
                .arg("USAGE")
                .arg(k);
        }
        keys.len() * 3
    }

    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        self.last = 0;
        for (key, r) in keys.into_iter().zip(replies.chunks_exact(3)) {
            for v in r {
                check_reply(node, v)?;
            }
            let kind = match &r[0] {
                Value::SimpleString(s) => s.clone(),
                other => redis::from_redis_value_ref::<String>(other).unwrap_or_default(),
            };
            if kind == "none" {
                // Expired or deleted between SCAN and now.
                continue;
            }
            let pttl: i64 = redis::from_redis_value_ref(&r[1]).unwrap_or(-2);
            let memory: u64 = redis::from_redis_value_ref(&r[2]).unwrap_or(0);
            let family = self.options.grouper.group(&key);
            let acc = self.families.entry(family);
            acc.keys += 1;
            acc.memory.add(memory);
            if acc.biggest.as_ref().is_none_or(|(m, _)| memory > *m) {
                acc.biggest = Some((memory, keys::display(&key)));
            }
            match KeyTtl::from_pttl(pttl) {
                KeyTtl::Expires(ms) => acc.ttl.add(ms.div_ceil(1000)),
                KeyTtl::Never => acc.without_ttl += 1,
                KeyTtl::Missing => {}
            }
            *acc.types.entry(kind).or_default() += 1;
            self.last += 1;
        }
        Ok(())
    }

    fn acted(&self) -> u64 {
        self.last
    }
}
