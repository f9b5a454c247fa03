//! Confirmation before anything broad, asked only when a person is there to answer.

use std::io::{self, BufRead, IsTerminal, Write};

/// True when both stdin and stderr are terminals: someone can see a question and answer it.
pub fn interactive() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Ask a yes/no question on stderr; anything but y/yes is no.
pub fn confirm(question: &str) -> io::Result<bool> {
    let mut err = io::stderr().lock();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
