//! Resumable sweeps: a sweep stopped by SIGTERM, or killed outright, and run again with the
//! same `--checkpoint` file continues where it stopped, deletes the rest and nothing twice;
//! a checkpoint of another sweep is refused with nothing changed.

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::{Cluster, Redis, Run, cachectl, dbsize, json_of, load, signalled};

fn sweep_args<'a>(checkpoint: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "invalidate-pattern",
        "user_*",
        "--yes",
        "--max-keys",
        "100000000",
        "--checkpoint",
    ];
    args.push(checkpoint.to_str().unwrap());
    args.extend(["-o", "json"]);
    args.extend(extra);
    args
}

#[test]
fn a_stopped_sweep_continues_from_its_checkpoint() {
    let r = Redis::start();
    let mut c = r.conn();
    let total = 20_000u64;
    let cp = r.dir().join("sweep.checkpoint");
    for (round, signal) in [libc::SIGTERM, libc::SIGKILL, libc::SIGTERM]
        .into_iter()
        .enumerate()
    {
        load(&mut c, (0..total).map(|i| format!("user_{i}")), 600);
        load(&mut c, (0..5000).map(|i| format!("other_{i}")), 600);
        let first = signalled(
            &r.url(),
            &sweep_args(&cp, &["--rate", "8000"]),
            Duration::from_millis(700 + 300 * round as u64),
            signal,
        );
        let left_after_first = total + 5000 - dbsize(&mut c);
        assert!(
            cp.exists(),
            "round {round}: the checkpoint is kept for the next run"
        );
        if signal == libc::SIGTERM {
            assert_eq!(first.status.code(), Some(143));
            assert_eq!(json_of(&first)["deleted"], left_after_first);
        }
        assert!(
            left_after_first > 0 && left_after_first < total,
            "round {round}: stopped mid-sweep ({left_after_first} deleted)"
        );

        let out = cachectl(&r.url())
            .args(sweep_args(&cp, &[]))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert!(stderr.contains("continuing the sweep"), "{stderr}");
        let doc = json_of(&out);
        // Only what was left is deleted, and the walk did not start over.
        assert_eq!(
            doc["deleted"],
            total - left_after_first,
            "round {round}: {doc}"
        );
        // What this run walked: the keyspace after the saved cursor, less than the keyspace
        // it found (which a walk started over would report whole).
        assert!(
            doc["scanned"].as_u64().unwrap() < total + 5000 - left_after_first,
            "round {round}: continued, not started over: {doc}"
        );
        assert_eq!(
            dbsize(&mut c),
            5000,
            "round {round}: every user_* key is gone"
        );
        assert!(!cp.exists(), "a finished sweep removes its checkpoint");
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    }
}

/// #23: a stopped `--backup --checkpoint` sweep, run again with the same command, continues
/// its backup too (never overwriting it, never starting another), and the one file then
/// brings back every key the two runs deleted.
#[test]
fn a_stopped_sweep_with_a_backup_continues_both() {
    let r = Redis::start();
    let mut c = r.conn();
    let total = 20_000u64;
    for (round, signal) in [libc::SIGTERM, libc::SIGKILL, libc::SIGTERM]
        .into_iter()
        .enumerate()
    {
        let cp = r.dir().join(format!("b{round}.checkpoint"));
        let file = r.dir().join(format!("b{round}.cbk"));
        load(&mut c, (0..total).map(|i| format!("user_{i}")), 600);
        load(&mut c, (0..5000).map(|i| format!("other_{i}")), 600);
        let backup = ["--backup", file.to_str().unwrap()];
        let mut first_args = sweep_args(&cp, &["--rate", "8000"]);
        first_args.extend(backup);
        let first = signalled(
            &r.url(),
            &first_args,
            Duration::from_millis(700 + 300 * round as u64),
            signal,
        );
        let deleted_first = total + 5000 - dbsize(&mut c);
        assert!(
            deleted_first > 0 && deleted_first < total,
            "round {round}: stopped mid-sweep ({deleted_first} deleted): {}",
            String::from_utf8_lossy(&first.stderr)
        );
        let out = cachectl(&r.url())
            .args(sweep_args(&cp, &backup))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert!(stderr.contains("continuing the sweep"), "{stderr}");
        assert_eq!(dbsize(&mut c), 5000, "round {round}");
        let out = cachectl(&r.url())
            .args([
                "restore",
                file.to_str().unwrap(),
                "--yes",
                "--max-keys",
                "100000",
            ])
            .args(["-o", "json"])
            .output()
            .unwrap();
        let doc = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "round {round}: {doc}");
        assert_eq!(doc["restored"], total, "round {round}: {doc}");
        assert_eq!(dbsize(&mut c), total + 5000, "round {round}");
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    }
}

