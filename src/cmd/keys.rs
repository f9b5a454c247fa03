//! `cachectl keys`: the keys a glob matches, listed by the walk engine (SCAN on every master,
//! paced, never `KEYS`): what `redis-cli --scan` does, cluster-wide and safely.

use std::io::Write;

use cachectl::keys::glob::Glob;
use cachectl::ops::sweep::{self, Show, SweepOptions};
use serde::Serialize;

use super::{Ctx, connect, exit, interrupted, pace};
use crate::cli::KeysArgs;
use crate::render::progress::Bars;
use crate::render::prompt::Prompt;

#[derive(Serialize)]
struct Doc<'a> {
    pattern: &'a str,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<&'a [String]>,
    complete: bool,
}

pub async fn run(args: KeysArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let store = connect(ctx).await?;
    let options = SweepOptions {
        exclude: args.exclude.iter().map(Glob::new).collect(),
        pace: pace(&args.pace),
        dry_run: true,
        // Every match, in the order found (held until the walk ends), or none at all.
        show: if args.count_only {
            Show::First(0)
        } else {
            Show::All
        },
        ..SweepOptions::default()
    };
    let pattern = Glob::new(&args.pattern);
    let guards = cachectl::guard::Guards::default();
    let report = sweep::sweep(
        &store,
        &pattern,
        &options,
        &guards,
        &Prompt::new(),
        &ctx.stop,
        &Bars::new("listed"),
        None,
    )
    .await?;
    if ctx.out.is_json() {
        ctx.out.json(&Doc {
            pattern: &args.pattern,
            count: report.matched,
            keys: (!args.count_only).then_some(report.sample.as_slice()),
            complete: report.complete,
        })?;
    } else if args.count_only {
        ctx.out.print(&format!("{}\n", report.matched))?;
    } else {
        // One key a line, escaped as everywhere (`keys::display`): a key with a newline in it
        // cannot pass for two.
        let mut text = String::with_capacity(report.sample.len() * 24);
        for k in &report.sample {
            text.push_str(k);
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    // The list is the whole answer only when every master was walked to its end.
    if report.interrupted {
        return Ok(interrupted());
    }
    if let Some(e) = &report.error {
        crate::render::say(&format!(
            "error: {}: {} (the keys listed are those found before it)",
            e.node, e.error
        ));
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}
