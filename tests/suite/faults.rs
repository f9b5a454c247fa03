//! Faults end with the truth. Faults are injected for real into servers the tests start
//! (CLIENT KILL, CLIENT PAUSE, DEBUG SLEEP, SHUTDOWN) while a sweep runs, and the rule is
//! checked: exit 0 means nothing matching is left; any other exit prints the report, with
//! `deleted` (plus `unconfirmed`, the keys of a batch whose reply was lost) equal to what
//! really went. Timing-dependent cases run several times.

use crate::support;

use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use support::{Redis, cachectl, dbsize, json_of, load};

fn start_sweep(url: &str, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
        .args(args)
        .env_remove("REDIS_URL")
        .env("CACHECTL_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cachectl")
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The fault about to be injected lands mid-sweep: some of the `total` keys are gone, not all
/// (asked with redis-cli, whose connection a CLIENT KILL does not leave behind). A fault
/// before the first batch or after the last would test nothing.
fn mid_sweep(port: u16, total: u64) {
    let left: u64 = cli(port, &["DBSIZE"]).trim().parse().unwrap_or(0);
    assert!(
        left > 0 && left < total,
        "the fault must land mid-sweep: {left} of {total} keys left"
    );
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("wait for cachectl")
}

/// The sweep of `keys` slow:* keys, paced so that a fault lands mid-run.
const SWEEP: [&str; 10] = [
    "invalidate-pattern",
    "slow:*",
    "--yes",
    "--max-keys",
    "100000000",
    "--rate",
    "4000",
    "-o",
    "json",
    "-v",
];

fn check_the_rule(out: &Output, c: &mut redis::Connection, total: u64) -> serde_json::Value {
    let doc = json_of(out);
    let left = dbsize(c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let deleted = doc["deleted"].as_u64().unwrap();
    let unconfirmed = doc["unconfirmed"].as_u64().unwrap();
    if out.status.success() {
        assert_eq!(left, 0, "exit 0 with {left} keys left: {doc}\n{stderr}");
        assert_eq!(doc["complete"], true);
    }
    assert_eq!(
        deleted + unconfirmed,
        total - left,
        "the report must account for every key that went: {doc}\n{stderr}"
    );
    doc
}

#[test]
fn dropped_connections_are_retried_and_the_sweep_finishes() {
    let r = Redis::start();
    for round in 0..3 {
        load(&mut r.conn(), (0..6000).map(|i| format!("slow:{i}")), 600);
        let child = start_sweep(&r.url(), &SWEEP);
        thread::sleep(Duration::from_millis(400 + round * 150));
        mid_sweep(r.port, 6000);
        cli(r.port, &["CLIENT", "KILL", "TYPE", "normal"]);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert!(
            stderr.contains("retrying:"),
            "each retry is said under -v: {stderr}"
        );
        // The kill took the test's own connection too.
        check_the_rule(&out, &mut r.conn(), 6000);
    }
}

#[test]
fn a_paused_or_sleeping_server_past_the_timeout_is_waited_out() {
    let r = Redis::start_with(&["--enable-debug-command", "yes"]);
    let mut c = r.conn();
    for fault in [
        vec!["CLIENT", "PAUSE", "3000", "WRITE"],
        vec!["DEBUG", "SLEEP", "3"],
    ] {
        load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
        let mut args = SWEEP.to_vec();
        args.extend(["--timeout", "1s"]);
        let child = start_sweep(&r.url(), &args);
        thread::sleep(Duration::from_millis(400));
        mid_sweep(r.port, 6000);
        let port = r.port;
        let f = fault.clone();
        let injector =
            thread::spawn(move || cli(port, &f.iter().map(|s| &**s).collect::<Vec<_>>()));
        let out = finish(child);
        injector.join().unwrap();
        assert!(
            out.status.success(),
            "{fault:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check_the_rule(&out, &mut c, 6000);
    }
}

/// Run `child` while a script holds the server past the busy threshold for 0.7 s, starting
/// `after` in: the server answers BUSY to every command of a pipeline meanwhile.
fn busy_during(port: u16, child: Child, after: Duration) -> Output {
    thread::sleep(after);
    let script = thread::spawn(move || {
        cli(
            port,
            &["EVAL", "local i = 0 while true do i = i + 1 end", "0"],
        )
    });
    thread::sleep(Duration::from_millis(700));
    // SCRIPT KILL is answered while the script runs; retry until it took.
    while !cli(port, &["SCRIPT", "KILL"]).starts_with("OK") {
        thread::sleep(Duration::from_millis(50));
    }
    script.join().unwrap();
    finish(child)
}

/// A script that runs past the busy threshold makes the server answer BUSY to every command
/// of a pipeline, the batch's UNLINK among them: a refusal inside a batch's replies, not a
/// lost connection. The refused keys are sent again once the script is killed, and the
/// sweep ends complete and exact.
#[test]
fn a_busy_server_refusing_a_batch_is_asked_again() {
    let r = Redis::start_with(&["--busy-reply-threshold", "50"]);
    let mut c = r.conn();
    for round in 0..3u64 {
        load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
        let child = start_sweep(&r.url(), &SWEEP);
        let out = busy_during(r.port, child, Duration::from_millis(300 + round * 200));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        if std::env::var_os("SHOW_STDERR").is_some() {
            eprintln!("{stderr}");
        }
        let doc = check_the_rule(&out, &mut c, 6000);
        assert_eq!(doc["deleted"], 6000, "round {round}: {doc}\n{stderr}");
    }
}

/// inspect and ttl-audit's fixes meet the same refusals inside a batch and end exact: every
/// key counted once, every missing TTL set.
#[test]
fn inspect_and_ttl_fixes_ask_a_busy_server_again() {
    let r = Redis::start_with(&["--busy-reply-threshold", "50"]);
    let mut c = r.conn();
    for round in 0..2u64 {
        load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
        let args = [
            "inspect",
            "--pattern",
            "slow:*",
            "--rate",
            "4000",
            "-o",
            "json",
        ];
        let out = busy_during(
            r.port,
            start_sweep(&r.url(), &args),
            Duration::from_millis(300 + round * 200),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert_eq!(json_of(&out)["total"]["keys"], 6000, "{stderr}");

        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
        let mut pipe = redis::pipe();
        for i in 0..6000 {
            pipe.cmd("SET").arg(format!("nottl:{i}")).arg("v").ignore();
        }
        pipe.exec(&mut c).unwrap();
        let policy = r.dir().join("policy.yaml");
        std::fs::write(
            &policy,
            "rules:\n  - match: \"nottl:*\"\n    require_ttl: true\n",
        )
        .unwrap();
        let args = [
            "ttl-audit",
            "--pattern",
            "nottl:*",
            "--policy",
            policy.to_str().unwrap(),
            "--fix-missing-ttl",
            "1h",
            "--yes",
            "--max-keys",
            "100000000",
            "--rate",
            "4000",
            "-o",
            "json",
        ];
        let out = busy_during(
            r.port,
            start_sweep(&r.url(), &args),
            Duration::from_millis(300 + round * 200),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let doc = json_of(&out);
        assert_eq!(doc["remediation"]["ttl_set"], 6000, "{doc}\n{stderr}");
        let persistent: i64 = redis::cmd("EVAL")
            .arg(
                "local n = 0 for _, k in ipairs(redis.call('KEYS', 'nottl:*')) do \
                 if redis.call('TTL', k) == -1 then n = n + 1 end end return n",
            )
            .arg(0)
            .query(&mut c)
            .unwrap();
        assert_eq!(persistent, 0, "{stderr}");
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    }
}

#[test]
fn a_server_that_goes_away_ends_with_the_report_and_exit_1() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
    let mut args = SWEEP.to_vec();
    args.extend(["--retries", "2", "--timeout", "1s"]);
    let child = start_sweep(&r.url(), &args);
    thread::sleep(Duration::from_millis(500));
    mid_sweep(r.port, 6000);
    let before_shutdown = 6000 - dbsize(&mut c);
    cli(r.port, &["SHUTDOWN", "NOSAVE"]);
    let out = finish(child);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["complete"], false);
    assert!(
        doc["error"]["node"]
            .as_str()
            .unwrap()
            .contains(&r.port.to_string()),
        "{doc}"
    );
    let deleted = doc["deleted"].as_u64().unwrap();
    assert!(
        deleted >= before_shutdown.saturating_sub(200),
        "{deleted} < {before_shutdown}"
    );
}

#[test]
fn with_two_patterns_a_fault_in_the_second_keeps_the_first_report() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3000).map(|i| format!("first:{i}")), 600);
    load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
    let args = [
        "invalidate-pattern",
        "first:*",
        "slow:*",
        "--yes",
        "--max-keys",
        "100000000",
        "--rate",
        "4000",
        "--retries",
        "1",
        "--timeout",
        "1s",
        "-o",
        "json",
    ];
    let child = start_sweep(&r.url(), &args);
    // The first pattern takes about 0.75 s at 4,000 keys a second.
    thread::sleep(Duration::from_millis(1400));
    cli(r.port, &["SHUTDOWN", "NOSAVE"]);
    let out = finish(child);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    let reports = doc["patterns"].as_array().expect("one report per pattern");
    assert_eq!(doc["complete"], false, "the whole is not complete");
    assert_eq!(reports[0]["pattern"], "first:*");
    assert_eq!(reports[0]["deleted"], 3000);
    assert_eq!(reports[0]["complete"], true);
    assert_eq!(reports[1]["complete"], false);
    assert!(reports[1]["error"].is_object());
}

