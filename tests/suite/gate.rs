//! One gate for every write (#18): each promise below held on paper and broke on a real server
//! before the gate. Every test checks what is left on the server, not only the exit code.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use support::http::{HttpServer, Response};
use support::{Redis, Run, cachectl, dbsize, exists, json_of, load};

/// Calls of each write command the server has run since its stats were reset.
fn writes_seen(c: &mut redis::Connection) -> Vec<String> {
    let stats: String = redis::cmd("INFO").arg("commandstats").query(c).unwrap();
    stats
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .filter(|cmd| {
            [
                "set",
                "del",
                "unlink",
                "expire",
                "pexpire",
                "persist",
                "restore",
                "getdel",
                "getex",
                "pexpireat",
                "expireat",
            ]
            .contains(&cmd.as_str())
                || cmd == "config|set"
        })
        .collect()
}

/// The server's `notify-keyspace-events`.
fn notify(c: &mut redis::Connection) -> String {
    let pair: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("notify-keyspace-events")
        .query(c)
        .unwrap();
    pair.get(1).cloned().unwrap_or_default()
}

fn ttl(c: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query(c).unwrap()
}

fn get(c: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(c).unwrap()
}

/// A config file naming `url` as `ro` (read-only) and `careful` (confirm: always).
fn config(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "targets:\n\
             \x20 ro: {{ url: \"{url}\", readonly: true }}\n\
             \x20 careful: {{ url: \"{url}\", confirm: always }}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn doctor_never_touches_the_key_it_is_given() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("user:1")
        .arg("precious")
        .arg("EX")
        .arg(5000)
        .exec(&mut c)
        .unwrap();
    redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
    let out = cachectl(&r.url())
        .args(["doctor", "--key", "user:1", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(get(&mut c, "user:1").as_deref(), Some("precious"));
    assert!(ttl(&mut c, "user:1") > 4000, "the doctor changed the TTL");
    assert_eq!(dbsize(&mut c), 1, "the doctor left a key behind");
    // Redis 7 answers ACL DRYRUN: nothing is written at all.
    assert_eq!(writes_seen(&mut c), Vec::<String>::new());

    // A read-only target: no write is tried, not even on a key of the doctor's own.
    let cfg = config(r.dir(), &r.url());
    redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
    cachectl(&r.url())
        .env_remove("CACHECTL_URL")
        .env("CACHECTL_CONFIG", &cfg)
        .args(["--target", "ro", "doctor", "--key", "user:1"])
        .assert()
        .stdout(predicate::str::contains("read-only"));
    assert_eq!(writes_seen(&mut c), Vec::<String>::new());
    assert_eq!(get(&mut c, "user:1").as_deref(), Some("precious"));
}

#[test]
fn the_cap_binds_yes() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..30).map(|i| format!("session:{i}")), 600);
    load(&mut c, (0..30).map(|i| format!("keep:{i}")), 600);
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "session:*",
            "--yes",
            "--max-keys",
            "10",
        ])
        .fails_with(3, "more than --max-keys 10");
    assert_eq!(dbsize(&mut c), 60, "a refusal changed something");
    // The same for exact keys and stdin.
    cachectl(&r.url())
        .args(["invalidate", "-", "--yes", "--max-keys", "2"])
        .write_stdin("session:1\nsession:2\nsession:3\n")
        .assert()
        .code(3);
    assert_eq!(dbsize(&mut c), 60);
    // A larger cap on the command line is how to go past it.
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "session:*",
            "--yes",
            "--max-keys",
            "30",
        ])
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 30);
}

