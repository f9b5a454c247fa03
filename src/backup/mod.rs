//! Backups of what a command deletes or changes, and of a family before a deploy: keys read
//! with `DUMP` and their expiry, written to a file (`format`) and flushed to disk before the
//! batch is deleted, so that `restore` can put them back.

pub mod format;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use redis::{Pipeline, Value};

pub use self::format::{Header, Reader, Record, Writer};
use crate::clock::now_ms;
use crate::conn::raw::{Head, Raw};
use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::progress::ProgressSink;
use crate::scan::{self, BatchWork, Fault, NodeCursor, Pace, ScanSpec};
use crate::stop::Stop;
use crate::store::{Node, Store, worth_resending};
use crate::ttl::ExpiryQuestion;

/// Keys per DUMP request: about half a millisecond of server time for small cache values.
const DUMP_CHUNK: usize = 100;
/// Values larger than this go from the socket to the file in pieces of this size, never
/// whole in memory.
pub const STREAM_OVER: usize = 1 << 20;

/// A backup being written, shared by every chain of a command.
pub struct Backup {
    path: std::path::PathBuf,
    writer: Arc<Mutex<Slot>>,
    /// Keys written when `finish` was called.
    finished: std::sync::atomic::AtomicU64,
    /// PEXPIRETIME, or PTTL and our clock once the server says it cannot answer that.
    expiry: ExpiryQuestion,
    /// Raw connections (`conn::raw`) by master, kept between batches.
    raw: Mutex<HashMap<String, Vec<Raw>>>,
}

/// The file of a backup: created at the first write (after the permit, so a refused command
/// leaves none), then written, then closed.
enum Slot {
    Unopened(PathBuf, Box<Header>),
    /// An earlier run's backup, to go on with.
    Resuming(format::Resume),
    Open(Writer),
    Closed,
}

impl Slot {
    /// The writer, creating the file first if this is the first write; `None` once closed.
    fn writer(&mut self) -> Result<Option<&mut Writer>> {
        match self {
            Slot::Unopened(path, header) => *self = Slot::Open(Writer::create(path, header)?),
            Slot::Resuming(r) => *self = Slot::Open(Writer::resume(r)?),
            _ => {}
        }
        Ok(match self {
            Slot::Open(w) => Some(w),
            _ => None,
        })
    }
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Backup({})", self.path.display())
    }
}

impl Backup {
    /// Start a backup of keys read from `store` by `command`, selected by `reason`. An existing
    /// `path` is refused now; the file itself is created by the first write (or `finish`).
    pub async fn create(path: &Path, store: &Store, command: &str, reason: &str) -> Result<Self> {
        Self::open(path, store, command, reason, false).await
    }

