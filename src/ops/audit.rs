//! Will the cache expire the way we meant? Keys without TTL, TTLs outside policy, and expiry
//! clusters: many keys of a family expiring in the same second, the miss storm that follows a
//! warm-up that gave every key the same TTL.
//!
//! The audit reads one expiry per key (pipelined with the next SCAN): PEXPIRETIME, the exact
//! moment, where the server has it (Redis and Valkey 7+); before 7.0 PTTL, and the moment is our
//! clock plus PTTL, late by however long the reply took to reach us.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use redis::{Pipeline, Value};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::keys::{self};
use crate::ops::checkpoint::Checkpoint;
use crate::ops::distributions::{
    CLUSTER_WINDOWS_ROOM, ClusterKeys, ExpiryCluster, ExpiryWindows, LogHistogram,
};
use crate::ops::fields::{self, FieldAcc, FieldSummary, FieldTtls};
pub use crate::ops::headline::{Headline, SizeHistogram, headline};
use crate::ops::inspect::{Grouper, MAX_FAMILIES, OTHER_FAMILIES, keep_sampled};
use crate::ops::policy::Policy;
use crate::progress::ProgressSink;
use crate::rdb::Rdb;
use crate::rdb::walk::{self, DumpSummary, Scope, walk_for_report};
use crate::scan::{
    self, BatchWork, CursorSink, Fault, NodeCursor, Pace, ScanSpec, WalkEnd, check_reply,
};
use crate::stop::Stop;
use crate::store::{Node, Store, worth_resending};
use crate::ttl::{ExpiryQuestion, KeyTtl};

const SAMPLE_KEYS: usize = 5;

/// What the server already counts, per master and database (`INFO keyspace`).
#[derive(Clone, Debug)]
pub struct AuditOptions {
    pub grouper: Grouper,
    pub sample: Option<f64>,
    /// Keys expiring within this window count as one cluster.
    pub window: Duration,
    pub policy: Option<Policy>,
    pub pace: Pace,
    /// Continue an interrupted audit from these cursors and the figures saved with them.
    pub resume: Vec<NodeCursor>,
    /// Keep each chain's cursor and figures here for a later run (`--checkpoint`).
    pub checkpoint: Option<Arc<Checkpoint>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HistogramBucket {
    /// Lower bound of the bucket, seconds.
    pub from_s: u64,
    pub keys: u64,
}

/// Keys expiring per bucket from `from_ms` on.
#[derive(Clone, Debug, Serialize)]
pub struct Timeline {
    pub from_ms: u64,
    pub bucket_ms: u64,
    pub counts: Vec<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FamilyAudit {
    pub family: String,
    /// The policy rule the family's keys fell under.
    pub rule: Option<String>,
    pub keys: u64,
    pub without_ttl: u64,
    pub ttl_min_s: Option<u64>,
    pub ttl_median_s: Option<u64>,
    pub ttl_max_s: Option<u64>,
    /// The most keys of this family expiring within one window, and when.
    pub busiest: Option<ExpiryCluster>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sample_without_ttl: Vec<String>,
    /// The family's hashes whose fields expire (Redis 7.4+, Valkey 9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldSummary>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    MissingTtl,
    /// A rule no audited key fell under: a typo, a family not in the cache now, or an
    /// earlier rule that takes its keys. Reported so a policy cannot pass by matching nothing.
    RuleMatchesNothing,
    TtlBelowMin,
    TtlAboveMax,
    ExpiryCluster,
    /// A hash without a TTL of its own with a field that never expires, where the rule's
    /// `require_field_ttl` wants every field to.
    MissingFieldTtl,
    FieldTtlBelowMin,
    FieldTtlAboveMax,
    /// Many fields expiring within one window: the same miss storm as many keys.
    FieldExpiryCluster,
}

#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    pub rule: String,
    #[serde(skip)]
    pub rule_index: usize,
    pub family: String,
    pub kind: ViolationKind,
    /// Keys concerned (for a cluster: keys in all offending windows).
    pub keys: u64,
    pub sample: Vec<String>,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ExpiryCluster>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    pub pattern: String,
    pub headline: Vec<Headline>,
    pub scanned: u64,
    /// Keys audited (after sampling).
    pub audited: u64,
    pub sample_rate: Option<f64>,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    /// Every key was walked; otherwise the figures cover what was.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Fault>,
    pub with_ttl: u64,
    pub without_ttl: u64,
    pub ttl_histogram: Vec<HistogramBucket>,
    /// The most keys of the whole keyspace expiring within one window.
    pub busiest: Option<ExpiryCluster>,
    /// Keys and hash fields expiring per bucket.
    pub timeline: Timeline,
    /// Hashes whose fields expire, over everything audited: present where any was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldSummary>,
    /// The fields' TTLs, as `ttl_histogram` for keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field_ttl_histogram: Vec<HistogramBucket>,
    pub families: Vec<FamilyAudit>,
    pub violations: Vec<Violation>,
    /// With a policy: keys no rule matched.
    pub unmatched: Option<u64>,
    /// When the scan's count disagrees with INFO keyspace by more than 1%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_mismatch: Option<String>,
    /// Why there is no headline (INFO refused by the user's ACL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline_note: Option<String>,
    /// From dumps (`--rdb`): which, and what of each was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dumps: Vec<DumpSummary>,
    /// With `--no-ttl`, `--ttl-under` and the other filters: what they select, and how many
    /// keys the pattern found that they passed over (the figures above are of the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct GroupAcc {
    keys: u64,
    without_ttl: u64,
    ttl: LogHistogram,
    windows: ExpiryWindows,
    sample_without_ttl: Vec<String>,
    below_min: (u64, Vec<String>),
    above_max: (u64, Vec<String>),
    /// Hashes without a TTL of their own whose fields were read.
    #[serde(default)]
    fields: FieldAcc,
    /// A few keys of each expiry window, under a rule with `max_cluster`: a cluster's sample.
    #[serde(default)]
    cluster_keys: ClusterKeys,
}

impl GroupAcc {
    /// `start_ms`: when the scan started, shared by every group so their windows merge cheaply.
    fn new(window_ms: u64, start_ms: u64) -> Self {
        GroupAcc {
            keys: 0,
            without_ttl: 0,
            ttl: LogHistogram::default(),
            windows: ExpiryWindows::starting(window_ms, start_ms),
            sample_without_ttl: Vec::new(),
            below_min: (0, Vec::new()),
            above_max: (0, Vec::new()),
            fields: FieldAcc::default(),
            cluster_keys: ClusterKeys::default(),
        }
    }