#[test]
fn confirm_always_stops_restore_and_watch_off_a_terminal() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3).map(|i| format!("x:{i}")), 600);
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    let backup = r.dir().join("x.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "x:*"])
        .arg(&backup)
        .assert()
        .success();
    redis::cmd("SET")
        .arg("x:0")
        .arg("new")
        .exec(&mut c)
        .unwrap();
    redis::cmd("DEL").arg("x:1").exec(&mut c).unwrap();
    let cfg = config(r.dir(), &r.url());
    let careful = |args: &[&str]| {
        cachectl(&r.url())
            .env_remove("CACHECTL_URL")
            .env("CACHECTL_CONFIG", &cfg)
            .args(["--target", "careful"])
            .args(args)
            .assert()
    };
    let file = backup.to_str().unwrap();
    careful(&["restore", file])
        .code(3)
        .stderr(predicate::str::contains("confirm: always"));
    careful(&["restore", file, "--replace", "--yes"]).code(3);
    assert!(!exists(&mut c, "x:1"), "a refused restore wrote x:1");
    assert_eq!(get(&mut c, "x:0").as_deref(), Some("new"));
    let before = notify(&mut c);
    careful(&["watch", "*", "--enable-events", "--duration", "1s"]).code(3);
    let after = notify(&mut c);
    assert_eq!(before, after);
    // The cap holds for a restore's overwrites too: three keys over a cap of one.
    redis::cmd("SET")
        .arg("x:1")
        .arg("new")
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("x:2")
        .arg("new")
        .exec(&mut c)
        .unwrap();
    cachectl(&r.url())
        .args(["restore", file, "--replace", "--yes", "--max-keys", "1"])
        .assert()
        .code(3);
    for k in ["x:0", "x:1", "x:2"] {
        assert_eq!(
            get(&mut c, k).as_deref(),
            Some("new"),
            "{k} was overwritten"
        );
    }
}

#[test]
fn protect_and_exclude_hold_for_exact_keys() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        [
            "ratelimit:1",
            "ratelimit:2",
            "ratelimit:3",
            "post:1",
            "post:2",
        ]
        .map(String::from),
        600,
    );
    let out = cachectl(&r.url())
        .args([
            "invalidate",
            "ratelimit:1",
            "post:1",
            "--protect",
            "ratelimit:*",
            "--yes",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(exists(&mut c, "ratelimit:1"), "a protected key was deleted");
    assert!(!exists(&mut c, "post:1"));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ratelimit:1"),
        "the skipped key is reported"
    );
    cachectl(&r.url())
        .args(["invalidate", "-", "--protect", "ratelimit:*", "--yes"])
        .write_stdin("ratelimit:2\n")
        .assert()
        .success();
    cachectl(&r.url())
        .args(["invalidate", "--prefix", "ratelimit", "--id", "id=3"])
        .args(["--protect", "ratelimit:*", "--yes"])
        .assert()
        .success();
    cachectl(&r.url())
        .args(["invalidate", "post:2", "--exclude", "post:*", "--yes"])
        .assert()
        .success();
    for k in ["ratelimit:1", "ratelimit:2", "ratelimit:3", "post:2"] {
        assert!(exists(&mut c, k), "{k} was deleted");
    }
}

#[test]
fn match_everything_is_judged_by_the_count_not_the_spelling() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20).map(|i| format!("k:{i}")), 600);
    for pattern in ["[^]*", "*[^x]*", "[!-~]*"] {
        cachectl(&r.url())
            .args(["invalidate-pattern", pattern])
            .fails_with(3, "every key, or nearly");
        assert_eq!(dbsize(&mut c), 20, "`{pattern}` deleted keys");
    }
}

#[test]
fn a_fix_does_exactly_what_its_plan_listed() {
    let r = Redis::start();
    let mut c = r.conn();
    for k in ["must:1", "must:2", "free:1"] {
        redis::cmd("SET").arg(k).arg("v").exec(&mut c).unwrap();
    }
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    // `free:*` needs no TTL but has an expiry cluster to spread: its TTL-less key is
    // walked for the spread, and must not be given a TTL on the way.
    load(&mut c, (2..12).map(|i| format!("free:{i}")), 600);
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"must:*\"\n    require_ttl: true\n  - match: \"free:*\"\n    max_cluster: 2\n",
    )
    .unwrap();
    let doc = cachectl(&r.url())
        .args(["ttl-audit", "--policy", policy.to_str().unwrap()])
        .args([
            "--fix-missing-ttl",
            "1h",
            "--spread",
            "20",
            "--yes",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["remediation_plan"]["missing_ttl"], 2, "{doc}");
    assert_eq!(doc["remediation"]["ttl_set"], 2, "{doc}");
    assert!(ttl(&mut c, "must:1") > 0 && ttl(&mut c, "must:2") > 0);
    assert_eq!(
        ttl(&mut c, "free:1"),
        -1,
        "a key no rule required a TTL of got one"
    );
}

