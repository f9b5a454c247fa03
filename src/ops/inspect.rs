//! What is in the cache and what it costs: one key in depth, or the keyspace summarised by
//! key family (count, memory, TTLs). The per-key questions ride in the same pipeline as the
//! next SCAN, so a million keys cost a few thousand round trips, not three million.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use redis::{Pipeline, Value};
use serde::{Deserialize, Serialize};

use crate::clock::{now_ms, rfc3339};
use crate::error::Result;
use crate::keys::family::Grouping;
use crate::keys::glob::Glob;
use crate::keys::{self, family};
use crate::ops::checkpoint::Checkpoint;
use crate::ops::get::{self, Data};
use crate::ops::headline::{Headline, headline};
use crate::progress::ProgressSink;
use crate::rdb::Rdb;
use crate::rdb::walk::{DumpSummary, Scope, walk_for_report};
use crate::scan::{
    self, BatchWork, CursorSink, Fault, NodeCursor, Pace, ScanSpec, WalkEnd, check_reply,
};
use crate::stop::Stop;
use crate::store::{Node, Store, worth_resending};
use crate::ttl::KeyTtl;

/// Families tracked one by one before the rest are folded together.
pub const MAX_FAMILIES: usize = 10_000;
pub const OTHER_FAMILIES: &str = "(other families)";
/// Example keys kept per family.
const EXAMPLES: usize = 3;

/// How keys are put into families.
#[derive(Clone, Debug, Default)]
pub struct Grouper {
    pub grouping: Grouping,
    pub depth: Option<usize>,
    /// Keys matching this regex are grouped by its first capture group (or whole match).
    pub regex: Option<regex::Regex>,
}

impl Grouper {
    /// Whether families are also learned across keys (`family::learn`): for inferred
    /// families, not for first segments or a regex's groups, which name themselves.
    pub fn learns(&self) -> bool {
        self.grouping == Grouping::Family && self.regex.is_none()
    }

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

pub(crate) fn sampled(key: &[u8], sample: Option<f64>) -> bool {
    match sample {
        None => true,
        Some(rate) => (keys::fnv1a(key) % 1_000_000) as f64 / 1_000_000.0 < rate,
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
    /// Seconds since last access, read before anything else touched the key (null under an
    /// LFU eviction policy, where the server keeps a frequency instead).
    pub idle_seconds: Option<u64>,
    /// The LFU access-frequency counter (only under an LFU eviction policy).
    pub frequency: Option<u64>,
    /// The value's first bytes or first elements: parsed when it is whole JSON. Null when no
    /// preview was asked for.
    pub preview: serde_json::Value,
    /// The preview holds less than the whole value.
    pub preview_truncated: bool,
    /// Reading the preview reset the key's idle time (the server has no `CLIENT NO-TOUCH`,
    /// which Redis 7.2 and Valkey have).
    pub preview_touched_key: bool,
    /// A hash's per-field expiries (`HPEXPIRE`, Redis 7.4 and Valkey 9), over its first fields;
    /// absent where the server has no per-field TTLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_ttls: Option<FieldTtls>,
}

pub use crate::ops::fields::FieldTtls;

/// Fields whose TTLs `inspect KEY` reads at most.
const FIELD_TTL_FIELDS: usize = 1000;

/// The per-field TTLs of hash `key`, where the server has them, read under `CLIENT NO-TOUCH`
/// (every server with `HPTTL` has it) so that looking does not touch the key.
async fn field_ttls(store: &Store, key: &str) -> Result<Option<FieldTtls>> {
    if !store.has_command("HPTTL").await {
        return Ok(None);
    }
    let mut pipe = redis::pipe();
    pipe.cmd("CLIENT").arg("NO-TOUCH").arg("ON");
    pipe.cmd("HLEN").arg(key);
    pipe.cmd("HSCAN")
        .arg(key)
        .arg(0)
        .arg("COUNT")
        .arg(FIELD_TTL_FIELDS);
    let mut r = store.key_pipeline(key.as_bytes(), &pipe).await?.into_iter();
    let total: u64 = store.decode(r.nth(1).unwrap_or(Value::Nil))?;
    let (_, flat): (u64, Vec<Vec<u8>>) = store.decode(r.next().unwrap_or(Value::Nil))?;
    let fields: Vec<Vec<u8>> = pairs(flat).map(|(f, _)| f).take(FIELD_TTL_FIELDS).collect();
    let mut pipe = redis::pipe();
    if !fields.is_empty() {
        pipe.cmd("HPTTL")
            .arg(key)
            .arg("FIELDS")
            .arg(fields.len())
            .arg(&fields);
    }
    pipe.cmd("CLIENT").arg("NO-TOUCH").arg("OFF");
    let mut r = store.key_pipeline(key.as_bytes(), &pipe).await?.into_iter();
    let ttls: Vec<i64> = match fields.is_empty() {
        true => Vec::new(),
        false => store.decode(r.next().unwrap_or(Value::Nil))?,
    };
    // -2: the field went between the reads; -1: it never expires.
    let read = fields
        .into_iter()
        .zip(ttls)
        .filter(|(_, t)| *t != -2)
        .map(|(f, t)| (f, u64::try_from(t).ok()));
    Ok(Some(FieldTtls::of(total, read)))
}

/// Elements and bytes a preview holds at most: enough to recognise a value, never a flood.
const PREVIEW_ELEMENTS: usize = 5;
pub const PREVIEW_BYTES: usize = 512;

/// Inspect `keys`; `None` for a key that does not exist. Looking must not change what is
/// looked at: idle time and frequency are read first, and the preview is read under `CLIENT
/// NO-TOUCH` where the server has it (otherwise the report says the key was touched).
/// `preview: false` reads nothing that touches the key.
pub async fn inspect_keys(
    store: &Store,
    keys: &[String],
    preview: bool,
) -> Result<Vec<Option<KeyDetails>>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(inspect_key(store, key, preview).await?);
    }
    Ok(out)
}

