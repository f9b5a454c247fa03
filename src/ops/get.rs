//! Read keys: type, TTL and value, with collections capped so a huge hash cannot flood a
//! terminal or the client's memory.

use base64::Engine;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::error::{Error, Result};
use crate::keys;
use crate::store::Store;
use crate::ttl::KeyTtl;

/// A Redis value as read, collections capped at the caller's limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    String(Vec<u8>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(Vec<StreamEntry>),
    /// A type this tool does not decode (modules' types); only its name is shown.
    Other,
}

impl Data {
    /// Elements read (bytes for a string).
    pub fn elements(&self) -> usize {
        match self {
            Data::String(b) => b.len(),
            Data::Hash(v) => v.len(),
            Data::List(v) | Data::Set(v) => v.len(),
            Data::ZSet(v) => v.len(),
            Data::Stream(v) => v.len(),
            Data::Other => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntry {
    pub id: String,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyValue {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Milliseconds left; `None` (JSON null) when the key never expires.
    pub ttl_ms: Option<u64>,
    /// Elements in a collection (bytes for a string).
    pub length: u64,
    /// True when a collection had more elements than were read, or a string more bytes.
    pub truncated: bool,
    pub value: Data,
    /// A string value that is JSON (read whole), parsed: scripts need not parse it twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_json: Option<serde_json::Value>,
    /// A hash's field expirations (Redis 7.4+, Valkey 9), when any field expires; each field
    /// shown has its own TTL in `per_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_ttls: Option<Box<crate::ops::fields::FieldTtls>>,
    /// Elements shown cut to `--max-bytes` (a collection of large elements is read one element
    /// at a time, each cut as it arrives).
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub elements_cut: u64,
}

/// Outcome of reading one key.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Found(KeyValue),
    Missing(String),
}

/// How much of each value `get` reads.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Elements of a collection.
    pub elements: usize,
    /// Bytes of a string (the rest is left on the server: a 300 MB value is not read whole
    /// to show its start); `stream_string` reads all of it, a piece at a time.
    pub bytes: usize,
    /// Sorted sets from the highest score down (a leaderboard's top), not the lowest up.
    pub rev: bool,
}

/// Pieces a long string is read in (`GETRANGE`): each a short request for the server.
pub const PIECE: usize = 1 << 20;

/// Read `keys`, at most `limits` of each.
pub async fn get(store: &Store, keys: &[String], limits: Limits) -> Result<Vec<Lookup>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(get_one(store, key, limits).await?);
    }
    Ok(out)
}