#[test]
fn watch_ends_on_a_closed_stdout_and_puts_the_setting_back() {
    let r = Redis::start();
    let mut c = r.conn();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
        .args(["watch", "*", "--enable-events", "--interval", "200ms"])
        .args(["-o", "json"])
        .env("CACHECTL_URL", r.url())
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // `| head -1`: the reader has its line and goes away.
    let setting = notify(&mut c);
    assert_ne!(setting, "", "watch did not turn notifications on");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "watch runs on with no reader");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let setting = notify(&mut c);
    assert_eq!(setting, "", "the setting was not put back");
}

#[test]
fn count_is_capped_and_says_so() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..100).map(|i| format!("k:{i}")), 600);
    cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "k:*",
            "--dry-run",
            "--count",
            "1000000000",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("--count").and(predicate::str::contains("10000")));
}

#[test]
fn a_user_without_a_password_is_refused() {
    let r = Redis::start();
    let url = r.url().replace("redis://", "redis://app@");
    cachectl(&url).args(["get", "x"]).assert().code(2);
    cachectl(&r.url())
        .args(["--user", "app", "get", "x"])
        .assert()
        .code(2);
}

#[test]
fn secrets_with_url_syntax_in_them_are_never_printed() {
    let r = Redis::start();
    let port = support::free_port();
    for pw in ["pa/ss", "pa?ss", "pa#ss", "p@ss"] {
        let url = format!("redis://u:{pw}@127.0.0.1:{port}");
        let out = cachectl(&url).args(["-v", "doctor"]).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0));
        assert!(!all.contains(pw), "`{pw}` printed:\n{all}");
        assert!(!all.contains("ss@"), "part of `{pw}` printed:\n{all}");
    }
    let cfg = r.dir().join("c.yaml");
    std::fs::write(
        &cfg,
        format!("targets:\n  t: {{ url: \"redis://u:pa/ss@127.0.0.1:{port}\" }}\n"),
    )
    .unwrap();
    for args in [&["targets"][..], &["targets", "-o", "json"]] {
        let out = cachectl(&r.url())
            .env("CACHECTL_CONFIG", &cfg)
            .args(args)
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&out.stdout).contains("pa/ss"));
    }
}

