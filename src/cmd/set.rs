//! `cachectl set`: write one key with its TTL.

use std::io::{self, Read};

use anyhow::Context;
use cachectl::Error;
use cachectl::ops::set::{self, Condition, SetRequest};
use cachectl::ttl::Ttl;

use super::{Ctx, connect, connect_writer, exit};
use crate::cli::SetArgs;
use crate::render::prompt::Prompt;

pub async fn run(args: SetArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let value = match (&args.value, &args.file) {
        (Some(v), _) => v.clone().into_bytes(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut buf = Vec::new();
            io::stdin()
                .read_to_end(&mut buf)
                .context("reading the value from stdin")?;
            buf
        }
        (None, Some(path)) => std::fs::read(path)
            .with_context(|| format!("reading the value from {}", path.display()))?,
        // clap requires one of the two.
        (None, None) => Vec::new(),
    };
    let ttl = match (args.ttl, args.persist) {
        (Some(secs), _) => Ttl::Seconds(secs),
        (None, true) => Ttl::Persist,
        (None, false) => Ttl::Keep,
    };
    let condition = match (args.nx, args.xx) {
        (true, _) => Condition::IfMissing,
        (_, true) => Condition::IfExists,
        _ => Condition::Always,
    };
    let store = if args.dry_run {
        connect(ctx).await?
    } else {
        connect_writer(ctx, &format!("setting `{}`", args.key)).await?
    };
    let outcome = set::set(
        &store,
        SetRequest {
            key: args.key,
            value,
            ttl,
            condition,
            json: args.json,
            dry_run: args.dry_run,
        },
        &Prompt::new(),
        &ctx.stop,
    )
    .await
    .map_err(unsent)?;
    if ctx.out.is_json() {
        ctx.out.json(&outcome)?;
    } else {
        ctx.out.set_outcome(&outcome)?;
    }
    Ok(if outcome.reason.is_some() {
        exit::FAILED
    } else {
        exit::OK
    })
}

/// `cachectl expire KEY TTL` (`ttl` seconds) and `cachectl persist KEY` (`None`).
pub async fn run_expire(
    key: &str,
    ttl: Option<u64>,
    dry_run: bool,
    ctx: &Ctx,
) -> anyhow::Result<u8> {
    let store = match dry_run {
        true => connect(ctx).await?,
        false => connect_writer(ctx, &format!("changing the TTL of `{key}`")).await?,
    };
    let o = set::expire(&store, key, ttl, dry_run, &Prompt::new(), &ctx.stop)
        .await
        .map_err(unsent)?;
    if ctx.out.is_json() {
        ctx.out.json(&o)?;
    } else {
        ctx.out.expire_outcome(&o)?;
    }
    if !o.existed {
        crate::render::say(&format!(
            "error: {}",
            super::missing_key(key, "inspect --pattern")
        ));
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

/// A stop before the write was sent changed nothing: said so. (One sent and given up is
/// `Error::Unconfirmed`, which says that it may yet be applied.)
fn unsent(e: Error) -> anyhow::Error {
    match e {
        Error::Interrupted => {
            anyhow::Error::new(e).context("stopped before the write was sent: nothing changed")
        }
        e => e.into(),
    }
}
