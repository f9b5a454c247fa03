//! Command-line definitions. The doc comments are the `--help` text, and `completions/` is
//! generated from these same definitions (a test keeps it current).

use std::path::PathBuf;
use std::time::Duration;

use cachectl::ops::sweep::Show;
use cachectl::scan::KeyType;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::{ArgValueCandidates, CompletionCandidate, Shell};

/// Operate Redis-backed application caches: read and write keys, invalidate by key or pattern
/// without blocking Redis, warm, inspect and audit TTLs, back up and restore.
#[derive(Debug, Parser)]
#[command(name = "cachectl", version, max_term_width = 100, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command takes, said once (in `cachectl --help`): a command's own help
/// lists its own flags and names these in one line.
const SHARED: &str = "\
Connection: -u/--url, --target, --config, --user, --password-env, --tls-ca, --tls-insecure,
  --cluster, --timeout, --sentinel-user, --sentinel-password-env (see `cachectl --help`)
Output: -o/--output table|json|openmetrics, -v/--verbose, --no-color";

/// The command line as parsed and shown: each command's help without the shared flags, which
/// `cachectl --help` lists once (a command's help was 200 lines of mostly those).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // A command that already has an argument is not given the global one (clap propagates
    // only what is missing): each gets a hidden copy, so it still parses everywhere.
    let shared: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |mut sc| {
            for a in &shared {
                sc = sc.arg(a.clone().hide(true));
            }
            let after = sc.get_after_help().map(|h| h.to_string());
            match after {
                Some(h) => sc.after_help(format!("{h}\n\n{SHARED}")),
                None => sc.after_help(SHARED),
            }
        });
    }
    cmd
}