    fn merge(&mut self, o: &GroupAcc) {
        self.windows.merge(&o.windows);
        self.cluster_keys.merge(&o.cluster_keys);
        self.merge_counts(o);
    }

    /// Everything but the expiry windows.
    fn merge_counts(&mut self, o: &GroupAcc) {
        self.keys += o.keys;
        self.without_ttl += o.without_ttl;
        self.ttl.merge(&o.ttl);
        extend_sample(&mut self.sample_without_ttl, &o.sample_without_ttl);
        self.below_min.0 += o.below_min.0;
        extend_sample(&mut self.below_min.1, &o.below_min.1);
        self.above_max.0 += o.above_max.0;
        extend_sample(&mut self.above_max.1, &o.above_max.1);
        self.fields.merge(&o.fields);
    }
}

fn extend_sample(into: &mut Vec<String>, from: &[String]) {
    for k in from {
        if into.len() >= SAMPLE_KEYS {
            break;
        }
        into.push(k.clone());
    }
}

fn push_sample(into: &mut Vec<String>, key: &[u8]) {
    if into.len() < SAMPLE_KEYS {
        into.push(keys::display(key));
    }
}

/// A family under the policy rule its keys fell under (by index; `None`: no rule). Saved in
/// checkpoints as the pair it was before it had names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(Option<usize>, String)", into = "(Option<usize>, String)")]
pub(crate) struct GroupKey {
    pub rule: Option<usize>,
    pub family: String,
}

impl GroupKey {
    pub fn new(rule: Option<usize>, family: String) -> GroupKey {
        GroupKey { rule, family }
    }
}

impl From<(Option<usize>, String)> for GroupKey {
    fn from((rule, family): (Option<usize>, String)) -> Self {
        GroupKey { rule, family }
    }
}

impl From<GroupKey> for (Option<usize>, String) {
    fn from(k: GroupKey) -> Self {
        (k.rule, k.family)
    }
}

/// Audit the TTLs of the keys matching `pattern`.
pub async fn audit(
    store: &Store,
    pattern: &Glob,
    options: &AuditOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<AuditReport> {
    // The headline is INFO, which an application ACL (`-@dangerous`) refuses: the audit
    // itself needs only SCAN and PTTL, so it goes on without it and says so.
    let (head, headline_note) = match headline(store).await {
        Ok(h) => (h, None),
        Err(e) if crate::store::not_allowed(&e) => {
            (Vec::new(), Some(format!("no INFO headline: {e}")))
        }
        Err(e) => return Err(e),
    };
    let window_ms = (options.window.as_millis() as u64).max(1);
    let start_ms = now_ms();
    let read_fields = fields_to_read(store, &head, headline_note.is_some(), options).await;
    let spec = ScanSpec {
        resume: &options.resume,
        checkpoint: options.checkpoint.as_deref().map(|c| c as &dyn CursorSink),
        ..ScanSpec::new(store, pattern, options.pace, stop, progress)
    };
    let outcome = scan::scan(&spec, "auditing", |_| AuditWork {
        options,
        window_ms,
        start_ms,
        groups: HashMap::new(),
        last: 0,
        again: Vec::new(),
        read_fields,
        no_ttl: Vec::new(),
        cluster_room: CLUSTER_WINDOWS_ROOM,
        expiry: ExpiryQuestion::default(),
        not_selected: 0,
    })
    .await?;
    let ended = Ended {
        pattern,
        headline: head,
        headline_note,
        walk: outcome.end(),
        window_ms,
        start_ms,
        now_ms: now_ms(),
        // The scan's count against INFO keyspace's, when both cover the same keys.
        check_count: true,
    };
    Ok(summarise(outcome.work, options, ended))
}

/// Whether keys without a TTL are looked into for hash fields that expire: where the server
/// counts keys with such fields (INFO keyspace), or a rule asks about fields, or (INFO refused)
/// the server knows the command. Elsewhere nothing extra is sent.
async fn fields_to_read(
    store: &Store,
    head: &[Headline],
    no_headline: bool,
    options: &AuditOptions,
) -> bool {
    let asked = options.policy.as_ref().is_some_and(|p| {
        p.rules
            .iter()
            .any(|r| r.require_field_ttl || r.field_min_ttl.is_some() || r.field_max_ttl.is_some())
    });
    if asked || head.iter().any(|h| h.keys_with_field_ttls > 0) {
        return true;
    }
    no_headline && fields::supported(store).await
}

/// How a walk over the keys went, for its report.
struct Ended<'a> {
    pattern: &'a Glob,
    headline: Vec<Headline>,
    headline_note: Option<String>,
    walk: WalkEnd,
    window_ms: u64,
    start_ms: u64,
    /// TTLs are as of this moment; the timeline starts from it.
    now_ms: u64,
    check_count: bool,
}

/// Counts of a sampled scan scaled up to the whole keyspace (1 when not sampled).
#[derive(Clone, Copy)]
struct Scale(f64);

impl Scale {
    fn of(sample: Option<f64>) -> Scale {
        Scale(1.0 / sample.unwrap_or(1.0))
    }

