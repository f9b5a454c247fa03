//! The sweep engine: delete every key matching a glob without blocking the server.
//!
//! SCAN with MATCH on every master, deletes (UNLINK, grouped by slot in a cluster) pipelined
//! with the next SCAN, batches sized to the latency budget. Never `KEYS`, never a server-side
//! loop. Safety checks live here so every caller gets them: protected namespaces and excludes
//! in every pass, and the guards (count, then refuse or confirm, before the first UNLINK) in
//! `sweep`, the entry point. `pass` is the engine alone, for callers that have already
//! decided (an invalidation guards all its keys and patterns at once).

use std::collections::HashMap;
use std::sync::Arc;

use redis::{Pipeline, Value};
use serde::Serialize;

use crate::error::{Error, Result};
pub use crate::guard::GroupCount;
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::keys::family::{family, first_segment};
use crate::keys::glob::{Glob, any_match};
use crate::keys::{self};
use crate::log::{Entry, Log};
use crate::ops::checkpoint::Checkpoint;
use crate::progress::ProgressSink;
use crate::scan::topology::{self, Walked};
use crate::scan::{self, BatchWork, CursorSink, Fault, NodeCursor, Pace, ScanSpec, check_reply};
use crate::stop::Stop;
use crate::store::{Node, SlotMap, Store, worth_resending};

/// Distinct groups a dry run tallies before folding the rest into one line.
const MAX_GROUPS: usize = 10_000;

/// How many matched keys a dry run lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    First(usize),
    All,
}

impl Default for Show {
    fn default() -> Self {
        Show::First(10)
    }
}

#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Keys matching any of these are left out, as if the pattern had not matched them.
    pub exclude: Vec<Glob>,
    /// Namespaces never deleted, whatever the pattern; counted and reported as skipped.
    pub protect: Vec<Glob>,
    pub pace: Pace,
    /// Count and sample, delete nothing.
    pub dry_run: bool,
    pub show: Show,
    /// Continue an interrupted sweep from these per-master cursors.
    pub resume: Vec<NodeCursor>,
    /// Record every key deleted here (`--log`).
    pub log: Option<Arc<Log>>,
    /// Keep each chain's safe cursor here, for a later run to continue from (`--checkpoint`).
    pub checkpoint: Option<Arc<Checkpoint>>,
}

// The hook a sweep runs before each deletion lives with its one implementor, the backup, so
// that `backup` needs nothing of `ops`.
pub use crate::backup::BeforeDelete;

#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    pub pattern: String,
    /// Keys walked (the keyspace of the scanned masters, when the sweep finished).
    pub scanned: u64,
    /// Keys matched and eligible for deletion (after excludes and protections).
    pub matched: u64,
    /// Keys deleted, counted from UNLINK's replies.
    pub deleted: u64,
    /// Keys of batches whose replies were lost with a connection (then sent again) that were
    /// already gone: deleted by the lost request, or by someone else meanwhile. Zero unless
    /// a connection failed mid-batch.
    pub unconfirmed: u64,
    pub elapsed_ms: u64,
    /// Walks over the keyspace: more than one when a cluster's slot map changed during one.
    pub passes: u32,
    /// The masters later passes walked again: where keys could have moved behind a cursor.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rescanned: Vec<String>,
    pub dry_run: bool,
    pub excluded: u64,
    /// Matched, but in a protected namespace: skipped.
    pub protected: u64,
    /// Matched past the permit's budget (keys that appeared after the count, beyond what was
    /// approved): left in place, and the sweep stopped there.
    pub over_budget: u64,
    /// Matched by the pattern, not selected by the filters (`--no-ttl`, `--idle-over`…).
    /// Keys selected and then changed before their deletion so as to fail the filters are
    /// left too, and counted in `matched` but not in `deleted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<u64>,
    /// The filters, in words, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<String>,
    pub interrupted: bool,
    /// Every master's keyspace was walked to the end and every batch answered: `deleted` is
    /// then every key that matched and existed for the whole run.
    pub complete: bool,
    /// What ended the sweep early, when something did (a connection, a refused command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Fault>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sample: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupCount>,
    /// Where each master's scan stopped (`cursor` 0 and `finished` when done).
    pub cursors: Vec<NodeCursor>,
    /// The keys this pattern's sweep wrote to the backup file, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackedUp>,
}

