//! The warm plan file as written: what serde reads from the YAML, spans kept on every field
//! that can be wrong so errors can point at it. Nothing here is checked beyond its type.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanFile {
    #[serde(default)]
    pub(super) defaults: DefaultsFile,
    pub(super) sources: BTreeMap<String, SourceFile>,
    pub(super) steps: Vec<StepFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DefaultsFile {
    pub(super) ttl: Option<Spanned<Scalar>>,
    pub(super) jitter: Option<Spanned<Scalar>>,
    pub(super) batch: Option<usize>,
    pub(super) concurrency: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceFile {
    /// Path of a SQLite file, relative to the plan.
    pub(super) sqlite: Option<Spanned<String>>,
    /// SQL script that creates the SQLite file when it does not exist yet.
    pub(super) init: Option<Spanned<String>>,
    /// `postgres://…`, `mysql://…`, `mariadb://…` or `sqlite:…`.
    pub(super) url: Option<Spanned<String>>,
    /// How long connecting to a `url` source may take.
    pub(super) timeout: Option<Spanned<Scalar>>,
    pub(super) http: Option<HttpFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpFile {
    pub(super) base_url: Spanned<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, Spanned<String>>,
    pub(super) timeout: Option<Spanned<Scalar>>,
    pub(super) retries: Option<u32>,
    pub(super) max_retry_wait: Option<Spanned<Scalar>>,
    /// The largest response body read, in bytes (after decompression).
    pub(super) max_body: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepFile {
    pub(super) name: Spanned<String>,
    pub(super) source: Option<Spanned<String>>,
    pub(super) query: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) params: Vec<Spanned<serde_json::Value>>,
    pub(super) request: Option<RequestFile>,
    /// None only for a parent that feeds its children and writes nothing itself.
    pub(super) key: Option<Spanned<String>>,
    pub(super) ttl: Option<Spanned<Scalar>>,
    pub(super) jitter: Option<Spanned<Scalar>>,
    pub(super) value: Option<Spanned<ValueFile>>,
    /// Text columns that hold JSON (SQLite has no JSON type): written nested.
    #[serde(default)]
    pub(super) json_columns: Vec<String>,
    pub(super) batch: Option<usize>,
    #[serde(default)]
    pub(super) for_each: Vec<StepFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequestFile {
    #[serde(default)]
    pub(super) method: Option<String>,
    pub(super) path: Spanned<String>,
    #[serde(default)]
    pub(super) query: BTreeMap<String, Spanned<String>>,
    pub(super) body: Option<serde_json::Value>,
    /// JSON pointer to the array of items (`/data/topics`); the document itself when absent.
    pub(super) items: Option<String>,
    pub(super) paginate: Option<PaginateFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub(super) enum PaginateFile {
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

pub(super) fn one() -> u64 {
    1
}

/// A YAML scalar written as a number or a string (`3600`, `1h`, `10%`).
#[derive(Debug, Clone)]
pub(super) enum Scalar {
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
pub(super) enum ValueFile {
    Named(String),
    Field {
        field: String,
    },
    Template {
        template: serde_json::Value,
    },
    Paginate {
        items_per_page: u64,
        max_pages: Option<u64>,
    },
}

impl<'de> Deserialize<'de> for ValueFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = serde_json::Value::deserialize(d)?;
        let expected = "expected row, collect, {field: NAME}, {template: …} or {paginate: {items_per_page: N}}";
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
                } else if let Some(p) = m.remove("paginate") {
                    let number = |name: &str| match p.get(name) {
                        None => Ok(None),
                        Some(v) => v.as_u64().filter(|n| *n > 0).map(Some).ok_or_else(|| {
                            D::Error::custom(format!(
                                "paginate.{name}: expected a whole number above 0, found {v}"
                            ))
                        }),
                    };
                    if let Some(other) = p.as_object().and_then(|o| {
                        o.keys()
                            .find(|k| *k != "items_per_page" && *k != "max_pages")
                    }) {
                        return Err(D::Error::custom(format!(
                            "paginate: unknown field `{other}` (expected items_per_page, max_pages)"
                        )));
                    }
                    let items_per_page = number("items_per_page")?.ok_or_else(|| {
                        D::Error::custom("paginate: items_per_page is required (e.g. {paginate: {items_per_page: 10}})")
                    })?;
                    Ok(ValueFile::Paginate {
                        items_per_page,
                        max_pages: number("max_pages")?,
                    })
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
