//! The audit trail (`--log FILE`): one JSON line per key deleted or changed, with what did it
//! and why, flushed batch by batch, so that "who deleted `user_7_profile`, and why?" has an
//! answer after the fact (and CI can keep the file as an artifact).

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::now_ms;
use crate::error::{Error, Result};

/// Where the lines go: a file (appended to) or standard error.
pub struct Log {
    /// Opened at the first line: a run refused before its first change leaves no file.
    out: Mutex<Option<BufWriter<Box<dyn Write + Send>>>>,
    /// The file to open then (`None`: standard error).
    path: Option<std::path::PathBuf>,
    name: String,
    /// The command that acts, as the lines name it (`invalidate-pattern`, `ttl-audit`…).
    command: String,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Log({})", self.name)
    }
}

/// What happened to one key.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub key: &'a [u8],
    /// The command that changed it: `unlink`, `del`, `expire`, `pexpire`, `restore`.
    pub op: &'a str,
    /// The node that answered (for a key routed by slot, the address the user gave).
    pub node: &'a str,
    /// What selected the key: the pattern, `key`, the policy rule, the backup file.
    pub reason: &'a str,
}

#[derive(Serialize)]
struct Line<'a> {
    time: &'a str,
    /// As everywhere in cachectl's output: plain text as it is, any other key quoted with
    /// escapes (`keys::display`, as redis-cli writes it).
    key: String,
    op: &'a str,
    node: &'a str,
    reason: &'a str,
    command: &'a str,
}

impl Log {
    /// A log appended to `path` (created `0600` at the first line, so that a run that
    /// changes nothing leaves no file), or standard error for `-`.
    pub fn open(path: &Path, command: &str) -> Result<Self> {
        let stderr = path == Path::new("-");
        if !stderr && path.is_dir() {
            return Err(Error::Io {
                context: format!("log {}: cannot open it", path.display()),
                error: io::Error::new(io::ErrorKind::IsADirectory, "a directory"),
            });
        }
        let out: Option<BufWriter<Box<dyn Write + Send>>> =
            stderr.then(|| BufWriter::new(Box::new(io::stderr()) as Box<dyn Write + Send>));
        Ok(Log {
            out: Mutex::new(out),
            path: (!stderr).then(|| path.to_path_buf()),
            name: match stderr {
                true => "stderr".into(),
                false => path.display().to_string(),
            },
            command: command.to_string(),
        })
    }

    fn create(&self) -> Result<BufWriter<Box<dyn Write + Send>>> {
        let path = self.path.as_deref().unwrap_or(Path::new("-"));
        let file = crate::side::Side::Log.append(path)?;
        Ok(BufWriter::new(Box::new(file)))
    }

    /// Write one batch's lines and flush them.
    pub fn record<'a>(&self, entries: impl IntoIterator<Item = Entry<'a>>) -> Result<()> {
        let time = crate::clock::rfc3339_ms(now_ms());
        let mut guard = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut wrote = false;
        for e in entries {
            let out = match &mut *guard {
                Some(out) => out,
                None => guard.insert(self.create()?),
            };
            let line = Line {
                time: &time,
                key: crate::keys::display(e.key),
                op: e.op,
                node: e.node,
                reason: e.reason,
                command: &self.command,
            };
            serde_json::to_writer(&mut *out, &line).map_err(|e| self.err(e.into()))?;
            out.write_all(b"\n").map_err(|e| self.err(e))?;
            wrote = true;
        }
        if let (true, Some(out)) = (wrote, &mut *guard) {
            out.flush().map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn err(&self, error: io::Error) -> Error {
        Error::Io {
            context: format!("log {}: cannot write it", self.name),
            error,
        }
    }
}