/// #29.4: passwords in a query string (a Unix socket's `?pass=`, a SQL URL's `?password=`) and
/// in a URL written without a scheme are hidden wherever a URL is shown.
#[test]
fn secrets_in_query_strings_and_scheme_less_urls_are_never_printed() {
    let r = Redis::start();
    let port = support::free_port();
    let cfg = r.dir().join("q.yaml");
    std::fs::write(
        &cfg,
        format!(
            "targets:
  sock: {{ url: \"unix://{}/none.sock?pass=pwq1\" }}
               bare: {{ url: \":pwq2@127.0.0.1:{port}\" }}
",
            r.dir().display()
        ),
    )
    .unwrap();
    let runs: [&[&str]; 6] = [
        &["targets"],
        &["targets", "-o", "json"],
        &["--target", "sock", "-v", "doctor"],
        &["--target", "bare", "-v", "get", "k"],
        &["--target", "bare", "-o", "json", "get", "k"],
        &["--target", "sock", "-v", "-o", "json", "doctor"],
    ];
    for args in runs {
        let out = cachectl(&r.url())
            .env("CACHECTL_CONFIG", &cfg)
            .args(args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("pwq1") && !all.contains("pwq2"),
            "{args:?}:\n{all}"
        );
    }
    let plan = r.dir().join("qplan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  db:\n    url: \"postgres://app@127.0.0.1:{port}/test?sslmode=disable&password=pwq3\"\n\
             steps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{{id}}\"\n    ttl: 60\n"
        ),
    )
    .unwrap();
    for extra in [&[][..], &["--check", "-o", "json"][..]] {
        let out = cachectl(&r.url())
            .arg("warm")
            .arg(&plan)
            .args(extra)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0), "{all}");
        assert!(all.contains(&format!("127.0.0.1:{port}")), "{all}");
        assert!(!all.contains("pwq3"), "{extra:?}: {all}");
    }
}

#[test]
fn a_sql_url_is_shown_expanded_and_redacted() {
    let r = Redis::start();
    let port = support::free_port();
    let plan = r.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  db:\n    url: \"${{NO_SUCH_PG_URL:-postgres://app:hunter2@127.0.0.1:{port}/test}}\"\n\
             steps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{{id}}\"\n    ttl: 60\n"
        ),
    )
    .unwrap();
    let out = cachectl(&r.url())
        .env_remove("NO_SUCH_PG_URL")
        .arg("warm")
        .arg(&plan)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!err.contains("${"), "{err}");
}

#[test]
fn http_headers_stay_with_their_origin_and_paths_are_encoded() {
    let elsewhere = HttpServer::start(|req| {
        if req.headers.contains_key("authorization") {
            Response::json(serde_json::json!({"items": [{"id": "leaked"}]}))
        } else {
            Response::json(serde_json::json!({"items": [{"id": "clean"}]}))
        }
    });
    let other = elsewhere.url();
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = paths.clone();
    let api = HttpServer::start(move |req| {
        seen.lock().unwrap().push(req.path.clone());
        match req.path.as_str() {
            "/first" => Response::json(serde_json::json!({
                "items": [{"id": "a"}],
                "next": format!("{other}/second"),
            })),
            _ => Response::json(serde_json::json!({"items": [{"id": "x"}]})),
        }
    });
    let r = Redis::start();
    let mut c = r.conn();
    let dir = r.dir();
    let db = dir.join("t.db");
    let made = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(\"CREATE TABLE u(id TEXT); INSERT INTO u VALUES ('../admin');\"); c.commit()")
        .arg(&db)
        .status()
        .unwrap();
    assert!(made.success());
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  db:\n    sqlite: t.db\n  api:\n    http:\n      base_url: {}\n      retries: 0\n      headers:\n        Authorization: \"Bearer s3cret\"\n\
             steps:\n  - name: pages\n    source: api\n    request: {{ path: /first, items: /items, paginate: {{ next_link: {{ from: /next }} }} }}\n    key: \"p:{{id}}\"\n    ttl: 60\n\
             \x20 - name: users\n    source: db\n    query: SELECT id FROM u\n    key: \"u:{{id}}\"\n    ttl: 60\n    for_each:\n      - name: posts\n        source: api\n        request:\n          path: /users/{{id}}/posts\n        key: \"posts:{{id}}\"\n        value: collect\n        ttl: 60\n",
            api.url()
        ),
    )
    .unwrap();
    let out = cachectl(&r.url()).arg("warm").arg(&plan).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(exists(&mut c, "p:clean"), "the next page was not fetched");
    assert!(
        !exists(&mut c, "p:leaked"),
        "the token went to another host"
    );
    let paths = paths.lock().unwrap().clone();
    assert!(
        paths.iter().any(|p| p == "/users/%2E%2E%2Fadmin/posts"),
        "row value not encoded: {paths:?}"
    );
}

