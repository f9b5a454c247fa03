//! `warm PLAN --verify` (#30.1): the cache compared with the sources a plan warms it from:
//! stale, missing, orphaned keys and TTL drift, exit 4 when they differ, nothing written unless
//! `--fix` or `--delete-orphans` asks, on SQLite, PostgreSQL and HTTP sources and a cluster.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::json;
use support::http::{HttpServer, Response};
use support::{Cluster, Redis, cachectl, dbsize, exists};
use tempfile::TempDir;

fn sqlite(db: &Path, sql: &str) {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()")
        .arg(db)
        .arg(sql)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// 20 posts cached as `post_cache:{id}`, and each author's posts collected under
/// `user_posts:{author}` by a child step.
fn blog(dir: &Path) -> PathBuf {
    let mut sql = String::from("CREATE TABLE posts (id INTEGER, author INTEGER, title TEXT);");
    for i in 1..=20 {
        sql.push_str(&format!(
            "INSERT INTO posts VALUES ({i}, {}, 'post {i}');",
            i % 4
        ));
    }
    sqlite(&dir.join("blog.db"), &sql);
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        "sources:\n  db:\n    sqlite: blog.db\nsteps:\n\
         \x20 - name: posts\n    source: db\n    query: SELECT id, author, title FROM posts ORDER BY id\n\
         \x20   key: \"post_cache:{id}\"\n    ttl: 3600\n",
    )
    .unwrap();
    plan
}

fn verify(url: &str, plan: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = cachectl(url)
        .args(["-o", "json", "warm"])
        .arg(plan)
        .arg("--verify")
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), doc, err)
}

/// A table name no other run uses.
fn unique_table() -> String {
    format!(
        "verify_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// `sql` (statements separated by `;`) run on the PostgreSQL or MariaDB at `url`.
fn run_sql(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if url.starts_with("mysql") {
            let pool = sqlx::MySqlPool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        }
    });
}

fn get(c: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(c).unwrap()
}

/// Bar 26: after a warm, verify agrees (exit 0); after 3 rows change, 1 key is deleted and 1
/// row is deleted at the source, it finds stale 3, missing 1, orphaned 1, exits 4 and writes
/// nothing; `--fix` rewrites the 4, `--delete-orphans` deletes the orphans (through the gate:
/// more than `--max-keys` is refused off a terminal), and it agrees again.
#[test]
fn verify_finds_stale_missing_and_orphaned_keys_and_writes_nothing() {
    let r = Redis::start();
    let mut c = r.conn();
    let dir = TempDir::new().unwrap();
    let plan = blog(dir.path());
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    assert_eq!(dbsize(&mut c), 20);
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["matching"], 20, "{doc}");

    // The same JSON with its keys in another order and other spacing is not stale.
    let v = get(&mut c, "post_cache:5").unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&v).unwrap();
    let reordered = format!(
        "{{ \"title\": {}, \"id\": {}, \"author\": {} }}",
        parsed["title"], parsed["id"], parsed["author"]
    );
    redis::cmd("SET")
        .arg("post_cache:5")
        .arg(&reordered)
        .arg("EX")
        .arg(3600)
        .exec(&mut c)
        .unwrap();
    // A key that lost its TTL drifts: reported, not failed.
    redis::cmd("PERSIST")
        .arg("post_cache:6")
        .exec(&mut c)
        .unwrap();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["ttl_drift"], 1, "{doc}");
    assert_eq!(
        doc["steps"][0]["verify"]["samples"]["ttl_drift"],
        json!(["post_cache:6"])
    );

    sqlite(
        &dir.path().join("blog.db"),
        "UPDATE posts SET title = 'edited' WHERE id IN (1, 2, 3); DELETE FROM posts WHERE id = 20;",
    );
    redis::cmd("DEL").arg("post_cache:4").exec(&mut c).unwrap();
    let before: Vec<Option<String>> = (1..=20)
        .map(|i| get(&mut c, &format!("post_cache:{i}")))
        .collect();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 4, "{err} {doc}");
    let v = &doc["steps"][0]["verify"];
    assert_eq!(v["stale"], 3, "{doc}");
    assert_eq!(v["missing"], 1, "{doc}");
    assert_eq!(v["orphaned"], 1, "{doc}");
    assert_eq!(v["samples"]["missing"], json!(["post_cache:4"]));
    assert_eq!(v["samples"]["orphaned"], json!(["post_cache:20"]));
    assert_eq!(doc["differs"], true);
    // Nothing written: every value as it was, the missing key still missing.
    let after: Vec<Option<String>> = (1..=20)
        .map(|i| get(&mut c, &format!("post_cache:{i}")))
        .collect();
    assert_eq!(before, after);

    // --fix writes the stale and the missing again; the orphan stays, so it still differs.
    let (code, doc, err) = verify(&r.url(), &plan, &["--fix"]);
    assert_eq!(code, 4, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["rewritten"], 4, "{doc}");
    assert!(get(&mut c, "post_cache:1").unwrap().contains("edited"));
    assert!(exists(&mut c, "post_cache:4"));
    // --delete-orphans goes through the gate: two more rows gone make three orphans, more
    // than --max-keys 2, refused off a terminal without --yes; nothing deleted.
    sqlite(
        &dir.path().join("blog.db"),
        "DELETE FROM posts WHERE id IN (18, 19);",
    );
    let (code, _, err) = verify(&r.url(), &plan, &["--delete-orphans", "--max-keys", "2"]);
    assert_eq!(code, 3, "{err}");
    assert!(exists(&mut c, "post_cache:20") && exists(&mut c, "post_cache:18"));
    let log = dir.path().join("orphans.jsonl");
    let backup = dir.path().join("orphans.cbk");
    let (code, doc, err) = verify(
        &r.url(),
        &plan,
        &[
            "--delete-orphans",
            "--yes",
            "--log",
            log.to_str().unwrap(),
            "--backup",
            backup.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(doc["orphans_deleted"], 3, "{doc}");
    assert!(!exists(&mut c, "post_cache:20"));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.lines().count(), 3, "{logged}");
    assert!(logged.contains("\"post_cache:20\""), "{logged}");
    // The backup puts the three orphans back.
    let out = cachectl(&r.url())
        .args(["-o", "json", "restore", "--yes"])
        .arg(&backup)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(exists(&mut c, "post_cache:20"));
    redis::cmd("DEL")
        .arg("post_cache:18")
        .arg("post_cache:19")
        .arg("post_cache:20")
        .exec(&mut c)
        .unwrap();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["matching"], 17);
}

