//! Hash field expiration (#28) on the servers that have it, Redis 8.2 and Valkey 9.1: `get`,
//! `inspect`, `ttl-audit` (its figures, its policy and its fixes), backup and restore all see
//! fields that expire. A hash whose every field expires goes with its last field, so it is not
//! a key without TTL; a hash with a field that never expires, and no TTL of its own, is.

use crate::support;

use support::{Redis, Run, cachectl, json_of};

fn cmd(c: &mut redis::Connection, args: &[&str]) -> redis::Value {
    redis::cmd(args[0]).arg(&args[1..]).query(c).unwrap()
}

/// `h_all`: every field expires (1h, 2h); `h_some`: one field in 1d, one never; `plain`: a
/// string without TTL; `h_big`: 3,000 fields expiring in the same second (a field storm).
fn fill(c: &mut redis::Connection) {
    cmd(c, &["HSET", "h_all", "a", "1", "b", "2"]);
    cmd(c, &["HEXPIRE", "h_all", "3600", "FIELDS", "1", "a"]);
    cmd(c, &["HEXPIRE", "h_all", "7200", "FIELDS", "1", "b"]);
    cmd(c, &["HSET", "h_some", "a", "1", "b", "2"]);
    cmd(c, &["HEXPIRE", "h_some", "86400", "FIELDS", "1", "a"]);
    cmd(c, &["SET", "plain", "v"]);
    let mut pipe = redis::pipe();
    let names: Vec<String> = (0..3000).map(|i| format!("f{i}")).collect();
    for n in &names {
        pipe.cmd("HSET").arg("h_big").arg(n).arg("v").ignore();
    }
    pipe.cmd("HEXPIRE")
        .arg("h_big")
        .arg(600)
        .arg("FIELDS")
        .arg(names.len())
        .arg(&names)
        .ignore();
    pipe.exec(c).unwrap();
}

