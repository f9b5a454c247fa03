//! Resumable sweeps (`--checkpoint FILE`): each chain's safe cursor, with the identity of the
//! node and server process it belongs to, written to a file as the sweep goes, so that the
//! same command run again continues where the last one stopped (after Ctrl-C, SIGTERM, a
//! crash or a fault) instead of walking millions of keys again. `inspect` and `ttl-audit`
//! also keep, with each cursor, their figures of the keys before it, so that the report of the
//! run that finishes covers the whole keyspace.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::scan::{CursorSink, NodeCursor, Part};

/// How often the file is rewritten at most while a sweep runs: a crash repeats at most this
/// much work (deletions are idempotent).
const EVERY: Duration = Duration::from_millis(200);

/// A chain's figures are copied at most this often, and at most once per this many times
/// what a copy costs: large figures (10,000 families) must not slow the scan down.
const FIGURES_COST_SHARE: u32 = 20;

#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    command: String,
    target: String,
    pattern: String,
    /// What else decides the figures (grouping, sampling, policy): a run with other settings
    /// cannot add to them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    settings: String,
    updated: String,
    cursors: Vec<NodeCursor>,
}

pub struct Checkpoint {
    path: PathBuf,
    command: String,
    target: String,
    pattern: String,
    settings: String,
    state: Mutex<State>,
    disk: Arc<Disk>,
    /// Snapshots for the writer thread: the scan's thread only serialises them, and the
    /// fsync (milliseconds) happens off it.
    writer: Mutex<Option<mpsc::Sender<Snapshot>>>,
}

/// The file's bytes, numbered in the order they were taken.
type Snapshot = (u64, Vec<u8>);

/// The file: one write at a time, and never an older snapshot over a newer one, nor any
/// after the checkpoint was removed.
struct Disk {
    path: PathBuf,
    at: Mutex<DiskState>,
}

#[derive(Default)]
struct DiskState {
    written: u64,
    closed: bool,
    /// The first failure of a background write, said at the next `save`.
    error: Option<String>,
}

impl Disk {
    fn put(&self, seq: u64, bytes: &[u8]) -> Result<()> {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        if at.closed || seq <= at.written {
            return Ok(());
        }
        // 0600: a checkpoint names the keyspace and the pattern walked.
        crate::side::Side::Checkpoint.replace(&self.path, bytes, false)?;
        at.written = seq;
        Ok(())
    }
}

struct State {
    /// Snapshots taken, numbered.
    seq: u64,
    cursors: BTreeMap<(String, Part), NodeCursor>,
    /// When each chain's entry may next be replaced: a cursor goes with the figures taken at
    /// it, so both wait for the figures.
    due: BTreeMap<(String, Part), Instant>,
    written: Instant,
    /// The first failure to write the file, said at the end.
    error: Option<String>,
}

impl Drop for Checkpoint {
    /// The writer thread ends once its channel is gone.
    fn drop(&mut self) {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkpoint({})", self.path.display())
    }
}