const EXIT_CODES: &str = "\
Exit codes:
  0    ok
  1    operational error (connection, missing key, server error)
  2    usage error (bad flag, URL, TTL or template)
  3    refused by a safety guard or a read-only target (nothing was changed)
  4    ttl-audit found policy violations (still true after the fixes it ran)
  130  interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP); the summary says what was done";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss://
    /// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db].
    /// Falls back to $REDIS_URL, then redis://127.0.0.1:6379
    #[arg(
        help_heading = "Connection",
        long,
        short = 'u',
        global = true,
        value_parser = url_as_typed,
        env = "CACHECTL_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub url: Option<String>,

    /// A named target from the config file (its settings are defaults that flags override)
    #[arg(
        help_heading = "Connection",
        long,
        global = true,
        env = "CACHECTL_TARGET",
        value_name = "NAME",
        hide_env_values = true,
        add = ArgValueCandidates::new(target_names)
    )]
    pub target: Option<String>,

    /// The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)
    #[arg(
        help_heading = "Connection",
        long,
        global = true,
        env = "CACHECTL_CONFIG",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,

    /// ACL user name (overrides the URL's)
    #[arg(help_heading = "Connection", long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the password from this environment variable (never from a flag value)
    #[arg(help_heading = "Connection", long, global = true, value_name = "VAR")]
    pub password_env: Option<String>,

    /// ACL user of the sentinels, for redis+sentinel:// URLs
    #[arg(help_heading = "Connection", long, global = true, value_name = "NAME")]
    pub sentinel_user: Option<String>,

    /// Read the sentinels' password from this environment variable
    #[arg(help_heading = "Connection", long, global = true, value_name = "VAR")]
    pub sentinel_password_env: Option<String>,

    /// CA certificate (PEM) that signed the server's certificate, for rediss:// URLs
    #[arg(help_heading = "Connection", long, global = true, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Accept any TLS certificate and host name (testing only)
    #[arg(help_heading = "Connection", long, global = true)]
    pub tls_insecure: bool,

    /// Treat the server as a Redis Cluster without asking it (normally detected)
    #[arg(help_heading = "Connection", long, global = true)]
    pub cluster: bool,

    /// Connect and command timeout (e.g. 500ms, 5s)
    #[arg(help_heading = "Connection", long, global = true, value_name = "DURATION", default_value = "5s", value_parser = parse_positive_duration)]
    pub timeout: Duration,

    /// Output format: a table for people (boxed on a terminal, plain aligned columns through a
    /// pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]
    #[arg(help_heading = "Output", long, short = 'o', global = true, value_enum)]
    pub output: Option<Output>,

    /// Say more on stderr: target, topology, batch sizes
    #[arg(help_heading = "Output", long, short = 'v', global = true)]
    pub verbose: bool,

    /// No colours, even on a terminal (also honours $NO_COLOR)
    #[arg(help_heading = "Output", long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
    /// OpenMetrics text (inspect and ttl-audit), for node_exporter's textfile collector
    Openmetrics,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read keys: type, TTL and value (JSON pretty-printed on a terminal)
    #[command(
        after_help = "Examples:\n  cachectl get post_cache:42                  # pretty JSON on a terminal, raw when piped
  cachectl get user_profile:7 country:FR -o json | jq '.keys[].ttl_ms'
  cachectl get leaderboard --rev --limit 10   # a sorted set from the top
  cachectl get big_blob --raw > blob.bin      # the whole value, streamed"
    )]
    Get(GetArgs),
    /// Write one key with a TTL, atomically (SET ... EX)
    #[command(
        after_help = "Examples:\n  cachectl set country:FR '{\"code\":\"FR\"}' --ttl 1h --json
  cachectl set feature:flags --file flags.json --ttl 10m
  cachectl set session:abc --keep-ttl --xx new-value"
    )]
    Set(SetArgs),
    /// Give one key a TTL (EXPIRE), through the gate like every write
    #[command(after_help = "Examples:\n  cachectl expire session:abc 30m
  cachectl expire user_profile:7 1h --dry-run      # what it has now, and would have")]
    Expire(ExpireArgs),
    /// Take one key's TTL away (PERSIST): it then never expires
    #[command(after_help = "Examples:\n  cachectl persist feature:flags")]
    Persist(PersistArgs),
    /// Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates
    #[command(after_help = "Examples:\n  cachectl invalidate post_cache:42
  cachectl invalidate --prefix post_cache --id post_id=42 --extra 'user_posts={user_id}' --var user_id=7
  grep -o 'user_profile:[0-9]*' keys.txt | cachectl invalidate - --yes --max-keys 50000")]
    Invalidate(InvalidateArgs),
    /// Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)
    #[command(
        after_help = "Examples:\n  cachectl invalidate-pattern 'user_7_*' --dry-run
  cachectl invalidate-pattern 'leaderboard_*' --yes --backup before.cbk --log sweep.jsonl
  cachectl invalidate-pattern 'session:*' --yes --max-keys 2000000 --checkpoint sweep.cp"
    )]
    InvalidatePattern(InvalidatePatternArgs),
    /// Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become
    /// keys with TTLs
    #[command(after_help = "Examples:\n  cachectl warm examples/demo.yaml --dry-run
  cachectl warm plan.yaml --check             # prepare every query, touch nothing
  cachectl warm plan.yaml --only users --var user_id=7")]
    Warm(WarmArgs),
    /// List the keys matching a glob without blocking Redis (SCAN, every master): one a line
    #[command(after_help = "Examples:\n  cachectl keys 'user_7_*'
  cachectl keys 'session:*' --type hash --count-only
  cachectl keys '*' --exclude 'ratelimit:*' -o json | jq '.keys | length'")]
    Keys(KeysArgs),
    /// Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)
    #[command(
        after_help = "Examples:\n  cachectl inspect post_cache:42              # one key in depth
  cachectl inspect --pattern '*'              # the keyspace by family
  cachectl inspect --rdb dump.rdb -o json     # a dump, no server"
    )]
    Inspect(InspectArgs),
    /// Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely
    ///
    /// Exits 4 when the policy is violated, so CI can gate on it.
    #[command(
        after_help = "Examples:\n  cachectl ttl-audit                          # TTL-less keys, expiry clusters
  cachectl ttl-audit --policy ttl-policy.yaml # exit 4 on violations, for CI
  cachectl ttl-audit 'user_*' --policy p.yaml --fix-missing-ttl 1h --yes