    fn n(self, n: u64) -> u64 {
        (n as f64 * self.0).round() as u64
    }

    fn cluster(self, c: ExpiryCluster) -> ExpiryCluster {
        ExpiryCluster {
            keys: self.n(c.keys),
            span_keys: self.n(c.span_keys),
            ..c
        }
    }
}

/// The report from every chain's figures.
fn summarise(work: Vec<AuditWork>, options: &AuditOptions, ended: Ended) -> AuditReport {
    let (window_ms, start_ms) = (ended.window_ms, ended.start_ms);
    let not_selected: u64 = work.iter().map(|w| w.not_selected).sum();
    let filtered = !options.pace.select.is_empty();
    let groups = merged_groups(work, options);
    let scale = Scale::of(options.sample);
    let mut all = GroupAcc::new(window_ms, start_ms);
    for acc in groups.values() {
        all.merge_counts(acc);
    }
    all.windows = ExpiryWindows::union(groups.values().map(|g| &g.windows), window_ms, start_ms);
    // Fields expiring are misses as keys expiring are: the timeline shows both.
    let both = ExpiryWindows::union(
        (groups.values().map(|g| &g.windows))
            .chain(groups.values().filter_map(|g| g.fields.windows.as_ref())),
        window_ms,
        start_ms,
    );
    let families = family_rows(&groups, options, scale);
    let (violations, unmatched) = match &options.policy {
        Some(policy) => {
            let unmatched = groups
                .iter()
                .filter(|(k, _)| k.rule.is_none())
                .map(|(_, a)| a.keys)
                .sum();
            let mut violations = rule_violations(&groups, policy, scale, window_ms);
            // Only a whole, unsampled scan can say a rule matches nothing.
            if !ended.walk.interrupted && options.sample.is_none() {
                violations.extend(idle_rules(&groups, policy, ended.pattern));
            }
            (violations, Some(scale.n(unmatched)))
        }
        None => (Vec::new(), None),
    };
    let horizon_s = all.ttl.max().max(all.fields.ttl.max());
    let timeline = timeline(&both, horizon_s, ended.now_ms, scale);
    let audited = all.keys;
    let head = ended.headline;
    let info_keys: u64 = head.iter().map(|h| h.keys).sum();
    let info_mismatch = (ended.check_count
        && options.sample.is_none()
        && !head.is_empty()
        && !ended.walk.interrupted
        && ended.pattern.matches_everything()
        && info_keys.abs_diff(audited) * 100 > info_keys.max(1))
    .then(|| format!("the scan found {audited} keys, INFO keyspace counts {info_keys}"));
    AuditReport {
        pattern: ended.pattern.to_string(),
        headline: head,
        scanned: ended.walk.scanned,
        audited,
        sample_rate: options.sample,
        elapsed_ms: ended.walk.elapsed_ms,
        interrupted: ended.walk.interrupted,
        complete: ended.walk.complete,
        error: ended.walk.error,
        with_ttl: scale.n(all.ttl.count()),
        without_ttl: scale.n(all.without_ttl),
        ttl_histogram: histogram(&all.ttl, scale),
        busiest: all.windows.busiest().map(|c| scale.cluster(c)),
        timeline,
        fields: (!all.fields.is_empty()).then(|| all.fields.summary(|n| scale.n(n))),
        field_ttl_histogram: histogram(&all.fields.ttl, scale),
        families,
        violations,
        unmatched,
        info_mismatch,
        headline_note: ended.headline_note,
        dumps: Vec::new(),
        filters: filtered.then(|| options.pace.select.describe()),
        not_selected: filtered.then_some(not_selected),
    }
}

/// A histogram's buckets, counts scaled to the whole keyspace.
fn histogram(h: &LogHistogram, scale: Scale) -> Vec<HistogramBucket> {
    (h.buckets().into_iter())
        .map(|(from_s, keys)| HistogramBucket {
            from_s,
            keys: scale.n(keys),
        })
        .collect()
}

/// Every chain's groups merged, families learned when asked, expiries folded once.
fn merged_groups(work: Vec<AuditWork>, options: &AuditOptions) -> HashMap<GroupKey, GroupAcc> {
    let mut groups: HashMap<GroupKey, GroupAcc> = HashMap::new();
    for w in work {
        for (k, acc) in w.groups {
            match groups.entry(k) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(acc);
                }
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(&acc),
            }
        }
    }
    if options.grouper.learns() {
        groups = learn_families(groups);
    }
    // Fold every group's buffered expiries once, so that nothing below copies them.
    for acc in groups.values_mut() {
        acc.windows.compact();
    }
    groups
}