async fn get_one(store: &Store, key: &str, limits: Limits) -> Result<Lookup> {
    let limit = limits.elements;
    let mut pipe = redis::pipe();
    pipe.cmd("TYPE").arg(key).cmd("PTTL").arg(key);
    let replies = store.query_pipeline(&pipe).await?;
    let [kind, pttl] =
        <[redis::Value; 2]>::try_from(replies).map_err(|_| protocol(store, "TYPE/PTTL"))?;
    let kind: String =
        redis::from_redis_value(kind).map_err(|e| Error::redis(store.addr(), e.into()))?;
    let pttl: i64 =
        redis::from_redis_value(pttl).map_err(|e| Error::redis(store.addr(), e.into()))?;
    if kind == "none" {
        return Ok(Lookup::Missing(key.to_string()));
    }
    let cap = limit.max(1);
    let stop = (cap - 1) as i64;
    let mut elements_cut = 0;
    let (length, value) = match kind.as_str() {
        "list" | "zset" | "hash" | "set" if large(store, key).await => {
            let mut one = OneByOne::new(limits);
            let v = one.read(store, &kind, key).await?;
            elements_cut = one.cut;
            (one.length, v)
        }
        "string" => {
            let len: u64 = store.query(redis::cmd("STRLEN").arg(key)).await?;
            if len as usize <= limits.bytes.min(PIECE) {
                let v: Vec<u8> = store.query(redis::cmd("GET").arg(key)).await?;
                (v.len() as u64, Data::String(v))
            } else {
                // In pieces: no one reply is larger than a piece, whatever was asked for.
                let want = limits.bytes.min(len as usize);
                (len, Data::String(start_of(store, key, want, len).await?))
            }
        }
        "list" => {
            let (len, v) = length_and(
                store,
                redis::cmd("LLEN").arg(key),
                redis::cmd("LRANGE").arg(key).arg(0).arg(stop),
            )
            .await?;
            (len, Data::List(v))
        }
        "zset" => {
            let (len, v): (u64, Vec<(Vec<u8>, f64)>) = length_and(
                store,
                redis::cmd("ZCARD").arg(key),
                redis::cmd(if limits.rev { "ZREVRANGE" } else { "ZRANGE" })
                    .arg(key)
                    .arg(0)
                    .arg(stop)
                    .arg("WITHSCORES"),
            )
            .await?;
            (len, Data::ZSet(v))
        }
        "hash" => {
            let len: u64 = store.query(redis::cmd("HLEN").arg(key)).await?;
            let flat = scan_collection(store, "HSCAN", key, cap * 2).await?;
            let pairs = flat
                .chunks_exact(2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect();
            (len, Data::Hash(pairs))
        }
        "set" => {
            let len: u64 = store.query(redis::cmd("SCARD").arg(key)).await?;
            let mut members = scan_collection(store, "SSCAN", key, cap).await?;
            members.sort();
            (len, Data::Set(members))
        }
        "stream" => {
            let (len, raw): (u64, Vec<RawEntry>) = length_and(
                store,
                redis::cmd("XLEN").arg(key),
                redis::cmd("XRANGE")
                    .arg(key)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(cap),
            )
            .await?;
            let entries = raw
                .into_iter()
                .map(|(id, flat)| StreamEntry {
                    id,
                    fields: flat
                        .chunks_exact(2)
                        .map(|c| (c[0].clone(), c[1].clone()))
                        .collect(),
                })
                .collect();
            (len, Data::Stream(entries))
        }
        _ => (0, Data::Other),
    };
    let read = match &value {
        Data::String(b) => b.len() as u64,
        Data::Other => length,
        collection => collection.elements() as u64,
    };
    let value_json = match &value {
        Data::String(b) if read == length => serde_json::from_slice(b).ok(),
        _ => None,
    };
    let field_ttls = match &value {
        Data::Hash(pairs) => hash_field_ttls(store, key, pairs).await?.map(Box::new),
        _ => None,
    };
    Ok(Lookup::Found(KeyValue {
        value_json,
        key: key.to_string(),
        kind,
        ttl_ms: match KeyTtl::from_pttl(pttl) {
            KeyTtl::Expires(ms) => Some(ms),
            _ => None,
        },
        length,
        truncated: read < length,
        value,
        field_ttls,
        elements_cut,
    }))
}

/// A hash's field expirations, when any field expires: counted over the hash (bounded), each
/// field shown given its own.
async fn hash_field_ttls(
    store: &Store,
    key: &str,
    shown: &[(Vec<u8>, Vec<u8>)],
) -> Result<Option<crate::ops::fields::FieldTtls>> {
    let read = crate::ops::fields::read(store, &[key.as_bytes().to_vec()], true).await?;
    let Some(mut f) = read.into_iter().next().flatten().filter(|f| f.with_ttl > 0) else {
        return Ok(None);
    };
    let ttl_of: std::collections::HashMap<Vec<u8>, Option<u64>> =
        std::mem::take(&mut f.per_field).into_iter().collect();
    // A shown field past the fields read (a hash past the bound) is left out, not guessed.
    f.per_field = shown
        .iter()
        .filter_map(|(name, _)| ttl_of.get(name).map(|t| (name.clone(), *t)))
        .collect();
    Ok(Some(f))
}

/// A collection past this (by the server's estimate) is read an element at a time: one reply
/// of many large elements would be past the reply bound, and held whole.
const WHOLE_READ: u64 = 8 << 20;

/// Bytes of a collection's elements held at once, each cut to `--max-bytes`: the rest of a
/// collection past it is left unread (and said, as any collection read in part is).
const HELD: usize = 64 << 20;

/// Whether `key` may be too large to read in one reply. A server that will not estimate (an
/// ACL without MEMORY) is answered the careful way.
async fn large(store: &Store, key: &str) -> bool {
    let usage: Result<Option<u64>> = store
        .query(redis::cmd("MEMORY").arg("USAGE").arg(key))
        .await;
    !matches!(usage, Ok(Some(bytes)) if bytes <= WHOLE_READ)
}

/// Reads a collection one element per request, cutting each to `--max-bytes` as it arrives,
/// until the element limit or `HELD` bytes.
struct OneByOne {
    limits: Limits,
    length: u64,
    held: usize,
    cut: u64,
}

impl OneByOne {
    fn new(limits: Limits) -> Self {
        OneByOne {
            limits,
            length: 0,
            held: 0,
            cut: 0,
        }
    }

    fn keep(&mut self, mut b: Vec<u8>) -> Vec<u8> {
        if b.len() > self.limits.bytes {
            b.truncate(self.limits.bytes);
            b.shrink_to_fit();
            self.cut += 1;
        }
        self.held += b.len();
        b
    }

    fn room(&self, n: usize) -> bool {
        n < self.limits.elements.max(1) && self.held < HELD
    }

    async fn read(&mut self, store: &Store, kind: &str, key: &str) -> Result<Data> {
        let verb = match kind {
            "list" => "LLEN",
            "zset" => "ZCARD",
            "hash" => "HLEN",
            _ => "SCARD",
        };
        self.length = store.query(redis::cmd(verb).arg(key)).await?;
        match kind {
            "list" => {
                let mut v = Vec::new();
                while self.room(v.len()) && (v.len() as u64) < self.length {
                    let i = v.len();
                    let got: Vec<Vec<u8>> = store
                        .query(redis::cmd("LRANGE").arg(key).arg(i).arg(i))
                        .await?;
                    let Some(e) = got.into_iter().next() else {
                        break;
                    };
                    v.push(self.keep(e));
                }
                Ok(Data::List(v))
            }
            "zset" => {
                let verb = if self.limits.rev {
                    "ZREVRANGE"
                } else {
                    "ZRANGE"
                };
                let mut v = Vec::new();
                while self.room(v.len()) && (v.len() as u64) < self.length {
                    let i = v.len();
                    let got: Vec<(Vec<u8>, f64)> = store
                        .query(redis::cmd(verb).arg(key).arg(i).arg(i).arg("WITHSCORES"))
                        .await?;
                    let Some((m, score)) = got.into_iter().next() else {
                        break;
                    };
                    v.push((self.keep(m), score));
                }
                Ok(Data::ZSet(v))
            }
            "hash" => {
                let mut pairs = Vec::new();
                match self.hash_by_name(store, key, &mut pairs).await {
                    // Names first where the server can list them alone (7.4+, Valkey 8): a
                    // value then comes one to a reply, however a hashtable's buckets fall.
                    Ok(()) => {}
                    Err(Error::Redis { .. }) => {
                        pairs.clear();
                        self.held = 0;
                        self.cut = 0;
                        self.scan(store, "HSCAN", key, |one, flat| {
                            for c in flat.chunks_exact(2) {
                                if !one.room(pairs.len()) {
                                    break;
                                }
                                pairs.push((one.keep(c[0].clone()), one.keep(c[1].clone())));
                            }
                            one.room(pairs.len())
                        })
                        .await?;
                    }
                    Err(e) => return Err(e),
                }
                Ok(Data::Hash(pairs))
            }
            _ => {
                let mut members = Vec::new();
                self.scan(store, "SSCAN", key, |one, flat| {
                    for m in flat {
                        if !one.room(members.len()) {
                            break;
                        }
                        members.push(one.keep(m.clone()));
                    }
                    one.room(members.len())
                })
                .await?;
                members.sort();
                Ok(Data::Set(members))
            }
        }
    }

    /// A hash's fields by name (HSCAN NOVALUES), each value read alone and cut as it arrives.
    async fn hash_by_name(
        &mut self,
        store: &Store,
        key: &str,
        pairs: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<()> {
        let mut cursor = 0u64;
        loop {
            let (next, names): (u64, Vec<Vec<u8>>) = store
                .query(
                    redis::cmd("HSCAN")
                        .arg(key)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(100)
                        .arg("NOVALUES"),
                )
                .await?;
            for name in names {
                if !self.room(pairs.len()) {
                    return Ok(());
                }
                let value: Option<Vec<u8>> =
                    store.query(redis::cmd("HGET").arg(key).arg(&name)).await?;
                // A field gone since its name was listed is left out.
                if let Some(v) = value {
                    pairs.push((self.keep(name), self.keep(v)));
                }
            }
            cursor = next;
            if cursor == 0 {
                return Ok(());
            }
        }
    }

    /// A SCAN-family walk asking for one element a page (a hashtable answers about that;
    /// a compact encoding answers whole, and is small by its nature).
    async fn scan(
        &mut self,
        store: &Store,
        verb: &str,
        key: &str,
        mut take: impl FnMut(&mut Self, &[Vec<u8>]) -> bool,
    ) -> Result<()> {
        let mut cursor = 0u64;
        loop {
            let (next, items): (u64, Vec<Vec<u8>>) = store
                .query(redis::cmd(verb).arg(key).arg(cursor).arg("COUNT").arg(1))
                .await?;
            let more = take(self, &items);
            cursor = next;
            if cursor == 0 || !more {
                return Ok(());
            }
        }
    }
}

/// The first `n` bytes of a string, read in pieces, cut back to whole UTF-8 characters when
/// the value is text (so a truncated JSON value still shows as text).
async fn start_of(store: &Store, key: &str, n: usize, len: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n.min(PIECE));
    while out.len() < n {
        let from = out.len();
        let to = n.min(from + PIECE) - 1;
        let piece: Vec<u8> = store
            .query(redis::cmd("GETRANGE").arg(key).arg(from).arg(to))
            .await?;
        if piece.is_empty() {
            break;
        }
        out.extend_from_slice(&piece);
    }
    // A start cut mid-character ends before it; a value read whole is left as it is.
    if (out.len() as u64) < len
        && let Err(e) = std::str::from_utf8(&out)
        && e.error_len().is_none()
    {
        out.truncate(e.valid_up_to());
    }
    Ok(out)
}

/// Write all of string `key` to `out`, a piece at a time (memory stays at one piece, whatever
/// the value's size); returns the bytes written. A value changed while it is read may mix
/// old and new pieces, as any ranged read of a live key may.
pub async fn stream_string(
    store: &Store,
    key: &str,
    out: &mut (dyn std::io::Write + Send),
) -> Result<u64> {
    let len: u64 = store.query(redis::cmd("STRLEN").arg(key)).await?;
    let mut at = 0u64;
    while at < len {
        let to = (at + PIECE as u64).min(len) - 1;
        let piece: Vec<u8> = store
            .query(redis::cmd("GETRANGE").arg(key).arg(at).arg(to))
            .await?;
        if piece.is_empty() {
            break;
        }
        out.write_all(&piece).map_err(|e| Error::Io {
            context: "stdout".into(),
            error: e,
        })?;
        at += piece.len() as u64;
    }
    Ok(at)
}

/// A stream entry as XRANGE returns it: id and flat field/value list.
type RawEntry = (String, Vec<Vec<u8>>);

/// A collection's length and a range of it, in one round trip.
async fn length_and<T: redis::FromRedisValue>(
    store: &Store,
    length: &redis::Cmd,
    fetch: &redis::Cmd,
) -> Result<(u64, T)> {
    let mut pipe = redis::pipe();
    pipe.add_command(length.clone()).add_command(fetch.clone());
    let mut replies = store.query_pipeline(&pipe).await?.into_iter();
    let (Some(len), Some(items)) = (replies.next(), replies.next()) else {
        return Err(protocol(store, "length and range"));
    };
    Ok((store.decode(len)?, store.decode(items)?))
}

/// Up to `cap` flat elements of a hash or set via its SCAN command (never HGETALL/SMEMBERS on a
/// collection of unknown size).
async fn scan_collection(store: &Store, verb: &str, key: &str, cap: usize) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, items): (u64, Vec<Vec<u8>>) = store
            .query(redis::cmd(verb).arg(key).arg(cursor).arg("COUNT").arg(1000))
            .await?;
        out.extend(items);
        cursor = next;
        if cursor == 0 || out.len() >= cap {
            break;
        }
    }
    out.truncate(cap);
    Ok(out)
}

