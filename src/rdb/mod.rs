//! Dumps (RDB files) read without a server: one pass, key by key, with bounded memory.
//! Values are measured, never built: a value's structure is walked only as far as its size and
//! element counts need, and compressed strings stay compressed, so a dump is read at the speed
//! of its bytes. Reads RDB versions up to 12 (Redis 7.0–7.4) and Valkey 8's, and checks the
//! dump's CRC-64 at its end.

mod compact;
pub mod input;
mod lzf;
pub mod memory;
pub mod walk;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use input::{Cut, Input};

/// The newest RDB version read (Redis 7.4).
pub const NEWEST: u32 = 12;

/// The RDB version Valkey 9 writes under its own `VALKEY` header (Valkey 7 and 8 write Redis's
/// 11 under `REDIS`).
pub const VALKEY: u32 = 80;

/// The longest key a server accepts (512 MB).
const MAX_KEY: u64 = 512 << 20;

/// The longest string value a dump may claim: 4 GiB, far past what a server is configured
/// to take (`proto-max-bulk-len`, 512 MB by default). A longer one is damage.
const MAX_STRING: u64 = 4 << 30;

/// LZF expands at most 264 bytes from a 3-byte back reference: a compressed string that
/// claims more than that ratio of its compressed size is damage.
const MAX_LZF_RATIO: u64 = 88;

/// Whether a compressed string's two lengths can be true of one LZF string.
fn lzf_lengths_possible(compressed: u64, len: u64) -> bool {
    len <= MAX_STRING && len <= compressed.saturating_mul(MAX_LZF_RATIO).saturating_add(32)
}

/// What a dump says about itself, from its header.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Snapshot {
    /// The file, or `-` for standard input.
    pub file: String,
    pub rdb_version: u32,
    /// `redis 7.0.15`, `valkey 8.1.8`.
    pub server: Option<String>,
    /// When the server wrote it (seconds since the epoch).
    pub ctime_s: Option<i64>,
    /// The server's memory in use when it wrote it.
    pub used_memory: Option<u64>,
    /// Keys and keys with an expiry per database, as the dump announces them.
    pub dbs: Vec<DbSize>,
    pub checksum: Checksum,
    /// Function libraries the dump holds (not keys).
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub functions: u64,
}

/// A value read: its type, encoding, memory in the server and elements (when counted).
type ValueRead = (Kind, &'static str, u64, Option<u64>);

impl Snapshot {
    /// When the dump was written (ms since the epoch); now when it does not say.
    pub fn time_ms(&self) -> i64 {
        match self.ctime_s {
            Some(s) => s.saturating_mul(1000),
            None => crate::clock::now_ms() as i64,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct DbSize {
    pub db: u32,
    pub keys: u64,
    pub expires: u64,
}

/// A type as `TYPE` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
    /// A module's type, by the name it registered.
    Module(String),
}

impl Kind {
    pub fn name(&self) -> &str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Stream => "stream",
            Kind::Module(name) => name,
        }
    }
}

/// One key of a dump.
#[derive(Debug)]
pub struct Entry<'a> {
    pub db: u32,
    pub key: &'a [u8],
    pub kind: Kind,
    /// The encoding the server will give it, as `OBJECT ENCODING` names it.
    pub encoding: &'static str,
    /// Absolute expiry, milliseconds since the epoch.
    pub expires_at_ms: Option<i64>,
    /// Estimated `MEMORY USAGE` (see `memory`).
    pub memory: u64,
    /// Bytes the key and value take in the dump.
    pub serialized: u64,
    /// Seconds idle when the dump was written (an LRU eviction policy saves it).
    pub idle_s: Option<u64>,
    /// The LFU counter (an LFU eviction policy saves it).
    pub frequency: Option<u8>,
    /// An empty collection: a server loading the dump skips it ("empty keys skipped").
    pub empty: bool,
    /// A hash whose fields carry their own expiry (Redis 7.4+, Valkey 9): its field count
    /// and each expiring field's absolute expiry (ms since the epoch).
    pub fields: Option<FieldExpiries<'a>>,
}

/// The field expirations of one hash in a dump.
#[derive(Debug)]
pub struct FieldExpiries<'a> {
    pub fields: u64,
    pub expires_at_ms: &'a [i64],
}

/// Whether a dump's checksum was checked.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    /// Not yet: the dump has not been read to its end.
    #[default]
    Unchecked,
    /// The dump's CRC-64 matches its bytes.
    Verified,
    /// The dump carries none (RDB before 5, or written with `rdbchecksum no`): damage can
    /// only be found where it breaks the structure.
    Absent,
}

/// A dump being read.
pub struct Rdb {
    input: Input,
    snapshot: Snapshot,
    /// A Valkey-only dump (`VALKEY` magic): types past Redis 7.4's mean something else.
    valkey_magic: bool,
    db: u32,
    key: Vec<u8>,
    scratch: Vec<u8>,
    /// A compact value (listpack, ziplist…) read whole to be checked.
    blob: Vec<u8>,
    /// Why the dump could not be opened: its first read says so.
    broken: Option<Error>,
    /// A value's type read while reading the header.
    pending: Option<u8>,
    expires_at_ms: Option<i64>,
    idle_s: Option<u64>,
    frequency: Option<u8>,
    finished: bool,
    /// The field count and field expiries of the hash just read, when it has them.
    field_count: Option<u64>,
    field_expiries: Vec<i64>,
}

enum Len {
    Plain(u64),
    /// A string stored specially: an integer (0, 1, 2) or LZF-compressed (3).
    Encoded(u8),
}

