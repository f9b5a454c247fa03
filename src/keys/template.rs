//! Key templates: `user_{user_id}_posts:page_{page}` filled from named values.
//!
//! The same syntax as the reference application's Python `str.format` keys, so a template can be
//! copied from the code: `{name}` is a field, `{{` and `}}` are literal braces (needed for a
//! Redis hash tag inside a template: `{{user{id}}}:*`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use thiserror::Error;

use super::glob;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TemplateError {
    #[error("template `{template}`: unclosed `{{` at byte {at} (write `{{{{` for a literal brace)")]
    Unclosed { template: String, at: usize },
    #[error("template `{template}`: stray `}}` at byte {at} (write `}}}}` for a literal brace)")]
    StrayClose { template: String, at: usize },
    #[error("template `{template}`: empty field name `{{}}` at byte {at}")]
    EmptyField { template: String, at: usize },
    #[error(
        "template `{template}`: no value for field `{field}` (give it with --var {field}=VALUE, or from a column of the row)"
    )]
    MissingField { template: String, field: String },
    #[error("template `{template}`: field `{field}` is null")]
    NullField { template: String, field: String },
    #[error("template `{template}`: field `{field}` is not a scalar (object or array)")]
    NotScalar { template: String, field: String },
    /// A URL parser reads `..` (also written `%2E%2E`) as "up one": a row's value would
    /// choose another path than the template's.
    #[error(
        "template `{template}`: field `{field}` is `{value}`, which a URL reads as a path step, not a segment: the row is refused"
    )]
    PathStep {
        template: String,
        field: String,
        value: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(String),
}

/// A parsed key template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTemplate {
    source: String,
    parts: Vec<Part>,
}

/// What a field lookup can yield. Null and nested values are distinct so the error says why a
/// key could not be built instead of writing `None` or `{...}` into it.
pub enum FieldValue<'a> {
    Text(Cow<'a, str>),
    Null,
    Nested,
}

/// A source of field values: CLI `--var`s, a SQL row, a JSON object.
pub trait Vars: Sync {
    fn field(&self, name: &str) -> Option<FieldValue<'_>>;
}

impl KeyTemplate {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    lit.push('{');
                    i += 2;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    lit.push('}');
                    i += 2;
                }
                b'{' => {
                    let rel = source[i + 1..].find('}').ok_or(TemplateError::Unclosed {
                        template: source.to_string(),
                        at: i,
                    })?;
                    let name = &source[i + 1..i + 1 + rel];
                    if name.is_empty() {
                        return Err(TemplateError::EmptyField {
                            template: source.to_string(),
                            at: i,
                        });
                    }
                    if name.contains('{') {
                        return Err(TemplateError::Unclosed {
                            template: source.to_string(),
                            at: i,
                        });
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Field(name.to_string()));
                    i += rel + 2;
                }
                b'}' => {
                    return Err(TemplateError::StrayClose {
                        template: source.to_string(),
                        at: i,
                    });
                }
                _ => {
                    // Copy the whole UTF-8 character, not one byte of it.
                    let ch_len = source[i..].chars().next().map_or(1, char::len_utf8);
                    lit.push_str(&source[i..i + ch_len]);
                    i += ch_len;
                }
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(KeyTemplate {
            source: source.to_string(),
            parts,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The field names the template refers to, in order of first use.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.parts {
            if let Part::Field(f) = p
                && !out.contains(&f.as_str())
            {
                out.push(f);
            }
        }
        out
    }

    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The glob of every key this template can make: its text literal, each field `*`
    /// (`post_cache:{id}` → `post_cache:*`). A SCAN's MATCH; `family_matches` then keeps the
    /// keys of exactly this shape.
    pub fn family_glob(&self) -> String {
        let mut out = String::with_capacity(self.source.len());
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.push_str(&glob::escape(s)),
                Part::Field(_) => out.push('*'),
            }
        }
        out
    }

    /// Whether `key` has this template's shape: its literal text where the template has it,
    /// and each field one value that is not empty and holds no `:` (the separator of key
    /// segments), so `user:{id}` claims `user:7` but not `user:7:settings`.
    pub fn family_matches(&self, key: &[u8]) -> bool {
        fn at(parts: &[Part], key: &[u8]) -> bool {
            match parts.split_first() {
                None => key.is_empty(),
                Some((Part::Literal(s), rest)) => {
                    key.strip_prefix(s.as_bytes()).is_some_and(|k| at(rest, k))
                }
                Some((Part::Field(_), rest)) => {
                    let end = key.iter().position(|&b| b == b':').unwrap_or(key.len());
                    (1..=end).any(|n| at(rest, &key[n..]))
                }
            }
        }
        at(&self.parts, key)
    }

    /// Fill the template; every value is inserted as is.
    pub fn render(&self, vars: &dyn Vars) -> Result<String, TemplateError> {
        self.render_with(vars, |s, out| out.push_str(s))
    }

    /// Fill the template as a URL path: each value percent-encoded as one path segment (a
    /// row's `../admin` stays a segment of its own), the template's own text as written.
    pub fn render_path(&self, vars: &dyn Vars) -> Result<String, TemplateError> {
        for p in &self.parts {
            if let Part::Field(name) = p
                && let Some(FieldValue::Text(v)) = vars.field(name)
                && matches!(&*v, "" | "." | "..")
            {
                return Err(TemplateError::PathStep {
                    template: self.source.clone(),
                    field: name.clone(),
                    value: v.into_owned(),
                });
            }
        }
        self.render_with(vars, |s, out| {
            for b in s.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => {
                        out.push(b as char)
                    }
                    // `.` alone or doubled is a path step: encoded like the rest.
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
        })
    }

    /// Fill the template as a glob: values are escaped so they match only themselves, while the
    /// template's own literal text keeps its glob meaning (`user_{id}_*`).
    pub fn render_glob(&self, vars: &dyn Vars) -> Result<String, TemplateError> {
        self.render_with(vars, |s, out| out.push_str(&glob::escape(s)))
    }

    fn render_with(
        &self,
        vars: &dyn Vars,
        insert: impl Fn(&str, &mut String),
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 16);
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.push_str(s),
                Part::Field(name) => match vars.field(name) {
                    Some(FieldValue::Text(v)) => insert(&v, &mut out),
                    Some(FieldValue::Null) => {
                        return Err(TemplateError::NullField {
                            template: self.source.clone(),
                            field: name.clone(),
                        });
                    }
                    Some(FieldValue::Nested) => {
                        return Err(TemplateError::NotScalar {
                            template: self.source.clone(),
                            field: name.clone(),
                        });
                    }
                    None => {
                        return Err(TemplateError::MissingField {
                            template: self.source.clone(),
                            field: name.clone(),
                        });
                    }
                },
            }
        }
        Ok(out)
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Vars for HashMap<String, String> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.get(name).map(|v| FieldValue::Text(Cow::Borrowed(v)))
    }
}