Policy file (YAML): rules, the first that matches a key's name (match: GLOB) or family
(family: \"{s}_profile\", as inspect names families) applies:
  rules:
    - match: \"post_cache:*\"
      ttl: { min: 60, max: 1h }   # TTLs outside are violations
      require_ttl: true           # a key without a TTL is a violation
      max_cluster: 500            # at most 500 keys expiring within one --window
    - match: \"*\"                  # the rest: no rule, no violation"
    )]
    TtlAudit(AuditArgs),
    /// Back up the keys matching a pattern to a file, deleting nothing (DUMP and expiry,
    /// compressed; restore with `cachectl restore`)
    #[command(after_help = "Examples:\n  cachectl backup 'user_*' before-deploy.cbk
  cachectl backup --pattern 'post_cache:*' posts.cbk --rate 20000")]
    Backup(BackupArgs),
    /// Put keys back from a backup file, each with the expiry it had
    #[command(
        after_help = "Examples:\n  cachectl restore before-deploy.cbk --dry-run
  cachectl restore before-deploy.cbk 'user_7_*' --replace"
    )]
    Restore(RestoreArgs),
    /// List the named targets of the config file (no secrets), marking the default; `targets
    /// use NAME` makes NAME the default
    #[command(
        after_help = "Examples:\n  cachectl targets\n  cachectl targets use staging     # as kubectl config use-context"
    )]
    Targets {
        #[command(subcommand)]
        action: Option<TargetsAction>,
    },
    /// Can cachectl run here? Target, topology, server, user, what each command may do,
    /// round trip, memory policy; exit 0 when all is well
    #[command(after_help = "Examples:\n  cachectl doctor
  cachectl --target prod doctor -o json | jq '.permissions[] | select(.ok | not)' ")]
    Doctor(DoctorArgs),
    /// Live churn per key family (sets, deletions, expirations, evictions) from every
    /// master's keyspace notifications, with the hit ratio; one JSON line per interval with -o
    /// json
    #[command(after_help = "Examples:\n  cachectl watch 'post_cache:*'
  cachectl watch --enable-events --duration 1m -o json | jq .hit_ratio")]
    Watch(WatchArgs),
    /// Print the shell code that completes cachectl's commands, flags and target names
    #[command(
        after_help = "Examples:\n  echo 'source <(cachectl completions bash)' >> ~/.bashrc
  cachectl completions zsh > \"${fpath[1]}/_cachectl\"
  cachectl completions fish > ~/.config/fish/completions/cachectl.fish

The code asks cachectl itself for candidates as you type (CACHECTL_COMPLETE=<shell> cachectl …), so
--target <TAB> offers the names in the config file ($CACHECTL_CONFIG, else the default path)."
    )]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum TargetsAction {
    /// Make NAME the config file's default target (its `default:` line)
    Use {
        /// A target the config file names
        #[arg(add = ArgValueCandidates::new(target_names))]
        name: String,
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

    /// Read at most this many elements of a collection (sorted sets from the lowest score)
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub limit: usize,

    /// Sorted sets from the highest score down, as a leaderboard is read
    #[arg(long)]
    pub rev: bool,

    /// Show at most this many bytes of a string value (with --raw the whole value is streamed)
    #[arg(long, default_value = "1MiB", value_name = "SIZE", value_parser = parse_size)]
    pub max_bytes: usize,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").args(["value", "file"]).required(true)))]
#[command(group(clap::ArgGroup::new("expiry").args(["ttl", "persist", "keep_ttl"]).required(true)))]
#[command(
    override_usage = "cachectl set [OPTIONS] <KEY> <VALUE | --file FILE> <--ttl TTL | --persist | --keep-ttl>"
)]
pub struct SetArgs {
    /// Key to write
    pub key: String,

    /// Value to write (or use --file)
    pub value: Option<String>,

    /// Read the value from a file; `-` reads standard input
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)
    #[arg(long, value_name = "TTL", value_parser = parse_ttl)]
    pub ttl: Option<u64>,

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
pub struct KeysArgs {
    /// Redis glob pattern: `*`, `?`, `[a-c]`, `[^x]`, `\` escapes
    #[arg(value_name = "GLOB", default_value = "*")]
    pub pattern: String,

