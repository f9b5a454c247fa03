//! ttl-audit: the INFO headline, exact figures per family, planted expiry clusters, policy
//! matching, exit codes, and remediation that changes only what it should.

use crate::support;

use std::time::{SystemTime, UNIX_EPOCH};

use predicates::prelude::*;
use support::{Cluster, Redis, Run, cachectl, entry, json_of};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// 200 posts with TTLs spread over minutes, 500 sessions all expiring at `storm` (a planted
/// cluster), 30 countries without TTL, 10 keys with a literal `*` in their name.
fn keyspace(c: &mut dyn redis::ConnectionLike, storm: u64) {
    let mut pipe = redis::pipe();
    for i in 0..200u64 {
        pipe.cmd("SET")
            .arg(format!("post_cache:{i}"))
            .arg("p")
            .arg("EX")
            .arg(600 + i * 7)
            .ignore();
    }
    for i in 0..500 {
        pipe.cmd("SET")
            .arg(format!("session:{i}"))
            .arg("s")
            .arg("PXAT")
            .arg(storm)
            .ignore();
    }
    for i in 0..30 {
        pipe.cmd("SET")
            .arg(format!("country:C{i}"))
            .arg("c")
            .ignore();
    }
    for i in 0..10 {
        pipe.cmd("SET")
            .arg(format!("lit*eral:{i}"))
            .arg("l")
            .ignore();
    }
    pipe.exec(c).unwrap();
}

const POLICY: &str = r#"
rules:
  - match: "sess?on:*"
    require_ttl: true
    max_cluster: 100
  - match: "post_cache:[0-4]*"
    ttl: { min: 60, max: 20m }
    require_ttl: true
  - match: "lit\\*eral:*"
    require_ttl: true
  - family: "country:{s}"
    require_ttl: false
"#;

fn policy_file(r: &Redis) -> std::path::PathBuf {
    let p = r.dir().join("policy.yaml");
    std::fs::write(&p, POLICY).unwrap();
    p
}

fn audit_json(url: &str, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = cachectl(url)
        .args(["ttl-audit", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), json_of(&out))
}

