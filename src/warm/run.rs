//! Running a warm plan: rows stream from their source into pipelined `SET key value EX ttl`
//! batches. Reading, encoding and writing overlap (a bounded channel between the source and
//! the writer, several batches in flight), so the server never waits for us and memory is
//! bounded by the batch size, not the row count.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{OnceCell, mpsc};

use crate::error::{Error, Result};
use crate::keys::template::{Layered, ValueTemplate, Vars};
use crate::progress::{ProgressBars, ProgressUpdate};
use crate::stop::Stop;
use crate::store::Store;
use crate::ttl::Jitter;
use crate::warm::plan::{Fetch, Param, Shape, Source, Step, WarmPlan};
use crate::warm::source::Chunk;
use crate::warm::source::http::HttpClient;
use crate::warm::source::sql::SqlPool;

/// Batches a step keeps in flight to Redis.
const WRITES_IN_FLIGHT: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct WarmOptions {
    /// Run only these steps (a parent still reads its rows for a selected child).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// Top-level steps at once, and for_each children per parent; the plan's default else.
    pub concurrency: Option<usize>,
    /// Read everything, write nothing.
    pub dry_run: bool,
    /// Stop every step once one fails.
    pub fail_fast: bool,
    /// Values for templates, below each row's own fields.
    pub vars: BTreeMap<String, String>,
    /// Dry run: values shown per step.
    pub preview: usize,
    /// Compare the cache with the sources instead of writing (`--verify`).
    pub verify: Option<VerifyOptions>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Write the stale and missing keys again (through the gate, as warm writes).
    pub fix: bool,
    /// Orphaned keys kept in the report for the caller to delete (0: counted only).
    pub keep_orphans: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct PreviewKey {
    pub key: String,
    /// Seconds, jitter applied.
    pub ttl_s: u64,
    pub bytes: usize,
    pub value: Value,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StepReport {
    pub step: String,
    pub rows: u64,
    /// Keys written (with --dry-run: keys that would be).
    pub keys: u64,
    pub bytes: u64,
    /// Keys sent whose replies never came (the connection failed past its retries): written
    /// or not, the server knows; `keys` counts only the confirmed.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub unconfirmed: u64,
    pub errors: u64,
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub skipped: bool,
    /// A stop (Ctrl-C, SIGTERM) ended the step before its source was read to the end.
    pub interrupted: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<PreviewKey>,
    /// `--verify`: what the step's keys were found to be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::warm::verify::Verified>,
    /// `--verify`: the orphaned keys kept for deletion (`VerifyOptions::keep_orphans`).
    #[serde(skip)]
    pub orphan_keys: Vec<Vec<u8>>,
    /// From the step's first start to its last end: a child step runs once per parent row,
    /// many at once, so its time is this span, not the sum of its runs.
    #[serde(skip)]
    span: Option<(Instant, Instant)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WarmReport {
    pub plan: String,
    pub dry_run: bool,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    pub steps: Vec<StepReport>,
}

/// Why a step's writer stops before a row.
enum Halt {
    Stopped,
    Failed(Error),
}

impl WarmReport {
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.error.is_some() || s.errors > 0)
    }

    /// `--verify` found the cache and its sources disagreeing.
    pub fn differs(&self) -> bool {
        self.steps
            .iter()
            .any(|s| s.verify.as_ref().is_some_and(|v| v.differs()))
    }
}

struct Run<'a> {
    plan: &'a WarmPlan,
    /// Where to write, and the gate's leave to; none in a dry run.
    store: Option<(&'a Store, &'a crate::guard::Permit)>,
    /// `--verify`: where the keys are read back, and the keys the plan produced.
    verify: Option<(&'a Store, VerifyOptions)>,
    produced: crate::warm::verify::Produced,
    opts: &'a WarmOptions,
    stop: &'a Stop,
    bars: &'a dyn ProgressBars,
    fan_out: usize,
    sql: HashMap<String, OnceCell<SqlPool>>,
    http: HashMap<String, OnceCell<HttpClient>>,
    reports: Mutex<BTreeMap<String, StepReport>>,
    aborted: AtomicBool,
    /// The run's one generator of jitter, seeded by the OS; every step run (each child run
    /// too) draws its own from it, so keys written together never share a sequence.
    jitter: Mutex<Jitter>,
}

/// Run `plan`. `store` may be `None` only for a dry run. The writes go through the gate
/// first (`guard::authorise`): refused on a read-only target, asked of a person (or refused
/// off a terminal) under `confirm: always`, before any source is read.
pub async fn run(
    plan: &WarmPlan,
    store: Option<&Store>,
    opts: &WarmOptions,
    confirm: &dyn crate::guard::Confirm,
    stop: &Stop,
    bars: &dyn ProgressBars,
) -> Result<WarmReport> {
    let names = plan.step_names();
    for n in opts.only.iter().chain(&opts.skip) {
        if !names.contains(&n.as_str()) {
            return Err(Error::Usage(format!(
                "no step named `{n}` in {} (steps: {})",
                plan.path.display(),
                names.join(", ")
            )));
        }
    }
    let writes = opts.verify.is_none_or(|v| v.fix);
    let permit = match (store, opts.dry_run) {
        (_, true) => None,
        (None, false) => {
            return Err(Error::Usage("a warm run needs a Redis connection".into()));
        }
        (Some(_), false) if !writes => None,
        (Some(store), false) => {
            let what = format!("the keys of warm plan {}", plan.path.display());
            let proposal = crate::guard::Proposal::uncounted(crate::guard::Action::Write, what);
            let guards = crate::guard::Guards::default();
            Some(store.authorise(proposal, &guards, confirm, stop).await?)
        }
    };
    let started = Instant::now();
    let concurrency = opts.concurrency.unwrap_or(plan.defaults.concurrency).max(1);
    let run = Run {
        plan,
        store: store.zip(permit.as_ref()),
        verify: match (store, opts.verify, opts.dry_run) {
            (Some(s), Some(v), false) => Some((s, v)),
            _ => None,
        },
        produced: Default::default(),
        opts,
        stop,
        bars,
        fan_out: concurrency,
        sql: plan
            .sources
            .keys()
            .map(|k| (k.clone(), OnceCell::new()))
            .collect(),
        http: plan
            .sources
            .keys()
            .map(|k| (k.clone(), OnceCell::new()))
            .collect(),
        reports: Mutex::new(BTreeMap::new()),
        aborted: AtomicBool::new(false),
        jitter: Mutex::new(Jitter::from_os()),
    };
    let top: Vec<&Step> = plan.steps.iter().filter(|s| run.needed(s)).collect();
    futures::stream::iter(top)
        .map(|s| run.step(s, Map::new()))
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    if !stop.is_set() {
        run.orphans().await;
    }
    let mut reports = run.reports.into_inner().unwrap_or_default();
    let steps = names
        .iter()
        .map(|n| {
            reports.remove(*n).unwrap_or_else(|| StepReport {
                step: n.to_string(),
                skipped: true,
                ..Default::default()
            })
        })
        .collect();
    Ok(WarmReport {
        plan: plan.path.display().to_string(),
        dry_run: opts.dry_run,
        elapsed_ms: started.elapsed().as_millis() as u64,
        interrupted: stop.is_set(),
        steps,
    })
}

/// What a gathering step (`collect`, `paginate`) hands to `write_gathered`.
struct Gathered<'r, 'v> {
    rows: Vec<Value>,
    inherited: &'r VarsWithCli<'v>,
    jitter: &'r mut Jitter,
    preview: &'r mut Vec<PreviewKey>,
    done: &'r mut Written,
}

/// Something built for one key: what SET will carry.
struct Entry {
    key: Vec<u8>,
    value: Vec<u8>,
    ttl: u64,
}

impl Entry {
    fn clone_of(&self) -> Entry {
        Entry {
            key: self.key.clone(),
            value: self.value.clone(),
            ttl: self.ttl,
        }
    }
}

/// The rows in pages of `per`, at most `max` of them, each the document FastAPI-boilerplate's
/// `paginated_response` returns: `data`, `total_count` (every row, also past the last page
/// written), `has_more`, `page` (from 1), `items_per_page`. No rows is one empty first page,
/// as the application answers page 1 of nothing.
fn pages(rows: Vec<Value>, per: u64, max: u64) -> Vec<Value> {
    let total = rows.len() as u64;
    let per_page = per.max(1) as usize;
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    let mut page = 1u64;
    loop {
        let data: Vec<Value> = rows.by_ref().take(per_page).collect();
        if data.is_empty() && page > 1 {
            break;
        }
        let mut doc = Map::new();
        doc.insert("data".into(), Value::Array(data));
        doc.insert("total_count".into(), total.into());
        doc.insert("has_more".into(), (page * per < total).into());
        doc.insert("page".into(), page.into());
        doc.insert("items_per_page".into(), per.into());
        out.push(Value::Object(doc));
        if rows.peek().is_none() || page >= max {
            break;
        }
        page += 1;
    }
    out
}

type Job<'a> = Pin<Box<dyn Future<Output = Batch> + Send + 'a>>;

impl<'a> Run<'a> {
    /// `--verify`: each written step's key family walked for keys no row produced. Only after
    /// every step read its source whole: a step that failed or stopped produced only part of
    /// its keys, and the rest would pass for orphans.
    async fn orphans(&self) {
        let Some((store, v)) = self.verify else {
            return;
        };
        let mut steps = Vec::new();
        fn all<'s>(steps: &'s [Step], out: &mut Vec<&'s Step>) {
            for s in steps {
                out.push(s);
                all(&s.children, out);
            }
        }
        all(&self.plan.steps, &mut steps);
        let failed = match self.reports.lock() {
            Ok(r) => r.values().any(|s| s.error.is_some() || s.interrupted),
            Err(_) => true,
        };
        if failed {
            return;
        }
        let overflowed = self.produced.overflowed();
        let mut walked = std::collections::HashSet::new();
        for step in steps
            .into_iter()
            .filter(|s| self.selected(s) && !matches!(s.shape, Shape::Feed))
        {
            if !walked.insert(step.key.source().to_string()) {
                continue;
            }
            if overflowed {
                // Not looked for is not "none": the run is not done.
                self.add(&step.name, |r| {
                    r.errors += 1;
                    r.error.get_or_insert_with(|| {
                        format!(
                            "orphaned keys were not looked for: the plan made more than {} keys \
                             (the rest of the verify stands)",
                            crate::warm::verify::MAX_PRODUCED
                        )
                    });
                });
                continue;
            }
            let found = crate::warm::verify::orphans(
                store,
                &step.key,
                &self.produced,
                v.keep_orphans,
                self.stop,
            )
            .await;
            self.add(&step.name, |r| match found {
                Ok((found, keys, complete)) => {
                    r.verify.get_or_insert_with(Default::default).add(&found);
                    r.orphan_keys = keys;
                    if !complete {
                        r.errors += 1;
                        r.error.get_or_insert_with(|| {
                            "the walk for orphaned keys did not finish".to_string()
                        });
                    }
                }
                Err(e) => {
                    r.errors += 1;
                    r.error.get_or_insert_with(|| e.to_string());
                }
            });
        }
    }

    fn selected(&self, step: &Step) -> bool {
        (self.opts.only.is_empty() || self.opts.only.contains(&step.name))
            && !self.opts.skip.contains(&step.name)
    }

    fn needed(&self, step: &Step) -> bool {
        !self.opts.skip.contains(&step.name)
            && (self.selected(step) || step.children.iter().any(|c| self.needed(c)))
    }

    fn add(&self, name: &str, f: impl FnOnce(&mut StepReport)) {
        if let Ok(mut r) = self.reports.lock() {
            let e = r.entry(name.to_string()).or_insert_with(|| StepReport {
                step: name.to_string(),
                ..Default::default()
            });
            f(e);
        }
    }

    /// Run `step` once (for a child: once for one parent row, `fields` holding the row), and
    /// record the outcome in its report. Errors stay in the report.
    fn step<'s>(
        &'s self,
        step: &'s Step,
        fields: Map<String, Value>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 's>> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = self.step_inner(step, &fields).await;
            let ended = Instant::now();
            self.add(&step.name, |r| {
                let (from, to) = match r.span {
                    Some((a, b)) => (a.min(started), b.max(ended)),
                    None => (started, ended),
                };
                r.span = Some((from, to));
                r.elapsed_ms = (to - from).as_millis() as u64;
                if let Err(e) = outcome {
                    r.errors += 1;
                    if r.error.is_none() {
                        r.error = Some(e.to_string());
                    }
                }
            });
        })
    }

    async fn step_inner(&self, step: &Step, fields: &Map<String, Value>) -> Result<()> {
        let failed = |e: Error| {
            if self.opts.fail_fast {
                self.aborted.store(true, Ordering::SeqCst);
            }
            e
        };
        let inherited = VarsWithCli {
            fields,
            cli: &self.opts.vars,
        };
        // A few chunks in flight: the source reads ahead while the writer works.
        let (tx, mut rx) = mpsc::channel::<Chunk>(4);
        let reader = self.read(step, &inherited, tx);
        let sink = self.bars.phase(&step.name);
        let writes_here = self.selected(step) && !matches!(step.shape, Shape::Feed);
        let mut jitter = self
            .jitter
            .lock()
            .map_or_else(|_| Jitter::from_os(), |mut j| j.fork());
        let mut done = Written::default();
        let mut preview = Vec::new();
        let mut rows = 0u64;
        let mut collected: Vec<Value> = Vec::new();
        let writer = async {
            let mut batch: Vec<Entry> = Vec::with_capacity(step.batch);
            let mut writes: FuturesUnordered<Job<'_>> = FuturesUnordered::new();
            let mut children = FuturesUnordered::new();
            let mut failure: Option<Error> = None;
            let mut stopped = false;
            let mut incoming = Vec::new().into_iter();
            loop {
                let mut row = match incoming.next() {
                    Some(row) => row,
                    None => match rx.recv().await {
                        Some(chunk) => {
                            incoming = chunk.into_iter();
                            continue;
                        }
                        None => break,
                    },
                };
                match self.halt_before(step, &mut row, rows) {
                    Some(Halt::Stopped) => stopped = true,
                    Some(Halt::Failed(e)) => failure = Some(e),
                    None => {}
                }
                if stopped || failure.is_some() {
                    break;
                }
                rows += 1;
                if writes_here {
                    if step.shape.gathers() {
                        collected.push(row.clone());
                    } else {
                        let entry = match self.entry(step, &row, &inherited, &mut jitter) {
                            Ok(e) => e,
                            Err(e) => {
                                // Keys built before the bad row are whole: write them, stop.
                                failure =
                                    Some(Error::Source(format!("row {rows} {}: {e}", brief(&row))));
                                break;
                            }
                        };
                        self.note_preview(&mut preview, &entry);
                        batch.push(entry);
                        if batch.len() >= step.batch {
                            writes.push(self.write(step, std::mem::take(&mut batch)));
                            if writes.len() >= WRITES_IN_FLIGHT
                                && let Some(w) = writes.next().await
                                && let Err(e) = done.add(w)
                            {
                                failure = Some(e);
                                break;
                            }
                        }
                    }
                }
                if step.children.iter().any(|c| self.needed(c)) {
                    let mut child_fields = fields.clone();
                    if let Value::Object(m) = &row {
                        child_fields.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                    for child in step.children.iter().filter(|c| self.needed(c)) {
                        children.push(self.step(child, child_fields.clone()));
                        if children.len() >= self.fan_out {
                            children.next().await;
                        }
                    }
                }
                sink.update(&ProgressUpdate {
                    scanned: rows,
                    matched: rows,
                    done: done.keys,
                });
            }
            drop(rx);
            // Whatever ended the loop, the rows already built are whole: write them, and count
            // every write that was sent, so the report says exactly what is in Redis.
            if !batch.is_empty() {
                writes.push(self.write(step, batch));
            }
            while let Some(w) = writes.next().await {
                if let Err(e) = done.add(w) {
                    failure.get_or_insert(e);
                }
            }
            while children.next().await.is_some() {}
            (failure, stopped)
        };
        let (read, (failure, stopped)) = tokio::join!(reader, writer);
        // A read cut short by a stop, or a batch given up after one, is an interruption, not
        // a failure of the step.
        let given_up = matches!(failure, Some(Error::Interrupted)) && self.stop.is_set();
        let failure = failure.filter(|_| !given_up);
        let stopped = stopped || given_up || matches!(read, Err(Error::Interrupted));
        let read = match read {
            Err(Error::Interrupted) => Ok(()),
            r => r,
        };
        if stopped {
            self.add(&step.name, |r| r.interrupted = true);
        }
        // A collected value is whole or not written: a read that failed or was stopped part-way
        // would replace the key's previous value with a truncated list.
        let mut outcome = failure.map_or(Ok(()), Err).and(read);
        if outcome.is_ok() && writes_here && !stopped && step.shape.gathers() {
            let gathered = Gathered {
                rows: collected,
                inherited: &inherited,
                jitter: &mut jitter,
                preview: &mut preview,
                done: &mut done,
            };
            outcome = self.write_gathered(step, gathered).await;
        }
        sink.end();
        self.tally(&step.name, rows, &done, preview);
        outcome.map_err(failed)
    }

    /// A `collect` or `paginate` step's keys, once its source was read whole: one list, or
    /// one page per key.
    async fn write_gathered(&'a self, step: &Step, g: Gathered<'_, '_>) -> Result<()> {
        let entries = match step.shape {
            Shape::Paginate {
                items_per_page,
                max_pages,
            } => pages(g.rows, items_per_page, max_pages)
                .into_iter()
                .map(|page| self.entry(step, &page, g.inherited, g.jitter))
                .collect::<Result<Vec<_>>>()?,
            _ => vec![self.entry(step, &Value::Array(g.rows), g.inherited, g.jitter)?],
        };
        for e in &entries {
            self.note_preview(g.preview, e);
        }
        for chunk in entries.chunks(step.batch) {
            let chunk = chunk.iter().map(Entry::clone_of).collect();
            g.done.add(self.write(step, chunk).await)?;
        }
        Ok(())
    }

    /// Why the writer stops before `row` (the `rows`+1st): a stop, another step's failure
    /// (`--fail-fast`), or a row whose JSON columns do not parse.
    fn halt_before(&self, step: &Step, row: &mut Value, rows: u64) -> Option<Halt> {
        if self.stop.is_set() {
            self.add(&step.name, |r| r.interrupted = true);
            return Some(Halt::Stopped);
        }
        if self.aborted.load(Ordering::SeqCst) {
            return Some(Halt::Failed(Error::Source(
                "stopped: another step failed (--fail-fast)".into(),
            )));
        }
        match nest_json(row, &step.json_columns) {
            Err(e) => Some(Halt::Failed(Error::Source(format!(
                "row {}: {e}",
                rows + 1
            )))),
            Ok(()) => None,
        }
    }

    /// A step's rows, keys, bytes and preview, added to its report.
    fn tally(&self, name: &str, rows: u64, done: &Written, preview: Vec<PreviewKey>) {
        self.add(name, |r| {
            r.rows += rows;
            r.keys += done.keys;
            r.bytes += done.bytes;
            r.unconfirmed += done.unconfirmed;
            if let Some(v) = &done.verified {
                r.verify.get_or_insert_with(Default::default).add(v);
            }
            if r.preview.len() < self.opts.preview {
                r.preview.extend(
                    preview
                        .into_iter()
                        .take(self.opts.preview - r.preview.len()),
                );
            }
        });
    }

    /// Fetch the step's rows into `tx`.
    async fn read(
        &self,
        step: &Step,
        vars: &VarsWithCli<'_>,
        tx: mpsc::Sender<Chunk>,
    ) -> Result<()> {
        let source = &self.plan.sources[&step.source];
        match (&step.fetch, source) {
            (Fetch::Sql { query, params }, Source::Sql(src)) => {
                let pool = self.sql[&step.source]
                    .get_or_try_init(|| SqlPool::connect(src, self.fan_out as u32 + 1))
                    .await?;
                let mut bound = Vec::with_capacity(params.len());
                for p in params {
                    bound.push(match p {
                        Param::Field(f) => vars.value(f).ok_or_else(|| {
                            Error::Source(format!(
                                "parameter `{{{f}}}`: no such field in the parent row or --var"
                            ))
                        })?,
                        Param::Text(t) => Value::String(t.render(vars)?),
                        Param::Literal(v) => v.clone(),
                    });
                }
                // A query that takes its time to send rows (a lock, a slow plan) ends at once on
                // Ctrl-C or SIGTERM, as an HTTP read does: rows not yet read change nothing.
                tokio::select! {
                    r = pool.stream(query, &bound, tx) => r,
                    () = self.stop.wait() => Err(Error::Interrupted),
                }
            }
            (Fetch::Http(req), Source::Http(src)) => {
                let client = self.http[&step.source]
                    .get_or_try_init(|| async { HttpClient::new(src, self.stop) })
                    .await?;
                // A retry's wait (or a slow response) ends at once on Ctrl-C or SIGTERM.
                tokio::select! {
                    r = client.stream(src, req, vars, tx) => r,
                    () = self.stop.wait() => Err(Error::Interrupted),
                }
            }
            _ => Err(Error::Source(format!(
                "step `{}`: source kind does not match",
                step.name
            ))),
        }
    }

    fn entry(
        &self,
        step: &Step,
        row: &Value,
        inherited: &VarsWithCli<'_>,
        jitter: &mut Jitter,
    ) -> Result<Entry> {
        let empty = Map::new();
        let own = match row {
            Value::Object(m) => m,
            _ => &empty,
        };
        let vars = Layered {
            top: own,
            below: inherited,
        };
        let key = step.key.render(&vars)?;
        let value = match &step.shape {
            Shape::Row | Shape::Collect | Shape::Feed => {
                serde_json::to_vec(row).map_err(|e| Error::Source(e.to_string()))?
            }
            // The page document, built by `pages`: its `page` and `items_per_page` fill the key.
            Shape::Paginate { .. } => {
                serde_json::to_vec(row).map_err(|e| Error::Source(e.to_string()))?
            }
            Shape::Field(f) => match own.get(f) {
                Some(Value::String(s)) => s.clone().into_bytes(),
                Some(v) => v.to_string().into_bytes(),
                None => return Err(Error::Source(format!("value: no field `{f}` in the row"))),
            },
            Shape::Template(t) => serde_json::to_vec(&fill(t, own, inherited)?)
                .map_err(|e| Error::Source(e.to_string()))?,
        };
        Ok(Entry {
            key: key.into_bytes(),
            value,
            ttl: jitter.spread(step.ttl, step.jitter),
        })
    }

    fn note_preview(&self, preview: &mut Vec<PreviewKey>, e: &Entry) {
        if self.opts.dry_run && preview.len() < self.opts.preview {
            preview.push(PreviewKey {
                key: String::from_utf8_lossy(&e.key).into_owned(),
                ttl_s: e.ttl,
                bytes: e.value.len(),
                value: serde_json::from_slice(&e.value).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(&e.value).into_owned())
                }),
            });
        }
    }

    /// One pipelined batch of `SET key value EX ttl`; returns keys and bytes written.
    /// SET a batch. The count is of the SET replies that said OK, so that a batch with a
    /// refused key (OOM, READONLY) still counts the keys that were written.
    fn write(&'a self, step: &Step, batch: Vec<Entry>) -> Job<'a> {
        match self.verify {
            Some((reader, v)) => {
                // The TTL the plan gives at most: the step's, moved by its jitter.
                let bound = step.ttl + (step.ttl as f64 * step.jitter).ceil() as u64;
                Box::pin(self.verify_batch(reader, v, bound, batch))
            }
            None => self.set_batch(batch),
        }
    }

    /// `--verify`: read `batch`'s keys back and compare; with `--fix`, write again those
    /// that differ.
    async fn verify_batch(
        &'a self,
        reader: &'a Store,
        v: VerifyOptions,
        bound: u64,
        batch: Vec<Entry>,
    ) -> Batch {
        self.produced.add(batch.iter().map(|e| e.key.as_slice()));
        let pairs: Vec<(&[u8], &[u8])> = batch
            .iter()
            .map(|e| (e.key.as_slice(), e.value.as_slice()))
            .collect();
        let mut found = crate::warm::verify::Verified::default();
        let differing = match crate::warm::verify::compare(reader, &pairs, bound, &mut found).await
        {
            Ok(d) => d,
            Err(e) => {
                return Batch {
                    error: Some(e),
                    ..Batch::default()
                };
            }
        };
        let mut done = Batch::default();
        if v.fix && !differing.is_empty() {
            let mut again = Vec::with_capacity(differing.len());
            let mut batch: Vec<Option<Entry>> = batch.into_iter().map(Some).collect();
            for i in differing {
                again.extend(batch[i].take());
            }
            done = self.set_batch(again).await;
            found.rewritten = done.keys;
        }
        // Verified, not written: `keys` counts what was checked.
        done.keys = found.checked;
        done.bytes = 0;
        done.verified = Some(found);
        done
    }

    fn set_batch(&self, batch: Vec<Entry>) -> Job<'a> {
        let store = self.store;
        let dry_run = self.opts.dry_run;
        let stop = self.stop;
        Box::pin(async move {
            let sizes: Vec<u64> = batch.iter().map(|e| e.value.len() as u64).collect();
            let Some((store, permit)) = store.filter(|_| !dry_run) else {
                return Batch {
                    keys: sizes.len() as u64,
                    bytes: sizes.iter().sum(),
                    ..Batch::default()
                };
            };
            // Built for each send: a command copies its arguments in either way.
            let cmds = || {
                let set = |e: &Entry| {
                    let mut c = redis::cmd("SET");
                    c.arg(&e.key).arg(&e.value).arg("EX").arg(e.ttl);
                    (e.key.clone(), c)
                };
                batch.iter().map(set).collect()
            };
            let mut done = Batch::default();
            let sent = sizes.len() as u64;
            // A SET with its value and TTL is the same write sent twice: a batch whose replies
            // were lost (a timeout, a moment of LOADING) is sent again, and counted once.
            let mut backoff = crate::retry::Backoff::redis(WRITE_RETRIES);
            // A stop waits for the batch's answer, but not for a server that has stalled: a
            // second after it the batch is given up, unconfirmed (as the walks do).
            let answered = loop {
                let sent = stop.within_grace(store.write_per_key(permit, cmds())).await;
                match sent {
                    Err(e) if e.is_transient() && backoff.wait(stop).await => continue,
                    other => break other,
                }
            };
            match answered {
                Ok(replies) => {
                    for (reply, size) in replies.into_iter().zip(sizes) {
                        match reply {
                            redis::Value::ServerError(e) => {
                                done.error
                                    .get_or_insert_with(|| Error::redis(store.addr(), e.into()));
                            }
                            _ => {
                                done.keys += 1;
                                done.bytes += size;
                            }
                        }
                    }
                }
                // Nothing is known of a batch whose replies never came: none is counted as
                // written, all as unconfirmed.
                Err(e) => {
                    done.unconfirmed = sent;
                    done.error = Some(e);
                }
            }
            done
        })
    }
}

