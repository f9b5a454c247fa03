//! TTL policy files for `ttl-audit --policy`: rules by glob or family, first match wins.
//!
//! ```yaml
//! rules:
//!   - match: "post_cache:*"          # Redis glob, exactly the server's semantics
//!     ttl: { min: 60, max: 1h }
//!     require_ttl: true
//!     max_cluster: 500               # keys of this rule expiring within one --window
//!   - family: "user_{n}_posts:page_{n}"
//!     require_ttl: true
//!   - match: "session:*"             # hashes whose fields expire one by one (Redis 7.4+)
//!     require_field_ttl: true        # every field of a hash without its own TTL
//!     field_ttl: { min: 1m, max: 1d }
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::keys::glob::Glob;
use crate::ttl;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(rename = "match")]
    glob: Option<String>,
    family: Option<String>,
    name: Option<String>,
    ttl: Option<TtlBoundsFile>,
    #[serde(default)]
    require_ttl: bool,
    max_cluster: Option<u64>,
    field_ttl: Option<TtlBoundsFile>,
    #[serde(default)]
    require_field_ttl: bool,
    /// The TTL `--fix-missing-ttl` gives this rule's keys, instead of the flag's.
    fix_ttl: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TtlBoundsFile {
    min: Option<DurationText>,
    max: Option<DurationText>,
}

/// `60` or `"1h"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DurationText {
    Seconds(u64),
    Text(String),
}