/// Fill the cluster with `total` fo:* keys across all slots.
fn fill(cluster: &support::Cluster, total: u64) {
    let mut c = cluster.conn();
    let mut pipe = redis::cluster::cluster_pipe();
    for i in 0..total {
        pipe.cmd("SET").arg(format!("fo:{i}")).arg("v").ignore();
    }
    pipe.exec(&mut c).unwrap();
}

/// Sweep fo:* while `fault` runs, then check the rule: exit 0 means nothing is left on any
/// master; every key that went is counted as deleted or unconfirmed, and `deleted` (counted
/// from UNLINK's replies) never claims more than went. The two need not add up exactly: a key
/// in transit between nodes during a migration can look gone to the EXISTS that sorts a lost
/// batch into `unconfirmed`, and then be deleted, and counted, by the next pass.
fn sweep_through(cluster: &support::Cluster, total: u64, after: Duration, fault: impl FnOnce()) {
    let args = [
        "invalidate-pattern",
        "fo:*",
        "--yes",
        "--max-keys",
        "100000000",
        "--rate",
        "4000",
        "-o",
        "json",
        "-v",
    ];
    let child = start_sweep(&cluster.url(), &args);
    thread::sleep(after);
    fault();
    let out = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc = json_of(&out);
    thread::sleep(Duration::from_millis(300));
    let left = cluster.keys_on_masters();
    eprintln!(
        "passes {} scanned {} deleted {} unconfirmed {} rescanned {} exit {:?}",
        doc["passes"],
        doc["scanned"],
        doc["deleted"],
        doc["unconfirmed"],
        doc["rescanned"],
        out.status.code()
    );
    if std::env::var_os("SHOW_STDERR").is_some() {
        eprintln!("{stderr}");
    }
    // A later pass walks only the masters where keys can have moved in: never all of them
    // for one failover or one migration between two masters.
    if doc["passes"].as_u64() > Some(1) {
        let again = doc["rescanned"].as_array().map_or(0, Vec::len);
        assert!(
            (1..3).contains(&again),
            "rescanned {again}: {doc}\n{stderr}"
        );
    }
    if out.status.success() {
        assert_eq!(left, 0, "exit 0 with {left} keys left: {doc}\n{stderr}");
    }
    let (deleted, unconfirmed) = (
        doc["deleted"].as_u64().unwrap(),
        doc["unconfirmed"].as_u64().unwrap(),
    );
    let went = total - left;
    assert!(
        deleted <= went && went <= deleted + unconfirmed,
        "deleted {deleted}, unconfirmed {unconfirmed}, went {went}: {doc}\n{stderr}"
    );
    assert!(out.status.success(), "{stderr}");
}

