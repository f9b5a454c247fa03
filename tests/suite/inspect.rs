//! inspect: one key in depth, and keyspaces summarised by family, standalone and cluster.

use crate::support;

use predicates::prelude::*;
use support::{Cluster, Redis, Run, cachectl, entry, json_of, load};

fn blog(c: &mut dyn redis::ConnectionLike) {
    let mut pipe = redis::pipe();
    for i in 0..300 {
        pipe.cmd("SET")
            .arg(format!("post_cache:{i}"))
            .arg(format!("{{\"id\":{i}}}"))
            .arg("EX")
            .arg(1800)
            .ignore();
    }
    for i in 0..100 {
        pipe.cmd("SET")
            .arg(format!("user_{i}_posts:page_1"))
            .arg("[1,2,3]")
            .arg("EX")
            .arg(600)
            .ignore();
    }
    for code in ["FR", "DE", "ES", "IT"] {
        pipe.cmd("SET")
            .arg(format!("country:{code}"))
            .arg("{}")
            .ignore();
    }
    pipe.exec(c).unwrap();
}

fn memory_sum(c: &mut redis::Connection, pattern: &str) -> u64 {
    let keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query(c).unwrap();
    keys.iter()
        .map(|k| {
            redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(k)
                .query::<u64>(c)
                .unwrap()
        })
        .sum()
}