#[test]
fn quick_headline_comes_from_info() {
    let r = Redis::start();
    let mut c = r.conn();
    keyspace(&mut c, now_ms() + 3_600_000);
    let (code, doc) = audit_json(&r.url(), &["--quick"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["headline"][0]["keys"], 740);
    assert_eq!(doc["headline"][0]["expires"], 700);
}

#[test]
fn exact_figures_and_the_planted_cluster() {
    let r = Redis::start();
    let mut c = r.conn();
    let storm = now_ms() + 3_600_000;
    keyspace(&mut c, storm);
    let (code, doc) = audit_json(&r.url(), &[]);
    assert_eq!(code, Some(0), "no policy, no violations");
    assert_eq!(doc["audited"], 740);
    assert_eq!(doc["with_ttl"], 700);
    assert_eq!(doc["without_ttl"], 40);
    assert!(doc.get("info_mismatch").is_none());
    let busiest = &doc["busiest"];
    assert_eq!(busiest["keys"], 500);
    let starts = busiest["starts_ms"].as_u64().unwrap();
    assert!(
        starts <= storm && storm < starts + 1000,
        "the storm at {storm} is in the window at {starts}"
    );
    let fam = |name: &str| entry(&doc, "families", "family", name);
    assert_eq!(fam("session:{n}")["busiest"]["keys"], 500);
    assert_eq!(fam("country:{s}")["without_ttl"], 30);
    assert_eq!(
        fam("post_cache:{n}")["ttl_max_s"].as_u64().unwrap() / 10,
        (600 + 199 * 7) / 10
    );
    let hist_total: u64 = doc["ttl_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["keys"].as_u64().unwrap())
        .sum();
    assert_eq!(hist_total, 700);
    let timeline: u64 = doc["timeline"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(timeline, 700, "every expiring key lands in the timeline");
}

/// Redis 6.2 has no PEXPIRETIME: the audit says the same from PTTL and its own clock.
#[test]
fn before_7_0_expiries_come_from_pttl() {
    let Some(binary) = support::redis6_binary() else {
        return;
    };
    let r = Redis::start_binary(&binary, &[]);
    let mut c = r.conn();
    let storm = now_ms() + 3_600_000;
    keyspace(&mut c, storm);
    let (code, doc) = audit_json(&r.url(), &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["audited"], 740);
    assert_eq!(doc["with_ttl"], 700);
    assert_eq!(doc["without_ttl"], 40);
    assert_eq!(doc["busiest"]["keys"], 500);
    let until = doc["busiest"]["until_ms"].as_u64().unwrap();
    assert!(until > storm && until <= storm + 1000, "{until} vs {storm}");
}

#[test]
fn policy_violations_exit_4_with_details() {
    let r = Redis::start();
    let mut c = r.conn();
    keyspace(&mut c, now_ms() + 3_600_000);
    let policy = policy_file(&r);
    let (code, doc) = audit_json(&r.url(), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, Some(4));
    let v = |kind: &str, rule: &str| {
        doc["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["kind"] == kind && v["rule"] == rule)
            .cloned()
    };
    let storm = v("expiry_cluster", "sess?on:*").expect("the planted cluster breaks max_cluster");
    assert_eq!(storm["keys"], 500);
    assert_eq!(storm["family"], "session:{n}");
    // post_cache:0..4x: 111 keys; those with TTL above 20 min are i*7 > 600, i >= 86.
    let long = v("ttl_above_max", "post_cache:[0-4]*").unwrap();
    let expected = (0..200u64)
        .filter(|i| matches!(i.to_string().as_bytes()[0], b'0'..=b'4'))
        .filter(|i| 600 + i * 7 > 1200)
        .count();
    assert_eq!(long["keys"], expected as u64);
    assert_eq!(long["sample"].as_array().unwrap().len(), 5);
    let lit = v("missing_ttl", "lit\\*eral:*").expect("escaped * matches the literal");
    assert_eq!(lit["keys"], 10);
    assert!(
        v("missing_ttl", "family country:{s}").is_none(),
        "require_ttl: false"
    );
    // post_cache:5..9x match no rule.
    let unmatched = (0..200u64)
        .filter(|i| matches!(i.to_string().as_bytes()[0], b'5'..=b'9'))
        .count();
    assert_eq!(doc["unmatched"], unmatched as u64);

    cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .assert()
        .code(4)
        .stdout(
            predicate::str::contains("expiry_cluster").and(predicate::str::contains("missing_ttl")),
        );
}

#[test]
fn clean_policy_exits_0() {
    let r = Redis::start();
    let mut c = r.conn();
    support::load(&mut c, (0..50).map(|i| format!("ok:{i}")), 600);
    let p = r.dir().join("ok.yaml");
    std::fs::write(
        &p,
        "rules:\n  - match: \"ok:*\"\n    require_ttl: true\n    ttl: { max: 1h }\n",
    )
    .unwrap();
    cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("no policy violations"));
}

#[test]
fn bad_policy_names_file_line_and_column() {
    let r = Redis::start();
    let p = r.dir().join("bad.yaml");
    std::fs::write(&p, "rules:\n  - match: \"x:*\"\n    requre_ttl: true\n").unwrap();
    cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(format!("{}:3:", p.display()))
                .and(predicate::str::contains("requre_ttl")),
        );
}

#[test]
fn fix_missing_ttl_touches_only_rule_keys() {
    let r = Redis::start();
    let mut c = r.conn();
    keyspace(&mut c, now_ms() + 3_600_000);
    let policy = policy_file(&r);
    let ttl =
        |c: &mut redis::Connection, k: &str| redis::cmd("TTL").arg(k).query::<i64>(c).unwrap();

    // A dry run says how many and changes nothing.
    let (code, doc) = audit_json(
        &r.url(),
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--fix-missing-ttl",
            "1h",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(4));
    assert_eq!(doc["remediation_plan"]["missing_ttl"], 10);
    assert_eq!(ttl(&mut c, "lit*eral:0"), -1);

    // More than --max-keys without --yes is refused.
    cachectl(&r.url())
        .args([
            "ttl-audit",
            "--policy",
            policy.to_str().unwrap(),
            "--fix-missing-ttl",
            "1h",
            "--max-keys",
            "5",
        ])
        .assert()
        .code(3);
    assert_eq!(ttl(&mut c, "lit*eral:0"), -1);

    let (_, doc) = audit_json(
        &r.url(),
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--fix-missing-ttl",
            "1h",
            "--yes",
            "--max-keys",
            "100000000",
            // Many small batches: each batch's changes must meet their own replies.
            "--count",
            "3",
        ],
    );
    assert_eq!(doc["remediation"]["ttl_set"], 10);
    for i in 0..10 {
        let t = ttl(&mut c, &format!("lit*eral:{i}"));
        assert!((3590..=3960).contains(&t), "1h plus up to 10%: {t}");
    }
    assert_eq!(
        ttl(&mut c, "country:C1"),
        -1,
        "its rule does not require a TTL"
    );
}

#[test]
fn spread_only_lengthens_cluster_ttls() {
    let r = Redis::start();
    let mut c = r.conn();
    let storm = now_ms() + 3_600_000;
    keyspace(&mut c, storm);
    let policy = policy_file(&r);
    let before: i64 = redis::cmd("PTTL")
        .arg("post_cache:10")
        .query(&mut c)
        .unwrap();
    let (_, doc) = audit_json(
        &r.url(),
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--spread",
            "20",
            "--yes",
            "--max-keys",
            "100000000",
            "--count",
            "16",
        ],
    );
    assert_eq!(doc["remediation"]["spread"], 500);
    let mut pttls = Vec::new();
    for i in 0..500 {
        let p: i64 = redis::cmd("PTTL")
            .arg(format!("session:{i}"))
            .query(&mut c)
            .unwrap();
        pttls.push(p as u64 + now_ms());
    }
    assert!(
        pttls.iter().all(|&at| at + 2000 >= storm),
        "never earlier than before"
    );
    assert!(
        pttls.iter().all(|&at| at <= storm + 3_600_000 / 5 + 2000),
        "at most 20% later"
    );
    let after: i64 = redis::cmd("PTTL")
        .arg("post_cache:10")
        .query(&mut c)
        .unwrap();
    assert!(
        after <= before,
        "keys outside a flagged cluster are untouched"
    );
    let (_, doc) = audit_json(&r.url(), &["--pattern", "session:*"]);
    assert!(
        doc["busiest"]["keys"].as_u64().unwrap() < 100,
        "the storm is spread: {}",
        doc["busiest"]
    );
}