/// One row per family (and rule), most keys first.
fn family_rows(
    groups: &HashMap<GroupKey, GroupAcc>,
    options: &AuditOptions,
    scale: Scale,
) -> Vec<FamilyAudit> {
    let rule_name =
        |i: Option<usize>| i.and_then(|i| options.policy.as_ref().map(|p| p.rules[i].name.clone()));
    let mut families: Vec<FamilyAudit> = groups
        .iter()
        .map(|(k, acc)| FamilyAudit {
            family: k.family.clone(),
            rule: rule_name(k.rule),
            keys: scale.n(acc.keys),
            without_ttl: scale.n(acc.without_ttl),
            ttl_min_s: acc.ttl.min(),
            ttl_median_s: acc.ttl.quantile(0.5),
            ttl_max_s: acc.ttl.max(),
            busiest: acc.windows.busiest(),
            sample_without_ttl: acc.sample_without_ttl.clone(),
            fields: (!acc.fields.is_empty()).then(|| acc.fields.summary(|n| scale.n(n))),
        })
        .collect();
    families.sort_by(|a, b| b.keys.cmp(&a.keys).then_with(|| a.family.cmp(&b.family)));
    families
}

/// What each family breaks of the rule it falls under, in the groups' order.
fn rule_violations(
    groups: &HashMap<GroupKey, GroupAcc>,
    policy: &Policy,
    scale: Scale,
    window_ms: u64,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut keys: Vec<&GroupKey> = groups.keys().collect();
    keys.sort();
    for gk in keys {
        let GroupKey {
            rule: Some(ri),
            family,
        } = gk
        else {
            continue;
        };
        let acc = &groups[gk];
        let rule = &policy.rules[*ri];
        let mut push = |kind, n: u64, sample: &[String], detail: String, clusters| {
            violations.push(Violation {
                rule: rule.name.clone(),
                rule_index: *ri,
                family: family.clone(),
                kind,
                keys: scale.n(n),
                sample: sample.to_vec(),
                detail,
                clusters,
            });
        };
        if rule.require_ttl && acc.without_ttl > 0 {
            push(
                ViolationKind::MissingTtl,
                acc.without_ttl,
                &acc.sample_without_ttl,
                "keys without TTL where the rule requires one".into(),
                Vec::new(),
            );
        }
        if let Some(min) = rule.min_ttl
            && acc.below_min.0 > 0
        {
            push(
                ViolationKind::TtlBelowMin,
                acc.below_min.0,
                &acc.below_min.1,
                format!("TTL below the minimum of {min}s"),
                Vec::new(),
            );
        }
        if let Some(max) = rule.max_ttl
            && acc.above_max.0 > 0
        {
            push(
                ViolationKind::TtlAboveMax,
                acc.above_max.0,
                &acc.above_max.1,
                format!("TTL above the maximum of {max}s"),
                Vec::new(),
            );
        }
        if let Some((n, worst, span_ms, first, scaled)) =
            stretches(&acc.windows, rule.max_cluster, scale)
        {
            let densest = scaled.iter().max_by_key(|c| c.keys);
            let worst_at = densest.map_or(first, |c| c.starts_ms);
            let sample = densest.map_or_else(Vec::new, |c| {
                (acc.cluster_keys).within(c.starts_ms, c.starts_ms + c.window_ms, window_ms, 5)
            });
            push(
                ViolationKind::ExpiryCluster,
                n,
                &sample,
                format!(
                    "{} stretch(es) over {} from {} in which windows of {window_ms} ms hold more than {} keys (worst {worst}, at {})",
                    scaled.len(),
                    crate::ttl::human_ms(span_ms),
                    crate::clock::rfc3339_ms(first),
                    rule.max_cluster.unwrap_or(0),
                    crate::clock::rfc3339_ms(worst_at),
                ),
                scaled,
            );
        }
        let f = &acc.fields;
        for (kind, (n, sample), detail) in [
            (
                ViolationKind::MissingFieldTtl,
                &f.missing,
                "hashes without a TTL of their own with a field that never expires".to_string(),
            ),
            (
                ViolationKind::FieldTtlBelowMin,
                &f.below_min,
                format!(
                    "fields with a TTL below the minimum of {}s",
                    rule.field_min_ttl.unwrap_or(0)
                ),
            ),
            (
                ViolationKind::FieldTtlAboveMax,
                &f.above_max,
                format!(
                    "fields with a TTL above the maximum of {}s",
                    rule.field_max_ttl.unwrap_or(0)
                ),
            ),
        ] {
            if *n > 0 {
                push(kind, *n, sample, detail, Vec::new());
            }
        }
        if let Some((n, worst, _, first, scaled)) =
            (f.windows.as_ref()).and_then(|w| stretches(w, rule.max_cluster, scale))
        {
            push(
                ViolationKind::FieldExpiryCluster,
                n,
                &[],
                format!(
                    "{} stretch(es) from {} in which windows of {window_ms} ms hold more than {} expiring hash fields (worst {worst})",
                    scaled.len(),
                    crate::clock::rfc3339_ms(first),
                    rule.max_cluster.unwrap_or(0)
                ),
                scaled,
            );
        }
    }
    violations
}

