//! One module per subcommand. Each `run(args, &Ctx)` calls the library, renders the result
//! and returns the exit code; this module holds what they share: the context, connecting,
//! signals, and the mapping of errors to exit codes.

pub mod audit;
pub mod backup;
pub mod doctor;
pub mod ended;
pub mod get;
pub mod inspect;
pub mod invalidate;
pub mod keys;
pub mod set;
pub mod targets;
pub mod warm;
pub mod watch;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use cachectl::Error;
use cachectl::conn::named::{self as named, Config, ConfirmPolicy, NamedTarget};
use cachectl::conn::{self, ClusterMode, Target};
use cachectl::guard::{Guards, Policy};
use cachectl::keys::family::Grouping;
use cachectl::keys::glob::Glob;
use cachectl::ops::checkpoint::Checkpoint;
use cachectl::ops::inspect::Grouper;
use cachectl::scan::{BatchSize, MAX_FIXED_COUNT, NodeCursor, Pace};
use cachectl::stop::Stop;
use cachectl::store::Store;

use crate::cli::{self, Cli, Command, GlobalArgs, GroupArgs, PaceArgs};
use crate::render::{Renderer, say};

/// Close a command's backup whatever happened to the command: what was changed before a fault
/// is in it. A command that failed or was refused before its first batch leaves no file.
pub fn close_backup(
    backup: &cachectl::backup::Backup,
    failed: bool,
    restore: &str,
    store: &Store,
) -> anyhow::Result<()> {
    if failed && backup.abandon() {
        return Ok(());
    }
    // The file holds every key the command deleted, whatever stopped it: complete.
    let n = backup.finish(None)?;
    if n == 0 && failed {
        let _ = std::fs::remove_file(backup.path());
    } else {
        say(&format!(
            "backup: {} in {}; to undo, run: {}",
            crate::render::cells::keys(n),
            backup.path().display(),
            undo_command(backup.path(), n, restore, store)
        ));
    }
    Ok(())
}

/// The restore that undoes a backup of `n` keys, as it must be typed to work: the path
/// quoted for a shell, the target named as it was, and a cap that lets all `n` through.
fn undo_command(path: &std::path::Path, n: u64, flags: &str, store: &Store) -> String {
    let cap = (store.policy().max_keys).unwrap_or(cachectl::guard::DEFAULT_MAX_KEYS);
    let mut cmd = format!(
        "cachectl restore {}{flags}",
        shell_word(&path.display().to_string())
    );
    if let Some(target) = &store.policy().origin {
        let name = target.trim_start_matches("target `").trim_end_matches('`');
        cmd.push_str(&format!(" --target {}", shell_word(name)));
    }
    if n > cap {
        cmd.push_str(&format!(" --max-keys {n}"));
    }
    cmd
}

/// A key that was not there, said so; when it looks like a pattern (`user_*`), what was meant
/// is likely the command that takes one, and that is said too: `*` is literal in a key name.
pub fn missing_key(key: &str, with_pattern: &str) -> String {
    let mut line = format!(
        "key `{}` does not exist",
        cachectl::keys::display(key.as_bytes())
    );
    if key.contains(['*', '?', '[']) {
        line.push_str(&format!(
            " (`*`, `?` and `[` are literal in a key name; to match keys by pattern, run: \
             cachectl {with_pattern} {})",
            shell_word(key)
        ));
    }
    line
}