/// #29.4: a base URL's login goes to its own origin only (a next link `@host:port/…` once
/// moved the host and took the login with it), and a row's `..` or `.` never becomes a path
/// step (`%2E%2E` is `..` to a URL parser): the row is refused, the request never made.
#[test]
fn a_login_stays_with_its_origin_and_a_row_never_climbs_the_path() {
    let elsewhere = HttpServer::start(|req| {
        let id = match req.headers.contains_key("authorization") {
            true => "leaked",
            false => "clean",
        };
        Response::json(serde_json::json!({"items": [{"id": id}]}))
    });
    let other = elsewhere.port;
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = paths.clone();
    let api = HttpServer::start(move |req| {
        seen.lock().unwrap().push(req.path.clone());
        let logged_in =
            req.headers.get("authorization").map(String::as_str) == Some("Basic dXNlcjpodW50ZXIy");
        match req.path.as_str() {
            "/api/first" if logged_in => Response::json(serde_json::json!({
                "items": [{"id": "a"}],
                "next": format!("@127.0.0.1:{other}/steal"),
            })),
            "/api/first" => Response::status(401),
            "/api/posts" => Response::json(serde_json::json!([{"id": "admin-only"}])),
            _ => Response::json(serde_json::json!({"items": [{"id": "x"}]})),
        }
    });
    let r = Redis::start();
    let mut c = r.conn();
    let dir = r.dir();
    let db = dir.join("t.db");
    let made = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(\"CREATE TABLE u(id TEXT); INSERT INTO u VALUES ('..'), ('.'), ('7');\"); c.commit()")
        .arg(&db)
        .status()
        .unwrap();
    assert!(made.success());
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  db:\n    sqlite: t.db\n  api:\n    http:\n      base_url: http://user:hunter2@127.0.0.1:{}/api\n      retries: 0\n\
             steps:\n  - name: pages\n    source: api\n    request: {{ path: /first, items: /items, paginate: {{ next_link: {{ from: /next }} }} }}\n    key: \"p:{{id}}\"\n    ttl: 60\n\
             \x20 - name: users\n    source: db\n    query: SELECT id FROM u\n    key: \"u:{{id}}\"\n    ttl: 60\n    for_each:\n      - name: posts\n        source: api\n        request:\n          path: /users/{{id}}/posts\n        key: \"posts:{{id}}\"\n        value: collect\n        ttl: 60\n",
            api.port
        ),
    )
    .unwrap();
    let out = cachectl(&r.url()).arg("warm").arg(&plan).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the refused rows fail the run: {err}"
    );
    assert!(
        exists(&mut c, "p:a"),
        "the first page was not fetched: {err}"
    );
    assert!(
        !exists(&mut c, "p:leaked"),
        "the login went to another host"
    );
    assert_eq!(elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(exists(&mut c, "posts:7"), "{err}");
    let paths = paths.lock().unwrap().clone();
    assert!(
        !paths
            .iter()
            .any(|p| p == "/api/posts" || p == "/api/users/posts"),
        "{paths:?}"
    );
    assert!(
        err.contains("path step") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn durations_are_bounded_and_huge_windows_end() {
    let r = Redis::start();
    // A hang fails by the command's timeout.
    cachectl(&r.url())
        .args(["ttl-audit", "--window", "584942416y"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2);
    cachectl(&r.url())
        .args(["watch", "*", "--interval", "300000000000y"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2);
    let plan = r.dir().join("plan.yaml");
    for timeout in ["0s", "1e300"] {
        std::fs::write(
            &plan,
            format!(
                "sources:\n  api:\n    http:\n      base_url: http://127.0.0.1:1\n      timeout: {timeout}\n\
                 steps:\n  - name: s\n    source: api\n    request: {{ path: /x }}\n    key: k\n    value: collect\n    ttl: 60\n"
            ),
        )
        .unwrap();
        let out = cachectl(&r.url()).arg("warm").arg(&plan).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "timeout {timeout}: {err}");
        assert!(err.contains("timeout"), "{err}");
    }
}

#[test]
fn a_refused_restore_leaves_no_log_file() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, ["x:1".to_string()], 600);
    let backup = r.dir().join("b.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "x:*"])
        .arg(&backup)
        .assert()
        .success();
    let cfg = config(r.dir(), &r.url());
    let log = r.dir().join("restore.log");
    cachectl(&r.url())
        .env_remove("CACHECTL_URL")
        .env("CACHECTL_CONFIG", &cfg)
        .args(["--target", "ro", "restore"])
        .arg(&backup)
        .args(["--replace", "--yes", "--log"])
        .arg(&log)
        .assert()
        .code(3);
    assert!(!log.exists(), "a refusal left {}", log.display());
}

#[test]
fn stdin_keys_are_deduplicated_and_deleted_exactly() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..50_000).map(|i| format!("k:{i}")), 600);
    load(&mut c, (0..100).map(|i| format!("other:{i}")), 600);
    let mut input = String::new();
    for i in 0..50_000 {
        input.push_str(&format!("k:{i}\n"));
        if i % 2 == 0 {
            input.push_str(&format!("k:{i}\n"));
        }
    }
    let doc = cachectl(&r.url())
        .args([
            "invalidate",
            "-",
            "--yes",
            "--max-keys",
            "100000",
            "-o",
            "json",
        ])
        .write_stdin(input)
        .json();
    assert_eq!(doc["deleted"], 50_000, "{doc}");
    assert_eq!(
        doc["keys"].as_array().map(Vec::len),
        Some(50_000),
        "one entry per key"
    );
    assert_eq!(dbsize(&mut c), 100);
}