impl Checkpoint {
    /// Open `path` for `command` over `pattern` on `target` (with `settings`, when other
    /// options decide what it counts), with the cursors to continue from when it holds an
    /// unfinished run of the same; an error, changing nothing, when it holds another's.
    pub fn open(
        path: &Path,
        command: &str,
        target: &str,
        pattern: &str,
        settings: &str,
    ) -> Result<(Checkpoint, Vec<NodeCursor>)> {
        let resume = match fs::read(path) {
            Ok(bytes) => {
                let saved: Saved = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::Usage(format!(
                        "checkpoint {}: not a cachectl checkpoint ({e})",
                        path.display()
                    ))
                })?;
                if saved.command != command || saved.target != target || saved.pattern != pattern {
                    return Err(Error::Usage(format!(
                        "checkpoint {} belongs to `{} {}` on {}, not to `{command} {pattern}` on \
                         {target}: give another file, or delete it to start over",
                        path.display(),
                        saved.command,
                        saved.pattern,
                        saved.target
                    )));
                }
                if saved.settings != settings {
                    return Err(Error::Usage(format!(
                        "checkpoint {} was taken with other options ({}), not {settings}: its \
                         figures would not add up; run with those, give another file, or delete \
                         it to start over",
                        path.display(),
                        if saved.settings.is_empty() {
                            "none"
                        } else {
                            &saved.settings
                        },
                    )));
                }
                saved.cursors
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(Error::Io {
                    context: format!("checkpoint {}: cannot read it", path.display()),
                    error: e,
                });
            }
        };
        let cursors = resume
            .iter()
            .map(|c| ((c.node.clone(), c.part), c.clone()))
            .collect();
        let disk = Arc::new(Disk {
            path: path.to_path_buf(),
            at: Mutex::new(DiskState::default()),
        });
        let (tx, rx) = mpsc::channel::<Snapshot>();
        let background = disk.clone();
        std::thread::spawn(move || {
            while let Ok(mut snap) = rx.recv() {
                // Only the newest of those waiting is worth writing.
                while let Ok(newer) = rx.try_recv() {
                    snap = newer;
                }
                if let Err(e) = background.put(snap.0, &snap.1) {
                    let mut at = background.at.lock().unwrap_or_else(|p| p.into_inner());
                    at.error.get_or_insert(e.to_string());
                }
            }
        });
        let checkpoint = Checkpoint {
            disk,
            writer: Mutex::new(Some(tx)),
            path: path.to_path_buf(),
            command: command.to_string(),
            target: target.to_string(),
            pattern: pattern.to_string(),
            settings: settings.to_string(),
            state: Mutex::new(State {
                seq: 0,
                cursors,
                due: BTreeMap::new(),
                written: Instant::now(),
                error: None,
            }),
        };
        // Written before the first batch: a target it cannot be written to is found now.
        checkpoint.save()?;
        Ok((checkpoint, resume))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the file now (atomically: a crash leaves the old one or the new one).
    pub fn save(&self) -> Result<()> {
        let (seq, bytes) = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            self.snapshot(&mut state)?
        };
        self.disk.put(seq, &bytes)?;
        let failed = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.error.take()
        };
        let failed = failed.or_else(|| {
            let mut at = self.disk.at.lock().unwrap_or_else(|p| p.into_inner());
            at.error.take()
        });
        match failed {
            Some(e) => Err(Error::Usage(e)),
            None => Ok(()),
        }
    }

    /// The sweep is done: nothing is left to continue.
    pub fn remove(&self) -> Result<()> {
        self.disk
            .at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closed = true;
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io {
                context: format!("checkpoint {}: cannot remove it", self.path.display()),
                error: e,
            }),
        }
    }

    /// The state as the file's bytes, numbered.
    fn snapshot(&self, state: &mut State) -> Result<Snapshot> {
        let saved = Saved {
            format: 1,
            command: self.command.clone(),
            target: self.target.clone(),
            pattern: self.pattern.clone(),
            settings: self.settings.clone(),
            updated: crate::clock::rfc3339_ms(now_ms()),
            cursors: state.cursors.values().cloned().collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&saved).map_err(|e| Error::Io {
            context: format!("checkpoint {}: cannot write it", self.path.display()),
            error: e.into(),
        })?;
        bytes.push(b'\n');
        state.seq += 1;
        state.written = Instant::now();
        Ok((state.seq, bytes))
    }
}

impl CursorSink for Checkpoint {
    fn record(
        &self,
        cursor: &NodeCursor,
        figures: &dyn Fn() -> Option<serde_json::Value>,
        last: bool,
    ) {
        let chain = (cursor.node.clone(), cursor.part);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let due = state.due.get(&chain).is_none_or(|d| now >= *d);
        if !(due || last || cursor.finished) {
            return;
        }
        let figures = figures();
        let cost = now.elapsed();
        state
            .due
            .insert(chain.clone(), now + EVERY.max(cost * FIGURES_COST_SHARE));
        state.cursors.insert(
            chain,
            NodeCursor {
                figures,
                ..cursor.clone()
            },
        );
        if state.written.elapsed() < EVERY {
            return;
        }
        match self.snapshot(&mut state) {
            Ok(snap) => {
                drop(state);
                let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(tx) = writer.as_ref() {
                    let _ = tx.send(snap);
                }
            }
            Err(e) => {
                state.error.get_or_insert(e.to_string());
            }
        }
    }

    fn forget(&self, node: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.cursors.retain(|(n, _), _| n != node);
        state.due.retain(|(n, _), _| n != node);
    }
}
