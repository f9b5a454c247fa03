//! Clear errors: a server's refusals in its own words with the fix, what answers when the URL
//! points at something that is not the Redis it says, least-privilege users that can still
//! work, and flag values refused before anything runs.

use crate::support;

use predicates::prelude::*;
use support::http::{HttpServer, Response};
use support::{Redis, Run, cachectl, exists, json_of, load};

fn acl(c: &mut redis::Connection, args: &[&str]) {
    redis::cmd("ACL").arg("SETUSER").arg(args).exec(c).unwrap();
}

#[test]
fn server_refusals_name_the_cause_and_the_fix() {
    let secured = Redis::start_with(&["--requirepass", "sekret"]);
    let no_auth = format!("redis://127.0.0.1:{}", secured.port);
    cachectl(&no_auth)
        .args(["get", "k"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("NOAUTH").and(predicate::str::contains("--password-env")))
        .stderr(predicate::str::contains("Incompatible type").not());
    cachectl(&format!("redis://:wrong@127.0.0.1:{}", secured.port))
        .args(["get", "k"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("authentication failed")
                .and(predicate::str::contains("--user")),
        );

    let r = Redis::start();
    let mut c = r.conn();
    acl(
        &mut c,
        &[
            "reader",
            "on",
            ">pw",
            "~*",
            "+get",
            "+type",
            "+pttl",
            "+cluster|info",
        ],
    );
    cachectl(&format!("redis://reader:pw@127.0.0.1:{}", r.port))
        .args(["set", "k", "v", "--ttl", "60"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("NOPERM")
                .and(predicate::str::contains("ACL SETUSER <user> +set")),
        );
    assert!(!exists(&mut c, "k"));

    // A replica is refused before the write, naming its primary…
    let replica = Redis::start_with(&["--replicaof", "127.0.0.1", &r.port.to_string()]);
    cachectl(&replica.url())
        .args(["set", "k", "v", "--ttl", "60"])
        .fails_with(2, &format!("is a replica of 127.0.0.1:{}", r.port));
    // …and when the user may ask neither ROLE nor INFO, its READONLY says what to do.
    let mut rc = replica.conn();
    acl(
        &mut rc,
        &[
            "writer",
            "on",
            ">pw",
            "~*",
            "+set",
            "+pttl",
            "+cluster|info",
        ],
    );
    cachectl(&format!("redis://writer:pw@127.0.0.1:{}", replica.port))
        .args(["set", "k", "v", "--ttl", "60"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("READONLY").and(predicate::str::contains("primary")));
}

/// `+@all -@dangerous` is what applications commonly get: INFO, CONFIG, DEBUG refused. Every
/// command a cache operator needs must work with it.
#[test]
fn an_application_acl_is_enough_for_every_command() {
    let r = Redis::start();
    let mut c = r.conn();
    acl(
        &mut c,
        &["app", "on", ">pw", "~*", "&*", "+@all", "-@dangerous"],
    );
    load(&mut c, (0..30).map(|i| format!("post_cache:{i}")), 600);
    let url = format!("redis://app:pw@127.0.0.1:{}", r.port);
    cachectl(&url)
        .args(["get", "post_cache:1"])
        .assert()
        .success();
    cachectl(&url)
        .args(["set", "k", "v", "--ttl", "60"])
        .assert()
        .success();
    cachectl(&url)
        .args(["inspect", "post_cache:1"])
        .assert()
        .success();
    let out = cachectl(&url)
        .args(["inspect", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["inspected"], 31);
    let out = cachectl(&url)
        .args(["ttl-audit", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["audited"], 31);
    assert!(
        doc["headline_note"].as_str().unwrap().contains("NOPERM"),
        "{doc}"
    );
    cachectl(&url)
        .args(["invalidate-pattern", "post_cache:*", "--yes"])
        .assert()
        .success();
    assert!(!exists(&mut c, "post_cache:1"));
}

#[test]
fn rediss_to_a_plaintext_port_says_so_without_waiting_out_the_timeout() {
    let r = Redis::start();
    // A long timeout: waiting it out would fail the harness's 60 s limit.
    cachectl(&format!("rediss://127.0.0.1:{}", r.port))
        .args(["get", "k", "--timeout", "120s"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("plaintext Redis").and(predicate::str::contains("redis://")),
        );
}

#[test]
fn redis_to_a_tls_port_says_to_use_rediss() {
    let (r, _ca) = Redis::start_tls();
    cachectl(&format!("redis://127.0.0.1:{}", r.port))
        .args(["get", "k", "--timeout", "2s"])
        .fails_with(1, "rediss://");
}

#[test]
fn other_servers_are_named() {
    let http = HttpServer::start(|_| Response::status(404));
    let port = http
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    cachectl(&format!("redis://127.0.0.1:{port}"))
        .args(["get", "k"])
        .fails_with(1, "an HTTP server");
    // The machine's MariaDB (CI has it too).
    if std::net::TcpStream::connect("127.0.0.1:3306").is_ok() {
        cachectl("redis://127.0.0.1:3306")
            .args(["get", "k"])
            .fails_with(1, "MySQL/MariaDB");
    } else {
        support::skip_unless_ci("no MariaDB on 127.0.0.1:3306");
    }
}

#[test]
fn zero_durations_are_usage_errors() {
    for args in [
        vec!["get", "k", "--timeout", "0s"],
        vec!["inspect", "--budget", "0ms"],
        vec!["ttl-audit", "--window", "0s"],
    ] {
        cachectl("redis://127.0.0.1:1")
            .args(&args)
            .fails_with(2, "more than zero");
    }
}

/// #31.9: errors in the user's terms. A key given twice in a plan, a `key:` indented into the
/// query, a TTL range written `1h`/`30m` said back as written, and a PostgreSQL port given as
/// a Redis URL named as PostgreSQL.
#[test]
fn mistakes_are_said_in_the_users_terms() {
    let dir = tempfile::TempDir::new().unwrap();
    let plan = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let head = "sources:\n  db:\n    sqlite: t.db\nsteps:\n  - name: a\n    source: db\n";
    let twice = plan(
        "twice.yaml",
        &format!(
            "{head}    query: SELECT 1 AS id\n    key: \"x:{{id}}\"\n    key: \"y:{{id}}\"\n    ttl: 60\n"
        ),
    );
    let swallowed = plan(
        "indent.yaml",
        &format!(
            "{head}    query: |\n      SELECT 1 AS id\n      key: \"x:{{id}}\"\n    ttl: 60\n"
        ),
    );
    for (file, says) in [
        (
            &twice,
            "twice.yaml:9:5: steps[0]: `key` is given twice here: keep one",
        ),
        (&swallowed, "has a `key:` line in it: indent `key:`"),
    ] {
        let out = cachectl("redis://127.0.0.1:1")
            .arg("warm")
            .arg(file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("DuplicateKeyPolicy"), "{err}");
    }
    let policy = plan(
        "p.yaml",
        "rules:\n  - match: \"a*\"\n    ttl: {min: 1h, max: 30m}\n",
    );
    let out = cachectl("redis://127.0.0.1:1")
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("min 1h is longer than max 30m"), "{err}");

    let Some(pg) = std::env::var("CACHECTL_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        support::skip_unless_ci("CACHECTL_TEST_POSTGRES_URL is not set");
        return;
    };
    // postgres://user@host:port/db: the host and port, given to cachectl as a Redis URL.
    let authority = pg.split("://").nth(1).unwrap().split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    let redis_url = format!("redis://{host_port}");
    let out = cachectl(&redis_url)
        .args(["--timeout", "2s", "get", "k"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("a PostgreSQL server answers there"), "{err}");
}