/// A replica promoted with CLUSTER FAILOVER, and 2,000 slots resharded with `redis-cli
/// --cluster reshard`, during sweeps: a cursor belongs to one node's table, so a pass under a
/// changed slot map is not trusted, and the sweep walks again until a pass runs under an
/// unchanged map. Exit 0 must mean nothing is left. (One cluster for both, in turn: two
/// six-node clusters at once are too much for a two-core machine.)
#[test]
fn cluster_failovers_and_reshards_mid_sweep_still_end_with_nothing_left() {
    let cluster = support::Cluster::start_with_replicas(3);
    let total = 30_000u64;
    for round in 0..3u64 {
        cluster.wait_ok();
        fill(&cluster, total);
        // Let each replica catch up with its master before one is promoted.
        thread::sleep(Duration::from_millis(500));
        sweep_through(
            &cluster,
            total,
            Duration::from_millis(700 + round * 300),
            || {
                // A replica never promoted before: a just-demoted master's own failover
                // waits on its old replication stream and may not happen in time.
                let replica = *cluster.replicas().last().expect("a replica");
                cli(replica, &["CLUSTER", "FAILOVER"]);
            },
        );
    }
    for _ in 0..2 {
        cluster.wait_ok();
        fill(&cluster, total);
        let masters: Vec<u16> = cluster
            .ports
            .iter()
            .copied()
            .filter(|p| !cluster.replicas().contains(p))
            .collect();
        let id = |p: u16| cli(p, &["CLUSTER", "MYID"]).trim().to_string();
        let (from, to) = (id(masters[0]), id(masters[1]));
        let seed = format!("127.0.0.1:{}", masters[0]);
        sweep_through(&cluster, total, Duration::from_millis(500), || {
            let out = Command::new("redis-cli")
                .args(["--cluster", "reshard", &seed])
                .args(["--cluster-from", &from, "--cluster-to", &to])
                .args(["--cluster-slots", "2000", "--cluster-yes"])
                .output()
                .expect("redis-cli --cluster reshard");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        });
    }
}