#[test]
fn cluster_audit_covers_every_master() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    let storm = now_ms() + 7_200_000;
    for i in 0..300 {
        redis::cmd("SET")
            .arg(format!("aud1:s:{i}"))
            .arg("v")
            .arg("PXAT")
            .arg(storm)
            .exec(&mut c)
            .unwrap();
    }
    for i in 0..20 {
        redis::cmd("SET")
            .arg(format!("aud1:none:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    let (code, doc) = audit_json(&cluster.url(), &["--pattern", "aud1:*"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["audited"], 320);
    assert_eq!(doc["without_ttl"], 20);
    assert_eq!(doc["busiest"]["keys"], 300);
    assert_eq!(
        doc["headline"].as_array().unwrap().len(),
        3,
        "one headline row per master"
    );
}

/// CI gates on the exit code, so nothing may pass by checking nothing.
#[test]
fn a_policy_rule_that_matches_nothing_is_a_violation() {
    let r = Redis::start();
    let mut c = r.conn();
    keyspace(&mut c, now_ms() + 3_600_000);
    let p = r.dir().join("typo.yaml");
    std::fs::write(
        &p,
        "rules:\n  - family: \"post_cach:{n}\"\n    require_ttl: true\n  - match: \"*\"\n",
    )
    .unwrap();
    let (code, doc) = audit_json(&r.url(), &["--policy", p.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{doc}");
    let v = entry(&doc, "violations", "kind", "rule_matches_nothing");
    assert_eq!(v["rule"], "family post_cach:{n}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("nearest family seen is `post_cache:{n}`"),
        "{v}"
    );
    // --quick reads no key: it cannot check a policy, so it refuses to pretend.
    cachectl(&r.url())
        .args(["ttl-audit", "--quick", "--policy"])
        .arg(&p)
        .assert()
        .code(2);
}

/// A cluster several windows long is one stretch; one `--spread` run moves every key of it, so
/// the next audit finds nothing (it took three runs when only separate windows were moved).
#[test]
fn one_spread_run_clears_a_cluster_several_windows_long() {
    let r = Redis::start();
    let mut c = r.conn();
    let start = now_ms() + 3_600_000;
    let mut pipe = redis::pipe();
    for i in 0..20_000u64 {
        pipe.cmd("SET")
            .arg(format!("burst:{i}"))
            .arg("v")
            .arg("PXAT")
            .arg(start + i * 4000 / 20_000)
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let p = r.dir().join("burst.yaml");
    std::fs::write(&p, "rules:\n  - match: \"burst:*\"\n    max_cluster: 500\n").unwrap();
    let policy = p.to_str().unwrap();
    let (code, doc) = audit_json(&r.url(), &["--policy", policy]);
    assert_eq!(code, Some(4));
    let v = entry(&doc, "violations", "kind", "expiry_cluster");
    assert_eq!(
        v["keys"], 20_000,
        "every key of the stretch is concerned: {v}"
    );
    assert_eq!(v["clusters"].as_array().unwrap().len(), 1, "{v}");
    let (code, doc) = audit_json(
        &r.url(),
        &[
            "--policy",
            policy,
            "--spread",
            "20",
            "--yes",
            "--max-keys",
            "100000000",
        ],
    );
    // The audit before the fix reports the cluster; the exit says what is true after it:
    // the fix cleared the only violation, so `ttl-audit --spread … --yes && deploy` goes on.
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        entry(&doc, "violations", "kind", "expiry_cluster")["keys"],
        20_000
    );
    assert_eq!(doc["remediation"]["spread"], 20_000);
    let (code, doc) = audit_json(&r.url(), &["--policy", policy]);
    assert_eq!(
        code,
        Some(0),
        "one run must clear it: {}",
        doc["violations"]
    );
}

#[test]
fn policies_name_learned_families() {
    let r = Redis::start();
    let mut c = r.conn();
    let mut pipe = redis::pipe();
    for u in [
        "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ida", "jon", "kim", "lou",
    ] {
        for p in 0..5 {
            pipe.cmd("SET")
                .arg(format!("{u}_post_cache:{p}"))
                .arg("{}")
                .ignore();
        }
        pipe.cmd("SET")
            .arg(format!("{u}_profile"))
            .arg("{}")
            .arg("EX")
            .arg(600)
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let policy = r.dir().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - family: \"{s}_post_cache:{n}\"\n    require_ttl: true\n  - family: \"{s}_profile\"\n    ttl: { max: 5m }\n",
    )
    .unwrap();
    let (code, doc) = audit_json(&r.url(), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{doc}");
    let missing = entry(&doc, "violations", "kind", "missing_ttl");
    assert_eq!(missing["family"], "{s}_post_cache:{n}");
    assert_eq!(missing["keys"], 60);
    let above = entry(&doc, "violations", "kind", "ttl_above_max");
    assert_eq!(above["family"], "{s}_profile");
    assert_eq!(above["keys"], 12);
    assert_eq!(doc["families"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["unmatched"], 0);
}

/// #31.1: a fix never makes the violation it mends: `--fix-missing-ttl 1h` under a rule whose
/// range is 30m at most gives at most 30m, under one of 2h to 4h at least 2h (both said as
/// clamped), a rule's own `fix_ttl` wins over the flag, and the next audit passes.
#[test]
fn a_fix_stays_inside_each_rules_range() {
    let r = Redis::start();
    let mut c = r.conn();
    for prefix in ["short", "long", "own"] {
        let mut pipe = redis::pipe();
        for i in 0..50 {
            pipe.cmd("SET")
                .arg(format!("{prefix}:{i}"))
                .arg("v")
                .ignore();
        }
        pipe.exec(&mut c).unwrap();
    }
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"short:*\"\n    require_ttl: true\n    ttl: { max: 30m }\n  \
         - match: \"long:*\"\n    require_ttl: true\n    ttl: { min: 2h, max: 4h }\n  \
         - match: \"own:*\"\n    require_ttl: true\n    fix_ttl: 10m\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let doc = cachectl(&r.url())
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
        .json();
    assert_eq!(doc["remediation"]["ttl_set"], 150, "{doc}");
    assert_eq!(doc["remediation"]["clamped"], 100, "{doc}");
    let ttls = |c: &mut redis::Connection, prefix: &str| -> Vec<i64> {
        (0..50)
            .map(|i| {
                redis::cmd("TTL")
                    .arg(format!("{prefix}:{i}"))
                    .query(c)
                    .unwrap()
            })
            .collect()
    };
    assert!(
        ttls(&mut c, "short")
            .iter()
            .all(|&t| (1700..=1800).contains(&t))
    );
    assert!(
        ttls(&mut c, "long")
            .iter()
            .all(|&t| (7100..=14_400).contains(&t))
    );
    assert!(
        ttls(&mut c, "own")
            .iter()
            .all(|&t| (590..=660).contains(&t))
    );
    cachectl(&r.url())
        .args(["ttl-audit", "--policy", p, "-o", "json"])
        .json();
    // A rule whose own fix_ttl is outside its range is refused when the policy is read.
    std::fs::write(
        &policy,
        "rules:\n  - match: \"*\"\n    ttl: { max: 30m }\n    fix_ttl: 1h\n",
    )
    .unwrap();
    cachectl(&r.url())
        .args(["ttl-audit", "--policy", p])
        .fails_with(2, "fix_ttl");
}
