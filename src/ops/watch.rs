//! Live churn: every master's keyspace notifications, counted per key family and interval
//! (sets, deletions, expirations, evictions), with the server's hit ratio from `INFO stats`
//! as the headline. The view to watch a deploy's invalidation land, or a miss storm start.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::keys::family;
use crate::keys::glob::Glob;
use crate::ops::inspect::{Grouper, MAX_FAMILIES, OTHER_FAMILIES};
use crate::retry::Backoff;
use crate::stop::Stop;
use crate::store::{Node, Store};

/// The notification classes watch needs: keyevent channels (`E`) for every kind of event
/// (`A`: generic, string, list, set, hash, zset, stream, expired, evicted).
const NEEDED: &str = "EA";

#[derive(Clone, Debug)]
pub struct WatchOptions {
    pub pattern: Glob,
    pub grouper: Grouper,
    pub interval: Duration,
    /// Stop after this long; `None`: until stopped.
    pub duration: Option<Duration>,
    /// Turn on the notification classes needed where they are off, and put back the
    /// previous setting at the end.
    pub enable_events: bool,
}

/// One interval's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Tick {
    /// When the interval ended (RFC 3339).
    pub time: String,
    pub interval_ms: u64,
    /// Reads that found their key, and that did not, in the interval (`INFO stats`, every
    /// master).
    pub hits: u64,
    pub misses: u64,
    pub hit_ratio: Option<f64>,
    /// Families with events in the interval, busiest first.
    pub families: Vec<FamilyChurn>,
    /// Masters whose subscription dropped in the interval and was opened again: their events
    /// between the two were not seen, so the interval's counts are short by them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missed_on: Vec<String>,
}

/// Events on one family's keys in an interval.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FamilyChurn {
    pub family: String,
    /// Writes: SET and every other command that changes a value.
    pub set: u64,
    pub del: u64,
    pub expired: u64,
    pub evicted: u64,
    /// `hexpired` events (Redis 7.4+, Valkey 9): a hash some of whose fields expired. A server
    /// sends one per hash per expiry pass, not one per field, so this counts the hashes that
    /// lost fields, each time they did.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub hexpired: u64,
}

impl FamilyChurn {
    fn total(&self) -> u64 {
        self.set + self.del + self.expired + self.evicted + self.hexpired
    }

    fn merge(&mut self, o: FamilyChurn) {
        self.set += o.set;
        self.del += o.del;
        self.expired += o.expired;
        self.evicted += o.evicted;
        self.hexpired += o.hexpired;
    }
}

/// What a watch did: its intervals were handed to the sink as they ended.
#[derive(Clone, Debug, Serialize)]
pub struct WatchReport {
    pub intervals: u64,
    /// Masters whose notification setting was turned on for the watch, and put back.
    pub enabled_on: Vec<String>,
}

/// Told each interval as it ends.
pub trait TickSink {
    /// Hand over one interval; `false` when no one reads any more (a closed stdout): the
    /// watch then ends as if its time were up, putting back what it changed.
    fn tick(&self, tick: &Tick) -> bool;
}

/// The notification settings the watch may change (under its permit) and has changed.
struct Setting {
    permit: Option<Permit>,
    list: Vec<Changed>,
}

/// A master's notification setting before the watch, where the watch changed it.
struct Changed {
    node: Node,
    before: String,
    /// Held until the setting is put back, so that a forced exit says what is left changed.
    _undo: crate::stop::Pending,
}