/// Where a command's backup went, and how many keys it holds.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BackedUp {
    pub file: String,
    pub keys: u64,
}

impl SweepReport {
    /// Several patterns' sweeps as one report of the same shape: counts added, the ending of
    /// the whole (complete when all are, interrupted when any was, the first error), lists
    /// joined. `None` for no sweep.
    pub fn combined(reports: &[SweepReport]) -> Option<SweepReport> {
        let (first, rest) = reports.split_first()?;
        let mut all = first.clone();
        for r in rest {
            all.pattern = format!("{} {}", all.pattern, r.pattern);
            all.scanned += r.scanned;
            all.matched += r.matched;
            all.deleted += r.deleted;
            all.unconfirmed += r.unconfirmed;
            all.elapsed_ms += r.elapsed_ms;
            all.passes = all.passes.max(r.passes);
            all.rescanned.extend(r.rescanned.iter().cloned());
            all.excluded += r.excluded;
            all.protected += r.protected;
            all.over_budget += r.over_budget;
            all.not_selected = add(all.not_selected, r.not_selected);
            all.interrupted |= r.interrupted;
            all.complete &= r.complete;
            if all.error.is_none() {
                all.error = r.error.clone();
            }
            all.sample.extend(r.sample.iter().cloned());
            all.groups.extend(r.groups.iter().cloned());
            all.cursors.extend(r.cursors.iter().cloned());
            all.backup = match (all.backup.take(), &r.backup) {
                (Some(a), Some(b)) => Some(BackedUp {
                    file: a.file,
                    keys: a.keys + b.keys,
                }),
                (a, b) => a.or(b.clone()),
            };
        }
        Some(all)
    }

    /// Add a later pass: its counts to these, its ending as the ending.
    fn absorb(&mut self, next: SweepReport) {
        self.scanned += next.scanned;
        self.matched += next.matched;
        self.deleted += next.deleted;
        self.unconfirmed += next.unconfirmed;
        self.elapsed_ms += next.elapsed_ms;
        self.excluded += next.excluded;
        self.protected += next.protected;
        self.over_budget += next.over_budget;
        self.not_selected = add(self.not_selected, next.not_selected);
        self.interrupted = next.interrupted;
        self.complete = next.complete;
        self.error = next.error.or(self.error.take().filter(|_| !next.complete));
        // A later pass walks some masters again: their cursors replace the earlier ones.
        self.cursors
            .retain(|c| !next.cursors.iter().any(|n| n.node == c.node));
        self.cursors.extend(next.cursors);
    }

    /// The report of a sweep that could not run at all, or not to the end of its start
    /// (listing the masters failed): nothing counted, the reason said.
    pub fn failed(pattern: &Glob, dry_run: bool, node: &str, error: &Error) -> Self {
        SweepReport {
            pattern: pattern.to_string(),
            scanned: 0,
            matched: 0,
            deleted: 0,
            unconfirmed: 0,
            elapsed_ms: 0,
            passes: 1,
            rescanned: Vec::new(),
            dry_run,
            excluded: 0,
            protected: 0,
            over_budget: 0,
            not_selected: None,
            filters: None,
            interrupted: false,
            complete: false,
            error: Some(Fault::at(node, error)),
            sample: Vec::new(),
            groups: Vec::new(),
            cursors: Vec::new(),
            backup: None,
        }
    }
}

/// Keys a count shows a person before they confirm.
const PROPOSAL_SAMPLE: usize = 5;