    /// Print only how many keys match
    #[arg(long)]
    pub count_only: bool,

    /// Leave keys matching this glob out (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// Key to give a TTL
    pub key: String,

    /// Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)
    #[arg(value_name = "TTL", value_parser = parse_ttl)]
    pub ttl: u64,

    /// Show the key's TTL now and what it would be; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct PersistArgs {
    /// Key whose TTL to take away
    pub key: String,

    /// Show the key's TTL now; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct InvalidateArgs {
    /// Keys or key templates (`user_profile:{user_id}`, filled from --var); `-` reads keys,
    /// one per line, from standard input
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,

    /// Key prefix of the cached resource (the decorator's key_prefix): deletes PREFIX:ID
    #[arg(long, value_name = "PREFIX", requires = "id")]
    pub prefix: Option<String>,

    /// Resource id as NAME=VALUE (the decorator's resource_id_name); NAME also becomes a variable
    #[arg(long, value_name = "NAME=VALUE", requires = "prefix", value_parser = parse_pair)]
    pub id: Option<(String, String)>,

    /// Extra key as PREFIX=TEMPLATE, deleting PREFIX:TEMPLATE (the decorator's to_invalidate_extra)
    #[arg(long, value_name = "PREFIX=TEMPLATE", value_parser = parse_pair)]
    pub extra: Vec<(String, String)>,

    /// Template variable as NAME=VALUE
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub var: Vec<(String, String)>,

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

    /// The patterns are meant as written: one that names a file here (a glob the shell
    /// expanded, `user_7_*` become `user_7_notes.txt`) or has no wildcard and matches nothing
    /// is not refused under --yes
    #[arg(long)]
    pub literal: bool,

    #[command(flatten)]
    pub sweep: SweepArgs,
}

/// Flags of the sweep engine, shared by invalidate and invalidate-pattern.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Confirm in advance: delete whatever matches, up to --max-keys, without asking. It never
    /// lifts the cap, a read-only target or `confirm: always`. Without it, everything is
    /// counted first: a person at a terminal confirms the count (typing it when the pattern
    /// matches every key or more than --max-keys), and the sweep stops at that count; a script
    /// is refused a broad deletion
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

    /// More keys than this is a broad deletion: refused without --yes off a terminal, confirmed
    /// by typing the count on one [default: the target's max_keys, or 10000]
    #[arg(long, value_name = "N")]
    pub max_keys: Option<u64>,

    /// Dry run: how many matched keys to list, or `all`
    #[arg(long, value_name = "N|all", default_value = "10", value_parser = parse_show)]
    pub show: Show,

    /// Before each batch is deleted, write its keys (DUMP and expiry) to this new file and
    /// flush it to disk; `cachectl restore FILE` puts them back
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,

    /// Append one JSON line per key deleted (key, op, time, node, reason) to this file, `-`
    /// for stderr; flushed batch by batch
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Keep where each master's scan is in this file as the sweep goes; the same command run
    /// again with it continues from there (after Ctrl-C, SIGTERM, a crash or a fault). Removed
    /// when the sweep completes. One pattern only
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch keys matching this glob
    #[arg(value_name = "PATTERN", default_value = "*")]
    pub pattern: String,

    /// How often to report
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_positive_duration)]
    pub interval: Duration,

    /// Stop after this long, and exit 0 [default: until Ctrl-C]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Option<Duration>,

    /// Where keyspace notifications are off, turn on the classes watch needs (CONFIG SET
    /// notify-keyspace-events) and put the old setting back on exit, Ctrl-C included
    #[arg(long)]
    pub enable_events: bool,

    /// Families shown per interval on a terminal (JSON has all)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Try the permissions near this key (an ACL may allow some keys only): the key itself is
    /// never touched; writes are tried with ACL DRYRUN or on a key of the doctor's own
    #[arg(long, value_name = "KEY", default_value = "cachectl:doctor:probe")]
    pub key: String,
}

