//! Resumable sweeps (`--checkpoint FILE`): each chain's safe cursor, with the identity of the
//! node and server process it belongs to, written to a file as the sweep goes, so that the
//! same command run again continues where the last one stopped (after Ctrl-C, SIGTERM, a
//! crash or a fault) instead of walking millions of keys again.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ops::inspect::now_ms;
use crate::ops::scan::{CursorSink, NodeCursor, Part};

/// How often the file is rewritten at most while a sweep runs: a crash repeats at most this
/// much work (deletions are idempotent).
const EVERY: Duration = Duration::from_millis(200);

#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    command: String,
    target: String,
    pattern: String,
    updated: String,
    cursors: Vec<NodeCursor>,
}

pub struct Checkpoint {
    path: PathBuf,
    command: String,
    target: String,
    pattern: String,
    state: Mutex<State>,
}

struct State {
    cursors: BTreeMap<(String, Part), NodeCursor>,
    written: Instant,
    /// The first failure to write the file, said at the end.
    error: Option<String>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkpoint({})", self.path.display())
    }
}

impl Checkpoint {
    /// Open `path` for `command` over `pattern` on `target`, with the cursors to continue from
    /// when it holds an unfinished run of the same; an error, changing nothing, when it holds
    /// another's.
    pub fn open(
        path: &Path,
        command: &str,
        target: &str,
        pattern: &str,
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
        let checkpoint = Checkpoint {
            path: path.to_path_buf(),
            command: command.to_string(),
            target: target.to_string(),
            pattern: pattern.to_string(),
            state: Mutex::new(State {
                cursors,
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
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.write(&mut state)?;
        match state.error.take() {
            Some(e) => Err(Error::Usage(e)),
            None => Ok(()),
        }
    }

    /// The sweep is done: nothing is left to continue.
    pub fn remove(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io {
                context: format!("checkpoint {}: cannot remove it", self.path.display()),
                error: e,
            }),
        }
    }

    fn write(&self, state: &mut State) -> Result<()> {
        let saved = Saved {
            format: 1,
            command: self.command.clone(),
            target: self.target.clone(),
            pattern: self.pattern.clone(),
            updated: crate::ttl::rfc3339_ms(now_ms()),
            cursors: state.cursors.values().cloned().collect(),
        };
        let io = |e| Error::Io {
            context: format!("checkpoint {}: cannot write it", self.path.display()),
            error: e,
        };
        let tmp = self.path.with_extension("tmp");
        let mut f = fs::File::create(&tmp).map_err(io)?;
        serde_json::to_writer_pretty(&mut f, &saved).map_err(|e| io(e.into()))?;
        f.write_all(b"\n").map_err(io)?;
        f.sync_data().map_err(io)?;
        fs::rename(&tmp, &self.path).map_err(io)?;
        state.written = Instant::now();
        Ok(())
    }
}

impl CursorSink for Checkpoint {
    fn record(&self, cursor: &NodeCursor) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .cursors
            .insert((cursor.node.clone(), cursor.part), cursor.clone());
        if state.written.elapsed() >= EVERY
            && let Err(e) = self.write(&mut state)
        {
            state.error.get_or_insert(e.to_string());
        }
    }
}