async fn inspect_key(store: &Store, key: &str, preview: bool) -> Result<Option<KeyDetails>> {
    // Every command here names the key or none, so both pipelines go to the key's node.
    let mut pipe = redis::pipe();
    pipe.cmd("OBJECT").arg("IDLETIME").arg(key);
    pipe.cmd("OBJECT").arg("FREQ").arg(key);
    pipe.cmd("TYPE").arg(key);
    pipe.cmd("PTTL").arg(key);
    pipe.cmd("OBJECT").arg("ENCODING").arg(key);
    pipe.cmd("MEMORY").arg("USAGE").arg(key);
    if preview {
        pipe.cmd("CLIENT").arg("NO-TOUCH").arg("ON");
    }
    let mut r = store.key_pipeline(key.as_bytes(), &pipe).await?.into_iter();
    let mut next = || r.next().unwrap_or(Value::Nil);
    // Each of these can be refused (IDLETIME under LFU, FREQ without it, an ACL without
    // MEMORY); a refusal is "unknown".
    let idle: Option<u64> = redis::from_redis_value(next()).ok();
    let frequency: Option<u64> = redis::from_redis_value(next()).ok();
    let kind: String = store.decode(next())?;
    let pttl: i64 = store.decode(next())?;
    let encoding: Option<String> = redis::from_redis_value(next()).ok();
    let memory: Option<u64> = redis::from_redis_value(next()).ok();
    let no_touch = preview && !matches!(next(), Value::ServerError(_));
    if kind == "none" {
        if no_touch {
            store
                .query::<Value>(redis::cmd("CLIENT").arg("NO-TOUCH").arg("OFF"))
                .await?;
        }
        return Ok(None);
    }
    // Every command that measures a value (STRLEN, LLEN…) looks it up for reading, which
    // touches it: without a preview the length stays unknown rather than cost the idle time.
    let (length, shown) = if preview {
        let read = read_preview(store, key, &kind, no_touch).await?;
        (read.0, Some(read.1))
    } else {
        (None, None)
    };
    let ttl_ms = match KeyTtl::from_pttl(pttl) {
        KeyTtl::Expires(ms) => Some(ms),
        _ => None,
    };
    let field_ttls = match kind.as_str() {
        "hash" if preview => field_ttls(store, key).await?,
        _ => None,
    };
    let read = shown.as_ref().map_or(0, |d| d.elements() as u64);
    let touched = shown.as_ref().is_some_and(|d| *d != Data::Other) && !no_touch;
    Ok(Some(KeyDetails {
        key: key.to_string(),
        kind,
        encoding,
        ttl_ms,
        expires_at: ttl_ms.map(|ms| rfc3339(now_ms().saturating_add(ms))),
        memory_bytes: memory,
        length,
        idle_seconds: idle,
        frequency,
        preview_truncated: shown.is_some() && length.is_some_and(|n| read < n),
        preview: shown.map_or(serde_json::Value::Null, |d| preview_json(&d)),
        preview_touched_key: touched,
        field_ttls,
    }))
}