/// Watch until `options.duration` has passed or `stop` is set. Notifications that are off
/// are an error naming what to run, unless `enable_events`; the settings changed are put back
/// on every way out.
pub async fn watch(
    store: &Store,
    options: &WatchOptions,
    confirm: &dyn Confirm,
    stop: &Stop,
    sink: &dyn TickSink,
) -> Result<WatchReport> {
    let masters = store.masters().await?;
    // Turning notifications on is a change to each master's settings: through the gate,
    // before the first CONFIG SET (read-only and `confirm: always` hold for it).
    let permit = match options.enable_events {
        true => {
            let what = format!("notify-keyspace-events on {}", store.addr());
            let n = masters.len() as u64;
            let proposal = Proposal::new(Action::Configure, vec![Selection::of(what, n, 0, false)]);
            Some(
                store
                    .authorise(proposal, &Guards::default(), confirm, stop)
                    .await?,
            )
        }
        false => None,
    };
    let mut changed = Setting {
        permit,
        list: Vec::new(),
    };
    // The connection for everything but the subscriptions; replaced by a new one when a
    // master drops it (a restart).
    let mut control = store.clone();
    // A panic in the watch still puts the setting back before it goes on unwinding.
    let result = {
        use futures::FutureExt;
        let running = run(&mut control, &masters, options, stop, sink, &mut changed);
        std::panic::AssertUnwindSafe(running).catch_unwind().await
    };
    // Put back what was changed, whatever happened (on a new connection if this one broke).
    let mut restore_error = None;
    for c in &changed.list {
        let Some(permit) = &changed.permit else { break };
        let mut pipe = redis::pipe();
        pipe.cmd("CONFIG")
            .arg("SET")
            .arg("notify-keyspace-events")
            .arg(&c.before);
        let mut done = control.write_node_pipeline(permit, &c.node, &pipe).await;
        if done.as_ref().is_err_and(Error::is_transient)
            && let Ok(fresh) = store.another().await
        {
            control = fresh;
            done = control.write_node_pipeline(permit, &c.node, &pipe).await;
        }
        if let Err(e) = done {
            restore_error.get_or_insert(e);
        }
    }
    let intervals = match result {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    if let Some(e) = restore_error {
        return Err(e);
    }
    Ok(WatchReport {
        intervals,
        enabled_on: (changed.list.iter())
            .map(|c| c.node.addr().to_string())
            .collect(),
    })
}

async fn run(
    control: &mut Store,
    masters: &[Node],
    options: &WatchOptions,
    stop: &Stop,
    sink: &dyn TickSink,
    changed: &mut Setting,
) -> Result<u64> {
    let store = control.clone();
    let store = &store;
    for node in masters {
        ensure_events(store, node, options, stop, changed).await?;
    }
    let channel = format!("__keyevent@{}__:*", store.db());
    let mut messages = futures::stream::SelectAll::new();
    for (i, node) in masters.iter().enumerate() {
        messages.push(subscribe(store, node, i, &channel).await?);
    }
    // Masters whose subscription dropped since the last tick.
    let mut missed_on: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut stats = hits_and_misses(store, masters).await;
    let mut counts: HashMap<String, FamilyChurn> = HashMap::new();
    let mut intervals = 0;
    let mut next_tick = tokio::time::Instant::now() + options.interval;
    loop {
        let over = options.duration.is_some_and(|d| started.elapsed() >= d);
        if over || stop.is_set() {
            return Ok(intervals);
        }
        tokio::select! {
            next = messages.next() => {
                let Some((i, msg)) = next else {
                    return Ok(intervals);
                };
                let Some(msg) = msg else {
                    // A dropped subscription (a restart, a killed connection): open it again,
                    // and say that the interval missed what happened in between.
                    let node = &masters[i];
                    let addr = node.addr().to_string();
                    if !missed_on.contains(&addr) {
                        missed_on.push(addr);
                    }
                    let again = resubscribe(control, node, i, &channel, options, stop, changed).await?;
                    match again {
                        Some(s) => messages.push(s),
                        None => return Ok(intervals),
                    }
                    continue;
                };
                let event = msg
                    .get_channel_name()
                    .rsplit_once(':')
                    .map_or("", |(_, e)| e)
                    .to_string();
                count(&mut counts, options, &event, msg.get_payload_bytes());
            }
            () = tokio::time::sleep_until(next_tick) => {
                next_tick += options.interval;
                let now = hits_and_misses(control, masters).await;
                let (hits, misses) = match (stats, now) {
                    (Some((h0, m0)), Some((h1, m1))) => (h1.saturating_sub(h0), m1.saturating_sub(m0)),
                    _ => (0, 0),
                };
                stats = now.or(stats);
                intervals += 1;
                let mut t = tick(std::mem::take(&mut counts), hits, misses, options);
                t.missed_on = std::mem::take(&mut missed_on);
                if !sink.tick(&t) {
                    return Ok(intervals);
                }
            }
            () = stop.wait() => return Ok(intervals),
        }
    }
}

/// One event on `key` into its family's counts.
fn count(
    counts: &mut HashMap<String, FamilyChurn>,
    options: &WatchOptions,
    event: &str,
    key: &[u8],
) {
    if !options.pattern.is_match(key) {
        return;
    }
    let mut name = options.grouper.group(key);
    if counts.len() >= MAX_FAMILIES && !counts.contains_key(&name) {
        name = OTHER_FAMILIES.to_string();
    }
    let c = counts.entry(name).or_default();
    match event {
        "del" => c.del += 1,
        "expired" => c.expired += 1,
        "evicted" => c.evicted += 1,
        "hexpired" => c.hexpired += 1,
        // A TTL set or removed (of a key or of hash fields), a rename's two halves, a key
        // moved: not a value written.
        "expire" | "persist" | "hexpire" | "hpersist" | "rename_from" | "rename_to"
        | "move_from" | "move_to" | "new" => {}
        _ => c.set += 1,
    }
}

fn tick(
    counts: HashMap<String, FamilyChurn>,
    hits: u64,
    misses: u64,
    options: &WatchOptions,
) -> Tick {
    let counts = match options.grouper.learns() {
        true => family::fold_learned(counts, FamilyChurn::merge),
        false => counts,
    };
    let mut families: Vec<FamilyChurn> = counts
        .into_iter()
        .map(|(family, c)| FamilyChurn { family, ..c })
        .collect();
    families.sort_by(|a, b| {
        b.total()
            .cmp(&a.total())
            .then_with(|| a.family.cmp(&b.family))
    });
    Tick {
        time: crate::clock::rfc3339_ms(now_ms()),
        interval_ms: options.interval.as_millis() as u64,
        hits,
        misses,
        hit_ratio: (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64),
        families,
        missed_on: Vec::new(),
    }
}

/// Make sure `node` sends the events watch counts. Where they are off: an error naming what to
/// run, or with `enable_events` the missing classes turned on and the setting before them
/// remembered, once per master, to be put back.
async fn ensure_events(
    store: &Store,
    node: &Node,
    options: &WatchOptions,
    stop: &Stop,
    changed: &mut Setting,
) -> Result<()> {
    let before = notify_setting(store, node).await?;
    if covers(&before) {
        return Ok(());
    }
    if !options.enable_events {
        // The server's state, not the command line, is what stops the watch: exit 1.
        return Err(Error::Precondition(format!(
            "keyspace notifications are off on {} (notify-keyspace-events is \"{before}\"): \
             run with --enable-events (put back on exit), or CONFIG SET \
             notify-keyspace-events {}",
            node.addr(),
            with_needed(&before)
        )));
    }
    let Some(permit) = &changed.permit else {
        return Err(Error::Unpermitted("CONFIG SET".into()));
    };
    let mut pipe = redis::pipe();
    pipe.cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg(with_needed(&before));
    // Registered before the change is sent, so no moment exists where it is made but unlisted.
    let undo = stop.pending(format!(
        "CONFIG SET notify-keyspace-events \"{before}\" on {}",
        node.addr()
    ));
    let reply = store.write_node_pipeline(permit, node, &pipe).await?;
    store.value_on::<redis::Value>(node, reply.into_iter().next().unwrap_or(redis::Value::Nil))?;
    // A restarted master is set again; what is put back is the setting from before the watch.
    if !changed.list.iter().any(|c| c.node.addr() == node.addr()) {
        changed.list.push(Changed {
            node: node.clone(),
            before,
            _undo: undo,
        });
    }
    Ok(())
}

/// One master's notifications, tagged with its index, ending with `(i, None)` when the
/// subscription drops.
type Events = futures::stream::BoxStream<'static, (usize, Option<redis::Msg>)>;

/// A subscription to `node`'s keyevent channels, its messages tagged with `i`, ending with
/// `(i, None)` when the connection drops.
async fn subscribe(store: &Store, node: &Node, i: usize, channel: &str) -> Result<Events> {
    let mut sub = store.pubsub(node).await?;
    sub.psubscribe(channel)
        .await
        .map_err(|e| Error::redis(node.addr(), e))?;
    Ok(sub
        .into_on_message()
        .map(move |m| (i, Some(m)))
        .chain(futures::stream::once(async move { (i, None) }))
        .boxed())
}

/// Attempts to open a dropped subscription again, a moment apart, before giving up.
const RESUBSCRIBE_ATTEMPTS: u32 = 6;

/// Open `node`'s subscription again (a restarted server may have lost a setting the watch
/// made: it is made again). `None` when stopped while waiting.
async fn resubscribe(
    control: &mut Store,
    node: &Node,
    i: usize,
    channel: &str,
    options: &WatchOptions,
    stop: &Stop,
    changed: &mut Setting,
) -> Result<Option<Events>> {
    let mut backoff = Backoff::new(
        Duration::from_millis(200),
        Duration::from_secs(5),
        RESUBSCRIBE_ATTEMPTS - 1,
    );
    loop {
        // A new connection each time: the one in hand may be to the process that went away.
        let tried = async {
            *control = control.another().await?;
            let store = &*control;
            ensure_events(store, node, options, stop, changed).await?;
            subscribe(store, node, i, channel).await
        }
        .await;
        match tried {
            Ok(s) => return Ok(Some(s)),
            Err(e) if !e.is_transient() || !backoff.can_retry() => return Err(e),
            Err(_) => {}
        }
        if !backoff.wait(stop).await {
            return Ok(None);
        }
    }
}

/// `keyspace_hits` and `keyspace_misses`, summed over the masters; `None` when INFO is not
/// allowed.
async fn hits_and_misses(store: &Store, masters: &[Node]) -> Option<(u64, u64)> {
    let mut total = (0, 0);
    for node in masters {
        let info = store.info_on(node, "stats").await?;
        let field = |f: &str| info.field(f).and_then(|v| v.parse::<u64>().ok());
        total.0 += field("keyspace_hits")?;
        total.1 += field("keyspace_misses")?;
    }
    Some(total)
}

async fn notify_setting(store: &Store, node: &Node) -> Result<String> {
    let mut pipe = redis::pipe();
    pipe.cmd("CONFIG").arg("GET").arg("notify-keyspace-events");
    let reply = store.node_pipeline(node, &pipe).await?;
    let pair: Vec<String> =
        store.value_on(node, reply.into_iter().next().unwrap_or(redis::Value::Nil))?;
    Ok(pair.get(1).cloned().unwrap_or_default())
}

/// Whether a `notify-keyspace-events` setting already sends every event watch counts.
fn covers(setting: &str) -> bool {
    let has = |c: char| setting.contains(c);
    has('E') && (has('A') || "g$lshzxet".chars().all(has))
}

/// `setting` with the classes watch needs added.
fn with_needed(setting: &str) -> String {
    let mut out = setting.to_string();
    for c in NEEDED.chars() {
        if !out.contains(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_settings() {
        assert!(!covers(""));
        assert!(!covers("Ex"));
        assert!(covers("AE"));
        assert!(covers("KEg$lshzxet"));
        assert_eq!(with_needed(""), "EA");
        assert_eq!(with_needed("Kx"), "KxEA");
        assert!(covers(&with_needed("Kx")));
    }
}