    /// `create`, or for a run that continues an earlier one (from its checkpoint), go on with
    /// the backup that run began at `path` (`Writer::resume`: the same source, command and
    /// reason, checked). A run that deleted nothing before it stopped left no file: one is
    /// started.
    pub async fn open(
        path: &Path,
        store: &Store,
        command: &str,
        reason: &str,
        continuing: bool,
    ) -> Result<Self> {
        let exists = std::fs::symlink_metadata(path).is_ok();
        if exists && !continuing {
            return Err(Error::Io {
                context: format!("backup {}: cannot create it", path.display()),
                error: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "File exists"),
            });
        }
        let header = Header {
            format: 1,
            created: crate::clock::rfc3339(now_ms()),
            source: store.addr().to_string(),
            server_version: server_version(store).await,
            command: command.to_string(),
            reason: reason.to_string(),
            tool: concat!("cachectl ", env!("CARGO_PKG_VERSION")).to_string(),
        };
        let slot = match exists {
            true => Slot::Resuming(Writer::check_resume(path, &header)?),
            false => Slot::Unopened(path.to_path_buf(), Box::new(header)),
        };
        Ok(Backup {
            path: path.to_path_buf(),
            finished: Default::default(),
            writer: Arc::new(Mutex::new(slot)),
            expiry: ExpiryQuestion::default(),
            raw: Mutex::new(HashMap::new()),
        })
    }

    /// Read `keys` (found on `node`, when known; anywhere in a cluster) and append the ones
    /// that exist, flushed to disk; returns how many were written.
    pub async fn save(&self, store: &Store, node: Option<&Node>, keys: &[Vec<u8>]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        // SCAN may return a key twice; one record each is enough.
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        let keys: Vec<Vec<u8>> = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
        let mut records = Vec::with_capacity(keys.len());
        let mut streamed = 0;
        // One request per chunk, one after another: a request of DUMPs holds the server
        // like any other, and must stay within a sweep's latency budget.
        for chunk in keys.chunks(DUMP_CHUNK) {
            match self.dump_raw(store, node, chunk).await? {
                Some((got, n, elsewhere)) => {
                    records.extend(got);
                    streamed += n;
                    // Sent elsewhere (a slot that moved): the client follows redirections.
                    if !elsewhere.is_empty() {
                        records.extend(self.dump(store, &elsewhere).await?);
                    }
                }
                None => records.extend(self.dump(store, chunk).await?),
            }
        }
        let n = records.len() as u64 + streamed;
        self.write(records).await?;
        Ok(n)
    }

    /// DUMP `keys` over a raw connection to their master: values up to `STREAM_OVER` come
    /// back as records, larger ones go from the socket to the file in pieces (counted);
    /// keys the server sent elsewhere are handed back. `None` when no raw connection can be
    /// made (a Unix socket).
    async fn dump_raw(
        &self,
        store: &Store,
        node: Option<&Node>,
        keys: &[Vec<u8>],
    ) -> Result<Option<(Vec<Record>, u64, Vec<Vec<u8>>)>> {
        if keys.is_empty() {
            return Ok(Some(Default::default()));
        }
        let pool = node.map(|n| n.addr().to_string());
        let pooled = pool.as_ref().and_then(|addr| {
            let mut raw = self.raw.lock().unwrap_or_else(|p| p.into_inner());
            raw.get_mut(addr).and_then(Vec::pop)
        });
        let mut raw = match pooled {
            Some(r) => r,
            None => match store.raw(node, &keys[0]).await? {
                Some(r) => r,
                None => return Ok(None),
            },
        };
        let expiry = self.expiry.verb();
        for k in keys {
            raw.queue(&[expiry.as_bytes(), k]).await?;
            raw.queue(&[b"DUMP", k]).await?;
        }
        raw.flush().await?;
        let now = now_ms() as i64;
        let mut records = Vec::new();
        let mut streamed = 0;
        let mut elsewhere = Vec::new();
        for key in keys {
            let when = raw.value().await?;
            let len = match raw.head().await? {
                Head::Bulk(n) => n,
                // Gone since the scan found it: nothing to back up, nothing to delete.
                Head::Value(Value::Nil) => continue,
                Head::Value(Value::ServerError(e)) if worth_resending(&e) => {
                    elsewhere.push(key.clone());
                    continue;
                }
                Head::Value(Value::ServerError(e)) => {
                    return Err(Error::redis(raw.addr(), e.into()));
                }
                Head::Value(other) => {
                    return Err(Error::Protocol {
                        addr: raw.addr().to_string(),
                        command: "DUMP",
                        detail: format!("unexpected reply {other:?}"),
                    });
                }
            };
            // The expiry, or why the key is asked again through the client instead.
            let usable = match &when {
                // PEXPIRETIME unknown or denied: asked again, with PTTL.
                Value::ServerError(_) if expiry == "PEXPIRETIME" && self.expiry.refused(&when) => {
                    None
                }
                Value::ServerError(e) if worth_resending(e) => None,
                Value::ServerError(e) => return Err(Error::redis(raw.addr(), e.clone().into())),
                v => Some(redis::from_redis_value_ref::<i64>(v).unwrap_or(-2)),
            };
            let expires_at_ms = match (expiry, usable) {
                (_, None) => {
                    raw.skip(len).await?;
                    elsewhere.push(key.clone());
                    continue;
                }
                // Expired between the two questions.
                (_, Some(-2)) => {
                    raw.skip(len).await?;
                    continue;
                }
                (_, Some(answer)) => moment(expiry, answer, now),
            };
            if len <= STREAM_OVER {
                let mut payload = vec![0u8; len];
                raw.read_exact(&mut payload).await?;
                raw.end_bulk().await?;
                records.push(Record {
                    key: key.clone(),
                    expires_at_ms,
                    payload,
                });
            } else {
                self.stream(&mut raw, key, expires_at_ms, len).await?;
                raw.end_bulk().await?;
                streamed += 1;
            }
        }
        if let Some(addr) = pool {
            let mut pooled = self.raw.lock().unwrap_or_else(|p| p.into_inner());
            pooled.entry(addr).or_default().push(raw);
        }
        Ok(Some((records, streamed, elsewhere)))
    }

    /// One large value, from the socket to the file in pieces: a task off the async threads
    /// writes its frame while the pieces arrive, a few at a time.
    async fn stream(
        &self,
        raw: &mut Raw,
        key: &[u8],
        expires_at_ms: Option<i64>,
        len: usize,
    ) -> Result<()> {
        const PIECE: usize = 256 * 1024;
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let writer = self.writer.clone();
        let key = key.to_vec();
        let task = tokio::task::spawn_blocking(move || {
            let mut input = Pieces {
                rx,
                piece: Vec::new(),
                at: 0,
            };
            let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
            match w.writer()? {
                Some(w) => w.append_streamed(&key, expires_at_ms, len, &mut input),
                None => Ok(()),
            }
        });
        let mut left = len;
        let mut read = Ok(());
        while left > 0 {
            let mut piece = vec![0u8; left.min(PIECE)];
            if let Err(e) = raw.read_exact(&mut piece).await {
                read = Err(e);
                break;
            }
            left -= piece.len();
            if tx.send(piece).await.is_err() {
                break;
            }
        }
        // A piece missing makes the writer take its frame back.
        drop(tx);
        let written = task.await.map_err(|e| Error::Io {
            context: format!("backup {}", self.path.display()),
            error: std::io::Error::other(e),
        })?;
        read?;
        written
    }

    /// `append` off the async threads: flushing to disk takes milliseconds, and the other
    /// chains' requests (and this one's DUMP replies) keep moving meanwhile.
    pub async fn write(&self, records: Vec<Record>) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut w = writer.lock().unwrap_or_else(|p| p.into_inner());
            match w.writer()? {
                Some(w) => w.append(&records),
                None => Ok(()),
            }
        })
        .await
        .map_err(|e| Error::Io {
            context: format!("backup {}", self.path.display()),
            error: std::io::Error::other(e),
        })?
    }

    /// Append records already read, flushed to disk.
    pub fn append(&self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match w.writer()? {
            Some(w) => w.append(records),
            None => Ok(()),
        }
    }

    /// Keys written so far.
    pub fn keys(&self) -> u64 {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match &*w {
            Slot::Open(w) => w.keys(),
            _ => 0,
        }
    }

    /// Where the backup is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The command ended before its first write (refused, or failed early): the file is never
    /// created. False when it already was.
    pub fn abandon(&self) -> bool {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Slot::Unopened(..) | Slot::Resuming(..) => {
                *slot = Slot::Closed;
                true
            }
            _ => false,
        }
    }

    /// Write the end marker; returns how many keys the file holds. The file is readable
    /// either way: a command that failed part-way still leaves a backup of what it deleted.
    /// `incomplete` says why the file holds less than its job set out to (a `backup` that was
    /// stopped), and `restore` says so.
    pub fn finish(&self, incomplete: Option<&str>) -> Result<u64> {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Slot::Unopened(..) | Slot::Resuming(..) = &*slot {
            slot.writer()?;
        }
        match std::mem::replace(&mut *slot, Slot::Closed) {
            Slot::Open(w) => {
                let n = w.finish(incomplete)?;
                self.finished.store(n, Ordering::Relaxed);
                Ok(n)
            }
            _ => Ok(self.finished.load(Ordering::Relaxed)),
        }
    }

    async fn dump(&self, store: &Store, keys: &[Vec<u8>]) -> Result<Vec<Record>> {
        let expiry = self.expiry.verb();
        let mut cmds = Vec::with_capacity(keys.len() * 2);
        for k in keys {
            cmds.push((k.clone(), redis::cmd("DUMP").arg(k).clone()));
            cmds.push((k.clone(), redis::cmd(expiry).arg(k).clone()));
        }
        let now = now_ms() as i64;
        let replies = store.per_key(cmds).await?;
        if expiry == "PEXPIRETIME"
            && replies
                .iter()
                .skip(1)
                .step_by(2)
                .any(|r| self.expiry.refused(r))
        {
            return Box::pin(self.dump(store, keys)).await;
        }
        let mut replies = replies;
        let mut out = Vec::with_capacity(keys.len());
        for (key, pair) in keys.iter().zip(replies.chunks_exact_mut(2)) {
            for v in pair.iter() {
                if let Value::ServerError(e) = v {
                    return Err(Error::redis(store.addr(), e.clone().into()));
                }
            }
            // A key gone since the scan found it: nothing to back up, nothing to delete.
            let (dump, when) = pair.split_at_mut(1);
            if let Some(r) = record(key.clone(), &mut dump[0], &when[0], expiry, now) {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// A step that runs just before each batch is deleted: backups, audit logs. An error stops the
/// sweep before that batch is deleted.
pub trait BeforeDelete: Send + Sync {
    /// `keys` were found on `node`.
    fn before_delete<'a>(
        &'a self,
        store: &'a Store,
        node: &'a Node,
        keys: &'a [Vec<u8>],
    ) -> BoxFuture<'a, Result<()>>;
}

impl BeforeDelete for Backup {
    fn before_delete<'a>(
        &'a self,
        store: &'a Store,
        node: &'a Node,
        keys: &'a [Vec<u8>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.save(store, Some(node), keys).await.map(|_| ()) })
    }
}

/// The server's version (kept here for callers of the backup module; it is the store's).
pub use crate::store::server_version;

/// What `cachectl backup` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupReport {
    pub file: String,
    pub pattern: String,
    pub scanned: u64,
    /// Keys written to the file.
    pub keys: u64,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Fault>,
    pub cursors: Vec<NodeCursor>,
}

