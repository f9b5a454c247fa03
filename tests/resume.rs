//! Resumable sweeps: a sweep stopped by SIGTERM, or killed outright, and run again with the
//! same `--checkpoint` file continues where it stopped, deletes the rest and nothing twice;
//! a checkpoint of another sweep is refused with nothing changed.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{Cluster, Redis, cachectl, dbsize, json_of, load, signalled};

fn sweep_args<'a>(checkpoint: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["invalidate-pattern", "user_*", "--yes", "--checkpoint"];
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
        assert!(
            doc["scanned"].as_u64().unwrap() < total + 5000,
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
        .args(["invalidate-pattern", "post_*", "--yes", "--checkpoint"])
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
