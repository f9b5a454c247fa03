//! Backups and restore on real servers: a sweep with `--backup`, then `restore`, puts every key
//! back with its value and remaining TTL; across standalone and cluster; damaged files stop
//! the restore at the damage; a server that cannot read the payloads gets nothing.

use crate::support;

use std::path::Path;

use predicates::prelude::PredicateBooleanExt;
use redis::Commands;
use support::{Cluster, Redis, cachectl, dbsize, json_of};

/// Keys of every kind a cache holds, binary ones among them; `(key, has_ttl)`.
fn fill(c: &mut dyn redis::ConnectionLike, prefix: &str) -> Vec<(Vec<u8>, bool)> {
    let mut keys = Vec::new();
    for i in 0..2500 {
        let k = format!("{prefix}post_cache:{i}").into_bytes();
        redis::cmd("SET")
            .arg(&k)
            .arg(format!("{{\"id\":{i},\"body\":\"line\\nnext\"}}"))
            .arg("EX")
            .arg(3600)
            .exec(c)
            .unwrap();
        keys.push((k, true));
    }
    let mut odd = |k: Vec<u8>, v: &[u8], ttl: Option<u64>| {
        let mut cmd = redis::cmd("SET");
        cmd.arg(&k).arg(v);
        if let Some(t) = ttl {
            cmd.arg("EX").arg(t);
        }
        cmd.exec(c).unwrap();
        keys.push((k, ttl.is_some()));
    };
    odd(format!("{prefix}empty").into_bytes(), b"", None);
    odd(
        [prefix.as_bytes(), b"bin\xff\x00\n"].concat(),
        b"\x00\xff\r\n",
        Some(900),
    );
    odd(format!("{prefix}no_ttl").into_bytes(), b"forever", None);
    redis::cmd("RPUSH")
        .arg(format!("{prefix}list"))
        .arg(&["a", "b", "c"])
        .exec(c)
        .unwrap();
    redis::cmd("HSET")
        .arg(format!("{prefix}hash"))
        .arg(&["f", "v", "g", "w"])
        .exec(c)
        .unwrap();
    redis::cmd("EXPIRE")
        .arg(format!("{prefix}hash"))
        .arg(120)
        .exec(c)
        .unwrap();
    keys.push((format!("{prefix}list").into_bytes(), false));
    keys.push((format!("{prefix}hash").into_bytes(), true));
    keys
}

/// Every key's DUMP and expiry (PEXPIRETIME: absolute, so how long the test took between
/// two snapshots does not count), to compare before and after.
fn snapshot(c: &mut dyn redis::ConnectionLike, keys: &[(Vec<u8>, bool)]) -> Vec<(Vec<u8>, i64)> {
    keys.iter()
        .map(|(k, _)| {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(k).query(c).unwrap();
            let at: i64 = redis::cmd("PEXPIRETIME").arg(k).query(c).unwrap();
            (dump, at)
        })
        .collect()
}

fn same(before: &[(Vec<u8>, i64)], after: &[(Vec<u8>, i64)], keys: &[(Vec<u8>, bool)]) {
    for ((b, a), (k, has_ttl)) in before.iter().zip(after).zip(keys) {
        let k = String::from_utf8_lossy(k);
        assert_eq!(a.0, b.0, "{k}: the value came back");
        if *has_ttl {
            assert!(
                (a.1 - b.1).abs() <= 1500 && a.1 > 0,
                "{k}: expires at {} ms, was {} ms",
                a.1,
                b.1
            );
        } else {
            assert_eq!(a.1, -1, "{k}: no TTL before, none after");
        }
    }
}

fn restore(url: &str, file: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = cachectl(url)
        .arg("restore")
        .arg(file)
        .args(extra)
        .args(["-o", "json"])
        .output()
        .unwrap();
    (out.status.code(), json_of(&out))
}