/// The stretches in which `windows` hold more than `limit` (scaled: sampled counts are
/// compared as the keyspace's): every member of every stretch (what a spread must move), the
/// densest window, the stretches' length and first start, and the stretches scaled.
fn stretches(
    windows: &ExpiryWindows,
    limit: Option<u64>,
    scale: Scale,
) -> Option<(u64, u64, u64, u64, Vec<ExpiryCluster>)> {
    let raw_limit = (limit? as f64 / scale.0).floor() as u64;
    let clusters = windows.clusters_over(raw_limit);
    let first = clusters.first()?.from_ms;
    let n: u64 = clusters.iter().map(|c| c.span_keys).sum();
    let worst = clusters.iter().map(|c| scale.n(c.keys)).max().unwrap_or(0);
    let span_ms: u64 = clusters.iter().map(|c| c.until_ms - c.from_ms).sum();
    let scaled = clusters.into_iter().map(|c| scale.cluster(c)).collect();
    Some((n, worst, span_ms, first, scaled))
}

/// The rules no key fell under: a typo, or a family not cached now.
fn idle_rules(
    groups: &HashMap<GroupKey, GroupAcc>,
    policy: &Policy,
    pattern: &Glob,
) -> Vec<Violation> {
    let families: Vec<&str> = groups.keys().map(|k| k.family.as_str()).collect();
    let mut violations = Vec::new();
    for (ri, rule) in policy.rules.iter().enumerate() {
        if groups.keys().any(|k| k.rule == Some(ri)) {
            continue;
        }
        let hint = match &rule.selector {
            crate::ops::policy::Selector::Family(f) => nearest(f, &families)
                .map(|n| format!("; the nearest family seen is `{n}`"))
                .unwrap_or_default(),
            crate::ops::policy::Selector::Glob(_) => String::new(),
        };
        violations.push(Violation {
            rule: rule.name.clone(),
            rule_index: ri,
            family: String::new(),
            kind: ViolationKind::RuleMatchesNothing,
            keys: 0,
            sample: Vec::new(),
            detail: format!(
                "no key matching `{pattern}` fell under this rule (a typo, a family not cached now, or an earlier rule takes its keys){hint}"
            ),
            clusters: Vec::new(),
        });
    }
    violations
}