/// Times a batch is sent again after its replies were lost.
const WRITE_RETRIES: u32 = 5;

/// What one SET batch did, counted from its replies (or with `--verify`, what it found).
#[derive(Default)]
struct Batch {
    keys: u64,
    bytes: u64,
    unconfirmed: u64,
    error: Option<Error>,
    verified: Option<crate::warm::verify::Verified>,
}

/// What a step run wrote, batch by batch.
#[derive(Default)]
struct Written {
    keys: u64,
    bytes: u64,
    unconfirmed: u64,
    verified: Option<crate::warm::verify::Verified>,
}

impl Written {
    /// Count a batch's writes; its error, if any, is the caller's to report.
    fn add(&mut self, batch: Batch) -> Result<()> {
        self.keys += batch.keys;
        self.bytes += batch.bytes;
        self.unconfirmed += batch.unconfirmed;
        if let Some(v) = &batch.verified {
            self.verified.get_or_insert_with(Default::default).add(v);
        }
        batch.error.map_or(Ok(()), Err)
    }
}

/// A parent's fields over the `--var`s.
struct VarsWithCli<'a> {
    fields: &'a Map<String, Value>,
    cli: &'a BTreeMap<String, String>,
}

impl VarsWithCli<'_> {
    /// A field's value with its type, for binding.
    fn value(&self, name: &str) -> Option<Value> {
        self.fields
            .get(name)
            .cloned()
            .or_else(|| self.cli.get(name).map(|s| Value::String(s.clone())))
    }
}