#[derive(Debug, Args)]
#[command(
    override_usage = "cachectl backup [OPTIONS] <PATTERN> <FILE>\n       cachectl backup [OPTIONS] --pattern <GLOB> <FILE>"
)]
pub struct BackupArgs {
    /// The keys to back up (a glob), then the backup file to create (never overwritten)
    #[arg(value_names = ["PATTERN", "FILE"], num_args = 1..=2, required = true)]
    pub positional: Vec<String>,

    /// Keys to back up (a glob): the same as the first argument
    #[arg(long, short = 'p', value_name = "GLOB")]
    pub pattern: Option<String>,

    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `--backup` or `cachectl backup`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Restore only the keys matching this glob (the same as --pattern)
    #[arg(value_name = "PATTERN", conflicts_with = "pattern")]
    pub glob: Option<String>,

    /// Overwrite keys that exist again (default: leave them and count them). Confirmed like a
    /// broad deletion: counted first, refused off a terminal without --yes
    #[arg(long)]
    pub replace: bool,

    /// Say what would be restored; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Restore only the keys matching this glob
    #[arg(long, short = 'p', value_name = "GLOB")]
    pub pattern: Option<String>,

    /// Confirm in advance, without asking. It never lifts --max-keys, a read-only target or
    /// `confirm: always`
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Append one JSON line per key restored to this file, `-` for stderr
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// More keys than this to overwrite is broad: confirmed by typing the count [default: the
    /// target's max_keys, or 10000]
    #[arg(long, value_name = "N")]
    pub max_keys: Option<u64>,
}

/// How hard a keyspace scan may push the server.
#[derive(Debug, Args)]
pub struct PaceArgs {
    /// Fixed SCAN COUNT instead of sizing batches to --budget
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,

    /// Longest another client should wait behind our requests (sizes the batches)
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_positive_duration)]
    pub budget: Duration,

    /// Act on at most N keys per second per master
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,

    /// Retry a dropped connection, a timeout or a loading/failing-over server this many times
    /// in a row (with backoff, on a new connection) before giving up; each retry is said under
    /// --verbose
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,

    /// SCAN a replica of each master (the one furthest along, once it has caught up with
    /// what the master held at the start) and send only the commands for the keys found to the
    /// master, which then serves none of the scanning
    #[arg(long)]
    pub scan_replica: bool,

    /// Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)
    #[arg(long = "type", value_name = "TYPE", value_parser = key_type(), help_heading = "Select keys")]
    pub only_type: Option<KeyType>,

    /// Only keys without a TTL
    #[arg(long, help_heading = "Select keys")]
    pub no_ttl: bool,

    /// Only keys whose TTL is under DURATION (a key without TTL is neither under nor over)
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, help_heading = "Select keys")]
    pub ttl_under: Option<Duration>,

    /// Only keys whose TTL is over DURATION
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, help_heading = "Select keys")]
    pub ttl_over: Option<Duration>,

    /// Only keys not read or written for longer than DURATION (OBJECT IDLETIME, whole
    /// seconds; not under an LFU maxmemory-policy)
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, help_heading = "Select keys")]
    pub idle_over: Option<Duration>,

    /// Only keys whose access frequency counter is under N (OBJECT FREQ; LFU policies only)
    #[arg(long, value_name = "N", help_heading = "Select keys")]
    pub freq_under: Option<u64>,

    /// Only keys using more than SIZE of memory (MEMORY USAGE: e.g. 1MB, 512KiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Select keys")]
    pub larger_than: Option<usize>,
}

/// The type names the server knows, offered (and completed) as they are.
fn key_type() -> impl clap::builder::TypedValueParser<Value = KeyType> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(KeyType::ALL.map(KeyType::as_str))
        .try_map(|name: String| KeyType::named(&name).ok_or("not a type"))
}

/// How keys are grouped into families, and which keys are looked at.
#[derive(Debug, Args)]
pub struct GroupArgs {
    // clap turns `{n}` in any help text into a line break, so the example has no placeholder.
    /// Group by inferred family (user_7_posts:page_2 with its like: numbers and ids become
    /// placeholders) or by first segment (user_7_posts)
    #[arg(long, value_enum, default_value_t = GroupBy::Family)]
    pub group_by: GroupBy,

