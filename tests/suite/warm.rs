//! warm: the demo plan, every source kind against real servers, values byte for byte as the
//! application reads them, TTL jitter bounds, nested steps, and every error path.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use predicates::prelude::*;
use serde_json::json;
use support::http::{HttpServer, Response};
use support::{Cluster, Mariadb, Redis, Run, cachectl, dbsize, entry, json_of};
use tempfile::TempDir;

fn get(c: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(c).unwrap()
}

fn ttl(c: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query(c).unwrap()
}

/// The demo plan and its data, copied so the test writes its database elsewhere.
fn demo_copy() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("warmers");
    for f in ["demo.yaml", "demo.sql"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        src.join("data/trending.json"),
        dir.path().join("data/trending.json"),
    )
    .unwrap();
    let plan = dir.path().join("demo.yaml");
    (dir, plan)
}

fn write_plan(dir: &Path, yaml: &str) -> PathBuf {
    let p = dir.join("plan.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

fn sqlite_db(dir: &Path, sql: &str) {
    let db = dir.join("t.db");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()")
        .arg(&db)
        .arg(sql)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The demo's TTL policy (`warmers/ttl-policy.yaml`, which the README's ttl-audit examples
/// use) holds for what the demo plan writes, and catches a key that lost its TTL; its rule's
/// `fix_ttl` puts one back within the rule's range.
#[test]
fn the_demo_policy_holds_for_the_demo_cache() {
    let r = Redis::start();
    let (_dir, plan) = demo_copy();
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("warmers/ttl-policy.yaml");
    let audit = |extra: &[&str]| {
        let mut cmd = cachectl(&r.url());
        cmd.args(["ttl-audit", "-o", "json", "--policy"])
            .arg(&policy)
            .args(extra);
        cmd
    };
    let doc = audit(&[]).json();
    assert_eq!(doc["violations"], json!([]), "{doc}");
    let mut c = r.conn();
    let _: () = redis::cmd("PERSIST")
        .arg("country:FR")
        .query(&mut c)
        .unwrap();
    let doc = audit(&[]).json_exiting(4);
    assert_eq!(doc["violations"][0]["kind"], "missing_ttl", "{doc}");
    audit(&["--fix-missing-ttl", "1h", "--yes"]).json();
    let left = ttl(&mut c, "country:FR");
    assert!(
        (20 * 3600..=28 * 3600).contains(&left),
        "the rule's fix_ttl: {left}"
    );
    audit(&[]).json();
}

#[test]
fn demo_plan_writes_the_three_warmers() {
    let r = Redis::start();
    let (_dir, plan) = demo_copy();
    let out = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    let step = |name: &str| entry(&doc, "steps", "step", name);
    assert_eq!(step("countries")["keys"], 10);
    assert_eq!(step("popular_posts")["keys"], 100);
    assert_eq!(step("active_users")["keys"], 25);
    assert_eq!(step("user_posts")["keys"], 25);
    assert_eq!(step("user_posts")["rows"], 250);
    // A child runs once per parent row, several at once: its time is its span, within the
    // plan's, not the sum of its 25 runs.
    for s in doc["steps"].as_array().unwrap() {
        assert!(
            s["elapsed_ms"].as_u64() <= doc["elapsed_ms"].as_u64(),
            "{} took longer than the plan: {doc}",
            s["step"]
        );
    }

    let mut c = r.conn();
    // Byte for byte what json.loads in the application gets.
    assert_eq!(
        get(&mut c, "country:FR").unwrap(),
        r#"{"code":"FR","name":"France","currency":"EUR"}"#
    );
    let cats: serde_json::Value =
        serde_json::from_str(&get(&mut c, "all_categories").unwrap()).unwrap();
    assert_eq!(
        cats[0],
        json!({"id": 1, "name": "Engineering", "slug": "engineering"})
    );
    assert_eq!(cats.as_array().unwrap().len(), 5);
    let topics: serde_json::Value =
        serde_json::from_str(&get(&mut c, "trending_topics").unwrap()).unwrap();
    assert_eq!(topics[0], "rust");
    // The most viewed post (views = i*7919 % 10007 is largest at i = 393).
    let post: serde_json::Value =
        serde_json::from_str(&get(&mut c, "post_cache:393").unwrap()).unwrap();
    assert_eq!(post["views"], 9997);
    assert_eq!(
        post["tags"],
        json!(["tag1", "tag8"]),
        "json_columns are nested"
    );
    let posts: serde_json::Value =
        serde_json::from_str(&get(&mut c, "user_2_posts:page_1").unwrap()).unwrap();
    let posts = posts.as_array().unwrap();
    assert_eq!(posts.len(), 10);
    assert_eq!(
        posts[0]["id"], 951,
        "latest first, bound to the parent's id"
    );
    assert!(
        get(&mut c, "user_profile:1").is_none(),
        "user 1 was not active in the last day"
    );
    // TTLs within the 10% jitter.
    let t = ttl(&mut c, "country:FR");
    assert!((77_760..=95_040).contains(&t), "{t}");
    let t = ttl(&mut c, "trending_topics");
    assert!((540..=660).contains(&t), "{t}");
    let spread: std::collections::HashSet<i64> = (0..10)
        .map(|_| ())
        .zip(["FR", "DE", "ES", "IT", "GB", "US", "JP", "BR", "IN", "CA"])
        .map(|(_, k)| ttl(&mut c, &format!("country:{k}")))
        .collect();
    assert!(spread.len() > 3, "jitter spreads expiries: {spread:?}");
}

#[test]
fn dry_run_and_check_touch_nothing() {
    let r = Redis::start();
    let (_dir, plan) = demo_copy();
    let doc = cachectl(&r.url())
        .args(["warm", "--dry-run", "-o", "json"])
        .arg(&plan)
        .json();
    assert_eq!(doc["dry_run"], true);
    let countries = &doc["steps"][0];
    assert_eq!(countries["keys"], 10);
    assert_eq!(countries["preview"].as_array().unwrap().len(), 3);
    assert!(
        countries["preview"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("country:")
    );
    let mut c = r.conn();
    assert_eq!(dbsize(&mut c), 0);
    // A dry run needs no Redis at all.
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--dry-run"])
        .arg(&plan)
        .assert()
        .success();

    cachectl(&r.url())
        .args(["warm", "--check"])
        .arg(&plan)
        .assert()
        .success();
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--check", "--offline"])
        .arg(&plan)
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn check_finds_templates_that_use_missing_columns() {
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a');",
    );
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id, name FROM t\n    key: \"x:{slug}\"\n    ttl: 60\n",
    );
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--check"])
        .arg(&plan)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "`{slug}` is not a column of the query",
        ));
}

#[test]
fn invalid_plans_are_rejected_with_location_before_anything_runs() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);",
    );
    let cases = [
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: nope\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n    ttl: 60\n",
            ":6:",
            "steps[0].source",
        ),
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n    tll: 60\n",
            ":9:",
            "tll",
        ),
        (
            "sources:\n  db:\n    url: ${NOT_SET_VAR_X}\nsteps:\n  - name: s\n    source: db\n    query: SELECT 1\n    key: x\n    ttl: 60\n",
            ":3:",
            "NOT_SET_VAR_X is not set",
        ),
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id\"\n    ttl: 60\n",
            ":8:",
            "unclosed",
        ),
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n",
            ":5:",
            "no ttl",
        ),
        // A value of the wrong type names its field, not a Rust type.
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n    ttl: true\n",
            ":9:",
            "ttl: invalid type: boolean `true`, expected a number, or text such as 1h",
        ),
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n    ttl: 60\n    value: 7\n",
            ":10:",
            "value: expected row, collect",
        ),
        // Value templates are parsed with the plan, so a typo fails before any row.
        (
            "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"x:{id}\"\n    ttl: 60\n    value: {template: {a: \"{id\"}}\n",
            ":10:",
            "steps[0].value.template",
        ),
    ];
    for (yaml, line, needle) in cases {
        let plan = write_plan(dir.path(), yaml);
        for check in [&[][..], &["--check", "--offline"][..]] {
            cachectl(&r.url())
                .args(["warm"])
                .args(check)
                .arg(&plan)
                .env_remove("NOT_SET_VAR_X")
                .assert()
                .code(2)
                .stderr(
                    predicate::str::contains(format!("{}{line}", plan.display()))
                        .and(predicate::str::contains(needle)),
                );
        }
    }
    let mut c = r.conn();
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn a_failing_step_is_reported_and_others_continue() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER, slug TEXT); INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, 'c');",
    );
    let yaml = "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: bad\n    source: db\n    query: SELECT id, slug FROM t ORDER BY id\n    key: \"x:{slug}\"\n    ttl: 60\n    batch: 1\n  - name: good\n    source: db\n    query: SELECT id FROM t\n    key: \"y:{id}\"\n    ttl: 60\n  - name: broken_sql\n    source: db\n    query: SELECT nope FROM t\n    key: \"z:{id}\"\n    ttl: 60\n";
    let plan = write_plan(dir.path(), yaml);
    let out = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `bad`: row 2"), "{stderr}");
    assert!(stderr.contains("field `slug` is null"), "{stderr}");
    assert!(stderr.contains("step `broken_sql`"), "{stderr}");
    let doc = json_of(&out);
    assert_eq!(doc["steps"][1]["keys"], 3, "the good step ran");
    let mut c = r.conn();
    assert!(get(&mut c, "x:a").is_some());
    assert!(
        get(&mut c, "x:c").is_none(),
        "the step stops at the bad row"
    );
    let keys: Vec<String> = redis::cmd("KEYS").arg("x:*").query(&mut c).unwrap();
    assert_eq!(keys, vec!["x:a"], "no half-formed key: {keys:?}");

    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    cachectl(&r.url())
        .args([
            "warm",
            "--fail-fast",
            "--only",
            "bad",
            "--only",
            "broken_sql",
        ])
        .arg(&plan)
        .assert()
        .code(1);
}

