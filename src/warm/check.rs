//! `warm --check`: lint a plan for CI. The plan already parsed (schema, templates, TTLs); this
//! adds what only the servers can tell: is Redis reachable, are the sources, and does every
//! `{field}` a step uses exist among its query's columns (or its API's first item's fields),
//! its parent's fields or the `--var`s. A step that could not be checked says why, and fails
//! the check: `ok` means checked. `--offline` asks for the plan's syntax only, and says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::conn::Target;
use crate::error::Result;
use crate::stop::Stop;
use crate::warm::plan::{Fetch, Param, Shape, Source, Step, WarmPlan};
use crate::warm::source::http::HttpClient;
use crate::warm::source::sql::SqlPool;

#[derive(Clone, Debug, Serialize)]
pub struct SourceCheck {
    pub source: String,
    /// `None` when not tried (--offline).
    pub reachable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepCheck {
    pub step: String,
    /// The query's columns (or the API's first item's fields), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    pub problems: Vec<String>,
    /// Why the step's templates could not be checked against real fields; `None` when they
    /// were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
}

/// The Redis the plan would write to.
#[derive(Clone, Debug, Serialize)]
pub struct RedisCheck {
    pub target: String,
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub plan: String,
    pub offline: bool,
    /// `None` with --offline.
    pub redis: Option<RedisCheck>,
    pub sources: Vec<SourceCheck>,
    pub steps: Vec<StepCheck>,
}

impl CheckReport {
    /// Everything reachable, every step checked (unless --offline asked for syntax only), no
    /// problems.
    pub fn ok(&self) -> bool {
        self.redis.as_ref().is_none_or(|r| r.reachable)
            && self.sources.iter().all(|s| s.reachable != Some(false))
            && self
                .steps
                .iter()
                .all(|s| s.problems.is_empty() && (self.offline || s.unchecked.is_none()))
    }
}

/// Check `plan`; `redis` is where a run would write (not contacted with `offline`). A stop
/// ends an HTTP source's retries.
pub async fn check(
    plan: &WarmPlan,
    offline: bool,
    vars: &BTreeMap<String, String>,
    redis: &Target,
    stop: &Stop,
) -> Result<CheckReport> {
    let redis = if offline {
        None
    } else {
        Some(check_redis(redis).await)
    };
    let mut sources = Vec::new();
    let mut pools: BTreeMap<String, SqlPool> = BTreeMap::new();
    let mut clients: BTreeMap<String, HttpClient> = BTreeMap::new();
    for (name, src) in &plan.sources {
        if offline {
            sources.push(SourceCheck {
                source: name.clone(),
                reachable: None,
                error: None,
            });
            continue;
        }
        let outcome = match src {
            Source::Sql(s) => SqlPool::connect(s, 1).await.map(|p| {
                pools.insert(name.clone(), p);
            }),
            Source::Http(h) => match crate::warm::source::http::reach(&h.base_url).await {
                Ok(()) => HttpClient::new(h, stop).map(|c| {
                    clients.insert(name.clone(), c);
                }),
                Err(e) => Err(e),
            },
        };
        sources.push(SourceCheck {
            source: name.clone(),
            reachable: Some(outcome.is_ok()),
            error: outcome.err().map(|e| e.to_string()),
        });
    }
    let mut steps = Vec::new();
    let known: BTreeSet<String> = vars.keys().cloned().collect();
    let reach = Reach {
        plan,
        pools: &pools,
        clients: &clients,
        vars,
        offline,
    };
    for s in &plan.steps {
        check_step(s, Inherited::Known(&known), &reach, &mut steps).await;
    }
    Ok(CheckReport {
        plan: plan.path.display().to_string(),
        offline,
        redis,
        sources,
        steps,
    })
}

async fn check_redis(target: &Target) -> RedisCheck {
    let outcome = async {
        let store = target.connect().await?;
        store.query::<String>(&redis::cmd("PING")).await
    }
    .await;
    RedisCheck {
        target: crate::conn::redact_url(&target.url),
        reachable: outcome.is_ok(),
        error: outcome.err().map(|e| e.to_string()),
    }
}

/// What the steps are checked with.
struct Reach<'a> {
    plan: &'a WarmPlan,
    pools: &'a BTreeMap<String, SqlPool>,
    clients: &'a BTreeMap<String, HttpClient>,
    vars: &'a BTreeMap<String, String>,
    offline: bool,
}