/// The field expirations of a DUMP payload (a value's type byte, its encoding, the RDB version
/// in 2 bytes and a checksum): its field count and each expiring field's absolute expiry, for
/// a hash whose fields carry expiries; `None` for any other value, or one that cannot be read.
/// Read by the one dump reader, as a one-key dump of the payload's version.
pub fn payload_field_expiries(payload: &[u8]) -> Option<(u64, Vec<i64>)> {
    let n = payload.len();
    let body = payload.get(..n.checked_sub(10)?)?;
    let version = u16::from_le_bytes([payload[n - 10], payload[n - 9]]);
    let magic = match u32::from(version) {
        v if v >= VALKEY => format!("VALKEY{v:03}"),
        v => format!("REDIS{v:04}"),
    };
    let (ty, value) = body.split_first()?;
    let mut dump = Vec::with_capacity(n + 24);
    dump.extend_from_slice(magic.as_bytes());
    dump.push(*ty);
    dump.extend_from_slice(&[1, b'k']);
    dump.extend_from_slice(value);
    dump.push(0xFF);
    // A zero checksum: none was computed (the payload's own was checked by the server).
    dump.extend_from_slice(&[0; 8]);
    let mut rdb = Rdb::from_reader("a payload", Box::new(std::io::Cursor::new(dump))).ok()?;
    let entry = rdb.next_entry().ok()??;
    entry.fields.map(|f| (f.fields, f.expires_at_ms.to_vec()))
}

/// Whether `t` starts a key (rather than being an opcode).
fn is_value_type(t: u8) -> bool {
    t <= 7 || (9..=25).contains(&t)
}

impl Rdb {
    /// Open `path` (`-`: standard input) and read its header.
    pub fn open(path: &Path) -> Result<Rdb> {
        let name = path.display().to_string();
        let source: Box<dyn Read + Send> = if name == "-" {
            Box::new(std::io::stdin())
        } else {
            let file = std::fs::File::open(path).map_err(|error| Error::Rdb {
                file: name.clone(),
                offset: 0,
                detail: format!("cannot open it: {error}"),
            })?;
            Box::new(file)
        };
        Rdb::from_reader(&name, source)
    }

    /// `open`, or a dump whose first read is the reason it could not be opened: one file
    /// that is not a dump ends its own walk, and the other files of a report are read on.
    pub fn open_or_failed(path: &Path) -> Rdb {
        Rdb::open(path).unwrap_or_else(|e| {
            let mut rdb = Rdb::blank(&path.display().to_string(), Box::new(std::io::empty()));
            rdb.broken = Some(e);
            rdb
        })
    }

    fn blank(name: &str, source: Box<dyn Read + Send>) -> Rdb {
        Rdb {
            input: Input::new(source),
            snapshot: Snapshot {
                file: name.to_string(),
                ..Snapshot::default()
            },
            valkey_magic: false,
            db: 0,
            key: Vec::new(),
            scratch: Vec::new(),
            blob: Vec::new(),
            broken: None,
            pending: None,
            expires_at_ms: None,
            idle_s: None,
            frequency: None,
            finished: false,
            field_count: None,
            field_expiries: Vec::new(),
        }
    }

    /// Read a dump from `source`, called `name` in messages.
    pub fn from_reader(name: &str, source: Box<dyn Read + Send>) -> Result<Rdb> {
        let mut rdb = Rdb::blank(name, source);
        let magic: [u8; 9] = rdb.input.array().map_err(|c| match c {
            Cut::Ended => rdb.error("too short to be a dump (no RDB header)".to_string()),
            Cut::Io(e) => rdb.error(format!("cannot read it: {e}")),
        })?;
        let version = match (&magic[..5], &magic[..6]) {
            (b"REDIS", _) => digits(&magic[5..]),
            (_, b"VALKEY") => {
                rdb.valkey_magic = true;
                digits(&magic[6..])
            }
            _ => None,
        };
        let Some(version) = version else {
            return Err(rdb.error(format!(
                "not a dump: it starts with `{}`, not `REDIS` and a version",
                crate::keys::printable(&magic)
            )));
        };
        // The header decides what the header can: a version that does not exist, or one newer
        // than this reader, is refused here rather than at the first record it cannot read.
        let known = match rdb.valkey_magic {
            false => (1..=NEWEST).contains(&version),
            true => version == VALKEY,
        };
        if !known {
            let newer = match rdb.valkey_magic {
                false => version > NEWEST,
                true => version > VALKEY,
            };
            return Err(rdb.error(match newer {
                true => format!(
                    "RDB version {version} is newer than cachectl reads (Redis up to {NEWEST}, \
                     Valkey {VALKEY}): a newer server's dump"
                ),
                false => format!(
                    "RDB version {version} does not exist{}: not a dump, or a damaged one",
                    if rdb.valkey_magic {
                        " with a VALKEY header"
                    } else {
                        ""
                    }
                ),
            }));
        }
        rdb.snapshot.rdb_version = version;
        // The header: everything before the first key.
        rdb.pending = rdb.advance()?;
        Ok(rdb)
    }

    /// What the header said (and, once read through, every database's announced size).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// The next key; `None` after the last one, once the checksum has been checked.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>> {
        if let Some(e) = self.broken.take() {
            self.finished = true;
            return Err(e);
        }
        let ty = match self.pending.take() {
            Some(t) => t,
            None if self.finished => return Ok(None),
            None => match self.advance()? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
        let start = self.input.offset() - 1;
        let mut key = std::mem::take(&mut self.key);
        let read = self.string_into(&mut key);
        self.key = key;
        read.map_err(|c| self.cut(c, "in a key's name"))?;
        self.field_count = None;
        self.field_expiries.clear();
        let (kind, encoding, memory, elements) = self.value(ty).map_err(|e| self.in_key(e))?;
        let fields = self.field_count.map(|fields| FieldExpiries {
            fields,
            expires_at_ms: &self.field_expiries,
        });
        let entry = Entry {
            db: self.db,
            key: &self.key,
            kind,
            encoding,
            expires_at_ms: self.expires_at_ms.take(),
            memory: memory + memory::key(self.key.len() as u64),
            serialized: self.input.offset() - start,
            idle_s: self.idle_s.take(),
            frequency: self.frequency.take(),
            empty: elements == Some(0),
            fields,
        };
        Ok(Some(entry))
    }

