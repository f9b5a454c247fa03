//! The `cachectl` binary: parse flags, connect, run one library operation, render, exit.

mod cli;
mod render;

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use cachectl::conn::{ClusterMode, Target};
use cachectl::keys::family::Grouping;
use cachectl::keys::glob::Glob;
use cachectl::ops::audit::{self, AuditOptions, FixOptions, FixPlan};
use cachectl::ops::inspect::{self, Grouper, InspectOptions};
use cachectl::ops::invalidate::{self, InvalidateRequest};
use cachectl::ops::policy::Policy;
use cachectl::ops::scan::{BatchSize, Pace};
use cachectl::ops::set::{Condition, SetRequest};
use cachectl::ops::sweep::{self, Guard, Show, SweepOptions, SweepReport};
use cachectl::ops::{get, set};
use cachectl::stop::Stop;
use cachectl::store::Store;
use cachectl::ttl::{self, Ttl};
use cachectl::warm::{self, check, plan::WarmPlan, run::WarmOptions};
use cachectl::{Error, conn};
use clap::{CommandFactory, Parser};
use serde::Serialize;

use crate::cli::{Cli, Command, GlobalArgs, GroupArgs, PaceArgs, SweepArgs};
use crate::render::Renderer;
use crate::render::progress::{Bars, StepBars};
use crate::render::prompt;

// Warming a million rows allocates a few small objects per row (JSON maps, keys, commands);
// glibc's malloc spent a quarter of the client's time on them, mimalloc far less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, documented in the README and `--help`.
mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REFUSED: u8 = 3;
    pub const VIOLATIONS: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the work is waiting on Redis, and a reply that wakes a task on another
    // thread costs more than the client-side work it would parallelise.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    match runtime.block_on(try_main(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed stdout (`cachectl … | head`) is a reader that has seen enough.
            if err.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Error>() {
        Some(Error::Refused(_)) => exit::REFUSED,
        Some(Error::Interrupted) => exit::INTERRUPTED,
        Some(
            Error::Usage(_)
            | Error::Plan(_)
            | Error::BadTtl { .. }
            | Error::Template(_)
            | Error::BadUrl(_),
        ) => exit::USAGE,
        _ => exit::FAILED,
    }
}