#[test]
fn a_checkpoint_of_another_sweep_is_refused_and_a_refusal_leaves_none() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20_000).map(|i| format!("user_{i}")), 600);
    let cp = r.dir().join("other.checkpoint");
    let first = signalled(
        &r.url(),
        &sweep_args(&cp, &["--rate", "5000"]),
        Duration::from_millis(600),
        libc::SIGTERM,
    );
    assert_eq!(first.status.code(), Some(143));
    let left = dbsize(&mut c);
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "post_*",
            "--yes",
            "--max-keys",
            "100000000",
            "--checkpoint",
        ])
        .arg(&cp)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "belongs to `invalidate-pattern user_*`",
        ));
    assert_eq!(dbsize(&mut c), left, "refused: nothing changed");

    // Broad and off a terminal without --yes: refused before the sweep, and no file made.
    let fresh = r.dir().join("fresh.checkpoint");
    cachectl(&r.url())
        .args(["invalidate-pattern", "user_*", "--checkpoint"])
        .arg(&fresh)
        .assert()
        .code(3);
    assert!(!fresh.exists());
    assert_eq!(dbsize(&mut c), left);
}

#[test]
fn a_cluster_sweep_continues_on_every_master() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    let total = 9_000u64;
    let mut pipe = redis::cluster::cluster_pipe();
    for i in 0..total {
        pipe.cmd("SET")
            .arg(format!("rsm:user_{i}"))
            .arg("v")
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cluster.checkpoint");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "invalidate-pattern".to_string(),
            "rsm:user_*".into(),
            "--yes".into(),
            "--max-keys".into(),
            "100000000".into(),
            "--checkpoint".into(),
            cp.display().to_string(),
            "-o".into(),
            "json".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let first_args = args(&["--rate", "1500"]);
    let first = signalled(
        &cluster.url(),
        &first_args.iter().map(String::as_str).collect::<Vec<_>>(),
        Duration::from_millis(1200),
        libc::SIGTERM,
    );
    assert_eq!(first.status.code(), Some(143));
    let first_deleted = json_of(&first)["deleted"].as_u64().unwrap();
    assert!(first_deleted > 0 && first_deleted < total);
    let out = cachectl(&cluster.url()).args(args(&[])).output().unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["deleted"], total - first_deleted);
    assert_eq!(
        cluster.count_per_node("rsm:user_*").iter().sum::<usize>(),
        0
    );
}

