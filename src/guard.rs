//! The one gate for every write. A `Store` carries its target's `Policy` (read-only, confirm
//! always, a key cap, protected namespaces); an operation counts what it is about to change
//! into a `Proposal`, and `authorise` weighs it against the policy and the caller's `Guards`
//! (`--yes`, `--max-keys`), asking a person through `Confirm` where one is there. Only
//! `authorise` makes a `Permit`, and the store sends no command that changes the server
//! without one (`Store::write*`; every other path refuses such a command). A refusal, a "no"
//! or a stop while asking all happen before anything is written, so they change nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::stop::Stop;

/// The cap when neither the command line nor the target sets one.
pub const DEFAULT_MAX_KEYS: u64 = 10_000;

/// A share of the keyspace at or above which a selection counts as "everything" (90 %): a
/// pattern is judged by what it matched, not by how it is spelt.
const EVERYTHING_PERCENT: u64 = 90;

/// A target's standing rules: they travel with every `Store` opened for it, so that every
/// command and every library caller meets them. A target given by URL alone has the default,
/// permissive policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    /// Whose rules these are, for messages: ``target `prod` ``.
    pub origin: Option<String>,
    /// The file they were read from.
    pub file: Option<String>,
    /// No command that changes the server is sent at all.
    pub readonly: bool,
    /// Every change is confirmed by a person at a terminal, whatever `--yes` says; refused
    /// where no one can answer.
    pub confirm_always: bool,
    /// The cap on keys one command changes, unless the command line gives its own.
    pub max_keys: Option<u64>,
    /// Namespaces never deleted, by pattern or by exact key.
    pub protect: Vec<Glob>,
}

impl Policy {
    fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or("this target")
    }

    /// What a read-only target means, for reports that are not refusals (`doctor`).
    pub fn readonly_note(&self) -> Option<String> {
        self.readonly.then(|| {
            format!(
                "{} is read-only ({}): cachectl refuses every write there, whatever the server \
                 would allow",
                self.origin(),
                self.setting("readonly: true")
            )
        })
    }

    /// `readonly: true in FILE`, naming the file when there is one.
    fn setting(&self, what: &str) -> String {
        match &self.file {
            Some(f) => format!("{what} in {f}"),
            None => what.to_string(),
        }
    }
}

/// What the caller decided for this one command (the CLI's `--yes` and `--max-keys`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guards {
    /// Skip the question: the caller has decided. It never lifts the cap, read-only or
    /// `confirm: always`.
    pub yes: bool,
    /// The cap for this command; a larger one than the target's is how to go past it.
    pub max_keys: Option<u64>,
}

impl Guards {
    /// The cap in force: the command line's, else the target's, else the default.
    pub fn cap(&self, policy: &Policy) -> u64 {
        self.max_keys
            .or(policy.max_keys)
            .unwrap_or(DEFAULT_MAX_KEYS)
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
    /// Change a server setting (`CONFIG SET`).
    Configure,
    /// Write and remove a key of the tool's own, under a unique name (`doctor`).
    Probe,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::ChangeTtl => "change the TTL of",
            Action::Overwrite => "overwrite",
            Action::Write => "write",
            Action::Configure => "change the setting on",
            Action::Probe => "write a probe key to",
        }
    }

    /// Whether a person at a terminal is asked even when nothing else calls for it: changes
    /// that destroy or replace what is there. Plain writes (`set`, `warm`) are asked only
    /// under `confirm: always`.
    fn asks(self) -> bool {
        matches!(self, Action::Delete | Action::ChangeTtl | Action::Overwrite)
    }

    fn unit(self, n: u64) -> &'static str {
        match self {
            Action::Configure => plural(n, "server", "servers"),
            _ => plural(n, "key", "keys"),
        }
    }
}

/// Matched keys of one first segment (`post_cache`, `ratelimit`…), or of one segment shape
/// (`user_{n}_posts`) when there are many distinct segments.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GroupCount {
    pub group: String,
    pub keys: u64,
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
    /// The selection is (nearly) the whole keyspace: by its count against DBSIZE, or a
    /// pattern with no literal part at all.
    pub matches_everything: bool,
    /// The keyspace the count was measured against (0: not measured), so that several
    /// patterns are judged as their union.
    #[serde(skip)]
    pub keyspace: u64,
    /// Keys the write will send: the count, or for keys named one by one, every name (a
    /// named key that appears after the count is still what the person asked for).
    #[serde(skip)]
    pub sends: u64,
    /// The pattern that selected the keys, when one did: a permit covers only these.
    #[serde(skip)]
    pub pattern: Option<String>,
}

