//! Delete exact keys, built the way the reference application's write-through decorator builds
//! them (`@cache(key_prefix, resource_id_name, to_invalidate_extra,
//! pattern_to_invalidate_extra)`), so an operator can replay what an update endpoint
//! invalidates. Patterns are resolved here and swept by the sweep engine.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backup::Backup;
use crate::error::{Error, Result};
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::keys::glob::{Glob, any_match};
use crate::keys::template::KeyTemplate;
use crate::log::{Entry, Log};
use crate::ops::sweep::{self, BackedUp, BeforeDelete, SweepOptions, SweepReport};
use crate::progress::ProgressSink;
use crate::stop::Stop;
use crate::store::Store;

#[derive(Clone, Debug, Default)]
pub struct InvalidateRequest {
    /// Keys or key templates (`user_profile:{user_id}`).
    pub keys: Vec<String>,
    /// `key_prefix`: with `id`, deletes `PREFIX:ID`.
    pub prefix: Option<String>,
    /// `resource_id_name` and its value; the name also becomes a template variable.
    pub id: Option<(String, String)>,
    /// `to_invalidate_extra`: `(PREFIX, TEMPLATE)` deletes `PREFIX:TEMPLATE`.
    pub extras: Vec<(String, String)>,
    /// `pattern_to_invalidate_extra`: glob templates, taken verbatim (no `*` appended).
    pub patterns: Vec<String>,
    pub vars: BTreeMap<String, String>,
}

/// Exact keys and patterns, templates filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub keys: Vec<String>,
    pub patterns: Vec<Glob>,
}