/// Sweep `pattern`: delete (or with `dry_run`, count) the keys that match it. Unless a dry
/// run, the matches are counted first and `guard::authorise` decides, asking `confirm` when a
/// person is there; a refusal has deleted nothing. The count is spared only where it cannot
/// change the decision: `--yes`, and a whole keyspace within the cap.
#[allow(clippy::too_many_arguments)]
pub async fn sweep(
    store: &Store,
    pattern: &Glob,
    options: &SweepOptions,
    guards: &Guards,
    confirm: &dyn Confirm,
    stop: &Stop,
    progress: &dyn ProgressSink,
    hook: Option<&dyn BeforeDelete>,
) -> Result<SweepReport> {
    if options.dry_run {
        return pass(store, pattern, options, stop, progress, hook, None).await;
    }
    let selection = match stop.within_grace(uncounted(store, guards)).await? {
        Some(keyspace) => Selection::of_pattern(pattern, keyspace, 0),
        None => count(store, pattern, options, stop, progress).await?,
    };
    let proposal = Proposal::new(Action::Delete, vec![selection]);
    let permit = store.authorise(proposal, guards, confirm, stop).await?;
    pass(store, pattern, options, stop, progress, hook, Some(&permit)).await
}

/// The keyspace (every master's DBSIZE), when a count could not change the gate's decision:
/// `--yes` on a target that does not ask for every change, and no more keys in all than the
/// cap. Then no selection can be over the cap, and `--yes` has accepted the rest.
pub(crate) async fn uncounted(store: &Store, guards: &Guards) -> Result<Option<u64>> {
    let policy = store.policy();
    if !guards.yes || policy.confirm_always || policy.readonly {
        return Ok(None);
    }
    let keyspace = keyspace(store).await?;
    Ok((keyspace <= guards.cap(policy)).then_some(keyspace))
}

/// Keys on every master (DBSIZE): what "(nearly) every key" is measured against.
pub(crate) async fn keyspace(store: &Store) -> Result<u64> {
    let mut total = 0u64;
    for node in store.masters().await? {
        total = total.saturating_add(store.dbsize(&node).await?);
    }
    Ok(total)
}

