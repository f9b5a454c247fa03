//! Named targets: the environments an operator works with, in one YAML file, chosen by name
//! like kubectl contexts. A target's settings are defaults that flags override; its
//! `readonly`, `confirm: always` and `max_keys` guard what may be done there.
//!
//! ```yaml
//! default: local
//! targets:
//!   local: { url: "redis://127.0.0.1:6379" }
//!   prod:
//!     url: "rediss://cache.internal:6380"
//!     user: ops
//!     password_env: PROD_REDIS_PASSWORD
//!     readonly: true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, yaml_error};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The target used when none is named and no URL is given.
    pub default: Option<String>,
    #[serde(default)]
    pub targets: BTreeMap<String, NamedTarget>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NamedTarget {
    /// Never serialised as it is: a URL may carry a password (`targets` shows it redacted).
    #[serde(skip_serializing)]
    pub url: String,
    /// Treat it as a cluster without asking.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The environment variable that holds the password (never the password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Every write refused (exit 3), nothing changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
    /// `always`: every change is confirmed at a terminal, even with `--yes`; off a terminal it
    /// is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<ConfirmPolicy>,
    /// The default for `--max-keys` here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_keys: Option<u64>,
    /// Namespaces no command deletes on this target, by pattern or exact key (globs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protect: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmPolicy {
    Always,
}

/// Where the config file is: `explicit` (`--config`, `CACHECTL_CONFIG`), else
/// `$XDG_CONFIG_HOME/cachectl/config.yaml` (`~/.config/…` without it).
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("cachectl").join("config.yaml"))
}

impl Config {
    /// Read the config at `path`. A missing file is an empty config unless `required` (the
    /// user named it).
    pub fn load(path: &Path, required: bool) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "config {}: cannot read it: {e}",
                    path.display()
                )));
            }
        };
        Config::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        let config: Config =
            serde_saphyr::from_str(text).map_err(|e| Error::Usage(yaml_error(origin, text, &e)))?;
        if let Some(d) = &config.default
            && !config.targets.contains_key(d)
        {
            return Err(Error::Usage(format!(
                "{origin}: default: no target is named `{d}` ({})",
                config.names()
            )));
        }
        Ok(config)
    }

    /// The target called `name`.
    pub fn get(&self, name: &str, origin: &str) -> Result<&NamedTarget> {
        self.targets.get(name).ok_or_else(|| {
            Error::Usage(format!(
                "no target is named `{name}` in {origin} ({})",
                self.names()
            ))
        })
    }

    /// The targets' names, in the file's order.
    pub fn target_names(&self) -> impl Iterator<Item = &str> {
        self.targets.keys().map(String::as_str)
    }

    fn names(&self) -> String {
        if self.targets.is_empty() {
            return "it names none".into();
        }
        let names: Vec<&str> = self.targets.keys().map(String::as_str).collect();
        format!("it names {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape_parses_and_mistakes_are_named() {
        let c = Config::parse(
            "default: local\ntargets:\n  local: { url: \"redis://127.0.0.1:6379\" }\n  prod:\n    url: \"rediss://cache.internal:6380\"\n    user: ops\n    password_env: PROD_REDIS_PASSWORD\n    readonly: true\n    confirm: always\n    max_keys: 500\n",
            "c.yaml",
        )
        .unwrap();
        let prod = c.get("prod", "c.yaml").unwrap();
        assert!(prod.readonly);
        assert_eq!(prod.confirm, Some(ConfirmPolicy::Always));
        assert_eq!(prod.max_keys, Some(500));
        let err = c.get("stage", "c.yaml").unwrap_err().to_string();
        assert!(err.contains("local, prod"), "{err}");

        let err = Config::parse(
            "targets:\n  a:\n    url: x\n    readonly: yes please\n",
            "c.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.yaml:4:"), "{err}");
        assert!(err.contains("readonly"), "{err}");
        let err = Config::parse("targets:\n  a:\n    url: x\n    pasword_env: P\n", "c.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("pasword_env"), "{err}");
        let err = Config::parse("default: b\ntargets:\n  a: { url: x }\n", "c.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no target is named `b`"), "{err}");
    }
}