/// Expiries from the current minute through the latest (within a day), in whole buckets.
fn timeline(windows: &ExpiryWindows, horizon_s: Option<u64>, now: u64, scale: Scale) -> Timeline {
    let horizon_ms = horizon_s.map_or(3_600_000, |s| {
        s.saturating_mul(1000).clamp(3_600_000, 24 * 3_600_000)
    });
    let bucket_ms = if horizon_ms <= 6 * 3_600_000 {
        60_000
    } else {
        300_000
    };
    let from_ms = now - now % bucket_ms;
    let buckets = ((now + horizon_ms - from_ms) / bucket_ms + 1) as usize;
    Timeline {
        from_ms,
        bucket_ms,
        counts: windows
            .timeline(from_ms, bucket_ms, buckets)
            .into_iter()
            .map(|n| scale.n(n))
            .collect(),
    }
}

/// Audit the TTLs of the keys matching `pattern` (in `scope`) of one dump, or of several (a
/// cluster's masters'), as `audit` does those of a live server. Reads no server. A dump
/// damaged or cut off part way gives the figures up to there, with the error.
pub fn audit_rdb(
    rdbs: &mut [Rdb],
    pattern: &Glob,
    scope: Scope,
    options: &AuditOptions,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> AuditReport {
    let window_ms = (options.window.as_millis() as u64).max(1);
    // Expiry windows count from the earliest dump's moment, shared by all of them.
    let start = walk::earliest(rdbs, &scope).max(0) as u64;
    let make = || AuditWork {
        options,
        window_ms,
        start_ms: start,
        groups: HashMap::new(),
        last: 0,
        again: Vec::new(),
        read_fields: false,
        no_ttl: Vec::new(),
        cluster_room: CLUSTER_WINDOWS_ROOM,
        expiry: ExpiryQuestion::default(),
        not_selected: 0,
    };
    let walked = walk_for_report(
        rdbs,
        pattern,
        &scope,
        stop,
        progress,
        "auditing",
        make,
        |work, entry, ttl, at| {
            if !crate::ops::inspect::sampled(entry.key, options.sample) {
                return false;
            }
            let now = at.max(0) as u64;
            // As the live audit: the fields of hashes without a TTL of their own.
            let fields = (entry.fields.as_ref())
                .filter(|_| ttl == KeyTtl::Never)
                .map(|f| FieldTtls::from_expiries(f.fields, f.expires_at_ms, at));
            work.add_with_fields(entry.key, ttl, fields.as_ref(), now);
            true
        },
    );
    // What each dump announced per database stands in for INFO keyspace.
    let headline = walked
        .dumps
        .iter()
        .flat_map(|d| {
            d.snapshot
                .dbs
                .iter()
                .filter(|s| scope.db.is_none_or(|want| want == s.db))
                .map(|s| Headline {
                    node: d.snapshot.file.clone(),
                    db: s.db,
                    keys: s.keys,
                    expires: s.expires,
                    avg_ttl_ms: 0,
                    keys_with_field_ttls: 0,
                    sizes: Vec::new(),
                })
        })
        .collect();
    let done = Ended {
        pattern,
        headline,
        headline_note: None,
        walk: walked.end,
        window_ms,
        start_ms: start,
        now_ms: start,
        // The announced sizes count keys already expired, which the audit does not.
        check_count: false,
    };
    let mut report = summarise(walked.works, options, done);
    report.dumps = walked.dumps;
    report
}

struct AuditWork<'a> {
    options: &'a AuditOptions,
    window_ms: u64,
    start_ms: u64,
    groups: HashMap<GroupKey, GroupAcc>,
    last: u64,
    /// Keys whose PTTL the server sent elsewhere, for `follow_up`.
    again: Vec<Vec<u8>>,
    /// Whether keys without TTL are looked into for fields that expire.
    read_fields: bool,
    /// Keys without TTL of this batch, whose fields `follow_up` reads.
    no_ttl: Vec<Vec<u8>>,
    /// Expiry windows the groups may still add to their cluster samples.
    cluster_room: usize,
    /// PEXPIRETIME, or PTTL once the server says it cannot answer that.
    expiry: ExpiryQuestion,
    /// Keys the pattern found that the walk's filters passed over.
    not_selected: u64,
}