/// What a step's templates may use from above.
#[derive(Clone, Copy)]
enum Inherited<'a> {
    Known(&'a BTreeSet<String>),
    /// Unknown, and why: the step can be checked for syntax only.
    Unknown(&'a str),
}

/// The fields of the first item an HTTP step's API returns, asking for the first page only.
async fn first_item_fields(
    reach: &Reach<'_>,
    step: &Step,
    req: &crate::warm::plan::Request,
) -> std::result::Result<Option<Vec<String>>, String> {
    let (Some(client), Some(Source::Http(src))) = (
        reach.clients.get(&step.source),
        reach.plan.sources.get(&step.source),
    ) else {
        return Ok(None);
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let fetch = client.stream(src, req, reach.vars, tx);
    // The first page is all we need: the receiver is dropped once it has it, and the stream
    // stops at its next send.
    let first = async move { rx.recv().await };
    let (result, chunk) = futures::join!(fetch, first);
    if let Err(e) = result
        && chunk.is_none()
    {
        return Err(e.to_string());
    }
    // Items that are not objects (a list of strings for a collect) have no fields.
    Ok(chunk.and_then(|c| {
        c.first().map(|item| {
            item.as_object()
                .map_or_else(Vec::new, |o| o.keys().cloned().collect())
        })
    }))
}

/// Check `step` against what it may use from above.
fn check_step<'a>(
    step: &'a Step,
    inherited: Inherited<'a>,
    reach: &'a Reach<'a>,
    out: &'a mut Vec<StepCheck>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> {
    Box::pin(async move {
        let inherited = match inherited {
            Inherited::Known(k) => k,
            Inherited::Unknown(why) => {
                out.push(StepCheck {
                    step: step.name.clone(),
                    columns: None,
                    problems: Vec::new(),
                    unchecked: Some(why.to_string()),
                });
                for child in &step.children {
                    check_step(child, Inherited::Unknown(why), reach, out).await;
                }
                return;
            }
        };
        let mut problems = Vec::new();
        let mut columns = None;
        let mut unchecked = None;
        match &step.fetch {
            Fetch::Sql { query, params } => {
                for p in params {
                    let fields: Vec<String> = match p {
                        Param::Field(f) => vec![f.clone()],
                        Param::Text(t) => t.fields().iter().map(|f| f.to_string()).collect(),
                        Param::Literal(_) => Vec::new(),
                    };
                    for f in fields {
                        if !inherited.contains(&f) {
                            problems.push(format!(
                                "parameter uses `{{{f}}}`, which no parent row or --var provides"
                            ));
                        }
                    }
                }
                match reach.pools.get(&step.source) {
                    Some(pool) => match pool.describe(query).await {
                        Ok(d) => {
                            problems.extend(param_problems(params, &d));
                            columns = Some(d.columns);
                        }
                        Err(e) => problems.push(e.to_string()),
                    },
                    None if reach.offline => unchecked = Some("--offline".to_string()),
                    None => unchecked = Some(format!("source `{}` is not reachable", step.source)),
                }
            }
            Fetch::Http(req) => {
                let needs_row = req
                    .path
                    .fields()
                    .into_iter()
                    .chain(req.query.iter().flat_map(|(_, t)| t.fields()))
                    .any(|f| !reach.vars.contains_key(f));
                if reach.offline {
                    unchecked = Some("--offline".to_string());
                } else if needs_row {
                    unchecked = Some(
                        "its request needs a parent row's fields; --dry-run shows real values"
                            .to_string(),
                    );
                } else {
                    match first_item_fields(reach, step, req).await {
                        Ok(Some(fields)) => columns = Some(fields),
                        Ok(None) => {
                            unchecked = Some(format!(
                                "source `{}` returned no items to check against",
                                step.source
                            ))
                        }
                        Err(e) => problems.push(e),
                    }
                }
            }
        }
        // What the step's templates may use: its own columns when known, plus inherited.
        let mut available = inherited.clone();
        if let Some(c) = &columns {
            available.extend(c.iter().cloned());
        }
        if step.shape.gathers() {
            // One key for all rows (or one per page): only inherited fields, and a page's own
            // numbers, can fill it.
            let paged = matches!(step.shape, Shape::Paginate { .. });
            for f in step.key.fields() {
                let page_field = paged && (f == "page" || f == "items_per_page");
                if !inherited.contains(f) && !page_field {
                    problems.push(format!("key `{}` uses `{{{f}}}`, but a collect or paginate key can only use parent fields or --vars", step.key));
                }
            }
        } else if matches!(step.shape, Shape::Feed) {
            // Writes nothing: its columns only feed the children.
        } else if columns.is_some() {
            let mut used: Vec<String> = step.key.fields().iter().map(|f| f.to_string()).collect();
            match &step.shape {
                Shape::Field(f) => used.push(f.clone()),
                Shape::Template(t) => used.extend(t.fields().iter().map(|f| f.to_string())),
                _ => {}
            }
            let what = match step.fetch {
                Fetch::Sql { .. } => "a column of the query (columns",
                Fetch::Http(_) => "a field of the API's first item (fields",
            };
            for f in used {
                if !available.contains(&f) {
                    problems.push(format!(
                        "`{{{f}}}` is not {what}: {})",
                        columns.as_deref().unwrap_or_default().join(", ")
                    ));
                }
            }
        }
        let below = match (&columns, &unchecked) {
            (Some(_), _) => None,
            (None, Some(why)) => Some(format!(
                "its parent `{}` was not checked ({why})",
                step.name
            )),
            (None, None) => Some(format!("its parent `{}` has no known fields", step.name)),
        };
        out.push(StepCheck {
            step: step.name.clone(),
            columns,
            problems,
            unchecked,
        });
        let below_ref = below.as_deref();
        for child in &step.children {
            let inherited = match below_ref {
                None => Inherited::Known(&available),
                Some(why) => Inherited::Unknown(why),
            };
            check_step(child, inherited, reach, out).await;
        }
    })
}

/// What the server's description of a query says against the step's `params`: as many as it
/// takes (an extra one would be ignored, a missing one fails at run time), and, where the
/// server names their types (PostgreSQL), no text where it wants a number.
fn param_problems(params: &[Param], d: &crate::warm::source::sql::Described) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = d.params
        && n != params.len()
    {
        out.push(format!(
            "the query takes {n} parameter{} and the step binds {} (params:)",
            if n == 1 { "" } else { "s" },
            params.len()
        ));
    }
    for (i, (p, ty)) in params.iter().zip(&d.param_types).enumerate() {
        let numeric = matches!(
            ty.to_ascii_uppercase().as_str(),
            "INT2" | "INT4" | "INT8" | "FLOAT4" | "FLOAT8" | "NUMERIC" | "OID"
        );
        let text = match p {
            Param::Text(_) => true,
            Param::Literal(v) => v.is_string(),
            Param::Field(_) => false,
        };
        if numeric && text {
            out.push(format!(
                "parameter ${} is {ty}, and the step binds text (a \"{{field}}\" alone keeps a \
                 number's type)",
                i + 1
            ));
        }
    }
    out
}
