//! `cachectl doctor`: can cachectl run here?

use cachectl::conn::redact_url;
use cachectl::ops::doctor::{self, DoctorReport};
use serde::Serialize;

use super::{Ctx, connect, exit};
use crate::cli::DoctorArgs;
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
            tls_insecure: t.tls_insecure,
            ok,
            report: report.as_ref(),
            error,
        })?;
    } else {
        let mut out = format!(
            "target       {url}{}{}\n",
            named
                .map(|n| format!(" (named target `{n}`)"))
                .unwrap_or_default(),
            match (tls, t.tls_insecure) {
                (true, true) =>
                    ", TLS WITHOUT CERTIFICATE CHECK (--tls-insecure): anyone on the \
                                 path can pose as the server",
                (true, false) => ", TLS",
                _ => "",
            }
        );
        if let Some(e) = &error {
            out.push_str(&format!("connection   FAILED: {e}\n"));
        }
        if let Some(r) = &report {
            out.push_str(&format!(
                "topology     {} ({})\n",
                r.topology,
                r.masters.join(", ")
            ));
            out.push_str(&format!(
                "server       {}\n",
                r.server.as_deref().unwrap_or("unknown (INFO not allowed)")
            ));
            out.push_str(&format!(
                "user         {}\n",
                r.user
                    .as_deref()
                    .unwrap_or("unknown (ACL WHOAMI not allowed)")
            ));
            out.push_str(&format!(
                "round trip   {:.2} ms median, {:.2} ms at most (10 PINGs)\n",
                r.latency_ms.p50, r.latency_ms.max
            ));
            out.push_str(&format!(
                "memory       maxmemory {}, policy {}\n",
                r.maxmemory_bytes
                    .map_or("unknown".to_string(), |b| b.to_string()),
                r.eviction_policy.as_deref().unwrap_or("unknown")
            ));
            out.push_str(&format!(
                "keyspace     notifications {}\n",
                match r.notifications.as_deref() {
                    Some("") => "off".to_string(),
                    Some(v) => format!("`{v}`"),
                    None => "unknown (CONFIG not allowed)".to_string(),
                }
            ));
            out.push_str(&format!(
                "permissions  ({})\n",
                match (r.checked_by.as_str(), &r.write_probe_key) {
                    ("acl dryrun", _) => "asked with ACL DRYRUN: nothing run".to_string(),
                    (_, Some(own)) => format!(
                        "reads tried on `{}`, writes on the doctor's own `{own}`, then removed",
                        r.probe_key
                    ),
                    _ => format!("reads tried on `{}`; writes not tried", r.probe_key),
                }
            ));
            for p in &r.permissions {
                out.push_str(&format!(
                    "  {} {:<20}{}\n",
                    if p.ok { "ok " } else { "NO " },
                    p.command,
                    if p.missing.is_empty() {
                        String::new()
                    } else {
                        format!(" missing: {}", p.missing.join(", "))
                    }
                ));
            }
            for w in &r.warnings {
                out.push_str(&format!("warning      {w}\n"));
            }
        }
        ctx.out.print(&out)?;
    }
    if let Some(r) = &report {
        for p in &r.problems {
            say(&format!("problem: {p}"));
        }
    }
    Ok(if ok { exit::OK } else { exit::FAILED })
}
