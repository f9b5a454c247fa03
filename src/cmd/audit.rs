//! `cachectl ttl-audit`: TTL statistics, policy, expiry clusters, and their remediation.

use std::sync::Arc;

use cachectl::Store;
use cachectl::backup::Backup;
use cachectl::keys::glob::Glob;
use cachectl::log::Log;
use cachectl::ops::audit::{self, AuditOptions};
use cachectl::ops::policy::Policy;
use cachectl::ops::remediate::{self, FixOptions, FixPlan};
use cachectl::scan::Fault;
use serde::Serialize;

use super::ended::{Audited, exit_for};
use super::{
    Ctx, close_backup, close_checkpoint, connect, exit, from_dump, group_settings, grouper, guards,
    open_checkpoint, open_dump, pace, refuse_replica,
};
use crate::cli::{AuditArgs, Charts};
use crate::render::progress::Bars;
use crate::render::prompt::Prompt;
use crate::render::say;

pub async fn run(args: AuditArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let out = &ctx.out;
    // A read-only target refuses fixes before the audit, not after it.
    if (args.fix_missing_ttl.is_some() || args.spread.is_some()) && !args.dry_run {
        cachectl::guard::writable(&ctx.target()?.policy, "fixing TTLs")?;
    }
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    // What decides the figures, for a checkpoint: the policy by its content (rules are
    // counted by index).
    let policy_hash = match &args.policy {
        Some(path) => std::fs::read(path)
            .map(|b| format!("{:016x}", cachectl::keys::fnv1a(&b)))
            .unwrap_or_default(),
        None => String::new(),
    };
    let settings = format!(
        "{} window={:?} policy={policy_hash} type={:?}",
        group_settings(&args.group),
        args.window,
        args.pace.only_type
    );
    let mut fix = FixOptions {
        missing_ttl: args.fix_missing_ttl,
        spread: args.spread,
        backup: None,
        log: None,
    };
    let options = AuditOptions {
        grouper: grouper(&args.group),
        sample: args.group.sample,
        window: args.window,
        policy,
        pace: pace(&args.pace),
        resume: Vec::new(),
        checkpoint: None,
    };
    let pattern = Glob::new(args.glob());
    let (report, store) = match open_dump(&args.dump, &args.pace)? {
        Some((mut rdbs, scope)) => {
            let (stop, options, pattern) = (ctx.stop.clone(), options.clone(), pattern.clone());
            let report = from_dump(move || {
                let bars = Bars::new("audited");
                audit::audit_rdb(&mut rdbs, &pattern, scope, &options, &stop, &bars)
            })
            .await?;
            (report, None)
        }
        None => match audit_live(&args, ctx, &pattern, &options, &settings).await? {
            Some((report, store)) => (report, Some(store)),
            // `--quick`: the headline alone, said.
            None => return Ok(exit::OK),
        },
    };
    let charts = match args.charts {
        Charts::Always => true,
        Charts::Never => false,
        Charts::Auto => out.stdout_tty,
    }
    .then_some(usize::from(args.histogram_rows));
    let fixing = fix.missing_ttl.is_some() || fix.spread.is_some();
    let plan = fixing.then(|| FixPlan::from_report(&report, &fix));
    if out.is_table() {
        out.audit_report(&report, charts)?;
    }
    let mut applied = None;
    let mut stopped_before_fixes = false;
    if let Some(plan) = &plan {
        if out.is_table() {
            out.fix_plan(plan, args.dry_run)?;
        }
        // Fix only what a whole audit found: a partial one would plan from partial figures.
        let live = store.as_ref().filter(|_| !args.dry_run && plan.total() > 0);
        if let (Some(store), true) = (live, report.complete) {
            match apply_fixes(&args, ctx, store, &pattern, &options, &report, &mut fix).await {
                Ok(done) => {
                    if out.is_table() {
                        out.fix_report(&done)?;
                    }
                    applied = Some(done);
                }
                // A stop at the question (or before it): no fix was made, and the audit
                // that was finished is still reported.
                Err(e) if matches!(e.downcast_ref(), Some(cachectl::Error::Interrupted)) => {
                    stopped_before_fixes = true;
                }
                Err(e) => return Err(e),
            }
        }
    }
    if out.is_json() {
        #[derive(Serialize)]
        struct Doc<'a> {
            #[serde(flatten)]
            report: &'a audit::AuditReport,
            #[serde(skip_serializing_if = "Option::is_none")]
            remediation_plan: Option<&'a FixPlan>,
            #[serde(skip_serializing_if = "Option::is_none")]
            remediation: Option<&'a remediate::FixReport>,
        }
        out.json(&Doc {
            report: &report,
            remediation_plan: plan.as_ref(),
            remediation: applied.as_ref(),
        })?;
    }
    publish_files(&args, ctx, &report, store.as_ref())?;
    if stopped_before_fixes {
        say("stopped before the fixes began: nothing was changed");
        return Ok(super::interrupted());
    }
    Ok(exit_for(&Audited {
        report: &report,
        applied: applied.as_ref(),
        remaining: remaining(&report, &fix, applied.as_ref()),
    }))
}