#[test]
fn values_are_bound_never_spliced() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'ana'), (2, 'bo');",
    );
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: one\n    source: db\n    query: SELECT id, name FROM users WHERE name = ?\n    params: [\"{who}\"]\n    key: \"user:{id}\"\n    ttl: 60\n",
    );
    let out = cachectl(&r.url())
        .args(["warm", "-o", "json", "--var", "who=' OR 1=1 --"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(
        json_of(&out)["steps"][0]["rows"],
        0,
        "the injection is just a name nobody has"
    );
    let out = cachectl(&r.url())
        .args(["warm", "-o", "json", "--var", "who=bo"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["steps"][0]["rows"], 1);
    let mut c = r.conn();
    assert_eq!(get(&mut c, "user:2").unwrap(), r#"{"id":2,"name":"bo"}"#);
}

#[test]
fn value_shapes_field_and_template() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER, name TEXT, score REAL, ok BOOLEAN, blob BLOB); INSERT INTO t VALUES (7, 'seven', 1.5, 1, x'00ff');",
    );
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: field\n    source: db\n    query: SELECT * FROM t\n    key: \"name:{id}\"\n    value: { field: name }\n    ttl: 60\n  - name: tpl\n    source: db\n    query: SELECT * FROM t\n    key: \"card:{id}\"\n    value: { template: { id: \"{id}\", label: \"#{id} {name}\", nested: { score: \"{score}\" } } }\n    ttl: 60\n  - name: row\n    source: db\n    query: SELECT * FROM t\n    key: \"row:{id}\"\n    ttl: 60\n",
    );
    cachectl(&r.url())
        .args(["warm"])
        .arg(&plan)
        .assert()
        .success();
    let mut c = r.conn();
    assert_eq!(get(&mut c, "name:7").unwrap(), "seven");
    assert_eq!(
        get(&mut c, "card:7").unwrap(),
        r##"{"id":7,"label":"#7 seven","nested":{"score":1.5}}"##
    );
    assert_eq!(
        get(&mut c, "row:7").unwrap(),
        r#"{"id":7,"name":"seven","score":1.5,"ok":true,"blob":"AP8="}"#
    );
}

