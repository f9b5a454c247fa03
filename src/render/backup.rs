//! `backup` and `restore`: one line on what was written or put back.

use std::io;

use cachectl::backup::BackupReport;
use cachectl::ops::restore::RestoreReport;

use super::Renderer;
use super::cells::keys;

impl Renderer {
    /// What a backup wrote, and whether the file is whole.
    pub fn backup_done(&self, r: &BackupReport) -> io::Result<()> {
        self.print(&format!(
            "{} matching `{}` backed up to {} ({} walked, {:.1} s){}\n",
            keys(r.keys),
            r.pattern,
            r.file,
            keys(r.scanned),
            r.elapsed_ms as f64 / 1000.0,
            if r.complete { "" } else { ": incomplete" },
        ))
    }

    /// What a restore did, or would do, and whose backup it was.
    pub fn restore_summary(&self, r: &RestoreReport) -> io::Result<()> {
        let verb = if r.dry_run {
            "would be restored"
        } else {
            "restored"
        };
        let mut out = format!(
            "{}: {} {verb}, {} left as they are (they exist{}), {} expired since the backup",
            r.file,
            keys(r.restored),
            keys(r.exists),
            if r.replace {
                ""
            } else {
                "; --replace overwrites"
            },
            keys(r.expired),
        );
        if r.filtered > 0 {
            out.push_str(&format!(", {} not matching --pattern", keys(r.filtered)));
        }
        if r.failed > 0 {
            out.push_str(&format!(", {} failed", keys(r.failed)));
        }
        if r.unconfirmed > 0 {
            out.push_str(&format!(
                ", {} unconfirmed (sent without an answer, or there when a batch whose reply \
                 was lost was sent again: restored or not, only the server knows)",
                keys(r.unconfirmed)
            ));
        }
        if r.interrupted {
            out.push_str(&format!(
                "; interrupted after {} read from the file",
                keys(r.read)
            ));
        }
        out.push_str(&format!(
            "\nbackup of {} by `{}` ({}), {}\n",
            r.header.source, r.header.command, r.header.reason, r.header.created
        ));
        self.print(&out)
    }
}