/// `word` as one shell word: bare when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c);
    match !word.is_empty() && word.chars().all(plain) {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

/// `--checkpoint FILE` opened for `command` over `pattern` (and `settings`, what else decides
/// the figures): the checkpoint, and the cursors an earlier run left to go on from.
pub fn open_checkpoint(
    path: Option<&std::path::Path>,
    command: &str,
    store: &Store,
    pattern: &str,
    settings: &str,
    what: &str,
) -> anyhow::Result<(Option<Arc<Checkpoint>>, Vec<NodeCursor>)> {
    let Some(path) = path else {
        return Ok((None, Vec::new()));
    };
    // The database is part of the target: a walk of /0 is no walk of /3.
    let target = format!("{}/{}", store.addr(), store.db());
    let (cp, resume) = Checkpoint::open(path, command, &target, pattern, settings)?;
    if !resume.is_empty() {
        say(&format!(
            "checkpoint: continuing the {what} saved in {}",
            path.display()
        ));
    }
    Ok((Some(Arc::new(cp)), resume))
}

/// After the run: a walk that completed leaves no checkpoint, and neither does a command that
/// failed (or was refused) with nothing to go on from; otherwise the file is kept, and said.
/// `complete`: `None` when the command failed.
pub fn close_checkpoint(
    cp: &Checkpoint,
    complete: Option<bool>,
    resumed: bool,
) -> anyhow::Result<()> {
    match complete {
        Some(true) => cp.remove()?,
        None if !resumed => cp.remove()?,
        _ => {
            cp.save()?;
            say(&format!(
                "checkpoint: {} holds where each master's scan stopped; run the same command \
                 again to continue",
                cp.path().display()
            ));
        }
    }
    Ok(())
}

/// The grouping options, as a checkpoint compares them (`Checkpoint::open`'s settings).
pub fn group_settings(args: &GroupArgs) -> String {
    format!(
        "group-by={:?} family-depth={:?} family={:?} sample={:?}",
        args.group_by,
        args.family_depth,
        args.family.as_ref().map(|r| r.as_str()),
        args.sample
    )
}

/// Exit codes, documented in the README and `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REFUSED: u8 = 3;
    pub const VIOLATIONS: u8 = 4;
    /// 128 + the signal: 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP.
    pub const SIGNALLED: u8 = 128;
}

/// What every command gets.
pub struct Ctx {
    pub global: GlobalArgs,
    /// The named target in use, if any, and the file it came from.
    pub named: Option<Named>,
    pub out: Renderer,
    /// Set by Ctrl-C, SIGTERM or SIGHUP: operations finish or abandon their batch and report.
    pub stop: Stop,
}

/// The signal that asked us to stop, if any (its number).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

pub async fn run(cli: Cli) -> u8 {
    crate::render::progress::VERBOSE.store(cli.global.verbose, Ordering::Relaxed);
    let named = chosen_named(&cli.global);
    let ctx = Ctx {
        out: Renderer::new(
            cli.global.output.unwrap_or(crate::cli::Output::Table),
            cli.global.output == Some(crate::cli::Output::Table),
            cli.global.no_color,
        ),
        named: named.as_ref().ok().cloned().flatten(),
        global: cli.global,
        stop: stop_on_signals(),
    };
    let result = match (cli.command, named) {
        (_, Err(e)) => Err(e),
        (command, Ok(_)) if only_reads(&command) => {
            tokio::select! {
                result = dispatch(command, &ctx) => result,
                () = unheard(&ctx.stop) => Err(anyhow::Error::new(Error::Interrupted).context(
                    "no reply within a second of the signal (the server stalled mid-reply)",
                )),
            }
        }
        (command, Ok(_)) => dispatch(command, &ctx).await,
    };
    finish(result, &ctx)
}

/// Commands that change nothing, on the server or on disk (`doctor` writes only its own key,
/// which expires within a minute): a signal they have not acted on within a second (a reply
/// stalled halfway) ends them, as it ends a prompt. Those that write end by giving up their
/// batch a second after the signal, so that their report says what was done.
fn only_reads(command: &Command) -> bool {
    match command {
        Command::Get(_) | Command::Keys(_) | Command::Inspect(_) | Command::Doctor(_) => true,
        Command::TtlAudit(a) => a.fix_missing_ttl.is_none() && a.spread.is_none(),
        _ => false,
    }
}

/// Resolves a second after a stop was asked for, once nothing is left to put back.
async fn unheard(stop: &Stop) {
    stop.unheeded().await;
    while !stop.still_pending().is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn dispatch(command: Command, ctx: &Ctx) -> anyhow::Result<u8> {
    if ctx.out.is_metrics() && !matches!(command, Command::Inspect(_) | Command::TtlAudit(_)) {
        return Err(Error::Usage(
            "-o openmetrics is for inspect --pattern and ttl-audit (a keyspace's health)".into(),
        )
        .into());
    }
    match command {
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            completion_registration(shell, &mut buf)?;
            ctx.out
                .print_bytes(&buf)
                .map(|()| exit::OK)
                .map_err(Into::into)
        }
        Command::Get(args) => get::run(args, ctx).await,
        Command::Set(args) => set::run(args, ctx).await,
        Command::Keys(args) => keys::run(args, ctx).await,
        Command::Expire(args) => {
            set::run_expire(&args.key, Some(args.ttl), args.dry_run, ctx).await
        }
        Command::Persist(args) => set::run_expire(&args.key, None, args.dry_run, ctx).await,
        Command::Invalidate(args) => invalidate::run(args, ctx).await,
        Command::InvalidatePattern(args) => invalidate::run_patterns(args, ctx).await,
        Command::Warm(args) => warm::run(args, ctx).await,
        Command::Inspect(args) => inspect::run(args, ctx).await,
        Command::TtlAudit(args) => audit::run(args, ctx).await,
        Command::Backup(args) => backup::run_backup(args, ctx).await,
        Command::Restore(args) => backup::run_restore(args, ctx).await,
        Command::Targets { action: None } => targets::run(ctx),
        Command::Targets {
            action: Some(crate::cli::TargetsAction::Use { name }),
        } => targets::use_default(&name, ctx),
        Command::Doctor(args) => doctor::run(args, ctx).await,
        Command::Watch(args) => watch::run(args, ctx).await,
    }
}

