//! `cachectl inspect`: keys in depth, or a keyspace by family.

use std::sync::Arc;

use cachectl::keys::glob::Glob;
use cachectl::ops::checkpoint::Checkpoint;
use cachectl::ops::inspect::{self, Access, InspectOptions, InspectReport};
use cachectl::scan::NodeCursor;

use super::ended::exit_for;
use super::{
    Ctx, close_checkpoint, connect, exit, from_dump, group_settings, grouper, open_checkpoint,
    open_dump, pace,
};
use crate::cli::InspectArgs;
use crate::render::progress::Bars;
use crate::render::{Renderer, say};

pub async fn run(args: InspectArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let out = &ctx.out;
    if let Some((mut rdbs, scope)) = open_dump(&args.dump, &args.pace)? {
        let pattern = Glob::new(args.pattern.as_deref().unwrap_or("*"));
        let options = options(&args, Vec::new(), None);
        let stop = ctx.stop.clone();
        let report = from_dump(move || {
            let bars = Bars::new("inspected");
            inspect::inspect_rdb(&mut rdbs, &pattern, scope, &options, &stop, &bars)
        })
        .await?;
        if (args.cold.is_some() || args.hot.is_some()) && report.access.is_none() {
            say(
                "note: the dump holds no idle times or frequencies (a server saves them only under an LRU or LFU maxmemory-policy)",
            );
        }
        let target = (report.dumps.iter())
            .map(|d| d.snapshot.file.clone())
            .collect::<Vec<_>>()
            .join(",");
        write_html(args.html.as_deref(), &report, &target)?;
        return render(out, &report, &target);
    }
    let store = connect(ctx).await?;
    if !args.keys.is_empty() {
        if out.is_metrics() {
            return Err(cachectl::Error::Usage(
                "-o openmetrics reports a keyspace (inspect --pattern), not keys".into(),
            )
            .into());
        }
        let found = inspect::inspect_keys(&store, &args.keys, !args.no_preview).await?;
        let details: Vec<_> = found.iter().flatten().cloned().collect();
        if out.is_json() {
            out.json_keys(&details)?;
        } else {
            out.key_details(&details)?;
        }
        let mut code = exit::OK;
        for (key, d) in args.keys.iter().zip(&found) {
            if d.is_none() {
                say(&format!(
                    "error: {}",
                    super::missing_key(key, "inspect --pattern")
                ));
                code = exit::FAILED;
            }
        }
        return Ok(code);
    }
    let pattern = Glob::new(args.pattern.as_deref().unwrap_or("*"));
    let settings = format!(
        "{} cold={:?} hot={:?} type={:?}",
        group_settings(&args.group),
        args.cold,
        args.hot,
        args.pace.only_type
    );
    let (checkpoint, resume) = open_checkpoint(
        args.checkpoint.as_deref(),
        "inspect",
        &store,
        &pattern.to_string(),
        &settings,
        "inspection",
    )?;
    let resumed = !resume.is_empty();
    let options = options(&args, resume, checkpoint.clone());
    let report = inspect::inspect_pattern(
        &store,
        &pattern,
        &options,
        &ctx.stop,
        &Bars::new("inspected"),
    )
    .await;
    if let Some(cp) = &checkpoint {
        close_checkpoint(cp, report.as_ref().ok().map(|r| r.complete), resumed)?;
    }
    let report = report?;
    write_html(args.html.as_deref(), &report, store.addr())?;
    render(out, &report, store.addr())
}

/// `--html FILE`: the report as a page, said on stderr.
fn write_html(
    path: Option<&std::path::Path>,
    report: &InspectReport,
    target: &str,
) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let meta = crate::render::html::PageMeta {
        target: target.to_string(),
        command: crate::render::html::command_line(),
        made_at: cachectl::clock::rfc3339(cachectl::clock::now_ms()),
    };
    cachectl::side::Side::Page.replace(
        path,
        crate::render::html::inspect(report, &meta).as_bytes(),
        false,
    )?;
    say(&format!("report page: {}", path.display()));
    Ok(())
}

fn options(
    args: &InspectArgs,
    resume: Vec<NodeCursor>,
    checkpoint: Option<Arc<Checkpoint>>,
) -> InspectOptions {
    InspectOptions {
        grouper: grouper(&args.group),
        sample: args.group.sample,
        top: args.top,
        pace: pace(&args.pace),
        access: (args.cold.is_some() || args.hot.is_some()).then(|| Access {
            cold_after_s: args.cold.map(|d| d.as_secs()),
            hot: args.hot.unwrap_or(0),
        }),
        resume,
        checkpoint,
    }
}

/// The report, and the exit code it earns.
fn render(out: &Renderer, report: &InspectReport, target: &str) -> anyhow::Result<u8> {
    if out.is_json() {
        out.json(report)?;
    } else if out.is_metrics() {
        out.print(&crate::render::metrics::inspect(report, target))?;
    } else {
        out.inspect_report(report)?;
    }
    Ok(exit_for(report))
}