#[test]
fn a_long_string_is_shown_in_part_and_streamed_whole() {
    let r = Redis::start();
    let mut c = r.conn();
    let big = "x".repeat(20 << 20);
    redis::cmd("SET").arg("big").arg(&big).exec(&mut c).unwrap();
    let out = cachectl(&r.url())
        .args(["get", "big", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"][0].clone();
    assert_eq!(doc["truncated"], true);
    assert_eq!(doc["length"], 20 << 20);
    assert_eq!(doc["value"].as_str().unwrap().len(), 1 << 20);
    let out = cachectl(&r.url())
        .args(["get", "big", "--raw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout.len(),
        (20 << 20) + 1,
        "the whole value and a newline"
    );
    assert!(out.stdout[..20 << 20].iter().all(|b| *b == b'x'));
}

#[test]
fn an_interrupted_backup_says_so_and_restore_exits_1() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..60_000).map(|i| format!("k:{i}")), 600);
    let backup = r.dir().join("b.cbk");
    let out = support::signalled(
        &r.url(),
        &[
            "backup",
            "--pattern",
            "k:*",
            backup.to_str().unwrap(),
            "--rate",
            "5000",
        ],
        Duration::from_millis(1500),
        libc::SIGTERM,
    );
    assert_eq!(out.status.code(), Some(143));
    let out = cachectl(&r.url())
        .args(["restore", "--dry-run", "-o", "json"])
        .arg(&backup)
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    assert_eq!(doc["complete"], false);
    assert!(
        doc["backup_incomplete"]
            .as_str()
            .is_some_and(|s| s.contains("stopped")),
        "{doc}"
    );
}

#[test]
fn terminal_output_escapes_c1_and_bidi_controls() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("j")
        .arg("{\"a\":\"x\u{9b}2J\u{202e}y\"}")
        .exec(&mut c)
        .unwrap();
    let mut pty = support::pty::Pty::cachectl(&r.url(), &["get", "j"]);
    assert_eq!(pty.wait(20), 0);
    let screen = pty.screen();
    assert!(screen.contains("\"a\""), "{screen}");
    assert!(
        !screen.contains('\u{9b}') && !screen.contains('\u{202e}'),
        "{screen:?}"
    );
}