#[test]
fn http_pagination_retries_and_timeouts() {
    let r = Redis::start();
    let failures = Arc::new(AtomicUsize::new(0));
    let f = failures.clone();
    let server = HttpServer::start(move |req| match req.path.as_str() {
        "/pages" => {
            let page: u64 = req
                .query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let items: Vec<_> = if page <= 3 {
                (0..5).map(|i| json!({"id": page * 10 + i})).collect()
            } else {
                vec![]
            };
            Response::json(json!({ "data": items }))
        }
        "/cursor" => {
            let (items, next) = match req.query.get("cursor").map(String::as_str) {
                None => (vec![json!({"id": 1}), json!({"id": 2})], json!("c2")),
                Some("c2") => (vec![json!({"id": 3})], json!(null)),
                _ => (vec![], json!(null)),
            };
            Response::json(json!({ "items": items, "next": next }))
        }
        "/link" => Response::json(json!({ "items": [{"id": 1}], "links": { "next": "/link2" } })),
        "/link2" => Response::json(json!({ "items": [{"id": 2}], "links": {} })),
        "/flaky" => {
            if f.fetch_add(1, Ordering::SeqCst) < 1 {
                let mut resp = Response::status(503);
                resp.headers.push(("Retry-After".into(), "1".into()));
                resp
            } else {
                Response::json(json!(["a", "b"]))
            }
        }
        "/slow" => Response {
            delay_ms: 3000,
            ..Response::json(json!([]))
        },
        "/auth" => {
            if req.headers.get("authorization").map(String::as_str) == Some("Bearer s3cret") {
                Response::json(json!([{"id": 1}]))
            } else {
                Response::status(401)
            }
        }
        _ => Response::status(404),
    });
    let dir = TempDir::new().unwrap();
    let plan = write_plan(
        dir.path(),
        &format!(
            r#"sources:
  api:
    http:
      base_url: {url}
      timeout: 1s
      retries: 2
      headers:
        Authorization: "Bearer ${{API_TOKEN}}"
steps:
  - name: pages
    source: api
    request: {{ path: /pages, items: /data, paginate: {{ page: {{ param: page }} }} }}
    key: "p:{{id}}"
    ttl: 60
  - name: cursor
    source: api
    request: {{ path: /cursor, items: /items, paginate: {{ cursor: {{ param: cursor, from: /next }} }} }}
    key: "c:{{id}}"
    ttl: 60
  - name: link
    source: api
    request: {{ path: /link, items: /items, paginate: {{ next_link: {{ from: /links/next }} }} }}
    key: "l:{{id}}"
    ttl: 60
  - name: flaky
    source: api
    request: {{ path: /flaky }}
    key: flaky
    value: collect
    ttl: 60
  - name: auth
    source: api
    request: {{ path: /auth }}
    key: "a:{{id}}"
    ttl: 60
  - name: slow
    source: api
    request: {{ path: /slow }}
    key: slow
    value: collect
    ttl: 60
"#,
            url = server.url()
        ),
    );
    let doc = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .env("API_TOKEN", "s3cret")
        .json_exiting(1);
    let step = |name: &str| entry(&doc, "steps", "step", name);
    assert_eq!(step("pages")["keys"], 15);
    assert_eq!(step("cursor")["keys"], 3);
    assert_eq!(step("link")["keys"], 2);
    assert_eq!(step("flaky")["keys"], 1);
    assert_eq!(step("auth")["keys"], 1);
    assert!(step("slow")["error"].as_str().unwrap().contains("/slow"));
    assert_eq!(failures.load(Ordering::SeqCst), 2, "one 503, then success");
    let mut c = r.conn();
    assert_eq!(get(&mut c, "flaky").unwrap(), r#"["a","b"]"#);
    assert!(get(&mut c, "p:32").is_some());
    assert!(get(&mut c, "c:3").is_some());
    assert!(get(&mut c, "l:2").is_some());
}

#[test]
fn warm_into_a_cluster() {
    let cluster = Cluster::shared();
    let dir = TempDir::new().unwrap();
    let mut sql = String::from("CREATE TABLE t (id INTEGER);");
    for i in 0..500 {
        sql.push_str(&format!("INSERT INTO t VALUES ({i});"));
    }
    sqlite_db(dir.path(), &sql);
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT id FROM t\n    key: \"warm1:item:{id}\"\n    ttl: 600\n    batch: 128\n",
    );
    cachectl(&cluster.url())
        .args(["warm"])
        .arg(&plan)
        .assert()
        .success();
    let per_node = cluster.count_per_node("warm1:item:*");
    assert_eq!(per_node.iter().sum::<usize>(), 500);
    assert!(per_node.iter().all(|&n| n > 0), "{per_node:?}");
}

fn postgres_url() -> Option<String> {
    database_url("CACHECTL_TEST_POSTGRES_URL")
}

fn mysql_url() -> Option<String> {
    database_url("CACHECTL_TEST_MYSQL_URL")
}

/// A database the tests may use. Developers without one skip its tests; CI (`CI=true`), whose
/// `.ci/run` exports these, must not pass by skipping them.
fn database_url(var: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|s| !s.is_empty());
    if url.is_none() {
        support::skip_unless_ci(&format!("{var} is not set"));
    }
    url
}

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), n % 1_000_000_000)
}

/// `tables` made in PostgreSQL (in `schema`, dropped after), a plan of `steps` (YAML under
/// `steps:`) with one source `pg` warmed from them into a fresh server, which is returned; the
/// warm must succeed.
async fn warm_from_postgres(
    url: &str,
    pool: &sqlx::PgPool,
    schema: &str,
    tables: &[String],
    steps: &str,
) -> Redis {
    for stmt in tables {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt.clone()))
            .execute(pool)
            .await
            .unwrap();
    }
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = write_plan(
        dir.path(),
        &format!("sources:\n  pg:\n    url: ${{PG_URL}}\nsteps:\n{steps}"),
    );
    let out = cachectl(&r.url())
        .args(["warm"])
        .arg(&plan)
        .env("PG_URL", url)
        .output()
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(pool)
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    r
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_types_map_to_json() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let schema = unique("cachectl_t");
    let tables = [
        format!("CREATE SCHEMA {schema}"),
        format!(
            "CREATE TABLE {schema}.posts (id INT8, small INT2, price NUMERIC(10,2), ratio FLOAT8, ok BOOL, title TEXT, \
             at TIMESTAMPTZ, naive TIMESTAMP, day DATE, meta JSONB, uid UUID, raw BYTEA, missing TEXT)"
        ),
        format!(
            "INSERT INTO {schema}.posts VALUES (42, 7, 19.90, 0.25, true, 'héllo \"q\"', '2024-05-01 10:00:00+00', \
             '2024-05-01 10:00:00', '2024-05-01', '{{\"a\": [1, 2]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', NULL)"
        ),
        format!("CREATE TABLE {schema}.comments (post_id INT8, body TEXT)"),
        format!("INSERT INTO {schema}.comments VALUES (42, 'first'), (42, 'second'), (7, 'other')"),
    ];
    let steps = format!(
        "  - name: posts\n    source: pg\n    query: SELECT * FROM {schema}.posts\n    key: \"post_cache:{{id}}\"\n    ttl: 60\n    for_each:\n      - name: comments\n        query: SELECT body FROM {schema}.comments WHERE post_id = $1 ORDER BY body\n        params: [\"{{id}}\"]\n        key: \"post_{{id}}_comments\"\n        value: collect\n        ttl: 60\n"
    );
    let r = warm_from_postgres(&url, &pool, &schema, &tables, &steps).await;
    let mut c = r.conn();
    let v: serde_json::Value =
        serde_json::from_str(&get(&mut c, "post_cache:42").unwrap()).unwrap();
    assert_eq!(
        v,
        json!({
            "id": 42, "small": 7, "price": "19.90", "ratio": 0.25, "ok": true, "title": "héllo \"q\"",
            "at": "2024-05-01T10:00:00+00:00", "naive": "2024-05-01T10:00:00", "day": "2024-05-01",
            "meta": {"a": [1, 2]}, "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "raw": "AP8=", "missing": null
        })
    );
    assert_eq!(
        get(&mut c, "post_42_comments").unwrap(),
        r#"[{"body":"first"},{"body":"second"}]"#
    );
}