    /// Keep only the first N `:`-segments of a family (ratelimit:user:*)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub family_depth: Option<u16>,

    /// Group keys matching this regex by its first capture group (or the whole match)
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub family: Option<regex::Regex>,

    /// Look at this share of keys only (0 < RATE <= 1) and scale the counts
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub sample: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Prefix,
    Family,
}

#[derive(Debug, Args)]
pub struct WarmArgs {
    /// The warm plan (YAML)
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// Validate the plan for CI: schema, sources reachable, templates use real columns
    #[arg(long)]
    pub check: bool,

    /// With --check: do not contact the sources
    #[arg(long, requires = "check")]
    pub offline: bool,

    /// Read every source and show what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Values shown per step in a dry run
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub preview: usize,

    /// Run only this step (repeatable; a parent still reads rows for a selected child)
    #[arg(long, value_name = "STEP")]
    pub only: Vec<String>,

    /// Skip this step and its children (repeatable)
    #[arg(long, value_name = "STEP")]
    pub skip: Vec<String>,

    /// Steps at once, and for_each children per parent (the plan's default otherwise)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,

    /// Stop every step as soon as one fails
    #[arg(long)]
    pub fail_fast: bool,

    /// Template variable as NAME=VALUE (below each row's own fields)
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub var: Vec<(String, String)>,

    /// Compare the cache with the sources, writing nothing: stale, missing and orphaned keys
    /// (exit 4 when there are any), TTLs past the plan's
    #[arg(long, conflicts_with_all = ["check", "dry_run"], help_heading = "Verify")]
    pub verify: bool,

    /// With --verify: write the stale and missing keys again
    #[arg(long, requires = "verify", help_heading = "Verify")]
    pub fix: bool,

    /// With --verify: delete the orphaned keys (counted and confirmed as `invalidate` is)
    #[arg(long, requires = "verify", help_heading = "Verify")]
    pub delete_orphans: bool,

    /// With --delete-orphans: confirm in advance, up to --max-keys
    #[arg(
        long,
        short = 'y',
        requires = "delete_orphans",
        help_heading = "Verify"
    )]
    pub yes: bool,

    /// With --delete-orphans: more orphans than this is a broad deletion [default: the
    /// target's max_keys, or 10000]
    #[arg(
        long,
        value_name = "N",
        requires = "delete_orphans",
        help_heading = "Verify"
    )]
    pub max_keys: Option<u64>,

    /// With --delete-orphans: write the orphans (DUMP and expiry) to this new file before they
    /// are deleted
    #[arg(
        long,
        value_name = "FILE",
        requires = "delete_orphans",
        help_heading = "Verify"
    )]
    pub backup: Option<PathBuf>,

    /// With --delete-orphans: append one JSON line per orphan deleted to this file, `-` for
    /// stderr
    #[arg(
        long,
        value_name = "FILE",
        requires = "delete_orphans",
        help_heading = "Verify"
    )]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Keys to inspect in depth (type, encoding, TTL, memory, idle time, preview)
    #[arg(value_name = "KEY", conflicts_with_all = ["pattern", "rdb"])]
    pub keys: Vec<String>,

    /// With KEYs: read no value, so that nothing touches the keys' idle time even on a server
    /// without CLIENT NO-TOUCH (Redis before 7.2)
    #[arg(long)]
    pub no_preview: bool,

    /// Summarise the keys matching this glob by family instead (the default with no KEY: `*`)
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,

    /// Also write the report as one self-contained HTML page (opens offline in any browser)
    #[arg(long, value_name = "FILE", conflicts_with = "keys")]
    pub html: Option<PathBuf>,

    /// Families shown, largest memory first; the rest are folded into one row
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Also how keys are used: idle time per family (OBJECT IDLETIME, read before anything
    /// touches the key; access frequency under an LFU policy), and how many have been idle
    /// longer than DURATION
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, conflicts_with = "keys")]
    pub cold: Option<Duration>,

    /// List the N hottest keys with their families: the least idle, or the most frequently
    /// used under an LFU policy
    #[arg(long, value_name = "N", conflicts_with = "keys")]
    pub hot: Option<usize>,

    /// Keep where each master's scan is, and the figures so far, in this file as the
    /// inspection goes; the same command run again with it continues from there and reports
    /// the whole keyspace. Removed when the inspection completes
    #[arg(long, value_name = "FILE", conflicts_with_all = ["keys", "rdb"])]
    pub checkpoint: Option<PathBuf>,

    #[command(flatten)]
    pub dump: DumpArgs,

    #[command(flatten)]
    pub group: GroupArgs,

    #[command(flatten)]
    pub pace: PaceArgs,
}