impl Vars for BTreeMap<String, String> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.get(name).map(|v| FieldValue::Text(Cow::Borrowed(v)))
    }
}

impl Vars for serde_json::Map<String, serde_json::Value> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.get(name).map(json_field)
    }
}

/// How a JSON value reads inside a key: strings bare, numbers and booleans as written.
pub fn json_field(v: &serde_json::Value) -> FieldValue<'_> {
    use serde_json::Value;
    match v {
        Value::String(s) => FieldValue::Text(Cow::Borrowed(s)),
        Value::Number(n) => FieldValue::Text(Cow::Owned(n.to_string())),
        Value::Bool(b) => FieldValue::Text(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Null => FieldValue::Null,
        Value::Array(_) | Value::Object(_) => FieldValue::Nested,
    }
}

/// Two layers of values: a row's own fields first, then the ones it inherits (a parent row,
/// `--var`s).
pub struct Layered<'a> {
    pub top: &'a dyn Vars,
    pub below: &'a dyn Vars,
}

impl Vars for Layered<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.top.field(name).or_else(|| self.below.field(name))
    }
}

/// A JSON value whose strings are templates (a warm step's `value: {template: …}`), parsed
/// once when the plan loads so a typo fails `--check`, not row 5,000 of a run. A string that
/// is exactly one `{field}` keeps the field's JSON type; any other string renders as text.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueTemplate {
    Field(String),
    Text(KeyTemplate),
    Array(Vec<ValueTemplate>),
    Object(Vec<(String, ValueTemplate)>),
    Literal(serde_json::Value),
}