/// A query without parameters is read through COPY's binary tuples, a query with them through
/// sqlx's rows: every covered type, edge values and NULLs give the same JSON both ways.
#[tokio::test(flavor = "current_thread")]
async fn postgres_copy_reads_as_the_query_path_does() {
    let Some(url) = postgres_url() else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let schema = unique("cachectl_c");
    let tables = [
        format!("CREATE SCHEMA {schema}"),
        format!(
            "CREATE TABLE {schema}.t (id INT8, i2 INT2, i4 INT4, f4 FLOAT4, f8 FLOAT8, ok BOOL, t TEXT, \
             vc VARCHAR(10), bp CHAR(5), n NUMERIC, j JSON, jb JSONB, u UUID, raw BYTEA, d DATE, tm TIME, \
             ts TIMESTAMP, tz TIMESTAMPTZ)"
        ),
        format!(
            "INSERT INTO {schema}.t VALUES \
             (1, -32768, 2147483647, 0.1, 1e300, true, E'tab\\there\\nnew \\\\ back \"q\" é 🦀', 'short', 'ab', \
              19.90, '{{\"b\": 1, \"a\": [1.5, \"x\\ny\"]}}', '{{\"b\": 1, \"a\": [1.5]}}', \
              'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', '1999-12-31', '23:59:59.123456', \
              '1970-01-01 00:00:00.5', '2024-05-01 10:00:00.123+02'), \
             (2, 0, -1, -2.5, 'NaN', false, '', '', '', -0.0005, '[]', 'null', \
              '00000000-0000-0000-0000-000000000000', '', '2000-01-01', '00:00:00', \
              '1999-12-31 23:59:59.999999', '1960-06-30 12:00:00-07:30'), \
             (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 123456789012345678.25, NULL, NULL, NULL, NULL, NULL, \
              NULL, NULL, NULL), \
             (4, 1, 1, 'Infinity', '-Infinity', true, 'x', 'y', 'abcde', 0, '1', '2.50', \
              'ffffffff-ffff-ffff-ffff-ffffffffffff', '\\x', '2100-02-28', '12:00:00.5', \
              '2038-01-19 03:14:08', '2000-01-01 00:00:00+00')"
        ),
    ];
    // A `;` before a comment makes COPY refuse the query: the query path reads it, on a pool
    // that the refusal must not have left out of step for the steps after it. A comment
    // alone must not swallow the parenthesis COPY closes the query with.
    let steps = format!(
        "  - name: refused\n    source: pg\n    query: |\n      SELECT id FROM {schema}.t; -- COPY refuses this\n    key: \"fallback:{{id}}\"\n    ttl: 60\n  - name: copied\n    source: pg\n    query: |\n      SELECT * FROM {schema}.t ORDER BY id -- every row\n    key: \"copy:{{id}}\"\n    ttl: 60\n    for_each:\n      - name: queried\n        query: SELECT * FROM {schema}.t WHERE id = $1\n        params: [\"{{id}}\"]\n        key: \"query:{{id}}\"\n        ttl: 60\n"
    );
    let r = warm_from_postgres(&url, &pool, &schema, &tables, &steps).await;
    let mut c = r.conn();
    for id in 1..=4 {
        let copied = get(&mut c, &format!("copy:{id}")).expect("the COPY row was written");
        let queried = get(&mut c, &format!("query:{id}")).expect("the queried row was written");
        assert_eq!(copied, queried, "row {id}");
    }
    assert_eq!(get(&mut c, "fallback:4").as_deref(), Some(r#"{"id":4}"#));
    let v: serde_json::Value = serde_json::from_str(&get(&mut c, "copy:1").unwrap()).unwrap();
    assert_eq!(v["t"], "tab\there\nnew \\ back \"q\" é 🦀");
    assert_eq!(v["f4"], json!(0.1f32 as f64));
    assert_eq!(v["n"], "19.90");
    assert_eq!(v["raw"], "AP8Q");
    assert_eq!(v["d"], "1999-12-31");
    assert_eq!(v["tm"], "23:59:59.123456");
    assert_eq!(v["tz"], "2024-05-01T08:00:00.123+00:00");
    let v: serde_json::Value = serde_json::from_str(&get(&mut c, "copy:3").unwrap()).unwrap();
    assert_eq!(v["n"], "123456789012345678.25");
    assert_eq!(v["tz"], json!(null));
}

#[tokio::test(flavor = "current_thread")]
async fn mysql_types_map_to_json() {
    let Some(url) = mysql_url() else {
        eprintln!("skipped: CACHECTL_TEST_MYSQL_URL is not set");
        return;
    };
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    let db = unique("cachectl_t");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
    let base = url
        .rsplit_once('/')
        .map_or(url.clone(), |(b, _)| b.to_string());
    let db_url = format!("{base}/{db}");
    let pool = sqlx::MySqlPool::connect(&db_url).await.unwrap();
    for stmt in [
        "CREATE TABLE posts (id BIGINT, flag BOOLEAN, n INT UNSIGNED, price DECIMAL(10,2), ratio DOUBLE, title VARCHAR(50), \
         at TIMESTAMP NULL, naive DATETIME, day DATE, meta JSON, raw VARBINARY(4), missing TEXT, \
         tiny TINYINT, big BIGINT UNSIGNED, f FLOAT, body MEDIUMTEXT, code CHAR(3))",
        "INSERT INTO posts VALUES (42, true, 7, 19.90, 0.25, 'héllo', '2024-05-01 10:00:00', '2024-05-01 10:00:00', \
         '2024-05-01', '{\"a\": [1, 2]}', x'00ff', NULL, -5, 18446744073709551615, 0.5, 'long \"q\" 🦀', 'FR')",
    ] {
        sqlx::raw_sql(stmt).execute(&pool).await.unwrap();
    }
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = write_plan(
        dir.path(),
        "sources:\n  my:\n    url: ${MY_URL}\nsteps:\n  - name: posts\n    source: my\n    query: SELECT * FROM posts WHERE id = ?\n    params: [42]\n    key: \"post_cache:{id}\"\n    json_columns: [meta]\n    ttl: 60\n",
    );
    let out = cachectl(&r.url())
        .args(["warm"])
        .arg(&plan)
        .env("MY_URL", db_url.replacen("mysql://", "mariadb://", 1))
        .output()
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c = r.conn();
    let v: serde_json::Value =
        serde_json::from_str(&get(&mut c, "post_cache:42").unwrap()).unwrap();
    assert_eq!(v["id"], 42);
    assert_eq!(v["flag"], true);
    assert_eq!(v["n"], 7);
    assert_eq!(v["price"], "19.90");
    assert_eq!(v["ratio"], 0.25);
    assert_eq!(v["title"], "héllo");
    assert!(v["at"].as_str().unwrap().starts_with("2024-05-01T"));
    assert_eq!(v["naive"], "2024-05-01T10:00:00");
    assert_eq!(v["day"], "2024-05-01");
    assert_eq!(v["meta"], json!({"a": [1, 2]}));
    assert_eq!(v["raw"], "AP8=");
    assert_eq!(v["missing"], serde_json::Value::Null);
    assert_eq!(v["tiny"], -5);
    assert_eq!(v["big"], json!(u64::MAX));
    assert_eq!(v["f"], 0.5);
    assert_eq!(v["body"], "long \"q\" 🦀");
    assert_eq!(v["code"], "FR");
}

#[test]
fn example_plans_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("warmers");
    for plan in ["demo.yaml", "postgres.yaml", "mysql.yaml", "http.yaml"] {
        cachectl("redis://127.0.0.1:1")
            .args(["warm", "--check", "--offline"])
            .arg(dir.join(plan))
            .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
            .env("MYSQL_URL", "mysql://u@127.0.0.1:1/db")
            .env("API_TOKEN", "t")
            .assert()
            .success();
    }
    // Without its variables a plan says which one is missing, before anything runs.
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--check", "--offline"])
        .arg(dir.join("postgres.yaml"))
        .env_remove("DATABASE_URL")
        .fails_with(2, "DATABASE_URL is not set");
}

/// `jitter` exists to keep keys warmed together from expiring together: every key's jitter is
/// drawn independently, for the 300 child runs of a `for_each` as for the rows of one step.
#[test]
fn jitter_is_independent_for_every_child_run() {
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let rows: Vec<String> = (1..=300).map(|i| format!("({i})")).collect();
    sqlite_db(
        dir.path(),
        &format!(
            "CREATE TABLE u (id INTEGER); INSERT INTO u VALUES {};",
            rows.join(", ")
        ),
    );
    let yaml = "defaults:\n  jitter: 10%\nsources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: users\n    source: db\n    query: SELECT id FROM u\n    key: \"user:{id}\"\n    ttl: 3600\n    for_each:\n      - name: posts\n        query: SELECT id FROM u WHERE id = ?\n        params: [\"{id}\"]\n        key: \"user_{id}_posts\"\n        ttl: 3600\n";
    let plan = write_plan(dir.path(), yaml);
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    let mut c = r.conn();
    for family in ["user:{}", "user_{}_posts"] {
        let ttls: std::collections::HashSet<i64> = (1..=300)
            .map(|i| ttl(&mut c, &family.replace("{}", &i.to_string())))
            .collect();
        assert!(ttls.iter().all(|t| (3240..=3960).contains(t)), "{ttls:?}");
        // 300 independent draws from 721 values give about 245 distinct ones; a generator
        // seeded per child from the clock gave about 60.
        assert!(
            ttls.len() > 180,
            "{family}: only {} distinct TTLs",
            ttls.len()
        );
    }
}

#[test]
fn check_fails_when_redis_is_unreachable_or_a_step_goes_unchecked() {
    let (_dir, plan) = demo_copy();
    let dead = format!("redis://127.0.0.1:{}", support::free_port());
    let doc = cachectl(&dead)
        .args(["warm", "--check", "-o", "json", "--timeout", "1s"])
        .arg(&plan)
        .json_exiting(1);
    assert_eq!(doc["redis"]["reachable"], false, "{doc}");
    // Offline is syntax only, and says so.
    let out = cachectl(&dead)
        .args(["warm", "--check", "--offline"])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("syntax only") && !text.contains("│ ok"),
        "{text}"
    );

    // An HTTP child needs a parent row to be fetched: it cannot be checked, and that fails.
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE u (id INTEGER); INSERT INTO u VALUES (1);",
    );
    std::fs::create_dir_all(dir.path().join("api")).unwrap();
    let yaml = "sources:\n  db:\n    sqlite: t.db\n  api:\n    http:\n      base_url: file://api\nsteps:\n  - name: users\n    source: db\n    query: SELECT id FROM u\n    key: \"user:{id}\"\n    ttl: 60\n    for_each:\n      - name: feed\n        source: api\n        request:\n          path: /feed_{id}.json\n        key: \"feed:{id}\"\n        value: collect\n        ttl: 60\n";
    let plan = write_plan(dir.path(), yaml);
    let out = cachectl(&r.url())
        .args(["warm", "--check", "-o", "json"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc = json_of(&out);
    assert!(
        entry(&doc, "steps", "step", "feed")["unchecked"].is_string(),
        "{doc}"
    );
    assert!(entry(&doc, "steps", "step", "users")["unchecked"].is_null());
}

/// PostgreSQL's errors point into the query, not at a line of PostgreSQL's own source.
#[test]
fn postgres_errors_point_into_the_query() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let yaml = "sources:\n  pg:\n    url: ${PG_URL}\nsteps:\n  - name: bad\n    source: pg\n    query: |\n      SELECT relname\n      FROM pg_class WHERE nope = 1\n    key: \"c:{relname}\"\n    ttl: 60\n";
    let plan = write_plan(dir.path(), yaml);
    let out = cachectl(&r.url())
        .arg("warm")
        .arg(&plan)
        .env("PG_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column \"nope\" does not exist (42703)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at query line 2, column 21: `nope = 1`"),
        "{stderr}"
    );
    assert!(!stderr.contains(" at line "), "{stderr}");
}

