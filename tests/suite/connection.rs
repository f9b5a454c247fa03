//! Reaching the server: TLS, ACL users with passwords from the environment, timeouts and dead
//! URLs, and that a password never shows up in any output.

use crate::support;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, json_of};

#[test]
fn tls_with_a_ca_file() {
    let (r, ca) = Redis::start_tls();
    cachectl(&r.url())
        .args(["set", "tls:k", "v", "--ttl", "60", "--tls-ca"])
        .arg(&ca)
        .assert()
        .success();
    let out = cachectl(&r.url())
        .args(["get", "tls:k", "-o", "json", "--tls-ca"])
        .arg(&ca)
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["keys"][0]["value"], "v");
    // Without the CA the server's certificate is not trusted.
    cachectl(&r.url()).args(["get", "tls:k"]).assert().code(1);
    // --tls-insecure accepts it anyway (testing only).
    cachectl(&r.url())
        .args(["get", "tls:k", "--tls-insecure"])
        .assert()
        .success();
}

#[test]
fn acl_user_with_password_from_env() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("ACL")
        .arg(&["SETUSER", "ops", "on", ">hunter2-secret", "~*", "+@all"])
        .exec(&mut c)
        .unwrap();
    redis::cmd("ACL")
        .arg(&["SETUSER", "default", "off"])
        .exec(&mut c)
        .unwrap();
    cachectl(&r.url())
        .args([
            "set",
            "acl:k",
            "v",
            "--ttl",
            "60",
            "--user",
            "ops",
            "--password-env",
            "OPS_PW",
        ])
        .env("OPS_PW", "hunter2-secret")
        .assert()
        .success();
    // Wrong password: clear error, no password echoed, even with --verbose.
    cachectl(&r.url())
        .args([
            "get",
            "acl:k",
            "--verbose",
            "--user",
            "ops",
            "--password-env",
            "OPS_PW",
        ])
        .env("OPS_PW", "wrong-pass-xyz")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("authentication failed")
                .and(predicate::str::contains("wrong-pass-xyz").not()),
        );
    // Password in the URL is redacted in --verbose output.
    let url = format!("redis://ops:hunter2-secret@127.0.0.1:{}", r.port);
    cachectl(&url)
        .args(["get", "acl:k", "--verbose"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("ops:***@").and(predicate::str::contains("hunter2").not()),
        );
    // A variable that is not set is a usage error naming it.
    cachectl(&r.url())
        .args([
            "get",
            "acl:k",
            "--user",
            "ops",
            "--password-env",
            "NOT_SET_ANYWHERE",
        ])
        .env_remove("NOT_SET_ANYWHERE")
        .fails_with(2, "NOT_SET_ANYWHERE is not set");
}

#[test]
fn dead_url_is_a_clear_error() {
    let port = support::free_port();
    cachectl(&format!("redis://127.0.0.1:{port}"))
        .args(["get", "x", "--timeout", "1s"])
        .fails_with(1, &format!("cannot connect to 127.0.0.1:{port}"));
}

#[test]
fn unresponsive_server_times_out_naming_host_and_port() {
    // A listener that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    cachectl(&format!("redis://127.0.0.1:{port}"))
        .args(["get", "x", "--timeout", "300ms"])
        .fails_with(1, &format!("127.0.0.1:{port}"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    drop(listener);
}

#[test]
fn bad_url_is_a_usage_error_without_the_password() {
    cachectl("http://user:topsecret@host")
        .args(["get", "x"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("invalid Redis URL")
                .and(predicate::str::contains("topsecret").not()),
        );
}

#[test]
fn url_falls_back_to_redis_url() {
    let r = Redis::start();
    let mut cmd = cachectl(&r.url());
    cmd.env_remove("CACHECTL_URL").env("REDIS_URL", r.url());
    cmd.args(["set", "fallback", "v", "--ttl", "60"])
        .assert()
        .success();
    // The key is on REDIS_URL's server (the default, 127.0.0.1:6379, would pass otherwise)…
    assert!(support::exists(&mut r.conn(), "fallback"));
    // …and a REDIS_URL where nothing listens is where it tries.
    let dead = format!("redis://127.0.0.1:{}", support::free_port());
    let mut cmd = cachectl(&r.url());
    cmd.env_remove("CACHECTL_URL").env("REDIS_URL", &dead);
    cmd.args(["get", "fallback"]).assert().code(1);
}

#[test]
fn database_index_in_the_url() {
    let r = Redis::start();
    cachectl(&format!("{}/3", r.url()))
        .args(["set", "db3", "v", "--ttl", "60"])
        .assert()
        .success();
    let mut c = r.conn();
    assert!(!support::exists(&mut c, "db3"));
    redis::cmd("SELECT").arg(3).exec(&mut c).unwrap();
    assert!(support::exists(&mut c, "db3"));
}

#[test]
fn scans_work_for_a_user_without_time() {
    // Scans ask the server to time each batch (TIME); an ACL that forbids it must only cost
    // the precision of batch sizing, and the second connection must log in too.
    let r = Redis::start();
    let mut c = r.conn();
    support::load(&mut c, (0..5000).map(|i| format!("acl2:{i}")), 600);
    redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "scanner",
            "on",
            ">pw-for-scans",
            "~*",
            "+@all",
            "-time",
        ])
        .exec(&mut c)
        .unwrap();
    let out = cachectl(&r.url())
        .args(["--user", "scanner", "--password-env", "SCAN_PW"])
        .args(["inspect", "--pattern", "acl2:*", "-o", "json"])
        .env("SCAN_PW", "pw-for-scans")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["inspected"], 5000);
    let out = cachectl(&r.url())
        .args(["--user", "scanner", "--password-env", "SCAN_PW"])
        .args(["invalidate-pattern", "acl2:*", "--yes", "-o", "json"])
        .env("SCAN_PW", "pw-for-scans")
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["deleted"], 5000);
}

/// A replica given as the target of a write is refused at once, naming its primary; reading
/// from it is fine.
#[test]
fn a_replica_given_for_a_write_names_its_primary() {
    let primary = Redis::start();
    let replica = Redis::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut c = primary.conn();
    redis::cmd("SET").arg("k").arg("v").exec(&mut c).unwrap();
    // The replica has the key once its first sync is done.
    let mut rc = replica.conn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while redis::cmd("GET")
        .arg("k")
        .query::<Option<String>>(&mut rc)
        .ok()
        .flatten()
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never synced"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let named = format!("is a replica of 127.0.0.1:{}", primary.port);
    for args in [
        vec!["set", "k", "new", "--ttl", "60"],
        vec!["invalidate-pattern", "k*", "--yes"],
        vec!["invalidate", "k", "--yes"],
    ] {
        cachectl(&replica.url())
            .args(&args)
            .timeout(std::time::Duration::from_secs(5))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(named.as_str()));
    }
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    cachectl(&replica.url())
        .args(["get", "k"])
        .assert()
        .success();
    cachectl(&replica.url())
        .args(["invalidate-pattern", "k*", "--dry-run"])
        .assert()
        .success();
}