/// #18.14: an unchecked certificate is said, in `targets` and in `doctor`.
#[test]
fn an_unchecked_certificate_is_flagged() {
    let (r, _ca) = Redis::start_tls();
    let cfg = r.dir().join("c.yaml");
    std::fs::write(
        &cfg,
        format!(
            "targets:\n  t: {{ url: \"{}\", tls: {{ insecure: true }} }}\n",
            r.url()
        ),
    )
    .unwrap();
    cachectl(&r.url())
        .env("CACHECTL_CONFIG", &cfg)
        .arg("targets")
        .assert()
        .success()
        .stdout(predicate::str::contains("TLS INSECURE"));
    let doc = cachectl(&r.url())
        .args(["--tls-insecure", "doctor", "-o", "json"])
        .json();
    assert_eq!(doc["tls_insecure"], true, "{doc}");
    cachectl(&r.url())
        .args(["--tls-insecure", "doctor"])
        .assert()
        .stdout(predicate::str::contains("WITHOUT CERTIFICATE CHECK"));
    // #29.4: the URL's own `#insecure` is the same lack of a check, and said the same way.
    let fragment = format!("{}#insecure", r.url());
    let doc = cachectl(&fragment).args(["doctor", "-o", "json"]).json();
    assert_eq!(doc["tls_insecure"], true, "{doc}");
    std::fs::write(&cfg, format!("targets:\n  t: {{ url: \"{fragment}\" }}\n")).unwrap();
    cachectl(&r.url())
        .env("CACHECTL_CONFIG", &cfg)
        .arg("targets")
        .assert()
        .success()
        .stdout(predicate::str::contains("TLS INSECURE"));
}

/// #18.21: an HTTP body past `max_body` is refused, not read without bound.
#[test]
fn an_http_body_past_its_cap_is_refused() {
    let big = "x".repeat(4096);
    let api =
        HttpServer::start(move |_| Response::json(serde_json::json!({"items": [{"id": big}]})));
    let r = Redis::start();
    let mut c = r.conn();
    let plan = r.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "sources:\n  api:\n    http:\n      base_url: {}\n      retries: 0\n      max_body: 1024\n\
             steps:\n  - name: s\n    source: api\n    request: {{ path: /x, items: /items }}\n    key: \"k:1\"\n    ttl: 60\n",
            api.url()
        ),
    )
    .unwrap();
    let out = cachectl(&r.url()).arg("warm").arg(&plan).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("larger than max_body (1024 bytes)"), "{err}");
    assert_eq!(dbsize(&mut c), 0);
}