    fn error(&self, detail: String) -> Error {
        Error::Rdb {
            file: self.snapshot.file.clone(),
            offset: self.input.offset(),
            detail,
        }
    }

    fn cut(&self, cut: Cut, during: &str) -> Error {
        match cut {
            Cut::Ended => self.error(format!("the dump is cut off {during}")),
            Cut::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                self.error(format!("{e} {during}"))
            }
            Cut::Io(e) => self.error(format!("cannot read it {during}: {e}")),
        }
    }

    /// Name the key whose value an error is in.
    fn in_key(&self, e: Error) -> Error {
        match e {
            Error::Rdb {
                file,
                offset,
                detail,
            } => Error::Rdb {
                file,
                offset,
                detail: format!(
                    "{detail} (in the value of key `{}`)",
                    crate::keys::display(&self.key)
                ),
            },
            other => other,
        }
    }

    /// Opcodes up to the next key's type; `None` at the end of the dump.
    fn advance(&mut self) -> Result<Option<u8>> {
        loop {
            let op = self
                .input
                .byte()
                .map_err(|c| self.cut(c, "before its end-of-dump marker"))?;
            match op {
                0xFF => {
                    self.finish()?;
                    return Ok(None);
                }
                0xFE => self.db = self.count_u32("a database number")?,
                0xFD => {
                    let s: [u8; 4] = self.bytes("an expiry")?;
                    self.expires_at_ms = Some(i64::from(i32::from_le_bytes(s)) * 1000);
                }
                0xFC => {
                    let ms: [u8; 8] = self.bytes("an expiry")?;
                    self.expires_at_ms = Some(i64::from_le_bytes(ms));
                }
                0xFB => {
                    let keys = self.count("a database size")?;
                    let expires = self.count("a database size")?;
                    self.snapshot.dbs.push(DbSize {
                        db: self.db,
                        keys,
                        expires,
                    });
                }
                0xFA => self.aux()?,
                0xF9 => self.frequency = Some(self.bytes::<1>("an LFU counter")?[0]),
                0xF8 => self.idle_s = Some(self.count("an idle time")?),
                0xF7 => {
                    // Module data outside the keyspace: id, when, then the module's value.
                    self.count("a module id")?;
                    self.count("a module field")?;
                    self.count("a module field")?;
                    self.module_value()?;
                }
                // A function library (Redis 7.0 and later): its code, in one string.
                0xF5 => {
                    self.skip_string()?;
                    self.snapshot.functions += 1;
                }
                // The same in the format of Redis 7.0's release candidates: name, engine, an
                // optional description, code.
                0xF6 => {
                    self.skip_string()?;
                    self.skip_string()?;
                    if self.count("a function's description flag")? != 0 {
                        self.skip_string()?;
                    }
                    self.skip_string()?;
                    self.snapshot.functions += 1;
                }
                0xF4 => {
                    // Cluster slot sizes: hints for loading.
                    for _ in 0..3 {
                        self.count("slot information")?;
                    }
                }
                t if is_value_type(t) => return Ok(Some(t)),
                t => {
                    // The header's version says which records can be here: one it does not
                    // have is damage.
                    let v = self.snapshot.rdb_version;
                    return Err(self.error(format!(
                        "record type {t} does not exist in RDB version {v}{}: the dump is damaged",
                        if self.valkey_magic { " (Valkey)" } else { "" }
                    )));
                }
            }
        }
    }

    /// After the end marker: the checksum (RDB 5 and later; zero when the server was told
    /// not to compute one).
    fn finish(&mut self) -> Result<()> {
        self.finished = true;
        if self.snapshot.rdb_version < 5 {
            self.snapshot.checksum = Checksum::Absent;
            return Ok(());
        }
        let computed = self.input.checksum();
        let stored = u64::from_le_bytes(self.bytes("its checksum")?);
        if stored != 0 && stored != computed {
            return Err(self.error(format!(
                "checksum mismatch (the dump says {stored:016x}, its bytes give {computed:016x}): the file is damaged"
            )));
        }
        self.snapshot.checksum = match stored {
            0 => Checksum::Absent,
            _ => Checksum::Verified,
        };
        Ok(())
    }

    fn aux(&mut self) -> Result<()> {
        let mut name = Vec::new();
        self.string_into(&mut name)
            .map_err(|c| self.cut(c, "in a header field"))?;
        let mut value = Vec::new();
        self.string_into(&mut value)
            .map_err(|c| self.cut(c, "in a header field"))?;
        let value = String::from_utf8_lossy(&value).into_owned();
        match name.as_slice() {
            b"redis-ver" => self.snapshot.server.get_or_insert(format!("redis {value}")),
            b"valkey-ver" => {
                // Valkey writes both; its own name wins.
                self.snapshot.server = Some(format!("valkey {value}"));
                return Ok(());
            }
            b"ctime" => {
                self.snapshot.ctime_s = value.parse().ok();
                return Ok(());
            }
            b"used-mem" => {
                self.snapshot.used_memory = value.parse().ok();
                return Ok(());
            }
            _ => return Ok(()),
        };
        Ok(())
    }

    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        self.input
            .array()
            .map_err(|c| self.cut(c, &format!("in {what}")))
    }

    fn len(&mut self) -> Result<Len, Cut> {
        let b = self.input.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.input.byte()?)),
            3 => Len::Encoded(b & 0x3f),
            _ => match b {
                0x80 => Len::Plain(u64::from(u32::from_be_bytes(self.input.array()?))),
                0x81 => Len::Plain(u64::from_be_bytes(self.input.array()?)),
                // Not a length: the caller reports it as damage.
                _ => Len::Encoded(u8::MAX),
            },
        })
    }

    /// A length that must be a plain number.
    fn count(&mut self, what: &str) -> Result<u64> {
        match self.len().map_err(|c| self.cut(c, &format!("in {what}")))? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => {
                Err(self.error(format!("{what} is not a number: the dump is damaged")))
            }
        }
    }

    fn count_u32(&mut self, what: &str) -> Result<u32> {
        let n = self.count(what)?;
        u32::try_from(n).map_err(|_| self.error(format!("{what} of {n} is out of range")))
    }

    /// A string's bytes into `out` (integers as their decimal digits, LZF decompressed).
    fn string_into(&mut self, out: &mut Vec<u8>) -> Result<(), Cut> {
        self.bounded_string_into(out, MAX_KEY)
    }

    /// `string_into` for a string of at most `max` bytes: keys and header fields are read
    /// whole, so a length no server allows is damage, not a reason to buffer the rest of a
    /// stream.
    fn bounded_string_into(&mut self, out: &mut Vec<u8>, max: u64) -> Result<(), Cut> {
        out.clear();
        match self.len()? {
            Len::Plain(n) if n > max => Err(Cut::Io(damaged("a key's length"))),
            Len::Plain(n) => self.input.read_into(n, out),
            Len::Encoded(0) => {
                let [b] = self.input.array()?;
                out.extend_from_slice(i8::from_le_bytes([b]).to_string().as_bytes());
                Ok(())
            }
            Len::Encoded(1) => {
                let v = i16::from_le_bytes(self.input.array()?);
                out.extend_from_slice(v.to_string().as_bytes());
                Ok(())
            }
            Len::Encoded(2) => {
                let v = i32::from_le_bytes(self.input.array()?);
                out.extend_from_slice(v.to_string().as_bytes());
                Ok(())
            }
            Len::Encoded(3) => {
                let (Len::Plain(compressed), Len::Plain(len)) = (self.len()?, self.len()?) else {
                    return Err(Cut::Io(damaged("a compressed string's lengths")));
                };
                if len > max || compressed > len || !lzf_lengths_possible(compressed, len) {
                    return Err(Cut::Io(damaged("a compressed string's lengths")));
                }
                let mut packed = std::mem::take(&mut self.scratch);
                packed.clear();
                let read = self.input.read_into(compressed, &mut packed);
                let unpacked = read.and_then(|()| {
                    lzf::decompress(&packed, len as usize)
                        .ok_or_else(|| Cut::Io(damaged("a compressed string")))
                });
                self.scratch = packed;
                out.extend_from_slice(&unpacked?);
                Ok(())
            }
            Len::Encoded(_) => Err(Cut::Io(damaged("a string's length"))),
        }
    }

    /// Pass over a string: its length once whole, and whether it is an integer.
    fn skip_string(&mut self) -> Result<(u64, bool)> {
        self.try_skip_string()
            .map_err(|c| self.cut(c, "in a value"))
    }

    fn try_skip_string(&mut self) -> Result<(u64, bool), Cut> {
        match self.len()? {
            Len::Plain(n) if n > MAX_STRING => Err(Cut::Io(damaged("a string's length"))),
            Len::Plain(n) => self.input.skip(n).map(|()| (n, false)),
            Len::Encoded(e @ 0..=2) => {
                let bytes = [1u64, 2, 4][e as usize];
                self.input.skip(bytes)?;
                // The decimal digits the integer has (a sign included), for its length.
                Ok(([4u64, 6, 11][e as usize], true))
            }
            Len::Encoded(3) => {
                let (Len::Plain(compressed), Len::Plain(len)) = (self.len()?, self.len()?) else {
                    return Err(Cut::Io(damaged("a compressed string's lengths")));
                };
                if !lzf_lengths_possible(compressed, len) {
                    return Err(Cut::Io(damaged("a compressed string's lengths")));
                }
                self.input.skip(compressed)?;
                Ok((len, false))
            }
            Len::Encoded(_) => Err(Cut::Io(damaged("a string's length"))),
        }
    }

    /// `n` strings; what their sds copies cost.
    fn strings(&mut self, n: u64) -> Result<u64> {
        let mut cost = 0;
        for _ in 0..n {
            cost += memory::sds(self.skip_string()?.0);
        }
        Ok(cost)
    }

    /// Pass over a value of type `ty`: its kind, encoding, estimated memory, and for a
    /// collection its element count (0: empty, skipped by a server).
    fn value(&mut self, ty: u8) -> Result<ValueRead> {
        let (kind, encoding, memory) = match ty {
            0 => {
                let (len, int) = self.skip_string()?;
                let encoding = match (int, len <= 44) {
                    (true, _) => "int",
                    (false, true) => "embstr",
                    (false, false) => "raw",
                };
                (Kind::String, encoding, memory::string(len, int))
            }
            1 => {
                // A list from before quicklists: one node per 128 elements, as loaded.
                let n = self.count("a list's length")?;
                let mut bytes = 0;
                for _ in 0..n {
                    bytes += self.skip_string()?.0 + 2;
                }
                let nodes = n.div_ceil(128).max(1);
                let per_node = memory::class(bytes / nodes + 7);
                return Ok((
                    Kind::List,
                    "quicklist",
                    memory::quicklist(nodes, per_node * nodes),
                    Some(n),
                ));
            }
            2 => {
                let n = self.count("a set's size")?;
                let strings = self.strings(n)?;
                return Ok((Kind::Set, "hashtable", memory::table(n, strings), Some(n)));
            }
            3 | 5 => return self.skiplist(ty),
            4 => {
                let n = self.count("a hash's size")?;
                let strings = self.strings(n.saturating_mul(2))?;
                return Ok((Kind::Hash, "hashtable", memory::table(n, strings), Some(n)));
            }
            9 | 13 | 16 => return self.compact(ty, Kind::Hash, "listpack"),
            10 => return self.compact(ty, Kind::List, "listpack"),
            11 => return self.compact(ty, Kind::Set, "intset"),
            20 => return self.compact(ty, Kind::Set, "listpack"),
            12 | 17 => return self.compact(ty, Kind::ZSet, "listpack"),
            14 | 18 => return self.quicklist(ty),
            15 | 19 | 21 => self.stream(ty)?,
            7 => {
                let id = self.count("a module id")?;
                let start = self.input.offset();
                self.module_value()?;
                let size = self.input.offset() - start;
                (
                    Kind::Module(module_name(id)),
                    "raw",
                    16 + memory::class(size),
                )
            }
            22 if self.valkey_magic => return self.valkey_hash_with_ttls(),
            22 | 24 if !self.valkey_magic => return self.hash_with_ttls(ty),
            23 | 25 if !self.valkey_magic => {
                if ty == 25 {
                    self.bytes::<8>("a hash's next field expiry")?;
                }
                let (kind, encoding, memory, elements) =
                    self.compact(ty, Kind::Hash, "listpackex")?;
                self.listpack_field_expiries()?;
                return Ok((kind, encoding, memory + 40, elements));
            }
            other => {
                return Err(self.error(format!(
                    "value type {other} is not one cachectl reads (Redis up to RDB {NEWEST}, \
                     Valkey {VALKEY})"
                )));
            }
        };
        Ok((kind, encoding, memory, None))
    }

    /// Whether the header names Redis 8 or later as its writer (its memory layout differs).
    fn written_by_redis_8_or_later(&self) -> bool {
        let major = (self.snapshot.server.as_deref())
            .and_then(|s| s.strip_prefix("redis "))
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse::<u32>().ok());
        major.is_some_and(|m| m >= 8)
    }

    /// A sorted set as a skiplist: scores as text (type 3) or as doubles (5).
    fn skiplist(&mut self, ty: u8) -> Result<ValueRead> {
        let n = self.count("a sorted set's size")?;
        let mut strings = 0;
        for _ in 0..n {
            strings += memory::sds(self.skip_string()?.0);
            if ty == 5 {
                self.bytes::<8>("a score")?;
            } else {
                let [len] = self.bytes::<1>("a score")?;
                if len < 253 {
                    self.skip(u64::from(len), "a score")?;
                }
            }
        }
        let memory = match self.written_by_redis_8_or_later() {
            true => memory::skiplist_redis8(n, strings),
            false => memory::skiplist(n, strings),
        };
        Ok((Kind::ZSet, "skiplist", memory, Some(n)))
    }

    /// A quicklist (ziplist nodes, type 14; plain or listpack nodes, 18), each node checked as
    /// the server checks it on load.
    fn quicklist(&mut self, ty: u8) -> Result<ValueRead> {
        let n = self.count("a list's node count")?;
        let (mut last, mut packed, mut elements) = (0, true, 0u64);
        let (mut kept, mut sizes) = (0u64, 0u64);
        for _ in 0..n {
            if ty == 18 {
                packed = match self.count("a list node's container")? {
                    1 => false,
                    2 => true,
                    c => {
                        return Err(self.error(format!(
                            "a list node's container is {c} (1 or 2): the dump is damaged"
                        )));
                    }
                };
            }
            // A plain node is one element; a packed one is checked as the server
            // checks it, and one with no element is dropped as the server drops it.
            let here = match packed {
                false => {
                    last = self.skip_string()?.0;
                    1
                }
                true => {
                    last = self.read_blob()?;
                    let check = match ty {
                        14 => compact::ziplist(&self.blob, false, false),
                        _ => compact::listpack(&self.blob),
                    };
                    check.map_err(|why| self.broken_value(why))?
                }
            };
            if here > 0 {
                kept += 1;
                sizes += memory::class(last);
            }
            elements += here;
        }
        // Since Redis 7.2 (RDB 11, and Valkey) a short list is one listpack in memory,
        // though the dump writes it as a one-node quicklist.
        let memory =
            if ty == 18 && self.snapshot.rdb_version >= 11 && kept == 1 && packed && last <= 4096 {
                return Ok((
                    Kind::List,
                    "listpack",
                    memory::compact(last),
                    Some(elements),
                ));
            } else {
                memory::quicklist(kept.max(1), sizes)
            };
        Ok((Kind::List, "quicklist", memory, Some(elements)))
    }

    /// A hash whose fields carry TTLs (Redis 7.4: type 22, absolute; 24, after the next
    /// expiry, relative to it, plus one, 0 for none).
    fn hash_with_ttls(&mut self, ty: u8) -> Result<ValueRead> {
        let min = match ty {
            24 => i64::from_le_bytes(self.bytes::<8>("a hash's next field expiry")?),
            _ => 0,
        };
        let n = self.count("a hash's size")?;
        let mut strings = 0;
        for _ in 0..n {
            // A field with a TTL carries it in its own allocation.
            let ttl = self.count("a field's TTL")?;
            if ttl > 0 {
                let at = match ty {
                    24 => (ttl as i64).saturating_add(min).saturating_sub(1),
                    _ => ttl as i64,
                };
                self.field_expiries.push(at);
            }
            strings += memory::sds(self.skip_string()?.0) + if ttl > 0 { 8 } else { 0 };
            strings += memory::sds(self.skip_string()?.0);
        }
        self.field_count = Some(n);
        Ok((
            Kind::Hash,
            "hashtable",
            memory::table(n, strings) + 40,
            Some(n),
        ))
    }

    /// Valkey 9's hash with field expiry (type 22 under `VALKEY`): each field, its value,
    /// and its absolute expiry in ms as 8 bytes (-1: none).
    fn valkey_hash_with_ttls(&mut self) -> Result<ValueRead> {
        let n = self.count("a hash's size")?;
        let mut strings = 0;
        for _ in 0..n {
            strings += memory::sds(self.skip_string()?.0);
            strings += memory::sds(self.skip_string()?.0);
            let at = i64::from_le_bytes(self.bytes::<8>("a field's expiry")?);
            if at >= 0 {
                self.field_expiries.push(at);
                strings += 8;
            }
        }
        self.field_count = Some(n);
        Ok((
            Kind::Hash,
            "hashtable",
            memory::table(n, strings) + 40,
            Some(n),
        ))
    }

    /// A listpack hash with field expiry, just read into `blob`: (field, value, expiry)
    /// triples, the expiry an absolute time in ms, 0 for none.
    fn listpack_field_expiries(&mut self) -> Result<()> {
        let (mut i, mut bad) = (0u64, false);
        let expiries = &mut self.field_expiries;
        let walked = compact::listpack_each(&self.blob, |v| {
            if i % 3 == 2 {
                // Written as an integer; digits read as one, as the server reads them.
                let at = match v {
                    compact::LpValue::Int(at) => Some(at),
                    compact::LpValue::Str(s) => {
                        std::str::from_utf8(s).ok().and_then(|t| t.parse().ok())
                    }
                };
                match at {
                    Some(0) => {}
                    Some(at) if at > 0 => expiries.push(at),
                    _ => bad = true,
                }
            }
            i += 1;
        });
        if walked.is_none() || bad || i % 3 != 0 {
            return Err(self.error(
                "a hash's listpack with field expiries is not (field, value, expiry) triples: \
                 a server refuses to load it"
                    .into(),
            ));
        }
        self.field_count = Some(i / 3);
        Ok(())
    }

    /// A compact value (type `ty`), read whole and checked as a server checks it on load.
    fn compact(
        &mut self,
        ty: u8,
        kind: Kind,
        encoding: &'static str,
    ) -> Result<(Kind, &'static str, u64, Option<u64>)> {
        let len = self.read_blob()?;
        let b = &self.blob;
        let checked = match ty {
            9 => compact::zipmap(b),
            10 => compact::ziplist(b, false, false),
            12 | 13 => compact::ziplist(b, true, true),
            11 => compact::intset(b),
            _ => compact::listpack(b),
        };
        let elements = checked.map_err(|why| self.broken_value(why))?;
        Ok((kind, encoding, memory::compact(len), Some(elements)))
    }

    /// A compact value's bytes into `blob`; their length.
    fn read_blob(&mut self) -> Result<u64> {
        let mut blob = std::mem::take(&mut self.blob);
        let read = self.bounded_string_into(&mut blob, MAX_STRING);
        self.blob = blob;
        read.map_err(|c| self.cut(c, "in a value"))?;
        Ok(self.blob.len() as u64)
    }

    /// A value a server would refuse to load, as damage.
    fn broken_value(&self, why: compact::Broken) -> Error {
        self.error(format!("{why}: a server refuses to load it"))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        self.input
            .skip(n)
            .map_err(|c| self.cut(c, &format!("in {what}")))
    }

    fn stream(&mut self, ty: u8) -> Result<(Kind, &'static str, u64)> {
        let packs = self.count("a stream's node count")?;
        let mut sizes = Vec::new();
        for _ in 0..packs {
            // As a server checks them on load: a node's key is a stream ID, and its listpack
            // is whole and holds at least its header entries.
            if self.skip_string()?.0 != 16 {
                return Err(self.broken_value("a stream node's key is not a stream ID"));
            }
            let len = self.read_blob()?;
            match compact::listpack(&self.blob) {
                Ok(0) => return Err(self.broken_value("an empty listpack inside a stream")),
                Ok(_) => sizes.push(len),
                Err(why) => return Err(self.broken_value(why)),
            }
        }
        // Valkey counts a stream's trees as allocated, Redis by its own allowance.
        let server = match &self.snapshot.server {
            Some(s) if s.starts_with("valkey") => memory::Server::Valkey,
            _ => memory::Server::Redis,
        };
        let mut total = memory::stream(&sizes, server);
        // Length, last id; then first id, largest deleted id and entries added.
        let fields = if ty >= 19 { 8 } else { 3 };
        for _ in 0..fields {
            self.count("a stream's metadata")?;
        }
        let groups = self.count("a stream's group count")?;
        for _ in 0..groups {
            self.skip_string()?;
            self.count("a group's last id")?;
            self.count("a group's last id")?;
            if ty >= 19 {
                self.count("a group's offset")?;
            }
            let pending = self.count("a group's pending count")?;
            for _ in 0..pending {
                self.skip(24, "a pending entry")?;
                self.count("a delivery count")?;
            }
            let consumers = self.count("a group's consumer count")?;
            total += memory::stream_group(pending, server);
            for _ in 0..consumers {
                let (name, _) = self.skip_string()?;
                self.skip(if ty >= 21 { 16 } else { 8 }, "a consumer")?;
                let owned = self.count("a consumer's pending count")?;
                self.skip(owned.saturating_mul(16), "a consumer's pending entries")?;
                total += memory::stream_consumer(name, owned, server);
            }
        }
        Ok((Kind::Stream, "stream", total))
    }

    /// A module's value: typed fields up to an end marker, readable without the module.
    fn module_value(&mut self) -> Result<()> {
        loop {
            match self.count("a module value")? {
                0 => return Ok(()),
                1 | 2 => {
                    self.count("a module integer")?;
                }
                3 => self.skip(4, "a module float")?,
                4 => self.skip(8, "a module double")?,
                5 => {
                    self.skip_string()?;
                }
                op => {
                    return Err(self.error(format!(
                        "unknown module field type {op}: the dump is damaged"
                    )));
                }
            }
        }
    }
}

