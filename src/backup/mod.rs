//! Backups of what a command deletes or changes, and of a family before a deploy: keys read
//! with `DUMP` and their expiry, written to a file (`format`) and flushed to disk before the
//! batch is deleted, so that `restore` can put them back.

pub mod format;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use redis::{Pipeline, Value};

pub use self::format::{Header, Reader, Record, Writer};
use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::ops::inspect::now_ms;
use crate::ops::scan::{self, BatchWork, Fault, NodeCursor, Pace, ScanSpec, check_reply};
use crate::ops::sweep::BeforeDelete;
use crate::progress::ProgressSink;
use crate::stop::Stop;
use crate::store::{Node, Store, sent_elsewhere};

/// Keys per DUMP request: about half a millisecond of server time for small cache values.
const DUMP_CHUNK: usize = 100;

/// A backup being written, shared by every chain of a command.
pub struct Backup {
    path: std::path::PathBuf,
    writer: Arc<Mutex<Option<Writer>>>,
    /// Keys written when `finish` was called.
    finished: std::sync::atomic::AtomicU64,
    /// `PEXPIRETIME` is unknown to the server (before Redis 7.0): `PTTL` and our clock instead.
    no_expiretime: AtomicBool,
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Backup({})", self.path.display())
    }
}

impl Backup {
    /// Start a backup of keys read from `store` by `command`, selected by `reason`.
    pub async fn create(path: &Path, store: &Store, command: &str, reason: &str) -> Result<Self> {
        let header = Header {
            format: 1,
            created: crate::ttl::rfc3339(now_ms()),
            source: store.addr().to_string(),
            server_version: server_version(store).await,
            command: command.to_string(),
            reason: reason.to_string(),
            tool: concat!("cachectl ", env!("CARGO_PKG_VERSION")).to_string(),
        };
        Ok(Backup {
            path: path.to_path_buf(),
            finished: Default::default(),
            writer: Arc::new(Mutex::new(Some(Writer::create(path, &header)?))),
            no_expiretime: AtomicBool::new(false),
        })
    }

    /// Read `keys` (anywhere in a cluster) and append the ones that exist, flushed to disk.
    pub async fn save(&self, store: &Store, keys: &[Vec<u8>]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // SCAN may return a key twice; one record each is enough.
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        let keys: Vec<Vec<u8>> = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
        let mut records = Vec::with_capacity(keys.len());
        // One request per chunk, one after another: a request of DUMPs holds the server
        // like any other, and must stay within a sweep's latency budget.
        for chunk in keys.chunks(DUMP_CHUNK) {
            records.extend(self.dump(store, chunk).await?);
        }
        self.write(records).await
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
            match w.as_mut() {
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
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match w.as_mut() {
            Some(w) => w.append(records),
            None => Ok(()),
        }
    }

    /// Keys written so far.
    pub fn keys(&self) -> u64 {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.as_ref().map_or(0, Writer::keys)
    }

    /// Where the backup is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the end marker; returns how many keys the file holds. The file is complete
    /// either way: a command that failed part-way still leaves a readable backup of what it
    /// deleted.
    pub fn finish(&self) -> Result<u64> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        match w {
            Some(w) => {
                let n = w.finish()?;
                self.finished.store(n, Ordering::Relaxed);
                Ok(n)
            }
            None => Ok(self.finished.load(Ordering::Relaxed)),
        }
    }

    async fn dump(&self, store: &Store, keys: &[Vec<u8>]) -> Result<Vec<Record>> {
        let expiry = if self.no_expiretime.load(Ordering::Relaxed) {
            "PTTL"
        } else {
            "PEXPIRETIME"
        };
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
                .any(|r| matches!(r, Value::ServerError(e) if e.code() == "ERR"))
        {
            self.no_expiretime.store(true, Ordering::Relaxed);
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

impl BeforeDelete for Backup {
    fn before_delete<'a>(
        &'a self,
        store: &'a Store,
        keys: &'a [Vec<u8>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.save(store, keys))
    }
}

/// The server's version from `INFO server` (Valkey's own where it says so).
pub async fn server_version(store: &Store) -> Option<String> {
    let info = store.info("server").await?;
    match info.field("valkey_version") {
        Some(v) => Some(format!("valkey {v}")),
        None => info.field("redis_version").map(String::from),
    }
}

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
    // The commands are chosen once, before the scan: a chain cannot stop to ask.
    let probe = store
        .query::<Value>(redis::cmd("PEXPIRETIME").arg("cachectl:probe"))
        .await;
    let expiry = if probe.is_ok() { "PEXPIRETIME" } else { "PTTL" };
    let spec = ScanSpec::new(store, pattern, pace, stop, progress);
    let outcome = scan::scan(&spec, "backing up", |_| DumpWork {
        backup: &backup,
        expiry,
        last: 0,
        again: Vec::new(),
    })
    .await;
    let keys = backup.finish()?;
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
    expiry: &'static str,
    last: u64,
    again: Vec<Vec<u8>>,
}

impl BatchWork for DumpWork<'_> {
    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keys
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        for k in keys {
            pipe.cmd("DUMP").arg(k).cmd(self.expiry).arg(k);
        }
        keys.len() * 2
    }

    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        let now = now_ms() as i64;
        let mut replies = replies;
        let mut records = Vec::with_capacity(keys.len());
        for (key, pair) in keys.into_iter().zip(replies.chunks_exact_mut(2)) {
            if pair
                .iter()
                .any(|v| matches!(v, Value::ServerError(e) if sent_elsewhere(e)))
            {
                self.again.push(key);
                continue;
            }
            for v in pair.iter() {
                check_reply(node, v)?;
            }
            let (dump, when) = pair.split_at_mut(1);
            if let Some(r) = record(key, &mut dump[0], &when[0], self.expiry, now) {
                records.push(r);
            }
        }
        self.last = records.len() as u64;
        self.backup.append(&records)
    }

    async fn follow_up(&mut self, store: &Store, _retries: u32, _stop: &Stop) -> Result<()> {
        if self.again.is_empty() {
            return Ok(());
        }
        let keys = std::mem::take(&mut self.again);
        let n = keys.len() as u64;
        self.backup.save(store, &keys).await?;
        self.last += n;
        Ok(())
    }

    fn acted(&self) -> u64 {
        self.last
    }
}

/// A DUMP reply and an expiry reply as a record; `None` for a key gone meanwhile.
/// The payload is taken, not copied: a 100 MB value is held once.
fn record(key: Vec<u8>, dump: &mut Value, when: &Value, expiry: &str, now: i64) -> Option<Record> {
    let Value::BulkString(payload) = dump else {
        return None;
    };
    let when: i64 = redis::from_redis_value_ref(when).ok()?;
    let expires_at_ms = match (expiry, when) {
        (_, -2) => return None,
        (_, -1) => None,
        ("PTTL", ms) => Some(now + ms),
        (_, at) => Some(at),
    };
    Some(Record {
        key,
        expires_at_ms,
        payload: std::mem::take(payload),
    })
}