/// The commands that measure a value of `kind`, and read its first bytes or elements.
fn preview_commands(kind: &str, key: &str, pipe: &mut Pipeline) -> bool {
    let n = PREVIEW_ELEMENTS as i64;
    match kind {
        "string" => pipe
            .cmd("STRLEN")
            .arg(key)
            .cmd("GETRANGE")
            .arg(key)
            .arg(0)
            .arg(PREVIEW_BYTES as i64 - 1),
        "list" => pipe
            .cmd("LLEN")
            .arg(key)
            .cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(n - 1),
        "zset" => pipe
            .cmd("ZCARD")
            .arg(key)
            .cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(n - 1)
            .arg("WITHSCORES"),
        "hash" => pipe
            .cmd("HLEN")
            .arg(key)
            .cmd("HSCAN")
            .arg(key)
            .arg(0)
            .arg("COUNT")
            .arg(n * 2),
        "set" => pipe
            .cmd("SCARD")
            .arg(key)
            .cmd("SSCAN")
            .arg(key)
            .arg(0)
            .arg("COUNT")
            .arg(n * 2),
        "stream" => pipe
            .cmd("XLEN")
            .arg(key)
            .cmd("XRANGE")
            .arg(key)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(n),
        _ => return false,
    };
    true
}

/// A value's length and its preview, in one round trip that also ends `CLIENT NO-TOUCH`.
async fn read_preview(
    store: &Store,
    key: &str,
    kind: &str,
    no_touch: bool,
) -> Result<(Option<u64>, Data)> {
    let mut pipe = redis::pipe();
    let known = preview_commands(kind, key, &mut pipe);
    if no_touch {
        pipe.cmd("CLIENT").arg("NO-TOUCH").arg("OFF");
    }
    if !known && !no_touch {
        return Ok((None, Data::Other));
    }
    let mut r = store.key_pipeline(key.as_bytes(), &pipe).await?.into_iter();
    if !known {
        return Ok((None, Data::Other));
    }
    let length: u64 = store.decode(r.next().unwrap_or(Value::Nil))?;
    let range = r.next().unwrap_or(Value::Nil);
    let cap = PREVIEW_ELEMENTS;
    let data = match kind {
        "string" => Data::String(store.decode(range)?),
        "list" => Data::List(store.decode(range)?),
        "zset" => Data::ZSet(store.decode(range)?),
        "hash" => {
            let (_, flat): (u64, Vec<Vec<u8>>) = store.decode(range)?;
            Data::Hash(pairs(flat).take(cap).collect())
        }
        "set" => {
            let (_, mut members): (u64, Vec<Vec<u8>>) = store.decode(range)?;
            members.truncate(cap);
            Data::Set(members)
        }
        _ => {
            let raw: Vec<(String, Vec<Vec<u8>>)> = store.decode(range)?;
            Data::Stream(
                raw.into_iter()
                    .map(|(id, flat)| get::StreamEntry {
                        id,
                        fields: pairs(flat).collect(),
                    })
                    .collect(),
            )
        }
    };
    Ok((Some(length), data))
}

fn pairs(flat: Vec<Vec<u8>>) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
    let mut it = flat.into_iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

fn preview_json(data: &Data) -> serde_json::Value {
    match data {
        Data::String(bytes) => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
                return v;
            }
            serde_json::Value::String(keys::printable(bytes))
        }
        other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
    }
}