async fn try_main(cli: Cli) -> anyhow::Result<u8> {
    let out = Renderer::new(cli.global.output, cli.global.no_color);
    let global = &cli.global;
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "cachectl", &mut io::stdout());
            Ok(exit::OK)
        }
        Command::Get(args) => {
            let store = connect(global).await?;
            let lookups = get::get(&store, &args.keys, args.limit).await?;
            if out.is_json() {
                let docs: Vec<serde_json::Value> = lookups.iter().map(lookup_json).collect();
                out.json_one_or_many(&docs)?;
            } else {
                out.lookups(&lookups, args.raw)?;
            }
            let mut code = exit::OK;
            for l in &lookups {
                if let get::Lookup::Missing(key) = l {
                    eprintln!("error: key `{key}` does not exist");
                    code = exit::FAILED;
                }
            }
            Ok(code)
        }
        Command::Set(args) => {
            let value = match (&args.value, &args.file) {
                (Some(v), _) => v.clone().into_bytes(),
                (None, Some(path)) if path.as_os_str() == "-" => {
                    let mut buf = Vec::new();
                    io::stdin()
                        .read_to_end(&mut buf)
                        .context("reading the value from stdin")?;
                    buf
                }
                (None, Some(path)) => std::fs::read(path)
                    .with_context(|| format!("reading the value from {}", path.display()))?,
                (None, None) => bail!(Error::Usage("give a VALUE or --file".into())),
            };
            let ttl = match (&args.ttl, args.persist, args.keep_ttl) {
                (Some(t), _, _) => Ttl::Seconds(ttl::parse_seconds(t)?),
                (None, true, _) => Ttl::Persist,
                (None, false, _) => Ttl::Keep,
            };
            let condition = match (args.nx, args.xx) {
                (true, _) => Condition::IfMissing,
                (_, true) => Condition::IfExists,
                _ => Condition::Always,
            };
            let store = connect(global).await?;
            let outcome = set::set(
                &store,
                SetRequest {
                    key: args.key,
                    value,
                    ttl,
                    condition,
                    json: args.json,
                    dry_run: args.dry_run,
                },
            )
            .await?;
            if out.is_json() {
                out.json(&outcome)?;
            } else {
                out.set_outcome(&outcome)?;
            }
            let refused = outcome.reason.is_some();
            Ok(if refused { exit::FAILED } else { exit::OK })
        }
        Command::Invalidate(args) => {
            let request = InvalidateRequest {
                keys: args.keys,
                prefix: args.prefix,
                id: args.id.as_deref().map(|s| pair(s, "--id")).transpose()?,
                extras: args
                    .extra
                    .iter()
                    .map(|s| pair(s, "--extra"))
                    .collect::<anyhow::Result<_>>()?,
                patterns: args.pattern,
                vars: args
                    .var
                    .iter()
                    .map(|s| pair(s, "--var"))
                    .collect::<anyhow::Result<BTreeMap<_, _>>>()?,
            };
            let resolved = request.resolve()?;
            if resolved.keys.is_empty() && resolved.patterns.is_empty() {
                bail!(Error::Usage(
                    "nothing to invalidate: give KEYs, --prefix with --id, --extra or --pattern"
                        .into()
                ));
            }
            let store = connect(global).await?;
            let stop = interrupt_on_ctrl_c();
            let deletions =
                invalidate::delete_keys(&store, &resolved.keys, args.sweep.dry_run).await?;
            let sweeps = sweep_patterns(
                &store,
                &resolved.patterns,
                &args.sweep,
                &stop,
                global.verbose,
            )
            .await?;
            #[derive(Serialize)]
            struct Report<'a> {
                keys: &'a [invalidate::KeyDeletion],
                deleted: u64,
                dry_run: bool,
                patterns: &'a [SweepReport],
            }
            let deleted = deletions.iter().filter(|d| d.deleted).count() as u64
                + sweeps.iter().map(|s| s.deleted).sum::<u64>();
            if out.is_json() {
                out.json(&Report {
                    keys: &deletions,
                    deleted,
                    dry_run: args.sweep.dry_run,
                    patterns: &sweeps,
                })?;
            } else {
                out.deletions(&deletions, args.sweep.dry_run)?;
                out.sweeps(&sweeps)?;
            }
            Ok(sweep_exit(&sweeps))
        }
        Command::Warm(args) => {
            let plan = WarmPlan::load(&args.plan)?;
            let vars = args
                .var
                .iter()
                .map(|s| pair(s, "--var"))
                .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
            if args.check {
                let report = check::check(&plan, args.offline, &vars).await?;
                if out.is_json() {
                    out.json(&report)?;
                } else {
                    out.warm_check(&report)?;
                }
                return Ok(if report.ok() { exit::OK } else { exit::FAILED });
            }
            let store = if args.dry_run {
                None
            } else {
                Some(connect(global).await?)
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
            let stop = interrupt_on_ctrl_c();
            let report =
                warm::run::run(&plan, store.as_ref(), &options, &stop, &StepBars::new()).await?;
            if out.is_json() {
                out.json(&report)?;
            } else {
                out.warm_report(&report)?;
            }
            for s in report.steps.iter().filter(|s| s.error.is_some()) {
                eprintln!(
                    "error: step `{}`: {}",
                    s.step,
                    s.error.as_deref().unwrap_or("")
                );
            }
            Ok(if report.interrupted {
                exit::INTERRUPTED
            } else if report.failed() {
                exit::FAILED
            } else {
                exit::OK
            })
        }
        Command::Inspect(args) => {
            let store = connect(global).await?;
            if !args.keys.is_empty() {
                let found = inspect::inspect_keys(&store, &args.keys).await?;
                let details: Vec<_> = found.iter().flatten().cloned().collect();
                if out.is_json() {
                    out.json_one_or_many(&details)?;
                } else {
                    out.key_details(&details)?;
                }
                let mut code = exit::OK;
                for (key, d) in args.keys.iter().zip(&found) {
                    if d.is_none() {
                        eprintln!("error: key `{key}` does not exist");
                        code = exit::FAILED;
                    }
                }
                return Ok(code);
            }
            let pattern = Glob::new(args.pattern.as_deref().unwrap_or("*"));
            let options = InspectOptions {
                grouper: grouper(&args.group)?,
                sample: args.group.sample,
                top: args.top,
                pace: pace(&args.pace),
            };
            let stop = interrupt_on_ctrl_c();
            let report = inspect::inspect_pattern(
                &store,
                &pattern,
                &options,
                &stop,
                &Bars::new("inspected"),
            )
            .await?;
            if out.is_json() {
                out.json(&report)?;
            } else {
                out.inspect_report(&report)?;
            }
            Ok(if report.interrupted {
                exit::INTERRUPTED
            } else {
                exit::OK
            })
        }
        Command::TtlAudit(args) => {
            let policy = args.policy.as_deref().map(Policy::load).transpose()?;
            let fix = FixOptions {
                missing_ttl: args
                    .fix_missing_ttl
                    .as_deref()
                    .map(ttl::parse_seconds)
                    .transpose()?,
                spread: args.spread,
            };
            let options = AuditOptions {
                grouper: grouper(&args.group)?,
                sample: args.group.sample,
                window: args.window,
                policy,
                pace: pace(&args.pace),
            };
            let store = connect(global).await?;
            if args.quick {
                let head = audit::headline(&store).await?;
                if out.is_json() {
                    out.json(&serde_json::json!({ "headline": head }))?;
                } else {
                    out.headline(&head)?;
                }
                return Ok(exit::OK);
            }
            let stop = interrupt_on_ctrl_c();
            let pattern = Glob::new(&args.pattern);
            let report =
                audit::audit(&store, &pattern, &options, &stop, &Bars::new("audited")).await?;
            let charts = match args.charts {
                cli::Charts::Always => true,
                cli::Charts::Never => false,
                cli::Charts::Auto => out.stdout_tty,
            };
            let fixing = fix.missing_ttl.is_some() || fix.spread.is_some();
            let plan = fixing.then(|| FixPlan::from_report(&report, &fix));
            if !out.is_json() {
                out.audit_report(&report, charts)?;
            }
            let mut applied = None;
            if let Some(plan) = &plan {
                if !out.is_json() {
                    out.fix_plan(plan, args.dry_run)?;
                }
                if !args.dry_run && plan.total() > 0 && !report.interrupted {
                    confirm_broad(
                        plan.total(),
                        args.max_keys,
                        args.yes,
                        &format!("Change the TTL of {} keys?", plan.total()),
                    )?;
                    let done = audit::fix(
                        &store,
                        &pattern,
                        &options,
                        &report,
                        &fix,
                        &stop,
                        &Bars::new("fixed"),
                    )
                    .await?;
                    if !out.is_json() {
                        out.fix_report(&done)?;
                    }
                    applied = Some(done);
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
                    remediation: Option<&'a audit::FixReport>,
                }
                out.json(&Doc {
                    report: &report,
                    remediation_plan: plan.as_ref(),
                    remediation: applied.as_ref(),
                })?;
            }
            Ok(
                if report.interrupted || applied.as_ref().is_some_and(|a| a.interrupted) {
                    exit::INTERRUPTED
                } else if report.violations.is_empty() {
                    exit::OK
                } else {
                    exit::VIOLATIONS
                },
            )
        }
        Command::InvalidatePattern(args) => {
            let patterns: Vec<Glob> = args.patterns.iter().map(Glob::new).collect();
            let store = connect(global).await?;
            let stop = interrupt_on_ctrl_c();
            let sweeps =
                sweep_patterns(&store, &patterns, &args.sweep, &stop, global.verbose).await?;
            if out.is_json() {
                out.json_one_or_many(&sweeps)?;
            } else {
                out.sweeps(&sweeps)?;
            }
            Ok(sweep_exit(&sweeps))
        }
    }
}