/// A sweep slow enough for a restart to land in it, patient enough (8 retries) to outlast one.
const THROUGH_A_RESTART: [&str; 14] = [
    "invalidate-pattern",
    "slow:*",
    "--yes",
    "--max-keys",
    "100000000",
    "--rate",
    "5000",
    "--retries",
    "8",
    "--timeout",
    "1s",
    "-o",
    "json",
    "-v",
];

/// The server restarts mid-sweep with the keys it had left (SHUTDOWN SAVE, then a new process
/// on the same port loading them): the old cursor means nothing to the new process, so the
/// sweep walks again from the start, and exit 0 means nothing is left.
#[test]
fn a_restarted_server_is_swept_again_from_the_start() {
    let mut r = Redis::start();
    let total = 20_000u64;
    load(&mut r.conn(), (0..total).map(|i| format!("slow:{i}")), 600);
    let child = start_sweep(&r.url(), &THROUGH_A_RESTART);
    thread::sleep(Duration::from_millis(1500));
    mid_sweep(r.port, total);
    cli(r.port, &["SHUTDOWN", "SAVE"]);
    r.restart(&[]);
    let out = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("another server process answers now"),
        "{stderr}"
    );
    let doc = check_the_rule(&out, &mut r.conn(), total);
    assert_eq!(doc["complete"], true);
    // Keys matched before the restart and matched again after it count once.
    assert_eq!(doc["matched"], total, "{doc}");
}