/// A source that fails is an error (exit 1), never "0 stale"; and no orphans are counted off
/// a source read in part.
/// Verify reads every key back (GET) under `CLIENT NO-TOUCH` (Redis 7.2+, Valkey): the keys
/// stay as idle as they were, so a check does not make a cold cache look used.
#[test]
fn verify_leaves_idle_times_alone() {
    for (name, binary) in support::field_ttl_servers() {
        let r = support::Redis::start_binary(&binary, &[]);
        let dir = TempDir::new().unwrap();
        let plan = blog(dir.path());
        cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
        std::thread::sleep(std::time::Duration::from_millis(3100));
        let (code, doc, err) = verify(&r.url(), &plan, &[]);
        assert_eq!(code, 0, "{name}: {doc} {err}");
        let mut c = r.conn();
        let idle: i64 = redis::cmd("OBJECT")
            .arg("IDLETIME")
            .arg("post_cache:7")
            .query(&mut c)
            .unwrap();
        assert!(idle >= 2, "{name}: idle {idle} s after the verify");
    }
}

#[test]
fn a_failing_source_is_an_error_not_an_agreement() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = blog(dir.path());
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    std::fs::write(dir.path().join("blog.db"), "not a database").unwrap();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 1, "{err} {doc}");
    assert_eq!(
        doc["steps"][0]["verify"]["orphaned"].as_u64().unwrap_or(0),
        0,
        "{doc}"
    );
}

/// An HTTP source and a nested `for_each` child, and a family whose keys share a prefix with
/// another's (`user:{id}` does not claim `user:{id}:posts`).
#[test]
fn verify_reads_http_sources_and_children() {
    let api = HttpServer::start(|req| match req.path.as_str() {
        "/users" => {
            Response::json(json!({"items": [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]}))
        }
        p if p.starts_with("/users/") => {
            let id: u64 = p
                .trim_start_matches("/users/")
                .trim_end_matches("/posts")
                .parse()
                .unwrap();
            Response::json(json!({"items": [{"post": id * 10}]}))
        }
        _ => Response::json(json!({})),
    });
    let r = Redis::start();
    let mut c = r.conn();
    let dir = TempDir::new().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  api:\n    http:\n      base_url: {}\nsteps:\n\
             \x20 - name: users\n    source: api\n    request: {{ path: /users, items: /items }}\n\
             \x20   key: \"user:{{id}}\"\n    ttl: 600\n    for_each:\n\
             \x20     - name: posts\n        source: api\n        request: {{ path: \"/users/{{id}}/posts\", items: /items }}\n\
             \x20       key: \"user:{{id}}:posts\"\n        value: collect\n        ttl: 600\n",
            api.url()
        ),
    )
    .unwrap();
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    assert_eq!(dbsize(&mut c), 4);
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    redis::cmd("SET")
        .arg("user:2:posts")
        .arg("[]")
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("user:9")
        .arg("{}")
        .exec(&mut c)
        .unwrap();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 4, "{err} {doc}");
    let step = |name: &str| {
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(step("posts")["verify"]["stale"], 1, "{doc}");
    assert_eq!(step("posts")["verify"]["orphaned"], 0, "{doc}");
    assert_eq!(step("users")["verify"]["orphaned"], 1, "{doc}");
    assert_eq!(
        step("users")["verify"]["samples"]["orphaned"],
        json!(["user:9"])
    );
}