fn sweep_exit(sweeps: &[SweepReport]) -> u8 {
    if sweeps.iter().any(|s| s.interrupted) {
        exit::INTERRUPTED
    } else {
        exit::OK
    }
}

/// Split `NAME=VALUE`.
fn pair(s: &str, flag: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(anyhow!(Error::Usage(format!(
            "{flag} `{s}`: expected NAME=VALUE"
        )))),
    }
}

fn target(global: &GlobalArgs) -> anyhow::Result<Target> {
    let url = global
        .url
        .clone()
        .or_else(|| std::env::var("REDIS_URL").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_string());
    let password = match &global.password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            Error::Usage(format!(
                "--password-env {var}: environment variable {var} is not set"
            ))
        })?),
        None => None,
    };
    Ok(Target {
        url,
        user: global.user.clone(),
        password,
        tls_ca: global.tls_ca.clone(),
        tls_insecure: global.tls_insecure,
        cluster: if global.cluster {
            ClusterMode::Force
        } else {
            ClusterMode::Detect
        },
        timeout: global.timeout,
    })
}

async fn connect(global: &GlobalArgs) -> anyhow::Result<Store> {
    let target = target(global)?;
    if global.verbose {
        eprintln!("target: {}", conn::redact_url(&target.url));
    }
    let store = target.connect().await?;
    if global.verbose {
        if store.is_cluster() {
            let masters = store.masters().await?;
            let addrs: Vec<&str> = masters.iter().map(|m| m.addr()).collect();
            eprintln!("cluster: {} masters: {}", masters.len(), addrs.join(", "));
        } else {
            eprintln!("standalone: {}", store.addr());
        }
    }
    Ok(store)
}

