//! `doctor`: can cachectl run here? The server and its topology, the user, what each cachectl
//! command may do (tried with commands that change nothing), the round trip, memory policy and
//! keyspace notifications.

use std::time::{Duration, Instant};

use redis::Value;
use serde::Serialize;

use crate::backup::server_version;
use crate::error::Error;
use crate::store::{Store, refused};

#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    pub topology: String,
    pub masters: Vec<String>,
    pub server: Option<String>,
    /// `ACL WHOAMI`, when allowed.
    pub user: Option<String>,
    pub latency_ms: Latency,
    pub maxmemory_bytes: Option<u64>,
    pub eviction_policy: Option<String>,
    /// `notify-keyspace-events`, when `CONFIG GET` is allowed.
    pub notifications: Option<String>,
    /// The key the permissions were tried on.
    pub probe_key: String,
    pub permissions: Vec<Permission>,
    /// What stops a cachectl command from working here.
    pub problems: Vec<String>,
    /// Worth knowing, not in the way.
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Permission {
    pub command: &'static str,
    pub ok: bool,
    /// Redis commands the user may not run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// cachectl's commands and the Redis commands each needs, as tried by `probe`.
const NEEDS: &[(&str, &[&str])] = &[
    ("get", &["TYPE", "PTTL", "GET"]),
    ("set", &["SET", "PTTL"]),
    ("invalidate", &["UNLINK", "EXISTS"]),
    ("invalidate-pattern", &["SCAN", "DBSIZE", "UNLINK"]),
    (
        "inspect",
        &["SCAN", "TYPE", "PTTL", "MEMORY USAGE", "OBJECT IDLETIME"],
    ),
    ("ttl-audit", &["SCAN", "PTTL"]),
    ("ttl-audit --fix-*", &["EXPIRE", "PEXPIRE"]),
    ("warm", &["SET"]),
    ("backup, --backup", &["DUMP", "PEXPIRETIME"]),
    ("restore", &["RESTORE"]),
];

/// Look the server over. Nothing is written: every command tried either reads or, on a key
/// that does not exist, does nothing (`SET … XX`, `UNLINK`, `EXPIRE`, a `RESTORE` of a payload
/// the server rejects).
pub async fn doctor(store: &Store, probe_key: &str) -> DoctorReport {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let masters = match store.masters().await {
        Ok(m) => m.iter().map(|n| n.addr().to_string()).collect(),
        Err(e) => {
            problems.push(format!("cannot list the masters: {e}"));
            Vec::new()
        }
    };
    let topology = if store.is_cluster() {
        format!("cluster of {} masters", masters.len())
    } else {
        "standalone".to_string()
    };
    let user = store
        .query::<String>(redis::cmd("ACL").arg("WHOAMI"))
        .await
        .ok();
    let mut rtts = Vec::with_capacity(10);
    for _ in 0..10 {
        let t = Instant::now();
        if store.query::<Value>(&redis::cmd("PING")).await.is_ok() {
            rtts.push(t.elapsed());
        }
    }
    rtts.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let latency_ms = Latency {
        p50: ms(rtts.get(rtts.len() / 2)),
        max: ms(rtts.last()),
    };
    let info = store.info("memory").await;
    let field = |name: &str| info.as_ref().and_then(|i| i.field(name));
    let maxmemory_bytes = field("maxmemory").and_then(|v| v.parse().ok());
    let eviction_policy = field("maxmemory_policy").map(String::from);
    if info.is_none() {
        warnings.push(
            "INFO is not allowed: memory policy unknown, and ttl-audit has no headline".into(),
        );
    }
    match (maxmemory_bytes, eviction_policy.as_deref()) {
        (Some(0), _) => warnings.push(
            "maxmemory is 0 (no limit): the cache grows until the machine runs out of memory"
                .into(),
        ),
        (Some(_), Some("noeviction")) => warnings.push(
            "maxmemory-policy is noeviction: a full cache refuses writes instead of evicting"
                .into(),
        ),
        _ => {}
    }
    let notifications = match store
        .query::<Vec<String>>(
            redis::cmd("CONFIG")
                .arg("GET")
                .arg("notify-keyspace-events"),
        )
        .await
    {
        Ok(v) => v.get(1).cloned(),
        Err(_) => None,
    };
    let mut permissions = Vec::new();
    for (command, needs) in NEEDS {
        let mut missing = Vec::new();
        for need in *needs {
            if let Some(why) = probe(store, need, probe_key).await {
                missing.push(format!("{} ({why})", need.to_lowercase()));
            }
        }
        if !missing.is_empty() {
            problems.push(format!("{command} cannot run: {}", missing.join(", ")));
        }
        permissions.push(Permission {
            command,
            ok: missing.is_empty(),
            missing,
        });
    }
    DoctorReport {
        topology,
        masters,
        server: server_version(store).await,
        user,
        latency_ms,
        maxmemory_bytes,
        eviction_policy,
        notifications,
        probe_key: probe_key.to_string(),
        permissions,
        problems,
        warnings,
    }
}

/// Try `command` in a form that changes nothing; why it was refused, if it was.
async fn probe(store: &Store, command: &str, key: &str) -> Option<String> {
    let mut words = command.split(' ');
    let mut cmd = redis::cmd(words.next().unwrap_or(command));
    for w in words {
        cmd.arg(w);
    }
    match command {
        "SCAN" => cmd.arg(0).arg("COUNT").arg(1),
        "DBSIZE" => &mut cmd,
        "SET" => cmd.arg(key).arg("probe").arg("XX"),
        "EXPIRE" | "PEXPIRE" => cmd.arg(key).arg(1),
        "RESTORE" => cmd.arg(key).arg(0).arg("not a payload"),
        _ => cmd.arg(key),
    };
    let reply = if matches!(command, "SCAN" | "DBSIZE") {
        store
            .on_masters(&cmd)
            .await
            .map(|mut v| v.pop().map_or(Value::Nil, |(_, v)| v))
    } else {
        store.query::<Value>(&cmd).await
    };
    match reply {
        Ok(_) => None,
        // A payload the server rejects was allowed to be looked at: RESTORE is permitted.
        Err(Error::Redis { error, .. }) if error.to_string().contains("payload") => None,
        Err(e) if refused(&e) => Some(
            match &e {
                Error::Redis { error, .. } => error.code().unwrap_or("refused").to_string(),
                _ => "refused".into(),
            }
            .to_lowercase(),
        ),
        Err(e) => Some(e.to_string()),
    }
}