#[test]
fn get_inspect_and_the_audit_see_fields_that_expire() {
    for (name, binary) in support::field_ttl_servers() {
        let r = Redis::start_binary(&binary, &[]);
        let mut c = r.conn();
        fill(&mut c);

        // get: each field's TTL, and the hash that goes with its last field.
        let doc = cachectl(&r.url())
            .args(["-o", "json", "get", "h_all"])
            .json();
        let f = &doc["keys"][0]["field_ttls"];
        assert_eq!(
            (f["fields"].as_u64(), f["with_ttl"].as_u64()),
            (Some(2), Some(2)),
            "{name}: {doc}"
        );
        let last = f["effective_ms"].as_u64().unwrap();
        assert!((7_000_000..=7_200_000).contains(&last), "{name}: {doc}");
        assert!(
            f["per_field"]["a"].as_u64().unwrap() <= 3_600_000,
            "{name}: {doc}"
        );
        let out = cachectl(&r.url()).args(["get", "h_some"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("1 of 2 fields expire") && text.contains("no expiry"),
            "{name}: {text}"
        );

        // inspect KEY: the same figures, the same words.
        let out = cachectl(&r.url())
            .args(["inspect", "h_all"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("goes with its last field"), "{name}: {text}");

        // ttl-audit: h_all and h_big expire (with their last field); h_some and plain do not.
        let doc = cachectl(&r.url()).args(["ttl-audit", "-o", "json"]).json();
        assert_eq!(doc["without_ttl"], 2, "{name}: {doc}");
        assert_eq!(doc["with_ttl"], 2, "{name}: {doc}");
        let fields = &doc["fields"];
        assert_eq!(fields["hashes"], 3, "{name}: {doc}");
        assert_eq!(fields["expire_with_fields"], 2, "{name}: {doc}");
        assert_eq!(fields["fields_with_ttl"], 3003, "{name}: {doc}");
        assert_eq!(fields["fields_without_ttl"], 1, "{name}: {doc}");
        assert_eq!(fields["busiest"]["keys"], 3000, "{name}: {doc}");
        assert!(
            doc["timeline"]["counts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_u64() >= Some(3000)),
            "field expiries are on the timeline: {doc}"
        );
        assert_eq!(
            doc["headline"][0]["keys_with_field_ttls"], 3,
            "{name}: {doc}"
        );

        // inspect --pattern: the server's own headline first, with Redis 8's size
        // histograms (INFO KEYSIZES) where the server has them, before any scan.
        let doc = cachectl(&r.url())
            .args(["inspect", "--pattern", "*", "-o", "json"])
            .json();
        let head = &doc["headline"][0];
        assert_eq!(head["keys"], 4, "{name}: {doc}");
        assert_eq!(head["keys_with_field_ttls"], 3, "{name}: {doc}");
        if name.starts_with("Redis") {
            let hashes = (head["sizes"].as_array().unwrap().iter())
                .find(|s| s["of"] == "hashes_items")
                .unwrap_or_else(|| panic!("{name}: {doc}"));
            let keys: u64 = (hashes["buckets"].as_array().unwrap().iter())
                .map(|b| b[1].as_u64().unwrap())
                .sum();
            assert_eq!(keys, 3, "{name}: the three hashes, by size: {doc}");
        }
    }
}

#[test]
fn field_rules_are_checked_and_fixes_never_shorten_a_field() {
    for (name, binary) in support::field_ttl_servers() {
        let r = Redis::start_binary(&binary, &[]);
        let mut c = r.conn();
        fill(&mut c);
        let policy = r.dir().join("p.yaml");
        std::fs::write(
            &policy,
            "rules:\n  - match: \"h_*\"\n    require_ttl: true\n    require_field_ttl: true\n    \
             field_ttl: { max: 12h }\n    max_cluster: 1000\n  - match: \"*\"\n    require_ttl: true\n",
        )
        .unwrap();
        let p = policy.to_str().unwrap();
        let out = cachectl(&r.url())
            .args(["ttl-audit", "--policy", p, "-o", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{name}");
        let doc = json_of(&out);
        let kinds: Vec<(String, String, u64)> = doc["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let s = |f: &str| v[f].as_str().unwrap_or("").to_string();
                (s("family"), s("kind"), v["keys"].as_u64().unwrap())
            })
            .collect();
        let has = |family: &str, kind: &str, n: u64| {
            kinds.contains(&(family.to_string(), kind.to_string(), n))
        };
        assert!(has("h_some", "missing_ttl", 1), "{name}: {kinds:?}");
        assert!(has("h_some", "missing_field_ttl", 1), "{name}: {kinds:?}");
        assert!(has("h_some", "field_ttl_above_max", 1), "{name}: {kinds:?}");
        assert!(
            has("h_big", "field_expiry_cluster", 3000),
            "{name}: {kinds:?}"
        );
        assert!(has("plain", "missing_ttl", 1), "{name}: {kinds:?}");
        assert!(
            !kinds
                .iter()
                .any(|(f, k, _)| f == "h_all" || (f == "h_big" && k == "missing_ttl"))
        );

        // The fix: plain gets about 1h; h_some gets no less than its last field's day; the
        // hashes that go with their fields are left alone.
        cachectl(&r.url())
            .args([
                "ttl-audit",
                "--policy",
                p,
                "--fix-missing-ttl",
                "1h",
                "--yes",
                "-o",
                "json",
            ])
            .json_exiting(4);
        let ttl = |c: &mut redis::Connection, k: &str| -> i64 {
            redis::cmd("TTL").arg(k).query(c).unwrap()
        };
        assert!((3590..=3960).contains(&ttl(&mut c, "plain")), "{name}");
        assert!(
            ttl(&mut c, "h_some") >= 86_000,
            "{name}: a field's life was cut short"
        );
        assert_eq!(
            (ttl(&mut c, "h_all"), ttl(&mut c, "h_big")),
            (-1, -1),
            "{name}"
        );
    }
}

#[test]
fn backup_and_restore_keep_field_ttls_and_count_a_hash_gone_with_its_fields() {
    for (name, binary) in support::field_ttl_servers() {
        let r = Redis::start_binary(&binary, &[]);
        let mut c = r.conn();
        fill(&mut c);
        cmd(&mut c, &["HSET", "h_soon", "a", "1"]);
        cmd(&mut c, &["HPEXPIRE", "h_soon", "1500", "FIELDS", "1", "a"]);
        let file = r.dir().join("b.cbk");
        let out = cachectl(&r.url())
            .args(["invalidate-pattern", "h_*", "--yes", "--backup"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(support::dbsize(&mut c), 1, "{name}");
        // h_soon's one field expires while it is in the file.
        std::thread::sleep(std::time::Duration::from_millis(1800));
        let doc = cachectl(&r.url())
            .arg("restore")
            .arg(&file)
            .args(["-o", "json"])
            .json();
        assert_eq!(
            (doc["restored"].as_u64(), doc["expired"].as_u64()),
            (Some(3), Some(1)),
            "{name}: {doc}"
        );
        assert!(!support::exists(&mut c, "h_soon"), "{name}");
        let ttls: Vec<i64> = redis::cmd("HTTL")
            .arg("h_some")
            .arg("FIELDS")
            .arg(2)
            .arg("a")
            .arg("b")
            .query(&mut c)
            .unwrap();
        assert!(ttls[0] > 86_000 && ttls[1] == -1, "{name}: {ttls:?}");
    }
}

/// `watch` counts hashes losing fields to expiry (`hexpired`: one event per hash per expiry
/// pass, not per field) as churn of their family, and setting a field's TTL (`hexpire`) as
/// no write.
#[test]
fn watch_counts_fields_that_expire() {
    for (name, binary) in support::field_ttl_servers() {
        let r = Redis::start_binary(&binary, &[]);
        let mut c = r.conn();
        let child = support::spawn(
            &r.url(),
            &[
                "watch",
                "w:*",
                "--interval",
                "500ms",
                "--duration",
                "4s",
                "--enable-events",
                "-o",
                "json",
            ],
        );
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let setting: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg("notify-keyspace-events")
                .query(&mut c)
                .unwrap();
            if setting.get(1).is_some_and(|s| s.contains('E')) {
                break;
            }
            assert!(
                std::time::Instant::now() < until,
                "{name}: events never turned on"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
        let mut pipe = redis::pipe();
        for n in &names {
            pipe.cmd("HSET").arg("w:h").arg(n).arg("v").ignore();
        }
        pipe.cmd("HPEXPIRE")
            .arg("w:h")
            .arg(200)
            .arg("FIELDS")
            .arg(names.len())
            .arg(&names)
            .ignore();
        pipe.exec(&mut c).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (mut sets, mut fields) = (0, 0);
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let tick: serde_json::Value = serde_json::from_str(line).unwrap();
            for f in tick["families"].as_array().into_iter().flatten() {
                sets += f["set"].as_u64().unwrap_or(0);
                fields += f["hexpired"].as_u64().unwrap_or(0);
            }
        }
        assert_eq!(sets, 50, "{name}: a field's TTL is not a write");
        assert!(
            (1..=50).contains(&fields),
            "{name}: {fields} hexpired events"
        );
    }
}

/// Reading a hash's fields (HLEN, HSCAN, HPTTL) for a report would reset its idle time, and so
/// change what `--idle-over` and the eviction policy see next: the audit and inspect read them
/// under `CLIENT NO-TOUCH`, and the hashes stay as idle as they were.
#[test]
fn reading_fields_leaves_idle_times_alone() {
    for (name, binary) in support::field_ttl_servers() {
        let r = Redis::start_binary(&binary, &[]);
        let mut c = r.conn();
        fill(&mut c);
        std::thread::sleep(std::time::Duration::from_millis(3100));
        cachectl(&r.url()).args(["ttl-audit", "-o", "json"]).json();
        cachectl(&r.url())
            .args(["inspect", "--pattern", "*", "-o", "json"])
            .json();
        for key in ["h_all", "h_some", "h_big"] {
            let idle: i64 = redis::cmd("OBJECT")
                .arg("IDLETIME")
                .arg(key)
                .query(&mut c)
                .unwrap();
            assert!(idle >= 2, "{name}: {key} idle {idle} s after the reports");
        }
    }
}

/// In a cluster, each slot's reads go to its master between `CLIENT NO-TOUCH ON` and `OFF`:
/// every hash's fields are read and every reply lands with its own question (a bracket
/// reply left unread would be taken as the next request's answer).
#[test]
fn a_cluster_reads_every_hashs_fields() {
    for (name, binary) in support::field_ttl_servers() {
        let cl = support::Cluster::start_binary(&binary);
        let mut c = cl.conn();
        for i in 0..50 {
            let k = format!("h{i}");
            let _: () = redis::cmd("HSET")
                .arg(&k)
                .arg(&["a", "1", "b", "2"][..])
                .query(&mut c)
                .unwrap();
            let _: redis::Value = redis::cmd("HEXPIRE")
                .arg(&k)
                .arg(600)
                .arg("FIELDS")
                .arg(1)
                .arg("a")
                .query(&mut c)
                .unwrap();
        }
        for _ in 0..3 {
            let doc = cachectl(&cl.url()).args(["ttl-audit", "-o", "json"]).json();
            let f = &doc["fields"];
            assert_eq!(f["hashes"], 50, "{name}: {f}");
            assert_eq!(f["fields_with_ttl"], 50, "{name}: {f}");
            assert_eq!(f["fields_without_ttl"], 50, "{name}: {f}");
            assert_eq!(doc["without_ttl"], 50, "{name}: {f}");
            let doc = cachectl(&cl.url())
                .args(["inspect", "--pattern", "*", "-o", "json"])
                .json();
            assert_eq!(doc["total"]["keys"], 50, "{name}: {doc}");
        }
    }
}