/// #21: a sweep resumed from a checkpoint, whose server then restarts with the keys it had
/// left: the new process has never seen the checkpoint's cursor (its hash table is laid out
/// anew), so the walk starts again from the very start, not from the checkpoint, and exit 0
/// means nothing is left. Before, the keys in buckets before the saved cursor were missed.
#[test]
fn a_resumed_sweep_through_a_restart_walks_from_the_very_start() {
    for round in 0..2 {
        let mut r = Redis::start();
        let total = 40_000u64;
        load(&mut r.conn(), (0..total).map(|i| format!("slow:{i}")), 600);
        let cp = r.dir().join("sweep.checkpoint");
        let mut args: Vec<&str> = THROUGH_A_RESTART.to_vec();
        args.extend(["--checkpoint", cp.to_str().unwrap()]);
        let first = support::signalled(&r.url(), &args, Duration::from_millis(1500), libc::SIGTERM);
        assert!(!first.status.success(), "round {round}: stopped");
        assert!(cp.exists(), "round {round}: a checkpoint to continue from");
        let left_before = dbsize(&mut r.conn());
        let child = start_sweep(&r.url(), &args);
        thread::sleep(Duration::from_millis(1500));
        mid_sweep(r.port, left_before);
        cli(r.port, &["SHUTDOWN", "SAVE"]);
        r.restart(&[]);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("continuing the sweep"),
            "round {round}: {stderr}"
        );
        assert!(
            stderr.contains("another server process answers now"),
            "round {round}: the restart landed mid-run: {stderr}"
        );
        assert!(out.status.success(), "round {round}: {stderr}");
        assert_eq!(
            dbsize(&mut r.conn()),
            0,
            "round {round}: exit 0 and nothing left of {left_before}"
        );
    }
}

/// Shut down and restarted empty (no persistence): the reconnect finds a new process with
/// nothing to delete. The keys are gone, so the job is done; the report still counts what
/// was deleted before the shutdown.
#[test]
fn a_server_restarted_empty_ends_the_sweep_with_its_report() {
    let mut r = Redis::start();
    load(&mut r.conn(), (0..20_000).map(|i| format!("slow:{i}")), 600);
    let child = start_sweep(&r.url(), &THROUGH_A_RESTART);
    thread::sleep(Duration::from_millis(1000));
    mid_sweep(r.port, 20_000);
    let deleted_before = 20_000 - dbsize(&mut r.conn());
    cli(r.port, &["SHUTDOWN", "NOSAVE"]);
    r.restart(&[]);
    let out = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc = json_of(&out);
    assert_eq!(doc["complete"], true);
    let reported = doc["deleted"].as_u64().unwrap() + doc["unconfirmed"].as_u64().unwrap();
    assert!(
        reported >= deleted_before,
        "{reported} < {deleted_before}: {doc}"
    );
    assert_eq!(dbsize(&mut r.conn()), 0);
}

/// #23: the backup's own DUMP connection is retried and re-dialled like the chain's: a
/// killed connection mid-sweep with `--backup` still ends with exit 0, nothing left, and a
/// backup that brings every key back.
#[test]
fn dropped_connections_with_a_backup_are_retried_and_the_backup_is_whole() {
    let r = Redis::start();
    for round in 0..3u64 {
        let mut c = r.conn();
        load(&mut c, (0..6000).map(|i| format!("slow:{i}")), 600);
        let file = r.dir().join(format!("kill-{round}.cbk"));
        let mut args = SWEEP.to_vec();
        args.extend(["--backup", file.to_str().unwrap()]);
        let child = start_sweep(&r.url(), &args);
        thread::sleep(Duration::from_millis(400 + round * 150));
        mid_sweep(r.port, 6000);
        cli(r.port, &["CLIENT", "KILL", "TYPE", "normal"]);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        check_the_rule(&out, &mut r.conn(), 6000);
        let restored = Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
            .args([
                "restore",
                file.to_str().unwrap(),
                "--yes",
                "--max-keys",
                "100000",
            ])
            .args(["-o", "json"])
            .env_remove("REDIS_URL")
            .env("CACHECTL_URL", r.url())
            .output()
            .unwrap();
        let doc = json_of(&restored);
        assert_eq!(restored.status.code(), Some(0), "round {round}: {doc}");
        assert_eq!(dbsize(&mut r.conn()), 6000, "round {round}: {doc}");
        cli(r.port, &["FLUSHALL"]);
    }
}

/// How many `nottl:*` keys have a TTL now.
const WITH_TTL: &str = "local n = 0 for _, k in ipairs(redis.call('KEYS', 'nottl:*')) do \
                        if redis.call('TTL', k) > 0 then n = n + 1 end end return n";

