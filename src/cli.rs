//! Command-line definitions. The doc comments are the `--help` text, and `completions/` is
//! generated from these same definitions (a test keeps it current).

use std::path::PathBuf;
use std::time::Duration;

use cachectl::ops::sweep::Show;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

/// Operate Redis-backed application caches: read and write keys, invalidate by key or pattern
/// without blocking Redis, warm, inspect and audit TTLs.
#[derive(Debug, Parser)]
#[command(name = "cachectl", version, max_term_width = 100, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "\
Exit codes:
  0    ok
  1    operational error (connection, missing key, server error)
  2    usage error (bad flag, URL, TTL or template)
  3    refused by a safety guard (nothing was changed)
  130  interrupted (Ctrl-C; the summary says what was done)";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS.
    /// Falls back to $REDIS_URL, then redis://127.0.0.1:6379
    #[arg(
        long,
        global = true,
        env = "CACHECTL_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub url: Option<String>,

    /// ACL user name (overrides the URL's)
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the password from this environment variable (never from a flag value)
    #[arg(long, global = true, value_name = "VAR")]
    pub password_env: Option<String>,

    /// CA certificate (PEM) that signed the server's certificate, for rediss:// URLs
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Accept any TLS certificate and host name (testing only)
    #[arg(long, global = true)]
    pub tls_insecure: bool,

    /// Treat the server as a Redis Cluster without asking it (normally detected)
    #[arg(long, global = true)]
    pub cluster: bool,

    /// Connect and command timeout (e.g. 500ms, 5s)
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Output format: a table for people, one JSON document for scripts
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// Say more on stderr: target, topology, batch sizes
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// No colours, even on a terminal (also honours $NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read keys: type, TTL and value (JSON pretty-printed on a terminal)
    Get(GetArgs),
    /// Write one key with a TTL, atomically (SET ... EX)
    Set(SetArgs),
    /// Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates
    Invalidate(InvalidateArgs),
    /// Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)
    InvalidatePattern(InvalidatePatternArgs),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Keys to read
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,

    /// Print string values exactly as stored, even on a terminal
    #[arg(long)]
    pub raw: bool,

    /// Read at most this many elements of a collection
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub limit: usize,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").args(["value", "file"]).required(true)))]
#[command(group(clap::ArgGroup::new("expiry").args(["ttl", "persist", "keep_ttl"]).required(true)))]
pub struct SetArgs {
    /// Key to write
    pub key: String,

    /// Value to write (or use --file)
    pub value: Option<String>,

    /// Read the value from a file; `-` reads standard input
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)
    #[arg(long, value_name = "TTL")]
    pub ttl: Option<String>,

    /// Write without a TTL. Cache entries without TTL never leave: ask for it explicitly
    #[arg(long)]
    pub persist: bool,

    /// Keep the key's current TTL (SET ... KEEPTTL)
    #[arg(long)]
    pub keep_ttl: bool,

    /// Validate the value as JSON and store it compact
    #[arg(long)]
    pub json: bool,

    /// Only write when the key does not exist
    #[arg(long, conflicts_with = "xx")]
    pub nx: bool,

    /// Only write when the key exists
    #[arg(long)]
    pub xx: bool,

    /// Show what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct InvalidateArgs {
    /// Keys or key templates (`user_profile:{user_id}`, filled from --var)
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,

    /// Key prefix of the cached resource (the decorator's key_prefix): deletes PREFIX:ID
    #[arg(long, value_name = "PREFIX", requires = "id")]
    pub prefix: Option<String>,

    /// Resource id as NAME=VALUE (the decorator's resource_id_name); NAME also becomes a variable
    #[arg(long, value_name = "NAME=VALUE", requires = "prefix")]
    pub id: Option<String>,

    /// Extra key as PREFIX=TEMPLATE, deleting PREFIX:TEMPLATE (the decorator's to_invalidate_extra)
    #[arg(long, value_name = "PREFIX=TEMPLATE")]
    pub extra: Vec<String>,

    /// Template variable as NAME=VALUE
    #[arg(long, value_name = "NAME=VALUE")]
    pub var: Vec<String>,

    /// Glob template swept like invalidate-pattern, taken verbatim (no `*` appended); values
    /// from --var are glob-escaped
    #[arg(long, value_name = "TEMPLATE")]
    pub pattern: Vec<String>,

    #[command(flatten)]
    pub sweep: SweepArgs,
}

#[derive(Debug, Args)]
pub struct InvalidatePatternArgs {
    /// Redis glob patterns: `*`, `?`, `[a-c]`, `[^x]`, `\` escapes
    #[arg(required = true, value_name = "GLOB")]
    pub patterns: Vec<String>,

    #[command(flatten)]
    pub sweep: SweepArgs,
}

/// Flags of the sweep engine, shared by invalidate and invalidate-pattern.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Skip the safety guards and the confirmation prompt
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Count and show what would be deleted; delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Leave keys matching this glob alone (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Never delete keys in this namespace, whatever the pattern; reported as skipped
    /// (repeatable, e.g. 'ratelimit:*' 'arq:*')
    #[arg(long, value_name = "GLOB")]
    pub protect: Vec<String>,

    /// Refuse (without --yes) a pattern matching more keys than this
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_keys: u64,

    /// Fixed SCAN COUNT instead of sizing batches to --budget
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,

    /// Longest the server may spend on one of our round trips (sizes the batches)
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    pub budget: Duration,

    /// Delete at most N keys per second per master
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,

    /// Dry run: how many matched keys to list, or `all`
    #[arg(long, value_name = "N|all", default_value = "10", value_parser = parse_show)]
    pub show: Show,
}

fn parse_show(s: &str) -> Result<Show, String> {
    match s {
        "all" => Ok(Show::All),
        n => n
            .parse()
            .map(Show::First)
            .map_err(|_| "expected a number or `all`".to_string()),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 5s, 1m)"))
}