/// PostgreSQL rows, verified on every master of a cluster.
#[test]
fn verify_postgres_rows_against_a_cluster() {
    let Some(url) = std::env::var("CACHECTL_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        support::skip_unless_ci("CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let table = unique_table();
    run_sql(
        &url,
        &format!(
            "CREATE TABLE {table} (id INT8, name TEXT); INSERT INTO {table} SELECT g, 'n' || g FROM generate_series(1, 300) g"
        ),
    );
    let cluster = Cluster::shared();
    let dir = TempDir::new().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  pg:\n    url: {url}\nsteps:\n  - name: rows\n    source: pg\n\
             \x20   query: SELECT id, name FROM {table}\n    key: \"{table}:{{id}}\"\n    ttl: 600\n"
        ),
    )
    .unwrap();
    cachectl(&cluster.url())
        .arg("warm")
        .arg(&plan)
        .assert()
        .success();
    let (code, doc, err) = verify(&cluster.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["matching"], 300, "{doc}");
    run_sql(
        &url,
        &format!("UPDATE {table} SET name = 'x' WHERE id <= 7; DELETE FROM {table} WHERE id > 295"),
    );
    let (code, doc, err) = verify(&cluster.url(), &plan, &[]);
    run_sql(&url, &format!("DROP TABLE {table}"));
    assert_eq!(code, 4, "{err} {doc}");
    assert_eq!(doc["steps"][0]["verify"]["stale"], 7, "{doc}");
    assert_eq!(doc["steps"][0]["verify"]["orphaned"], 5, "{doc}");
    assert_eq!(
        cluster
            .count_per_node(&format!("{table}:*"))
            .iter()
            .sum::<usize>(),
        300,
        "verify wrote or deleted"
    );
}

/// A MariaDB source, as bar 26's scenario on SQLite: agreement after a warm; stale, missing
/// and orphaned keys found and nothing written; `--fix --delete-orphans` mends them all.
#[test]
fn verify_mariadb_rows_finds_each_difference() {
    let Some(url) = std::env::var("CACHECTL_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        support::skip_unless_ci("CACHECTL_TEST_MYSQL_URL is not set");
        return;
    };
    let table = unique_table();
    run_sql(
        &url,
        &format!("CREATE TABLE {table} (id BIGINT, name TEXT)"),
    );
    let rows: Vec<String> = (1..=100).map(|i| format!("({i}, 'n{i}')")).collect();
    run_sql(
        &url,
        &format!("INSERT INTO {table} VALUES {}", rows.join(", ")),
    );
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  my:\n    url: {url}\nsteps:\n  - name: rows\n    source: my\n\
             \x20   query: SELECT id, name FROM {table}\n    key: \"{table}:{{id}}\"\n    ttl: 600\n"
        ),
    )
    .unwrap();
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    assert_eq!(code, 0, "{err} {doc}");
    run_sql(
        &url,
        &format!("UPDATE {table} SET name = 'x' WHERE id <= 4; DELETE FROM {table} WHERE id > 98"),
    );
    let mut c = r.conn();
    let _: () = redis::cmd("DEL")
        .arg(format!("{table}:50"))
        .query(&mut c)
        .unwrap();
    let before = dbsize(&mut c);
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    let v = &doc["steps"][0]["verify"];
    assert_eq!(code, 4, "{err} {doc}");
    assert_eq!(
        (v["stale"].as_u64(), v["missing"].as_u64()),
        (Some(4), Some(1)),
        "{doc}"
    );
    assert_eq!(v["orphaned"], 2, "{doc}");
    assert_eq!(dbsize(&mut c), before, "verify wrote or deleted");
    assert_eq!(
        get(&mut c, &format!("{table}:1")).as_deref(),
        Some(r#"{"id":1,"name":"n1"}"#)
    );
    let (code, doc, err) = verify(&r.url(), &plan, &["--fix", "--delete-orphans", "--yes"]);
    assert_eq!(code, 0, "{err} {doc}");
    let (code, doc, err) = verify(&r.url(), &plan, &[]);
    run_sql(&url, &format!("DROP TABLE {table}"));
    assert_eq!(code, 0, "{err} {doc}");
    assert_eq!(dbsize(&mut c), 98);
    assert_eq!(
        get(&mut c, &format!("{table}:1")).as_deref(),
        Some(r#"{"id":1,"name":"x"}"#)
    );
}
