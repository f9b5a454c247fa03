//! inspect: one key in depth, and keyspaces summarised by family, standalone and cluster.

mod support;

use predicates::prelude::*;
use support::{Cluster, Redis, cachectl, entry, json_of, load};

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
    let doc = json_of(
        &cachectl(&r.url())
            .args(["inspect", "post_cache:7", "-o", "json"])
            .output()
            .unwrap(),
    );
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
    let doc = json_of(
        &cachectl(&r.url())
            .args(["inspect", "country:FR", "-o", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["ttl_ms"], serde_json::Value::Null);
    cachectl(&r.url())
        .args(["inspect", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("key `nope` does not exist"));
}

#[test]
fn keyspace_by_family() {
    let r = Redis::start();
    let mut c = r.conn();
    blog(&mut c);
    let doc = json_of(
        &cachectl(&r.url())
            .args(["inspect", "--pattern", "*", "-o", "json"])
            .output()
            .unwrap(),
    );
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
    let doc = json_of(
        &cachectl(&r.url())
            .args(["inspect", "--sample", "0.25", "-o", "json"])
            .output()
            .unwrap(),
    );
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
    let doc = json_of(
        &cachectl(&cluster.url())
            .args(["inspect", "--pattern", "insp1:*", "-o", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["inspected"], 200);
    assert_eq!(doc["families"][0]["family"], "insp1:item:{n}");
    assert_eq!(doc["families"][0]["with_ttl"], 200);
    let doc = json_of(
        &cachectl(&cluster.url())
            .args(["inspect", "insp1:item:5", "-o", "json"])
            .output()
            .unwrap(),
    );
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
    let out = cachectl(&lfu.url())
        .args(["inspect", "--pattern", "*", "--hot", "1", "-o", "json"])
        .output()
        .unwrap();
    let d = json_of(&out);
    assert_eq!(d["access"], "lfu");
    assert_eq!(d["hot"][0]["key"], "k:3");
    assert!(d["hot"][0]["frequency"].as_u64().unwrap() > 1);
}