impl AuditWork<'_> {
    /// One key's PTTL into its family's figures; a key without TTL waits for its fields to
    /// be read, where they are.
    fn record(&mut self, key: Vec<u8>, pttl: i64, now: u64) {
        let ttl = KeyTtl::from_pttl(pttl);
        if ttl == KeyTtl::Never && self.read_fields {
            self.no_ttl.push(key);
            return;
        }
        self.add(&key, ttl, now);
    }

    /// The fields of this batch's keys without TTL, read, and the keys added with them: a
    /// hash whose every field expires goes with its last field, so that is its TTL.
    async fn add_no_ttl(&mut self, store: &Store) -> Result<()> {
        if self.no_ttl.is_empty() {
            return Ok(());
        }
        let keys = std::mem::take(&mut self.no_ttl);
        let read = fields::read(store, &keys, true).await?;
        let now = now_ms();
        for (key, f) in keys.into_iter().zip(read) {
            self.add_with_fields(&key, KeyTtl::Never, f.as_ref(), now);
        }
        Ok(())
    }

    /// A key with its fields' expirations (for a hash without TTL of its own): one lookup of
    /// its group for both.
    fn add_with_fields(&mut self, key: &[u8], ttl: KeyTtl, f: Option<&FieldTtls>, now: u64) {
        let ttl = match (ttl, f.and_then(|f| f.effective_ms)) {
            (KeyTtl::Never, Some(ms)) => KeyTtl::Expires(ms),
            _ => ttl,
        };
        if ttl == KeyTtl::Missing {
            return;
        }
        let (group, rule) = self.group_of(key);
        let options = self.options;
        let rule = rule.and_then(|i| options.policy.as_ref().map(|p| &p.rules[i]));
        let (window_ms, start_ms) = (self.window_ms, self.start_ms);
        let acc = self
            .groups
            .entry(group)
            .or_insert_with(|| GroupAcc::new(window_ms, start_ms));
        acc.keys += 1;
        self.last += 1;
        match ttl {
            KeyTtl::Never => {
                acc.without_ttl += 1;
                push_sample(&mut acc.sample_without_ttl, key);
            }
            KeyTtl::Expires(ms) => {
                let secs = ms.div_ceil(1000);
                acc.ttl.add(secs);
                acc.windows.add(now.saturating_add(ms));
                if rule.is_some_and(|r| r.max_cluster.is_some()) {
                    let at = now.saturating_add(ms);
                    acc.cluster_keys
                        .add(at, window_ms, key, &mut self.cluster_room);
                }
                if let Some(rule) = rule {
                    if rule.min_ttl.is_some_and(|min| secs < min) {
                        acc.below_min.0 += 1;
                        push_sample(&mut acc.below_min.1, key);
                    }
                    if rule.max_ttl.is_some_and(|max| secs > max) {
                        acc.above_max.0 += 1;
                        push_sample(&mut acc.above_max.1, key);
                    }
                }
            }
            KeyTtl::Missing => {}
        }
        if let Some(f) = f.filter(|f| f.read > 0) {
            acc.fields.add(key, f, rule, now, (window_ms, start_ms));
        }
    }

    /// The group a key's figures go to, and its rule.
    fn group_of(&self, key: &[u8]) -> (GroupKey, Option<usize>) {
        let family = self.options.grouper.group(key);
        let rule = self
            .options
            .policy
            .as_ref()
            .and_then(|p| p.rule_for(key, &family));
        let family = if self.groups.len() >= MAX_FAMILIES
            && !self
                .groups
                .contains_key(&GroupKey::new(rule, family.clone()))
        {
            OTHER_FAMILIES.to_string()
        } else {
            family
        };
        (GroupKey::new(rule, family), rule)
    }

    /// One key's TTL as of `now`, whether the server answered it or a dump.
    fn add(&mut self, key: &[u8], ttl: KeyTtl, now: u64) {
        self.add_with_fields(key, ttl, None, now);
    }
}

