//! `--scan-replica`: the SCANs go to a replica, the deletions to the master, which serves
//! none of the scanning; the replica is used once it holds what the master held at the start.

use crate::support;

use std::time::{Duration, Instant};

use support::{Cluster, Redis, cachectl, cli, dbsize, json_of, load};

/// How many SCANs the server at `port` has served since its stats were reset.
fn scans(port: u16) -> u64 {
    let stats = cli(port, &["INFO", "commandstats"]);
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_scan:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// `invalidate-pattern 'user_*' --scan-replica`, which must succeed; its JSON report.
fn sweep_via_replica(url: &str) -> serde_json::Value {
    let out = cachectl(url)
        .args([
            "invalidate-pattern",
            "user_*",
            "--yes",
            "--max-keys",
            "100000000",
            "--scan-replica",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

fn replica_of(primary: &Redis) -> Redis {
    let replica = Redis::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cli(replica.port, &["INFO", "replication"]).contains("master_link_status:up") {
        assert!(Instant::now() < deadline, "the replica never synced");
        std::thread::sleep(Duration::from_millis(50));
    }
    replica
}

#[test]
fn a_sweep_scans_the_replica_and_deletes_on_the_primary() {
    let primary = Redis::start();
    let replica = replica_of(&primary);
    let mut c = primary.conn();
    for round in 0..3 {
        // Written just before the sweep: the sweep waits until the replica has them all.
        load(&mut c, (0..30_000).map(|i| format!("user_{i}")), 600);
        load(&mut c, (0..5_000).map(|i| format!("other_{i}")), 600);
        cli(primary.port, &["CONFIG", "RESETSTAT"]);
        cli(replica.port, &["CONFIG", "RESETSTAT"]);
        let doc = sweep_via_replica(&primary.url());
        assert_eq!(doc["deleted"], 30_000, "round {round}: {doc}");
        assert_eq!(dbsize(&mut c), 5_000, "round {round}: only other_* is left");
        assert_eq!(
            scans(primary.port),
            0,
            "round {round}: no SCAN on the primary"
        );
        assert!(
            scans(replica.port) > 0,
            "round {round}: the replica was scanned"
        );
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    }
    // A replica behind its primary: stopped while the keys are written, and let go once the
    // sweep has started. The sweep waits until the replica holds them all before it scans.
    let pid: i32 = cli(replica.port, &["INFO", "server"])
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    for round in 0..3 {
        // SAFETY: signals to our own child server.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        load(&mut c, (0..40_000).map(|i| format!("user_{i}")), 600);
        let sweep = support::spawn(
            &primary.url(),
            &[
                "invalidate-pattern",
                "user_*",
                "--yes",
                "--max-keys",
                "100000000",
                "--scan-replica",
                "-o",
                "json",
            ],
        );
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(pid, libc::SIGCONT) };
        let out = sweep.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "lagging round {round}: {stderr}");
        assert_eq!(json_of(&out)["deleted"], 40_000, "lagging round {round}");
        assert_eq!(dbsize(&mut c), 0, "lagging round {round}: every key went");
    }
    // Read-only commands scan the replica too, and ask about each key on the primary.
    load(&mut c, (0..2_000).map(|i| format!("post_cache:{i}")), 600);
    cli(primary.port, &["CONFIG", "RESETSTAT"]);
    let out = cachectl(&primary.url())
        .args(["inspect", "--scan-replica", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["inspected"], 2_000);
    assert_eq!(scans(primary.port), 0);
}

#[test]
fn a_server_without_a_replica_is_refused_with_nothing_deleted() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..100).map(|i| format!("user_{i}")), 600);
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "user_*",
            "--yes",
            "--max-keys",
            "100000000",
            "--scan-replica",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no replica to scan"));
    assert_eq!(dbsize(&mut c), 100);
    // The exact key is not deleted either: the refusal comes before anything changes.
    cachectl(&r.url())
        .args([
            "invalidate",
            "user_1",
            "--pattern",
            "user_*",
            "--yes",
            "--max-keys",
            "100000000",
            "--scan-replica",
        ])
        .assert()
        .code(2);
    assert_eq!(dbsize(&mut c), 100);
    let file = r.dir().join("refused.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "user_*", "--scan-replica"])
        .arg(&file)
        .assert()
        .code(2);
    assert!(!file.exists(), "a refused backup leaves no file");
}

#[test]
fn a_cluster_sweep_scans_each_masters_replica() {
    let cluster = Cluster::start_with_replicas(3);
    let mut c = cluster.conn();
    let mut pipe = redis::cluster::cluster_pipe();
    for i in 0..20_000 {
        pipe.cmd("SET").arg(format!("user_{i}")).arg("v").ignore();
    }
    for i in 0..1_000 {
        pipe.cmd("SET").arg(format!("keep_{i}")).arg("v").ignore();
    }
    pipe.exec(&mut c).unwrap();
    let replicas = cluster.replicas();
    assert_eq!(replicas.len(), 3);
    for &p in &cluster.ports {
        cli(p, &["CONFIG", "RESETSTAT"]);
    }
    assert_eq!(sweep_via_replica(&cluster.url())["deleted"], 20_000);
    assert_eq!(cluster.keys_on_masters(), 1_000);
    for &p in &cluster.ports {
        if replicas.contains(&p) {
            assert!(scans(p) > 0, "replica {p} was scanned");
        } else {
            assert_eq!(scans(p), 0, "master {p} served no SCAN");
        }
    }
}
