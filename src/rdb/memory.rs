//! What a key will cost in memory, estimated from how it is serialized: the model of Redis's
//! own `MEMORY USAGE` (the value's structures, the key's string and its table entry), with
//! allocations rounded up to jemalloc's size classes, as Redis builds with. Compact encodings
//! (listpack, intset) are stored in the dump byte for byte as they sit in memory, so those
//! estimates are close; hash tables and skiplists are modelled from their element counts.

/// `robj`.
const OBJECT: u64 = 16;
/// A table entry (`dictEntry`).
const ENTRY: u64 = 24;
/// `dict`.
const DICT: u64 = 56;
/// `quicklist` and `quicklistNode`.
const QUICKLIST: u64 = 40;
const QUICKLIST_NODE: u64 = 32;
/// `zset` + `zskiplist` + the skiplist's 32-level header node (536 bytes, class 640).
const SKIPLIST: u64 = 16 + 32 + 640;
/// A skiplist node: 24 bytes and 16 per level, levels drawn with p = 1/4; the expected
/// allocation over jemalloc's classes.
const SKIPLIST_NODE: u64 = 53;
/// `stream`, `streamCG`, `streamConsumer`, `streamNACK`.
const STREAM: u64 = 112;
const STREAM_GROUP: u64 = 40;
const STREAM_CONSUMER: u64 = 24;
const PENDING: u64 = 24;
/// A stream's newest listpack is allocated this large when started and filled in place;
/// full ones are shrunk to fit.
const STREAM_PREALLOC: u64 = 4096;
/// Strings up to this long are embedded in their object (`OBJ_ENCODING_EMBSTR`).
const EMBSTR_MAX: u64 = 44;

/// The allocation jemalloc makes for `size` bytes: 8, then multiples of 16 to 128, then four
/// classes per doubling.
pub fn class(size: u64) -> u64 {
    if size <= 8 {
        return 8;
    }
    if size <= 128 {
        return size.div_ceil(16) * 16;
    }
    // A size no allocation has (from a damaged dump) saturates rather than overflows.
    let Some(step) = size.checked_next_power_of_two().map(|p| p / 8) else {
        return u64::MAX;
    };
    size.div_ceil(step).saturating_mul(step)
}

/// An sds string of `len` bytes: header by length, the bytes and a terminating zero.
pub fn sds(len: u64) -> u64 {
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65_536 => 5,
        65_536..4_294_967_296 => 9,
        _ => 17,
    };
    class(header + len + 1)
}

/// The key itself: its string and its entry in the keyspace table.
pub fn key(len: u64) -> u64 {
    sds(len) + ENTRY
}

/// A string value; `int`: stored as an integer.
pub fn string(len: u64, int: bool) -> u64 {
    if int {
        OBJECT
    } else if len <= EMBSTR_MAX {
        class(OBJECT + 3 + len + 1)
    } else {
        OBJECT + sds(len)
    }
}

/// A compact value (listpack, intset, ziplist) of `bytes` bytes.
pub fn compact(bytes: u64) -> u64 {
    OBJECT + class(bytes)
}

/// A hash table of `n` elements whose strings cost `strings` in all.
pub fn table(n: u64, strings: u64) -> u64 {
    OBJECT + DICT + n.next_power_of_two() * 8 + n * ENTRY + strings
}

/// A skiplist-encoded sorted set of `n` members whose strings cost `strings`.
pub fn skiplist(n: u64, strings: u64) -> u64 {
    table(n, strings) + SKIPLIST + n * SKIPLIST_NODE
}

/// The same on Redis 8, which keeps each member inside its skiplist node and the table's
/// entries without values: 16 bytes less a member (modelled from Redis 8.2's `MEMORY USAGE`).
pub fn skiplist_redis8(n: u64, strings: u64) -> u64 {
    skiplist(n, strings).saturating_sub(16 * n)
}

/// A list of nodes costing `nodes` in all (each already through `class`), `count` of them.
pub fn quicklist(count: u64, nodes: u64) -> u64 {
    OBJECT + QUICKLIST + count * QUICKLIST_NODE + nodes
}