#[derive(Clone, Debug)]
pub struct InspectOptions {
    pub grouper: Grouper,
    /// Inspect this share of keys (0 < rate ≤ 1) and scale the counts.
    pub sample: Option<f64>,
    /// Families shown; the rest are folded into one row.
    pub top: usize,
    pub pace: Pace,
    /// How keys are used: idle time (or LFU frequency) per family, cold and hot keys.
    pub access: Option<Access>,
    /// Continue an interrupted inspection from these cursors and the figures saved with them.
    pub resume: Vec<NodeCursor>,
    /// Keep each chain's cursor and figures here for a later run (`--checkpoint`).
    pub checkpoint: Option<Arc<Checkpoint>>,
}

/// What `inspect --cold/--hot` asks of each key, read before anything touches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Keys idle longer than this many seconds are cold (counted per family).
    pub cold_after_s: Option<u64>,
    /// List this many of the hottest keys.
    pub hot: usize,
}

/// One of the hottest keys: the least idle, or the most frequently used under an LFU policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct HotKey {
    pub key: String,
    pub family: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u64>,
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
    /// With `--cold`/`--hot` under an LRU (or no) eviction policy: idle seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_p50_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_p99_s: Option<u64>,
    /// With `--cold`: keys idle longer than it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_keys: Option<u64>,
    /// Under an LFU policy: the median access frequency (`OBJECT FREQ`, 0–255).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_p50: Option<u64>,
    /// A few of the family's keys, as found.
    pub examples: Vec<String>,
    /// The family's hashes whose fields expire (Redis 7.4+, Valkey 9); a hash whose every
    /// field expires is counted `with_ttl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<crate::ops::fields::FieldSummary>,
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
    /// Every key was walked; otherwise the figures cover what was.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Fault>,
    pub total: FamilyReport,
    /// Sorted by memory, largest first.
    pub families: Vec<FamilyReport>,
    /// With `--cold`/`--hot`: `idle` (OBJECT IDLETIME) or `lfu` (OBJECT FREQ, under an LFU
    /// eviction policy, where idle time is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_after_s: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hot: Vec<HotKey>,
    /// From dumps (`--rdb`): which, and what of each was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dumps: Vec<DumpSummary>,
    /// What the server says of its keyspace before the walk (INFO keyspace, and Redis 8's
    /// KEYSIZES histograms); empty from dumps, or where INFO is refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headline: Vec<Headline>,
    /// With `--no-ttl`, `--ttl-under` and the other filters: what they select, and how many
    /// keys the pattern found that they passed over (the figures above are of the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct FamilyAcc {
    keys: u64,
    memory: crate::ops::distributions::LogHistogram,
    biggest: Option<(u64, String)>,
    without_ttl: u64,
    ttl: crate::ops::distributions::LogHistogram,
    types: BTreeMap<String, u64>,
    idle: crate::ops::distributions::LogHistogram,
    frequency: crate::ops::distributions::LogHistogram,
    cold: u64,
    #[serde(default)]
    examples: Vec<String>,
    /// Hashes without a TTL of their own whose fields were read.
    #[serde(default)]
    fields: crate::ops::fields::FieldAcc,
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
        self.idle.merge(&o.idle);
        self.frequency.merge(&o.frequency);
        self.cold += o.cold;
        self.fields.merge(&o.fields);
        for k in &o.examples {
            if self.examples.len() >= EXAMPLES {
                break;
            }
            self.examples.push(k.clone());
        }
    }

    fn report(&self, family: String, scale: f64, access: Option<&Access>) -> FamilyReport {
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
            idle_p50_s: self.idle.quantile(0.5),
            idle_p99_s: self.idle.quantile(0.99),
            cold_keys: access
                .and_then(|a| a.cold_after_s)
                .filter(|_| self.idle.count() > 0)
                .map(|_| s(self.cold)),
            frequency_p50: self.frequency.quantile(0.5),
            examples: self.examples.clone(),
            fields: (!self.fields.is_empty()).then(|| self.fields.summary(s)),
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
        resume: &options.resume,
        checkpoint: options.checkpoint.as_deref().map(|c| c as &dyn CursorSink),
        ..ScanSpec::new(store, pattern, options.pace, stop, progress)
    };
    // Under an LFU policy the server keeps access frequencies, not idle times.
    let lfu = match options.access {
        Some(_) => eviction_policy(store)
            .await
            .is_some_and(|p| p.contains("lfu")),
        None => false,
    };
    // Hashes are looked into for field TTLs where the server counts keys with them in this
    // database (or, when INFO is refused, where it knows field expiry at all). An
    // application's ACL may refuse INFO: the walk does not need it.
    let (read_fields, head) = match headline(store).await {
        Ok(head) => {
            let db = u32::try_from(store.db()).unwrap_or(u32::MAX);
            let some = head
                .iter()
                .any(|h| h.db == db && h.keys_with_field_ttls > 0);
            (some, head)
        }
        Err(_) => (crate::ops::fields::supported(store).await, Vec::new()),
    };
    let outcome = scan::scan(&spec, "inspecting", |_| InspectWork {
        options,
        families: Families::new(options.grouper.learns()),
        last: 0,
        again: Vec::new(),
        lfu,
        hot: Vec::new(),
        read_fields,
        hashes: Vec::new(),
        not_selected: 0,
    })
    .await?;
    let ended = Ended {
        pattern: pattern.to_string(),
        walk: outcome.end(),
        lfu,
        headline: head,
    };
    Ok(summarise(outcome.work, options, ended))
}