/// Backups, logs and checkpoints hold keys and values: created for their owner alone.
#[test]
fn files_with_keys_in_them_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..50).map(|i| format!("user_{i}")), 600);
    let backup = r.dir().join("b.cbk");
    let log = r.dir().join("sweep.jsonl");
    cachectl(&r.url())
        .args(["invalidate-pattern", "user_*", "--yes", "--backup"])
        .arg(&backup)
        .arg("--log")
        .arg(&log)
        .assert()
        .success();
    // The page names every family and the command line.
    // A link planted at the name a page's temporary file once had is not written through.
    let page = r.dir().join("audit.html");
    let victim = r.dir().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, r.dir().join("audit.tmp")).unwrap();
    load(&mut c, (0..50).map(|i| format!("post_{i}")), 600);
    cachectl(&r.url())
        .args(["ttl-audit", "--html"])
        .arg(&page)
        .assert()
        .success();
    for f in [&backup, &log, &page] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", f.display());
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let left: Vec<_> = std::fs::read_dir(r.dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp") && n != "audit.tmp")
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// A library caller cannot lift a target's rules by asking the gate under other ones: a
/// permit judged under a permissive policy opens no write on a read-only target's store.
#[test]
fn a_permit_holds_only_under_the_rules_it_was_judged_by() {
    use cachectl::guard::{self, Action, Guards, NoOne, Policy, Proposal, Selection};
    let r = Redis::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let readonly = Policy {
        readonly: true,
        ..Policy::default()
    };
    let store = runtime
        .block_on(
            cachectl::Target {
                url: r.url(),
                policy: readonly,
                ..cachectl::Target::default()
            }
            .connect(),
        )
        .unwrap();
    let stop = cachectl::stop::Stop::new();
    let proposal = || {
        Proposal::new(
            Action::Write,
            vec![Selection::of("key `k`".into(), 1, 0, false)],
        )
    };
    let yes = Guards {
        yes: true,
        ..Guards::default()
    };
    // Under its own rules the gate refuses.
    let own = runtime.block_on(guard::authorise(
        store.policy(),
        proposal(),
        &yes,
        &NoOne,
        &stop,
    ));
    assert!(own.is_err(), "a read-only target gave a permit");
    // Under a permissive policy it gives one, which this store refuses, unsent.
    let elsewhere = runtime
        .block_on(guard::authorise(
            &Policy::default(),
            proposal(),
            &yes,
            &NoOne,
            &stop,
        ))
        .unwrap();
    let mut set = redis::cmd("SET");
    set.arg("k").arg("v");
    let written = runtime.block_on(store.write::<redis::Value>(&elsewhere, &set));
    assert!(
        matches!(written, Err(cachectl::Error::Unpermitted(_))),
        "{written:?}"
    );
    assert!(!exists(&mut r.conn(), "k"), "the write went through");
}

/// #31.1: one key's TTL without a policy, `expire KEY TTL` and `persist KEY`, through the gate
/// as every write: refused on a read-only target and under `confirm: always` with no one to
/// ask (exit 3, the TTL as it was); a dry run changes nothing; a missing key exits 1.
#[test]
fn expire_and_persist_go_through_the_gate() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET").arg("k").arg("v").exec(&mut c).unwrap();
    let cfg = config(r.dir(), &r.url());
    let ttl = |c: &mut redis::Connection| -> i64 { redis::cmd("TTL").arg("k").query(c).unwrap() };
    for target in ["ro", "careful"] {
        cachectl(&r.url())
            .env_remove("CACHECTL_URL")
            .env("CACHECTL_CONFIG", &cfg)
            .args(["--target", target, "expire", "k", "1h"])
            .assert()
            .code(3);
        assert_eq!(ttl(&mut c), -1, "{target}");
    }
    let doc = cachectl(&r.url())
        .args(["expire", "k", "1h", "--dry-run", "-o", "json"])
        .json();
    assert_eq!(
        (doc["ttl_ms"].as_u64(), doc["changed"].as_bool()),
        (Some(3_600_000), Some(false))
    );
    assert_eq!(ttl(&mut c), -1);
    let doc = cachectl(&r.url())
        .args(["expire", "k", "1h", "-o", "json"])
        .json();
    assert_eq!(doc["changed"], true, "{doc}");
    assert!((3590..=3600).contains(&ttl(&mut c)));
    let doc = cachectl(&r.url())
        .args(["persist", "k", "-o", "json"])
        .json();
    assert_eq!(
        (doc["changed"].as_bool(), doc["ttl_ms"].is_null()),
        (Some(true), true)
    );
    assert_eq!(ttl(&mut c), -1);
    cachectl(&r.url())
        .args(["expire", "gone", "1h"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not exist"));

    // A target's protected namespace holds for one key as for a sweep: set, expire and persist
    // are refused (exit 3), the key as it was.
    let prot = r.dir().join("protect.yaml");
    std::fs::write(
        &prot,
        format!(
            "targets:\n  p: {{ url: \"{}\", protect: [\"k*\"] }}\n",
            r.url()
        ),
    )
    .unwrap();
    redis::cmd("EXPIRE").arg("k").arg(600).exec(&mut c).unwrap();
    for args in [
        &["expire", "k", "1h"][..],
        &["persist", "k"],
        &["set", "k", "x", "--ttl", "1h"],
    ] {
        cachectl(&r.url())
            .env_remove("CACHECTL_URL")
            .env("CACHECTL_CONFIG", &prot)
            .args(["--target", "p"])
            .args(args)
            .assert()
            .code(3)
            .stderr(predicate::str::contains("protected"));
        assert!((590..=600).contains(&ttl(&mut c)), "{args:?}");
        assert_eq!(get(&mut c, "k").as_deref(), Some("v"), "{args:?}");
    }
}
