//! `cachectl warm`: run (or check) a warm plan.

use cachectl::ops::invalidate::{self, InvalidateOptions, InvalidateReport, Resolved};
use cachectl::warm::{self, check, plan::WarmPlan, run::VerifyOptions, run::WarmOptions};

use super::ended::exit_for;
use super::{Ctx, connect_writer, exit, interrupted};
use crate::cli::WarmArgs;
use crate::render::progress::StepBars;
use crate::render::prompt::Prompt;
use crate::render::say;

pub async fn run(args: WarmArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let plan = WarmPlan::load(&args.plan)?;
    let vars = args.var.iter().cloned().collect();
    let out = &ctx.out;
    if args.check {
        let report = check::check(&plan, args.offline, &vars, &ctx.target()?, &ctx.stop).await?;
        if out.is_json() {
            out.json(&report)?;
        } else {
            out.warm_check(&report)?;
        }
        return Ok(match (ctx.stop.is_set(), report.ok()) {
            // A stop ended a source's retries: the check is not done.
            (true, _) => interrupted(),
            (false, true) => exit::OK,
            (false, false) => exit::FAILED,
        });
    }
    let store = match (
        args.dry_run,
        args.verify && !args.fix && !args.delete_orphans,
    ) {
        (true, _) => None,
        // A verify that changes nothing needs no writer: a read-only target will do.
        (false, true) => Some(super::connect(ctx).await?),
        (false, false) => Some(connect_writer(ctx, "warming").await?),
    };
    let options = WarmOptions {
        only: args.only.clone(),
        skip: args.skip.clone(),
        concurrency: args.concurrency.map(usize::from),
        dry_run: args.dry_run,
        fail_fast: args.fail_fast,
        vars,
        preview: if args.dry_run { args.preview } else { 0 },
        verify: args.verify.then_some(VerifyOptions {
            fix: args.fix,
            keep_orphans: if args.delete_orphans { ORPHANS_HELD } else { 0 },
        }),
    };
    if ctx.global.verbose {
        // Where each source is (secrets hidden), before anything is read.
        for (name, source) in &plan.sources {
            let at = match source {
                cachectl::warm::plan::Source::Sql(s) => s.display.clone(),
                cachectl::warm::plan::Source::Http(h) => cachectl::conn::redact_url(&h.base_url),
            };
            say(&format!("source `{name}`: {at}"));
        }
    }
    let report = warm::run::run(
        &plan,
        store.as_ref(),
        &options,
        &Prompt::new(),
        &ctx.stop,
        &StepBars::new(),
    )
    .await?;
    if args.verify {
        // The verify's report is printed whatever the deletion's fate: a refusal is said
        // after it, and changes nothing.
        let (deleted, refused) = match (&store, args.delete_orphans) {
            (Some(store), true) if !report.failed() && !ctx.stop.is_set() => {
                match delete_orphans(&report, store, &args, ctx).await {
                    Ok(d) => (Some(d), None),
                    Err(e) => (None, Some(e)),
                }
            }
            _ => (None, None),
        };
        if out.is_json() {
            out.json(&serde_json::json!({
                "plan": report.plan,
                "elapsed_ms": report.elapsed_ms,
                "interrupted": report.interrupted,
                "differs": report.differs(),
                "steps": report.steps,
                "orphans_deleted": deleted.as_ref().map(|d| d.deleted),
                "orphans_unconfirmed": deleted.as_ref().map(|d| d.unconfirmed),
            }))?;
        } else {
            out.warm_verify(&report)?;
            if let Some(d) = &deleted {
                out.deletions(&d.keys, false)?;
            }
        }
        if let Some(e) = refused {
            return Err(e.context("deleting the orphaned keys"));
        }
        return Ok(match (exit_for(&report), &deleted) {
            (exit::OK, Some(d)) if d.interrupted => super::interrupted(),
            (exit::OK, Some(d)) if !d.complete || d.over_budget() > 0 => exit::FAILED,
            // Orphans deleted and the rest rewritten: the cache agrees now only if every
            // difference was dealt with.
            (exit::OK, d) if report.differs() => {
                let orphans_left = d.is_none()
                    && report
                        .steps
                        .iter()
                        .any(|s| s.verify.as_ref().is_some_and(|v| v.orphaned > 0));
                let rest_left = report.steps.iter().any(|s| {
                    s.verify
                        .as_ref()
                        .is_some_and(|v| v.stale + v.missing > v.rewritten)
                });
                if orphans_left || rest_left {
                    exit::VIOLATIONS
                } else {
                    exit::OK
                }
            }
            (code, _) => code,
        });
    }
    if out.is_json() {
        out.json(&report)?;
    } else {
        out.warm_report(&report, store.as_ref().map(|s| s.addr()))?;
    }
    if ctx.global.verbose {
        for s in &report.steps {
            say(&format!(
                "step `{}`: {} rows, {} keys, {} bytes, {} errors in {} ms{}",
                s.step,
                s.rows,
                s.keys,
                s.bytes,
                s.errors,
                s.elapsed_ms,
                if s.skipped { " (skipped)" } else { "" }
            ));
        }
    }
    Ok(exit_for(&report))
}

/// Orphaned keys a verify holds for `--delete-orphans`: past it, a later run deletes the rest.
const ORPHANS_HELD: usize = 1_000_000;

/// `--delete-orphans`: the orphans the verify found, deleted as `invalidate` deletes named
/// keys: counted, confirmed (or `--yes`, within `--max-keys`), the target's rules kept,
/// backed up first with `--backup`.
async fn delete_orphans(
    report: &cachectl::warm::run::WarmReport,
    store: &cachectl::Store,
    args: &WarmArgs,
    ctx: &Ctx,
) -> anyhow::Result<InvalidateReport> {
    let mut keys = Vec::new();
    let mut unnamed = 0;
    for s in &report.steps {
        for k in &s.orphan_keys {
            match String::from_utf8(k.clone()) {
                Ok(k) => keys.push(k),
                Err(_) => unnamed += 1,
            }
        }
    }
    if unnamed > 0 {
        say(&format!(
            "note: {unnamed} orphaned key(s) are not UTF-8 and are left (delete them with \
             `cachectl invalidate -` from a file of their names)"
        ));
    }
    let resolved = Resolved {
        keys,
        patterns: Vec::new(),
    };
    let log = match &args.log {
        Some(path) => Some(std::sync::Arc::new(cachectl::log::Log::open(
            path,
            "warm --delete-orphans",
        )?)),
        None => None,
    };
    let options = InvalidateOptions {
        sweep: cachectl::ops::sweep::SweepOptions {
            log,
            ..Default::default()
        },
        guards: super::guards(args.yes, args.max_keys),
    };
    let backup = match &args.backup {
        Some(path) => Some(
            cachectl::backup::Backup::open(path, store, "warm --delete-orphans", "orphans", false)
                .await?,
        ),
        None => None,
    };
    let result = invalidate::invalidate(
        store,
        &resolved,
        &options,
        &Prompt::new(),
        &ctx.stop,
        &crate::render::progress::Bars::new("deleted"),
        backup.as_ref(),
    )
    .await;
    if let Some(b) = &backup {
        super::close_backup(b, result.is_err(), "", store)?;
    }
    Ok(result?)
}