/// Reading a dump instead of a server (`inspect`, `ttl-audit`).
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Read this dump (an RDB file, `-` for standard input) instead of a server: the same
    /// report, with no load on any server. Repeat it for a cluster's masters' dumps: one
    /// report of them all
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append)]
    pub rdb: Vec<PathBuf>,

    /// With --rdb: TTLs as of this time (RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`)
    /// rather than when the dump was written
    #[arg(long, value_name = "TIME", requires = "rdb", value_parser = parse_time)]
    pub at: Option<i64>,

    /// With --rdb: only this database's keys [default: every database in the dump]
    #[arg(long, value_name = "N", requires = "rdb")]
    pub db: Option<u32>,
}

/// A moment as milliseconds since the epoch: RFC 3339, or `now`.
fn parse_time(s: &str) -> Result<i64, String> {
    if s == "now" {
        return Ok(chrono::Utc::now().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("{e} (expected RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`)"))
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit the keys matching this glob [default: *]
    #[arg(value_name = "PATTERN", conflicts_with = "pattern")]
    pub glob: Option<String>,

    /// The same as the PATTERN argument
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,

    /// Also write the report as one self-contained HTML page (opens offline in any browser)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Stop after the server's own counts (INFO keyspace): no scan, so no policy check
    #[arg(long, conflicts_with_all = ["policy", "fix_missing_ttl", "spread", "rdb"])]
    pub quick: bool,

    /// Policy file (YAML): rules by glob or family with ttl min/max, require_ttl, max_cluster
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Keys expiring within this window count as one expiry cluster
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_positive_duration)]
    pub window: Duration,

    /// Give keys without TTL this TTL (plus up to 10% at random, so they do not all expire
    /// together), where their policy rule requires one (EXPIRE ... NX)
    #[arg(long, value_name = "DURATION", requires = "policy", conflicts_with = "rdb", value_parser = parse_ttl)]
    pub fix_missing_ttl: Option<u64>,

    /// Spread expiry clusters that break a rule's max_cluster: push each key's expiry later by
    /// up to PERCENT of its TTL (PEXPIRE ... GT, never shorter)
    #[arg(long, value_name = "PERCENT", requires = "policy", conflicts_with = "rdb", value_parser = parse_percent)]
    pub spread: Option<f64>,

    /// With --fix-missing-ttl/--spread: count what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// With --fix-missing-ttl/--spread: confirm in advance, without asking. It never lifts
    /// --max-keys, a read-only target or `confirm: always`
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// More keys than this is a broad remediation: refused without --yes off a terminal,
    /// confirmed by typing the count on one [default: the target's max_keys, or 10000]
    #[arg(long, value_name = "N")]
    pub max_keys: Option<u64>,

    /// Terminal charts: histogram and timeline bars (default: on a terminal)
    #[arg(long, value_enum, default_value_t = Charts::Auto)]
    pub charts: Charts,

    /// Rows of the TTL histogram chart at most (neighbouring buckets share a row); JSON always
    /// has every bucket
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub histogram_rows: u16,

    /// With --fix-missing-ttl/--spread: before each batch's TTLs change, write its keys to
    /// this new file (restore with `cachectl restore FILE --replace`)
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,

    /// With --fix-missing-ttl/--spread: append one JSON line per key changed to this file,
    /// `-` for stderr
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Keep where each master's scan is, and the figures so far, in this file as the audit
    /// goes; the same command run again with it continues from there and reports the whole
    /// keyspace. Removed when the audit completes (fixes are planned from the whole audit)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["quick", "rdb"])]
    pub checkpoint: Option<PathBuf>,

    #[command(flatten)]
    pub dump: DumpArgs,

    #[command(flatten)]
    pub group: GroupArgs,

    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Charts {
    Auto,
    Always,
    Never,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 1.0 => Ok(r),
        _ => Err("expected a share above 0 and at most 1, e.g. 0.1".into()),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p / 100.0),
        _ => Err("expected a percentage above 0 and at most 100, e.g. 10 or 10%".into()),
    }
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

