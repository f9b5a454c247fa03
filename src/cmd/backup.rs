//! `cachectl backup` and `cachectl restore`: a family saved to a file before a deploy, and
//! any backup put back.

use std::sync::Arc;

use cachectl::backup;
use cachectl::keys::glob::Glob;
use cachectl::log::Log;
use cachectl::ops::restore::{self, RestoreOptions, RestoreReport};

use super::{Ctx, connect, connect_writer, exit, guards, interrupted, pace};
use crate::cli::{BackupArgs, RestoreArgs};
use crate::render::progress::Bars;
use crate::render::prompt::Prompt;
use crate::render::report::keys;
use crate::render::say;

pub async fn run_backup(args: BackupArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let (pattern, file) = args.pattern_and_file().map_err(cachectl::Error::Usage)?;
    let store = connect(ctx).await?;
    let pattern = Glob::new(&pattern);
    let report = backup::backup(
        &store,
        &pattern,
        &file,
        pace(&args.pace),
        &ctx.stop,
        &Bars::new("backed up"),
    )
    .await?;
    if ctx.out.is_json() {
        ctx.out.json(&report)?;
    } else {
        ctx.out.print(&format!(
            "{} matching `{}` backed up to {} ({} walked, {:.1} s){}\n",
            keys(report.keys),
            report.pattern,
            report.file,
            keys(report.scanned),
            report.elapsed_ms as f64 / 1000.0,
            if report.complete { "" } else { ": incomplete" },
        ))?;
    }
    Ok(if report.interrupted {
        interrupted()
    } else if let Some(e) = &report.error {
        say(&format!(
            "error: {}: {} (the file holds the keys read before it)",
            e.node, e.error
        ));
        exit::FAILED
    } else {
        exit::OK
    })
}

pub async fn run_restore(args: RestoreArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let store = if args.dry_run {
        connect(ctx).await?
    } else {
        connect_writer(ctx, "restoring keys").await?
    };
    let options = RestoreOptions {
        replace: args.replace,
        dry_run: args.dry_run,
        pattern: args.only().map(Glob::new),
        per_key: ctx.out.is_json(),
        log: match &args.log {
            Some(path) if !args.dry_run => Some(Arc::new(Log::open(path, "restore")?)),
            _ => None,
        },
    };
    let guards = guards(args.yes, args.max_keys);
    let report = restore::restore(
        &store,
        &args.file,
        &options,
        &guards,
        &Prompt::new(),
        &ctx.stop,
        &Bars::new("restored"),
    )
    .await;
    if let (Some(log), Err(_)) = (&options.log, &report) {
        log.abandon();
    }
    let report = report?;
    if ctx.out.is_json() {
        ctx.out.json(&report)?;
    } else {
        ctx.out.print(&summary(&report))?;
    }
    Ok(if report.interrupted {
        interrupted()
    } else if !report.complete {
        if let Some(why) = &report.backup_incomplete {
            say(&format!(
                "error: the backup is incomplete ({why}): it holds only the keys read before"
            ));
        }
        if let Some(e) = &report.error {
            say(&format!(
                "error: {e} (the keys before it were restored as counted)"
            ));
        }
        for k in report.keys.iter().filter(|k| k.error.is_some()).take(5) {
            say(&format!(
                "error: {}: {}",
                k.key,
                k.error.as_deref().unwrap_or("")
            ));
        }
        exit::FAILED
    } else {
        exit::OK
    })
}

fn summary(r: &RestoreReport) -> String {
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
    out.push_str(&format!(
        "\nbackup of {} by `{}` ({}), {}\n",
        r.header.source, r.header.command, r.header.reason, r.header.created
    ));
    out
}
