//! What a server says of its keyspace at no scan cost: `INFO keyspace` (keys, keys with an
//! expiry, average TTL, keys with hash fields that expire) and, on Redis 8, `INFO KEYSIZES`
//! (size histograms per type). The first lines of `inspect --pattern` and `ttl-audit`.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Result;
use crate::ops::fields;
use crate::store::Store;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Headline {
    pub node: String,
    pub db: u32,
    pub keys: u64,
    /// Keys with an expiry.
    pub expires: u64,
    /// The server's own estimate of the average TTL (ms); 0 when it has none.
    pub avg_ttl_ms: u64,
    /// Keys with hash fields that expire (Redis `subexpiry`, Valkey
    /// `keys_with_volatile_items`); absent where the server counts none.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub keys_with_field_ttls: u64,
    /// The server's own size histograms (Redis 8 `INFO KEYSIZES`), by type: for strings their
    /// length, for collections their elements; keys per power-of-two bucket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<SizeHistogram>,
}

/// Keys per size bucket of one type, as the server counts them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SizeHistogram {
    /// `strings_sizes` (bytes), `hashes_items`, `lists_items`, `sets_items`, `zsets_items`.
    pub of: String,
    /// (bucket as the server writes it, `1`, `2`, … `4K`, `1M`: at least that much; keys).
    pub buckets: Vec<(String, u64)>,
}

/// `INFO KEYSIZES` (Redis 8): for each `db{N}_distrib_{of}:{bucket}={keys},…` line, its
/// histogram, by database.
fn keysizes(text: &str) -> Vec<(u32, SizeHistogram)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, buckets)) = line.trim().split_once(':') else {
            continue;
        };
        let Some((db, of)) = name
            .strip_prefix("db")
            .and_then(|r| r.split_once("_distrib_"))
        else {
            continue;
        };
        let Ok(db) = db.parse() else { continue };
        let buckets = buckets
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(b, n)| Some((b.to_string(), n.parse().ok()?)))
            .collect();
        out.push((
            db,
            SizeHistogram {
                of: of.to_string(),
                buckets,
            },
        ));
    }
    out
}

/// The keyspace headline at no scan cost.
pub async fn headline(store: &Store) -> Result<Vec<Headline>> {
    let mut out = Vec::new();
    // Redis 8's size histograms; older servers answer an empty section (or refuse it).
    let mut sizes: HashMap<String, Vec<(u32, SizeHistogram)>> = HashMap::new();
    if let Ok(replies) = store.on_masters(redis::cmd("INFO").arg("keysizes")).await {
        for (node, reply) in replies {
            if let Ok(text) = store.value_on::<String>(&node, reply) {
                sizes.insert(node.addr().to_string(), keysizes(&text));
            }
        }
    }
    for (node, reply) in store.on_masters(redis::cmd("INFO").arg("keyspace")).await? {
        let text: String = store.value_on(&node, reply)?;
        for line in text.lines() {
            // db0:keys=1000,expires=900,avg_ttl=123456
            let Some((db, fields)) = line.trim().split_once(':') else {
                continue;
            };
            let Some(db) = db.strip_prefix("db").and_then(|d| d.parse().ok()) else {
                continue;
            };
            let field = |name: &str| -> u64 {
                fields
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0)
            };
            out.push(Headline {
                node: node.addr().to_string(),
                db,
                keys: field("keys"),
                expires: field("expires"),
                avg_ttl_ms: field("avg_ttl"),
                keys_with_field_ttls: fields::keys_with_field_ttls(fields),
                sizes: (sizes.get(node.addr()).into_iter().flatten())
                    .filter(|(d, _)| *d == db)
                    .map(|(_, h)| h.clone())
                    .collect(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keysizes_are_read_per_database() {
        let text =
            "# Keysizes\r\ndb0_distrib_strings_sizes:1=1,4K=2\r\ndb3_distrib_hashes_items:2=5\r\n";
        let got = keysizes(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 0);
        assert_eq!(got[0].1.of, "strings_sizes");
        assert_eq!(got[0].1.buckets, vec![("1".into(), 1), ("4K".into(), 2)]);
        assert_eq!((got[1].0, got[1].1.buckets[0].1), (3, 5));
    }
}