/// The variable through which a shell asks cachectl for completions.
pub const COMPLETE_VAR: &str = "CACHECTL_COMPLETE";

/// The shell code that registers cachectl's completer: the shell calls `CACHECTL_COMPLETE=<shell>
/// cachectl …` on TAB, so candidates come from the binary itself (target names read from the
/// config file when asked, flags always those of the installed version).
fn completion_registration(shell: clap_complete::Shell, buf: &mut Vec<u8>) -> io::Result<()> {
    use clap_complete::Shell;
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        Shell::PowerShell => &Powershell,
        other => {
            return Err(io::Error::other(format!(
                "no completion for the {other} shell"
            )));
        }
    };
    completer.write_registration(COMPLETE_VAR, "cachectl", "cachectl", "cachectl", buf)
}

/// The exit code for a command's result; an error is said on stderr (and as the JSON
/// document, when none was printed).
fn finish(result: anyhow::Result<u8>, ctx: &Ctx) -> u8 {
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed stdout (`cachectl … | head`) is a reader that has seen enough.
            if is_broken_pipe(&err) {
                return exit::OK;
            }
            // A bare stop came before the job changed anything: every job reports a stop
            // after its first write itself (counts, prompts and the gate come first).
            let err = match err.downcast_ref::<Error>() {
                Some(Error::Interrupted) if err.chain().count() == 1 => {
                    err.context("stopped before anything was changed")
                }
                _ => err,
            };
            say(&format!("error: {err:#}"));
            let code = exit_code(&err);
            // A script reading `-o json` always gets its one document, also when the run
            // failed before it had a report to print.
            if ctx.out.is_json() && !ctx.out.printed.load(Ordering::Relaxed) {
                let doc = serde_json::json!({
                    "complete": false,
                    "error": { "message": format!("{err:#}"), "exit_code": code },
                });
                let _ = ctx.out.json(&doc);
            }
            code
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `--rdb`: the dumps opened (their headers read, so a file that is not one is refused before
/// anything is counted) and which of their keys to report. No server is touched.
pub fn open_dump(
    dump: &cli::DumpArgs,
    pace: &PaceArgs,
) -> anyhow::Result<Option<(Vec<cachectl::rdb::Rdb>, cachectl::rdb::walk::Scope)>> {
    if dump.rdb.is_empty() {
        return Ok(None);
    }
    if dump.rdb.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage("standard input (`--rdb -`) can be read once".into()).into());
    }
    if pace.scan_replica {
        return Err(Error::Usage(
            "--scan-replica spares a server's primary; --rdb reads no server at all".into(),
        )
        .into());
    }
    if !self::pace(pace).select.is_empty() {
        return Err(Error::Usage(
            "--no-ttl, --ttl-under/over, --idle-over, --freq-under and --larger-than read a live \
             server; with --rdb, select by --type, or read the server itself"
                .into(),
        )
        .into());
    }
    let rdbs = dump
        .rdb
        .iter()
        // A file that is not a dump (or not there) ends its own walk: the others are read.
        .map(|p| cachectl::rdb::Rdb::open_or_failed(p))
        .collect::<Vec<_>>();
    let scope = cachectl::rdb::walk::Scope {
        db: dump.db,
        at_ms: dump.at,
        kind: pace.only_type.map(|t| t.as_str().to_string()),
    };
    Ok(Some((rdbs, scope)))
}

/// Run a report over a dump off the async thread, so that a signal is still heard.
pub async fn from_dump<R: Send + 'static>(
    report: impl FnOnce() -> R + Send + 'static,
) -> anyhow::Result<R> {
    Ok(tokio::task::spawn_blocking(report).await?)
}