/// The figures of a report that a stopped and resumed run must give exactly as one whole run
/// does: per family, its keys, TTL split and memory.
fn families(doc: &serde_json::Value) -> Vec<(String, u64, u64, u64)> {
    let mut rows: Vec<_> = doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["family"].as_str().unwrap().to_string(),
                f["keys"].as_u64().unwrap(),
                f["without_ttl"].as_u64().unwrap(),
                f["memory_bytes"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// A keyspace of three families, some keys without TTL.
fn families_keyspace(c: &mut redis::Connection) -> u64 {
    load(c, (0..12_000).map(|i| format!("user_{i}_posts")), 600);
    load(c, (0..6_000).map(|i| format!("post_cache:{i}")), 1200);
    let mut pipe = redis::pipe();
    for i in 0..2_000 {
        pipe.cmd("SET")
            .arg(format!("country:{i}"))
            .arg("v")
            .ignore();
    }
    pipe.exec(c).unwrap();
    20_000
}

/// A run stopped (by `signal`, after `after`) and run again with its checkpoint: the second
/// run reports what one whole run reports, and removes the file. SCAN COUNT 2 keeps the two
/// chains of a standalone walk (so the resumed even chain must not count the odd buckets its
/// last SCAN reads) and makes the walk long enough to stop in the middle.
fn stopped_and_resumed(
    r: &Redis,
    command: &[&str],
    whole: &serde_json::Value,
    stopped_code: i32,
    field: &str,
) {
    let cp = r.dir().join(format!("{}.checkpoint", command[0]));
    let with_cp = |extra: &[&str]| {
        let mut a: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        a.extend(["--checkpoint".into(), cp.display().to_string()]);
        a.extend(["-o".into(), "json".into(), "--count".into(), "2".into()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    for (round, signal) in [libc::SIGTERM, libc::SIGKILL, libc::SIGTERM]
        .into_iter()
        .enumerate()
    {
        // Paced, so that the signal lands mid-walk however fast or loaded the machine is.
        let args = with_cp(&["--rate", "8000"]);
        let first = signalled(
            &r.url(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            Duration::from_millis(400 + 250 * round as u64),
            signal,
        );
        assert!(cp.exists(), "round {round}: the checkpoint is kept");
        if signal == libc::SIGTERM {
            assert_eq!(first.status.code(), Some(stopped_code));
            let partial = json_of(&first)[field].as_u64().unwrap();
            assert!(
                partial > 0 && partial < whole[field].as_u64().unwrap(),
                "round {round}: stopped mid-walk ({partial})"
            );
        }
        let out = cachectl(&r.url()).args(with_cp(&[])).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == whole["code"].as_i64().map(|c| c as i32),
            "round {round}: {stderr}"
        );
        assert!(stderr.contains("continuing the"), "{stderr}");
        let doc = json_of(&out);
        assert_eq!(doc[field], whole[field], "round {round}: {doc}");
        assert_eq!(families(&doc), families(whole), "round {round}");
        let found = |d: &serde_json::Value| -> Vec<(String, u64)> {
            d["violations"].as_array().map_or(Vec::new(), |v| {
                v.iter()
                    .map(|v| (v["kind"].to_string(), v["keys"].as_u64().unwrap()))
                    .collect()
            })
        };
        assert_eq!(found(&doc), found(whole), "round {round}");
        assert_eq!(doc["complete"], true);
        assert!(!cp.exists(), "round {round}: a finished run removes it");
    }
}

#[test]
fn a_stopped_inspection_continues_and_reports_the_whole_keyspace() {
    let r = Redis::start();
    let mut c = r.conn();
    let total = families_keyspace(&mut c);
    let mut whole = cachectl(&r.url())
        .args(["inspect", "-o", "json", "--top", "100"])
        .json();
    assert_eq!(whole["inspected"], total);
    whole["code"] = 0.into();
    stopped_and_resumed(&r, &["inspect", "--top", "100"], &whole, 143, "inspected");
}

#[test]
fn a_stopped_audit_continues_and_finds_the_same_violations() {
    let r = Redis::start();
    let mut c = r.conn();
    let total = families_keyspace(&mut c);
    let policy = r.dir().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - family: \"country:{n}\"\n    require_ttl: true\n  - match: \"post_cache:*\"\n    max_cluster: 100\n",
    )
    .unwrap();
    let policy = policy.display().to_string();
    let mut whole = cachectl(&r.url())
        .args(["ttl-audit", "-o", "json", "--policy", &policy])
        .json_exiting(4);
    assert_eq!(whole["audited"], total);
    whole["code"] = 4.into();
    let command = ["ttl-audit", "--policy", &policy];
    stopped_and_resumed(&r, &command, &whole, 143, "audited");

    // The figures of one policy do not add up with another's: refused, the file kept.
    let cp = r.dir().join("ttl-audit.checkpoint");
    let first = signalled(
        &r.url(),
        &[
            "ttl-audit",
            "--policy",
            &policy,
            "--count",
            "2",
            "--checkpoint",
            cp.to_str().unwrap(),
        ],
        Duration::from_millis(400),
        libc::SIGTERM,
    );
    assert_eq!(first.status.code(), Some(143));
    cachectl(&r.url())
        .args([
            "ttl-audit",
            "--window",
            "5s",
            "--policy",
            &policy,
            "--checkpoint",
        ])
        .arg(&cp)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("taken with other options"));
    assert!(cp.exists());
}

#[test]
fn a_stopped_cluster_inspection_keeps_the_figures_of_masters_it_finished() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    let mut pipe = redis::cluster::cluster_pipe();
    // Most keys in one slot, so one master's walk outlasts the others'.
    for i in 0..8_000 {
        pipe.cmd("SET")
            .arg(format!("rsi:{{t}}:user_{i}"))
            .arg("v")
            .ignore();
    }
    for i in 0..900 {
        pipe.cmd("SET")
            .arg(format!("rsi:post:{i}"))
            .arg("v")
            .arg("EX")
            .arg(600)
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("inspect.checkpoint");
    let args = |checkpoint: bool| {
        let mut a = vec![
            "inspect",
            "--pattern",
            "rsi:*",
            "-o",
            "json",
            "--count",
            "2",
        ];
        if checkpoint {
            a.extend(["--checkpoint", cp.to_str().unwrap()]);
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let whole = cachectl(&cluster.url()).args(args(false)).json();
    assert_eq!(whole["inspected"], 8_900);
    // Slowed down (3,000 keys a second per master) so that the stop lands mid-walk on any
    // server.
    let mut first_args = args(true);
    first_args.extend(["--rate".to_string(), "3000".to_string()]);
    // Stopped once the checkpoint says two masters are done (not after a fixed time, which a
    // loaded machine spent starting up).
    let two_done = || {
        std::fs::read(&cp)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                v["cursors"]
                    .as_array()
                    .map(|c| c.iter().filter(|c| c["finished"] == true).count() >= 2)
            })
            .unwrap_or(false)
    };
    let first = support::signalled_when(
        &cluster.url(),
        &first_args.iter().map(String::as_str).collect::<Vec<_>>(),
        two_done,
        libc::SIGTERM,
    );
    assert_eq!(first.status.code(), Some(143));
    let partial = json_of(&first)["inspected"].as_u64().unwrap();
    assert!((900..8_900).contains(&partial), "{partial}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&cp).unwrap()).unwrap();
    let finished = saved["cursors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["finished"] == true)
        .count();
    assert_eq!(
        finished, 2,
        "two masters were done before the stop: {saved}"
    );
    let doc = cachectl(&cluster.url()).args(args(true)).json();
    assert_eq!(doc["inspected"], 8_900, "{doc}");
    assert_eq!(families(&doc), families(&whole));
    assert!(!cp.exists());
}