impl Selection {
    /// A selection of `keys` out of a keyspace of `keyspace` keys (0: not measured):
    /// "everything" when it is at least 90 % of it, or when `everything` says so already.
    pub fn of(what: String, keys: u64, keyspace: u64, everything: bool) -> Self {
        let share = keys.saturating_mul(100) >= keyspace.saturating_mul(EVERYTHING_PERCENT);
        Selection {
            what,
            keys,
            groups: Vec::new(),
            sample: Vec::new(),
            matches_everything: everything || (keyspace > 0 && keys > 0 && share),
            keyspace,
            sends: keys,
            pattern: None,
        }
    }

    /// A pattern's matches: `pattern `P`` with the pattern kept for the permit.
    pub fn of_pattern(pattern: &Glob, keys: u64, keyspace: u64) -> Self {
        Selection {
            pattern: Some(pattern.to_string()),
            ..Selection::of(
                format!("pattern `{pattern}`"),
                keys,
                keyspace,
                pattern.matches_everything(),
            )
        }
    }
}

/// What a command is about to do, counted before it does any of it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Proposal {
    pub action: Action,
    pub keys: u64,
    pub selections: Vec<Selection>,
    /// Why this change is broad, when it is (set by `authorise`): a person confirms it by
    /// typing the number of keys rather than `y`, and a script is refused it.
    pub broad: Option<String>,
    /// The keys cannot be counted before the job runs (a warm plan's rows): `keys` means
    /// nothing, and no cap applies; read-only and `confirm: always` still do.
    pub uncounted: bool,
    /// The database the keys are in: the permit holds only there.
    #[serde(skip)]
    pub db: Option<i64>,
}

impl Proposal {
    pub fn new(action: Action, selections: Vec<Selection>) -> Self {
        let keys = selections.iter().map(|s| s.keys).sum();
        Proposal {
            action,
            keys,
            selections,
            broad: None,
            uncounted: false,
            db: None,
        }
    }

    /// The same proposal, for the keys of database `db`.
    pub fn in_db(self, db: i64) -> Self {
        Proposal {
            db: Some(db),
            ..self
        }
    }

    /// Keys the write sends if it does what was counted.
    fn sends(&self) -> u64 {
        (self.selections.iter()).fold(0u64, |n, s| n.saturating_add(s.sends.max(s.keys)))
    }

    /// The patterns' matches taken together (they were counted without overlap) against the
    /// keyspace, when measured: several patterns that each match half select everything.
    fn union_is_everything(&self) -> bool {
        let patterns = || self.selections.iter().filter(|s| s.pattern.is_some());
        let keyspace = patterns().map(|s| s.keyspace).max().unwrap_or(0);
        let keys = patterns().fold(0u64, |n, s| n.saturating_add(s.keys));
        patterns().count() > 1
            && keyspace > 0
            && keys > 0
            && keys.saturating_mul(100) >= keyspace.saturating_mul(EVERYTHING_PERCENT)
    }

    /// A change whose size is known only as it runs, described by `what`.
    pub fn uncounted(action: Action, what: String) -> Self {
        Proposal {
            uncounted: true,
            ..Proposal::new(action, vec![Selection::of(what, 0, 0, false)])
        }
    }

    fn what(&self) -> String {
        match self.selections.as_slice() {
            [one] => format!("{} matches", one.what),
            _ => "the command selects".to_string(),
        }
    }
}

/// Leave to change the server, as far as a proposal said: only `authorise` makes one, so an
/// operation that skipped the gate has none to hand to `Store::write*`. A copy is the same
/// leave, for the connections of one job: they share one key budget.
#[derive(Clone, Debug)]
pub struct Permit {
    action: Action,
    keys: u64,
    /// The rules it was judged under: a write goes only to a target with these rules, so a
    /// permit made under another policy (say, a permissive default) opens nothing.
    policy: Arc<Policy>,
    /// The database it was given for, when the proposal named one.
    db: Option<i64>,
    /// The patterns whose matches were approved: a sweep of any other is refused.
    patterns: Arc<Vec<String>>,
    budget: Arc<Budget>,
}