/// #29: a fix whose batch is sent again after a lost reply (a killed connection, a server
/// asleep or paused past `--timeout`) plans it once: exit 0 means every key the policy wants a
/// TTL for has one, `ttl_set` plus `unconfirmed` is what the server changed, and the `--log`
/// names only keys that were fixed, never the `ok:*` keys that had their TTL all along.
#[test]
fn a_fix_after_a_lost_reply_plans_its_batch_once() {
    let r = Redis::start_with(&["--enable-debug-command", "yes"]);
    let policy = r.dir().join("fix-policy.yaml");
    std::fs::write(&policy, "rules:\n  - match: \"*\"\n    require_ttl: true\n").unwrap();
    let faults: [&[&str]; 3] = [
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["DEBUG", "SLEEP", "2"],
        &["CLIENT", "PAUSE", "2000", "WRITE"],
    ];
    for (round, fault) in faults.iter().enumerate() {
        // A new connection each round: the last round's CLIENT KILL closed the old one.
        let mut c = r.conn();
        let mut pipe = redis::pipe();
        for i in 0..8000 {
            pipe.cmd("SET").arg(format!("nottl:{i}")).arg("v").ignore();
        }
        pipe.exec(&mut c).unwrap();
        load(&mut c, (0..8000).map(|i| format!("ok:{i}")), 3600);
        redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
        let log = r.dir().join(format!("fix{round}.log"));
        let child = start_sweep(
            &r.url(),
            &[
                "ttl-audit",
                "--pattern",
                "*",
                "--policy",
                policy.to_str().unwrap(),
                "--fix-missing-ttl",
                "1h",
                "--yes",
                "--max-keys",
                "100000000",
                "--rate",
                "3000",
                "--timeout",
                "1s",
                "--log",
                log.to_str().unwrap(),
                "-o",
                "json",
            ],
        );
        // The fault lands once the fix has begun to change keys.
        let port = r.port;
        let mut watch = r.conn();
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < until {
            let stats: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut watch)
                .unwrap();
            if stats.contains("cmdstat_expire:") {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
        thread::sleep(Duration::from_millis(300));
        let fixed_before: u64 = cli(port, &["EVAL", WITH_TTL, "0"])
            .trim()
            .parse()
            .unwrap_or(0);
        assert!(
            fixed_before > 0 && fixed_before < 8000,
            "round {round}: the fault must land mid-fix ({fixed_before} fixed)"
        );
        cli(port, fault);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut c = r.conn();
        let fixed: i64 = redis::cmd("EVAL")
            .arg(WITH_TTL)
            .arg(0)
            .query(&mut c)
            .unwrap();
        let doc = json_of(&out);
        let fix = &doc["remediation"];
        if out.status.success() {
            assert_eq!(
                fixed, 8000,
                "round {round}: exit 0 with keys left without TTL: {fix}\n{stderr}"
            );
        }
        assert_eq!(
            fix["ttl_set"].as_u64().unwrap() + fix["unconfirmed"].as_u64().unwrap(),
            fixed as u64,
            "round {round}: the report must account for every TTL set: {fix}\n{stderr}"
        );
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        let wrong = logged.lines().filter(|l| l.contains("\"ok:")).count();
        assert_eq!(
            wrong, 0,
            "round {round}: keys that had a TTL logged as fixed"
        );
        let named = logged.lines().filter(|l| l.contains("\"nottl:")).count() as u64;
        assert_eq!(
            named,
            fix["ttl_set"].as_u64().unwrap(),
            "round {round}: {fix}"
        );
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    }
}

/// #29.2: warm's batches under a lost reply. A server asleep past `--timeout` answers late: the
/// batch is sent again (a SET with its value and TTL is the same write twice), exit 0 and the
/// report's keys are exactly the server's. A killed connection: exit 1, and the report's
/// `keys` (confirmed) and `unconfirmed` (sent, unanswered) bracket what the server holds.
#[test]
fn warm_under_a_lost_reply_counts_exactly_what_it_knows() {
    let r = Redis::start_with(&["--enable-debug-command", "yes"]);
    let rows = 150_000;
    let db = r.dir().join("warm.db");
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)'); \
             c.execute('INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n \
             WHERE i < ' + sys.argv[2] + ') SELECT i, \"value\" FROM n'); c.commit()",
        )
        .arg(&db)
        .arg(rows.to_string())
        .status()
        .unwrap();
    assert!(made.success());
    let plan = r.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  db:\n    sqlite: {}\nsteps:\n  - name: rows\n    source: db\n    query: SELECT id, v FROM t\n    key: \"w:{{id}}\"\n    ttl: 3600\n",
            db.display()
        ),
    )
    .unwrap();
    let faults: [(&[&str], i32); 2] = [
        (&["DEBUG", "SLEEP", "3"], 0),
        (&["CLIENT", "KILL", "TYPE", "normal"], 1),
    ];
    for round in 0..2 {
        for (fault, code) in faults {
            cli(r.port, &["FLUSHALL"]);
            let mut child = start_sweep(
                &r.url(),
                &[
                    "warm",
                    plan.to_str().unwrap(),
                    "--timeout",
                    "1s",
                    "-o",
                    "json",
                ],
            );
            while cli(r.port, &["DBSIZE"]).trim().parse::<u64>().unwrap_or(0) < 20_000 {
                if child.try_wait().unwrap().is_some() {
                    let out = finish(child);
                    panic!("warm ended early: {}", String::from_utf8_lossy(&out.stderr));
                }
                thread::sleep(Duration::from_millis(5));
            }
            cli(r.port, fault);
            let out = finish(child);
            let doc = json_of(&out);
            let held: u64 = cli(r.port, &["DBSIZE"]).trim().parse().unwrap();
            let step = &doc["steps"][0];
            let keys = step["keys"].as_u64().unwrap();
            let unconfirmed = step["unconfirmed"].as_u64().unwrap_or(0);
            assert_eq!(
                out.status.code(),
                Some(code),
                "{fault:?} round {round}: {doc}"
            );
            if code == 0 {
                assert_eq!((keys, unconfirmed, held), (rows, 0, rows), "round {round}");
            } else {
                assert!(held < rows, "{fault:?}: the fault landed after the run");
                assert!(
                    keys <= held && held <= keys + unconfirmed,
                    "{fault:?} round {round}: {keys} confirmed + {unconfirmed} unconfirmed, \
                     the server holds {held}"
                );
            }
        }
    }
}