/// SIGTERM stops a warm like Ctrl-C: exit 143, the table says which steps were interrupted,
/// and a `collect` value is never replaced by the part of the list read before the stop.
#[test]
fn a_stopped_warm_says_so_and_keeps_collected_values_whole() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("feed")
        .arg("old")
        .exec(&mut c)
        .unwrap();
    let server = HttpServer::start(|req| {
        let page: u64 = req
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let mut resp = Response::json(json!({ "items": [{"id": page}] }));
        resp.delay_ms = 200;
        resp
    });
    let dir = TempDir::new().unwrap();
    let yaml = format!(
        "sources:\n  api:\n    http:\n      base_url: {}\nsteps:\n  - name: feed\n    source: api\n    request:\n      path: /feed\n      items: /items\n      paginate: {{ page: {{ param: page, max_pages: 100 }} }}\n    key: feed\n    value: collect\n    ttl: 60\n",
        server.url()
    );
    let plan = write_plan(dir.path(), &yaml);
    for _ in 0..2 {
        let args = ["warm", plan.to_str().unwrap()];
        let out = support::signalled(
            &r.url(),
            &args,
            std::time::Duration::from_millis(1500),
            libc::SIGTERM,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(143),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("interrupted"), "{stdout}");
        assert!(!stdout.contains(" ok "), "{stdout}");
        assert_eq!(
            get(&mut c, "feed").as_deref(),
            Some("old"),
            "a partial list replaced the value"
        );
    }
}

