//! invalidate-pattern on a standalone server: glob semantics, excludes, protections, guards,
//! dry runs and the JSON summary.

use crate::support;

use std::time::Duration;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, dbsize, exists, json_of, load};

fn blog_keyspace(r: &Redis) -> redis::Connection {
    let mut c = r.conn();
    load(&mut c, (1..=50).map(|i| format!("post_cache:{i}")), 600);
    load(
        &mut c,
        (1..=20).map(|i| format!("user_{i}_posts:page_1")),
        600,
    );
    load(&mut c, (1..=5).map(|i| format!("ratelimit:user_{i}")), 60);
    load(&mut c, (1..=3).map(|i| format!("arq:job:{i}")), 600);
    c
}

#[test]
fn deletes_only_matching_keys_and_reports_json() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "user_*",
            "--yes",
            "--max-keys",
            "100000000",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(doc["pattern"], "user_*");
    assert_eq!(doc["matched"], 20);
    assert_eq!(doc["deleted"], 20);
    assert_eq!(doc["scanned"], 78);
    assert!(doc["elapsed_ms"].is_u64());
    assert_eq!(dbsize(&mut c), 58);
    assert!(exists(&mut c, "post_cache:1"));
}

#[test]
fn several_patterns_give_one_report_and_each() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "user_1_*",
            "post_cache:1?",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    // One shape for one pattern or several: the sum, and each pattern's report.
    assert_eq!(doc["deleted"], 11);
    let arr = doc["patterns"].as_array().expect("each pattern's report");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["deleted"], 1);
    assert_eq!(arr[1]["deleted"], 10);
    assert_eq!(dbsize(&mut c), 78 - 11);
}

#[test]
fn glob_syntax_matches_the_server() {
    let r = Redis::start();
    let mut c = r.conn();
    let keys = [
        "keya", "keyb", "keyc", "keyd", "keyx", "key*", "key?", "keyab",
    ];
    load(&mut c, keys.iter().map(|k| k.to_string()), 600);
    let swept = |pattern: &str| -> u64 {
        let out = cachectl(&r.url())
            .args([
                "invalidate-pattern",
                pattern,
                "--dry-run",
                "-o",
                "json",
                "--show",
                "all",
            ])
            .output()
            .unwrap();
        json_of(&out)["matched"].as_u64().unwrap()
    };
    assert_eq!(swept("key?"), 7);
    assert_eq!(swept("key[a-c]"), 3);
    assert_eq!(swept("key[^x]"), 6);
    assert_eq!(swept("key\\*"), 1);
    assert_eq!(swept("key\\?"), 1);
    // Deleting the escaped literal leaves the other one-letter keys alone.
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "key\\*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .assert()
        .success();
    assert!(!exists(&mut c, "key*"));
    assert!(exists(&mut c, "keya"));
}

#[test]
fn exclude_keeps_keys_out() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "post_cache:*",
            "--exclude",
            "post_cache:1*",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    // post_cache:1, 10..19 stay.
    assert_eq!(doc["excluded"], 11);
    assert_eq!(doc["deleted"], 39);
    assert!(exists(&mut c, "post_cache:15"));
    assert!(!exists(&mut c, "post_cache:25"));
}

#[test]
fn protected_namespaces_survive_any_pattern() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "*",
            "--protect",
            "ratelimit:*",
            "--protect",
            "arq:*",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["protected"], 8);
    assert_eq!(doc["deleted"], 70);
    assert_eq!(dbsize(&mut c), 8);
    assert!(exists(&mut c, "ratelimit:user_1"));
    assert!(exists(&mut c, "arq:job:1"));
}

#[test]
fn match_everything_is_refused_without_yes() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    for pattern in ["*", "**", "?*"] {
        cachectl(&r.url())
            .args(["invalidate-pattern", pattern])
            .fails_with(3, "matches every key");
    }
    assert_eq!(dbsize(&mut c), 78);
}

#[test]
fn max_keys_is_refused_without_yes() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    cachectl(&r.url())
        .args(["invalidate-pattern", "post_cache:*", "--max-keys", "10"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "matches 50 keys, more than --max-keys 10",
        ));
    assert_eq!(dbsize(&mut c), 78, "a refused sweep deletes nothing");
    // Under the limit a script needs no --yes.
    cachectl(&r.url())
        .args(["invalidate-pattern", "post_cache:*", "--max-keys", "50"])
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 28);
}

