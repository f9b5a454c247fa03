//! The `cachectl` binary: parse flags, build the context, dispatch to `cmd::<name>::run`, map
//! the outcome to an exit code. Everything else lives in the library or in `cmd/`.

mod cli;
mod cmd;
mod render;

use std::process::ExitCode;

use crate::cli::Cli;

// Warming a million rows allocates a few small objects per row (JSON maps, keys, commands);
// glibc's malloc spent a quarter of the client's time on them, mimalloc far less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `CACHECTL_COMPLETE=<shell> cachectl …`: the shell asking for candidates (see
    // `completions`). A variable of our own: clap's default, `COMPLETE`, is generic enough to
    // be set for something else, and would turn any run into a completion that exits 0.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(cmd::COMPLETE_VAR)
        .complete();
    let parsed = cli::command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // One thread: the work is waiting on Redis, and a reply that wakes a task on another
    // thread costs more than the client-side work it would parallelise.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            render::say(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(cmd::exit::FAILED);
        }
    };
    let code = runtime.block_on(cmd::run(cli));
    ExitCode::from(code)
}

/// A command line clap cannot take: said on stderr as clap says it, and, for a script that
/// asked for `-o json`, also as the one JSON document it reads (exit 2 either way).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let asked_json = {
        let args: Vec<String> = std::env::args().collect();
        args.windows(2)
            .any(|w| matches!(w[0].as_str(), "-o" | "--output") && w[1] == "json")
            || args
                .iter()
                .any(|a| a == "--output=json" || a == "-ojson" || a == "-o=json")
    };
    let informational = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
    let _ = e.print();
    if informational {
        return ExitCode::from(e.exit_code() as u8);
    }
    if asked_json {
        let text = e.render().to_string();
        // clap's error up to its usage line, on one line.
        let head = text.split("\n\nUsage:").next().unwrap_or(&text);
        let message = head
            .trim_start_matches("error: ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // The one shape of a failed run's document, `"schema"` first as in every other.
        let error = serde_json::json!({ "message": message, "exit_code": cmd::exit::USAGE });
        // A closed stdout (`| true`) is no reason to panic: the exit code says it all.
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout(),
            "{{\n  \"schema\": {},\n  \"complete\": false,\n  \"error\": {error}\n}}",
            render::json::SCHEMA
        );
    }
    ExitCode::from(cmd::exit::USAGE)
}