/// A stop waits for a batch's answer, but not for a server that has stalled: a second after
/// Ctrl-C the batch is given up and said unconfirmed, and the warm ends as interrupted (the
/// server holds writes for 20 s here and the timeout is 30 s; before, the warm waited them out).
#[test]
fn a_stop_while_the_server_stalls_gives_the_batch_up() {
    let r = Redis::start();
    let server = HttpServer::start(|req| {
        let page: u64 = req
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let items: Vec<_> = (0..50).map(|i| json!({"id": page * 100 + i})).collect();
        let mut resp = Response::json(json!({ "items": items }));
        resp.delay_ms = 20;
        resp
    });
    let dir = TempDir::new().unwrap();
    let yaml = format!(
        "sources:\n  api:\n    http:\n      base_url: {}\nsteps:\n  - name: items\n    source: api\n    request:\n      path: /items\n      items: /items\n      paginate: {{ page: {{ param: page, max_pages: 2000 }} }}\n    key: \"item:{{id}}\"\n    ttl: 600\n    batch: 50\n",
        server.url()
    );
    let plan = write_plan(dir.path(), &yaml);
    let args = [
        "--timeout",
        "30s",
        "-o",
        "json",
        "warm",
        plan.to_str().unwrap(),
    ];
    let (out, waited, held) =
        support::interrupted_while_writes_stall(&r, &args, |keys| keys >= 200);
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    let step = entry(&doc, "steps", "step", "items");
    assert_eq!(step["interrupted"], true, "{doc}");
    assert!(step.get("error").is_none(), "a stop, not a failure: {doc}");
    let written = step["keys"].as_u64().unwrap();
    let unconfirmed = step["unconfirmed"].as_u64().unwrap_or(0);
    assert!(unconfirmed > 0, "the stalled batch is unconfirmed: {doc}");
    support::counted_either_way(written, unconfirmed, held, &doc);
}

/// A query that has sent no row yet (a lock, a slow plan; here `pg_sleep(30)`) ends at once on
/// a stop, as an HTTP read does; before, warm waited for the query to end.
#[test]
fn a_stop_ends_a_query_that_has_not_answered() {
    let Some(url) = postgres_url() else {
        return;
    };
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let tag = unique("cachectl_slow");
    let plan = write_plan(
        dir.path(),
        &format!(
            "sources:\n  pg:\n    url: {url}\nsteps:\n  - name: slow\n    source: pg\n    query: \
             SELECT 1 AS id, '{tag}' AS tag FROM pg_sleep(30)\n    key: \"slow:{{id}}\"\n    ttl: 60\n"
        ),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = rt.block_on(sqlx::PgPool::connect(&url)).unwrap();
    // The tag is bound, not in this query's own text: only the warm's query matches.
    let running = || {
        let q = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1";
        let n: i64 = rt
            .block_on(
                sqlx::query_scalar(q)
                    .bind(format!("%{tag}%"))
                    .fetch_one(&pool),
            )
            .unwrap();
        n > 0
    };
    let signalled_at = std::cell::Cell::new(None);
    let out = support::signalled_when(
        &r.url(),
        &["-o", "json", "warm", plan.to_str().unwrap()],
        || {
            let yes = running();
            if yes {
                signalled_at.set(Some(std::time::Instant::now()));
            }
            yes
        },
        libc::SIGINT,
    );
    let waited = signalled_at.get().expect("the query ran").elapsed();
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    let step = entry(&doc, "steps", "step", "slow");
    assert_eq!(step["interrupted"], true, "{doc}");
    assert_eq!(dbsize(&mut r.conn()), 0, "nothing was written");
}

// ---- Faults: a step that fails part-way says exactly what it wrote, and writes no partial
// ---- collected value.

/// An API that fails on its third page: the collected list would be two pages long.
fn failing_on_page_3() -> HttpServer {
    HttpServer::start(|req| {
        let page: u64 = req
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        match page {
            3 => Response::status(500),
            _ => Response::json(json!({ "items": [{"id": page}] })),
        }
    })
}

#[test]
fn a_collect_whose_source_fails_keeps_the_old_value() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("feed")
        .arg("old")
        .exec(&mut c)
        .unwrap();
    let server = failing_on_page_3();
    let dir = TempDir::new().unwrap();
    let yaml = format!(
        "sources:\n  api:\n    http:\n      base_url: {}\n      retries: 0\nsteps:\n  - name: feed\n    source: api\n    request:\n      path: /feed\n      items: /items\n      paginate: {{ page: {{ param: page, max_pages: 10 }} }}\n    key: feed\n    value: collect\n    ttl: 60\n",
        server.url()
    );
    let plan = write_plan(dir.path(), &yaml);
    let doc = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .json_exiting(1);
    let step = entry(&doc, "steps", "step", "feed");
    assert!(
        step["error"].as_str().unwrap().contains("HTTP 500"),
        "{step}"
    );
    assert_eq!(step["keys"], 0);
    assert_eq!(get(&mut c, "feed").as_deref(), Some("old"));
}

/// PostgreSQL fails a query part-way through its rows (division by zero at row 2,560).
#[test]
fn a_collect_whose_query_fails_part_way_keeps_the_old_value() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("all_ids")
        .arg("old")
        .exec(&mut c)
        .unwrap();
    let dir = TempDir::new().unwrap();
    let yaml = "sources:\n  pg:\n    url: ${PG_URL}\nsteps:\n  - name: ids\n    source: pg\n    query: SELECT i, 1 / (i - 2560) AS x FROM generate_series(1, 5000) AS i\n    key: all_ids\n    value: collect\n    ttl: 60\n";
    let plan = write_plan(dir.path(), yaml);
    let out = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .env("PG_URL", &url)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("division by zero"));
    assert_eq!(get(&mut c, "all_ids").as_deref(), Some("old"));
}

