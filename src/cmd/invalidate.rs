//! `cachectl invalidate` and `cachectl invalidate-pattern`: both are an invalidation (exact
//! keys and patterns) run by the library after its guards; the pattern command is one with
//! patterns only.

use std::io::{self, BufRead};
use std::sync::Arc;

use anyhow::Context;
use cachectl::Error;
use cachectl::backup::Backup;
use cachectl::keys::glob::Glob;
use cachectl::log::Log;
use cachectl::ops::invalidate::{
    self, InvalidateOptions, InvalidateReport, InvalidateRequest, Resolved,
};
use cachectl::ops::sweep::{SweepOptions, SweepReport};

use super::ended::exit_for;
use super::{
    Ctx, close_backup, close_checkpoint, connect, connect_writer, guards, open_checkpoint, pace,
};
use crate::cli::{InvalidateArgs, InvalidatePatternArgs, SweepArgs};
use crate::render::progress::Bars;
use crate::render::prompt::Prompt;
use crate::render::say;

pub async fn run(args: InvalidateArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    // Keys read from stdin are keys, not templates: a `{` in one is part of its name.
    let from_stdin = if args.keys.iter().any(|k| k == "-") {
        keys_from_stdin()?
    } else {
        Vec::new()
    };
    let request = InvalidateRequest {
        keys: args.keys.into_iter().filter(|k| k != "-").collect(),
        prefix: args.prefix,
        id: args.id,
        extras: args.extra,
        patterns: args.pattern,
        vars: args.var.into_iter().collect(),
    };
    let mut resolved = request.resolve()?;
    // A set, not a scan of the list: 300,000 keys on stdin dedup in milliseconds.
    let mut seen: std::collections::HashSet<String> = resolved.keys.iter().cloned().collect();
    for key in from_stdin {
        if seen.insert(key.clone()) {
            resolved.keys.push(key);
        }
    }
    if resolved.keys.is_empty() && resolved.patterns.is_empty() {
        return Err(Error::Usage(
            "nothing to invalidate: give KEYs (or - to read them from stdin), --prefix with --id, --extra or --pattern"
                .into(),
        )
        .into());
    }
    if !resolved.keys.is_empty() && !pace(&args.sweep.pace).select.is_empty() {
        return Err(Error::Usage(
            "--no-ttl, --ttl-under/over, --idle-over, --freq-under and --larger-than select among a \
             pattern's matches; keys named one by one are deleted as named: give --pattern, or \
             leave the filters out"
                .into(),
        )
        .into());
    }
    let report = invalidate_and_report(&resolved, &args.sweep, "invalidate", ctx).await?;
    if ctx.out.is_json() {
        ctx.out.json(&report)?;
    } else {
        ctx.out.deletions(&report.keys, report.dry_run)?;
        ctx.out.sweeps(&report.patterns)?;
    }
    for k in report
        .keys
        .iter()
        .filter(|k| !k.existed && k.skipped.is_none())
    {
        if k.key.contains(['*', '?', '[']) {
            say(&format!(
                "note: {}",
                super::missing_key(&k.key, "invalidate-pattern")
            ));
        }
    }
    Ok(code(&report))
}

pub async fn run_patterns(args: InvalidatePatternArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    if !args.literal {
        shell_expanded(&args.patterns, args.sweep.yes)?;
    }
    let resolved = Resolved {
        keys: Vec::new(),
        patterns: args.patterns.iter().map(Glob::new).collect(),
    };
    let report = invalidate_and_report(&resolved, &args.sweep, "invalidate-pattern", ctx).await?;
    if ctx.out.is_json() {
        // One shape for one pattern or several: the patterns' sweeps added up, and each.
        let mut doc = serde_json::to_value(SweepReport::combined(&report.patterns))?;
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("patterns".into(), serde_json::to_value(&report.patterns)?);
            if let Some(e) = &report.error {
                obj.insert("complete".into(), false.into());
                obj.entry("error").or_insert(serde_json::to_value(e)?);
            }
        }
        ctx.out.json(&doc)?;
    } else {
        ctx.out.sweeps(&report.patterns)?;
    }
    let code = code(&report);
    let literal_misses: Vec<&str> = (report.patterns.iter())
        .filter(|p| p.matched == 0 && !has_wildcard(&p.pattern) && p.complete)
        .map(|p| p.pattern.as_str())
        .collect();
    if literal_misses.is_empty() || args.literal {
        return Ok(code);
    }
    for p in &literal_misses {
        say(&format!(
            "note: `{p}` has no wildcard and matched no key: a pattern without `*`, `?` or `[` \
             matches only itself (a glob the shell expanded? quote it: '…*'; for one key, \
             `cachectl invalidate KEY`)"
        ));
    }
    // A deploy script must notice: under --yes this is a failure unless --literal says so.
    Ok(match (code, args.sweep.yes) {
        (0, true) => crate::cmd::exit::FAILED,
        _ => code,
    })
}