#[test]
fn dry_run_counts_samples_and_groups_without_deleting() {
    let r = Redis::start();
    let mut c = blog_keyspace(&r);
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "*",
            "--dry-run",
            "--show",
            "all",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["matched"], 78);
    assert_eq!(doc["deleted"], 0);
    assert_eq!(doc["sample"].as_array().unwrap().len(), 78);
    let groups = doc["groups"].as_array().unwrap();
    let find = |g: &str| {
        groups
            .iter()
            .find(|x| x["group"] == g)
            .map(|x| x["keys"].as_u64().unwrap())
    };
    assert_eq!(find("post_cache"), Some(50));
    assert_eq!(
        find("user_{n}_posts"),
        Some(20),
        "many first segments roll up into shapes"
    );
    assert_eq!(find("ratelimit"), Some(5));
    assert_eq!(dbsize(&mut c), 78);

    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "post_cache:*",
            "--dry-run",
            "--show",
            "3",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("would delete")
                .and(predicate::str::contains("sample (3 of 50)")),
        );
}

#[test]
fn fixed_count_and_rate_still_delete_everything() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3000).map(|i| format!("session:{i}")), 600);
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "session:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--count",
            "7",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["deleted"], 3000);
    load(&mut c, (0..300).map(|i| format!("session:{i}")), 600);
    let started = std::time::Instant::now();
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "session:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--rate",
            "1000",
            "--count",
            "50",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["deleted"], 300);
    // 300 keys at 1000/s cannot finish much faster than 0.3 s (a bound, not a timing race).
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
}

#[test]
fn ctrl_c_stops_after_the_batch_and_exits_130() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..5000).map(|i| format!("slow:{i}")), 600);
    let args = [
        "invalidate-pattern",
        "slow:*",
        "--yes",
        "--max-keys",
        "100000000",
        "--count",
        "10",
        "--rate",
        "500",
        "-o",
        "json",
    ];
    let out = support::signalled(&r.url(), &args, Duration::from_millis(1500), libc::SIGINT);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["interrupted"], true);
    let deleted = doc["deleted"].as_u64().unwrap();
    assert!(deleted > 0 && deleted < 5000, "deleted {deleted}");
    assert_eq!(
        dbsize(&mut c),
        5000 - deleted,
        "the summary counts exactly what was deleted"
    );
    assert!(doc["cursors"][0]["cursor"].as_u64().unwrap() > 0);
}

#[test]
fn two_chains_meet_without_counting_a_key_twice() {
    // A standalone server is walked by two chains, over the even and the odd buckets. The even
    // chain's last SCAN always reads on past the seam; whatever the batch size, every key must
    // still be counted, and deleted, exactly once.
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..30_000).map(|i| format!("page:{i}")), 600);
    load(&mut c, (0..3_000).map(|i| format!("other:{i}")), 600);
    for count in ["37", "500", "4000"] {
        let doc = cachectl(&r.url())
            .args([
                "invalidate-pattern",
                "page:*",
                "--dry-run",
                "--count",
                count,
            ])
            .args(["-o", "json"])
            .json();
        assert_eq!(doc["matched"], 30_000, "--count {count}");
        let parts: Vec<&str> = doc["cursors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["part"].as_str().unwrap())
            .collect();
        assert_eq!(parts, ["even", "odd"]);
    }
    let doc = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "page:*",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["matched"], 30_000);
    assert_eq!(doc["deleted"], 30_000);
    assert_eq!(doc["scanned"], 33_000);
    assert_eq!(dbsize(&mut c), 3_000);
}