pub fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<Error>() {
        Some(Error::Refused(_)) => exit::REFUSED,
        Some(Error::Interrupted | Error::Unconfirmed(_)) => interrupted(),
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

/// The exit code of a run a signal stopped: 128 + its number (130 when none was recorded).
pub fn interrupted() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => exit::SIGNALLED + 2,
        n => exit::SIGNALLED.saturating_add(n as u8),
    }
}

/// Ctrl-C, SIGTERM and SIGHUP ask running operations to stop after their current batch (a
/// prompt or a wait ends at once); a second signal ends the process at once.
fn stop_on_signals() -> Stop {
    use tokio::signal::unix::{SignalKind, signal};
    let stop = Stop::new();
    for (kind, number) in [
        (SignalKind::interrupt(), 2),
        (SignalKind::terminate(), 15),
        (SignalKind::hangup(), 1),
    ] {
        let Ok(mut stream) = signal(kind) else {
            continue;
        };
        let flag = stop.clone();
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                let _ = SIGNAL.compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
                say("\nstopping after the current batch (again to abort)");
                flag.request();
                // A second signal ends the process at once, unless a change on the server is
                // being put back (watch's notification setting): then it waits for that, and
                // only a third leaves it, saying what is left changed.
                let mut warned = false;
                while stream.recv().await.is_some() {
                    let pending = flag.still_pending();
                    if !pending.is_empty() && !warned {
                        say("putting back what this run changed first (again to leave it changed)");
                        warned = true;
                        continue;
                    }
                    crate::render::progress::clear_all();
                    for undo in pending {
                        say(&format!("left changed; to put it back run: {undo}"));
                    }
                    std::process::exit(i32::from(interrupted()));
                }
            }
        });
    }
    stop
}

/// A named target in use, and the config file that names it.
#[derive(Clone, Debug)]
pub struct Named {
    pub name: String,
    pub file: String,
    pub target: NamedTarget,
}

/// The named target this run uses: `--target`/`CACHECTL_TARGET`, or the config's default
/// when no URL is given either.
fn chosen_named(global: &GlobalArgs) -> anyhow::Result<Option<Named>> {
    let Some(path) = named::config_path(global.config.as_deref()) else {
        return Ok(None);
    };
    if global.target.is_none() && global.url.is_some() {
        return Ok(None);
    }
    let config = Config::load(&path, global.config.is_some() || global.target.is_some())?;
    let file = path.display().to_string();
    let name = match (&global.target, &config.default) {
        (Some(name), _) => name.clone(),
        (None, Some(default)) => default.clone(),
        (None, None) => return Ok(None),
    };
    let target = config.get(&name, &file)?.clone();
    Ok(Some(Named { name, file, target }))
}

/// Where to connect and how: flags, then the named target's settings, then `REDIS_URL`, then
/// the local default.
pub fn resolve_target(global: &GlobalArgs, named: Option<&Named>) -> anyhow::Result<Target> {
    let t = named.map(|n| &n.target);
    let url = global
        .url
        .clone()
        .or_else(|| t.map(|t| t.url.clone()))
        .or_else(|| std::env::var("REDIS_URL").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_string());
    let password_env = global
        .password_env
        .clone()
        .or_else(|| t.and_then(|t| t.password_env.clone()));
    let password = match &password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            Error::Usage(format!(
                "--password-env {var}: environment variable {var} is not set"
            ))
        })?),
        None => None,
    };
    let tls = t.and_then(|t| t.tls.as_ref());
    let sentinel_password = match &global.sentinel_password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            Error::Usage(format!(
                "--sentinel-password-env {var}: environment variable {var} is not set"
            ))
        })?),
        None => None,
    };
    Ok(Target {
        policy: policy_of(named)?,
        sentinel_user: global.sentinel_user.clone(),
        sentinel_password,
        url,
        user: global
            .user
            .clone()
            .or_else(|| t.and_then(|t| t.user.clone())),
        password,
        tls_ca: global
            .tls_ca
            .clone()
            .or_else(|| tls.and_then(|s| s.ca.clone())),
        tls_insecure: global.tls_insecure || tls.is_some_and(|s| s.insecure),
        cluster: if global.cluster || t.is_some_and(|t| t.cluster) {
            ClusterMode::Force
        } else {
            ClusterMode::Detect
        },
        timeout: global.timeout,
    })
}

impl Ctx {
    /// The target this run connects to.
    pub fn target(&self) -> anyhow::Result<Target> {
        resolve_target(&self.global, self.named.as_ref())
    }
}