/// How a walk over the keys ended, for its report.
struct Ended {
    pattern: String,
    walk: WalkEnd,
    lfu: bool,
    headline: Vec<Headline>,
}

/// The report from every chain's figures.
fn summarise(work: Vec<InspectWork>, options: &InspectOptions, ended: Ended) -> InspectReport {
    let lfu = ended.lfu;
    let mut all = Families::new(options.grouper.learns());
    let mut hot = Vec::new();
    let mut not_selected = 0;
    for w in work {
        all.merge(w.families);
        hot.extend(w.hot);
        not_selected += w.not_selected;
    }
    let filtered = !options.pace.select.is_empty();
    let wanted = options.access.map_or(0, |a| a.hot);
    hot.sort_by(|a: &(u64, HotKey), b| b.0.cmp(&a.0).then_with(|| a.1.key.cmp(&b.1.key)));
    let hot: Vec<HotKey> = hot.into_iter().take(wanted).map(|(_, k)| k).collect();
    let access = options.access.as_ref();
    // Families by shape that differ only where a word varies (a user name) are one.
    let families = match all.learn {
        true => family::fold_learned(all.map, |a, b| a.merge(&b)),
        false => all.map,
    };
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
            shown.push(acc.report(f, scale, access));
        } else {
            rest.merge(&acc);
        }
    }
    if rest.keys > 0 {
        shown.push(rest.report(OTHER_FAMILIES.to_string(), scale, access));
    }
    InspectReport {
        pattern: ended.pattern,
        scanned: ended.walk.scanned,
        inspected: total.keys,
        sample_rate: options.sample,
        elapsed_ms: ended.walk.elapsed_ms,
        interrupted: ended.walk.interrupted,
        complete: ended.walk.complete,
        error: ended.walk.error,
        total: total.report("(all)".to_string(), scale, access),
        families: shown,
        access: options.access.map(|_| if lfu { "lfu" } else { "idle" }),
        cold_after_s: options.access.and_then(|a| a.cold_after_s),
        hot,
        dumps: Vec::new(),
        headline: ended.headline,
        filters: filtered.then(|| options.pace.select.describe()),
        not_selected: filtered.then_some(not_selected),
    }
}

