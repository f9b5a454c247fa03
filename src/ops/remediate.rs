//! Remediation after an audit: give keys without TTL one (`--fix-missing-ttl`) and spread
//! expiry clusters (`--spread`). Only keys under a policy rule that asks for it are touched,
//! never so that a TTL gets shorter, and only after the guards (`guard::authorise`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::{Pipeline, Value};
use serde::Serialize;

use crate::backup::Backup;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::keys::glob::Glob;
use crate::log::{Entry, Log};
use crate::ops::audit::{AuditOptions, AuditReport, GroupKey, ViolationKind};
use crate::ops::distributions::{ExpiryCluster, ExpiryWindows};
use crate::ops::policy::Policy;
use crate::progress::ProgressSink;
use crate::scan::{self, BatchWork, Fault, ScanSpec, check_reply};
use crate::stop::Stop;
use crate::store::{Node, Store, worth_resending};
use crate::ttl::{ExpiryQuestion, Jitter, KeyTtl};
use std::sync::Arc;

/// What a remediation pass may change.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// Give keys without TTL this TTL (seconds, plus up to 10% so they do not all expire at
    /// once), only where their rule requires one.
    pub missing_ttl: Option<u64>,
    /// Push expiries in flagged clusters later by up to this fraction of their TTL.
    pub spread: Option<f64>,
    /// Back up each batch's keys before their TTLs change (`--backup`).
    pub backup: Option<Arc<Backup>>,
    /// Record every key changed (`--log`).
    pub log: Option<Arc<Log>>,
}

/// Keys a remediation would touch, from an audit: nothing is asked of the server.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FixPlan {
    pub missing_ttl: u64,
    pub spread: u64,
}

impl FixPlan {
    pub fn from_report(report: &AuditReport, fix: &FixOptions) -> FixPlan {
        let count = |kind| {
            report
                .violations
                .iter()
                .filter(|v| v.kind == kind)
                .map(|v| v.keys)
                .sum()
        };
        FixPlan {
            missing_ttl: if fix.missing_ttl.is_some() {
                count(ViolationKind::MissingTtl)
            } else {
                0
            },
            spread: if fix.spread.is_some() {
                count(ViolationKind::ExpiryCluster)
            } else {
                0
            },
        }
    }

    pub fn total(&self) -> u64 {
        self.missing_ttl + self.spread
    }
}

/// What a remediation changed.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FixReport {
    /// Keys that got a TTL (EXPIRE ... NX).
    pub ttl_set: u64,
    /// Keys whose expiry moved later (PEXPIRE ... GT).
    pub spread: u64,
    /// Of `ttl_set`, TTLs brought into their rule's `ttl` range (the flag's value, jitter
    /// included, was outside it): a fix never makes a violation.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub clamped: u64,
    /// Changes of a batch whose reply was lost with a connection and that were sent again:
    /// those the second sending found made already (by the lost request, or by the
    /// application meanwhile). Zero unless a connection failed mid-batch.
    pub unconfirmed: u64,
    pub interrupted: bool,
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Fault>,
}

impl FixPlan {
    /// The plan as a person confirms it.
    pub fn proposal(&self) -> Proposal {
        let mut selections = Vec::new();
        for (what, keys) in [
            ("missing TTL", self.missing_ttl),
            ("expiry clusters", self.spread),
        ] {
            if keys > 0 {
                selections.push(Selection::of(what.into(), keys, 0, false));
            }
        }
        Proposal::new(Action::ChangeTtl, selections)
    }
}

