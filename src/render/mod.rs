//! Everything the binary shows: tables and JSON on stdout, progress and prompts on stderr.

pub mod audit;
pub mod backup;
pub mod cells;
pub mod charts;
pub mod doctor;
pub mod get;
pub mod html;
pub mod inspect;
pub mod invalidate;
pub mod json;
pub mod metrics;
pub mod progress;
pub mod prompt;
pub mod set;
pub mod table;
pub mod targets;
pub mod warm;
pub mod watch;

use std::io::{self, IsTerminal, Write};

use crate::cli::Output;

/// How results are shown in this run.
pub struct Renderer {
    pub output: Output,
    /// Something was written to stdout: under `-o json`, the one document.
    pub printed: std::sync::atomic::AtomicBool,
    /// ANSI colour on stdout: only on a terminal, and not with --no-color or $NO_COLOR.
    pub color: bool,
    pub stdout_tty: bool,
    /// Tables with borders: on a terminal, or when `-o table` asked for them; through a pipe
    /// they are plain aligned columns that grep and awk can read.
    pub boxes: bool,
}

impl Renderer {
    pub fn new(output: Output, boxes: bool, no_color: bool) -> Self {
        let stdout_tty = io::stdout().is_terminal();
        let color = stdout_tty && !no_color && std::env::var_os("NO_COLOR").is_none();
        Renderer {
            output,
            printed: std::sync::atomic::AtomicBool::new(false),
            color,
            stdout_tty,
            boxes: boxes || stdout_tty,
        }
    }

    pub fn is_json(&self) -> bool {
        self.output == Output::Json
    }

    /// Tables and notes for people (not JSON, not metrics).
    pub fn is_table(&self) -> bool {
        self.output == Output::Table
    }

    pub fn is_metrics(&self) -> bool {
        self.output == Output::Openmetrics
    }

    /// Write text to stdout.
    pub fn print(&self, text: &str) -> io::Result<()> {
        self.print_bytes(text.as_bytes())
    }

    pub fn print_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        self.printed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match style {
            Style::Good => "32",
            Style::Warn => "33",
            Style::Bad => "31",
            Style::Dim => "2",
            Style::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[derive(Clone, Copy)]
pub enum Style {
    Good,
    Warn,
    Bad,
    Dim,
    Bold,
}

/// A line on stderr, for messages and errors. Never panics (as `eprintln!` does) when stderr
/// is closed too: there is nowhere left to say anything, and the exit code still speaks.
pub fn say(line: &str) {
    progress::suspend(|| {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    });
}