/// Summarise the keys matching `pattern` (in `scope`) of one dump, or of several (a
/// cluster's masters'), as `inspect_pattern` does those of a live server. Reads no server. A
/// dump damaged or cut off part way gives the figures up to there, with the error.
pub fn inspect_rdb(
    rdbs: &mut [Rdb],
    pattern: &Glob,
    scope: Scope,
    options: &InspectOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> InspectReport {
    let make = || InspectWork {
        options,
        families: Families::new(options.grouper.learns()),
        last: 0,
        again: Vec::new(),
        lfu: false,
        hot: Vec::new(),
        read_fields: false,
        hashes: Vec::new(),
        not_selected: 0,
    };
    let walked = walk_for_report(
        rdbs,
        pattern,
        &scope,
        stop,
        progress,
        "inspecting",
        make,
        |work, entry, ttl, at| {
            if !sampled(entry.key, options.sample) {
                return false;
            }
            let access = match (entry.frequency, entry.idle_s) {
                (Some(f), _) => {
                    work.lfu = true;
                    Some(u64::from(f))
                }
                (None, idle) => idle,
            };
            let fields = (entry.fields.as_ref())
                .filter(|_| ttl == KeyTtl::Never)
                .map(|f| {
                    crate::ops::fields::FieldTtls::from_expiries(f.fields, f.expires_at_ms, at)
                });
            let (kind, now) = (entry.kind.name(), at.max(0) as u64);
            work.add_with_fields(
                entry.key,
                kind,
                ttl,
                fields.as_ref(),
                entry.memory,
                access,
                now,
            );
            true
        },
    );
    let works = walked.works;
    let lfu = works.iter().any(|w| w.lfu);
    let with_access = works.iter().any(|w| {
        w.families
            .map
            .values()
            .any(|f| f.idle.count() + f.frequency.count() > 0)
    });
    let ended = Ended {
        pattern: pattern.to_string(),
        walk: walked.end,
        lfu,
        headline: Vec::new(),
    };
    let mut report = summarise(works, options, ended);
    if !with_access {
        // A server keeps idle times in a dump only under an LRU or LFU eviction policy.
        report.access = None;
    }
    report.dumps = walked.dumps;
    report
}

/// `maxmemory-policy`, from `INFO memory`, when it is allowed.
async fn eviction_policy(store: &Store) -> Option<String> {
    let info = store.info("memory").await?;
    info.field("maxmemory_policy").map(String::from)
}

/// What a checkpoint keeps of an inspection's chain.
#[derive(Serialize)]
struct InspectFigures<'a> {
    families: &'a Families,
    hot: &'a [(u64, HotKey)],
    not_selected: u64,
}

#[derive(Deserialize)]
struct SavedInspectFigures {
    families: Families,
    hot: Vec<(u64, HotKey)>,
    #[serde(default)]
    not_selected: u64,
}

struct InspectWork<'a> {
    options: &'a InspectOptions,
    families: Families,
    last: u64,
    /// Keys whose questions the server sent elsewhere, for `follow_up`.
    again: Vec<Vec<u8>>,
    /// Ask OBJECT FREQ rather than OBJECT IDLETIME (an LFU eviction policy).
    lfu: bool,
    /// The hottest keys seen, by score (higher is hotter), at most `Access::hot`.
    hot: Vec<(u64, HotKey)>,
    /// Whether hashes without TTL are looked into for fields that expire (the server counts
    /// some keys with them).
    read_fields: bool,
    /// This batch's hashes without TTL, with their memory and access, for `follow_up`.
    hashes: Vec<(Vec<u8>, u64, Option<u64>)>,
    /// Keys the pattern found that the walk's filters passed over.
    not_selected: u64,
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
#[derive(Default, Serialize, Deserialize)]
struct Families {
    map: HashMap<String, FamilyAcc>,
    rolled_up: bool,
    /// Families were learned once the map filled up (`family::learn`).
    #[serde(default)]
    learned: bool,
    /// Whether families are learned at all (`Grouper::learns`).
    #[serde(skip)]
    learn: bool,
}

impl Families {
    fn new(learn: bool) -> Self {
        Families {
            learn,
            ..Families::default()
        }
    }