/// What deleting `pattern`'s matches would delete, counted by a dry pass: exact, with groups
/// and a few keys. A stop during the count is `Interrupted`.
pub(crate) async fn count(
    store: &Store,
    pattern: &Glob,
    options: &SweepOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<Selection> {
    let counting = SweepOptions {
        dry_run: true,
        show: Show::First(PROPOSAL_SAMPLE),
        ..options.clone()
    };
    let count = pass(store, pattern, &counting, stop, progress, None, None).await?;
    if count.interrupted {
        return Err(Error::Interrupted);
    }
    // A count cut short is no count: nothing is proposed on it, nothing deleted.
    if let (Some(f), false) = (&count.error, count.complete) {
        return Err(Error::Precondition(format!(
            "{}: {} (while counting `{pattern}`'s matches; nothing was deleted)",
            f.node, f.error
        )));
    }
    let keyspace = keyspace(store).await?.max(count.scanned);
    let mut selection = Selection::of_pattern(pattern, count.matched, keyspace);
    if let Some(filters) = &count.filters {
        selection.what = format!("{} with {filters}", selection.what);
    }
    Ok(Selection {
        groups: count.groups,
        sample: count.sample,
        ..selection
    })
}

/// Passes a cluster sweep makes at most while its topology keeps changing.
const MAX_PASSES: u32 = 5;

/// How long a cluster sweep waits for a failover or a migration to settle before walking again.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(15);

/// The engine over `pattern`, with no guard: the caller has decided. On a cluster, a pass
/// whose slot map changed while it ran (a failover, a slot migrated) may have missed keys: a
/// cursor belongs to one node's table, and a key can move behind it. So the map is read
/// before and after each pass, and the sweep is complete only when the masters where keys can
/// have moved in were walked again under a steady map (`topology::Walked`); deletions are
/// idempotent and counted from UNLINK's replies, so the counts stay exact. A dry run counts
/// in one pass: counting twice would count keys twice.
pub(crate) async fn pass(
    store: &Store,
    pattern: &Glob,
    options: &SweepOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
    hook: Option<&dyn BeforeDelete>,
    permit: Option<&Permit>,
) -> Result<SweepReport> {
    let permit = match (options.dry_run, permit) {
        (true, _) => {
            let w = walk(store, pattern, options, stop, progress, hook, None, None).await?;
            return Ok(w.report);
        }
        (false, Some(p)) if p.covers(pattern) => p,
        (false, Some(_)) => {
            return Err(Error::Unpermitted(format!(
                "UNLINK of `{pattern}`'s matches (its permit was given for other patterns)"
            )));
        }
        (false, None) => return Err(Error::Unpermitted("UNLINK".into())),
    };
    if !store.is_cluster() {
        return standalone_passes(store, pattern, options, stop, progress, hook, permit).await;
    }
    let mut total: Option<SweepReport> = None;
    let mut walked = Walked::default();
    let mut only: Option<Vec<String>> = None;
    let mut n = 0;
    loop {
        n += 1;
        let later = SweepOptions {
            resume: Vec::new(),
            ..options.clone()
        };
        let opts = if n == 1 { options } else { &later };
        // The scan reads the slot map before and after itself: a changed map is a fault of
        // the walk (so `complete` means the map held) and the reason for another pass.
        let (report, maps, map_changed) = match walk(
            store,
            pattern,
            opts,
            stop,
            progress,
            hook,
            only.as_deref(),
            Some(permit),
        )
        .await
        {
            Ok(w) => (w.report, w.maps, w.map_changed),
            Err(e) => (
                SweepReport::failed(pattern, false, store.addr(), &e),
                None,
                false,
            ),
        };
        if let Some((before, after)) = &maps {
            walked.record(before, after, &report.cursors);
        }
        let (complete, interrupted) = (report.complete, report.interrupted);
        let total = accumulate(&mut total, report, n);
        // Done, stopped, or a fault the slot map does not explain (another pass would meet
        // it again): the report as it stands.
        if complete || interrupted || !map_changed {
            return Ok(total.clone());
        }
        if n == MAX_PASSES {
            total.error = Some(Fault {
                node: store.addr().to_string(),
                error: format!("the cluster's slot map kept changing over {n} passes"),
            });
            return Ok(total.clone());
        }
        // Let a failover or a migration settle, then walk again where keys can have moved.
        let Some(now) = topology::settle(store, SETTLE, stop).await else {
            return Ok(total.clone());
        };
        if stop.is_set() {
            total.interrupted = true;
            return Ok(total.clone());
        }
        let again = walked.to_walk(&now);
        let why = match &total.error {
            Some(f) => format!("{}: {}", f.node, f.error),
            None => "the cluster's slot map changed".to_string(),
        };
        progress.retrying(&format!(
            "pass {n} ended on {why}; walking {} again",
            again.join(", ")
        ));
        total.rescanned.extend(again.iter().cloned());
        total.rescanned.sort();
        total.rescanned.dedup();
        only = Some(again);
    }
}

/// A standalone server's sweep: done when the server that was walked is still the one that
/// answers at the end (the same process, by `run_id`). Otherwise a failover (through the
/// sentinels) or a restart came after the walk or in its last moments: deletions made on a
/// primary that was no longer one are lost with it, so the server that answers now is walked
/// again from the start.
/// The `run_id` of the (standalone) server a store reaches, when it says.
async fn first_run_id(store: &Store) -> Option<String> {
    match store.masters().await {
        Ok(m) => match m.first() {
            Some(node) => store.run_id(node).await,
            None => None,
        },
        Err(_) => None,
    }
}

async fn standalone_passes(
    store: &Store,
    pattern: &Glob,
    options: &SweepOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
    hook: Option<&dyn BeforeDelete>,
    permit: &Permit,
) -> Result<SweepReport> {
    let mut current = store.clone();
    let mut total: Option<SweepReport> = None;
    let later = SweepOptions {
        resume: Vec::new(),
        ..options.clone()
    };
    for n in 1..=MAX_PASSES {
        let opts = if n == 1 { options } else { &later };
        // The cursors name the server they walked: the replica, with --scan-replica, where
        // the primary is asked before the walk.
        let primary = match options.pace.scan_replica {
            true => Some(first_run_id(&current).await),
            false => None,
        };
        let report = walk(
            &current,
            pattern,
            opts,
            stop,
            progress,
            hook,
            None,
            Some(permit),
        )
        .await?
        .report;
        let walked: Vec<Option<String>> = match primary {
            Some(run) => vec![run],
            None => report
                .cursors
                .iter()
                .map(|c| c.identity.run_id.clone())
                .collect(),
        };
        let done = !report.complete || report.interrupted;
        let total = accumulate(&mut total, report, n);
        if done {
            return Ok(total.clone());
        }
        let Ok(fresh) = current.another().await else {
            return Ok(total.clone());
        };
        let now = first_run_id(&fresh).await;
        let same = now.is_none() || walked.iter().all(|w| w.is_none() || *w == now);
        if same {
            return Ok(total.clone());
        }
        if n == MAX_PASSES {
            total.complete = false;
            total.error = Some(Fault {
                node: fresh.addr().to_string(),
                error: format!("the server answering kept changing over {n} passes"),
            });
            return Ok(total.clone());
        }
        progress.retrying(&format!(
            "{}: another server process answers than the one walked in pass {n} (a failover \
             or a restart): sweeping it again",
            fresh.addr()
        ));
        current = fresh;
    }
    Ok(total
        .unwrap_or_else(|| SweepReport::failed(pattern, false, store.addr(), &Error::Interrupted)))
}

/// Add pass `n`'s report to the sweep's so far.
fn accumulate(total: &mut Option<SweepReport>, report: SweepReport, n: u32) -> &mut SweepReport {
    let sum = match total.take() {
        Some(mut t) => {
            t.absorb(report);
            t
        }
        None => report,
    };
    let t = total.insert(sum);
    t.passes = n;
    t
}

/// One walk of the engine: its report, and on a cluster the slot maps around it.
struct Walk {
    report: SweepReport,
    maps: Option<(SlotMap, SlotMap)>,
    map_changed: bool,
}

/// One walk of the engine over the masters as they are now (or those at the addresses in
/// `only`). It deletes under `permit`, and only counts without one.
#[allow(clippy::too_many_arguments)]
async fn walk(
    store: &Store,
    pattern: &Glob,
    options: &SweepOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
    hook: Option<&dyn BeforeDelete>,
    only: Option<&[String]>,
    permit: Option<&Permit>,
) -> Result<Walk> {
    let verb = if options.dry_run {
        "UNLINK"
    } else {
        store.delete_verb().await?
    };
    let spec = ScanSpec {
        resume: &options.resume,
        only,
        checkpoint: options
            .checkpoint
            .as_deref()
            .filter(|_| !options.dry_run)
            .map(|c| c as &dyn CursorSink),
        ..ScanSpec::new(store, pattern, options.pace, stop, progress)
    };
    let label = if options.dry_run {
        "counting"
    } else {
        "sweeping"
    };
    // The target's protected namespaces hold for every sweep, whoever calls it.
    let options = &SweepOptions {
        protect: (options.protect.iter())
            .chain(&store.policy().protect)
            .cloned()
            .collect(),
        ..options.clone()
    };
    let outcome = scan::scan(&spec, label, |_| SweepWork {
        store,
        permit,
        options,
        hook,
        verb,
        tally: Tally::new(),
        last_acted: 0,
        again: Vec::new(),
        held: Vec::new(),
        reason: pattern.to_string(),
    })
    .await?;
    let interrupted = outcome.interrupted();
    // Keys turned away by the budget are keys left: the job is not done, whoever found them.
    let over = permit.and_then(|p| p.exhausted_note());
    let complete = outcome.complete() && over.is_none();
    let error = outcome.first_fault().or_else(|| {
        over.map(|why| Fault {
            node: store.addr().to_string(),
            error: Error::Refused(why).to_string(),
        })
    });
    let mut total = Tally::new();
    for w in outcome.work {
        total.merge(w.tally);
    }
    let groups = std::mem::take(&mut total.groups).summarise();
    if let Show::First(n) = options.show {
        total.sample.truncate(n);
    }
    let report = SweepReport {
        pattern: pattern.to_string(),
        scanned: outcome.totals.scanned,
        matched: total.matched,
        deleted: total.deleted,
        unconfirmed: outcome.cursors.iter().map(|c| c.unconfirmed).sum(),
        passes: 1,
        rescanned: Vec::new(),
        elapsed_ms: outcome.elapsed.as_millis() as u64,
        dry_run: options.dry_run,
        excluded: total.excluded,
        protected: total.protected,
        over_budget: total.over_budget,
        not_selected: (!options.pace.select.is_empty()).then_some(total.not_selected),
        filters: (!options.pace.select.is_empty()).then(|| options.pace.select.describe()),
        interrupted,
        complete,
        error,
        sample: total.sample,
        groups,
        cursors: outcome.cursors,
        backup: None,
    };
    Ok(Walk {
        report,
        maps: outcome.maps,
        map_changed: outcome.map_changed,
    })
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

/// Distinct first segments shown as they are; past this, groups are their shapes
/// (`user_7_posts`, `user_8_posts`… become `user_{n}_posts`) so the list stays readable.
const MAX_LITERAL_GROUPS: usize = 20;
const OTHER_GROUPS: &str = "(other groups)";

/// Matched keys per group, exact: first segments while there are few of them, and always their
/// shapes, so the roll-up never depends on which keys came first.
#[derive(Default)]
struct Groups {
    /// `None` once more than `MAX_LITERAL_GROUPS` distinct segments were seen.
    literal: Option<HashMap<String, u64>>,
    shapes: HashMap<String, u64>,
}

impl Groups {
    fn new() -> Self {
        Groups {
            literal: Some(HashMap::new()),
            shapes: HashMap::new(),
        }
    }

    fn count(&mut self, key: &[u8]) {
        let segment = first_segment(key);
        let shape = family(segment.as_bytes(), None);
        add_bounded(&mut self.shapes, shape, 1);
        if let Some(literal) = &mut self.literal {
            *literal.entry(segment).or_default() += 1;
            if literal.len() > MAX_LITERAL_GROUPS {
                self.literal = None;
            }
        }
    }

    fn merge(&mut self, other: Groups) {
        self.literal = match (self.literal.take(), other.literal) {
            (Some(mut a), Some(b)) => {
                for (g, n) in b {
                    *a.entry(g).or_default() += n;
                }
                (a.len() <= MAX_LITERAL_GROUPS).then_some(a)
            }
            _ => None,
        };
        for (g, n) in other.shapes {
            add_bounded(&mut self.shapes, g, n);
        }
    }

    fn summarise(self) -> Vec<GroupCount> {
        let groups = match self.literal {
            Some(literal) => literal,
            // Shapes that differ only where a word varies (a user name) are one group.
            None => crate::keys::family::fold_learned(self.shapes, |a, b| *a += b),
        };
        let mut out: Vec<GroupCount> = groups
            .into_iter()
            .map(|(group, keys)| GroupCount { group, keys })
            .collect();
        out.sort_by(|a, b| b.keys.cmp(&a.keys).then_with(|| a.group.cmp(&b.group)));
        out
    }
}

/// Count `n` keys for `group`, folding new groups into one line past `MAX_GROUPS` (memory
/// stays bounded; the counts stay exact).
fn add_bounded(map: &mut HashMap<String, u64>, group: String, n: u64) {
    if map.len() < MAX_GROUPS || map.contains_key(&group) {
        *map.entry(group).or_default() += n;
    } else {
        *map.entry(OTHER_GROUPS.to_string()).or_default() += n;
    }
}

#[derive(Default)]
struct Tally {
    matched: u64,
    not_selected: u64,
    deleted: u64,
    excluded: u64,
    protected: u64,
    over_budget: u64,
    sample: Vec<String>,
    groups: Groups,
}

impl Tally {
    fn new() -> Self {
        Tally {
            groups: Groups::new(),
            ..Tally::default()
        }
    }

    fn merge(&mut self, other: Tally) {
        self.matched += other.matched;
        self.not_selected += other.not_selected;
        self.deleted += other.deleted;
        self.excluded += other.excluded;
        self.protected += other.protected;
        self.over_budget += other.over_budget;
        self.sample.extend(other.sample);
        self.groups.merge(other.groups);
    }
}

struct SweepWork<'a> {
    store: &'a Store,
    /// The gate's leave to delete; none in a dry run.
    permit: Option<&'a Permit>,
    options: &'a SweepOptions,
    hook: Option<&'a dyn BeforeDelete>,
    verb: &'static str,
    tally: Tally,
    last_acted: u64,
    /// Keys of the last batch the server sent elsewhere, for `follow_up`.
    again: Vec<Vec<u8>>,
    /// Matches gathered for the hook's next batch.
    held: Vec<Vec<u8>>,
    /// Why these keys are deleted, for the log: the pattern.
    reason: String,
}

impl SweepWork<'_> {
    /// How `commands` groups a batch's keys: by slot, or one key per command when every
    /// deletion is logged (a multi-key UNLINK says how many, not which).
    fn groups(&self, keys: &[Vec<u8>]) -> Vec<Vec<usize>> {
        if self.options.log.is_some() {
            (0..keys.len()).map(|i| vec![i]).collect()
        } else {
            self.store.slot_groups(keys)
        }
    }

    /// The deletion of one slot's `keys`: UNLINK, or with filters the check-and-delete that
    /// leaves a key changed since it was selected.
    fn delete(&self, keys: &[&[u8]]) -> redis::Cmd {
        let select = &self.options.pace.select;
        if select.is_empty() {
            let mut cmd = redis::cmd(self.verb);
            for k in keys {
                cmd.arg(*k);
            }
            return cmd;
        }
        let kind = self.options.pace.only_type.map(|t| t.as_str());
        select.delete(self.verb, kind, keys)
    }

    fn op(&self) -> &'static str {
        if self.verb == "DEL" { "del" } else { "unlink" }
    }
}