impl ValueTemplate {
    pub fn parse(v: &serde_json::Value) -> Result<Self, TemplateError> {
        use serde_json::Value;
        Ok(match v {
            Value::String(s) => {
                let t = KeyTemplate::parse(s)?;
                match t.fields().as_slice() {
                    [only] if *s == format!("{{{only}}}") => ValueTemplate::Field(only.to_string()),
                    _ => ValueTemplate::Text(t),
                }
            }
            Value::Array(a) => {
                ValueTemplate::Array(a.iter().map(Self::parse).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => ValueTemplate::Object(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::parse(v)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => ValueTemplate::Literal(other.clone()),
        })
    }

    /// Every field the template uses.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            ValueTemplate::Field(f) => vec![f.as_str()],
            ValueTemplate::Text(t) => t.fields(),
            ValueTemplate::Array(items) => items.iter().flat_map(Self::fields).collect(),
            ValueTemplate::Object(pairs) => pairs.iter().flat_map(|(_, v)| v.fields()).collect(),
            ValueTemplate::Literal(_) => Vec::new(),
        }
    }

    /// Fill the template: `whole` looks up a field's JSON value (for `"{field}"`), `vars`
    /// serves text templates.
    pub fn render(
        &self,
        whole: &dyn Fn(&str) -> Option<serde_json::Value>,
        vars: &dyn Vars,
    ) -> Result<serde_json::Value, TemplateError> {
        use serde_json::Value;
        Ok(match self {
            ValueTemplate::Field(f) => whole(f).ok_or_else(|| TemplateError::MissingField {
                template: format!("{{{f}}}"),
                field: f.clone(),
            })?,
            ValueTemplate::Text(t) => Value::String(t.render(vars)?),
            ValueTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| v.render(whole, vars))
                    .collect::<Result<_, _>>()?,
            ),
            ValueTemplate::Object(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(whole, vars)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            ValueTemplate::Literal(v) => v.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_is_the_template_with_any_value_in_each_field() {
        let t = KeyTemplate::parse("user:{id}").unwrap();
        assert_eq!(t.family_glob(), "user:*");
        assert!(t.family_matches(b"user:7"));
        assert!(!t.family_matches(b"user:7:settings"));
        assert!(!t.family_matches(b"user:"));
        let t = KeyTemplate::parse("{username}_posts:page_{page}").unwrap();
        assert_eq!(t.family_glob(), "*_posts:page_*");
        assert!(t.family_matches(b"john_doe_posts:page_2"));
        assert!(!t.family_matches(b"john_posts:page_2:x"));
        let t = KeyTemplate::parse("odd[*]:{id}").unwrap();
        assert_eq!(t.family_glob(), "odd\\[\\*\\]:*");
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_path_value_fills_one_segment_or_is_refused() {
        let t = KeyTemplate::parse("/api/users/{id}/posts").unwrap();
        let path = |id: &str| t.render_path(&vars(&[("id", id)]));
        assert_eq!(path("a/b?c").unwrap(), "/api/users/a%2Fb%3Fc/posts");
        assert_eq!(path("v1.2").unwrap(), "/api/users/v1%2E2/posts");
        for step in ["..", ".", ""] {
            let e = path(step).unwrap_err();
            assert!(matches!(e, TemplateError::PathStep { .. }), "{step}: {e}");
        }
    }

    #[test]
    fn renders_fields_and_literals() {
        let t = KeyTemplate::parse("user_{user_id}_posts:page_{page}").unwrap();
        assert_eq!(t.fields(), vec!["user_id", "page"]);
        let v = vars(&[("user_id", "7"), ("page", "1")]);
        assert_eq!(t.render(&v).unwrap(), "user_7_posts:page_1");
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = KeyTemplate::parse("{{user{id}}}:*").unwrap();
        assert_eq!(t.render(&vars(&[("id", "42")])).unwrap(), "{user42}:*");
        assert!(KeyTemplate::parse("{{tag}}").unwrap().is_literal());
    }

    #[test]
    fn missing_field_is_named() {
        let t = KeyTemplate::parse("user_{user_id}").unwrap();
        let err = t.render(&vars(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template `user_{user_id}`: no value for field `user_id` (give it with --var \
             user_id=VALUE, or from a column of the row)"
        );
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(
            KeyTemplate::parse("a{b"),
            Err(TemplateError::Unclosed { at: 1, .. })
        ));
        assert!(matches!(
            KeyTemplate::parse("a}b"),
            Err(TemplateError::StrayClose { at: 1, .. })
        ));
        assert!(matches!(
            KeyTemplate::parse("a{}b"),
            Err(TemplateError::EmptyField { .. })
        ));
    }

    #[test]
    fn glob_rendering_escapes_values_only() {
        let t = KeyTemplate::parse("user_{user_id}_*").unwrap();
        assert_eq!(
            t.render_glob(&vars(&[("user_id", "*")])).unwrap(),
            "user_\\*_*"
        );
    }

    #[test]
    fn json_rows() {
        let row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"id": 42, "code": "FR", "ok": true, "gone": null}"#).unwrap();
        let t = KeyTemplate::parse("x:{id}:{code}:{ok}").unwrap();
        assert_eq!(t.render(&row).unwrap(), "x:42:FR:true");
        let t = KeyTemplate::parse("x:{gone}").unwrap();
        assert!(matches!(
            t.render(&row),
            Err(TemplateError::NullField { .. })
        ));
    }
}
