//! Count → guard → confirm, before the first write of any command that deletes or changes
//! keys. The library decides what needs asking and refuses what may not run unasked; the
//! caller only provides a way to ask a person (`Confirm`). A refusal, a "no" or a stop while
//! asking all happen before anything is written, so they change nothing.

use futures::future::BoxFuture;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::sweep::GroupCount;
use crate::stop::Stop;

/// The guards a caller sets (the CLI's `--yes` and `--max-keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guards {
    /// Skip the guards and the question: the caller has decided.
    pub yes: bool,
    /// More keys than this is a broad change: refused unasked, confirmed by typing the count.
    pub max_keys: u64,
    /// Every change is asked (a target with `confirm: always`): refused where no one can
    /// answer, whatever `yes` says.
    pub always_ask: bool,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            yes: false,
            max_keys: 10_000,
            always_ask: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Delete,
    ChangeTtl,
    /// Restore over keys that exist again.
    Overwrite,
    /// Write keys (`set`, `warm`, `restore`).
    Write,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::ChangeTtl => "change the TTL of",
            Action::Overwrite => "overwrite",
            Action::Write => "write",
        }
    }
}

/// One part of a proposal: a pattern's matches, a list of exact keys, a kind of fix.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Selection {
    /// What selected the keys: `pattern user_*`, `keys`, `missing TTL`…
    pub what: String,
    pub keys: u64,
    /// Exact counts per group (first segment, or its shape when there are many).
    pub groups: Vec<GroupCount>,
    /// A few of the keys.
    pub sample: Vec<String>,
    /// The pattern matches every key.
    pub matches_everything: bool,
}

/// What a command is about to do, counted before it does any of it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Proposal {
    pub action: Action,
    pub keys: u64,
    pub selections: Vec<Selection>,
    /// Why this change is broad, when it is: it is then refused unasked, and a person confirms
    /// it by typing the number of keys rather than `y`.
    pub broad: Option<String>,
}

impl Proposal {
    pub fn new(action: Action, selections: Vec<Selection>, guards: &Guards) -> Self {
        let keys = selections.iter().map(|s| s.keys).sum();
        let broad = if let Some(s) = selections.iter().find(|s| s.matches_everything) {
            Some(format!("{} matches every key", s.what))
        } else if keys > guards.max_keys {
            let what = match selections.as_slice() {
                [one] => format!("{} matches", one.what),
                _ => "the command selects".to_string(),
            };
            Some(format!(
                "{what} {keys} {}, more than --max-keys {}",
                plural(keys, "key", "keys"),
                guards.max_keys
            ))
        } else {
            None
        };
        Proposal {
            action,
            keys,
            selections,
            broad,
        }
    }
}

/// A way to ask a person. The binary implements it with a prompt on the terminal.
pub trait Confirm: Send + Sync {
    /// Whether someone is there to answer.
    fn can_ask(&self) -> bool;

    /// Show the proposal and return whether the person agreed. For a broad proposal the
    /// implementation must demand more than a `y` (the CLI asks for the number of keys).
    fn ask<'a>(&'a self, proposal: &'a Proposal) -> BoxFuture<'a, Result<bool>>;
}

/// Nobody to ask: scripts, tests, library callers that decide by `Guards` alone.
pub struct NoOne;

impl Confirm for NoOne {
    fn can_ask(&self) -> bool {
        false
    }

    fn ask<'a>(&'a self, _proposal: &'a Proposal) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async { Ok(false) })
    }
}

/// Decide whether `proposal` may go ahead: `Ok` to proceed, `Refused` (nothing was changed),
/// or `Interrupted` when a stop arrives while a person is being asked.
pub async fn authorise(
    proposal: &Proposal,
    guards: &Guards,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> Result<()> {
    if proposal.keys == 0 || (guards.yes && !guards.always_ask) {
        return Ok(());
    }
    if guards.always_ask && !confirm.can_ask() {
        return Err(Error::Refused(format!(
            "this target asks for a confirmation of every change (confirm: always), and no one \
             is at a terminal to give it: {} {} keys was refused; nothing was changed",
            proposal.action.verb(),
            proposal.keys
        )));
    }
    if confirm.can_ask() {
        let answer = tokio::select! {
            answer = confirm.ask(proposal) => answer?,
            () = stop.wait() => return Err(Error::Interrupted),
        };
        return if answer {
            Ok(())
        } else {
            Err(Error::Refused("not confirmed; nothing was changed".into()))
        };
    }
    match &proposal.broad {
        Some(why) => Err(Error::Refused(format!(
            "{why}; nothing was changed. Pass --yes to {} them anyway{}",
            proposal.action.verb(),
            if why.contains("--max-keys") {
                ", or raise --max-keys"
            } else {
                ""
            }
        ))),
        None => Ok(()),
    }
}

/// `1 key`, `2 keys`.
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(keys: u64, everything: bool) -> Selection {
        Selection {
            what: "pattern `x*`".into(),
            keys,
            groups: Vec::new(),
            sample: Vec::new(),
            matches_everything: everything,
        }
    }

    struct Answer(bool);
    impl Confirm for Answer {
        fn can_ask(&self) -> bool {
            true
        }
        fn ask<'a>(&'a self, _p: &'a Proposal) -> BoxFuture<'a, Result<bool>> {
            let a = self.0;
            Box::pin(async move { Ok(a) })
        }
    }

    struct Never;
    impl Confirm for Never {
        fn can_ask(&self) -> bool {
            true
        }
        fn ask<'a>(&'a self, _p: &'a Proposal) -> BoxFuture<'a, Result<bool>> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn scripts_are_refused_only_when_broad() {
        let g = Guards::default();
        let stop = Stop::new();
        let small = Proposal::new(Action::Delete, vec![selection(10, false)], &g);
        assert!(authorise(&small, &g, &NoOne, &stop).await.is_ok());
        let many = Proposal::new(Action::Delete, vec![selection(10_001, false)], &g);
        assert!(matches!(
            authorise(&many, &g, &NoOne, &stop).await,
            Err(Error::Refused(_))
        ));
        let all = Proposal::new(Action::Delete, vec![selection(3, true)], &g);
        assert!(all.broad.is_some());
        let yes = Guards { yes: true, ..g };
        assert!(authorise(&all, &yes, &NoOne, &stop).await.is_ok());
    }

    #[tokio::test]
    async fn people_decide_and_a_stop_cancels_the_question() {
        let g = Guards::default();
        let stop = Stop::new();
        let p = Proposal::new(Action::Delete, vec![selection(5, false)], &g);
        assert!(authorise(&p, &g, &Answer(true), &stop).await.is_ok());
        assert!(matches!(
            authorise(&p, &g, &Answer(false), &stop).await,
            Err(Error::Refused(_))
        ));
        stop.request();
        assert!(matches!(
            authorise(&p, &g, &Never, &stop).await,
            Err(Error::Interrupted)
        ));
    }
}