#[test]
fn resuming_by_parts_walks_each_half_of_the_table_once() {
    // What an interrupted two-chain sweep reports (a cursor per part) is what the library
    // resumes from. Resuming only the odd part, then only the even part, must delete every key
    // exactly once between them, and neither half alone may delete everything.
    use cachectl::guard::{Guards, NoOne};
    use cachectl::keys::glob::Glob;
    use cachectl::ops::sweep::{SweepOptions, sweep};
    use cachectl::progress::Silent;
    use cachectl::scan::{NodeCursor, NodeIdentity, Part};
    use cachectl::stop::Stop;

    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20_000).map(|i| format!("half:{i}")), 600);
    let (runtime, store) = support::library_store(&r.url());
    let (odd, even) = runtime.block_on(async {
        let at = |part, cursor, finished| {
            NodeCursor::at(
                store.addr(),
                NodeIdentity::default(),
                part,
                cursor,
                finished,
            )
        };
        let pattern = Glob::new("half:*");
        let run = |resume| {
            let options = SweepOptions {
                resume,
                ..SweepOptions::default()
            };
            let store = store.clone();
            let pattern = pattern.clone();
            async move {
                let yes = Guards {
                    yes: true,
                    max_keys: Some(20_000),
                };
                sweep(
                    &store,
                    &pattern,
                    &options,
                    &yes,
                    &NoOne,
                    &Stop::new(),
                    &Silent,
                    None,
                )
                .await
                .unwrap()
            }
        };
        let odd = run(vec![at(Part::Even, 0, true), at(Part::Odd, 1, false)]).await;
        let even = run(vec![at(Part::Even, 0, false), at(Part::Odd, 0, true)]).await;
        (odd.deleted, even.deleted)
    });
    assert!(odd > 5_000 && even > 5_000, "odd {odd}, even {even}");
    assert_eq!(odd + even, 20_000);
    assert_eq!(dbsize(&mut c), 0);

    // Cursors taken on another server process are not continued: the walk starts over and
    // finds every key, though the cursors say one half was done.
    load(&mut c, (0..20_000).map(|i| format!("half:{i}")), 600);
    let deleted = runtime.block_on(async {
        let other_process = NodeIdentity {
            run_id: Some("0000000000000000000000000000000000000000".into()),
            ..NodeIdentity::default()
        };
        let stale = |part, cursor, finished| {
            NodeCursor::at(store.addr(), other_process.clone(), part, cursor, finished)
        };
        let options = SweepOptions {
            resume: vec![stale(Part::Even, 0, true), stale(Part::Odd, 1, false)],
            ..SweepOptions::default()
        };
        let yes = Guards {
            yes: true,
            max_keys: Some(20_000),
        };
        sweep(
            &store,
            &Glob::new("half:*"),
            &options,
            &yes,
            &NoOne,
            &Stop::new(),
            &Silent,
            None,
        )
        .await
        .unwrap()
        .deleted
    });
    assert_eq!(deleted, 20_000);
    assert_eq!(dbsize(&mut c), 0);
}

/// The library's own entry point guards: a caller that forgets `--yes` semantics cannot sweep
/// a match-all pattern, and the refusal deletes nothing.
#[test]
fn the_library_sweep_refuses_before_deleting() {
    use cachectl::Error;
    use cachectl::guard::{Guards, NoOne};
    use cachectl::keys::glob::Glob;
    use cachectl::ops::sweep::{SweepOptions, sweep};
    use cachectl::progress::Silent;
    use cachectl::stop::Stop;

    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..50).map(|i| format!("lib:{i}")), 600);
    load(&mut c, (0..50).map(|i| format!("other:{i}")), 600);
    let (runtime, store) = support::library_store(&r.url());
    runtime.block_on(async {
        let options = SweepOptions::default();
        let guards = Guards::default();
        for (glob, max) in [("*", 10_000), ("lib:*", 10)] {
            let guards = Guards {
                max_keys: Some(max),
                ..guards
            };
            let err = sweep(
                &store,
                &Glob::new(glob),
                &options,
                &guards,
                &NoOne,
                &Stop::new(),
                &Silent,
                None,
            )
            .await
            .unwrap_err();
            assert!(matches!(err, Error::Refused(_)), "{glob}: {err}");
        }
        assert_eq!(dbsize(&mut c), 100, "a refusal deleted keys");
        let report = sweep(
            &store,
            &Glob::new("lib:*"),
            &options,
            &guards,
            &NoOne,
            &Stop::new(),
            &Silent,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            report.deleted, 50,
            "50 keys are under --max-keys: no question needed"
        );
    });
}

/// `--type` leaves the filtering to the server (`SCAN … TYPE`): only hashes go, on every
/// chain, and a dry run counts only them.
#[test]
fn only_keys_of_one_type() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3000).map(|i| format!("user_{i}")), 600);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("HSET")
            .arg(format!("user_{i}_profile"))
            .arg("name")
            .arg("x")
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "user_*",
            "--type",
            "hash",
            "--dry-run",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["matched"], 2000);
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "user_*",
            "--type",
            "hash",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["deleted"], 2000);
    assert_eq!(dbsize(&mut c), 3000, "every string is left");
    let kinds: Vec<String> = (0..3000)
        .step_by(500)
        .map(|i| {
            redis::cmd("TYPE")
                .arg(format!("user_{i}"))
                .query(&mut c)
                .unwrap()
        })
        .collect();
    assert!(kinds.iter().all(|k| k == "string"));
    let out = cachectl(&r.url())
        .args(["inspect", "--type", "string", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["inspected"], 3000);
}