/// What selects a rule's keys.
#[derive(Clone, Debug)]
pub enum Selector {
    Glob(Glob),
    Family(String),
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// How reports name the rule: its `name`, else its glob or family.
    pub name: String,
    pub selector: Selector,
    pub min_ttl: Option<u64>,
    pub max_ttl: Option<u64>,
    pub require_ttl: bool,
    pub max_cluster: Option<u64>,
    /// Bounds on the TTLs of hash fields, seconds.
    pub field_min_ttl: Option<u64>,
    pub field_max_ttl: Option<u64>,
    /// Every field of a hash without a TTL of its own must expire.
    pub require_field_ttl: bool,
    /// What `--fix-missing-ttl` gives this rule's keys (seconds), instead of the flag's value.
    pub fix_ttl: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub rules: Vec<Rule>,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy> {
        // A file the command line names and that cannot be read is the command line's
        // error (exit 2), as a policy that cannot be parsed is.
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Usage(format!("policy {}: cannot read it: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse policy YAML; errors name `origin`, line and column.
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let file: PolicyFile = serde_saphyr::from_str(text)
            .map_err(|e| Error::Usage(crate::error::yaml_error(origin, text, &e)))?;
        let mut rules = Vec::with_capacity(file.rules.len());
        for (i, r) in file.rules.into_iter().enumerate() {
            let here = format!("{origin}: rules[{i}]");
            let selector = match (r.glob, r.family) {
                (Some(g), None) => Selector::Glob(Glob::new(g)),
                (None, Some(f)) => Selector::Family(f),
                _ => {
                    return Err(Error::Usage(format!(
                        "{here}: give exactly one of `match` (a glob) or `family`"
                    )));
                }
            };
            let (min_ttl, max_ttl) = bounds(r.ttl, &format!("{here}.ttl"))?;
            let (field_min_ttl, field_max_ttl) = bounds(r.field_ttl, &format!("{here}.field_ttl"))?;
            let fix_ttl = seconds(r.fix_ttl, &format!("{here}.fix_ttl"))?;
            if let Some(fix) = fix_ttl
                && (min_ttl.is_some_and(|m| fix < m) || max_ttl.is_some_and(|m| fix > m))
            {
                return Err(Error::Usage(format!(
                    "{here}.fix_ttl: {fix}s is outside the rule's own ttl range: a fix would \
                     make the violation it is meant to mend"
                )));
            }
            let name = r.name.unwrap_or_else(|| match &selector {
                Selector::Glob(g) => g.to_string(),
                Selector::Family(f) => format!("family {f}"),
            });
            rules.push(Rule {
                name,
                selector,
                min_ttl,
                max_ttl,
                require_ttl: r.require_ttl,
                max_cluster: r.max_cluster,
                field_min_ttl,
                field_max_ttl,
                require_field_ttl: r.require_field_ttl,
                fix_ttl,
            });
        }
        Ok(Policy { rules })
    }

    /// The first rule for `key` (whose family is `family`), by position.
    pub fn rule_for(&self, key: &[u8], family: &str) -> Option<usize> {
        self.rules.iter().position(|r| match &r.selector {
            Selector::Glob(g) => g.is_match(key),
            Selector::Family(f) => crate::keys::family::falls_under(family, f),
        })
    }
}

/// A duration in seconds, `here` naming it in errors.
fn seconds(d: Option<DurationText>, here: &str) -> Result<Option<u64>> {
    match d {
        None => Ok(None),
        Some(DurationText::Seconds(s)) => Ok(Some(s)),
        Some(DurationText::Text(t)) => ttl::parse_seconds(&t)
            .map(Some)
            .map_err(|e| Error::Usage(format!("{here}: {e}"))),
    }
}

/// `ttl:` or `field_ttl:` bounds in seconds, `here` naming them in errors.
fn bounds(b: Option<TtlBoundsFile>, here: &str) -> Result<(Option<u64>, Option<u64>)> {
    let Some(b) = b else { return Ok((None, None)) };
    // Said back as written (`1h`, not 3600).
    let written = |d: &Option<DurationText>| match d {
        Some(DurationText::Text(t)) => t.clone(),
        Some(DurationText::Seconds(s)) => format!("{s}"),
        None => String::new(),
    };
    let (min_text, max_text) = (written(&b.min), written(&b.max));
    let lo = seconds(b.min, &format!("{here}.min"))?;
    let hi = seconds(b.max, &format!("{here}.max"))?;
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo > hi
    {
        return Err(Error::Usage(format!(
            "{here}: min {min_text} is longer than max {max_text} ({lo} s > {hi} s): swap them"
        )));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
rules:
  - match: "post_cache:[0-9]*"
    ttl: { min: 60, max: 1h }
    require_ttl: true
    max_cluster: 100
  - family: "user_{n}_posts:page_{n}"
    require_ttl: true
  - match: "session:*"
    require_field_ttl: true
    field_ttl: { min: 1m, max: 1d }
  - match: "*"
    name: everything else
"#;

    #[test]
    fn parses_and_matches_first_rule() {
        let p = Policy::parse(POLICY, "p.yaml").unwrap();
        assert_eq!(p.rules.len(), 4);
        assert_eq!(
            (p.rules[2].field_min_ttl, p.rules[2].field_max_ttl),
            (Some(60), Some(86_400))
        );
        assert!(p.rules[2].require_field_ttl && !p.rules[2].require_ttl);
        assert_eq!(p.rules[0].max_ttl, Some(3600));
        assert_eq!(p.rule_for(b"post_cache:42", "post_cache:{n}"), Some(0));
        assert_eq!(p.rule_for(b"post_cache:x", "post_cache:x"), Some(3));
        assert_eq!(
            p.rule_for(b"user_7_posts:page_1", "user_{n}_posts:page_{n}"),
            Some(1)
        );
        assert_eq!(p.rules[3].name, "everything else");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let err = Policy::parse("rules:\n  - match: x\n    max_clutser: 3\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.yaml:3:"), "{err}");
        assert!(err.contains("max_clutser"), "{err}");
        let err = Policy::parse("rules:\n  - require_ttl: true\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rules[0]"), "{err}");
        let err = Policy::parse(
            "rules:\n  - match: x\n    ttl: {min: 2h, max: 1h}\n",
            "p.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("min 2h is longer than max 1h"), "{err}");
    }
}