/// Back up every key matching `pattern` to `path`, deleting nothing: DUMP and the expiry ride
/// with the SCAN, one batch behind it, under the same latency budget as a sweep.
pub async fn backup(
    store: &Store,
    pattern: &Glob,
    path: &Path,
    pace: Pace,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<BackupReport> {
    let backup = Backup::create(path, store, "backup", &pattern.to_string()).await?;
    let spec = ScanSpec::new(store, pattern, pace, stop, progress);
    let outcome = scan::scan(&spec, "backing up", |_| DumpWork {
        backup: &backup,
        saved: 0,
        last: 0,
    })
    .await;
    let incomplete = match &outcome {
        Ok(o) if o.complete() => None,
        Ok(o) if o.interrupted() => Some("the backup was stopped before its walk ended".into()),
        Ok(o) => Some(match o.first_fault() {
            Some(f) => format!("the walk of {} failed: {}", f.node, f.error),
            None => "the walk did not reach every key".into(),
        }),
        Err(e) => Some(format!("the walk failed: {e}")),
    };
    let keys = backup.finish(incomplete.as_deref())?;
    // A scan that could not begin (no replica to scan, a refused SCAN) leaves no file.
    if outcome.is_err() && keys == 0 {
        let _ = std::fs::remove_file(path);
    }
    let outcome = outcome?;
    Ok(BackupReport {
        file: path.display().to_string(),
        pattern: pattern.to_string(),
        scanned: outcome.totals.scanned,
        keys,
        elapsed_ms: outcome.elapsed.as_millis() as u64,
        interrupted: outcome.interrupted(),
        complete: outcome.complete(),
        error: outcome.first_fault(),
        cursors: outcome.cursors,
    })
}

struct DumpWork<'a> {
    backup: &'a Backup,
    /// Keys the last `before_send` wrote, counted when its batch is answered.
    saved: u64,
    last: u64,
}

