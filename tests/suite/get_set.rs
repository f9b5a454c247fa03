//! get and set on a standalone server: TTL forms, JSON, conditions, types, exit codes.

use crate::support;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, json_of};

fn ttl(c: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query(c).unwrap()
}

#[test]
fn set_writes_value_and_ttl_atomically() {
    let r = Redis::start();
    let mut c = r.conn();
    for (flag, secs) in [("3600", 3600), ("30m", 1800), ("1h30m", 5400)] {
        cachectl(&r.url())
            .args(["set", "post_cache:42", "hello", "--ttl", flag])
            .assert()
            .success()
            .stdout(predicate::str::contains("OK post_cache:42"));
        let t = ttl(&mut c, "post_cache:42");
        assert!(t > secs - 5 && t <= secs, "{flag}: {t}");
    }
    let v: String = redis::cmd("GET")
        .arg("post_cache:42")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, "hello");
}

#[test]
fn set_requires_a_ttl_unless_persist_is_asked_for() {
    let r = Redis::start();
    let mut c = r.conn();
    cachectl(&r.url())
        .args(["set", "k", "v"])
        .fails_with(2, "--ttl");
    assert!(!support::exists(&mut c, "k"));
    cachectl(&r.url())
        .args(["set", "k", "v", "--persist"])
        .assert()
        .success();
    assert_eq!(ttl(&mut c, "k"), -1);
    cachectl(&r.url())
        .args(["set", "k", "v", "--ttl", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'soon'").and(predicate::str::contains("--ttl")));
    cachectl(&r.url())
        .args(["set", "k", "v", "--ttl", "0"])
        .assert()
        .code(2);
}

#[test]
fn json_values_are_validated_and_normalised() {
    let r = Redis::start();
    let mut c = r.conn();
    cachectl(&r.url())
        .args([
            "set",
            "user_profile:7",
            "{ \"id\": 7,\n \"name\": \"Ana\" }",
            "--ttl",
            "1h",
            "--json",
        ])
        .assert()
        .success();
    let v: String = redis::cmd("GET")
        .arg("user_profile:7")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, r#"{"id":7,"name":"Ana"}"#);
    cachectl(&r.url())
        .args([
            "set",
            "user_profile:8",
            "{not json",
            "--ttl",
            "1h",
            "--json",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "key `user_profile:8`: not valid JSON",
        ));
    assert!(
        !support::exists(&mut c, "user_profile:8"),
        "nothing half-written"
    );
}

#[test]
fn value_from_file_and_stdin() {
    let r = Redis::start();
    let mut c = r.conn();
    let file = r.dir().join("value.json");
    std::fs::write(&file, b"[1, 2, 3]").unwrap();
    cachectl(&r.url())
        .args(["set", "all_categories", "--ttl", "1h", "--json", "--file"])
        .arg(&file)
        .assert()
        .success();
    let v: String = redis::cmd("GET")
        .arg("all_categories")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, "[1,2,3]");
    cachectl(&r.url())
        .args(["set", "from_stdin", "--ttl", "60", "-f", "-"])
        .write_stdin("piped value")
        .assert()
        .success();
    let v: String = redis::cmd("GET").arg("from_stdin").query(&mut c).unwrap();
    assert_eq!(v, "piped value");
}

#[test]
fn nx_xx_keep_ttl_and_dry_run() {
    let r = Redis::start();
    let mut c = r.conn();
    cachectl(&r.url())
        .args(["set", "k", "one", "--ttl", "100", "--xx"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("does not exist"));
    assert!(!support::exists(&mut c, "k"));
    cachectl(&r.url())
        .args(["set", "k", "one", "--ttl", "100", "--nx"])
        .assert()
        .success();
    let doc = cachectl(&r.url())
        .args(["set", "k", "two", "--ttl", "100", "--nx", "-o", "json"])
        .json_exiting(1);
    assert_eq!(doc["written"], false);
    assert_eq!(doc["reason"], "key exists (--nx)");
    cachectl(&r.url())
        .args(["set", "k", "three", "--keep-ttl", "--xx"])
        .assert()
        .success();
    let t = ttl(&mut c, "k");
    assert!(t > 90 && t <= 100, "KEEPTTL kept {t}");
    cachectl(&r.url())
        .args(["set", "k", "four", "--ttl", "5", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("would write"));
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "three");
}

#[test]
fn get_prints_raw_values_when_piped_and_json_on_request() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("post_cache:1")
        .arg(r#"{"id":1}"#)
        .arg("EX")
        .arg(100)
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("plain")
        .arg("text")
        .exec(&mut c)
        .unwrap();
    cachectl(&r.url())
        .args(["get", "post_cache:1"])
        .assert()
        .success()
        .stdout("{\"id\":1}\n");
    let out = cachectl(&r.url())
        .args(["get", "post_cache:1", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"][0].clone();
    assert_eq!(doc["key"], "post_cache:1");
    assert_eq!(doc["type"], "string");
    assert!(doc["ttl_ms"].as_u64().unwrap() <= 100_000);
    assert_eq!(doc["value"], r#"{"id":1}"#);
    let out = cachectl(&r.url())
        .args(["get", "plain", "post_cache:1", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"].clone();
    assert_eq!(
        doc[0]["ttl_ms"],
        serde_json::Value::Null,
        "no expiry is null"
    );
    assert_eq!(doc[1]["key"], "post_cache:1");
}

#[test]
fn missing_key_exits_1() {
    let r = Redis::start();
    cachectl(&r.url())
        .args(["get", "nope"])
        .fails_with(1, "key `nope` does not exist");
    let out = cachectl(&r.url())
        .args(["get", "nope", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["keys"][0]["type"], "none");
}

#[test]
fn collections_are_shown_by_type() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("HSET")
        .arg("h")
        .arg("name")
        .arg("Ana")
        .arg("role")
        .arg("admin")
        .exec(&mut c)
        .unwrap();
    redis::cmd("RPUSH")
        .arg("l")
        .arg("a")
        .arg("b")
        .arg("c")
        .exec(&mut c)
        .unwrap();
    redis::cmd("SADD")
        .arg("s")
        .arg("x")
        .arg("y")
        .exec(&mut c)
        .unwrap();
    redis::cmd("ZADD")
        .arg("z")
        .arg(2)
        .arg("two")
        .arg(1)
        .arg("one")
        .exec(&mut c)
        .unwrap();
    redis::cmd("XADD")
        .arg("st")
        .arg("1-1")
        .arg("f")
        .arg("v")
        .exec(&mut c)
        .unwrap();
    let get = |k: &str| cachectl(&r.url()).args(["get", k, "-o", "json"]).json()["keys"][0].clone();
    assert_eq!(
        get("h")["value"],
        serde_json::json!({"name": "Ana", "role": "admin"})
    );
    assert_eq!(get("l")["value"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(get("s")["value"], serde_json::json!(["x", "y"]));
    assert_eq!(
        get("z")["value"],
        serde_json::json!([{"member": "one", "score": 1.0}, {"member": "two", "score": 2.0}])
    );
    assert_eq!(get("st")["value"][0]["id"], "1-1");
    cachectl(&r.url())
        .args(["get", "h"])
        .assert()
        .success()
        .stdout(predicate::str::contains("role").and(predicate::str::contains("admin")));
    redis::cmd("RPUSH")
        .arg("big")
        .arg((0..50).collect::<Vec<i32>>())
        .exec(&mut c)
        .unwrap();
    let doc = cachectl(&r.url())
        .args(["get", "big", "--limit", "10", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["length"], 50);
    assert_eq!(doc["truncated"], true);
    assert_eq!(doc["value"].as_array().unwrap().len(), 10);
}