/// A duration above zero: a zero timeout fails every command at once, a zero budget or window
/// means nothing.
fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    cachectl::ttl::parse_duration(s)
}

/// A size in bytes: `65536`, `64KiB`, `1MiB`, `1GiB` (K, M, G and kB, MB, GB mean the same
/// powers of 1024: sizes here are buffers, not disks).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: a number of bytes, e.g. 65536, 64KiB, 1MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown unit (use B, KiB, MiB or GiB)")),
    };
    n.checked_mul(scale)
        .and_then(|b| usize::try_from(b).ok())
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("`{s}`: must be more than 0 and fit in memory"))
}

/// `--url`: `host:port` as redis-cli users type it becomes a URL. Never an error here: clap
/// would print the value, password and all; the connection says what is wrong, redacted.
fn url_as_typed(s: &str) -> Result<String, std::convert::Infallible> {
    Ok(cachectl::conn::normalise_url(s))
}

/// A TTL in whole seconds (`3600`, `30m`, `1h30m`).
fn parse_ttl(s: &str) -> Result<u64, String> {
    cachectl::ttl::parse_seconds(s).map_err(|e| match e {
        cachectl::Error::BadTtl { reason, .. } => reason,
        other => other.to_string(),
    })
}

/// `NAME=VALUE`, split at the first `=`.
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

fn parse_regex(s: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|e| e.to_string())
}

impl BackupArgs {
    /// The pattern and the file, from `PATTERN FILE` or `--pattern GLOB FILE`.
    pub fn pattern_and_file(&self) -> Result<(String, PathBuf), String> {
        match (&self.pattern, self.positional.as_slice()) {
            (Some(p), [file]) => Ok((p.clone(), PathBuf::from(file))),
            (None, [p, file]) => Ok((p.clone(), PathBuf::from(file))),
            (Some(_), [_, _]) => Err(
                "the pattern is given twice (as an argument and as --pattern): give it once".into(),
            ),
            _ => Err(
                "which keys? give a pattern and a file: cachectl backup 'post_cache:*' FILE".into(),
            ),
        }
    }
}

impl AuditArgs {
    /// The pattern audited: the argument, or --pattern, or every key.
    pub fn glob(&self) -> &str {
        self.glob
            .as_deref()
            .or(self.pattern.as_deref())
            .unwrap_or("*")
    }
}

impl RestoreArgs {
    /// The keys restored, when not all: the argument or --pattern.
    pub fn only(&self) -> Option<&str> {
        self.glob.as_deref().or(self.pattern.as_deref())
    }
}

/// The named targets of the config file, for `--target <TAB>` and `targets use <TAB>`. The
/// completer cannot see the rest of the line, so `--config` there is not read: the file is
/// `$CACHECTL_CONFIG`, else the default path. An unreadable file offers nothing.
fn target_names() -> Vec<CompletionCandidate> {
    let explicit = std::env::var_os("CACHECTL_CONFIG").map(std::path::PathBuf::from);
    let Some(path) = cachectl::conn::named::config_path(explicit.as_deref()) else {
        return Vec::new();
    };
    match cachectl::conn::named::Config::load(&path, false) {
        Ok(config) => config
            .target_names()
            .map(CompletionCandidate::new)
            .collect(),
        Err(_) => Vec::new(),
    }
}
