//! Side files: what cachectl writes next to its work (a backup, a log, a checkpoint, an HTML
//! page, the targets file). Each may name keys, hold values or credentials, so every one is
//! created here, 0600 from its first byte, and the commands only ask for one by its kind.
//!
//! A file that is rewritten (a checkpoint, a page, the targets file) is written whole into a
//! fresh temporary file of its own directory and renamed over the old one: a reader never sees
//! half a file, and a file or link already lying at a predictable temporary name is never
//! written through (`create_new` refuses it instead of following it).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Which side file: the word its errors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Backup,
    Log,
    Checkpoint,
    Page,
    Targets,
}

impl Side {
    fn word(self) -> &'static str {
        match self {
            Side::Backup => "backup",
            Side::Log => "log",
            Side::Checkpoint => "checkpoint",
            Side::Page => "HTML page",
            Side::Targets => "targets file",
        }
    }

    fn err(self, path: &Path, doing: &str, error: io::Error) -> Error {
        Error::Io {
            context: format!("{} {}: cannot {doing} it", self.word(), path.display()),
            error,
        }
    }

    fn options() -> OpenOptions {
        let mut o = OpenOptions::new();
        o.mode(0o600);
        o
    }

    /// A new file, never an existing one (a backup must not overwrite another).
    pub fn create_new(self, path: &Path) -> Result<File> {
        Self::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| self.err(path, "create", e))
    }

    /// A file appended to, created 0600 if absent (a log several runs share).
    pub fn append(self, path: &Path) -> Result<File> {
        Self::options()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| self.err(path, "open", e))
    }

    /// Replace `path` with `bytes` whole. `keep_mode`: the new file takes the old one's
    /// permissions (a file the user chose to share), once written, never before.
    pub fn replace(self, path: &Path, bytes: &[u8], keep_mode: bool) -> Result<()> {
        let tmp = temporary(path);
        let written = (|| {
            let mut f = Self::options().write(true).create_new(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_data()?;
            if let (true, Ok(old)) = (keep_mode, std::fs::metadata(path)) {
                f.set_permissions(old.permissions())?;
            }
            std::fs::rename(&tmp, path)
        })();
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.err(path, "write", e)
        })
    }
}

/// A temporary name beside `path` no other writer of this process or another uses.
fn temporary(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn every_side_file_is_created_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("report.html");
        Side::Page.replace(&page, b"one", false).unwrap();
        assert_eq!(mode(&page), 0o600);
        Side::Page.replace(&page, b"two", false).unwrap();
        assert_eq!(std::fs::read(&page).unwrap(), b"two");
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let shared = dir.path().join("targets.yaml");
        std::fs::write(&shared, "old").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        Side::Targets.replace(&shared, b"new", true).unwrap();
        assert_eq!(mode(&shared), 0o640);

        let backup = dir.path().join("b.cbk");
        drop(Side::Backup.create_new(&backup).unwrap());
        assert_eq!(mode(&backup), 0o600);
        let again = Side::Backup.create_new(&backup).unwrap_err().to_string();
        assert!(
            again.contains("backup") && again.contains("cannot create"),
            "{again}"
        );

        let log = dir.path().join("run.log");
        drop(Side::Log.append(&log).unwrap());
        assert_eq!(mode(&log), 0o600);
    }

    #[test]
    fn a_failed_replace_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("page.html");
        let e = Side::Page.replace(&missing, b"x", false).unwrap_err();
        assert!(e.to_string().starts_with("HTML page "), "{e}");
    }
}
