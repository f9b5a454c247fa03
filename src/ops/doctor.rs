//! `doctor`: can cachectl run here? The server and its topology, the user, what each cachectl
//! command may do, the round trip, memory policy and keyspace notifications.
//!
//! Permissions are asked of the server with `ACL DRYRUN` where the user may run it (Redis 7.0+,
//! Valkey): nothing is executed. Elsewhere the reads are tried on the key given, and the
//! writes only on a key of the doctor's own, under a unique name near it (`SET … NX PX`, then
//! removed), with a permit from the gate: never on a user's key, and on a read-only target not
//! at all.

use std::time::{Duration, Instant};

use redis::Value;
use serde::Serialize;

use crate::error::Error;
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::stop::Stop;
use crate::store::server_version;
use crate::store::{Store, not_allowed};

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
    /// The key the reads were tried on (the one given).
    pub probe_key: String,
    /// How the permissions were found: `acl dryrun` (asked, nothing run), `probe` (reads on
    /// the key given, writes on a key of the doctor's own), or `reads only` (writes not
    /// tried: a read-only target, or no one to confirm a write under `confirm: always`).
    pub checked_by: String,
    /// The doctor's own key the writes were tried on, and removed, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_probe_key: Option<String>,
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
    /// Every Redis command it needs was checked and is allowed.
    pub ok: bool,
    /// Redis commands the user may not run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Redis commands it needs that were not checked (writes, on a target cachectl may not
    /// write to, where the server has no ACL DRYRUN): neither allowed nor refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
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

/// The Redis commands that change a key, tried only on the doctor's own key.
const WRITES: &[&str] = &["SET", "UNLINK", "EXPIRE", "PEXPIRE", "RESTORE"];

/// Look the server over. Nothing of the user's is written: see the module's text.
pub async fn doctor(
    store: &Store,
    probe_key: &str,
    confirm: &dyn Confirm,
    stop: &Stop,
) -> DoctorReport {
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
    let latency_ms = latency(store).await;
    let (maxmemory_bytes, eviction_policy) = memory_policy(store, &mut warnings).await;
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
    let own = own_key(probe_key);
    let dryrun = match &user {
        Some(u) => dry_run_allowed(store, u).await,
        None => false,
    };
    // The writes on our own key need leave like any write: none on a read-only target.
    let mut stopped = false;
    let permit = match dryrun {
        true => None,
        false => {
            let proposal = Proposal::new(
                Action::Probe,
                vec![Selection::of(format!("key `{own}`"), 1, 0, false)],
            );
            let guards = Guards {
                yes: true,
                ..Guards::default()
            };
            let authorised = store.authorise(proposal, &guards, confirm, stop).await;
            stopped = matches!(authorised, Err(Error::Interrupted));
            authorised.ok()
        }
    };
    let checked_by = match (dryrun, &permit) {
        (true, _) => "acl dryrun",
        (false, Some(_)) => "probe",
        (false, None) => "reads only",
    };
    if checked_by == "reads only" {
        warnings.push(match stopped {
            true => "write permissions not checked: a stop (Ctrl-C, SIGTERM) came first".into(),
            false => "write permissions not checked: the target is read-only (or asks for every \
                      change and no one is at a terminal), and ACL DRYRUN is not allowed"
                .into(),
        });
    }
    warnings.extend(store.policy().readonly_note());
    if let Some(p) = &permit {
        create_own(store, p, &own).await;
    }
    let how = Checking {
        dryrun_as: user.as_deref().filter(|_| dryrun),
        permit: permit.as_ref(),
        probe_key,
        own: &own,
    };
    let permissions = permissions(store, &how, &mut problems).await;
    if let Some(p) = &permit {
        remove_own(store, p, &own).await;
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
        checked_by: checked_by.into(),
        write_probe_key: permit.map(|_| own),
        permissions,
        problems,
        warnings,
    }
}

/// Ten PINGs: the median and the slowest round trip.
async fn latency(store: &Store) -> Latency {
    let mut rtts = Vec::with_capacity(10);
    for _ in 0..10 {
        let t = Instant::now();
        if store.query::<Value>(&redis::cmd("PING")).await.is_ok() {
            rtts.push(t.elapsed());
        }
    }
    rtts.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    Latency {
        p50: ms(rtts.get(rtts.len() / 2)),
        max: ms(rtts.last()),
    }
}

/// `maxmemory` and the eviction policy, with what a cache should not run with.
async fn memory_policy(store: &Store, warnings: &mut Vec<String>) -> (Option<u64>, Option<String>) {
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
    (maxmemory_bytes, eviction_policy)
}

/// How the permissions are checked: `ACL DRYRUN` as a user, or by trying (the writes on the
/// doctor's own key, under a permit).
struct Checking<'a> {
    dryrun_as: Option<&'a str>,
    permit: Option<&'a Permit>,
    probe_key: &'a str,
    own: &'a str,
}