/// The live audit, or with `--quick` only the headline (said here; `None`).
async fn audit_live(
    args: &AuditArgs,
    ctx: &Ctx,
    pattern: &Glob,
    options: &AuditOptions,
    settings: &str,
) -> anyhow::Result<Option<(audit::AuditReport, Store)>> {
    let out = &ctx.out;
    let store = connect(ctx).await?;
    if args.quick {
        let head = audit::headline(&store).await?;
        if out.is_json() {
            out.json(&serde_json::json!({ "headline": head }))?;
        } else if out.is_metrics() {
            return Err(cachectl::Error::Usage(
                "-o openmetrics needs the scan: drop --quick".into(),
            )
            .into());
        } else {
            out.headline(&head, true)?;
        }
        return Ok(None);
    }
    let (checkpoint, resume) = open_checkpoint(
        args.checkpoint.as_deref(),
        "ttl-audit",
        &store,
        &pattern.to_string(),
        settings,
        "audit",
    )?;
    let resumed = !resume.is_empty();
    let resumed_options = AuditOptions {
        resume,
        checkpoint: checkpoint.clone(),
        ..options.clone()
    };
    let report = audit::audit(
        &store,
        pattern,
        &resumed_options,
        &ctx.stop,
        &Bars::new("audited"),
    )
    .await;
    if let Some(cp) = &checkpoint {
        close_checkpoint(cp, report.as_ref().ok().map(|r| r.complete), resumed)?;
    }
    Ok(Some((report?, store)))
}

/// The fixes of a whole audit, through the gate, with their backup and log.
#[allow(clippy::too_many_arguments)]
async fn apply_fixes(
    args: &AuditArgs,
    ctx: &Ctx,
    store: &Store,
    pattern: &Glob,
    options: &AuditOptions,
    report: &audit::AuditReport,
    fix: &mut FixOptions,
) -> anyhow::Result<remediate::FixReport> {
    refuse_replica(store).await?;
    let guards = guards(args.yes, args.max_keys);
    if let Some(path) = &args.log {
        fix.log = Some(Arc::new(Log::open(path, "ttl-audit")?));
    }
    if let Some(path) = &args.backup {
        let reason = format!("ttl-audit fixes of {pattern}");
        fix.backup = Some(Arc::new(
            Backup::create(path, store, "ttl-audit", &reason).await?,
        ));
    }
    let done = remediate::fix(
        store,
        pattern,
        options,
        report,
        fix,
        &guards,
        &Prompt::new(),
        &ctx.stop,
        &Bars::new("fixed"),
    )
    .await;
    let closed = match &fix.backup {
        Some(b) => close_backup(b, done.is_err(), " --replace", store)
            .map_err(|e| (b.path().display().to_string(), format!("{e:#}"))),
        None => Ok(()),
    };
    let mut done = done?;
    // A close that fails (a full disk) is told with the report, never instead of it.
    if let Err((file, error)) = closed {
        done.complete = false;
        done.error.get_or_insert(Fault {
            node: format!("backup {file}"),
            error,
        });
    }
    Ok(done)
}

/// `-o openmetrics` and `--html`: the report for a scraper or a browser.
fn publish_files(
    args: &AuditArgs,
    ctx: &Ctx,
    report: &audit::AuditReport,
    store: Option<&Store>,
) -> anyhow::Result<()> {
    let out = &ctx.out;
    let target = match store {
        Some(s) => s.addr().to_string(),
        None => (report.dumps.iter())
            .map(|d| d.snapshot.file.clone())
            .collect::<Vec<_>>()
            .join(","),
    };
    if out.is_metrics() {
        out.print(&crate::render::metrics::audit(report, &target))?;
    }
    if let Some(path) = &args.html {
        let meta = crate::render::html::PageMeta {
            target: target.clone(),
            command: crate::render::html::command_line(),
            made_at: cachectl::clock::rfc3339(cachectl::clock::now_ms()),
        };
        cachectl::side::Side::Page.replace(
            path,
            crate::render::html::audit(report, &meta).as_bytes(),
            false,
        )?;
        say(&format!("report page: {}", path.display()));
    }
    Ok(())
}

/// Violations still true after the fixes that ran: a kind the fixes covered, and finished
/// whole, is cleared (a key that vanished meanwhile is no violation either).
fn remaining(
    report: &audit::AuditReport,
    fix: &remediate::FixOptions,
    applied: Option<&remediate::FixReport>,
) -> usize {
    use cachectl::ops::audit::ViolationKind;
    let done = applied.is_some_and(|a| a.complete && a.error.is_none());
    report
        .violations
        .iter()
        .filter(|v| {
            let fixed = match v.kind {
                ViolationKind::MissingTtl => fix.missing_ttl.is_some(),
                ViolationKind::ExpiryCluster => fix.spread.is_some(),
                _ => false,
            };
            !(done && fixed)
        })
        .count()
}
