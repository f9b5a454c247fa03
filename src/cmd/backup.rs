//! `cachectl backup` and `cachectl restore`: a family saved to a file before a deploy, and
//! any backup put back.

use std::sync::Arc;

use cachectl::backup;
use cachectl::keys::glob::Glob;
use cachectl::log::Log;
use cachectl::ops::restore::{self, RestoreOptions};

use super::ended::exit_for;
use super::{Ctx, connect, connect_writer, guards, pace};
use crate::cli::{BackupArgs, RestoreArgs};
use crate::render::progress::Bars;
use crate::render::prompt::Prompt;

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
        ctx.out.backup_done(&report)?;
    }
    Ok(exit_for(&report))
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
    let report = report?;
    if ctx.out.is_json() {
        ctx.out.json(&report)?;
    } else {
        ctx.out.restore_summary(&report)?;
    }
    Ok(exit_for(&report))
}