/// Whether each command cachectl has can run, and what it lacks.
async fn permissions(
    store: &Store,
    how: &Checking<'_>,
    problems: &mut Vec<String>,
) -> Vec<Permission> {
    let mut permissions = Vec::new();
    for (command, needs) in NEEDS {
        let (mut missing, mut unchecked) = (Vec::new(), Vec::new());
        for need in *needs {
            let why = match how.dryrun_as {
                Some(u) => dry_run(store, u, need, how.probe_key).await,
                None if WRITES.contains(need) => match how.permit {
                    Some(p) => probe_write(store, p, need, how.own).await,
                    None => {
                        unchecked.push(need.to_lowercase());
                        continue;
                    }
                },
                None => probe(store, need, how.probe_key).await,
            };
            if let Some(why) = why {
                missing.push(format!("{} ({why})", need.to_lowercase()));
            }
        }
        if !missing.is_empty() {
            problems.push(format!("{command} cannot run: {}", missing.join(", ")));
        }
        permissions.push(Permission {
            command,
            ok: missing.is_empty() && unchecked.is_empty(),
            missing,
            unchecked,
        });
    }
    permissions
}

/// The doctor's own key near `key`: the same namespace (and hash tag), a unique name.
fn own_key(key: &str) -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let tag: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{key}:cachectl-doctor:{tag}")
}

/// `command` with its arguments, as the doctor tries it on `key`.
fn command_on(command: &str, key: &str) -> redis::Cmd {
    let mut words = command.split(' ');
    let mut cmd = redis::cmd(words.next().unwrap_or(command));
    for w in words {
        cmd.arg(w);
    }
    match command {
        "SCAN" => cmd.arg(0).arg("COUNT").arg(1),
        "DBSIZE" => &mut cmd,
        // KEEPTTL: the probe key keeps the TTL it was made with, so a user who may not delete
        // it leaves nothing behind for long.
        "SET" => cmd.arg(key).arg("probe").arg("XX").arg("KEEPTTL"),
        "EXPIRE" | "PEXPIRE" => cmd.arg(key).arg(60_000),
        "RESTORE" => cmd.arg(key).arg(0).arg("not a payload"),
        _ => cmd.arg(key),
    };
    cmd
}

/// Whether the user may ask `ACL DRYRUN` (and the server knows it).
async fn dry_run_allowed(store: &Store, user: &str) -> bool {
    let cmd = redis::cmd("ACL")
        .arg("DRYRUN")
        .arg(user)
        .arg("PING")
        .clone();
    store.query::<Value>(&cmd).await.is_ok()
}

/// Ask the server whether `user` may run `command` on `key`; nothing is run.
async fn dry_run(store: &Store, user: &str, command: &str, key: &str) -> Option<String> {
    let tried = command_on(command, key);
    let mut cmd = redis::cmd("ACL");
    cmd.arg("DRYRUN").arg(user);
    for a in tried.args_iter() {
        if let redis::Arg::Simple(b) = a {
            cmd.arg(b);
        }
    }
    match store.query::<Value>(&cmd).await {
        Ok(Value::Okay) => None,
        Ok(Value::SimpleString(s)) if s == "OK" => None,
        Ok(other) => Some(
            redis::from_redis_value::<String>(other)
                .unwrap_or_else(|_| "refused".into())
                .to_lowercase(),
        ),
        Err(e) => Some(e.to_string()),
    }
}

/// Make the doctor's own key (it expires on its own should the removal fail).
async fn create_own(store: &Store, permit: &Permit, own: &str) {
    let cmd = redis::cmd("SET")
        .arg(own)
        .arg("cachectl doctor probe")
        .arg("NX")
        .arg("PX")
        .arg(60_000)
        .clone();
    let _ = store.write::<Value>(permit, &cmd).await;
}

async fn remove_own(store: &Store, permit: &Permit, own: &str) {
    let _ = store
        .write::<Value>(permit, redis::cmd("UNLINK").arg(own))
        .await;
}

/// Try a write on the doctor's own key; why it was refused, if it was.
async fn probe_write(store: &Store, permit: &Permit, command: &str, own: &str) -> Option<String> {
    verdict(
        store
            .write::<Value>(permit, &command_on(command, own))
            .await,
    )
}

/// Try a read on `key`; why it was refused, if it was.
async fn probe(store: &Store, command: &str, key: &str) -> Option<String> {
    let cmd = command_on(command, key);
    let reply = if matches!(command, "SCAN" | "DBSIZE") {
        store
            .on_masters(&cmd)
            .await
            .map(|mut v| v.pop().map_or(Value::Nil, |(_, v)| v))
    } else {
        store.query::<Value>(&cmd).await
    };
    verdict(reply)
}

/// A reply as a verdict on the permission: `None` when allowed.
fn verdict(reply: crate::error::Result<Value>) -> Option<String> {
    match reply {
        Ok(_) => None,
        // A payload the server rejects was allowed to be looked at: RESTORE is permitted
        // (and a key that exists is refused only after the ACL let the command through).
        Err(Error::Redis { error, .. })
            if error.to_string().contains("payload") || error.code() == Some("BUSYKEY") =>
        {
            None
        }
        Err(e) if not_allowed(&e) => Some(
            match &e {
                Error::Redis { error, .. } => error.code().unwrap_or("refused").to_string(),
                _ => "refused".into(),
            }
            .to_lowercase(),
        ),
        Err(e) => Some(e.to_string()),
    }
}