/// The caller's decision for a command that changes keys (`--yes`, `--max-keys`); the
/// target's own rules travel with its store.
pub fn guards(yes: bool, max_keys: Option<u64>) -> Guards {
    Guards { yes, max_keys }
}

/// A named target's rules, for the library's gate.
fn policy_of(named: Option<&Named>) -> anyhow::Result<Policy> {
    let Some(n) = named else {
        return Ok(Policy::default());
    };
    let t = &n.target;
    Ok(Policy {
        origin: Some(format!("target `{}`", n.name)),
        file: Some(n.file.clone()),
        readonly: t.readonly,
        confirm_always: t.confirm == Some(ConfirmPolicy::Always),
        max_keys: t.max_keys,
        protect: t.protect.iter().map(Glob::new).collect(),
    })
}

pub async fn connect(ctx: &Ctx) -> anyhow::Result<Store> {
    unchanged_on_stop(ctx, connect_to_target(ctx)).await
}

/// `work`, which changes nothing on the server, unless a stop came and the server had not
/// answered a second after it: a command that writes hears a stop within a second while it
/// connects, as one that only reads does throughout.
async fn unchanged_on_stop<T>(
    ctx: &Ctx,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    ctx.stop.within_grace(work).await.map_err(|e| match e.downcast_ref() {
        Some(Error::Interrupted) => e.context(
            "the server had not answered a second after the signal (it stalled); nothing was changed",
        ),
        _ => e,
    })
}

async fn connect_to_target(ctx: &Ctx) -> anyhow::Result<Store> {
    let global = &ctx.global;
    let target = ctx.target()?;
    if global.verbose
        && let Some(n) = &ctx.named
    {
        say(&format!("named target: {} (from {})", n.name, n.file));
    }
    if global.verbose {
        say(&format!("target: {}", conn::redact_url(&target.url)));
    }
    let store = target.connect().await?;
    if global.verbose {
        if store.is_cluster() {
            let masters = store.masters().await?;
            let addrs: Vec<&str> = masters.iter().map(|m| m.addr()).collect();
            say(&format!(
                "cluster: {} masters: {}",
                masters.len(),
                addrs.join(", ")
            ));
        } else {
            say(&format!("standalone: {}", store.addr()));
        }
    }
    Ok(store)
}

/// A connection for a command that writes: a read-only target is refused before anything is
/// asked of the server, and a replica given as the target at once, naming its primary, rather
/// than after every retry of a READONLY. (The gate refuses both anyway: this is to say so
/// first.)
pub async fn connect_writer(ctx: &Ctx, what: &str) -> anyhow::Result<Store> {
    cachectl::guard::writable(&ctx.target()?.policy, what)?;
    let store = connect(ctx).await?;
    unchanged_on_stop(ctx, refuse_replica(&store)).await?;
    Ok(store)
}

/// Refuse to write through a replica, naming its primary.
pub async fn refuse_replica(store: &Store) -> anyhow::Result<()> {
    match store.replica_of().await {
        Some(primary) => Err(Error::Usage(format!(
            "{} is a replica of {primary}: writes go to the primary; point --url at {primary}",
            store.addr()
        ))
        .into()),
        None => Ok(()),
    }
}

pub fn pace(args: &PaceArgs) -> Pace {
    Pace {
        batch: match args.count {
            Some(n) if n > MAX_FIXED_COUNT => {
                say(&format!(
                    "--count {n}: capped at {MAX_FIXED_COUNT} (a larger SCAN holds the server \
                     past any latency budget)"
                ));
                BatchSize::Fixed(MAX_FIXED_COUNT)
            }
            Some(n) => BatchSize::Fixed(n),
            None => BatchSize::Adaptive {
                budget: args.budget,
            },
        },
        rate: args.rate,
        retries: args.retries,
        scan_replica: args.scan_replica,
        only_type: args.only_type,
        select: cachectl::scan::select::Select {
            no_ttl: args.no_ttl,
            ttl_under: args.ttl_under,
            ttl_over: args.ttl_over,
            idle_over: args.idle_over,
            freq_under: args.freq_under,
            larger_than: args.larger_than.map(|n| n as u64),
        },
    }
}

pub fn grouper(args: &GroupArgs) -> Grouper {
    Grouper {
        grouping: match args.group_by {
            cli::GroupBy::Prefix => Grouping::Prefix,
            cli::GroupBy::Family => Grouping::Family,
        },
        depth: args.family_depth.map(usize::from),
        regex: args.family.clone(),
    }
}
