//! Command-line conventions: global flags anywhere, one JSON document, usage errors, a closed
//! stdout, and completions that match the flags.

mod support;

use predicates::prelude::*;
use support::{Redis, cachectl, json_of};

#[test]
fn global_flags_before_or_after_the_subcommand() {
    let r = Redis::start();
    cachectl("redis://127.0.0.1:1")
        .args([
            "--url",
            &r.url(),
            "--output",
            "json",
            "set",
            "g",
            "v",
            "--ttl",
            "60",
        ])
        .assert()
        .success();
    let out = cachectl("redis://127.0.0.1:1")
        .args([
            "get",
            "g",
            "--url",
            &r.url(),
            "-o",
            "json",
            "--timeout",
            "2s",
            "--no-color",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["keys"][0]["value"], "v");
}

#[test]
fn usage_errors_exit_2() {
    cachectl("redis://127.0.0.1:1")
        .args(["frobnicate"])
        .assert()
        .code(2);
    cachectl("redis://127.0.0.1:1")
        .args(["get"])
        .assert()
        .code(2);
    cachectl("redis://127.0.0.1:1")
        .args(["invalidate-pattern", "x", "--show", "lots"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_exit_codes() {
    cachectl("redis://127.0.0.1:1")
        .arg("--help")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("3    refused by a safety guard")
                .and(predicate::str::contains("130  interrupted")),
        );
}

/// The checked-in completions must match what the binary generates. Set
/// CACHECTL_UPDATE_COMPLETIONS=1 to rewrite them after changing flags.
#[test]
fn completions_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "cachectl.bash"),
        ("zsh", "_cachectl"),
        ("fish", "cachectl.fish"),
        ("powershell", "_cachectl.ps1"),
        ("elvish", "cachectl.elv"),
    ] {
        let out = cachectl("redis://127.0.0.1:1")
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = dir.join(file);
        if std::env::var_os("CACHECTL_UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&path, &out.stdout).unwrap();
            continue;
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "completions/{file} is stale: run CACHECTL_UPDATE_COMPLETIONS=1 cargo test --test cli"
        );
    }
}

/// `-o json` always prints one document, also when the run fails before it has a report.
#[test]
fn json_output_is_never_empty() {
    let port = support::free_port();
    for args in [
        vec!["get", "k", "-o", "json"],
        vec!["invalidate-pattern", "x*", "--yes", "-o", "json"],
        vec!["ttl-audit", "-o", "json"],
    ] {
        let out = cachectl(&format!("redis://127.0.0.1:{port}"))
            .args(&args)
            .args(["--timeout", "1s"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let doc = json_of(&out);
        assert_eq!(doc["complete"], false, "{args:?}: {doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot connect")
        );
        assert_eq!(doc["error"]["exit_code"], 1);
    }
}