fn damaged(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{what} is damaged"),
    )
}

fn digits(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    if s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// A module type's name, from the id a dump stores: nine characters of six bits each.
fn module_name(id: u64) -> String {
    const CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = id >> 10;
    let mut name = [0u8; 9];
    for c in name.iter_mut().rev() {
        *c = CHARS[(bits & 63) as usize];
        bits >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump built byte by byte, for what the servers here cannot write (Redis 7.4's hashes
    /// with field TTLs, modules, functions, cluster slot hints).
    struct Dump(Vec<u8>);

    impl Dump {
        fn new(magic: &str) -> Self {
            Dump(magic.as_bytes().to_vec())
        }
        fn byte(mut self, b: u8) -> Self {
            self.0.push(b);
            self
        }
        fn raw(mut self, b: &[u8]) -> Self {
            self.0.extend_from_slice(b);
            self
        }
        fn len(mut self, n: u64) -> Self {
            match n {
                0..64 => self.0.push(n as u8),
                64..16384 => self.0.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]),
                16384..4_294_967_296 => {
                    self.0.push(0x80);
                    self.0.extend_from_slice(&(n as u32).to_be_bytes());
                }
                _ => {
                    self.0.push(0x81);
                    self.0.extend_from_slice(&n.to_be_bytes());
                }
            }
            self
        }
        fn string(self, s: &[u8]) -> Self {
            self.len(s.len() as u64).raw(s)
        }
        fn end(self) -> Vec<u8> {
            let mut b = self.byte(0xFF).0;
            let crc = Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS).checksum(&b);
            b.extend_from_slice(&crc.to_le_bytes());
            b
        }
    }

    use crc::Crc;

    #[derive(Debug, PartialEq)]
    struct Seen {
        db: u32,
        key: String,
        kind: String,
        encoding: &'static str,
        expires_at_ms: Option<i64>,
        frequency: Option<u8>,
        fields: Option<(u64, Vec<i64>)>,
    }

    /// A listpack of short strings, as a server writes one.
    fn listpack(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            body.push(0x80 | e.len() as u8);
            body.extend_from_slice(e);
            body.push(1 + e.len() as u8);
        }
        let mut b = ((7 + body.len()) as u32).to_le_bytes().to_vec();
        b.extend((entries.len() as u16).to_le_bytes());
        b.extend(body);
        b.push(0xFF);
        b
    }

    fn read(bytes: Vec<u8>) -> Result<(Snapshot, Vec<Seen>)> {
        let mut rdb = Rdb::from_reader("test.rdb", Box::new(std::io::Cursor::new(bytes)))?;
        let mut seen = Vec::new();
        while let Some(e) = rdb.next_entry()? {
            assert!(e.memory > 0);
            seen.push(Seen {
                db: e.db,
                key: String::from_utf8_lossy(e.key).into_owned(),
                kind: e.kind.name().to_string(),
                encoding: e.encoding,
                expires_at_ms: e.expires_at_ms,
                frequency: e.frequency,
                fields: e.fields.map(|f| (f.fields, f.expires_at_ms.to_vec())),
            });
        }
        Ok((rdb.snapshot().clone(), seen))
    }

    /// Redis 7.4's records: a function library, module data outside the keyspace, cluster
    /// slot hints, hashes with field TTLs in both encodings, and a module's value.
    fn redis_7_4() -> Dump {
        Dump::new("REDIS0012")
            .byte(0xFA)
            .string(b"redis-ver")
            .string(b"7.4.1")
            .byte(0xFA)
            .string(b"ctime")
            .byte(0xC2)
            .raw(&1_795_680_000i32.to_le_bytes())
            .byte(0xF5)
            .string(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
            .byte(0xF7)
            .len(42 << 10)
            .len(2)
            .len(1)
            .len(2)
            .len(5)
            .len(5)
            .string(b"x")
            .len(0)
            .byte(0xFE)
            .len(3)
            .byte(0xFB)
            .len(3)
            .len(1)
            .byte(0xF4)
            .len(100)
            .len(3)
            .len(1)
            .byte(0xFC)
            .raw(&1_795_683_600_000i64.to_le_bytes())
            .byte(25)
            .string(b"h1")
            .raw(&1_795_683_000_000i64.to_le_bytes())
            .string(&listpack(&[b"f", b"v", b"0"]))
            .byte(0xF9)
            .byte(5)
            .byte(24)
            .string(b"h2")
            .raw(&1_795_683_000_000i64.to_le_bytes())
            .len(2)
            .len(0)
            .string(b"a")
            .string(b"1")
            .len(7)
            .string(b"b")
            .string(b"2")
            .byte(7)
            .string(b"m")
            .len(0x1234_5678_9abc_def0)
            .len(4)
            .raw(&1.5f64.to_le_bytes())
            .len(3)
            .raw(&1.5f32.to_le_bytes())
            .len(1)
            .len(7)
            .len(0)
    }

    #[test]
    fn redis_7_4_records_are_read() {
        let (snapshot, seen) = read(redis_7_4().end()).unwrap();
        assert_eq!(snapshot.server.as_deref(), Some("redis 7.4.1"));
        assert_eq!(snapshot.ctime_s, Some(1_795_680_000));
        assert_eq!(snapshot.rdb_version, 12);
        assert_eq!(
            snapshot.dbs,
            vec![DbSize {
                db: 3,
                keys: 3,
                expires: 1
            }]
        );
        let kinds: Vec<(&str, &str, &str)> = seen
            .iter()
            .map(|s| (s.key.as_str(), s.kind.as_str(), s.encoding))
            .collect();
        assert_eq!(
            kinds,
            [
                ("h1", "hash", "listpackex"),
                ("h2", "hash", "hashtable"),
                ("m", module_name(0x1234_5678_9abc_def0).as_str(), "raw"),
            ]
        );
        assert!(seen.iter().all(|s| s.db == 3));
        // An expiry and an LFU counter belong to the next key only.
        assert_eq!(seen[0].expires_at_ms, Some(1_795_683_600_000));
        assert_eq!(seen[1].expires_at_ms, None);
        assert_eq!((seen[0].frequency, seen[1].frequency), (None, Some(5)));
        // Field expiries: none in h1; in h2, b's is relative to the next expiry, plus one.
        assert_eq!(seen[0].fields, Some((1, vec![])));
        assert_eq!(seen[1].fields, Some((2, vec![1_795_683_000_006])));
        assert_eq!(seen[2].fields, None);
    }

    #[test]
    fn a_valkey_9_hash_with_field_expiry_is_read() {
        let bytes = Dump::new("VALKEY080")
            .byte(22)
            .string(b"h")
            .len(2)
            .string(b"a")
            .string(b"1")
            .raw(&1_795_683_000_000i64.to_le_bytes())
            .string(b"b")
            .string(b"2")
            .raw(&(-1i64).to_le_bytes())
            .end();
        let (_, seen) = read(bytes).unwrap();
        assert_eq!(
            (seen[0].kind.as_str(), seen[0].encoding),
            ("hash", "hashtable")
        );
        assert_eq!(seen[0].fields, Some((2, vec![1_795_683_000_000])));
    }

    #[test]
    fn compressed_keys_and_integer_values() {
        let bytes = Dump::new("REDIS0010")
            .byte(0)
            .byte(0xC3)
            .len(7)
            .len(12)
            .raw(&[2, b'a', b'b', b'c', 7 << 5, 0, 2])
            .byte(0xC1)
            .raw(&(-300i16).to_le_bytes())
            .byte(0)
            .string(b"k")
            .byte(0xC3)
            .len(4)
            .len(3)
            .raw(&[2, b'x', b'y', b'z'])
            .end();
        let (_, seen) = read(bytes).unwrap();
        assert_eq!(seen[0].key, "abcabcabcabc");
        assert_eq!(seen[0].encoding, "int");
        assert_eq!(seen[1].encoding, "embstr");
    }

    #[test]
    fn impossible_lengths_are_damage_not_a_panic_or_a_huge_figure() {
        // An LZF string that claims 2^63 (or 2^40) bytes from a few: damage, at its byte.
        for claimed in [1u64 << 63, u64::MAX, 1 << 40, 1 << 33] {
            let bytes = Dump::new("REDIS0010")
                .byte(0)
                .string(b"k")
                .byte(0xC3)
                .len(4)
                .len(claimed)
                .raw(&[2, b'x', b'y', b'z'])
                .end();
            let e = read(bytes).unwrap_err().to_string();
            assert!(e.contains("compressed string's lengths"), "{claimed}: {e}");
        }
        // A plain string that claims more than any server holds.
        let bytes = Dump::new("REDIS0010")
            .byte(0)
            .string(b"k")
            .len(1 << 40)
            .raw(b"short")
            .end();
        let e = read(bytes).unwrap_err().to_string();
        assert!(e.contains("string's length"), "{e}");
        assert_eq!(memory::class(u64::MAX), u64::MAX);
        assert_eq!(memory::class(1 << 63), 1 << 63);
    }

    #[test]
    fn damage_is_an_error_that_says_where() {
        let good = redis_7_4().end();
        // Any byte changed after the header: the checksum disagrees, or the structure breaks.
        let mut bad = good.clone();
        let at = good.len() - 30;
        bad[at] ^= 0x01;
        let e = read(bad).unwrap_err().to_string();
        assert!(e.starts_with("test.rdb: at byte "), "{e}");
        // Cut off anywhere: said so, never a panic.
        for cut in 0..good.len() {
            let e = read(good[..cut].to_vec()).unwrap_err().to_string();
            assert!(
                e.contains("cut off") || e.contains("too short"),
                "{cut}: {e}"
            );
        }
        // A zero checksum means the server did not compute one (`rdbchecksum no`).
        let mut unchecked = good.clone();
        let n = unchecked.len();
        unchecked[n - 8..].fill(0);
        assert_eq!(read(unchecked).unwrap().1.len(), 3);
    }

    #[test]
    fn an_impossible_key_length_is_damage_not_a_buffer() {
        let bytes = Dump::new("REDIS0010")
            .byte(0)
            .len(1 << 40)
            .raw(b"short")
            .end();
        let e = read(bytes).unwrap_err().to_string();
        assert!(e.contains("a key's length is damaged"), "{e}");
    }

    #[test]
    fn versions_and_magics() {
        let e = read(Dump::new("REDIS0013").end()).unwrap_err().to_string();
        assert!(e.contains("RDB version 13 is newer"), "{e}");
        let e = read(Dump::new("NOTADUMP!").end()).unwrap_err().to_string();
        assert!(e.contains("not a dump"), "{e}");
        let (snapshot, seen) = read(
            Dump::new("VALKEY080")
                .byte(0)
                .string(b"k")
                .string(b"v")
                .end(),
        )
        .unwrap();
        assert_eq!((snapshot.rdb_version, seen.len()), (80, 1));
    }

    /// Random damage of every kind: never a panic, never a hang, never an allocation the
    /// data cannot back.
    #[test]
    fn fuzzed_dumps_never_panic() {
        let good = redis_7_4().end();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut b = good.clone();
            match next() % 4 {
                0 => {
                    for _ in 0..1 + next() % 4 {
                        let i = (next() as usize) % b.len();
                        b[i] = next() as u8;
                    }
                }
                1 => b.truncate((next() as usize) % b.len()),
                2 => {
                    let i = 9 + (next() as usize) % (b.len() - 9);
                    let junk: Vec<u8> = (0..1 + next() % 16).map(|_| next() as u8).collect();
                    b.splice(i..i, junk);
                }
                _ => {
                    let i = 9 + (next() as usize) % (b.len() - 9);
                    b[i] = [0x80, 0x81, 0xC3, 0xFF][(next() % 4) as usize];
                }
            }
            let _ = read(b);
        }
    }
}