#[test]
fn a_sweep_with_a_backup_is_undone_by_restore() {
    let r = Redis::start();
    let mut c = r.conn();
    let keys = fill(&mut c, "");
    redis::cmd("SET")
        .arg("other")
        .arg("x")
        .exec(&mut c)
        .unwrap();
    let before = snapshot(&mut c, &keys);
    let file = r.dir().join("sweep.cbk");

    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "*",
            "--exclude",
            "other",
            "--yes",
            "--max-keys",
            "100000000",
            "--backup",
        ])
        .arg(&file)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["deleted"], keys.len());
    assert_eq!(doc["backup"]["keys"], keys.len());
    assert_eq!(dbsize(&mut c), 1);

    // A backup cannot be overwritten by the next command.
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "x*",
            "--yes",
            "--max-keys",
            "100000000",
            "--backup",
        ])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicates::str::contains("File exists"));

    std::thread::sleep(std::time::Duration::from_millis(300));
    let (code, doc) = restore(&r.url(), &file, &["--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["restored"], keys.len());
    assert_eq!(dbsize(&mut c), 1, "a dry run writes nothing");

    let (code, doc) = restore(&r.url(), &file, &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], keys.len());
    assert_eq!(doc["complete"], true);
    let after = snapshot(&mut c, &keys);
    same(&before, &after, &keys);

    // Again: every key exists now and is left alone, unless --replace.
    let _: () = c.set("post_cache:1", "changed since").unwrap();
    let (code, doc) = restore(&r.url(), &file, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["exists"], keys.len());
    assert_eq!(c.get::<_, String>("post_cache:1").unwrap(), "changed since");
    let (code, doc) = restore(&r.url(), &file, &["--replace", "--pattern", "post_cache:1"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["restored"], 1);
    assert_eq!(doc["filtered"], keys.len() - 1);
    assert!(
        c.get::<_, String>("post_cache:1")
            .unwrap()
            .contains("\"id\":1")
    );
}

#[test]
fn exact_keys_are_backed_up_and_a_refusal_leaves_no_file() {
    let r = Redis::start();
    let mut c = r.conn();
    let _: () = c
        .set_ex("user_profile:7", "{\"name\":\"ada\"}", 600)
        .unwrap();
    for i in 0..20 {
        let _: () = c.set(format!("user_7_posts:page_{i}"), "[]").unwrap();
    }
    let file = r.dir().join("inv.cbk");
    // Broad and off a terminal without --yes: refused, nothing deleted, no file.
    cachectl(&r.url())
        .args([
            "invalidate",
            "user_profile:7",
            "--pattern",
            "user_7_*",
            "--max-keys",
            "5",
        ])
        .arg("--backup")
        .arg(&file)
        .arg("--log")
        .arg(r.dir().join("refused.jsonl"))
        .assert()
        .code(3);
    assert!(!file.exists(), "a refusal leaves nothing behind");
    assert!(
        !r.dir().join("refused.jsonl").exists(),
        "not even a log file"
    );
    assert_eq!(dbsize(&mut c), 21);

    cachectl(&r.url())
        .args([
            "invalidate",
            "user_profile:7",
            "--pattern",
            "user_7_*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .arg("--backup")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 0);
    let (code, doc) = restore(&r.url(), &file, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["restored"], 21);
    let ttl: i64 = c.ttl("user_profile:7").unwrap();
    assert!((595..=600).contains(&ttl), "{ttl}");
}

#[test]
fn backups_cross_between_standalone_and_cluster() {
    let cluster = Cluster::shared();
    let r = Redis::start();
    let mut c = r.conn();
    let keys = fill(&mut c, "xbk:");
    let before = snapshot(&mut c, &keys);
    let file = r.dir().join("standalone.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "xbk:*"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        dbsize(&mut c),
        keys.len() as u64,
        "a backup deletes nothing"
    );

    // Standalone → cluster: slot-routed, every key where it belongs.
    let (code, doc) = restore(&cluster.url(), &file, &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], keys.len());
    let mut cc = cluster.conn();
    same(&before, &snapshot(&mut cc, &keys), &keys);

    // Cluster → standalone, through a sweep's backup on every master.
    let back = r.dir().join("cluster.cbk");
    let out = cachectl(&cluster.url())
        .args([
            "invalidate-pattern",
            "xbk:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--backup",
        ])
        .arg(&back)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["deleted"], keys.len());
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    let (code, doc) = restore(&r.url(), &back, &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], keys.len());
    same(&before, &snapshot(&mut c, &keys), &keys);
}