/// The first Ctrl-C asks running operations to stop after their current batch; a second one
/// ends the process at once.
fn interrupt_on_ctrl_c() -> Stop {
    let stop = Stop::new();
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping after the current batch (Ctrl-C again to abort)");
            flag.request();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        }
    });
    stop
}

fn pace(args: &PaceArgs) -> Pace {
    Pace {
        batch: match args.count {
            Some(n) => BatchSize::Fixed(n),
            None => BatchSize::Adaptive {
                budget: args.budget,
            },
        },
        rate: args.rate,
    }
}

fn grouper(args: &GroupArgs) -> anyhow::Result<Grouper> {
    let regex = match &args.family {
        Some(r) => {
            Some(regex::Regex::new(r).map_err(|e| Error::Usage(format!("--family `{r}`: {e}")))?)
        }
        None => None,
    };
    Ok(Grouper {
        grouping: match args.group_by {
            cli::GroupBy::Prefix => Grouping::Prefix,
            cli::GroupBy::Family => Grouping::Family,
        },
        depth: args.family_depth.map(usize::from),
        regex,
    })
}

/// The guard for anything broad: a person at a terminal confirms `question`; a script needs
/// --yes once more than `max` keys would change.
fn confirm_broad(count: u64, max: u64, yes: bool, question: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if prompt::interactive() {
        if !prompt::confirm(question)? {
            bail!(Error::Refused("not confirmed".into()));
        }
        return Ok(());
    }
    if count > max {
        bail!(Error::Refused(format!(
            "{count} keys would change, more than --max-keys {max}; pass --yes or raise --max-keys"
        )));
    }
    Ok(())
}

fn sweep_options(args: &SweepArgs) -> SweepOptions {
    SweepOptions {
        exclude: args.exclude.iter().map(Glob::new).collect(),
        protect: args.protect.iter().map(Glob::new).collect(),
        pace: pace(&args.pace),
        dry_run: args.dry_run,
        show: args.show,
        resume: Vec::new(),
    }
}

/// Sweep each pattern, after the safety guards. Without --yes a dry scan counts first: a
/// person at a terminal confirms the count; a script is refused when a guard trips.
async fn sweep_patterns(
    store: &Store,
    patterns: &[Glob],
    args: &SweepArgs,
    stop: &Stop,
    verbose: bool,
) -> anyhow::Result<Vec<SweepReport>> {
    let options = sweep_options(args);
    if !args.yes && !options.dry_run {
        let interactive = prompt::interactive();
        let counting = SweepOptions {
            dry_run: true,
            show: Show::First(0),
            ..options.clone()
        };
        for pattern in patterns {
            let count = sweep::sweep(
                store,
                pattern,
                &counting,
                stop,
                &Bars::new("to delete"),
                None,
            )
            .await?;
            if count.interrupted {
                bail!(Error::Interrupted);
            }
            let guard = Guard::check(pattern, Some(count.matched), Some(args.max_keys));
            match (guard, interactive) {
                (Some(g), false) => bail!(Error::Refused(g.explain(pattern))),
                (_, true) if count.matched > 0 => {
                    let q = format!("Delete {} keys matching `{pattern}`?", count.matched);
                    if !prompt::confirm(&q)? {
                        bail!(Error::Refused(format!("`{pattern}`: not confirmed")));
                    }
                }
                _ => {}
            }
        }
    }
    let mut reports = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let report =
            sweep::sweep(store, pattern, &options, stop, &Bars::new("deleted"), None).await?;
        if verbose {
            for c in &report.cursors {
                eprintln!(
                    "{} ({} buckets): {} batches, SCAN COUNT settled at {}, longest batch {:.2} ms of server time, waited {:.0} ms",
                    c.node, c.part, c.batches, c.count, c.max_batch_ms, c.waiting_ms
                );
            }
        }
        let interrupted = report.interrupted;
        reports.push(report);
        if interrupted {
            break;
        }
    }
    Ok(reports)
}

fn lookup_json(l: &get::Lookup) -> serde_json::Value {
    match l {
        get::Lookup::Found(kv) => serde_json::to_value(kv).unwrap_or(serde_json::Value::Null),
        get::Lookup::Missing(key) => {
            serde_json::json!({ "key": key, "type": "none", "ttl": null, "value": null })
        }
    }
}