impl BatchWork for DumpWork<'_> {
    fn counts_keys(&self) -> bool {
        true
    }

    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keys
    }

    /// The batch's DUMPs go over a raw connection of their own (`Backup::save`), so that a
    /// large value streams to the file instead of passing whole through the client.
    async fn before_send(&mut self, store: &Store, node: &Node, keys: &[Vec<u8>]) -> Result<()> {
        self.saved = self.backup.save(store, Some(node), keys).await?;
        Ok(())
    }

    fn commands(&mut self, _store: &Store, _keys: &[Vec<u8>], _pipe: &mut Pipeline) -> usize {
        0
    }

    fn replies(&mut self, _node: &Node, _keys: Vec<Vec<u8>>, _replies: Vec<Value>) -> Result<()> {
        self.last = std::mem::take(&mut self.saved);
        Ok(())
    }

    fn acted(&self) -> u64 {
        self.last
    }
}

/// Pieces of a value as they arrive, read as one stream (`Writer::append_streamed`).
struct Pieces {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    piece: Vec<u8>,
    at: usize,
}

impl std::io::Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.piece.len() {
            match self.rx.blocking_recv() {
                Some(p) => {
                    self.piece = p;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len() - self.at);
        buf[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// When a key expires (ms since the epoch), from the answer to `expiry` at `now`.
fn moment(expiry: &str, answer: i64, now: i64) -> Option<i64> {
    ExpiryQuestion::read(expiry, answer, now.max(0) as u64)
        .1
        .map(|at| at as i64)
}

/// A DUMP reply and an expiry reply as a record; `None` for a key gone meanwhile.
/// The payload is taken, not copied: a 100 MB value is held once.
fn record(key: Vec<u8>, dump: &mut Value, when: &Value, expiry: &str, now: i64) -> Option<Record> {
    let Value::BulkString(payload) = dump else {
        return None;
    };
    let when: i64 = redis::from_redis_value_ref(when).ok()?;
    let expires_at_ms = match when {
        -2 => return None,
        answer => moment(expiry, answer, now),
    };
    Some(Record {
        key,
        expires_at_ms,
        payload: std::mem::take(payload),
    })
}
