//! Redis Sentinel: a `redis+sentinel://` URL finds the primary through the sentinels, and a
//! `SENTINEL FAILOVER` in the middle of a sweep ends with the new primary swept, under the
//! same rule as every fault: exit 0 means nothing matching is left.

use crate::support;

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use support::{Sentinel, cachectl, json_of};

fn dbsize(port: u16) -> u64 {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "DBSIZE"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn commands_reach_the_primary_through_the_sentinels() {
    let s = Sentinel::start();
    cachectl(&s.url())
        .args(["set", "sk", "v", "--ttl", "60"])
        .assert()
        .success();
    assert_eq!(dbsize(s.primary_port()), 1);
    cachectl(&s.url())
        .args(["get", "sk"])
        .assert()
        .success()
        .stdout(predicates::str::contains("v"));
    let wrong = s.url().replace("mymaster", "nomaster");
    cachectl(&wrong)
        .args(["get", "sk"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "monitors no master named `nomaster`",
        ));
}

#[test]
fn a_failover_mid_sweep_ends_with_nothing_left() {
    let s = Sentinel::start();
    for round in 0..2u64 {
        s.wait_ready();
        let primary = s.primary_port();
        let mut c = redis::Client::open(format!("redis://127.0.0.1:{primary}"))
            .unwrap()
            .get_connection()
            .unwrap();
        support::load(&mut c, (0..20_000).map(|i| format!("slow:{i}")), 600);
        // The replica has every key before the sweep starts.
        redis::cmd("WAIT").arg(1).arg(5000).exec(&mut c).unwrap();
        let child = Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
            .args([
                "invalidate-pattern",
                "slow:*",
                "--yes",
                "--max-keys",
                "100000000",
                "--rate",
                "4000",
            ])
            .args(["--retries", "10", "--timeout", "2s", "-o", "json", "-v"])
            .env_remove("REDIS_URL")
            .env("CACHECTL_URL", s.url())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(1200 + 400 * round));
        let promoted = s.failover();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let doc = json_of(&out);
        let left = dbsize(promoted);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert_eq!(left, 0, "exit 0 with {left} keys left: {doc}\n{stderr}");
        assert_eq!(doc["complete"], true);
        // The promoted primary was walked from the start: by a chain that met it on a
        // reconnect, or by another pass after the walk of the old one.
        assert!(
            stderr.contains("another server process answers"),
            "the promoted primary is walked from the start: {stderr}"
        );
    }
}

/// `rediss+sentinel://`: the sentinels and the data nodes all speak only TLS, under one CA;
/// the primary is found, written to, and found again after a failover.
#[test]
fn sentinels_and_data_nodes_over_tls() {
    let s = Sentinel::start_with(true, None);
    let ca = s.ca.clone().unwrap();
    let run = |args: &[&str]| {
        cachectl(&s.url())
            .args(args)
            .arg("--tls-ca")
            .arg(&ca)
            .timeout(Duration::from_secs(30))
            .assert()
    };
    run(&["set", "tk:1", "v", "--ttl", "60"]).success();
    run(&["set", "tk:2", "v", "--ttl", "60"]).success();
    assert_eq!(s.primary_keys(), 2);
    s.wait_ready();
    s.failover();
    run(&[
        "invalidate-pattern",
        "tk:*",
        "--yes",
        "--max-keys",
        "100000000",
    ])
    .success();
    assert_eq!(s.primary_keys(), 0, "swept on the promoted primary");
    // Without the CA the sentinels' certificate is not trusted: a clear failure.
    cachectl(&s.url())
        .args(["get", "tk:1"])
        .timeout(Duration::from_secs(30))
        .assert()
        .failure();
}

/// Sentinels that want a password get it from `--sentinel-password-env`, with
/// `--sentinel-user`; without it they refuse, and the error says so.
#[test]
fn sentinels_with_a_password() {
    let s = Sentinel::start_with(false, Some("sentinel-secret"));
    cachectl(&s.url())
        .args(["set", "pk", "v", "--ttl", "60"])
        .env("SENTINEL_PW", "sentinel-secret")
        .args([
            "--sentinel-user",
            "default",
            "--sentinel-password-env",
            "SENTINEL_PW",
        ])
        .assert()
        .success();
    assert_eq!(s.primary_keys(), 1);
    cachectl(&s.url())
        .args(["get", "pk"])
        .env("SENTINEL_PW", "sentinel-secret")
        .args(["--sentinel-password-env", "SENTINEL_PW"])
        .assert()
        .success();
    cachectl(&s.url())
        .args(["get", "pk"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "wants a password: give it with --sentinel-password-env",
        ));
    cachectl(&s.url())
        .args(["get", "pk"])
        .env("SENTINEL_PW", "wrong")
        .args(["--sentinel-password-env", "SENTINEL_PW"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("refused the user or password"));
    // An ACL user of the sentinels' own, by name.
    s.acl_user("ops", "ops-secret");
    cachectl(&s.url())
        .args(["get", "pk"])
        .env("OPS_PW", "ops-secret")
        .args([
            "--sentinel-user",
            "ops",
            "--sentinel-password-env",
            "OPS_PW",
        ])
        .assert()
        .success();
    cachectl(&s.url())
        .args(["get", "pk"])
        .env("OPS_PW", "sentinel-secret")
        .args([
            "--sentinel-user",
            "ops",
            "--sentinel-password-env",
            "OPS_PW",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("refused the user or password"));
}
