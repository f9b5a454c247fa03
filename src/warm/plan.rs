//! Warm plans: the YAML contract users write against, parsed and checked before anything runs.
//!
//! Every mistake is reported as `file:line:column: field: what is wrong`: syntax and schema
//! errors by the YAML parser, the rest (unknown source, bad template, unset variable) from
//! the spans kept on the fields that can be wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::{Error, Result};
use crate::keys::template::{KeyTemplate, ValueTemplate};
use crate::ttl;

// ---- The file as written -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    #[serde(default)]
    defaults: DefaultsFile,
    sources: BTreeMap<String, SourceFile>,
    steps: Vec<StepFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    ttl: Option<Spanned<Scalar>>,
    jitter: Option<Spanned<Scalar>>,
    batch: Option<usize>,
    concurrency: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    /// Path of a SQLite file, relative to the plan.
    sqlite: Option<Spanned<String>>,
    /// SQL script that creates the SQLite file when it does not exist yet.
    init: Option<Spanned<String>>,
    /// `postgres://…`, `mysql://…`, `mariadb://…` or `sqlite:…`.
    url: Option<Spanned<String>>,
    http: Option<HttpFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    base_url: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    timeout: Option<Spanned<Scalar>>,
    retries: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    name: Spanned<String>,
    source: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    #[serde(default)]
    params: Vec<Spanned<serde_json::Value>>,
    request: Option<RequestFile>,
    key: Spanned<String>,
    ttl: Option<Spanned<Scalar>>,
    jitter: Option<Spanned<Scalar>>,
    value: Option<Spanned<ValueFile>>,
    /// Text columns that hold JSON (SQLite has no JSON type): written nested.
    #[serde(default)]
    json_columns: Vec<String>,
    batch: Option<usize>,
    #[serde(default)]
    for_each: Vec<StepFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    #[serde(default)]
    method: Option<String>,
    path: Spanned<String>,
    #[serde(default)]
    query: BTreeMap<String, Spanned<String>>,
    body: Option<serde_json::Value>,
    /// JSON pointer to the array of items (`/data/topics`); the document itself when absent.
    items: Option<String>,
    paginate: Option<PaginateFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum PaginateFile {
    /// `?page=N` from `start`, until a page has no items.
    Page {
        param: String,
        #[serde(default = "one")]
        start: u64,
        max_pages: Option<u64>,
    },
    /// `?cursor=…` taken from the response at the JSON pointer `from`, until it is empty.
    Cursor {
        param: String,
        from: String,
        max_pages: Option<u64>,
    },
    /// The next page's URL at the JSON pointer `from`, until it is absent.
    NextLink {
        from: String,
        max_pages: Option<u64>,
    },
}

fn one() -> u64 {
    1
}

/// A YAML scalar written as a number or a string (`3600`, `1h`, `10%`).
#[derive(Debug, Clone)]
enum Scalar {
    Int(u64),
    Float(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, or text such as 1h, 30m or 10%")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
                u64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom(format!("{v} is negative")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug)]
enum ValueFile {
    Named(String),
    Field { field: String },
    Template { template: serde_json::Value },
}

impl<'de> Deserialize<'de> for ValueFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = serde_json::Value::deserialize(d)?;
        let expected = "expected row, collect, {field: NAME} or {template: …}";
        match v {
            serde_json::Value::String(s) => Ok(ValueFile::Named(s)),
            serde_json::Value::Object(mut m) if m.len() == 1 => {
                if let Some(f) = m.remove("field") {
                    match f {
                        serde_json::Value::String(field) => Ok(ValueFile::Field { field }),
                        other => Err(D::Error::custom(format!(
                            "field: expected a column name, found {other}"
                        ))),
                    }
                } else if let Some(template) = m.remove("template") {
                    Ok(ValueFile::Template { template })
                } else {
                    Err(D::Error::custom(format!(
                        "{expected}, found {}",
                        serde_json::Value::Object(m)
                    )))
                }
            }
            other => Err(D::Error::custom(format!("{expected}, found {other}"))),
        }
    }
}

// ---- The plan as run -------------------------------------------------------------------------

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
}

