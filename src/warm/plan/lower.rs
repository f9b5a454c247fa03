//! From the file as written to the plan as run: every check that needs more than a type (a
//! source that exists, a template that parses, a variable that is set), each failure reported
//! as `file:line:column: field: what is wrong`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::model::*;
use super::schema::*;
use crate::error::{Error, Result};
use crate::keys::template::{KeyTemplate, ValueTemplate};
use crate::ttl;

/// The most keys one batch of a step holds: a batch is held in memory and sent as one
/// pipeline, so a plan cannot ask for more than a bounded one.
const MAX_BATCH: usize = 100_000;

impl WarmPlan {
    pub fn load(path: &Path) -> Result<WarmPlan> {
        // A file the command line names and that cannot be read is the command line's
        // error (exit 2), as a plan that cannot be parsed is.
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Usage(format!("warm plan {}: cannot read it: {e}", path.display()))
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
            batch: match file.defaults.batch.unwrap_or(1000) {
                n if n > MAX_BATCH => {
                    return Err(Error::Plan(format!(
                        "{origin}: defaults.batch: {n} is more than {MAX_BATCH} keys a batch"
                    )));
                }
                n => n.max(1),
            },
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

    /// A duration in a plan: above zero, at most a year (`ttl::parse_duration`'s bounds).
    fn duration(&self, s: &Spanned<Scalar>, field: &str) -> Result<Duration> {
        let max = crate::ttl::MAX_DURATION;
        match &s.value {
            Scalar::Int(0) => Err(self.fail(s, field, "must be more than zero")),
            Scalar::Int(n) if *n <= max.as_secs() => Ok(Duration::from_secs(*n)),
            // Past zero after rounding to nanoseconds, too (1e-300 is not a timeout).
            Scalar::Float(f) if *f >= 1e-9 && *f <= max.as_secs_f64() => {
                Ok(Duration::from_secs_f64(*f))
            }
            Scalar::Int(_) | Scalar::Float(_) => Err(self.fail(
                s,
                field,
                "must be more than zero and at most a year (in seconds, or e.g. 5s)",
            )),
            Scalar::Text(t) => crate::ttl::parse_duration(t).map_err(|e| self.fail(s, field, e)),
        }
    }

    fn source(&self, name: &str, s: &SourceFile) -> Result<Source> {
        let field = format!("sources.{name}");
        if let (Some(t), Some(_)) = (&s.timeout, &s.http) {
            return Err(self.fail(
                t,
                &format!("{field}.timeout"),
                "an HTTP source's timeout goes inside http: (http: {timeout: 10s})",
            ));
        }
        match (&s.sqlite, &s.url, &s.http) {
            (Some(path), None, None) => {
                if let Some(t) = &s.timeout {
                    return Err(self.fail(
                        t,
                        &format!("{field}.timeout"),
                        "a SQLite file is opened, not connected to: timeout is for url: sources",
                    ));
                }
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
                    timeout: DEFAULT_SQL_TIMEOUT,
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
                    // The URL as used (variables expanded, defaults taken), password hidden:
                    // an error names the server it was really about.
                    display: crate::conn::redact_url(&expanded),
                    init: None,
                    timeout: match &s.timeout {
                        Some(t) => self.duration(t, &format!("{field}.timeout"))?,
                        None => DEFAULT_SQL_TIMEOUT,
                    },
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
                max_retry_wait: h
                    .max_retry_wait
                    .as_ref()
                    .map(|t| self.duration(t, &format!("{field}.http.max_retry_wait")))
                    .transpose()?
                    .unwrap_or(Duration::from_secs(60)),
                max_body: h.max_body.unwrap_or(super::model::DEFAULT_MAX_BODY),
            })),
            _ => Err(Error::Plan(format!(
                "{}: {field}: give exactly one of `sqlite`, `url` or `http`",
                self.origin
            ))),
        }
    }

    /// The source a step reads: its own, or its parent's.
    fn step_source(
        &self,
        s: &StepFile,
        field: &str,
        parent_source: Option<&str>,
        sources: &BTreeMap<String, Source>,
    ) -> Result<String> {
        Ok(match (&s.source, parent_source) {
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
        })
    }

    /// What a step asks of its source: a query and its parameters, or an HTTP request.
    fn fetch(&self, s: &StepFile, field: &str, source: &str, kind: &Source) -> Result<Fetch> {
        let template = |t: &Spanned<String>, f: &str| {
            KeyTemplate::parse(&t.value).map_err(|e| self.fail(t, &format!("{field}.{f}"), e))
        };
        Ok(match (kind, &s.query, &s.request) {
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
        })
    }

    /// What a step's keys hold: the row, a field of it, a template, or the rows collected.
    fn shape(&self, s: &StepFile, field: &str) -> Result<Shape> {
        Ok(match &s.value {
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
                ValueFile::Paginate {
                    items_per_page,
                    max_pages,
                } => Shape::Paginate {
                    items_per_page: *items_per_page,
                    max_pages: max_pages.unwrap_or(MAX_PAGES),
                },
            },
        })
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
        let source = self.step_source(s, field, parent_source, sources)?;
        let template = |t: &Spanned<String>, f: &str| {
            KeyTemplate::parse(&t.value).map_err(|e| self.fail(t, &format!("{field}.{f}"), e))
        };
        let fetch = self.fetch(s, field, &source, &sources[&source])?;
        // A parent with children and no key feeds them and writes nothing itself.
        let feeds = s.key.is_none() && !s.for_each.is_empty();
        let ttl = match (&s.ttl, defaults.ttl) {
            (Some(t), _) => self.ttl(t, &format!("{field}.ttl"))?,
            (None, Some(d)) => d,
            (None, None) if feeds => 0,
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
        let (shape, key) = match &s.key {
            Some(k) => (self.shape(s, field)?, template(k, "key")?),
            None if feeds && s.value.is_none() => (Shape::Feed, KeyTemplate::parse("")?),
            None => {
                // A `key:` indented into a `query: |` block is query text, not the step's key.
                let swallowed = s
                    .query
                    .as_ref()
                    .is_some_and(|q| q.value.lines().any(|l| l.trim_start().starts_with("key:")));
                let why = match swallowed {
                    true => {
                        "missing: the query's text has a `key:` line in it: indent `key:` \
                             as the step's other fields, not as the query's lines"
                    }
                    false => {
                        "missing: every step that writes needs a key (only a parent with \
                              for_each children and no value may leave it out)"
                    }
                };
                return Err(self.fail(&s.name, &format!("{field}.key"), why));
            }
        };
        if shape.gathers() && !s.for_each.is_empty() {
            return Err(self.fail(
                &s.name,
                &format!("{field}.for_each"),
                "a `collect` or `paginate` step has no rows to run for_each on",
            ));
        }
        if let (Shape::Paginate { .. }, Some(k)) = (&shape, &s.key)
            && !key.fields().contains(&"page")
        {
            return Err(self.fail(
                k,
                &format!("{field}.key"),
                "a paginated value writes one key per page: put {page} in the key (and \
                 {items_per_page} if the application's key has it)",
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
        let batch = s.batch.unwrap_or(defaults.batch);
        if batch > MAX_BATCH {
            let why = format!("{batch} is more than {MAX_BATCH} keys a batch");
            return Err(self.fail(&s.name, "batch", why));
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
            batch: batch.max(1),
            children,
            at: self.at(&s.name),
        })
    }
}