/// Counts come from SET replies on every exit: a bad row after thousands of good ones, and a
/// healthy step stopped by --fail-fast, report exactly the keys that are in Redis.
#[test]
fn a_step_stopped_part_way_counts_what_it_wrote() {
    let r = Redis::start();
    let mut c = r.conn();
    let dir = TempDir::new().unwrap();
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER, doc TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
         INSERT INTO t SELECT i, CASE WHEN i = 5000 THEN 'not json' ELSE '{\"a\": 1}' END FROM n;",
    );
    let yaml = "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: docs\n    source: db\n    query: SELECT id, doc FROM t ORDER BY id\n    key: \"doc:{id}\"\n    json_columns: [doc]\n    batch: 100\n    ttl: 60\n";
    let plan = write_plan(dir.path(), yaml);
    let doc = cachectl(&r.url())
        .args(["warm", "-o", "json"])
        .arg(&plan)
        .json_exiting(1);
    let step = entry(&doc, "steps", "step", "docs");
    let written: Vec<String> = redis::cmd("KEYS").arg("doc:*").query(&mut c).unwrap();
    assert!(
        written.len() >= 4_900,
        "the rows before the bad one were written: {}",
        written.len()
    );
    assert_eq!(
        step["keys"],
        written.len(),
        "the report counts what is in Redis: {step}"
    );
    assert!(
        step["error"].as_str().unwrap().contains("row 5000"),
        "{step}"
    );

    // --fail-fast: a failing step stops a healthy one; the healthy one's count is exact.
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    let server = HttpServer::start(|_| {
        let mut resp = Response::status(500);
        resp.delay_ms = 300;
        resp
    });
    let yaml = format!(
        "sources:\n  db:\n    sqlite: t.db\n  api:\n    http:\n      base_url: {}\n      retries: 0\nsteps:\n  - name: rows\n    source: db\n    query: SELECT id FROM t ORDER BY id\n    key: \"row:{{id}}\"\n    batch: 10\n    ttl: 60\n  - name: broken\n    source: api\n    request:\n      path: /x\n    key: b\n    value: collect\n    ttl: 60\n",
        server.url()
    );
    let plan = write_plan(dir.path(), &yaml);
    let doc = cachectl(&r.url())
        .args(["warm", "--fail-fast", "-o", "json"])
        .arg(&plan)
        .json_exiting(1);
    let rows = entry(&doc, "steps", "step", "rows");
    let written: Vec<String> = redis::cmd("KEYS").arg("row:*").query(&mut c).unwrap();
    assert_eq!(rows["keys"], written.len(), "{rows}");
}

/// `Retry-After: 3600` fails the step at once instead of sleeping an hour; a wait within
/// `max_retry_wait` ends at once on SIGTERM.
#[test]
fn retry_after_is_capped_and_every_wait_ends_on_a_signal() {
    let r = Redis::start();
    let server = HttpServer::start(|req| {
        let mut resp = Response::status(503);
        let after = if req.path == "/hour" { "3600" } else { "30" };
        resp.headers.push(("Retry-After".into(), after.into()));
        resp
    });
    let dir = TempDir::new().unwrap();
    let plan_for = |path: &str| {
        write_plan(
            dir.path(),
            &format!(
                "sources:\n  api:\n    http:\n      base_url: {}\n      retries: 3\nsteps:\n  - name: s\n    source: api\n    request:\n      path: {path}\n    key: k\n    value: collect\n    ttl: 60\n",
                server.url()
            ),
        )
    };
    let plan = plan_for("/hour");
    cachectl(&r.url())
        .arg("warm")
        .arg(&plan)
        .timeout(std::time::Duration::from_secs(20))
        .fails_with(1, "more than max_retry_wait");
    let plan = plan_for("/half-minute");
    // The run, and `warm --check`, which asks the API through the same retries.
    for check in [false, true] {
        let mut args = vec!["warm", plan.to_str().unwrap()];
        if check {
            args.insert(1, "--check");
        }
        let started = std::time::Instant::now();
        let out = support::signalled(
            &r.url(),
            &args,
            std::time::Duration::from_millis(800),
            libc::SIGTERM,
        );
        assert_eq!(
            out.status.code(),
            Some(143),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{args:?}: SIGTERM waited out the Retry-After"
        );
        if !check {
            assert!(String::from_utf8_lossy(&out.stdout).contains("interrupted"));
        }
    }
}

/// PostgreSQL over TLS: `sslmode=require` encrypts (the server says so for our connection),
/// `verify-full` checks the server's certificate against `sslrootcert` and its name, and a
/// name the certificate does not carry is an error naming the source.
#[test]
fn postgres_over_tls() {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ssl, cert): (String, String) = rt.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let ssl: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(&pool)
            .await
            .unwrap();
        let cert: String = sqlx::query_scalar("SHOW ssl_cert_file")
            .fetch_one(&pool)
            .await
            .unwrap();
        (ssl, cert)
    });
    if ssl != "on" {
        support::skip_unless_ci("the PostgreSQL of CACHECTL_TEST_POSTGRES_URL has ssl off");
        return;
    }
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = write_plan(
        dir.path(),
        "sources:\n  pg:\n    url: ${PG_URL}\nsteps:\n  - name: tls\n    source: pg\n    query: SELECT 'tls' AS id, ssl::text AS encrypted FROM pg_stat_ssl WHERE pid = pg_backend_pid()\n    key: \"conn:{id}\"\n    ttl: 60\n",
    );
    let sep = if url.contains('?') { '&' } else { '?' };
    let warm = |pg_url: String| {
        cachectl(&r.url())
            .arg("warm")
            .arg(&plan)
            .env("PG_URL", pg_url)
            .output()
            .unwrap()
    };
    let out = warm(format!("{url}{sep}sslmode=require"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: String = redis::cmd("GET")
        .arg("conn:tls")
        .query(&mut r.conn())
        .unwrap();
    assert!(v.contains("\"encrypted\":\"true\""), "{v}");

    // The certificate's own name, checked against the server's certificate as the root.
    if std::fs::metadata(&cert).is_ok() {
        let named = url.replace("@127.0.0.1", "@localhost");
        let out = warm(format!(
            "{named}{sep}sslmode=verify-full&sslrootcert={cert}"
        ));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // An address the certificate does not name fails, and says where.
        if url.contains("@127.0.0.1") {
            let out = warm(format!("{url}{sep}sslmode=verify-full&sslrootcert={cert}"));
            assert_eq!(out.status.code(), Some(1));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("connecting to"), "{stderr}");
        }
    }
}

