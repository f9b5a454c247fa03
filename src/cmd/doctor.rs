//! `cachectl doctor`: can cachectl run here?

use cachectl::conn::redact_url;
use cachectl::ops::doctor::{self, DoctorReport};
use serde::Serialize;

use super::{Ctx, connect, exit};
use crate::cli::DoctorArgs;
use crate::render::doctor::Reached;
use crate::render::prompt::Prompt;
use crate::render::say;

#[derive(Serialize)]
struct Doc<'a> {
    /// The target as resolved from flags, environment and config (no password).
    target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    named_target: Option<&'a str>,
    tls: bool,
    /// `--tls-insecure` or `tls: {insecure: true}`: the server's certificate goes unchecked.
    tls_insecure: bool,
    ok: bool,
    #[serde(flatten)]
    report: Option<&'a DoctorReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn run(args: DoctorArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let t = ctx.target()?;
    let url = redact_url(&t.url);
    let tls = t.url.starts_with("rediss://");
    let named = ctx.named.as_ref().map(|n| n.name.as_str());
    let (report, error) = match connect(ctx).await {
        Ok(store) => (
            Some(doctor::doctor(&store, &args.key, &Prompt::new(), &ctx.stop).await),
            None,
        ),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let ok = error.is_none() && report.as_ref().is_some_and(|r| r.problems.is_empty());
    if ctx.out.is_json() {
        ctx.out.json(&Doc {
            target: url,
            named_target: named,
            tls,
            tls_insecure: t.tls_unchecked(),
            ok,
            report: report.as_ref(),
            error,
        })?;
    } else {
        let reached = Reached {
            url: &url,
            named,
            tls,
            tls_insecure: t.tls_unchecked(),
        };
        ctx.out
            .doctor(&reached, report.as_ref(), error.as_deref())?;
    }
    if let Some(r) = &report {
        for p in &r.problems {
            say(&format!("problem: {p}"));
        }
    }
    // A stop leaves the look unfinished, whatever it found so far.
    Ok(match (ctx.stop.is_set(), ok) {
        (true, _) => super::interrupted(),
        (false, true) => exit::OK,
        (false, false) => exit::FAILED,
    })
}