impl InvalidateRequest {
    pub fn resolve(&self) -> Result<Resolved> {
        let mut vars = self.vars.clone();
        if let Some((name, value)) = &self.id {
            vars.insert(name.clone(), value.clone());
        }
        let fill = |t: &str| KeyTemplate::parse(t)?.render(&vars).map_err(Error::from);
        let mut keys: Vec<String> = Vec::new();
        let mut push = |k: String| {
            if !keys.contains(&k) {
                keys.push(k);
            }
        };
        match (&self.prefix, &self.id) {
            (Some(prefix), Some((_, value))) => push(format!("{}:{value}", fill(prefix)?)),
            (Some(_), None) => return Err(Error::Usage("--prefix needs --id NAME=VALUE".into())),
            (None, Some(_)) => return Err(Error::Usage("--id needs --prefix".into())),
            (None, None) => {}
        }
        for (prefix, template) in &self.extras {
            push(format!("{}:{}", fill(prefix)?, fill(template)?));
        }
        for k in &self.keys {
            push(fill(k)?);
        }
        let mut patterns = Vec::with_capacity(self.patterns.len());
        for p in &self.patterns {
            patterns.push(Glob::new(KeyTemplate::parse(p)?.render_glob(&vars)?));
        }
        Ok(Resolved { keys, patterns })
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KeyDeletion {
    pub key: String,
    /// The key was there when we asked.
    pub existed: bool,
    pub deleted: bool,
    /// Why the key was left alone, when it was: `protected` (`--protect`, or the target's
    /// `protect`), `excluded` (`--exclude`), `over budget` (past what was approved),
    /// `interrupted` (a stop came before its batch was sent), `not sent` (an earlier batch
    /// failed) or `refused` (the server would not delete it: an ACL on its name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    /// Its batch was sent and its answer never came (the server stalled past a stop, or the
    /// connection failed): it may be gone or not; only the server knows.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

impl KeyDeletion {
    fn of(key: &str) -> Self {
        KeyDeletion {
            key: key.to_string(),
            existed: false,
            deleted: false,
            skipped: None,
            unconfirmed: false,
        }
    }

    fn left(key: &str, why: &'static str) -> Self {
        KeyDeletion {
            skipped: Some(why),
            ..KeyDeletion::of(key)
        }
    }
}

/// Exact keys one request carries: a long list from stdin goes in bounded batches.
const KEYS_PER_BATCH: usize = 1_000;

/// Why a named key was not sent.
const OVER_BUDGET: &str = "over budget";
const INTERRUPTED: &str = "interrupted";
const NOT_SENT: &str = "not sent";
/// Sent, and refused by the server for this key (an ACL on its name): left as it was.
const REFUSED: &str = "refused";

/// Why a key is left that the run set out to delete: the run is not complete.
fn unsent(why: &str) -> bool {
    [OVER_BUDGET, INTERRUPTED, NOT_SENT, REFUSED].contains(&why)
}

/// What became of named keys: each one's outcome, in the order given, and what ended the
/// run before its last key, if anything did.
#[derive(Debug, Default)]
pub struct Deletions {
    pub keys: Vec<KeyDeletion>,
    /// A stop ended the run: keys after its batch were not sent.
    pub interrupted: bool,
    /// A failure ended the run: keys after its batch were not sent.
    pub fault: Option<Error>,
}

/// Delete exact keys under `permit`, a batch at a time, one reply per key so the report says
/// which existed; without a permit (a dry run, a count), only asks whether each exists. With
/// `backup`, each batch is saved before it is deleted. A stop is heard between batches, and a
/// batch whose answer has not come a second after it is given up (its keys unconfirmed); a
/// failure ends the run too. Either way the keys dealt with so far are reported, never lost
/// with the error.
pub async fn delete_keys(
    store: &Store,
    keys: &[String],
    permit: Option<&Permit>,
    (log, backup): (Option<&Log>, Option<&Backup>),
    stop: &Stop,
) -> Result<Deletions> {
    let verb = match permit {
        Some(_) => stop.within_grace(store.delete_verb()).await?,
        None => "EXISTS",
    };
    let mut done = Deletions {
        keys: Vec::with_capacity(keys.len()),
        ..Deletions::default()
    };
    let mut rest = keys;
    while !rest.is_empty() {
        if stop.is_set() {
            done.interrupted = true;
            break;
        }
        let (batch, after) = rest.split_at(rest.len().min(KEYS_PER_BATCH));
        rest = after;
        // Each batch spends its keys from the permit once; those past it are not sent.
        let granted = permit.map_or(batch.len(), |p| p.spend(batch.len() as u64) as usize);
        let (batch, refused) = batch.split_at(granted);
        let sent = std::cell::Cell::new(false);
        let asked = async {
            if let (Some(b), Some(_)) = (backup, permit) {
                let keys: Vec<Vec<u8>> = batch.iter().map(|k| k.as_bytes().to_vec()).collect();
                b.save(store, None, &keys).await?;
            }
            let cmds = (batch.iter())
                .map(|k| (k.clone().into_bytes(), redis::cmd(verb).arg(k).clone()))
                .collect();
            sent.set(true);
            match permit {
                Some(p) => store.write_per_key(p, cmds).await,
                None => store.per_key(cmds).await,
            }
        };
        let replies = match batch.is_empty() {
            true => Ok(Vec::new()),
            false => stop.within_grace(asked).await,
        };
        let first = done.keys.len();
        match replies {
            Ok(replies) => {
                for (key, reply) in batch.iter().zip(replies) {
                    match store.decode::<i64>(reply) {
                        Ok(n) => done.keys.push(KeyDeletion {
                            existed: n > 0,
                            deleted: n > 0 && permit.is_some(),
                            ..KeyDeletion::of(key)
                        }),
                        // Refused for this key alone (an ACL on its name): it stays, and the
                        // run ends after this batch.
                        Err(e) => {
                            done.keys.push(KeyDeletion::left(key, REFUSED));
                            done.fault.get_or_insert(e);
                        }
                    }
                }
            }
            // Unanswered: deletions sent are unconfirmed; a batch stopped while it was being
            // backed up was not sent (nor is a question unanswered a deletion).
            Err(e) => {
                let (unconfirmed, why) = match (sent.get() && permit.is_some(), &e) {
                    (true, _) => (true, None),
                    (false, Error::Interrupted) => (false, Some(INTERRUPTED)),
                    (false, _) => (false, Some(NOT_SENT)),
                };
                done.keys.extend(batch.iter().map(|k| KeyDeletion {
                    unconfirmed,
                    skipped: why,
                    ..KeyDeletion::of(k)
                }));
                match e {
                    Error::Interrupted => done.interrupted = true,
                    e => done.fault = Some(e),
                }
            }
        }
        if let Some(log) = log {
            let op = verb.to_ascii_lowercase();
            let deleted = done.keys[first..].iter().filter(|d| d.deleted);
            if let Err(e) = log.record(deleted.map(|d| Entry {
                key: d.key.as_bytes(),
                op: &op,
                node: store.addr(),
                reason: "key",
            })) {
                done.fault.get_or_insert(e);
            }
        }
        done.keys
            .extend(refused.iter().map(|k| KeyDeletion::left(k, OVER_BUDGET)));
        if done.interrupted || done.fault.is_some() {
            break;
        }
    }
    let why = match done.interrupted {
        true => INTERRUPTED,
        false => NOT_SENT,
    };
    done.keys
        .extend(rest.iter().map(|k| KeyDeletion::left(k, why)));
    Ok(done)
}

/// Split exact keys into those to delete and those `--exclude`, `--protect` or the target's
/// `protect` leave alone (reported, never asked about).
fn screen(
    store: &Store,
    keys: &[String],
    options: &SweepOptions,
) -> (Vec<String>, Vec<KeyDeletion>) {
    let mut go = Vec::with_capacity(keys.len());
    let mut skipped = Vec::new();
    for key in keys {
        let why = if any_match(&options.exclude, key.as_bytes()) {
            Some("excluded")
        } else if any_match(&options.protect, key.as_bytes())
            || any_match(&store.policy().protect, key.as_bytes())
        {
            Some("protected")
        } else {
            None
        };
        match why {
            Some(why) => skipped.push(KeyDeletion::left(key, why)),
            None => go.push(key.clone()),
        }
    }
    (go, skipped)
}

/// Exact keys a count shows a person before they confirm.
const PROPOSAL_SAMPLE: usize = 5;

#[derive(Clone, Debug, Default)]
pub struct InvalidateOptions {
    /// How patterns are swept; its `dry_run` applies to the exact keys too.
    pub sweep: SweepOptions,
    pub guards: Guards,
}

/// What an invalidation did: exact keys, then each pattern's sweep.
#[derive(Clone, Debug, Serialize)]
pub struct InvalidateReport {
    pub keys: Vec<KeyDeletion>,
    pub deleted: u64,
    /// Sent, and never answered (the server stalled past a stop, or the connection failed):
    /// `deleted` never claims them, `deleted + unconfirmed` never misses one.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub unconfirmed: u64,
    pub dry_run: bool,
    /// A stop ended the run before every key and pattern was dealt with.
    pub interrupted: bool,
    /// Every key and every pattern was dealt with to the end.
    pub complete: bool,
    pub patterns: Vec<SweepReport>,
    /// The backup of everything deleted, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackedUp>,
    /// What failed outside the patterns' sweeps (a batch of named keys, the backup's closing),
    /// when something did: the counts above stand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::scan::Fault>,
}

impl InvalidateReport {
    /// Something failed after the deletions (closing the backup on a full disk): the report
    /// keeps its counts and says so, and the run is not complete.
    pub fn failed_after(&mut self, node: &str, error: String) {
        self.complete = false;
        match &mut self.error {
            Some(first) => first.error = format!("{}; then {node}: {error}", first.error),
            None => {
                self.error = Some(crate::scan::Fault {
                    node: node.to_string(),
                    error,
                })
            }
        }
    }

    /// Keys left because they were past the permit's budget: named keys not sent, and
    /// pattern matches that appeared after the count.
    pub fn over_budget(&self) -> u64 {
        let named = self.keys.iter().filter(|k| k.skipped == Some(OVER_BUDGET));
        named.count() as u64 + self.patterns.iter().map(|p| p.over_budget).sum::<u64>()
    }
}

/// Delete `resolved`'s exact keys and sweep its patterns, after the guards. Unless
/// `guards.yes`, everything is counted first (EXISTS for the keys, a dry sweep per pattern),
/// then `guard::authorise` decides, asking `confirm` when a person is there: a refusal or a
/// stop before that point has changed nothing.
pub async fn invalidate(
    store: &Store,
    resolved: &Resolved,
    options: &InvalidateOptions,
    confirm: &dyn Confirm,
    stop: &Stop,
    progress: &dyn ProgressSink,
    backup: Option<&Backup>,
) -> Result<InvalidateReport> {
    let dry_run = options.sweep.dry_run;
    let (exact, skipped) = screen(store, &resolved.keys, &options.sweep);
    let permit = match dry_run {
        true => None,
        false => {
            let keyspace = stop.within_grace(sweep::uncounted(store, &options.guards));
            let proposal = match keyspace.await? {
                // The keyspace is within the cap and `--yes` accepted the rest: every
                // pattern is covered, the budget is the cap.
                Some(keyspace) => {
                    let mut all = vec![Selection::of("the keyspace".into(), keyspace, 0, false)];
                    all.extend((resolved.patterns.iter()).map(|p| Selection::of_pattern(p, 0, 0)));
                    Proposal::new(Action::Delete, all)
                }
                None => propose(store, &exact, resolved, options, stop, progress).await?,
            };
            Some(
                store
                    .authorise(proposal, &options.guards, confirm, stop)
                    .await?,
            )
        }
    };
    // Checked before the exact keys go, so that a refusal changes nothing.
    if options.sweep.pace.scan_replica && !resolved.patterns.is_empty() {
        crate::scan::replicas::check(store).await?;
    }
    let sides = (options.sweep.log.as_deref(), backup.filter(|_| !dry_run));
    let named = delete_keys(store, &exact, permit.as_ref(), sides, stop).await?;
    let mut keys = named.keys;
    keys.extend(skipped);
    // Each pattern gets its own report, also the one that failed and those after it, so that
    // what the earlier ones deleted is never lost with the error.
    let mut patterns = Vec::with_capacity(resolved.patterns.len());
    let mut stopped_by = match (named.interrupted, &named.fault) {
        (true, _) => Some("the invalidation was interrupted".to_string()),
        (false, Some(_)) => Some("deleting the named keys failed".into()),
        (false, None) => None,
    };
    for pattern in &resolved.patterns {
        if let Some(why) = &stopped_by {
            let not_run = Error::Usage(format!("not run: {why}"));
            patterns.push(SweepReport::failed(
                pattern,
                dry_run,
                store.addr(),
                &not_run,
            ));
            continue;
        }
        let before = backup.map_or(0, Backup::keys);
        let hook = backup.map(|b| b as &dyn BeforeDelete);
        let mut report = match sweep::pass(
            store,
            pattern,
            &options.sweep,
            stop,
            progress,
            hook,
            permit.as_ref(),
        )
        .await
        {
            Ok(r) => r,
            Err(e) => SweepReport::failed(pattern, dry_run, store.addr(), &e),
        };
        if let Some(b) = backup {
            report.backup = Some(BackedUp {
                file: b.path().display().to_string(),
                keys: b.keys() - before,
            });
        }
        if report.interrupted {
            stopped_by = Some("the invalidation was interrupted".into());
        } else if !report.complete {
            stopped_by = Some(format!("`{pattern}` failed"));
        }
        patterns.push(report);
    }
    let deleted = keys.iter().filter(|d| d.deleted).count() as u64
        + patterns.iter().map(|s| s.deleted).sum::<u64>();
    let unconfirmed = keys.iter().filter(|d| d.unconfirmed).count() as u64
        + patterns.iter().map(|s| s.unconfirmed).sum::<u64>();
    // Keys a rule leaves alone are dealt with; those not sent, or not answered, are not.
    let all_keys = !(keys.iter()).any(|k| k.unconfirmed || k.skipped.is_some_and(unsent));
    Ok(InvalidateReport {
        keys,
        deleted,
        unconfirmed,
        dry_run,
        interrupted: named.interrupted || patterns.iter().any(|p| p.interrupted),
        complete: all_keys && patterns.iter().all(|p| p.complete),
        patterns,
        backup: backup.map(|b| BackedUp {
            file: b.path().display().to_string(),
            keys: b.keys(),
        }),
        error: (named.fault).map(|e| crate::scan::Fault::at(store.addr(), &e)),
    })
}

/// Count what `invalidate` would delete, without deleting anything.
async fn propose(
    store: &Store,
    exact: &[String],
    resolved: &Resolved,
    options: &InvalidateOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<Proposal> {
    let mut selections = Vec::new();
    if !exact.is_empty() {
        let found = delete_keys(store, exact, None, (None, None), stop).await?;
        if found.interrupted {
            return Err(Error::Interrupted);
        }
        if let Some(e) = found.fault {
            return Err(e);
        }
        let existing: Vec<String> = found
            .keys
            .into_iter()
            .filter(|k| k.existed)
            .map(|k| k.key)
            .collect();
        // Keys named one by one are what the person meant, whatever share they are; each
        // name is sent, so each is in the budget.
        selections.push(Selection {
            sample: existing.iter().take(PROPOSAL_SAMPLE).cloned().collect(),
            sends: exact.len() as u64,
            ..Selection::of("keys".into(), existing.len() as u64, 0, false)
        });
    }
    // The patterns are judged as their union: each is counted without the keys an earlier
    // one matched, so a key two of them match counts once, and patterns that split the
    // keyspace between them are seen to select all of it.
    for (i, pattern) in resolved.patterns.iter().enumerate() {
        let apart = SweepOptions {
            exclude: (options.sweep.exclude.iter())
                .chain(&resolved.patterns[..i])
                .cloned()
                .collect(),
            ..options.sweep.clone()
        };
        selections.push(sweep::count(store, pattern, &apart, stop, progress).await?);
    }
    Ok(Proposal::new(Action::Delete, selections))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_the_decorator() {
        let req = InvalidateRequest {
            prefix: Some("post_cache".into()),
            id: Some(("post_id".into(), "42".into())),
            extras: vec![
                ("user_posts".into(), "{user_id}".into()),
                ("recent_posts".into(), "global".into()),
            ],
            patterns: vec!["user_{user_id}_posts:*".into()],
            vars: [("user_id".to_string(), "7".to_string())].into(),
            ..Default::default()
        };
        let r = req.resolve().unwrap();
        assert_eq!(
            r.keys,
            vec!["post_cache:42", "user_posts:7", "recent_posts:global"]
        );
        assert_eq!(r.patterns, vec![Glob::new("user_7_posts:*")]);
    }

    #[test]
    fn pattern_values_are_escaped() {
        let req = InvalidateRequest {
            patterns: vec!["user_{user_id}_*".into()],
            vars: [("user_id".to_string(), "*".to_string())].into(),
            ..Default::default()
        };
        let r = req.resolve().unwrap();
        assert!(!r.patterns[0].is_match(b"user_7_posts"));
        assert!(r.patterns[0].is_match(b"user_*_posts"));
    }

    #[test]
    fn id_is_a_template_variable() {
        let req = InvalidateRequest {
            prefix: Some("user_profile".into()),
            id: Some(("user_id".into(), "7".into())),
            keys: vec!["user_{user_id}_posts:page_1".into()],
            ..Default::default()
        };
        assert_eq!(
            req.resolve().unwrap().keys,
            vec!["user_profile:7", "user_7_posts:page_1"]
        );
    }

    #[test]
    fn missing_variable_is_an_error() {
        let req = InvalidateRequest {
            keys: vec!["user_{user_id}".into()],
            ..Default::default()
        };
        let err = req.resolve().unwrap_err().to_string();
        assert!(err.contains("user_id"), "{err}");
    }
}