#[test]
fn a_damaged_backup_restores_nothing_past_the_damage() {
    let r = Redis::start();
    let mut c = r.conn();
    let keys = fill(&mut c, "");
    let file = r.dir().join("whole.cbk");
    // Small batches: many frames, so the damage lands in the middle of the file.
    cachectl(&r.url())
        .args(["backup", "--pattern", "*", "--count", "100"])
        .arg(&file)
        .assert()
        .success();
    let bytes = std::fs::read(&file).unwrap();

    for (name, damaged) in [
        ("cut", bytes[..bytes.len() / 2].to_vec()),
        ("flipped", {
            let mut b = bytes.clone();
            let at = b.len() / 2;
            b[at] ^= 0x40;
            b
        }),
    ] {
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
        let path = r.dir().join(format!("{name}.cbk"));
        std::fs::write(&path, &damaged).unwrap();
        let (code, doc) = restore(&r.url(), &path, &[]);
        assert_eq!(code, Some(1), "{name}: {doc}");
        assert_eq!(doc["complete"], false);
        let error = doc["error"].as_str().unwrap();
        assert!(error.contains(&path.display().to_string()), "{error}");
        let restored = doc["restored"].as_u64().unwrap();
        assert!(
            restored > 0 && restored < keys.len() as u64,
            "{name}: restored {restored}"
        );
        assert_eq!(
            dbsize(&mut c),
            restored,
            "{name}: only what the report says"
        );
    }

    // Not a backup at all.
    let junk = r.dir().join("junk.cbk");
    std::fs::write(&junk, b"hello").unwrap();
    cachectl(&r.url())
        .arg("restore")
        .arg(&junk)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not a cachectl backup file"));
}

#[test]
fn a_server_that_cannot_read_the_payloads_gets_nothing() {
    use cachectl::backup::{Reader, Writer};
    let r = Redis::start();
    let mut c = r.conn();
    fill(&mut c, "");
    let file = r.dir().join("b.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "*"])
        .arg(&file)
        .assert()
        .success();
    // The same keys, as a newer server would have written them (RDB version 99).
    let newer = r.dir().join("newer.cbk");
    let mut reader = Reader::open(&file).unwrap();
    let mut writer = Writer::create(&newer, reader.header()).unwrap();
    while let Some(mut batch) = reader.next_batch().unwrap() {
        for rec in &mut batch {
            let n = rec.payload.len();
            rec.payload[n - 10] = 99;
        }
        writer.append(&batch).unwrap();
    }
    writer.finish(None).unwrap();
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    cachectl(&r.url())
        .arg("restore")
        .arg(&newer)
        .assert()
        .code(1)
        .stderr(
            predicates::str::contains("RDB version 99")
                .and(predicates::str::contains("nothing was restored")),
        );
    assert_eq!(dbsize(&mut c), 0);
}

fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_log_names_every_key_deleted_or_changed() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..3000 {
        let _: () = c.set(format!("user_7_posts:{i}"), "[]").unwrap();
    }
    let _: () = c.set(b"user_7_\xff".as_slice(), "bin").unwrap();
    let _: () = c.set("user_profile:7", "{}").unwrap();
    let _: () = c.set("keep", "1").unwrap();
    let log = r.dir().join("deletions.jsonl");
    let out = cachectl(&r.url())
        .args([
            "invalidate",
            "user_profile:7",
            "gone:1",
            "--pattern",
            "user_7_*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .arg("--log")
        .arg(&log)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["deleted"], 3002);
    let lines = log_lines(&log);
    // One line per key deleted, none for the key that was not there.
    assert_eq!(lines.len(), 3002);
    let mut keys: Vec<String> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["op"], "unlink");
            assert_eq!(l["command"], "invalidate");
            assert!(l["time"].as_str().unwrap().ends_with('Z'));
            assert!(l["node"].as_str().unwrap().contains(':'));
            l["key"].as_str().unwrap().to_string()
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3002, "each key once");
    assert!(
        keys.contains(&r#""user_7_\xff""#.to_string()),
        "a binary key as everywhere in the output: quoted, with escapes"
    );
    let profile = lines.iter().find(|l| l["key"] == "user_profile:7").unwrap();
    assert_eq!(profile["reason"], "key");
    let post = lines.iter().find(|l| l["key"] == "user_7_posts:1").unwrap();
    assert_eq!(post["reason"], "user_7_*");

    // TTL fixes: logged and backed up, and the backup undoes them.
    for i in 0..50 {
        let _: () = c.set(format!("post_cache:{i}"), "{}").unwrap();
    }
    let policy = r.dir().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"post_cache:*\"\n    require_ttl: true\n",
    )
    .unwrap();
    let fixes = r.dir().join("fixes.jsonl");
    let backup = r.dir().join("fixes.cbk");
    let out = cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .args([
            "--fix-missing-ttl",
            "1h",
            "--yes",
            "--max-keys",
            "100000000",
            "--log",
        ])
        .arg(&fixes)
        .arg("--backup")
        .arg(&backup)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["remediation"]["ttl_set"], 50);
    let lines = log_lines(&fixes);
    assert_eq!(lines.len(), 50);
    assert!(
        lines
            .iter()
            .all(|l| l["op"] == "expire" && l["reason"] == "missing TTL")
    );
    assert!(c.ttl::<_, i64>("post_cache:1").unwrap() > 0);
    let restores = r.dir().join("restores.jsonl");
    let out = cachectl(&r.url())
        .arg("restore")
        .arg(&backup)
        .args(["--replace", "--yes", "--max-keys", "100000000", "--log"])
        .arg(&restores)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["restored"], 50);
    assert_eq!(
        c.ttl::<_, i64>("post_cache:1").unwrap(),
        -1,
        "no TTL, as before the fix"
    );
    let lines = log_lines(&restores);
    assert_eq!(lines.len(), 50);
    assert!(lines.iter().all(|l| l["op"] == "restore"));
}

