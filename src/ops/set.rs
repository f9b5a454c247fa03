//! Write one key with its TTL in a single atomic `SET ... EX`: never SET then EXPIRE, which
//! leaves a key without TTL if the second command is lost.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::ttl::Ttl;

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

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SetOutcome {
    pub key: String,
    pub written: bool,
    /// Seconds, when the write set one.
    pub ttl: Option<u64>,
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

pub async fn set(store: &Store, req: SetRequest) -> Result<SetOutcome> {
    let value = if req.json {
        normalise_json(&req.key, &req.value)?
    } else {
        req.value
    };
    let ttl = match req.ttl {
        Ttl::Seconds(s) => Some(s),
        Ttl::Keep | Ttl::Persist => None,
    };
    let mut outcome = SetOutcome {
        key: req.key.clone(),
        written: false,
        ttl,
        bytes: value.len(),
        dry_run: req.dry_run,
        reason: None,
    };
    if req.dry_run {
        let exists: bool = store.query(redis::cmd("EXISTS").arg(&req.key)).await?;
        outcome.reason = blocked_by(req.condition, exists).map(String::from);
        outcome.written = false;
        return Ok(outcome);
    }
    let mut cmd = redis::cmd("SET");
    cmd.arg(&req.key).arg(&value);
    match req.ttl {
        Ttl::Seconds(s) => {
            cmd.arg("EX").arg(s);
        }
        Ttl::Keep => {
            cmd.arg("KEEPTTL");
        }
        Ttl::Persist => {}
    }
    match req.condition {
        Condition::Always => {}
        Condition::IfMissing => {
            cmd.arg("NX");
        }
        Condition::IfExists => {
            cmd.arg("XX");
        }
    }
    let reply: Option<String> = store.query(&cmd).await?;
    outcome.written = reply.is_some();
    if !outcome.written {
        outcome.reason =
            blocked_by(req.condition, req.condition == Condition::IfMissing).map(String::from);
    }
    Ok(outcome)
}

fn blocked_by(condition: Condition, exists: bool) -> Option<&'static str> {
    match (condition, exists) {
        (Condition::IfMissing, true) => Some("key exists (--nx)"),
        (Condition::IfExists, false) => Some("key does not exist (--xx)"),
        _ => None,
    }
}
