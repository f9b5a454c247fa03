//! Confirmation before anything broad, asked only when a person is there to answer. The
//! library decides what needs asking (`cachectl::guard`); this shows the count, the groups and
//! a few keys, and reads the answer.

use std::io::{self, BufRead, IsTerminal, Write};

use cachectl::guard::{Confirm, Proposal, plural};
use cachectl::{Error, Result};
use futures::future::BoxFuture;

/// True when both stdin and stderr are terminals: someone can see a question and answer it.
pub fn interactive() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Groups and sample keys shown per selection.
const SHOWN: usize = 8;

pub struct Prompt {
    interactive: bool,
}

impl Prompt {
    pub fn new() -> Self {
        Prompt {
            interactive: interactive(),
        }
    }
}

impl Confirm for Prompt {
    fn can_ask(&self) -> bool {
        self.interactive
    }

    fn ask<'a>(&'a self, proposal: &'a Proposal) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let text = describe(proposal);
            let expected = proposal.keys.to_string();
            // The answer is read on a thread of its own: a blocked read must not hold the
            // runtime, so that Ctrl-C (the library races this against its stop) ends the wait.
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                let mut err = io::stderr().lock();
                let _ = err.write_all(text.as_bytes());
                let _ = err.flush();
                drop(err);
                let mut answer = String::new();
                let read = io::stdin().lock().read_line(&mut answer).map(|_| answer);
                let _ = tx.send(read);
            });
            let answer = rx
                .await
                .map_err(|_| Error::Refused("no answer".into()))?
                .map_err(|e| Error::Io {
                    context: "reading the answer".into(),
                    error: e,
                })?;
            let answer = answer.trim();
            Ok(if proposal.broad.is_some() {
                answer == expected
            } else {
                matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes")
            })
        })
    }
}

/// What the person decides on: every count exact, groups and a few keys per selection.
pub fn describe(p: &Proposal) -> String {
    if p.uncounted {
        let what: Vec<&str> = p.selections.iter().map(|s| s.what.as_str()).collect();
        return format!(
            "About to {} {}.\nGo ahead? [y/N] ",
            p.action.verb(),
            what.join(", ")
        );
    }
    let mut s = format!(
        "About to {} {} {}:\n",
        p.action.verb(),
        p.keys,
        plural(p.keys, "key", "keys")
    );
    for sel in &p.selections {
        s.push_str(&format!(
            "  {}: {} {}\n",
            sel.what,
            sel.keys,
            plural(sel.keys, "key", "keys")
        ));
        let width = sel
            .groups
            .iter()
            .take(SHOWN)
            .map(|g| g.group.chars().count())
            .max()
            .unwrap_or(0);
        for g in sel.groups.iter().take(SHOWN) {
            s.push_str(&format!("    {:<width$}  {:>10}\n", g.group, g.keys));
        }
        if sel.groups.len() > SHOWN {
            let rest: u64 = sel.groups[SHOWN..].iter().map(|g| g.keys).sum();
            s.push_str(&format!(
                "    … {} more groups, {rest} {}\n",
                sel.groups.len() - SHOWN,
                plural(rest, "key", "keys")
            ));
        }
        if !sel.sample.is_empty() {
            s.push_str(&format!("    e.g. {}\n", sel.sample.join("  ")));
        }
    }
    match &p.broad {
        Some(why) => s.push_str(&format!(
            "This is broad: {why}.\nType the number of keys ({}) to go ahead, anything else to stop: ",
            p.keys
        )),
        None => s.push_str("Go ahead? [y/N] "),
    }
    s
}