/// `n` bytes that do not compress, the same each time.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const MIB: u64 = 1024;

#[test]
fn a_100_mb_value_goes_through_backup_and_restore_held_at_most_once() {
    let r = Redis::start();
    let mut c = r.conn();
    let value = noise(100 << 20);
    redis::cmd("SET")
        .arg("big:one")
        .arg(&value)
        .arg("EX")
        .arg(3600)
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("big:small")
        .arg("v")
        .exec(&mut c)
        .unwrap();
    let file = r.dir().join("big.cbk");
    let (out, backup_peak) = support::peak_kib(
        &r.url(),
        &["backup", "--pattern", "big:*", file.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Streamed from the socket to the file: never the whole value in memory.
    assert!(backup_peak < 60 * MIB, "backup held {backup_peak} KiB");
    redis::cmd("DEL")
        .arg("big:one")
        .arg("big:small")
        .exec(&mut c)
        .unwrap();
    let (out, restore_peak) = support::peak_kib(
        &r.url(),
        &[
            "restore",
            file.to_str().unwrap(),
            "--yes",
            "--max-keys",
            "100000000",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The record once, sent from where it lies (the client library held it 2.5 times).
    assert!(restore_peak < 170 * MIB, "restore held {restore_peak} KiB");
    let back: Vec<u8> = c.get("big:one").unwrap();
    assert!(back == value, "the value came back byte for byte");
    let ttl: i64 = c.ttl("big:one").unwrap();
    assert!((3590..=3600).contains(&ttl), "{ttl}");
    assert_eq!(c.get::<_, String>("big:small").unwrap(), "v");

    // A sweep's backup streams it too, before the key goes.
    let swept = r.dir().join("swept.cbk");
    let (out, sweep_peak) = support::peak_kib(
        &r.url(),
        &[
            "invalidate-pattern",
            "big:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--backup",
            swept.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sweep_peak < 60 * MIB, "sweep held {sweep_peak} KiB");
    assert_eq!(dbsize(&mut c), 0);
    let (code, doc) = restore(&r.url(), &swept, &["--yes", "--max-keys", "100000000"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], 2);
    let back: Vec<u8> = c.get("big:one").unwrap();
    assert!(back == value);
}

#[test]
fn large_values_stream_over_tls_with_a_password_and_a_database() {
    let (r, ca) = Redis::start_tls();
    let value = noise(3 << 20);
    let url = format!("rediss://127.0.0.1:{}/3#insecure", r.port);
    let mut c = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("s3cret")
        .exec(&mut c)
        .unwrap();
    redis::cmd("AUTH").arg("s3cret").exec(&mut c).unwrap();
    redis::cmd("SET")
        .arg("tls:big")
        .arg(&value)
        .exec(&mut c)
        .unwrap();
    let target = format!("rediss://:s3cret@127.0.0.1:{}/3", r.port);
    let file = r.dir().join("tls.cbk");
    cachectl(&target)
        .args(["backup", "--pattern", "tls:*", "--tls-ca"])
        .arg(&ca)
        .arg(&file)
        .assert()
        .success();
    redis::cmd("DEL").arg("tls:big").exec(&mut c).unwrap();
    cachectl(&target)
        .arg("restore")
        .arg(&file)
        .args(["--yes", "--max-keys", "100000000", "--tls-ca"])
        .arg(&ca)
        .assert()
        .success();
    let back: Vec<u8> = c.get("tls:big").unwrap();
    assert!(back == value, "restored into database 3 over TLS");
}

#[test]
fn large_values_cross_a_cluster() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    let values: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| (format!("bigc:{i}"), noise((2 << 20) + i)))
        .collect();
    for (k, v) in &values {
        redis::cmd("SET").arg(k).arg(v).exec(&mut c).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.cbk");
    cachectl(&cluster.url())
        .args([
            "invalidate-pattern",
            "bigc:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--backup",
        ])
        .arg(&file)
        .assert()
        .success();
    for (k, _) in &values {
        assert!(!c.exists::<_, bool>(k).unwrap());
    }
    let (code, doc) = restore(&cluster.url(), &file, &["--yes", "--max-keys", "100000000"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], 4);
    for (k, v) in &values {
        let back: Vec<u8> = c.get(k).unwrap();
        assert!(back == *v, "{k}");
    }
}

/// #29.2: a disk that fills under `--backup` (the file may not grow past 64 KiB: the kernel's
/// own limit, EFBIG) ends the sweep with its report: the keys deleted before the fault are
/// counted exactly, the run is not complete, the exit is 1; twice.
#[test]
fn a_full_disk_under_a_backup_keeps_the_report() {
    use std::os::unix::process::CommandExt;
    let redis = Redis::start();
    let mut c = redis.conn();
    for round in 0..2 {
        support::load(&mut c, (0..30_000).map(|i| format!("full:{i}")), 3600);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.cbk");
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cachectl"));
        cmd.args(["-o", "json", "invalidate-pattern", "full:*", "--yes"])
            .args(["--max-keys", "100000", "--backup"])
            .arg(&file)
            .env_remove("REDIS_URL")
            .env("CACHECTL_URL", redis.url());
        // SAFETY: async-signal-safe calls only, in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: 64 << 10,
                    rlim_max: 64 << 10,
                };
                libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        let doc = json_of(&out);
        let left = dbsize(&mut c);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "round {round}: {err}");
        assert!(left > 0 && left < 30_000, "round {round}: {left} left");
        assert_eq!(doc["deleted"].as_u64(), Some(30_000 - left), "{doc}");
        assert_eq!(doc["complete"], false, "{doc}");
        assert!(doc["error"]["error"].is_string(), "{doc}");
        let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
    }
}

/// Least privilege: a user granted PTTL but not PEXPIRETIME backs up all the same (each key's
/// expiry from PTTL and our clock), and the restore puts every key back when it would have
/// expired. Before, `backup` took the NOPERM for a failure, as only the audit knew it.
#[test]
fn a_user_without_pexpiretime_backs_up_with_pttl() {
    let r = Redis::start();
    let mut c = r.conn();
    let keys = fill(&mut c, "acl:");
    let before = snapshot(&mut c, &keys);
    redis::cmd("ACL")
        .arg(&["SETUSER", "ops", "on", ">pw", "~*", "+@all", "-pexpiretime"])
        .exec(&mut c)
        .unwrap();
    let file = r.dir().join("acl.cbk");
    for args in [
        &["backup", "--pattern", "acl:*"][..],
        &["invalidate-pattern", "acl:*", "--yes", "--backup"][..],
    ] {
        let _ = std::fs::remove_file(&file);
        let out = cachectl(&r.url())
            .args(["--user", "ops", "--password-env", "OPS_PW", "-o", "json"])
            .args(args)
            .arg(&file)
            .env("OPS_PW", "pw")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(json_of(&out)["complete"], true, "{args:?}: {err}");
    }
    assert_eq!(dbsize(&mut c), 0, "the sweep deleted what it backed up");
    let (code, doc) = restore(&r.url(), &file, &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["restored"], keys.len(), "{doc}");
    same(&before, &snapshot(&mut c, &keys), &keys);
}
