//! The warm plan as run: every value checked, templates parsed, TTLs in seconds, sources
//! resolved. `run` and `check` read only this.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::keys::template::{KeyTemplate, ValueTemplate};

#[derive(Clone, Debug)]
pub struct WarmPlan {
    pub path: PathBuf,
    pub defaults: Defaults,
    pub sources: BTreeMap<String, Source>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Defaults {
    pub ttl: Option<u64>,
    pub jitter: f64,
    pub batch: usize,
    pub concurrency: usize,
}

#[derive(Clone, Debug)]
pub enum Source {
    Sql(SqlSource),
    Http(HttpSource),
}

#[derive(Clone, Debug)]
pub struct SqlSource {
    /// With secrets expanded: never shown.
    pub url: String,
    /// For messages: the URL as written, `${VARS}` unexpanded.
    pub display: String,
    /// Creates a missing SQLite file.
    pub init: Option<PathBuf>,
    /// How long connecting may take (PostgreSQL, MySQL): a server that does not answer is an
    /// error naming it, not a hang.
    pub timeout: std::time::Duration,
}

/// The default `timeout` of a SQL source.
pub const DEFAULT_SQL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct HttpSource {
    pub base_url: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub retries: u32,
    /// The longest `Retry-After` honoured; a server asking for longer fails the step at once.
    pub max_retry_wait: Duration,
    /// The largest response body read, in bytes, after decompression: a larger (or a
    /// gzip-bombed) one fails its request instead of growing memory.
    pub max_body: u64,
}

/// The default `max_body`: 64 MiB.
pub const DEFAULT_MAX_BODY: u64 = 64 << 20;

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub source: String,
    pub fetch: Fetch,
    pub key: KeyTemplate,
    pub ttl: u64,
    pub jitter: f64,
    pub shape: Shape,
    pub json_columns: Vec<String>,
    pub batch: usize,
    pub children: Vec<Step>,
    /// `file:line:column` of the step, for messages.
    pub at: String,
}

#[derive(Clone, Debug)]
pub enum Fetch {
    Sql { query: String, params: Vec<Param> },
    Http(Request),
}

/// A bound SQL parameter.
#[derive(Clone, Debug)]
pub enum Param {
    /// Exactly `"{field}"`: the field's value with its own type (a number stays a number).
    Field(String),
    /// Text with fields filled in.
    Text(KeyTemplate),
    /// A literal from the plan.
    Literal(serde_json::Value),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: KeyTemplate,
    pub query: Vec<(String, KeyTemplate)>,
    pub body: Option<serde_json::Value>,
    pub items: Option<String>,
    pub paginate: Option<Paginate>,
}

#[derive(Clone, Debug)]
pub enum Paginate {
    Page {
        param: String,
        start: u64,
        max_pages: u64,
    },
    Cursor {
        param: String,
        from: String,
        max_pages: u64,
    },
    NextLink {
        from: String,
        max_pages: u64,
    },
}

pub(super) const MAX_PAGES: u64 = 10_000;

/// What a step writes for its rows.
#[derive(Clone, Debug)]
pub enum Shape {
    /// Each row as a JSON object, one key per row (the default).
    Row,
    /// All rows as one JSON list under one key.
    Collect,
    /// One column of each row.
    Field(String),
    /// A JSON document built from the row: `"{col}"` strings become the column's value.
    Template(ValueTemplate),
    /// The rows in pages, one key per page (`{page}` and `{items_per_page}` in the key), each
    /// `{data, total_count, has_more, page, items_per_page}` as FastAPI-boilerplate caches
    /// its paginated responses.
    Paginate { items_per_page: u64, max_pages: u64 },
    /// A parent without a key: it only feeds its `for_each` children.
    Feed,
}

impl Shape {
    /// All rows under one key run (collect, paginate): written once the source is read whole.
    pub fn gathers(&self) -> bool {
        matches!(self, Shape::Collect | Shape::Paginate { .. })
    }
}

impl WarmPlan {
    /// All step names, parents before children.
    pub fn step_names(&self) -> Vec<&str> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a str>) {
            for s in steps {
                out.push(&s.name);
                walk(&s.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }
}