fn protocol(store: &Store, command: &'static str) -> Error {
    Error::Protocol {
        addr: store.addr().to_string(),
        command,
        detail: "wrong number of replies".into(),
    }
}

/// Bytes as a JSON value: a string when they are UTF-8, else `{"base64": "..."}`.
pub fn bytes_json(b: &[u8]) -> serde_json::Value {
    match std::str::from_utf8(b) {
        Ok(s) => serde_json::Value::String(s.to_string()),
        Err(_) => {
            serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
        }
    }
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde_json::{Value, json};
        let v = match self {
            Data::String(b) => bytes_json(b),
            Data::List(items) | Data::Set(items) => {
                Value::Array(items.iter().map(|b| bytes_json(b)).collect())
            }
            Data::Hash(pairs) => {
                let mut map = s.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    map.serialize_entry(&keys::display(k), &bytes_json(v))?;
                }
                return map.end();
            }
            Data::ZSet(items) => Value::Array(
                items
                    .iter()
                    .map(|(m, score)| json!({ "member": bytes_json(m), "score": score }))
                    .collect(),
            ),
            Data::Stream(entries) => Value::Array(
                entries
                    .iter()
                    .map(|e| {
                        let fields: serde_json::Map<String, Value> = e
                            .fields
                            .iter()
                            .map(|(k, v)| (keys::display(k), bytes_json(v)))
                            .collect();
                        json!({ "id": e.id, "fields": fields })
                    })
                    .collect(),
            ),
            Data::Other => Value::Null,
        };
        v.serialize(s)
    }
}