/// A radix tree of `n` stream ids as Redis counts one: 16 bytes an id and 244 a node (its
/// header and a fixed allowance for child pointers), with about one node per id beyond the
/// first two.
pub fn rax(n: u64) -> u64 {
    let nodes = if n < 2 { n + 1 } else { n + 2 };
    16 * n + 244 * nodes
}

/// Whose accounting a stream's figure follows. Redis estimates its radix trees (a fixed
/// allowance per node); Valkey 8 counts what they really allocated, which for a stream's ids,
/// its groups' pending entries and its consumers is far less: modelled from Valkey 8.1's
/// `MEMORY USAGE … SAMPLES 0` (its PyPI build, on libc malloc), used for a dump whose header
/// says Valkey wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Redis,
    Valkey,
}

/// Valkey's radix tree of `n` stream ids: an empty tree, and about 34 bytes an id.
fn rax_valkey(n: u64) -> u64 {
    64 + 34 * n
}

/// What libc's malloc reports usable for `size` bytes (16-byte chunks with an 8-byte header).
fn libc(size: u64) -> u64 {
    (size.saturating_add(8 + 15) & !15)
        .saturating_sub(8)
        .max(24)
}

/// A stream without its groups: the sizes of its listpacks, oldest first.
pub fn stream(packs: &[u64], server: Server) -> u64 {
    let n = packs.len();
    let (ids, alloc): (u64, fn(u64) -> u64) = match server {
        Server::Redis => (rax(n as u64), class),
        Server::Valkey => (rax_valkey(n as u64), libc),
    };
    let mut total = OBJECT + STREAM + ids;
    for (i, &bytes) in packs.iter().enumerate() {
        let allocated = if i + 1 == n {
            bytes.max(STREAM_PREALLOC)
        } else {
            bytes
        };
        total += alloc(allocated);
    }
    total
}

/// A consumer group with `pending` entries not yet acknowledged.
pub fn stream_group(pending: u64, server: Server) -> u64 {
    match server {
        Server::Redis => STREAM_GROUP + rax(pending) + pending * PENDING,
        Server::Valkey => STREAM_GROUP + rax_valkey(pending) + pending * PENDING,
    }
}

/// A consumer named in `name_len` bytes that owns `pending` entries.
pub fn stream_consumer(name_len: u64, pending: u64, server: Server) -> u64 {
    match server {
        Server::Redis => STREAM_CONSUMER + name_len + rax(pending),
        Server::Valkey => 60 + name_len + rax_valkey(pending),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_classes() {
        let pairs = [
            (1, 8),
            (9, 16),
            (100, 112),
            (128, 128),
            (129, 160),
            (300, 320),
            (513, 640),
            (4097, 5120),
        ];
        for (size, want) in pairs {
            assert_eq!(class(size), want, "{size}");
        }
    }

    #[test]
    fn strings_by_encoding() {
        // `SET k 12345`: an integer object; a short string is embedded; a long one is not.
        assert_eq!(string(5, true), 16);
        assert_eq!(string(10, false), class(16 + 3 + 10 + 1));
        assert_eq!(string(100, false), 16 + class(3 + 100 + 1));
    }

    #[test]
    fn streams_as_redis_counts_them() {
        // MEMORY USAGE on Redis 7.0: a stream of 120 entries took 7,512 bytes; with a group
        // and a consumer `c1` holding 7 pending entries, 12,362.
        let redis = Server::Redis;
        assert_eq!(
            stream_group(7, redis) + stream_consumer(2, 7, redis),
            12_362 - 7_512
        );
        // One listpack, started: 4,728.
        assert_eq!(stream(&[100], redis), 4_728);
    }

    #[test]
    fn valkey_streams_as_valkey_counts_them() {
        // MEMORY USAGE on Valkey 8.1.8 (libc): a group, 104 bytes; a consumer `c1` and 100
        // entries pending for it, 9,362; a one-node stream (key aside), about 4,296.
        let v = Server::Valkey;
        assert_eq!(stream_group(0, v), 104);
        let pending = stream_group(100, v) - stream_group(0, v) + stream_consumer(2, 100, v);
        assert!(pending.abs_diff(9_362) < 200, "{pending}");
        assert!(
            stream(&[100], v).abs_diff(4_296) < 100,
            "{}",
            stream(&[100], v)
        );
    }
}