impl Vars for VarsWithCli<'_> {
    fn field(&self, name: &str) -> Option<crate::keys::template::FieldValue<'_>> {
        self.fields.field(name).or_else(|| self.cli.field(name))
    }
}

/// Build a template value: a string that is exactly `{col}` takes the column's value with its
/// type (the row's own fields first, then inherited ones); other strings are filled as text.
fn fill(t: &ValueTemplate, own: &Map<String, Value>, inherited: &VarsWithCli<'_>) -> Result<Value> {
    let whole = |f: &str| own.get(f).cloned().or_else(|| inherited.value(f));
    Ok(t.render(
        &whole,
        &Layered {
            top: own,
            below: inherited,
        },
    )?)
}

/// Parse the listed text columns as JSON, in place.
fn nest_json(row: &mut Value, columns: &[String]) -> Result<()> {
    let Value::Object(m) = row else { return Ok(()) };
    for c in columns {
        if let Some(Value::String(text)) = m.get(c) {
            let parsed = serde_json::from_str(text)
                .map_err(|e| Error::Source(format!("json_columns: `{c}` is not JSON: {e}")))?;
            m.insert(c.clone(), parsed);
        }
    }
    Ok(())
}

/// A row, shortened for an error message.
fn brief(row: &Value) -> String {
    let s = row.to_string();
    if s.len() > 120 {
        format!("{}…", &s[..s.floor_char_boundary(120)])
    } else {
        s
    }
}
