//! `cachectl watch`: live churn per key family, and the hit ratio.

use cachectl::keys::glob::Glob;
use cachectl::ops::inspect::Grouper;
use cachectl::ops::watch::{self, Tick, TickSink, WatchOptions};

use super::{Ctx, connect, exit, interrupted};
use crate::cli::WatchArgs;
use crate::render::prompt::Prompt;
use crate::render::{Renderer, say};

struct Printer<'a> {
    out: &'a Renderer,
    top: usize,
}

impl TickSink for Printer<'_> {
    fn tick(&self, tick: &Tick) -> bool {
        // A closed stdout (`watch … | head -1`) is a reader that has seen enough: the watch
        // ends, putting back what it changed.
        let printed = if self.out.is_json() {
            self.out.json_line(tick)
        } else {
            self.out.watch_tick(tick, self.top)
        };
        printed.is_ok()
    }
}

pub async fn run(args: WatchArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    if args.enable_events {
        cachectl::guard::writable(
            &ctx.target()?.policy,
            "--enable-events (CONFIG SET notify-keyspace-events)",
        )?;
    }
    let store = connect(ctx).await?;
    let options = WatchOptions {
        pattern: Glob::new(&args.pattern),
        grouper: Grouper::default(),
        interval: args.interval,
        duration: args.duration,
        enable_events: args.enable_events,
    };
    let printer = Printer {
        out: &ctx.out,
        top: args.top,
    };
    let report = watch::watch(&store, &options, &Prompt::new(), &ctx.stop, &printer).await?;
    if !report.enabled_on.is_empty() {
        say(&format!(
            "keyspace notifications put back as they were on {}",
            report.enabled_on.join(", ")
        ));
    }
    Ok(if ctx.stop.is_set() {
        interrupted()
    } else {
        exit::OK
    })
}