#[derive(Clone, Debug)]
pub struct HttpSource {
    pub base_url: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub retries: u32,
}

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

const MAX_PAGES: u64 = 10_000;

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
}

impl WarmPlan {
    pub fn load(path: &Path) -> Result<WarmPlan> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            context: format!("reading warm plan {}", path.display()),
            error: e,
        })?;
        Self::parse(&text, path, &|name| std::env::var(name).ok())
    }

    /// Parse and check a plan. `env` looks up `${VARS}`.
    pub fn parse(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<WarmPlan> {
        let origin = path.display().to_string();
        let file: PlanFile = serde_saphyr::from_str(text)
            .map_err(|e| Error::Plan(crate::error::yaml_error(&origin, text, &e)))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let ctx = Ctx {
            origin: &origin,
            env,
            base: &base,
        };
        let defaults = Defaults {
            ttl: file
                .defaults
                .ttl
                .as_ref()
                .map(|t| ctx.ttl(t, "defaults.ttl"))
                .transpose()?,
            jitter: file
                .defaults
                .jitter
                .as_ref()
                .map(|j| ctx.jitter(j, "defaults.jitter"))
                .transpose()?
                .unwrap_or(0.0),
            batch: file.defaults.batch.unwrap_or(1000).max(1),
            concurrency: file.defaults.concurrency.unwrap_or(4).max(1),
        };
        let mut sources = BTreeMap::new();
        for (name, s) in &file.sources {
            sources.insert(name.clone(), ctx.source(name, s)?);
        }
        let mut steps = Vec::new();
        let mut names = Vec::new();
        for (i, s) in file.steps.iter().enumerate() {
            steps.push(ctx.step(
                s,
                &format!("steps[{i}]"),
                None,
                &defaults,
                &sources,
                &mut names,
            )?);
        }
        if steps.is_empty() {
            return Err(Error::Plan(format!(
                "{origin}: steps: the plan has no steps"
            )));
        }
        Ok(WarmPlan {
            path: path.to_path_buf(),
            defaults,
            sources,
            steps,
        })
    }

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

struct Ctx<'a> {
    origin: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    base: &'a Path,
}

