//! `cachectl targets`: the named targets of the config file, without secrets.

use cachectl::conn::named::{self, Config};
use cachectl::conn::redact_url;
use serde::Serialize;

use super::{Ctx, exit};
use crate::render::targets::Row;

pub fn run(ctx: &Ctx) -> anyhow::Result<u8> {
    let Some(path) = named::config_path(ctx.global.config.as_deref()) else {
        anyhow::bail!("no config file: give --config FILE or set CACHECTL_CONFIG");
    };
    let config = Config::load(&path, ctx.global.config.is_some())?;
    let rows: Vec<Row> = config
        .targets
        .iter()
        .map(|(name, t)| Row {
            name,
            default: config.default.as_deref() == Some(name.as_str()),
            url: redact_url(&t.url),
            tls_insecure: t.tls.as_ref().is_some_and(|s| s.insecure)
                || cachectl::conn::url_skips_tls_check(&t.url),
            settings: t,
        })
        .collect();
    if ctx.out.is_json() {
        #[derive(Serialize)]
        struct Doc<'a> {
            file: String,
            targets: &'a [Row<'a>],
        }
        ctx.out.json(&Doc {
            file: path.display().to_string(),
            targets: &rows,
        })?;
        return Ok(exit::OK);
    }
    ctx.out.targets(&path.display().to_string(), &rows)?;
    Ok(exit::OK)
}

/// `targets use NAME`: the config file's `default:` line says NAME (added when it has none);
/// the rest of the file, comments included, is left as written.
pub fn use_default(name: &str, ctx: &Ctx) -> anyhow::Result<u8> {
    let Some(path) = named::config_path(ctx.global.config.as_deref()) else {
        anyhow::bail!("no config file: give --config FILE or set CACHECTL_CONFIG");
    };
    let config = Config::load(&path, true)?;
    if !config.targets.contains_key(name) {
        let known: Vec<&str> = config.targets.keys().map(String::as_str).collect();
        return Err(cachectl::Error::Usage(format!(
            "{}: no target `{name}` (it names: {})",
            path.display(),
            known.join(", ")
        ))
        .into());
    }
    let text = std::fs::read_to_string(&path)?;
    let line = format!("default: {}", serde_json::to_string(name)?);
    let mut replaced = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            if !replaced && l.starts_with("default:") {
                replaced = true;
                line.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    if !replaced {
        out.insert(0, line);
    }
    let mut new = out.join("\n");
    new.push('\n');
    // Checked before it replaces the file: the edit must still be a config naming NAME.
    let check = Config::parse(&new, &path.display().to_string())?;
    anyhow::ensure!(
        check.default.as_deref() == Some(name),
        "{}: could not set the default (edit its default: line by hand)",
        path.display()
    );
    // The file may hold credentials: the new one is 0600 until written, then takes the old
    // one's permissions.
    cachectl::side::Side::Targets.replace(&path, new.as_bytes(), true)?;
    crate::render::say(&format!("default target: {name} ({})", path.display()));
    Ok(exit::OK)
}