/// Apply `fix` to the keys the audit flagged, after the guards: `plan` is what the audit
/// counted, and nothing is changed unless `guard::authorise` lets it. Only keys under a rule
/// that asks for it are touched, and never so that a TTL gets shorter: EXPIRE NX sets a TTL
/// only where there is none, PEXPIRE GT only lengthens, so a TTL the application has just set
/// always wins.
#[allow(clippy::too_many_arguments)]
pub async fn fix(
    store: &Store,
    pattern: &Glob,
    options: &AuditOptions,
    report: &AuditReport,
    fix: &FixOptions,
    guards: &Guards,
    confirm: &dyn Confirm,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<FixReport> {
    let Some(policy) = &options.policy else {
        return Err(Error::Usage(
            "remediation needs --policy: only keys under a rule are ever changed".into(),
        ));
    };
    let plan = FixPlan::from_report(report, fix);
    let proposal = plan.proposal();
    let permit = store.authorise(proposal, guards, confirm, stop).await?;
    // The confirmed plan is the most that is changed: keys that began to need a fix after
    // the audit are left to the next one.
    let left = Budget {
        set: AtomicU64::new(plan.missing_ttl),
        spread: AtomicU64::new(plan.spread),
    };
    let mut clusters: HashMap<GroupKey, Vec<ExpiryCluster>> = HashMap::new();
    for v in report
        .violations
        .iter()
        .filter(|v| v.kind == ViolationKind::ExpiryCluster)
    {
        clusters
            .entry(GroupKey::new(Some(v.rule_index), v.family.clone()))
            .or_default()
            .extend(v.clusters.iter().cloned());
    }
    let spec = ScanSpec::new(store, pattern, options.pace, stop, progress);
    // One generator for the run, seeded by the OS; each chain draws its own from it, so no
    // two keys' jitter depend on each other or on the clock.
    let root = Mutex::new(Jitter::from_os());
    let outcome = scan::scan(&spec, "fixing", |_| FixWork {
        permit: &permit,
        protect: &store.policy().protect,
        left: &left,
        options,
        policy,
        fix,
        clusters: &clusters,
        jitter: root
            .lock()
            .map_or_else(|_| Jitter::from_os(), |mut j| j.fork()),
        planned: VecDeque::new(),
        report: FixReport::default(),
        last: 0,
        again: Vec::new(),
        read_fields: report.fields.is_some()
            || report.headline.iter().any(|h| h.keys_with_field_ttls > 0),
        clamping: 0,
        expiry: ExpiryQuestion::default(),
    })
    .await?;
    let mut total = FixReport {
        interrupted: outcome.interrupted(),
        complete: outcome.complete(),
        error: outcome.first_fault(),
        unconfirmed: outcome.cursors.iter().map(|c| c.unconfirmed).sum(),
        ..FixReport::default()
    };
    for w in outcome.work {
        total.ttl_set += w.report.ttl_set;
        total.clamped += w.report.clamped;
        total.spread += w.report.spread;
    }
    Ok(total)
}

/// A change planned for one key.
#[derive(Clone, Copy)]
enum Change {
    SetTtl(u64),
    ExtendTo(u64),
}

/// Changes of each kind the confirmed plan still allows, shared by every chain.
struct Budget {
    set: AtomicU64,
    spread: AtomicU64,
}

impl Budget {
    /// Take one change of `change`'s kind, if the plan has one left.
    fn take(&self, change: Change) -> bool {
        let left = match change {
            Change::SetTtl(_) => &self.set,
            Change::ExtendTo(_) => &self.spread,
        };
        left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Give back what `take` took for changes that will not be sent after all.
    fn give_back(&self, changes: &[Change]) {
        for c in changes {
            let left = match c {
                Change::SetTtl(0) => continue,
                Change::SetTtl(_) => &self.set,
                Change::ExtendTo(_) => &self.spread,
            };
            left.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct FixWork<'a> {
    permit: &'a Permit,
    /// The target's protected namespaces: never changed, whatever the policy asks.
    protect: &'a [Glob],
    left: &'a Budget,
    options: &'a AuditOptions,
    policy: &'a Policy,
    fix: &'a FixOptions,
    clusters: &'a HashMap<GroupKey, Vec<ExpiryCluster>>,
    jitter: Jitter,
    /// Changes for each batch whose replies are still to come, oldest first, in key order:
    /// the next batch is planned before the last one's replies are read.
    planned: VecDeque<Vec<Change>>,
    report: FixReport,
    last: u64,
    /// Changes the server sent elsewhere, for `follow_up`.
    again: Vec<(Vec<u8>, Change)>,
    /// Whether keys without TTL may be hashes whose fields expire (the audit saw some, or
    /// the server counts some): read before a TTL is given.
    read_fields: bool,
    /// 1 when the TTL `ttl_for` just gave was brought into its rule's range.
    clamping: u64,
    /// PEXPIRETIME, or PTTL once the server says it cannot answer that.
    expiry: ExpiryQuestion,
}

impl FixWork<'_> {
    /// Each key's time left as PTTL answers it (-1 no expiry, -2 no key), and the moment it
    /// expires: PEXPIRETIME's, exact, as the audit that found the clusters read it (our clock
    /// plus PTTL is late by the reply's lag, which put keys at a cluster's edge outside it);
    /// before 7.0, or under an ACL without it, our clock plus PTTL.
    async fn expiries(
        &mut self,
        store: &Store,
        node: &Node,
        keys: &[Vec<u8>],
    ) -> Result<(Vec<i64>, Vec<u64>)> {
        let ask = self.expiry.verb();
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd(ask).arg(k);
        }
        let replies = store.node_pipeline(node, &pipe).await?;
        let now = now_ms();
        if ask == "PEXPIRETIME" && replies.iter().any(|r| self.expiry.refused(r)) {
            return Box::pin(self.expiries(store, node, keys)).await;
        }
        let (mut left, mut at) = (
            Vec::with_capacity(keys.len()),
            Vec::with_capacity(keys.len()),
        );
        for r in replies {
            let answer = store.value_on::<i64>(node, r)?;
            let (ms, when) = ExpiryQuestion::read(ask, answer, now);
            left.push(ms);
            at.push(when.unwrap_or(0));
        }
        Ok((left, at))
    }
}

impl Change {
    /// The command that makes the change, if it changes anything.
    fn command(self, key: &[u8]) -> Option<redis::Cmd> {
        match self {
            Change::SetTtl(0) => None,
            Change::SetTtl(secs) => Some(redis::cmd("EXPIRE").arg(key).arg(secs).arg("NX").clone()),
            Change::ExtendTo(ms) => Some(redis::cmd("PEXPIRE").arg(key).arg(ms).arg("GT").clone()),
        }
    }
}

impl FixWork<'_> {
    /// The TTL a key without one gets under its rule: the rule's `fix_ttl`, or the flag's,
    /// up to 10% longer at random (keys fixed together must not expire together), brought
    /// into the rule's `ttl` range (a fix never makes a violation), and never shorter than its
    /// last field's life (`last_field`, seconds: a key TTL ends every field with it). `None`
    /// when no TTL can be all of that: the key is left for a person.
    fn ttl_for(&mut self, group: &GroupKey, last_field: u64) -> Option<Change> {
        let rule = group.rule.and_then(|r| self.policy.rules.get(r));
        let secs = rule.and_then(|r| r.fix_ttl).or(self.fix.missing_ttl)?;
        let jittered = secs + (secs as f64 * 0.1 * self.jitter.unit()) as u64;
        let (lo, hi) = (
            rule.and_then(|r| r.min_ttl).unwrap_or(1),
            rule.and_then(|r| r.max_ttl).unwrap_or(u64::MAX),
        );
        let ttl = jittered.clamp(lo, hi.max(lo)).max(last_field);
        if ttl > hi {
            return None;
        }
        self.clamping = u64::from(ttl != jittered.max(last_field));
        Some(Change::SetTtl(ttl))
    }

    /// The field expirations of the keys without TTL (`None` for the others, or where no key
    /// can have any).
    async fn fields_of_keys_without_ttl(
        &self,
        store: &Store,
        keys: &[Vec<u8>],
        pttls: &[i64],
    ) -> Result<Vec<Option<crate::ops::fields::FieldTtls>>> {
        let mut out = vec![None; keys.len()];
        if !self.read_fields || self.fix.missing_ttl.is_none() {
            return Ok(out);
        }
        let at: Vec<usize> = (0..keys.len()).filter(|&i| pttls[i] == -1).collect();
        let asked: Vec<Vec<u8>> = at.iter().map(|&i| keys[i].clone()).collect();
        for (i, f) in at
            .into_iter()
            .zip(crate::ops::fields::read(store, &asked, false).await?)
        {
            out[i] = f;
        }
        Ok(out)
    }

    /// A change the server made (it answers 1) counted; whether it made it.
    fn count(&mut self, change: Change, reply: &Value) -> bool {
        if !matches!(reply, Value::Int(1)) {
            return false;
        }
        self.last += 1;
        match change {
            Change::SetTtl(_) => self.report.ttl_set += 1,
            Change::ExtendTo(_) => self.report.spread += 1,
        }
        true
    }

    /// The keys changed, in the log.
    fn log(&self, node: &str, changed: &[(Vec<u8>, Change)]) -> Result<()> {
        let Some(log) = &self.fix.log else {
            return Ok(());
        };
        log.record(changed.iter().map(|(key, change)| Entry {
            key,
            op: match change {
                Change::SetTtl(_) => "expire",
                Change::ExtendTo(_) => "pexpire",
            },
            node,
            reason: match change {
                Change::SetTtl(_) => "missing TTL",
                Change::ExtendTo(_) => "expiry cluster",
            },
        }))
    }

    fn requires_ttl(&self, group: &GroupKey) -> bool {
        group
            .rule
            .and_then(|r| self.policy.rules.get(r))
            .is_some_and(|r| r.require_ttl)
    }

    fn group(&self, key: &[u8]) -> GroupKey {
        let family = self.options.grouper.group(key);
        GroupKey::new(self.policy.rule_for(key, &family), family)
    }
}

impl BatchWork for FixWork<'_> {
    fn permit(&self) -> Option<&Permit> {
        Some(self.permit)
    }

    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keys.into_iter()
            .filter(|k| !crate::keys::glob::any_match(self.protect, k))
            .filter(|k| {
                let GroupKey { rule, family } = self.group(k);
                let Some(rule) = rule else { return false };
                let r = &self.policy.rules[rule];
                (self.fix.missing_ttl.is_some() && r.require_ttl)
                    || (self.fix.spread.is_some()
                        && self
                            .clusters
                            .contains_key(&GroupKey::new(Some(rule), family)))
            })
            .collect()
    }

    // Which change a key needs depends on its TTL now, so ask first; the change then goes in
    // the batch's pipeline with the next SCAN.
    async fn before_send(&mut self, store: &Store, node: &Node, keys: &[Vec<u8>]) -> Result<()> {
        let (pttls, expire_at) = self.expiries(store, node, keys).await?;
        let fields = self.fields_of_keys_without_ttl(store, keys, &pttls).await?;
        let mut planned = Vec::with_capacity(keys.len());
        let mut clamped = 0;
        for (((key, pttl), at), fields) in keys.iter().zip(pttls).zip(expire_at).zip(fields) {
            self.clamping = 0;
            let group = self.group(key);
            let change = match KeyTtl::from_pttl(pttl) {
                // A hash whose every field expires goes with its last field: it has a TTL.
                KeyTtl::Never if fields.as_ref().is_some_and(|f| f.all_expire()) => None,
                // Up to 10% longer, at random: keys fixed together must not expire together.
                // Only a rule that requires a TTL gives one, whatever brought the key here.
                // Never shorter than a field's life: a key TTL ends every field with it.
                KeyTtl::Never if !self.requires_ttl(&group) => None,
                KeyTtl::Never => {
                    let last_field = fields.as_ref().and_then(|f| f.max_ms).unwrap_or(0);
                    self.ttl_for(&group, last_field.div_ceil(1000))
                }
                KeyTtl::Expires(ms) => match (self.fix.spread, self.clusters.get(&group)) {
                    (Some(p), Some(cs)) if cs.iter().any(|c| ExpiryWindows::contains(c, at)) => {
                        let extra = (ms as f64 * p * self.jitter.unit()) as u64;
                        Some(Change::ExtendTo(ms + extra.max(1)))
                    }
                    _ => None,
                },
                KeyTtl::Missing => None,
            };
            let change = change.filter(|&c| self.left.take(c));
            clamped += u64::from(change.is_some()) * self.clamping;
            planned.push(change.unwrap_or(Change::SetTtl(0)));
        }
        if let Some(backup) = &self.fix.backup {
            let changing: Vec<Vec<u8>> = keys
                .iter()
                .zip(&planned)
                .filter(|(_, c)| !matches!(c, Change::SetTtl(0)))
                .map(|(k, _)| k.clone())
                .collect();
            // Not sent, so not spent: the batch is prepared again on the next try.
            if let Err(e) = backup.save(store, Some(node), &changing).await {
                self.left.give_back(&planned);
                return Err(e);
            }
        }
        // Counted once the batch is sure to go (a failed backup prepares it again).
        self.report.clamped += clamped;
        self.planned.push_back(planned);
        Ok(())
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        let mut n = 0;
        let Some(planned) = self.planned.back() else {
            return 0;
        };
        for (k, change) in keys.iter().zip(planned) {
            if let Some(cmd) = change.command(k) {
                pipe.add_command(cmd);
                n += 1;
            }
        }
        n
    }

    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        let mut replies = replies.into_iter();
        self.last = 0;
        let planned = self.planned.pop_front().unwrap_or_default();
        let mut changed = Vec::new();
        for (key, change) in keys.into_iter().zip(planned) {
            let (Change::SetTtl(1..) | Change::ExtendTo(_)) = change else {
                continue;
            };
            let Some(r) = replies.next() else { break };
            if matches!(&r, Value::ServerError(e) if worth_resending(e)) {
                self.again.push((key, change));
                continue;
            }
            check_reply(node, &r)?;
            if self.count(change, &r) {
                changed.push((key, change));
            }
        }
        self.log(node.addr(), &changed)
    }

    /// The changes sent again, key by key, where each key lives now.
    async fn follow_up(&mut self, store: &Store, retries: u32, stop: &Stop) -> Result<()> {
        if self.again.is_empty() {
            return Ok(());
        }
        let again = std::mem::take(&mut self.again);
        let cmds = again.iter().filter_map(|(k, c)| c.command(k)).collect();
        let replies = store
            .write_routed_each(self.permit, cmds, retries, stop)
            .await;
        let mut changed = Vec::new();
        for ((key, change), r) in again.into_iter().zip(replies) {
            if self.count(change, &r?) {
                changed.push((key, change));
            }
        }
        self.log(store.addr(), &changed)
    }

    fn acted(&self) -> u64 {
        self.last
    }

    /// The changes planned for the pending batch (the last one prepared).
    fn acting_on(&self, _keys: &[Vec<u8>]) -> u64 {
        let planned = self.planned.back().map_or(&[][..], Vec::as_slice);
        let changes = planned.iter().filter(|c| !matches!(c, Change::SetTtl(0)));
        changes.count() as u64
    }
}