impl Ctx<'_> {
    fn at<T>(&self, s: &Spanned<T>) -> String {
        format!(
            "{}:{}:{}",
            self.origin,
            s.referenced.line(),
            s.referenced.column()
        )
    }

    fn fail<T>(&self, s: &Spanned<T>, field: &str, msg: impl std::fmt::Display) -> Error {
        Error::Plan(format!("{}: {field}: {msg}", self.at(s)))
    }

    /// `${VAR}` and `${VAR:-default}`; an unset variable without default is an error.
    fn expand(&self, s: &Spanned<String>, field: &str) -> Result<String> {
        let text = &s.value;
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| self.fail(s, field, "unclosed `${`"))?;
            let inner = &after[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            match ((self.env)(name), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(self.fail(
                        s,
                        field,
                        format!("environment variable {name} is not set (use ${{{name}:-default}} for a default)"),
                    ));
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn ttl(&self, s: &Spanned<Scalar>, field: &str) -> Result<u64> {
        match &s.value {
            Scalar::Int(0) => Err(self.fail(s, field, "a TTL must be at least one second")),
            Scalar::Int(n) => Ok(*n),
            Scalar::Float(_) => {
                Err(self.fail(s, field, "a TTL is whole seconds or a duration like 30m"))
            }
            Scalar::Text(t) => ttl::parse_seconds(t).map_err(|e| self.fail(s, field, e)),
        }
    }

    fn jitter(&self, s: &Spanned<Scalar>, field: &str) -> Result<f64> {
        let v = match &s.value {
            Scalar::Int(n) => *n as f64 / 100.0,
            Scalar::Float(f) => *f / 100.0,
            Scalar::Text(t) => t
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .map(|p| p / 100.0)
                .map_err(|_| self.fail(s, field, format!("`{t}` is not a percentage like 10%")))?,
        };
        if !(0.0..1.0).contains(&v) {
            return Err(self.fail(s, field, "jitter must be at least 0% and below 100%"));
        }
        Ok(v)
    }

    fn duration(&self, s: &Spanned<Scalar>, field: &str) -> Result<Duration> {
        match &s.value {
            Scalar::Int(n) => Ok(Duration::from_secs(*n)),
            Scalar::Float(f) if *f > 0.0 => Ok(Duration::from_secs_f64(*f)),
            Scalar::Float(_) => Err(self.fail(s, field, "must be positive")),
            Scalar::Text(t) => humantime::parse_duration(t).map_err(|e| self.fail(s, field, e)),
        }
    }

    fn source(&self, name: &str, s: &SourceFile) -> Result<Source> {
        let field = format!("sources.{name}");
        match (&s.sqlite, &s.url, &s.http) {
            (Some(path), None, None) => {
                let file = self
                    .base
                    .join(self.expand(path, &format!("{field}.sqlite"))?);
                Ok(Source::Sql(SqlSource {
                    url: format!("sqlite://{}", file.display()),
                    display: format!("sqlite://{}", file.display()),
                    init: s
                        .init
                        .as_ref()
                        .map(|i| {
                            self.expand(i, &format!("{field}.init"))
                                .map(|p| self.base.join(p))
                        })
                        .transpose()?,
                }))
            }
            (None, Some(url), None) => {
                let expanded = self.expand(url, &format!("{field}.url"))?;
                let scheme = expanded.split(':').next().unwrap_or("");
                if !matches!(
                    scheme,
                    "postgres" | "postgresql" | "mysql" | "mariadb" | "sqlite"
                ) {
                    return Err(self.fail(
                        url,
                        &format!("{field}.url"),
                        "expected postgres://, mysql://, mariadb:// or sqlite:",
                    ));
                }
                // sqlx speaks MySQL to MariaDB; accept the name users know.
                let url_for_driver = expanded.replacen("mariadb://", "mysql://", 1);
                Ok(Source::Sql(SqlSource {
                    url: url_for_driver,
                    display: url.value.clone(),
                    init: None,
                }))
            }
            (None, None, Some(h)) => Ok(Source::Http(HttpSource {
                base_url: {
                    let url = self.expand(&h.base_url, &format!("{field}.http.base_url"))?;
                    // file:// paths are relative to the plan, like sqlite paths.
                    match url.strip_prefix("file://") {
                        Some(p) if !p.starts_with('/') => {
                            format!("file://{}", self.base.join(p).display())
                        }
                        _ => url,
                    }
                    .trim_end_matches('/')
                    .to_string()
                },
                headers: h
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            k.clone(),
                            self.expand(v, &format!("{field}.http.headers.{k}"))?,
                        ))
                    })
                    .collect::<Result<_>>()?,
                timeout: h
                    .timeout
                    .as_ref()
                    .map(|t| self.duration(t, &format!("{field}.http.timeout")))
                    .transpose()?
                    .unwrap_or(Duration::from_secs(10)),
                retries: h.retries.unwrap_or(3),
            })),
            _ => Err(Error::Plan(format!(
                "{}: {field}: give exactly one of `sqlite`, `url` or `http`",
                self.origin
            ))),
        }
    }

    fn step(
        &self,
        s: &StepFile,
        field: &str,
        parent_source: Option<&str>,
        defaults: &Defaults,
        sources: &BTreeMap<String, Source>,
        names: &mut Vec<String>,
    ) -> Result<Step> {
        let name = s.name.value.clone();
        if names.contains(&name) {
            return Err(self.fail(
                &s.name,
                &format!("{field}.name"),
                format!("a step named `{name}` already exists"),
            ));
        }
        names.push(name.clone());
        let source = match (&s.source, parent_source) {
            (Some(src), _) => {
                if !sources.contains_key(&src.value) {
                    let known: Vec<&str> = sources.keys().map(String::as_str).collect();
                    return Err(self.fail(
                        src,
                        &format!("{field}.source"),
                        format!(
                            "no source named `{}` (sources: {})",
                            src.value,
                            known.join(", ")
                        ),
                    ));
                }
                src.value.clone()
            }
            (None, Some(p)) => p.to_string(),
            (None, None) => {
                return Err(self.fail(
                    &s.name,
                    &format!("{field}.source"),
                    "a top-level step needs a source",
                ));
            }
        };
        let template = |t: &Spanned<String>, f: &str| {
            KeyTemplate::parse(&t.value).map_err(|e| self.fail(t, &format!("{field}.{f}"), e))
        };
        let fetch = match (&sources[&source], &s.query, &s.request) {
            (Source::Sql(_), Some(q), None) => {
                let mut params = Vec::with_capacity(s.params.len());
                for (i, p) in s.params.iter().enumerate() {
                    params.push(match &p.value {
                        serde_json::Value::String(t) => {
                            let parsed = KeyTemplate::parse(t)
                                .map_err(|e| self.fail(p, &format!("{field}.params[{i}]"), e))?;
                            match parsed.fields().as_slice() {
                                [only] if t == &format!("{{{only}}}") => {
                                    Param::Field(only.to_string())
                                }
                                [] => Param::Literal(serde_json::Value::String(
                                    parsed.render(&BTreeMap::<String, String>::new())?,
                                )),
                                _ => Param::Text(parsed),
                            }
                        }
                        other => Param::Literal(other.clone()),
                    });
                }
                Fetch::Sql {
                    query: q.value.clone(),
                    params,
                }
            }
            (Source::Http(_), None, Some(r)) => Fetch::Http(Request {
                method: r
                    .method
                    .clone()
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                path: template(&r.path, "request.path")?,
                query: r
                    .query
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), template(v, &format!("request.query.{k}"))?)))
                    .collect::<Result<_>>()?,
                body: r.body.clone(),
                items: r.items.clone(),
                paginate: r.paginate.as_ref().map(|p| match p {
                    PaginateFile::Page {
                        param,
                        start,
                        max_pages,
                    } => Paginate::Page {
                        param: param.clone(),
                        start: *start,
                        max_pages: max_pages.unwrap_or(MAX_PAGES),
                    },
                    PaginateFile::Cursor {
                        param,
                        from,
                        max_pages,
                    } => Paginate::Cursor {
                        param: param.clone(),
                        from: from.clone(),
                        max_pages: max_pages.unwrap_or(MAX_PAGES),
                    },
                    PaginateFile::NextLink { from, max_pages } => Paginate::NextLink {
                        from: from.clone(),
                        max_pages: max_pages.unwrap_or(MAX_PAGES),
                    },
                }),
            }),
            (Source::Sql(_), _, _) => {
                return Err(self.fail(
                    &s.name,
                    field,
                    format!("source `{source}` is SQL: give a `query` (and no `request`)"),
                ));
            }
            (Source::Http(_), _, _) => {
                return Err(self.fail(
                    &s.name,
                    field,
                    format!("source `{source}` is HTTP: give a `request` (and no `query`)"),
                ));
            }
        };
        let ttl = match (&s.ttl, defaults.ttl) {
            (Some(t), _) => self.ttl(t, &format!("{field}.ttl"))?,
            (None, Some(d)) => d,
            (None, None) => {
                return Err(self.fail(
                    &s.name,
                    &format!("{field}.ttl"),
                    "no ttl here or in defaults: every warmed key needs one",
                ));
            }
        };
        let jitter = match &s.jitter {
            Some(j) => self.jitter(j, &format!("{field}.jitter"))?,
            None => defaults.jitter,
        };
        let shape = match &s.value {
            None => Shape::Row,
            Some(v) => match &v.value {
                ValueFile::Named(n) if n == "row" => Shape::Row,
                ValueFile::Named(n) if n == "collect" => Shape::Collect,
                ValueFile::Named(n) => {
                    return Err(self.fail(
                        v,
                        &format!("{field}.value"),
                        format!("`{n}`: expected row, collect, {{field: NAME}} or {{template: …}}"),
                    ));
                }
                ValueFile::Field { field: f } => Shape::Field(f.clone()),
                ValueFile::Template { template: t } => Shape::Template(
                    ValueTemplate::parse(t)
                        .map_err(|e| self.fail(v, &format!("{field}.value.template"), e))?,
                ),
            },
        };
        let key = template(&s.key, "key")?;
        if matches!(shape, Shape::Collect) && !s.for_each.is_empty() {
            return Err(self.fail(
                &s.name,
                &format!("{field}.for_each"),
                "a `collect` step has no rows to run for_each on",
            ));
        }
        let mut children = Vec::new();
        for (i, c) in s.for_each.iter().enumerate() {
            children.push(self.step(
                c,
                &format!("{field}.for_each[{i}]"),
                Some(&source),
                defaults,
                sources,
                names,
            )?);
        }
        Ok(Step {
            name,
            source,
            fetch,
            key,
            ttl,
            jitter,
            shape,
            json_columns: s.json_columns.clone(),
            batch: s.batch.unwrap_or(defaults.batch).max(1),
            children,
            at: self.at(&s.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
defaults:
  ttl: 1h
  jitter: 10%
sources:
  db:
    url: ${DB_URL:-sqlite://demo.db}
  api:
    http:
      base_url: http://127.0.0.1:9/api/
      headers:
        Authorization: Bearer ${TOKEN}
steps:
  - name: users
    source: db
    query: SELECT id, name FROM users
    key: "user_profile:{id}"
    for_each:
      - name: posts
        query: SELECT * FROM posts WHERE author_id = $1
        params: ["{id}", "u-{id}", 5]
        key: "user_{id}_posts:page_1"
        value: collect
        ttl: 30m
  - name: trending
    source: api
    request:
      path: /trending
      items: /data
      paginate: { page: { param: page } }
    key: trending_topics
    value: collect
    ttl: 600
"#;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "t0k".to_string())
    }

    #[test]
    fn parses_the_full_shape() {
        let p = WarmPlan::parse(PLAN, Path::new("w/plan.yaml"), &env).unwrap();
        assert_eq!(p.step_names(), vec!["users", "posts", "trending"]);
        let Source::Sql(db) = &p.sources["db"] else {
            panic!()
        };
        assert_eq!(db.url, "sqlite://demo.db");
        let Source::Http(api) = &p.sources["api"] else {
            panic!()
        };
        assert_eq!(api.base_url, "http://127.0.0.1:9/api");
        assert_eq!(
            api.headers,
            vec![("Authorization".to_string(), "Bearer t0k".to_string())]
        );
        let users = &p.steps[0];
        assert_eq!(users.ttl, 3600);
        assert!((users.jitter - 0.1).abs() < 1e-9);
        let posts = &users.children[0];
        assert_eq!(posts.source, "db", "children inherit the source");
        assert_eq!(posts.ttl, 1800);
        let Fetch::Sql { params, .. } = &posts.fetch else {
            panic!()
        };
        assert!(matches!(&params[0], Param::Field(f) if f == "id"));
        assert!(matches!(&params[1], Param::Text(_)));
        assert!(matches!(&params[2], Param::Literal(v) if v == 5));
    }

    fn err(text: &str) -> String {
        WarmPlan::parse(text, Path::new("plan.yaml"), &env)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let e = err(&PLAN.replace("source: api", "source: apj"));
        assert!(e.starts_with("plan.yaml:26:13:"), "{e}");
        assert!(e.contains("steps[1].source: no source named `apj`"), "{e}");
        let e = err(&PLAN.replace("${TOKEN}", "${NOPE}"));
        assert!(e.contains("sources.api.http.headers.Authorization"), "{e}");
        assert!(e.contains("NOPE is not set"), "{e}");
        let e = err(&PLAN.replace("key: trending_topics", "key: \"trending_{\""));
        assert!(e.contains("steps[1].key"), "{e}");
        let e = err(&PLAN.replace("ttl: 600", "ttl: soon"));
        assert!(e.contains("steps[1].ttl"), "{e}");
        let e = err(&PLAN.replace(
            "value: collect\n    ttl: 600",
            "value: collected\n    ttl: 600",
        ));
        assert!(e.contains("`collected`"), "{e}");
        let e = err(&PLAN.replace("    query: SELECT id", "    qurey: SELECT id"));
        assert!(e.starts_with("plan.yaml:"), "{e}");
        assert!(e.contains("qurey"), "{e}");
        let e = err(&PLAN.replace(
            "  ttl: 1h
",
            "",
        ));
        assert!(e.contains("steps[0].ttl: no ttl"), "{e}");
    }
}
