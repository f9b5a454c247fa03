//! Write one key with its TTL in a single atomic `SET ... EX`: never SET then EXPIRE, which
//! leaves a key without TTL if the second command is lost.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::guard::{Action, Confirm, Guards, Proposal, Selection};
use crate::keys;
use crate::stop::Stop;
use crate::store::Store;
use crate::ttl::{KeyTtl, Ttl};

/// When to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Condition {
    #[default]
    Always,
    /// `NX`: only when the key does not exist.
    IfMissing,
    /// `XX`: only when it does.
    IfExists,
}

#[derive(Clone, Debug)]
pub struct SetRequest {
    pub key: String,
    pub value: Vec<u8>,
    pub ttl: Ttl,
    pub condition: Condition,
    /// Validate the value as JSON and store it compact.
    pub json: bool,
    pub dry_run: bool,
}

/// What a write did to the key's TTL.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TtlChange {
    /// `--ttl`: the key now expires after that.
    Set,
    /// `--keep-ttl` on a key that had one: it still expires when it did.
    Kept,
    /// `--persist` on a key that had a TTL: it now never expires.
    Removed,
    /// Written without a TTL, and the key had none before (or did not exist): `--persist`,
    /// or `--keep-ttl` with no TTL to keep.
    NoTtl,
    /// Nothing was written.
    Unchanged,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SetOutcome {
    pub key: String,
    pub written: bool,
    /// Whether the key existed before the write.
    pub existed: bool,
    pub ttl_change: TtlChange,
    /// Milliseconds left before the write; null when the key had no TTL or did not exist.
    pub ttl_before_ms: Option<u64>,
    /// Milliseconds left after it (for a dry run: what it would be); null for no expiry.
    pub ttl_ms: Option<u64>,
    pub bytes: usize,
    pub dry_run: bool,
    /// Why nothing was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Validate `value` as JSON and return it compact, keys in their original order.
pub fn normalise_json(key: &str, value: &[u8]) -> Result<Vec<u8>> {
    let parsed: serde_json::Value = serde_json::from_slice(value).map_err(|e| Error::BadValue {
        key: key.to_string(),
        reason: format!("not valid JSON: {e}"),
    })?;
    serde_json::to_vec(&parsed).map_err(|e| Error::BadValue {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// Write the key. The TTL before and after ride in the same pipeline as the SET (one key, so
/// one slot in a cluster), so the outcome says exactly what happened to the TTL.
///
/// The write goes through the gate (`guard::authorise`): refused on a read-only target, and
/// under `confirm: always` asked of a person, or refused where no one can answer.
pub async fn set(
    store: &Store,
    req: SetRequest,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> Result<SetOutcome> {
    let value = if req.json {
        normalise_json(&req.key, &req.value)?
    } else {
        req.value
    };
    let mut set = redis::cmd("SET");
    set.arg(&req.key).arg(&value);
    match req.ttl {
        Ttl::Seconds(s) => {
            set.arg("EX").arg(s);
        }
        Ttl::Keep => {
            set.arg("KEEPTTL");
        }
        Ttl::Persist => {}
    }
    match req.condition {
        Condition::Always => {}
        Condition::IfMissing => {
            set.arg("NX");
        }
        Condition::IfExists => {
            set.arg("XX");
        }
    }
    let mut pipe = redis::pipe();
    pipe.cmd("PTTL").arg(&req.key);
    if !req.dry_run {
        pipe.add_command(set).cmd("PTTL").arg(&req.key);
    }
    let replies = one_key(store, &req.key, &pipe, req.dry_run, confirm, stop).await?;
    let mut replies = replies.into_iter();
    let mut next = || replies.next().unwrap_or(redis::Value::Nil);
    let before = KeyTtl::from_pttl(store.decode(next())?);
    let existed = before != KeyTtl::Missing;
    let (written, after) = if req.dry_run {
        let blocked = blocked_by(req.condition, existed).is_some();
        let after = match req.ttl {
            Ttl::Seconds(s) => KeyTtl::Expires(s.saturating_mul(1000)),
            Ttl::Keep if existed => before,
            Ttl::Keep | Ttl::Persist => KeyTtl::Never,
        };
        (!blocked, if blocked { before } else { after })
    } else {
        let reply: Option<String> = store.decode(next())?;
        (reply.is_some(), KeyTtl::from_pttl(store.decode(next())?))
    };
    let ms = |t: KeyTtl| match t {
        KeyTtl::Expires(ms) => Some(ms),
        _ => None,
    };
    let ttl_change = match (written, req.ttl, before) {
        (false, _, _) => TtlChange::Unchanged,
        (true, Ttl::Seconds(_), _) => TtlChange::Set,
        (true, Ttl::Keep, KeyTtl::Expires(_)) => TtlChange::Kept,
        (true, Ttl::Persist, KeyTtl::Expires(_)) => TtlChange::Removed,
        (true, Ttl::Keep | Ttl::Persist, _) => TtlChange::NoTtl,
    };
    Ok(SetOutcome {
        key: req.key,
        written: written && !req.dry_run,
        existed,
        ttl_change,
        ttl_before_ms: ms(before),
        ttl_ms: ms(after),
        bytes: value.len(),
        dry_run: req.dry_run,
        reason: if written {
            None
        } else {
            blocked_by(req.condition, existed).map(String::from)
        },
    })
}

/// `pipe`, about one key: sent as it is for a dry run (it then only reads), else through the
/// gate as a write to that key.
async fn one_key(
    store: &Store,
    key: &str,
    pipe: &redis::Pipeline,
    dry_run: bool,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> Result<Vec<redis::Value>> {
    // The target's protected namespaces hold for one key as for a sweep: refused, unsent.
    if let Some(g) = (store.policy().protect.iter()).find(|g| g.is_match(key.as_bytes())) {
        return Err(Error::Refused(format!(
            "key `{}` is in the protected namespace `{g}` of {}",
            keys::display(key.as_bytes()),
            store.addr()
        )));
    }
    if dry_run {
        return stop.within_grace(store.query_pipeline(pipe)).await;
    }
    let what = Selection::of(
        format!("key `{}`", keys::display(key.as_bytes())),
        1,
        0,
        false,
    );
    let proposal = Proposal::new(Action::Write, vec![what]);
    let permit = store
        .authorise(proposal, &Guards::default(), confirm, stop)
        .await?;
    // Sent, a write is only given up when the server has stalled past a stop: the report must
    // then say that it may yet be applied.
    match stop.within_grace(store.write_pipeline(&permit, pipe)).await {
        Err(Error::Interrupted) => Err(Error::Unconfirmed(format!(
            "the write to key `{}`",
            keys::display(key.as_bytes())
        ))),
        other => other,
    }
}

fn blocked_by(condition: Condition, exists: bool) -> Option<&'static str> {
    match (condition, exists) {
        (Condition::IfMissing, true) => Some("key exists (--nx)"),
        (Condition::IfExists, false) => Some("key does not exist (--xx)"),
        _ => None,
    }
}

/// What `expire` or `persist` did to one key's TTL.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExpireOutcome {
    pub key: String,
    /// Whether the key was there (a missing key is given nothing).
    pub existed: bool,
    /// Whether the server changed the TTL (false for a dry run, a missing key, or `persist` on
    /// a key without one).
    pub changed: bool,
    /// Milliseconds left before; null when the key had no TTL or did not exist.
    pub ttl_before_ms: Option<u64>,
    /// Milliseconds left after (for a dry run: what it would be); null for no expiry.
    pub ttl_ms: Option<u64>,
    pub dry_run: bool,
}

/// Give `key` a TTL of `ttl` seconds (`EXPIRE`), or take its TTL away (`None`: `PERSIST`),
/// through the gate as every write; the TTL before and after ride in the same pipeline.
pub async fn expire(
    store: &Store,
    key: &str,
    ttl: Option<u64>,
    dry_run: bool,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> Result<ExpireOutcome> {
    let mut pipe = redis::pipe();
    pipe.cmd("PTTL").arg(key);
    if !dry_run {
        match ttl {
            Some(secs) => pipe.cmd("EXPIRE").arg(key).arg(secs),
            None => pipe.cmd("PERSIST").arg(key),
        };
        pipe.cmd("PTTL").arg(key);
    }
    let replies = one_key(store, key, &pipe, dry_run, confirm, stop).await?;
    let mut replies = replies.into_iter();
    let mut next = || replies.next().unwrap_or(redis::Value::Nil);
    let before = KeyTtl::from_pttl(store.decode(next())?);
    let existed = before != KeyTtl::Missing;
    let ms = |t: KeyTtl| match t {
        KeyTtl::Expires(ms) => Some(ms),
        _ => None,
    };
    let (changed, after) = match (dry_run, existed) {
        (true, false) => (false, before),
        (true, true) => (
            false,
            ttl.map_or(KeyTtl::Never, |s| KeyTtl::Expires(s * 1000)),
        ),
        (false, _) => {
            let done: i64 = store.decode(next())?;
            (done == 1, KeyTtl::from_pttl(store.decode(next())?))
        }
    };
    Ok(ExpireOutcome {
        key: key.to_string(),
        existed,
        changed,
        ttl_before_ms: ms(before),
        ttl_ms: ms(after),
        dry_run,
    })
}
