//! The `cachectl` binary: parse flags, build the context, dispatch to `cmd::<name>::run`, map
//! the outcome to an exit code. Everything else lives in the library or in `cmd/`.

mod cli;
mod cmd;
mod render;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

// Warming a million rows allocates a few small objects per row (JSON maps, keys, commands);
// glibc's malloc spent a quarter of the client's time on them, mimalloc far less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            render::say(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(cmd::exit::FAILED);
        }
    };
    let code = runtime.block_on(cmd::run(cli));
    ExitCode::from(code)
}