    fn entry(&mut self, family: String) -> &mut FamilyAcc {
        let mut family = family;
        if !self.rolled_up && self.map.len() >= MAX_FAMILIES && !self.map.contains_key(&family) {
            // First the families learned from the names so far (a family per user name
            // folds into one); if that leaves the map still half full, their shapes.
            if self.learn && !self.learned {
                self.learned = true;
                let map = std::mem::take(&mut self.map);
                self.map = family::fold_learned(map, |a, b| a.merge(&b));
            }
            if self.map.len() >= MAX_FAMILIES / 2 {
                self.roll_up();
            }
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

impl InspectWork<'_> {
    /// One key's TYPE, PTTL and MEMORY USAGE replies into its family's figures.
    /// Commands per key: the access question (first, before TYPE touches the key), then TYPE,
    /// PTTL and MEMORY USAGE.
    fn per_key(&self) -> usize {
        if self.options.access.is_some() { 4 } else { 3 }
    }

    fn questions(&self, k: &[u8]) -> Vec<redis::Cmd> {
        let mut out = Vec::with_capacity(4);
        if self.options.access.is_some() {
            let what = if self.lfu { "FREQ" } else { "IDLETIME" };
            out.push(redis::cmd("OBJECT").arg(what).arg(k).clone());
        }
        out.push(redis::cmd("TYPE").arg(k).clone());
        out.push(redis::cmd("PTTL").arg(k).clone());
        out.push(redis::cmd("MEMORY").arg("USAGE").arg(k).clone());
        out
    }

    fn record(&mut self, key: Vec<u8>, r: &[Value]) {
        let (access, r) = match self.options.access {
            Some(_) => (redis::from_redis_value_ref::<u64>(&r[0]).ok(), &r[1..]),
            None => (None, r),
        };
        let kind = match &r[0] {
            Value::SimpleString(s) => s.clone(),
            other => redis::from_redis_value_ref::<String>(other).unwrap_or_default(),
        };
        if kind == "none" {
            // Expired or deleted between SCAN and now.
            return;
        }
        let pttl: i64 = redis::from_redis_value_ref(&r[1]).unwrap_or(-2);
        let memory: u64 = redis::from_redis_value_ref(&r[2]).unwrap_or(0);
        if kind == "hash" && pttl == -1 && self.read_fields {
            self.hashes.push((key, memory, access));
            return;
        }
        self.add(&key, &kind, KeyTtl::from_pttl(pttl), memory, access);
    }

    /// The fields of this batch's hashes without TTL, read, and the hashes added with them.
    async fn add_hashes(&mut self, store: &Store) -> Result<()> {
        if self.hashes.is_empty() {
            return Ok(());
        }
        let hashes = std::mem::take(&mut self.hashes);
        let keys: Vec<Vec<u8>> = hashes.iter().map(|(k, _, _)| k.clone()).collect();
        let read = crate::ops::fields::read(store, &keys, true).await?;
        let now = crate::clock::now_ms();
        for ((key, memory, access), f) in hashes.into_iter().zip(read) {
            self.add_with_fields(&key, "hash", KeyTtl::Never, f.as_ref(), memory, access, now);
        }
        Ok(())
    }

    /// A key with its fields' expirations: a hash whose every field expires has its last
    /// field's TTL; the fields' own figures go to the family's.
    #[allow(clippy::too_many_arguments)]
    fn add_with_fields(
        &mut self,
        key: &[u8],
        kind: &str,
        ttl: KeyTtl,
        f: Option<&crate::ops::fields::FieldTtls>,
        memory: u64,
        access: Option<u64>,
        now: u64,
    ) {
        let effective = match (ttl, f.and_then(|f| f.effective_ms)) {
            (KeyTtl::Never, Some(ms)) => KeyTtl::Expires(ms),
            _ => ttl,
        };
        let fields = f
            .filter(|f| f.read > 0 && ttl == KeyTtl::Never)
            .map(|f| (f, now));
        self.add_all(key, kind, effective, memory, access, fields);
    }

    /// One key's figures into its family's, whether the server answered them or a dump.
    fn add(&mut self, key: &[u8], kind: &str, ttl: KeyTtl, memory: u64, access: Option<u64>) {
        self.add_all(key, kind, ttl, memory, access, None);
    }

    /// `add`, with a hash's field expirations as of a moment (ms) for the family's figures.
    fn add_all(
        &mut self,
        key: &[u8],
        kind: &str,
        ttl: KeyTtl,
        memory: u64,
        access: Option<u64>,
        fields: Option<(&crate::ops::fields::FieldTtls, u64)>,
    ) {
        if ttl == KeyTtl::Missing {
            return;
        }
        let family = self.options.grouper.group(key);
        let hot_family = self
            .options
            .access
            .filter(|a| a.hot > 0)
            .map(|_| family.clone());
        let acc = self.families.entry(family);
        acc.keys += 1;
        acc.memory.add(memory);
        if acc.biggest.as_ref().is_none_or(|(m, _)| memory > *m) {
            acc.biggest = Some((memory, keys::display(key)));
        }
        if acc.examples.len() < EXAMPLES {
            acc.examples.push(keys::display(key));
        }
        match ttl {
            KeyTtl::Expires(ms) => acc.ttl.add(ms.div_ceil(1000)),
            KeyTtl::Never => acc.without_ttl += 1,
            KeyTtl::Missing => {}
        }
        match acc.types.get_mut(kind) {
            Some(n) => *n += 1,
            None => {
                acc.types.insert(kind.to_string(), 1);
            }
        }
        if let Some((f, now)) = fields {
            // The busiest second of the family's field expiries.
            acc.fields.add(key, f, None, now, (1000, now));
        }
        if let (Some(value), Some(a)) = (access, self.options.access) {
            if self.lfu {
                acc.frequency.add(value);
            } else {
                acc.idle.add(value);
                if a.cold_after_s.is_some_and(|c| value > c) {
                    acc.cold += 1;
                }
            }
            if let Some(family) = hot_family {
                let (score, idle_s, frequency) = if self.lfu {
                    (value, None, Some(value))
                } else {
                    (u64::MAX - value, Some(value), None)
                };
                self.hot.push((
                    score,
                    HotKey {
                        key: keys::display(key),
                        family,
                        idle_s,
                        frequency,
                    },
                ));
                // Keep the list bounded: trim to the best `hot` once it doubles.
                if self.hot.len() >= a.hot * 2 {
                    self.hot.sort_by_key(|x| std::cmp::Reverse(x.0));
                    self.hot.truncate(a.hot);
                }
            }
        }
        self.last += 1;
    }
}

impl BatchWork for InspectWork<'_> {
    fn counts_keys(&self) -> bool {
        true
    }

    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keep_sampled(keys, self.options.sample)
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        let access = self
            .options
            .access
            .map(|_| if self.lfu { "FREQ" } else { "IDLETIME" });
        for k in keys {
            // The access question first: it reads the key before anything else in the batch
            // could touch it.
            if let Some(what) = access {
                pipe.cmd("OBJECT").arg(what).arg(k);
            }
            pipe.cmd("TYPE")
                .arg(k)
                .cmd("PTTL")
                .arg(k)
                .cmd("MEMORY")
                .arg("USAGE")
                .arg(k);
        }
        keys.len() * self.per_key()
    }

    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        self.last = 0;
        let n = self.per_key();
        for (key, r) in keys.into_iter().zip(replies.chunks_exact(n)) {
            if r.iter()
                .any(|v| matches!(v, Value::ServerError(e) if worth_resending(e)))
            {
                self.again.push(key);
                continue;
            }
            // The access question may be refused (OBJECT FREQ without an LFU policy): that
            // key's access is unknown, the rest stands.
            for v in &r[n - 3..] {
                check_reply(node, v)?;
            }
            self.record(key, r);
        }
        Ok(())
    }

    /// The three questions asked again, key by key, where each key lives now; then the
    /// fields of the hashes without TTL.
    async fn follow_up(&mut self, store: &Store, retries: u32, stop: &Stop) -> Result<()> {
        if self.again.is_empty() {
            return self.add_hashes(store).await;
        }
        let keys = std::mem::take(&mut self.again);
        let answers = scan::ask_again(store, keys, |k| self.questions(k), retries, stop).await?;
        for (key, r) in answers {
            self.record(key, &r);
        }
        self.add_hashes(store).await
    }

    fn restarted(&mut self, _carried: u64) {
        self.families = Families::new(self.options.grouper.learns());
        self.hot.clear();
        self.not_selected = 0;
    }

    fn passed_over(&mut self, n: u64) {
        self.not_selected += n;
    }

    fn figures(&self) -> Option<serde_json::Value> {
        serde_json::to_value(InspectFigures {
            families: &self.families,
            hot: &self.hot,
            not_selected: self.not_selected,
        })
        .ok()
    }

    fn resume(&mut self, figures: serde_json::Value) -> Result<()> {
        let saved: SavedInspectFigures = serde_json::from_value(figures).map_err(|e| {
            crate::error::Error::Usage(format!("checkpoint: its figures cannot be read ({e})"))
        })?;
        self.families.merge(saved.families);
        self.hot.extend(saved.hot);
        self.not_selected += saved.not_selected;
        Ok(())
    }

    fn acted(&self) -> u64 {
        self.last
    }
}