/// How many keys a permit lets a job send, and how many it has sent: the approved count
/// (what a person saw, or what was counted when nobody was asked), or with `--yes` the cap
/// (`--yes` accepts whatever matches within it). Keys that appear while a job runs never
/// pass it: the job stops there and says what it left.
#[derive(Debug, Default)]
struct Budget {
    /// `None`: the proposal could not be counted (a warm plan), and no key cap applies.
    limit: Option<u64>,
    spent: AtomicU64,
    /// Keys asked for past the limit (and not sent).
    refused: AtomicU64,
}

impl Permit {
    /// Whether this permit holds for a connection under `policy`; the write is refused
    /// unsent when it does not.
    pub(crate) fn holds_under(&self, policy: &Policy, verb: &str) -> Result<()> {
        match *self.policy == *policy {
            true => Ok(()),
            false => Err(Error::Unpermitted(format!(
                "{verb} (its permit was given under other rules than {}'s)",
                policy.origin()
            ))),
        }
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// How many keys (or servers) the permit was given for.
    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// The most keys the permit lets the job send (`None`: no key budget, for a job that
    /// could not be counted).
    pub fn budget(&self) -> Option<u64> {
        self.budget.limit
    }

    /// Take up to `want` keys from the budget, for one batch about to be sent: how many may
    /// go. Called once per batch (a batch sent again after a lost reply has spent already);
    /// what is refused is counted, and ends every walk under this permit (`exhausted`).
    pub fn spend(&self, want: u64) -> u64 {
        let Some(limit) = self.budget.limit else {
            self.budget.spent.fetch_add(want, Ordering::Relaxed);
            return want;
        };
        let mut granted = 0;
        let _ = (self.budget.spent).fetch_update(Ordering::AcqRel, Ordering::Acquire, |spent| {
            granted = want.min(limit.saturating_sub(spent));
            Some(spent + granted)
        });
        if granted < want {
            (self.budget.refused).fetch_add(want - granted, Ordering::Relaxed);
        }
        granted
    }

    /// Keys sent under this permit so far.
    pub fn spent(&self) -> u64 {
        self.budget.spent.load(Ordering::Acquire)
    }

    /// Keys a job asked to send past the budget, which were left alone.
    pub fn refused(&self) -> u64 {
        self.budget.refused.load(Ordering::Acquire)
    }

    /// The budget turned keys away: every walk under this permit ends.
    pub fn exhausted(&self) -> bool {
        self.refused() > 0
    }

    /// Whether the permit covers a sweep of `pattern`.
    pub fn covers(&self, pattern: &Glob) -> bool {
        let p = pattern.to_string();
        self.patterns.contains(&p)
    }

    /// Whether the permit holds in database `db`.
    pub(crate) fn holds_in(&self, db: i64) -> Result<()> {
        match self.db {
            Some(d) if d != db => Err(Error::Unpermitted(format!(
                "a write to database {db} (its permit was given for database {d})"
            ))),
            _ => Ok(()),
        }
    }

    /// Why a job stopped at the budget, for its report.
    pub fn exhausted_note(&self) -> Option<String> {
        let limit = self.budget.limit?;
        self.exhausted().then(|| {
            format!(
                "stopped at the approved budget of {limit} {}: {} more matched while the job                  ran (they appeared after the count) and were left alone; count again and                  confirm, or raise --max-keys, to go on",
                plural(limit, "key", "keys"),
                self.refused()
            )
        })
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

/// Refuse at once on a read-only target: for commands that would write before they can
/// count (nothing is asked of the server first).
pub fn writable(policy: &Policy, what: &str) -> Result<()> {
    if policy.readonly {
        return Err(Error::Refused(format!(
            "{} is read-only ({}): {what} was refused; nothing was changed",
            policy.origin(),
            policy.setting("readonly: true"),
        )));
    }
    Ok(())
}

/// Decide whether `proposal` may go ahead under a target's `policy` (`Store::policy`), and
/// hand out the permit for it. In
/// order: a read-only target refuses; a proposal over the cap is refused whatever `--yes`
/// says (a person at a terminal may type the count instead); `confirm: always` asks a person
/// or refuses; `--yes` decides; a person is asked; a script is refused what is broad (the
/// cap, or the whole keyspace) and let through the rest. A refusal is `Refused` (nothing was
/// changed); a stop while asking is `Interrupted`.
pub async fn authorise(
    policy: &Policy,
    mut proposal: Proposal,
    guards: &Guards,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> Result<Permit> {
    // A stop asked for before the first write (while the server was slow to count, or to
    // connect) ends the job with nothing changed: no permit is issued after it.
    if stop.is_set() {
        return Err(Error::Interrupted);
    }
    let verdict = judge(policy, &mut proposal, guards, confirm.can_ask())?;
    let sends = proposal.sends();
    // What a person saw is what they approved; `--yes` accepts whatever matches within the
    // cap; without either, what was counted.
    let limit = match (&verdict, proposal.uncounted) {
        (_, true) => None,
        (Verdict::Go, false) if guards.yes && !policy.confirm_always => {
            Some(guards.cap(policy).max(sends))
        }
        _ => Some(sends),
    };
    let permit = Permit {
        action: proposal.action,
        keys: proposal.keys,
        policy: Arc::new(policy.clone()),
        db: proposal.db,
        patterns: Arc::new(
            (proposal.selections.iter())
                .filter_map(|s| s.pattern.clone())
                .collect(),
        ),
        budget: Arc::new(Budget {
            limit,
            ..Budget::default()
        }),
    };
    match verdict {
        Verdict::Go => Ok(permit),
        Verdict::Ask => {
            let answer = tokio::select! {
                answer = confirm.ask(&proposal) => answer?,
                () = stop.wait() => return Err(Error::Interrupted),
            };
            if answer {
                Ok(permit)
            } else {
                Err(Error::Refused("not confirmed; nothing was changed".into()))
            }
        }
    }
}

/// Refuse a command, given as its verb and first argument, that is not known to only read:
/// what changes the server needs a `Permit` (`Store::write*`, `Raw::write`). An allowlist, so
/// that a command nobody thought of needs a permit too.
pub(crate) fn only_reads(verb: &[u8], sub: &[u8]) -> Result<()> {
    let (verb, sub) = (verb.to_ascii_uppercase(), sub.to_ascii_uppercase());
    let reads = match verb.as_slice() {
        b"GET" | b"GETRANGE" | b"STRLEN" | b"TYPE" | b"TTL" | b"PTTL" | b"EXPIRETIME"
        | b"PEXPIRETIME" | b"EXISTS" | b"DUMP" | b"SCAN" | b"HSCAN" | b"SSCAN" | b"ZSCAN"
        | b"HLEN" | b"SCARD" | b"ZCARD" | b"LLEN" | b"XLEN" | b"LRANGE" | b"ZRANGE"
        | b"ZREVRANGE" | b"XRANGE" | b"XREVRANGE" | b"HGET" | b"HTTL" | b"HPTTL" | b"DBSIZE"
        | b"INFO" | b"PING" | b"TIME" | b"ROLE" | b"ECHO" | b"LASTSAVE" | b"AUTH" | b"SELECT"
        | b"HELLO" => true,
        b"CONFIG" => sub == b"GET",
        b"CLIENT" => matches!(sub.as_slice(), b"ID" | b"NO-TOUCH" | b"INFO" | b"GETNAME"),
        b"ACL" => matches!(sub.as_slice(), b"WHOAMI" | b"DRYRUN" | b"GETUSER" | b"CAT"),
        b"CLUSTER" => matches!(
            sub.as_slice(),
            b"INFO" | b"NODES" | b"SLOTS" | b"SHARDS" | b"KEYSLOT" | b"MYID"
        ),
        b"MEMORY" => matches!(sub.as_slice(), b"USAGE" | b"STATS"),
        b"OBJECT" | b"COMMAND" | b"XINFO" => true,
        _ => false,
    };
    match reads {
        true => Ok(()),
        false => Err(Error::Unpermitted(
            String::from_utf8_lossy(&verb).into_owned(),
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Go,
    Ask,
}

/// `authorise`'s decision, before anyone is asked; sets the proposal's `broad`.
fn judge(
    policy: &Policy,
    proposal: &mut Proposal,
    guards: &Guards,
    can_ask: bool,
) -> Result<Verdict> {
    let verb = proposal.action.verb();
    let (n, unit) = (proposal.keys, proposal.action.unit(proposal.keys));
    if policy.readonly {
        return Err(Error::Refused(format!(
            "{} is read-only ({}): to {verb} {n} {unit} was refused; nothing was changed",
            policy.origin(),
            policy.setting("readonly: true"),
        )));
    }
    // Nothing to approve: the permit's budget is then nothing, so keys that appear while
    // the job runs are left alone, also under `confirm: always`.
    if n == 0 && !proposal.uncounted {
        return Ok(Verdict::Go);
    }
    let cap = guards.cap(policy);
    let over_cap = n > cap && !proposal.uncounted;
    proposal.broad = if over_cap {
        Some(format!(
            "{} {n} {unit}, more than --max-keys {cap}",
            proposal.what()
        ))
    } else if proposal.union_is_everything() {
        Some(format!(
            "the patterns together match every key, or nearly ({n} {unit})"
        ))
    } else {
        proposal
            .selections
            .iter()
            .find(|s| s.matches_everything)
            .map(|s| format!("{} matches every key, or nearly", s.what))
    };
    if over_cap && (guards.yes || !can_ask) {
        return Err(Error::Refused(format!(
            "{} {n} {unit}, more than --max-keys {cap}; nothing was changed. --yes does not \
             lift the cap: pass --max-keys {n} (or more) to go ahead",
            proposal.what(),
        )));
    }
    if policy.confirm_always {
        return match can_ask {
            true => Ok(Verdict::Ask),
            false => Err(Error::Refused(format!(
                "{} asks for a confirmation of every change ({}), and no one is at a terminal \
                 to give it: to {verb} {n} {unit} was refused; nothing was changed",
                policy.origin(),
                policy.setting("confirm: always"),
            ))),
        };
    }
    if guards.yes {
        return Ok(Verdict::Go);
    }
    if can_ask && (proposal.action.asks() || proposal.broad.is_some()) {
        return Ok(Verdict::Ask);
    }
    match &proposal.broad {
        Some(why) => Err(Error::Refused(format!(
            "{why}; nothing was changed. Pass --yes to {verb} them anyway"
        ))),
        None => Ok(Verdict::Go),
    }
}

/// `1 key`, `2 keys`.
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(keys: u64, keyspace: u64) -> Proposal {
        let s = Selection::of("pattern `x*`".into(), keys, keyspace, false);
        Proposal::new(Action::Delete, vec![s])
    }

    fn judged(policy: &Policy, keys: u64, keyspace: u64, g: Guards, ask: bool) -> Result<Verdict> {
        judge(policy, &mut proposal(keys, keyspace), &g, ask)
    }

    const YES: Guards = Guards {
        yes: true,
        max_keys: None,
    };

    #[test]
    fn yes_never_lifts_the_cap() {
        let open = Policy::default();
        assert_eq!(
            judged(&open, 10_000, 1 << 30, YES, false).unwrap(),
            Verdict::Go
        );
        assert!(matches!(
            judged(&open, 10_001, 1 << 30, YES, false),
            Err(Error::Refused(m)) if m.contains("--max-keys 10001")
        ));
        // At a terminal with --yes too: --yes skips the question, never the cap.
        assert!(judged(&open, 10_001, 1 << 30, YES, true).is_err());
        // Without --yes a person may type the count.
        assert_eq!(
            judged(&open, 10_001, 1 << 30, Guards::default(), true).unwrap(),
            Verdict::Ask
        );
        let capped = Policy {
            max_keys: Some(5),
            ..Policy::default()
        };
        assert!(judged(&capped, 6, 1 << 30, YES, false).is_err());
        let raised = Guards {
            max_keys: Some(6),
            ..YES
        };
        assert_eq!(
            judged(&capped, 6, 1 << 30, raised, false).unwrap(),
            Verdict::Go
        );
    }

    #[test]
    fn everything_is_judged_by_the_count() {
        let open = Policy::default();
        // 95 of 100 keys: broad, however the pattern was spelt.
        assert!(judged(&open, 95, 100, Guards::default(), false).is_err());
        assert_eq!(
            judged(&open, 89, 100, Guards::default(), false).unwrap(),
            Verdict::Go
        );
        assert_eq!(judged(&open, 95, 100, YES, false).unwrap(), Verdict::Go);
    }

    #[test]
    fn read_only_and_confirm_always_hold_whatever_is_given() {
        let ro = Policy {
            readonly: true,
            ..Policy::default()
        };
        assert!(judged(&ro, 1, 100, YES, true).is_err());
        assert!(judged(&ro, 0, 100, YES, true).is_err());
        let always = Policy {
            confirm_always: true,
            ..Policy::default()
        };
        assert!(judged(&always, 1, 100, YES, false).is_err());
        assert_eq!(judged(&always, 1, 100, YES, true).unwrap(), Verdict::Ask);
    }
}
