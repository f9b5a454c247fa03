//! Every command's `-o json` document against its JSON Schema in `docs/schema/` (#20.1). The
//! schemas use a small part of JSON Schema (type, required, properties, items, enum, const,
//! minimum, maximum), which this file checks itself rather than pull a validator crate in.

use crate::support;

use serde_json::Value;
use support::{Redis, cachectl, json_of, load};

fn schema(name: &str) -> Value {
    let path = format!("{}/docs/schema/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// Where `v` breaks `s`, as a path and a reason.
fn check(v: &Value, s: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(v, t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_ok(v, t)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: {v} is not {t}"));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    if let (Some(max), Some(n)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64())
        && n > max
    {
        errors.push(format!("{at}: {n} > {max}"));
    }
    if let Some(req) = s.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if v.get(r).is_none() {
                errors.push(format!("{at}: no `{r}`"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        s.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for (k, ps) in props {
            if let Some(x) = obj.get(k) {
                check(x, ps, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(x, items, &format!("{at}[{i}]"), errors);
        }
    }
}

pub fn conforms(name: &str, doc: &Value) {
    let mut errors = Vec::new();
    check(doc, &schema(name), "$", &mut errors);
    assert!(errors.is_empty(), "{name}: {errors:?}\n{doc}");
}

fn json(r: &Redis, args: &[&str]) -> Value {
    let out = cachectl(&r.url())
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    json_of(&out)
}

#[test]
fn every_command_prints_its_schema() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20).map(|i| format!("post_cache:{i}")), 600);
    redis::cmd("SET")
        .arg("plain")
        .arg("v")
        .exec(&mut c)
        .unwrap();
    conforms("get", &json(&r, &["get", "post_cache:1"]));
    conforms("get", &json(&r, &["get", "post_cache:1", "nope"]));
    conforms("set", &json(&r, &["set", "k", "v", "--ttl", "60"]));
    conforms("inspect-keys", &json(&r, &["inspect", "post_cache:1"]));
    conforms("inspect", &json(&r, &["inspect", "--pattern", "*"]));
    conforms("ttl-audit", &json(&r, &["ttl-audit"]));
    let file = r.dir().join("b.cbk");
    conforms(
        "backup",
        &json(&r, &["backup", "post_cache:*", file.to_str().unwrap()]),
    );
    conforms(
        "restore",
        &json(&r, &["restore", file.to_str().unwrap(), "--dry-run"]),
    );
    conforms(
        "invalidate",
        &json(&r, &["invalidate", "post_cache:1", "--yes"]),
    );
    for patterns in [&["post_cache:*"][..], &["post_cache:1*", "plain"]] {
        let mut args = vec!["invalidate-pattern"];
        args.extend(patterns);
        args.extend(["--yes", "--max-keys", "1000"]);
        conforms("invalidate-pattern", &json(&r, &args));
    }
    conforms("doctor", &json(&r, &["doctor"]));
    let plan = r.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        "sources:\n  db:\n    sqlite: t.db\n    init: t.sql\nsteps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"w:{id}\"\n    ttl: 60\n",
    )
    .unwrap();
    std::fs::write(r.dir().join("t.sql"), "CREATE TABLE t (id INTEGER);").unwrap();
    conforms("warm", &json(&r, &["warm", plan.to_str().unwrap()]));
    let cfg = r.dir().join("c.yaml");
    std::fs::write(&cfg, format!("targets:\n  t: {{ url: \"{}\" }}\n", r.url())).unwrap();
    let out = cachectl(&r.url())
        .env("CACHECTL_CONFIG", &cfg)
        .args(["targets", "-o", "json"])
        .output()
        .unwrap();
    conforms("targets", &json_of(&out));
    conforms("error", &json(&r, &["get", "--no-such-flag"]));
    // watch: one document per interval, each of the schema.
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .exec(&mut c)
        .unwrap();
    let out = cachectl(&r.url())
        .args([
            "watch",
            "--interval",
            "200ms",
            "--duration",
            "500ms",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    for l in lines {
        conforms("watch", &serde_json::from_str(l).unwrap());
    }
}