/// Keys a batch gathers before the hook (a backup) runs on it.
const HOOK_BATCH: usize = 300;

impl BatchWork for SweepWork<'_> {
    fn permit(&self) -> Option<&Permit> {
        self.permit
    }

    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let mut keep = Vec::with_capacity(keys.len());
        for key in keys {
            if any_match(&self.options.exclude, &key) {
                self.tally.excluded += 1;
                continue;
            }
            if any_match(&self.options.protect, &key) {
                self.tally.protected += 1;
                continue;
            }
            self.tally.matched += 1;
            if self.options.dry_run {
                let wanted = match self.options.show {
                    Show::All => true,
                    Show::First(n) => self.tally.sample.len() < n,
                };
                if wanted {
                    self.tally.sample.push(keys::display(&key));
                }
                self.tally.groups.count(&key);
            } else {
                keep.push(key);
            }
        }
        // The permit's budget is spent here, once per SCAN reply (a batch sent again after a
        // lost reply spends nothing more): keys past it are left, and every chain stops.
        if let Some(permit) = self.permit {
            let granted = permit.spend(keep.len() as u64) as usize;
            if granted < keep.len() {
                self.tally.over_budget += (keep.len() - granted) as u64;
                self.tally.matched -= (keep.len() - granted) as u64;
                keep.truncate(granted);
            }
        }
        // A backup costs a round trip and a flush to disk per batch: with one, matches are
        // gathered into batches of a useful size (a selective pattern finds a few per SCAN).
        if self.hook.is_some() {
            self.held.append(&mut keep);
            if self.held.len() < HOOK_BATCH {
                return Vec::new();
            }
            return std::mem::take(&mut self.held);
        }
        keep
    }

    fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    fn halted(&self) -> Option<String> {
        self.permit.and_then(Permit::exhausted_note)
    }

    fn held(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.held)
    }

    async fn before_send(&mut self, store: &Store, node: &Node, keys: &[Vec<u8>]) -> Result<()> {
        match self.hook {
            Some(hook) => hook.before_delete(store, node, keys).await,
            None => Ok(()),
        }
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        let groups = self.groups(keys);
        for group in &groups {
            let keys: Vec<&[u8]> = group.iter().map(|&i| keys[i].as_slice()).collect();
            pipe.add_command(self.delete(&keys));
        }
        groups.len()
    }

    fn passed_over(&mut self, n: u64) {
        self.tally.not_selected += n;
    }

    /// Every UNLINK that was answered with a count is counted, also when another group of
    /// the batch was refused. A group sent elsewhere (MOVED, ASK after a failover or during a
    /// migration) or refused for the moment waits for `follow_up`; any other refusal is
    /// returned after.
    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        let mut deleted = 0;
        let mut fault = None;
        // The groups as `commands` made them, worked out again only when one was refused
        // (or every key is logged: one command per key then).
        let mut groups: Option<Vec<Vec<usize>>> = None;
        let mut logged = Vec::new();
        for (g, r) in replies.iter().enumerate() {
            match r {
                Value::Int(n) => {
                    deleted += *n as u64;
                    if *n == 1 && self.options.log.is_some() {
                        let groups = groups.get_or_insert_with(|| self.groups(&keys));
                        logged.extend(groups.get(g).and_then(|gr| gr.first()).copied());
                    }
                }
                Value::ServerError(e) if worth_resending(e) => {
                    let groups = groups.get_or_insert_with(|| self.groups(&keys));
                    if let Some(group) = groups.get(g) {
                        self.again.extend(group.iter().map(|&i| keys[i].clone()));
                    }
                }
                Value::ServerError(_) => {
                    if fault.is_none() {
                        fault = check_reply(node, r).err();
                    }
                }
                other => {
                    fault.get_or_insert_with(|| Error::Protocol {
                        addr: node.addr().to_string(),
                        command: "UNLINK",
                        detail: format!("expected an integer, got {other:?}"),
                    });
                }
            }
        }
        self.tally.deleted += deleted;
        self.last_acted = deleted;
        if let Some(log) = &self.options.log {
            log.record(logged.iter().map(|&i| Entry {
                key: &keys[i],
                op: self.op(),
                node: node.addr(),
                reason: &self.reason,
            }))?;
        }
        fault.map_or(Ok(()), Err)
    }

    /// One UNLINK per key sent elsewhere, routed by the key, a few at a time. Every reply that
    /// came back is counted before a failure is returned.
    async fn follow_up(&mut self, store: &Store, retries: u32, stop: &Stop) -> Result<()> {
        if self.again.is_empty() {
            return Ok(());
        }
        let keys = std::mem::take(&mut self.again);
        let cmds = keys.iter().map(|key| self.delete(&[key])).collect();
        let replies = match self.permit {
            Some(permit) => store.write_routed_each(permit, cmds, retries, stop).await,
            None => store.routed_each(cmds, retries, stop).await,
        };
        let mut fault = None;
        let mut logged = Vec::new();
        let mut refused = Vec::new();
        for (key, r) in keys.iter().zip(replies) {
            match r {
                Ok(Value::Int(n)) => {
                    self.tally.deleted += n as u64;
                    self.last_acted += n as u64;
                    if n == 1 {
                        logged.push(key);
                    }
                }
                // Still refused for the moment (a primary demoted under us): kept for the
                // next try, on a new connection.
                Err(e) if e.is_transient() => {
                    refused.push(key.clone());
                    fault.get_or_insert(e);
                }
                Ok(other) => {
                    fault.get_or_insert_with(|| Error::Protocol {
                        addr: store.addr().to_string(),
                        command: "UNLINK",
                        detail: format!("expected an integer, got {other:?}"),
                    });
                }
                Err(e) => {
                    fault.get_or_insert(e);
                }
            }
        }
        if let Some(log) = &self.options.log {
            log.record(logged.iter().map(|key| Entry {
                key,
                op: self.op(),
                node: store.addr(),
                reason: &self.reason,
            }))?;
        }
        self.again = refused;
        fault.map_or(Ok(()), Err)
    }

    /// Keys matched and not deleted will be matched again; those deleted will not.
    fn restarted(&mut self, carried: u64) {
        let t = &mut self.tally;
        t.matched = t.deleted + carried;
        t.excluded = 0;
        t.protected = 0;
        t.not_selected = 0;
        if self.options.dry_run {
            t.sample.clear();
            t.groups = Groups::new();
        }
    }

    fn acted(&self) -> u64 {
        self.last_acted
    }
}