#[test]
fn one_key_in_depth() {
    let r = Redis::start();
    let mut c = r.conn();
    blog(&mut c);
    let doc = cachectl(&r.url())
        .args(["inspect", "post_cache:7", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["type"], "string");
    assert_eq!(doc["encoding"], "embstr");
    let ttl = doc["ttl_ms"].as_u64().unwrap();
    assert!(ttl > 1_790_000 && ttl <= 1_800_000);
    assert!(doc["expires_at"].as_str().unwrap().ends_with('Z'));
    let mem: u64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg("post_cache:7")
        .query(&mut c)
        .unwrap();
    assert_eq!(doc["memory_bytes"], mem);
    assert_eq!(
        doc["preview"],
        serde_json::json!({"id": 7}),
        "JSON values are parsed"
    );
    let doc = cachectl(&r.url())
        .args(["inspect", "country:FR", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["ttl_ms"], serde_json::Value::Null);

    // Per-field TTLs where the server has them (Redis 7.4, Valkey 9), asked, never assumed.
    redis::cmd("HSET")
        .arg("profile:1")
        .arg(&["name", "ann", "token", "t", "theme", "dark"])
        .exec(&mut c)
        .unwrap();
    let info: redis::Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("HPEXPIRE")
        .query(&mut c)
        .unwrap();
    let per_field =
        matches!(&info, redis::Value::Array(v) if v.iter().any(|x| *x != redis::Value::Nil));
    if per_field {
        redis::cmd("HPEXPIRE")
            .arg("profile:1")
            .arg(60_000)
            .arg("FIELDS")
            .arg(1)
            .arg("token")
            .exec(&mut c)
            .unwrap();
    }
    let doc = cachectl(&r.url())
        .args(["inspect", "profile:1", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["type"], "hash");
    if per_field {
        assert_eq!(doc["field_ttls"]["fields"], 3, "{doc}");
        assert_eq!(doc["field_ttls"]["with_ttl"], 1);
        assert!(doc["field_ttls"]["max_ms"].as_u64().unwrap() <= 60_000);
    } else {
        assert!(doc.get("field_ttls").is_none(), "{doc}");
    }
    cachectl(&r.url())
        .args(["inspect", "nope"])
        .fails_with(1, "key `nope` does not exist");
}

#[test]
fn keyspace_by_family() {
    let r = Redis::start();
    let mut c = r.conn();
    blog(&mut c);
    let doc = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "json"])
        .json();
    assert_eq!(doc["inspected"], 404);
    let fam = |name: &str| entry(&doc, "families", "family", name);
    let posts = fam("post_cache:{n}");
    assert_eq!(posts["keys"], 300);
    assert_eq!(posts["with_ttl"], 300);
    assert_eq!(posts["without_ttl"], 0);
    assert_eq!(posts["memory_bytes"], memory_sum(&mut c, "post_cache:*"));
    assert!(posts["ttl_min_s"].as_u64().unwrap() >= 1790);
    assert_eq!(posts["types"]["string"], 300);
    let users = fam("user_{n}_posts:page_{n}");
    assert_eq!(users["keys"], 100);
    let countries = fam("country:{s}");
    assert_eq!(countries["keys"], 4);
    assert_eq!(countries["without_ttl"], 4);
    // Sorted by memory, largest first.
    assert_eq!(doc["families"][0]["family"], "post_cache:{n}");
    assert_eq!(doc["total"]["keys"], 404);
}

#[test]
fn grouping_options() {
    let r = Redis::start();
    let mut c = r.conn();
    blog(&mut c);
    let families = |args: &[&str]| -> Vec<(String, u64)> {
        let mut cmd = cachectl(&r.url());
        cmd.args(["inspect", "-o", "json"]).args(args);
        if !args.contains(&"--top") {
            cmd.args(["--top", "1000"]);
        }
        let doc = json_of(&cmd.output().unwrap());
        doc["families"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["family"].as_str().unwrap().to_string(),
                    f["keys"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let by_prefix = families(&["--group-by", "prefix"]);
    assert!(by_prefix.contains(&("post_cache".to_string(), 300)));
    assert!(by_prefix.contains(&("user_7_posts".to_string(), 1)));
    let by_regex = families(&["--family", "^(user)_"]);
    assert!(by_regex.contains(&("user".to_string(), 100)));
    let shallow = families(&["--pattern", "post_cache:*", "--family-depth", "1"]);
    assert_eq!(shallow, vec![("post_cache:*".to_string(), 300)]);
    let top1 = families(&["--top", "1"]);
    assert_eq!(top1.len(), 2, "one family and the rest folded: {top1:?}");
    assert_eq!(top1[1], ("(other families)".to_string(), 104));
    cachectl(&r.url())
        .args(["inspect", "--family", "(unclosed"])
        .assert()
        .code(2);
}

#[test]
fn sampling_scales_counts() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..4000).map(|i| format!("s:{i}")), 600);
    let doc = cachectl(&r.url())
        .args(["inspect", "--sample", "0.25", "-o", "json"])
        .json();
    let inspected = doc["inspected"].as_u64().unwrap();
    assert!(
        (800..1200).contains(&inspected),
        "about a quarter inspected: {inspected}"
    );
    let scaled = doc["total"]["keys"].as_u64().unwrap();
    assert!((3200..4800).contains(&scaled), "scaled back up: {scaled}");
    assert_eq!(doc["sample_rate"], 0.25);
    cachectl(&r.url())
        .args(["inspect", "--sample", "0"])
        .assert()
        .code(2);
}

#[test]
fn cluster_keyspace_counts_every_master() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    for i in 0..200 {
        redis::cmd("SET")
            .arg(format!("insp1:item:{i}"))
            .arg("v")
            .arg("EX")
            .arg(900)
            .exec(&mut c)
            .unwrap();
    }
    let doc = cachectl(&cluster.url())
        .args(["inspect", "--pattern", "insp1:*", "-o", "json"])
        .json();
    assert_eq!(doc["inspected"], 200);
    assert_eq!(doc["families"][0]["family"], "insp1:item:{n}");
    assert_eq!(doc["families"][0]["with_ttl"], 200);
    let doc = cachectl(&cluster.url())
        .args(["inspect", "insp1:item:5", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["type"], "string");
}

/// `--cold` and `--hot`: idle time per family read before anything touches the keys, the
/// keys idle longer than the threshold, and the least idle keys; under an LFU policy, access
/// frequencies instead.
#[test]
fn cold_and_hot_keys_per_family() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..10 {
        redis::cmd("SET")
            .arg(format!("a:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    for i in 0..4 {
        redis::cmd("SET")
            .arg(format!("b:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(2200));
    for k in ["a:1", "a:2"] {
        redis::cmd("GET").arg(k).exec(&mut c).unwrap();
    }
    let doc = |r: &Redis| {
        let out = cachectl(&r.url())
            .args([
                "inspect",
                "--pattern",
                "*",
                "--cold",
                "1s",
                "--hot",
                "2",
                "-o",
                "json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        json_of(&out)
    };
    let d = doc(&r);
    assert_eq!(d["access"], "idle");
    assert_eq!(d["cold_after_s"], 1);
    let fam = |d: &serde_json::Value, name: &str| {
        d["families"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["family"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(fam(&d, "a:{n}")["cold_keys"], 8);
    assert_eq!(fam(&d, "b:{n}")["cold_keys"], 4);
    let hot: Vec<&str> = d["hot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(hot, ["a:1", "a:2"]);
    // Inspecting touched nothing: the same answer again.
    let again = doc(&r);
    assert_eq!(fam(&again, "a:{n}")["cold_keys"], 8);

    let lfu = Redis::start_with(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lfu"]);
    let mut c = lfu.conn();
    for i in 0..5 {
        redis::cmd("SET")
            .arg(format!("k:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    for _ in 0..50 {
        redis::cmd("GET").arg("k:3").exec(&mut c).unwrap();
    }
    let d = cachectl(&lfu.url())
        .args(["inspect", "--pattern", "*", "--hot", "1", "-o", "json"])
        .json();
    assert_eq!(d["access"], "lfu");
    assert_eq!(d["hot"][0]["key"], "k:3");
    assert!(d["hot"][0]["frequency"].as_u64().unwrap() > 1);
}

/// The FastAPI boilerplate's keys put the user name first: one family per user by shape,
/// one family per key shape once learned from the variety of names.
fn boilerplate_users(c: &mut redis::Connection, users: usize) {
    let mut pipe = redis::pipe();
    for u in 0..users {
        // Names, not numbers: the shape alone cannot tell them from words.
        let name: String = format!("user{}", u)
            .chars()
            .map(|ch| match ch.to_digit(10) {
                Some(d) => (b'a' + d as u8) as char,
                None => ch,
            })
            .collect();
        for p in 0..3 {
            pipe.cmd("SET")
                .arg(format!("{name}_post_cache:{p}"))
                .arg("{}")
                .arg("EX")
                .arg(600)
                .ignore();
        }
        pipe.cmd("SET")
            .arg(format!("{name}_posts:page_1:items_per_page:10:{name}"))
            .arg("[]")
            .ignore();
    }
    pipe.cmd("SET")
        .arg("recent_posts:global")
        .arg("[]")
        .ignore();
    pipe.cmd("SET")
        .arg("recent_users:global")
        .arg("[]")
        .ignore();
    pipe.exec(c).unwrap();
}

#[test]
fn families_are_learned_from_the_variety_of_user_names() {
    let r = Redis::start();
    let mut c = r.conn();
    boilerplate_users(&mut c, 400);
    let run = || {
        let out = cachectl(&r.url())
            .args(["inspect", "-o", "json", "--top", "50"])
            .output()
            .unwrap();
        assert!(out.status.success());
        json_of(&out)
    };
    let doc = run();
    let names: Vec<&str> = doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["family"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    let posts = entry(&doc, "families", "family", "{s}_post_cache:{n}");
    assert_eq!(posts["keys"], 1200);
    assert_eq!(posts["with_ttl"], 1200);
    assert_eq!(posts["examples"].as_array().unwrap().len(), 3);
    for e in posts["examples"].as_array().unwrap() {
        assert!(e.as_str().unwrap().contains("_post_cache:"), "{e}");
    }
    let pages = entry(
        &doc,
        "families",
        "family",
        "{s}_posts:page_{n}:items_per_page:{n}:{s}",
    );
    assert_eq!(pages["keys"], 400);
    assert_eq!(pages["without_ttl"], 400);
    // Two words in one place are two families, not a variable.
    assert_eq!(
        entry(&doc, "families", "family", "recent_posts:global")["keys"],
        1
    );
    assert_eq!(
        entry(&doc, "families", "family", "recent_users:global")["keys"],
        1
    );
    // The same names run after run.
    let again = run();
    let mut a: Vec<_> = names.iter().map(|s| s.to_string()).collect();
    let mut b: Vec<String> = again["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["family"].as_str().unwrap().to_string())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // A dry run's groups fold the same way.
    let dry = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "*_post_cache:*",
            "--dry-run",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(dry["matched"], 1200);
    assert_eq!(
        entry(&dry, "groups", "group", "{s}_post_cache")["keys"],
        1200
    );

    // A few users are a few families: not enough variety to call the name a variable.
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    boilerplate_users(&mut c, 4);
    let doc = run();
    assert_eq!(doc["families"].as_array().unwrap().len(), 4 * 2 + 2);

    // Text output names a learned family's keys.
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    boilerplate_users(&mut c, 50);
    cachectl(&r.url())
        .args(["inspect"])
        .assert()
        .success()
        .stdout(predicate::str::contains("{s}_post_cache:{n}: e.g. "));
}

/// SCAN returns keys twice when the server shrinks its table in the middle of a walk (a mass
/// deletion just behind it): inspect and ttl-audit count each key once all the same.
#[test]
fn a_table_shrinking_mid_walk_counts_no_key_twice() {
    let r = Redis::start();
    let mut c = r.conn();
    for round in 0..8 {
        redis::cmd("FLUSHALL").exec(&mut c).unwrap();
        load(&mut c, (0..5_000).map(|i| format!("keep:{i}")), 600);
        load(&mut c, (0..120_000).map(|i| format!("del:{i}")), 600);
        let command = if round % 2 == 0 {
            "inspect"
        } else {
            "ttl-audit"
        };
        let walk = support::spawn(
            &r.url(),
            &[
                command,
                "--pattern",
                "keep:*",
                "--count",
                "50",
                "--rate",
                "6000",
                "-o",
                "json",
            ],
        );
        // The table (2^17 buckets) shrinks to 2^13 once 120,000 of its keys are gone.
        std::thread::sleep(std::time::Duration::from_millis(250));
        let del: Vec<String> = (0..120_000).map(|i| format!("del:{i}")).collect();
        for chunk in del.chunks(10_000) {
            redis::cmd("UNLINK").arg(chunk).exec(&mut c).unwrap();
        }
        let out = walk.wait_with_output().unwrap();
        assert!(out.status.success(), "round {round}");
        let field = if command == "inspect" {
            "inspected"
        } else {
            "audited"
        };
        assert_eq!(json_of(&out)[field], 5_000, "round {round}: {command}");
    }
}

/// #31.7: at 120 columns a family's name has the width before the size columns: where the
/// names would be cut to keep p50, p99 and the biggest key, those give way; where the names
/// fit, they stay.
#[test]
fn family_names_have_the_width_before_the_size_columns() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20).map(|i| format!("post:{i}")), 600);
    let table = |url: &str| {
        let out = cachectl(url)
            .env("COLUMNS", "120")
            .args(["-o", "table", "inspect", "--pattern", "*"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let short = table(&r.url());
    assert!(
        short.contains("p50") && short.contains("biggest key"),
        "{short}"
    );
    let long = "analytics_dashboard_widget_snapshot:region:eu:panel";
    load(&mut c, (0..20).map(|i| format!("{long}_{i}")), 600);
    let shown = table(&r.url());
    assert!(
        !shown.contains("p50") && !shown.contains("biggest key"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{long}_{{n}}")),
        "the name was cut: {shown}"
    );
}