/// MySQL over TLS, against a MariaDB of the test's own with a certificate made for it:
/// `ssl-mode=REQUIRED` encrypts (the server names the cipher of our session),
/// `VERIFY_IDENTITY` checks the certificate against `ssl-ca` and the host name, and a CA that
/// did not sign it is an error naming the source.
#[test]
fn mysql_over_tls() {
    let Some(db) = Mariadb::start_tls() else {
        eprintln!("skipped: MariaDB is not installed");
        return;
    };
    let r = Redis::start();
    let dir = TempDir::new().unwrap();
    let plan = write_plan(
        dir.path(),
        "sources:\n  my:\n    url: ${MY_URL}\nsteps:\n  - name: tls\n    source: my\n    query: SELECT 'tls' AS id, VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'\n    key: \"conn:{id}\"\n    ttl: 60\n",
    );
    let warm = |url: String| {
        cachectl(&r.url())
            .arg("warm")
            .arg(&plan)
            .env("MY_URL", url)
            .output()
            .unwrap()
    };
    let base = format!("mysql://root@127.0.0.1:{}/mysql", db.port);
    let out = warm(format!("{base}?ssl-mode=REQUIRED"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: String = redis::cmd("GET")
        .arg("conn:tls")
        .query(&mut r.conn())
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert!(
        doc["cipher"].as_str().is_some_and(|c| c.starts_with("TLS")),
        "an encrypted session: {v}"
    );

    let ca = db.ca.display().to_string();
    let named = format!("mysql://root@localhost:{}/mysql", db.port);
    let out = warm(format!("{named}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another CA: the certificate is not trusted, and the error says where.
    let other = TempDir::new().unwrap();
    let other_ca = support::make_certs(other.path()).join("ca.crt");
    let out = warm(format!(
        "{named}?ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
        other_ca.display()
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("step `tls`: connecting to") && stderr.contains("certificate"),
        "{stderr}"
    );
}

/// `warm --check` prepares each query and fails the plans that would fail at run time: a
/// parameter missing or extra, text bound where PostgreSQL wants a number (#20.14).
#[test]
fn check_compares_params_with_the_prepared_query() {
    let dir = TempDir::new().unwrap();
    // SQLite says how many parameters a query takes.
    sqlite_db(
        dir.path(),
        "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a');",
    );
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: two\n    source: db\n    query: SELECT id FROM t WHERE id = ? AND name = ?\n    params: [1]\n    key: \"x:{id}\"\n    ttl: 60\n",
    );
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--check"])
        .arg(&plan)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "takes 2 parameters and the step binds 1",
        ));
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let plan = write_plan(
        dir.path(),
        "sources:\n  pg:\n    url: ${PG_URL}\nsteps:\n  - name: typed\n    source: pg\n    query: SELECT $1::int4 + 1 AS id\n    params: [\"seven\"]\n    key: \"x:{id}\"\n    ttl: 60\n",
    );
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--check"])
        .arg(&plan)
        .env("PG_URL", &url)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "parameter $1 is INT4, and the step binds text",
        ));
}

/// `warm -v` says where each source is (no secrets) and what each step did (#20.16).
#[test]
fn verbose_warm_says_sources_and_steps() {
    let r = Redis::start();
    let (_dir, plan) = demo_copy();
    let out = cachectl(&r.url())
        .args(["-v", "warm"])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("source `blog`: sqlite://"), "{err}");
    assert!(
        err.contains("step `user_posts`: 250 rows, 25 keys"),
        "{err}"
    );
}

/// Plan errors in the plan's terms (#20.15): where in the tree a nested field is, what a list
/// wants, and PostgreSQL's words without its own source line.
#[test]
fn plan_errors_say_where_in_the_plan_and_what_it_wants() {
    let dir = TempDir::new().unwrap();
    let nested = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{id}\"\n    ttl: 60\n    for_each:\n      - name: c\n        query: SELECT 1 AS id\n        key: \"c:{id}\"\n        tll: 60\n",
    );
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--dry-run"])
        .arg(&nested)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ":14:9: steps[0].for_each[0]: unknown field `tll`",
        ));
    let not_a_list = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{id}\"\n    ttl: 60\n    for_each: 3\n",
    );
    cachectl("redis://127.0.0.1:1")
        .args(["warm", "--dry-run"])
        .arg(&not_a_list)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "steps[0].for_each: expected a list",
        ));
    let Some(url) = postgres_url() else {
        eprintln!("skipped: CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    let base = url
        .rsplit_once('/')
        .map_or(url.as_str(), |(b, _)| b)
        .to_string();
    let missing = write_plan(
        dir.path(),
        &format!(
            "sources:\n  db:\n    url: \"{base}/cachectl_no_such_db\"\nsteps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{{id}}\"\n    ttl: 60\n"
        ),
    );
    let out = cachectl("redis://127.0.0.1:1")
        .args(["warm", "--dry-run"])
        .arg(&missing)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist (3D000)"), "{err}");
    assert!(!err.contains(" at line "), "{err}");
}

/// #31.5: FastAPI-boilerplate's paginated responses, one key per page
/// (`{username}_posts:page_{page}:items_per_page:{items_per_page}`), each its
/// `{data, total_count, has_more, page, items_per_page}`; the parent that only feeds its
/// children needs no key, and a child without one is named in the error.
#[test]
fn paginated_values_are_the_boilerplate_pages() {
    let r = Redis::start();
    let mut c = r.conn();
    let dir = TempDir::new().unwrap();
    let mut sql = String::from(
        "CREATE TABLE users (id INTEGER, username TEXT); INSERT INTO users VALUES (1, 'ann'), (2, 'bob');\
         CREATE TABLE posts (id INTEGER, user_id INTEGER, title TEXT);",
    );
    for i in 1..=25 {
        sql.push_str(&format!("INSERT INTO posts VALUES ({i}, 1, 'p{i}');"));
    }
    sqlite_db(dir.path(), &sql);
    let plan = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: users\n    source: db\n\
         \x20   query: SELECT id, username FROM users ORDER BY id\n    for_each:\n\
         \x20     - name: user_posts\n        query: SELECT id, title FROM posts WHERE user_id = ? ORDER BY id\n\
         \x20       params: [\"{id}\"]\n\
         \x20       key: \"{username}_posts:page_{page}:items_per_page:{items_per_page}\"\n\
         \x20       value: {paginate: {items_per_page: 10, max_pages: 5}}\n        ttl: 60\n",
    );
    cachectl(&r.url()).arg("warm").arg(&plan).assert().success();
    let page2: serde_json::Value =
        serde_json::from_str(&get(&mut c, "ann_posts:page_2:items_per_page:10").unwrap()).unwrap();
    let ids: Vec<u64> = page2["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (11..=20).collect::<Vec<u64>>());
    assert_eq!(page2["total_count"], 25);
    assert_eq!(page2["has_more"], true);
    assert_eq!(page2["page"], 2);
    assert_eq!(page2["items_per_page"], 10);
    let page3: serde_json::Value =
        serde_json::from_str(&get(&mut c, "ann_posts:page_3:items_per_page:10").unwrap()).unwrap();
    assert_eq!(page3["data"].as_array().unwrap().len(), 5);
    assert_eq!(page3["has_more"], false);
    // A user without posts has page 1 of nothing, as the application answers it.
    let empty: serde_json::Value =
        serde_json::from_str(&get(&mut c, "bob_posts:page_1:items_per_page:10").unwrap()).unwrap();
    assert_eq!(
        empty,
        json!({"data": [], "total_count": 0, "has_more": false, "page": 1, "items_per_page": 10})
    );
    // Four keys: three pages and one; the parent wrote none.
    assert_eq!(dbsize(&mut c), 4);
    // --check knows a page key's own fields.
    cachectl(&r.url())
        .args(["warm", "--check"])
        .arg(&plan)
        .assert()
        .success();

    // A child with no key is named, at its own line.
    let bad = write_plan(
        dir.path(),
        "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: users\n    source: db\n\
         \x20   query: SELECT id FROM users\n    for_each:\n      - name: orphan\n\
         \x20       query: SELECT 1 AS x\n        ttl: 60\n",
    );
    let out = cachectl(&r.url()).arg("warm").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("steps[0].for_each[0].key") && err.contains(":9:"),
        "{err}"
    );
}