impl BatchWork for AuditWork<'_> {
    fn counts_keys(&self) -> bool {
        true
    }

    fn admit(&mut self, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        keep_sampled(keys, self.options.sample)
    }

    fn commands(&mut self, _store: &Store, keys: &[Vec<u8>], pipe: &mut Pipeline) -> usize {
        let ask = self.expiry.verb();
        for k in keys {
            pipe.cmd(ask).arg(k);
        }
        keys.len()
    }

    fn replies(&mut self, node: &Node, keys: Vec<Vec<u8>>, replies: Vec<Value>) -> Result<()> {
        let now = now_ms();
        self.last = 0;
        for (key, r) in keys.into_iter().zip(&replies) {
            match r {
                Value::ServerError(e) if worth_resending(e) => {
                    self.again.push(key);
                    continue;
                }
                // PEXPIRETIME unknown or denied: this key and every later one are asked PTTL.
                Value::ServerError(_) if self.expiry.refused(r) => {
                    self.again.push(key);
                    continue;
                }
                _ => check_reply(node, r)?,
            }
            let answer: i64 =
                redis::from_redis_value_ref(r).map_err(|e| Error::redis(node.addr(), e.into()))?;
            // An exact moment as the time left from `now`, so that `now` plus it is that
            // moment again: a key the server still holds has not expired by its clock.
            let (pttl, _) = ExpiryQuestion::read(self.expiry.verb(), answer, now);
            self.record(key, pttl, now);
        }
        Ok(())
    }

    /// PTTL asked again, key by key, where each key lives now; then the fields of the keys
    /// without TTL.
    async fn follow_up(&mut self, store: &Store, retries: u32, stop: &Stop) -> Result<()> {
        if self.again.is_empty() {
            return self.add_no_ttl(store).await;
        }
        let keys = std::mem::take(&mut self.again);
        let pttl = |k: &[u8]| vec![redis::cmd("PTTL").arg(k).clone()];
        let answers = scan::ask_again(store, keys, pttl, retries, stop).await?;
        let now = now_ms();
        for (key, mut r) in answers {
            let pttl: i64 = store.decode(r.pop().unwrap_or(Value::Nil))?;
            self.record(key, pttl, now);
        }
        self.add_no_ttl(store).await
    }

    fn restarted(&mut self, _carried: u64) {
        self.groups.clear();
        self.not_selected = 0;
    }

    fn passed_over(&mut self, n: u64) {
        self.not_selected += n;
    }

    fn figures(&self) -> Option<serde_json::Value> {
        // A map with tuple keys is a list of pairs in JSON.
        let groups = serde_json::to_value(self.groups.iter().collect::<Vec<_>>()).ok()?;
        Some(serde_json::json!({ "groups": groups, "not_selected": self.not_selected }))
    }

    fn resume(&mut self, figures: serde_json::Value) -> Result<()> {
        let unreadable = |e| Error::Usage(format!("checkpoint: its figures cannot be read ({e})"));
        // A checkpoint from before filters were counted holds the groups alone.
        let (groups, not_selected) = match figures {
            serde_json::Value::Object(mut o) => (
                o.remove("groups").unwrap_or_default(),
                o.get("not_selected").and_then(|n| n.as_u64()).unwrap_or(0),
            ),
            groups => (groups, 0),
        };
        let saved: Vec<(GroupKey, GroupAcc)> =
            serde_json::from_value(groups).map_err(unreadable)?;
        self.not_selected += not_selected;
        for (k, acc) in saved {
            // Windows counted from another start are re-based as they merge.
            match self.groups.entry(k) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(acc);
                }
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(&acc),
            }
        }
        Ok(())
    }

    fn acted(&self) -> u64 {
        self.last
    }
}

/// Groups whose families differ only where a word varies (a user name) as one family, rule by
/// rule: `family::fold_learned`, as inspect folds its families.
fn learn_families(groups: HashMap<GroupKey, GroupAcc>) -> HashMap<GroupKey, GroupAcc> {
    crate::keys::family::fold_learned_by(
        groups,
        |k| k.family.as_str(),
        |k, family| GroupKey { family, ..k },
        |acc, other| acc.merge(&other),
    )
}

/// The name in `names` closest to `wanted` (edit distance), when it is close enough to be
/// what was meant.
fn nearest<'a>(wanted: &str, names: &[&'a str]) -> Option<&'a str> {
    let (best, distance) = names
        .iter()
        .map(|n| (*n, edit_distance(wanted, n)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= wanted.chars().count().div_ceil(3)).then_some(best)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_family() {
        let seen = ["user_{n}_posts:page_{n}", "post_cache:{n}", "country:{s}"];
        assert_eq!(
            nearest("user_{n}_post:page_{n}", &seen),
            Some("user_{n}_posts:page_{n}")
        );
        assert_eq!(nearest("leaderboard:{n}", &seen), None);
    }
}