/// #29.2: a restore whose batch is sent again after a lost reply (a server asleep past
/// `--timeout`): the batch goes again, its keys found there the second time are
/// `unconfirmed` (the lost request restored them), not "left as they are"; exit 0, and
/// `restored + unconfirmed` is every key of the backup, all on the server.
#[test]
fn a_restore_after_a_lost_reply_sends_its_batch_again_and_counts_it_once() {
    let r = Redis::start_with(&["--enable-debug-command", "yes"]);
    let total = 250_000u64;
    let backup = r.dir().join("r.cbk");
    let mut landed = false;
    let mut tries = Vec::new();
    {
        let mut c = r.conn();
        load(&mut c, (0..total).map(|i| format!("rs:{i}")), 3600);
        cachectl(&r.url())
            .args(["backup", "rs:*"])
            .arg(&backup)
            .assert()
            .success();
    }
    for attempt in 0..5 {
        let mut c = r.conn();
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
        redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
        let child = start_sweep(
            &r.url(),
            &[
                "restore",
                backup.to_str().unwrap(),
                "--yes",
                "--max-keys",
                "100000000",
                "--timeout",
                "1s",
                "-o",
                "json",
            ],
        );
        // The fault lands once the restore has begun.
        let mut watch = r.conn();
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < until {
            let n: u64 = redis::cmd("DBSIZE").query(&mut watch).unwrap();
            if n > 0 {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        let before: u64 = redis::cmd("DBSIZE").query(&mut watch).unwrap();
        cli(r.port, &["DEBUG", "SLEEP", "2"]);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let doc = json_of(&out);
        let (restored, unconfirmed) = (
            doc["restored"].as_u64().unwrap_or(0),
            doc["unconfirmed"].as_u64().unwrap_or(0),
        );
        let mut c = r.conn();
        assert_eq!(
            out.status.code(),
            Some(0),
            "attempt {attempt}: {doc}\n{stderr}"
        );
        assert_eq!(dbsize(&mut c), total);
        assert_eq!(restored + unconfirmed, total, "{doc}");
        assert_eq!(
            doc["exists"], 0,
            "keys the lost request restored called 'exists': {doc}"
        );
        // Landed mid-restore: some keys there, not all. (Whether a batch was in flight or
        // the next one went out into the sleep, its reply is lost past --timeout.)
        if before > 0 && before < total {
            landed = true;
            break;
        }
        tries.push(format!(
            "{before} restored before the fault, {unconfirmed} unconfirmed"
        ));
    }
    assert!(landed, "the fault never landed mid-restore: {tries:?}");
}

/// #29.2: a `--spread` under a server asleep past `--timeout` mid-run (a batch's reply lost,
/// the batch sent again): each key moves once (PEXPIRE … GT sent twice moves nothing more, and
/// the second sending's "not moved" replies are `unconfirmed`, not lost), `spread +
/// unconfirmed` is every key whose expiry moved, and exit 0 means the cluster is gone.
#[test]
fn a_spread_after_a_lost_reply_moves_each_key_once_and_counts_it() {
    let r = Redis::start_with(&["--enable-debug-command", "yes"]);
    let policy = r.dir().join("spread.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"burst:*\"\n    max_cluster: 500\n",
    )
    .unwrap();
    let total = 30_000u64;
    let mut landed = false;
    let mut tries = Vec::new();
    for attempt in 0..5 {
        let mut c = r.conn();
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 3_600_000;
        let mut pipe = redis::pipe();
        for i in 0..total {
            pipe.cmd("SET")
                .arg(format!("burst:{i}"))
                .arg("v")
                .arg("PXAT")
                .arg(start + i * 2000 / total)
                .ignore();
        }
        pipe.exec(&mut c).unwrap();
        redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
        let child = start_sweep(
            &r.url(),
            &[
                "ttl-audit",
                "--policy",
                policy.to_str().unwrap(),
                "--spread",
                "20",
                "--yes",
                "--max-keys",
                "100000000",
                "--rate",
                "5000",
                "--timeout",
                "1s",
                "-o",
                "json",
            ],
        );
        let mut watch = r.conn();
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < until {
            let stats: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut watch)
                .unwrap();
            if stats.contains("cmdstat_pexpire:") {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
        // Landed mid-spread: some keys moved, not all.
        let before = moved_now(&mut r.conn(), start, total);
        cli(r.port, &["DEBUG", "SLEEP", "2"]);
        let out = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let doc = json_of(&out);
        let fix = &doc["remediation"];
        let moved = moved_now(&mut r.conn(), start, total);
        assert_eq!(
            fix["spread"].as_u64().unwrap() + fix["unconfirmed"].as_u64().unwrap(),
            moved,
            "attempt {attempt}: the report must account for every key moved: {fix}\n{stderr}"
        );
        if out.status.success() {
            let after = cachectl(&r.url())
                .args([
                    "ttl-audit",
                    "--policy",
                    policy.to_str().unwrap(),
                    "-o",
                    "json",
                ])
                .output()
                .unwrap();
            assert_eq!(
                after.status.code(),
                Some(0),
                "exit 0 with the cluster still there"
            );
        }
        if before > 0 && before < total {
            landed = true;
            assert!(
                out.status.success(),
                "a lost reply is not a failure: {fix}\n{stderr}"
            );
            break;
        }
        tries.push(format!("{before} moved before the fault, {fix}"));
    }
    assert!(landed, "the fault never landed mid-spread: {tries:?}");
}

/// Keys of `spread`'s keyspace whose expiry is later than where it was set (key `burst:i` was
/// set to expire at `start + i * 2000 / total`).
fn moved_now(c: &mut redis::Connection, start: u64, total: u64) -> u64 {
    redis::cmd("EVAL")
        .arg(
            "local n = 0 for _, k in ipairs(redis.call('KEYS', 'burst:*')) do \
             local i = tonumber(string.sub(k, 7)) \
             if redis.call('PEXPIRETIME', k) > tonumber(ARGV[1]) + math.floor(i * 2000 / tonumber(ARGV[2])) \
             then n = n + 1 end end return n",
        )
        .arg(0)
        .arg(start)
        .arg(total)
        .query(c)
        .unwrap()
}
