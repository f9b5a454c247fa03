//! `warm --check`: lint a plan for CI. The plan already parsed (schema, templates, TTLs); this
//! adds what only the sources can tell: are they reachable, and does every `{field}` a step
//! uses exist among its query's columns, its parent's fields or the `--var`s.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::Result;
use crate::warm::plan::{Fetch, Param, Shape, Source, Step, WarmPlan};
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
    /// The query's columns, when the database described it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub plan: String,
    pub sources: Vec<SourceCheck>,
    pub steps: Vec<StepCheck>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.sources.iter().all(|s| s.reachable != Some(false))
            && self.steps.iter().all(|s| s.problems.is_empty())
    }
}

pub async fn check(
    plan: &WarmPlan,
    offline: bool,
    vars: &BTreeMap<String, String>,
) -> Result<CheckReport> {
    let mut sources = Vec::new();
    let mut pools: BTreeMap<String, SqlPool> = BTreeMap::new();
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
            Source::Http(h) => reach_http(&h.base_url).await,
        };
        sources.push(SourceCheck {
            source: name.clone(),
            reachable: Some(outcome.is_ok()),
            error: outcome.err().map(|e| e.to_string()),
        });
    }
    let mut steps = Vec::new();
    let known: BTreeSet<String> = vars.keys().cloned().collect();
    for s in &plan.steps {
        check_step(s, Some(&known), &pools, &mut steps).await;
    }
    Ok(CheckReport {
        plan: plan.path.display().to_string(),
        sources,
        steps,
    })
}

async fn reach_http(base: &str) -> Result<()> {
    if let Some(dir) = base.strip_prefix("file://") {
        return std::fs::metadata(dir)
            .map(|_| ())
            .map_err(|e| crate::Error::Io {
                context: dir.to_string(),
                error: e,
            });
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
        .get(base)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| crate::Error::Source(format!("{base}: {e}")))
}

/// Check `step`. `inherited` is what its templates may use from above, or `None` when a
/// parent's columns are unknown (offline, HTTP): then fields cannot be checked, only syntax.
fn check_step<'a>(
    step: &'a Step,
    inherited: Option<&'a BTreeSet<String>>,
    pools: &'a BTreeMap<String, SqlPool>,
    out: &'a mut Vec<StepCheck>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> {
    Box::pin(async move {
        let Some(inherited) = inherited else {
            out.push(StepCheck {
                step: step.name.clone(),
                columns: None,
                problems: Vec::new(),
            });
            for child in &step.children {
                check_step(child, None, pools, out).await;
            }
            return;
        };
        let mut problems = Vec::new();
        let mut columns = None;
        if let Fetch::Sql { query, params } = &step.fetch {
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
            if let Some(pool) = pools.get(&step.source) {
                match pool.columns(query).await {
                    Ok(c) => columns = Some(c),
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
        // What the step's templates may use: its own columns when known, plus inherited.
        let mut available = inherited.clone();
        if let Some(c) = &columns {
            available.extend(c.iter().cloned());
        }
        if columns.is_some() || matches!(step.shape, Shape::Collect) {
            let mut used: Vec<String> = Vec::new();
            if !matches!(step.shape, Shape::Collect) {
                used.extend(step.key.fields().iter().map(|f| f.to_string()));
            }
            if let Shape::Field(f) = &step.shape {
                used.push(f.clone());
            }
            if matches!(step.shape, Shape::Collect) {
                // One key for all rows: only inherited fields can fill it.
                for f in step.key.fields() {
                    if !inherited.contains(f) {
                        problems.push(format!("key `{}` uses `{{{f}}}`, but a collect key can only use parent fields or --vars", step.key));
                    }
                }
            } else {
                for f in used {
                    if !available.contains(&f) {
                        problems.push(format!(
                            "`{{{f}}}` is not a column of the query (columns: {})",
                            columns.as_deref().unwrap_or_default().join(", ")
                        ));
                    }
                }
            }
        }
        let known_below = columns.is_some().then_some(&available);
        out.push(StepCheck {
            step: step.name.clone(),
            columns,
            problems,
        });
        for child in &step.children {
            check_step(child, known_below, pools, out).await;
        }
    })
}