/// A pattern with a glob wildcard in it.
fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Patterns that name a file in the working directory: most likely a glob the shell expanded
/// (`user_7_*` given unquoted, with `user_7_notes.txt` here). Said on a terminal; refused
/// under --yes, before anything is counted or deleted, unless --literal.
fn shell_expanded(patterns: &[String], yes: bool) -> anyhow::Result<()> {
    let named: Vec<&String> = (patterns.iter())
        .filter(|p| !p.is_empty() && std::path::Path::new(p.as_str()).exists())
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let list = named
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let why = format!(
        "{list} names a file in this directory: the shell may have expanded your pattern before \
         cachectl saw it; quote the pattern (invalidate-pattern 'user_7_*'), or pass --literal \
         if you mean it as written"
    );
    if yes {
        // A usage error (exit 2), as the README says; "refused" is the gate's word (exit 3).
        return Err(Error::Usage(format!("not run under --yes: {why}")).into());
    }
    say(&format!("note: {why}"));
    Ok(())
}

async fn invalidate_and_report(
    resolved: &Resolved,
    args: &SweepArgs,
    command: &str,
    ctx: &Ctx,
) -> anyhow::Result<InvalidateReport> {
    let store = if args.dry_run {
        connect(ctx).await?
    } else {
        connect_writer(ctx, &format!("`{command}`")).await?
    };
    let log = match &args.log {
        Some(path) if !args.dry_run => Some(Arc::new(Log::open(path, command)?)),
        _ => None,
    };
    // A checkpoint already there is an earlier run of this sweep, also one stopped before it
    // saved a cursor: its backup is continued, not refused as someone else's file.
    let continued = !args.dry_run && args.checkpoint.as_ref().is_some_and(|p| p.exists());
    let (checkpoint, resume) = match &args.checkpoint {
        Some(path) if !args.dry_run => {
            let [pattern] = resolved.patterns.as_slice() else {
                return Err(Error::Usage(
                    "--checkpoint follows one pattern: give exactly one, and no exact keys".into(),
                )
                .into());
            };
            if !resolved.keys.is_empty() {
                return Err(Error::Usage(
                    "--checkpoint follows one pattern: give exactly one, and no exact keys".into(),
                )
                .into());
            }
            // What else decides which keys go: a run with other filters is another sweep.
            let mut filters = Vec::new();
            filters.extend(args.exclude.iter().map(|e| format!("exclude={e}")));
            filters.extend(args.protect.iter().map(|p| format!("protect={p}")));
            filters.extend(args.pace.only_type.iter().map(|t| format!("type={t:?}")));
            let select = pace(&args.pace).select;
            if !select.is_empty() {
                filters.push(format!("select={}", select.describe()));
            }
            open_checkpoint(
                Some(path),
                command,
                &store,
                &pattern.to_string(),
                &filters.join(" "),
                "sweep",
            )?
        }
        _ => (None, Vec::new()),
    };
    let resumed = !resume.is_empty();
    let options = InvalidateOptions {
        sweep: SweepOptions {
            exclude: args.exclude.iter().map(Glob::new).collect(),
            protect: args.protect.iter().map(Glob::new).collect(),
            pace: pace(&args.pace),
            dry_run: args.dry_run,
            show: args.show,
            resume,
            log: log.clone(),
            checkpoint: checkpoint.clone(),
        },
        guards: guards(args.yes, args.max_keys),
    };
    let backup = match &args.backup {
        Some(path) if !args.dry_run => {
            let reason = resolved
                .keys
                .iter()
                .cloned()
                .chain(resolved.patterns.iter().map(ToString::to_string))
                .collect::<Vec<_>>()
                .join(" ");
            // A sweep continued from its checkpoint continues its backup too.
            let open = Backup::open(path, &store, command, &reason, resumed || continued);
            Some(super::unchanged_on_stop(ctx, async { Ok(open.await?) }).await?)
        }
        _ => None,
    };
    let result = invalidate::invalidate(
        &store,
        resolved,
        &options,
        &Prompt::new(),
        &ctx.stop,
        &Bars::new("deleted"),
        backup.as_ref(),
    )
    .await;
    // The backup is closed whatever happened: what was deleted before a fault is in it. A
    // close that fails (a full disk) is told with the report, never instead of it.
    let closed = match &backup {
        Some(b) => close_backup(b, result.is_err(), "", &store)
            .map_err(|e| (b.path().display().to_string(), format!("{e:#}"))),
        None => Ok(()),
    };
    if let Some(cp) = &checkpoint {
        // Refused or failed before the sweep began: a refusal leaves nothing behind.
        close_checkpoint(cp, result.as_ref().ok().map(|r| r.complete), resumed)?;
    }
    let mut report = result?;
    if let Err((file, why)) = closed {
        report.failed_after(&format!("backup {file}"), why);
    }
    if ctx.global.verbose {
        for r in &report.patterns {
            for c in &r.cursors {
                say(&format!(
                    "{} ({} buckets): {} batches, SCAN COUNT settled at {}, longest batch {:.2} ms of server time, waited {:.0} ms",
                    c.node, c.part, c.batches, c.count, c.max_batch_ms, c.waiting_ms
                ));
            }
        }
    }
    Ok(report)
}

/// 0 only when the job is done; the report has been printed either way.
fn code(report: &InvalidateReport) -> u8 {
    exit_for(report)
}

/// `invalidate -`: keys one per line on stdin (blank lines skipped), as Unix tools pass them.
fn keys_from_stdin() -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    for line in io::stdin().lock().lines() {
        let line = line.context("reading keys from stdin")?;
        let key = line.strip_suffix('\r').unwrap_or(&line);
        if !key.is_empty() {
            keys.push(key.to_string());
        }
    }
    Ok(keys)
}
