//! Named targets from a config file: chosen by `--target`, `CACHECTL_TARGET` or the file's
//! default; flags override their settings; `readonly`, `confirm: always` and `max_keys` guard
//! what may be done there, and `targets` lists them without secrets.

use crate::support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use support::{Redis, Run, dbsize, load};

fn config(r: &Redis) -> PathBuf {
    let url = r.url();
    let path = r.dir().join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "default: local\n\
             targets:\n\
             \x20 local: {{ url: \"{url}\" }}\n\
             \x20 prod:\n\
             \x20   url: \"redis://ops:s3cret@127.0.0.1:1\"\n\
             \x20   password_env: PROD_PASSWORD\n\
             \x20   readonly: true\n\
             \x20 careful: {{ url: \"{url}\", confirm: always }}\n\
             \x20 small: {{ url: \"{url}\", max_keys: 5 }}\n\
             \x20 ro: {{ url: \"{url}\", readonly: true }}\n"
        ),
    )
    .unwrap();
    path
}

/// cachectl with only the config file to go by: no URL from the environment.
fn cachectl(config: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("cachectl").unwrap();
    cmd.env_remove("REDIS_URL")
        .env_remove("CACHECTL_URL")
        .env_remove("CACHECTL_TARGET")
        .env("CACHECTL_CONFIG", config)
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

#[test]
fn targets_are_listed_without_secrets_and_the_default_is_used() {
    let r = Redis::start();
    let cfg = config(&r);
    cachectl(&cfg).arg("targets").assert().success().stdout(
        predicate::str::contains("* local")
            .and(predicate::str::contains("read-only"))
            .and(predicate::str::contains("password from $PROD_PASSWORD"))
            .and(predicate::str::contains("s3cret").not()),
    );
    let out = cachectl(&cfg)
        .args(["targets", "-o", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    let prod = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "prod")
        .unwrap();
    assert_eq!(prod["readonly"], true);

    // No URL anywhere: the default target is where the key goes.
    cachectl(&cfg)
        .args(["set", "k", "v", "--ttl", "60"])
        .assert()
        .success();
    assert!(support::exists(&mut r.conn(), "k"));
    // CACHECTL_TARGET names one; a name the file lacks is a usage error naming those it has.
    cachectl(&cfg)
        .env("CACHECTL_TARGET", "local")
        .args(["get", "k"])
        .assert()
        .success();
    cachectl(&cfg)
        .args(["--target", "stage", "get", "k"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no target is named `stage`")
                .and(predicate::str::contains("careful, local, prod, ro, small")),
        );
}

#[test]
fn a_readonly_target_refuses_every_write_and_changes_nothing() {
    let r = Redis::start();
    let cfg = config(&r);
    let mut c = r.conn();
    load(&mut c, (0..10).map(|i| format!("x:{i}")), 600);
    let policy = r.dir().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"x:*\"\n    require_ttl: true\n",
    )
    .unwrap();
    let backup = r.dir().join("b.cbk");
    cachectl(&cfg)
        .args(["--target", "ro", "backup", "--pattern", "x:*"])
        .arg(&backup)
        .assert()
        .success();
    for args in [
        vec!["invalidate-pattern", "x:*", "--yes"],
        vec!["invalidate", "x:1", "--yes"],
        vec!["set", "x:1", "new", "--ttl", "60"],
        vec![
            "ttl-audit",
            "--fix-missing-ttl",
            "1h",
            "--yes",
            "--policy",
            policy.to_str().unwrap(),
        ],
        vec!["restore", backup.to_str().unwrap(), "--replace", "--yes"],
    ] {
        cachectl(&cfg)
            .args(["--target", "ro"])
            .args(&args)
            .fails_with(3, "target `ro` is read-only");
    }
    assert_eq!(dbsize(&mut c), 10);
    let v: String = redis::cmd("GET").arg("x:1").query(&mut c).unwrap();
    assert_eq!(v, "v");
    // Reading is what a read-only target is for; a dry run changes nothing either.
    cachectl(&cfg)
        .args(["--target", "ro", "get", "x:1"])
        .assert()
        .success();
    cachectl(&cfg)
        .args(["--target", "ro", "invalidate-pattern", "x:*", "--dry-run"])
        .assert()
        .success();
    // Flags override a target's settings, not its guards: another URL is still read-only.
    cachectl(&cfg)
        .args([
            "--target",
            "prod",
            "--url",
            &r.url(),
            "invalidate-pattern",
            "x:*",
            "--yes",
        ])
        .env("PROD_PASSWORD", "unused")
        .assert()
        .code(3);
    assert_eq!(dbsize(&mut c), 10);
}

#[test]
fn confirm_always_and_max_keys_come_from_the_target() {
    let r = Redis::start();
    let cfg = config(&r);
    let mut c = r.conn();
    load(&mut c, (0..10).map(|i| format!("x:{i}")), 600);
    // Other keys too: `x:*` must not be (nearly) the whole keyspace, which is broad anyway.
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    // confirm: always: --yes does not skip the question, and off a terminal no one answers.
    cachectl(&cfg)
        .args(["--target", "careful", "invalidate-pattern", "x:*", "--yes"])
        .fails_with(3, "confirm: always");
    cachectl(&cfg)
        .args(["--target", "careful", "set", "x:1", "new", "--ttl", "60"])
        .assert()
        .code(3);
    assert_eq!(dbsize(&mut c), 20);
    // max_keys: 5 makes ten keys a broad deletion, refused off a terminal without --yes…
    cachectl(&cfg)
        .args(["--target", "small", "invalidate-pattern", "x:*"])
        .fails_with(3, "--max-keys");
    assert_eq!(dbsize(&mut c), 20);
    // …unless the flag says otherwise.
    cachectl(&cfg)
        .args([
            "--target",
            "small",
            "invalidate-pattern",
            "x:*",
            "--max-keys",
            "100",
        ])
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 10);
}

#[test]
fn confirm_always_asks_at_a_terminal_even_with_yes() {
    let r = Redis::start();
    let cfg = config(&r);
    let mut c = r.conn();
    load(&mut c, (0..10).map(|i| format!("x:{i}")), 600);
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    let cfg = cfg.to_str().unwrap();
    let mut pty = support::pty::Pty::cachectl(
        &r.url(),
        &[
            "--config",
            cfg,
            "--target",
            "careful",
            "invalidate-pattern",
            "x:*",
            "--yes",
        ],
    );
    pty.expect("Go ahead? [y/N]", 20);
    assert_eq!(dbsize(&mut c), 20, "nothing before the answer");
    pty.type_line("y");
    assert_eq!(pty.wait(20), 0);
    assert_eq!(dbsize(&mut c), 10);
}
