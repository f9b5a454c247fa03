//! `cachectl warm`: run (or check) a warm plan.

use cachectl::warm::{self, check, plan::WarmPlan, run::WarmOptions};

use super::ended::exit_for;
use super::{Ctx, connect_writer, exit, interrupted};
use crate::cli::WarmArgs;
use crate::render::progress::StepBars;
use crate::render::prompt::Prompt;
use crate::render::say;

pub async fn run(args: WarmArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let plan = WarmPlan::load(&args.plan)?;
    let vars = args.var.into_iter().collect();
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
    let store = if args.dry_run {
        None
    } else {
        Some(connect_writer(ctx, "warming").await?)
    };
    let options = WarmOptions {
        only: args.only,
        skip: args.skip,
        concurrency: args.concurrency.map(usize::from),
        dry_run: args.dry_run,
        fail_fast: args.fail_fast,
        vars,
        preview: if args.dry_run { args.preview } else { 0 },
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
