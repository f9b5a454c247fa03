//! `cachectl watch`: keyspace notifications counted per family and interval, the hit ratio,
//! and a notification setting that is put back as it was.

use crate::support;

use std::thread;
use std::time::Duration;

use support::{Redis, cachectl, cli};

/// Wait until the watch has turned notifications on at every one of `ports`, and a moment
/// more for its subscriptions.
fn wait_for_events(ports: &[u16]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !ports.iter().all(|p| notify(*p).contains('E')) {
        assert!(
            std::time::Instant::now() < deadline,
            "notifications never turned on"
        );
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_millis(300));
}

fn notify(port: u16) -> String {
    cli(port, &["CONFIG", "GET", "notify-keyspace-events"])
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn churn_per_family_and_the_hit_ratio() {
    let r = Redis::start();
    let before = notify(r.port);
    let child = support::spawn(
        &r.url(),
        &[
            "watch",
            "w:*",
            "--interval",
            "300ms",
            "--duration",
            "3s",
            "--enable-events",
            "-o",
            "json",
        ],
    );
    // Wait until the watch has turned notifications on, then make churn it can see.
    wait_for_events(&[r.port]);
    let mut c = r.conn();
    for i in 0..40 {
        redis::cmd("SET")
            .arg(format!("w:post:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    for i in 0..10 {
        redis::cmd("DEL")
            .arg(format!("w:post:{i}"))
            .exec(&mut c)
            .unwrap();
    }
    for i in 0..5 {
        redis::cmd("SET")
            .arg(format!("w:session:{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .exec(&mut c)
            .unwrap();
    }
    // Not watched: another pattern.
    redis::cmd("SET")
        .arg("other:1")
        .arg("v")
        .exec(&mut c)
        .unwrap();
    for i in 0..30 {
        let _: Option<String> = redis::cmd("GET")
            .arg(format!("w:post:{i}"))
            .query(&mut c)
            .unwrap();
    }
    thread::sleep(Duration::from_millis(400));
    // Read them after they expired, so expiry is noticed whatever the active cycle did.
    for i in 0..5 {
        let _: Option<String> = redis::cmd("GET")
            .arg(format!("w:session:{i}"))
            .query(&mut c)
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("put back as they were"), "{stderr}");
    assert_eq!(notify(r.port), before, "the setting is as it was");
    let ticks: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(ticks.len() >= 8, "one line per interval: {}", ticks.len());
    let sum = |family: &str, field: &str| -> u64 {
        ticks
            .iter()
            .flat_map(|t| t["families"].as_array().unwrap().iter())
            .filter(|f| f["family"] == family)
            .map(|f| f[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("w:post:{n}", "set"), 40);
    assert_eq!(sum("w:post:{n}", "del"), 10);
    assert_eq!(sum("w:session:{n}", "set"), 5);
    assert_eq!(sum("w:session:{n}", "expired"), 5);
    assert!(
        ticks
            .iter()
            .flat_map(|t| t["families"].as_array().unwrap().iter())
            .all(|f| f["family"] != "other:{n}"),
        "only the pattern's keys"
    );
    let hits: u64 = ticks.iter().map(|t| t["hits"].as_u64().unwrap()).sum();
    let misses: u64 = ticks.iter().map(|t| t["misses"].as_u64().unwrap()).sum();
    assert_eq!(hits, 20, "GETs of keys that exist");
    assert_eq!(misses, 10 + 5, "GETs of deleted and expired keys");
}

#[test]
fn notifications_off_is_a_clear_refusal_that_changes_nothing() {
    let r = Redis::start();
    cachectl(&r.url())
        .args(["watch", "--duration", "1s"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--enable-events"))
        .stderr(predicates::str::contains(
            "CONFIG SET notify-keyspace-events EA",
        ));
    assert_eq!(notify(r.port), "");
    // Already on: nothing to turn on, nothing to put back.
    cli(r.port, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    cachectl(&r.url())
        .args(["watch", "--duration", "1s", "--interval", "200ms"])
        .assert()
        .success();
    assert!(notify(r.port).contains('A'));
}

#[test]
fn ctrl_c_puts_the_setting_back() {
    let r = Redis::start();
    cli(r.port, &["CONFIG", "SET", "notify-keyspace-events", "Kx"]);
    let out = support::signalled(
        &r.url(),
        &[
            "watch",
            "--enable-events",
            "--interval",
            "200ms",
            "-o",
            "json",
        ],
        Duration::from_millis(1200),
        libc::SIGINT,
    );
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(
        notify(r.port),
        "xK",
        "the old classes, as the server spells them"
    );
}

/// Notifications are each node's own: a cluster is watched on every master.
#[test]
fn every_master_of_a_cluster() {
    let cluster = support::Cluster::shared();
    let child = support::spawn(
        &cluster.url(),
        &[
            "watch",
            "wc:*",
            "--interval",
            "300ms",
            "--duration",
            "3s",
            "--enable-events",
            "-o",
            "json",
        ],
    );
    wait_for_events(&cluster.ports);
    let mut c = cluster.conn();
    for i in 0..90 {
        redis::cmd("SET")
            .arg(format!("wc:k:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sets: u64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .flat_map(|t| t["families"].as_array().unwrap().clone())
        .filter(|f| f["family"] == "wc:k:{n}")
        .map(|f| f["set"].as_u64().unwrap())
        .sum();
    assert_eq!(sets, 90, "every master's writes");
    for p in &cluster.ports {
        let setting = notify(*p);
        assert!(!setting.contains('E'), "{p}: put back ({setting})");
    }
}

/// Writes of `n` keys `prefix{i}`, one command each.
fn write(r: &Redis, prefix: &str, n: usize) {
    let mut c = r.conn();
    for i in 0..n {
        redis::cmd("SET")
            .arg(format!("{prefix}{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
}

/// A subscription that drops (its connection killed, or the server restarted and its setting
/// lost) is opened again, the setting made again; the interval says events were missed, and
/// the events after it are counted.
#[test]
fn a_dropped_subscription_is_opened_again() {
    let mut r = Redis::start();
    let child = support::spawn(
        &r.url(),
        &[
            "watch",
            "r:*",
            "--interval",
            "250ms",
            "--duration",
            "5s",
            "--enable-events",
            "-o",
            "json",
        ],
    );
    wait_for_events(&[r.port]);
    cli(r.port, &["CLIENT", "KILL", "TYPE", "pubsub"]);
    thread::sleep(Duration::from_millis(500));
    write(&r, "r:a:", 30);
    cli(r.port, &["SHUTDOWN", "NOSAVE"]);
    r.restart(&[]);
    // The watch turns notifications on again on the new process.
    wait_for_events(&[r.port]);
    write(&r, "r:b:", 20);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let ticks: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sets = |family: &str| -> u64 {
        ticks
            .iter()
            .flat_map(|t| t["families"].as_array().unwrap().iter())
            .filter(|f| f["family"] == family)
            .map(|f| f["set"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        sets("r:a:{n}"),
        30,
        "after the killed connection: {ticks:?}"
    );
    assert_eq!(sets("r:b:{n}"), 20, "after the restart: {ticks:?}");
    let missed = ticks
        .iter()
        .filter(|t| t.get("missed_on").is_some())
        .count();
    assert!(missed >= 2, "both drops are reported: {ticks:?}");
    assert_eq!(
        notify(r.port),
        "",
        "the restarted server's setting is put back"
    );
}
