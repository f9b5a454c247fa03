//! What reaches a terminal or a pipe: values that cannot drive the terminal, quiet ends on a
//! closed stdout, values no formatter panics on, looking that does not touch, capped previews,
//! exact groups, and what `set` did to a TTL.

use crate::support;

use std::process::Command;

use predicates::prelude::*;
use support::pty::Pty;
use support::{Redis, Run, cachectl, entry, json_of, load};

fn cmd(c: &mut redis::Connection, args: &[&str]) -> redis::Value {
    redis::cmd(args[0]).arg(&args[1..]).query(c).unwrap()
}

#[test]
fn values_are_shown_on_a_terminal_never_obeyed() {
    let r = Redis::start();
    let mut c = r.conn();
    cmd(&mut c, &["SET", "evil", "before\x1b[2J\x1b[31mRED"]);
    let mut pty = Pty::cachectl(&r.url(), &["get", "evil"]);
    assert_eq!(pty.wait(20), 0);
    let seen = pty.seen.clone();
    assert!(
        !seen.windows(4).any(|w| w == b"\x1b[2J"),
        "the value cleared the screen: {:?}",
        pty.screen()
    );
    assert!(
        pty.screen().contains("before\\x1b[2J\\x1b[31mRED"),
        "{}",
        pty.screen()
    );
    // --raw is raw, on request.
    let mut pty = Pty::cachectl(&r.url(), &["get", "evil", "--raw"]);
    assert_eq!(pty.wait(20), 0);
    assert!(pty.seen.windows(4).any(|w| w == b"\x1b[2J"));
    // Piped, the bytes go through as stored.
    let out = cachectl(&r.url()).args(["get", "evil"]).output().unwrap();
    assert_eq!(out.stdout, b"before\x1b[2J\x1b[31mRED\n");
}

#[test]
fn binary_keys_and_escaped_text_do_not_look_alike() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg(b"bin:\xff")
        .arg("1")
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("bin:\\xff")
        .arg("2")
        .exec(&mut c)
        .unwrap();
    let doc = cachectl(&r.url())
        .args(["invalidate-pattern", "bin:*", "--dry-run", "-o", "json"])
        .json();
    let mut sample: Vec<String> = doc["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    sample.sort();
    assert_eq!(sample, vec!["\"bin:\\xff\"", "bin:\\xff"]);
}

/// Exit status of cachectl at the head of a pipe whose reader stops early (bash, pipefail).
fn status_when_stdout_closes(url: &str, args: &str, close_stderr: bool) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("cachectl");
    let stderr = if close_stderr { "2>&-" } else { "" };
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' {args} {stderr} | head -c 10 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"",
            bin.display()
        ))
        .env("CACHECTL_URL", url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = stdout
        .trim()
        .strip_prefix("status=")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {stdout:?}"));
    (status, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_stdout_ends_quietly_with_success() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3000).map(|i| format!("pipe:{i}")), 600);
    let big = "x".repeat(4 << 20);
    redis::cmd("SET").arg("big").arg(&big).exec(&mut c).unwrap();
    for args in [
        "get big -o json",
        "get big",
        "invalidate-pattern 'pipe:*' --dry-run --show all",
        "invalidate-pattern 'pipe:*' --dry-run --show all -o json",
        "inspect --group-by prefix",
        "ttl-audit --charts always",
    ] {
        for close_stderr in [false, true] {
            let (status, stderr) = status_when_stdout_closes(&r.url(), args, close_stderr);
            assert_eq!(
                status, 0,
                "`{args}` (stderr closed: {close_stderr}): {stderr}"
            );
            assert!(
                !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn no_ttl_a_server_can_hold_panics_the_tool() {
    let r = Redis::start();
    let mut c = r.conn();
    cmd(&mut c, &["SET", "far", "{\"a\":1}"]);
    cmd(&mut c, &["EXPIRE", "far", "300000000000"]);
    let out = cachectl(&r.url())
        .args(["inspect", "far"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("9512y"));
    for args in [
        vec!["get", "far"],
        vec!["ttl-audit", "--charts", "always"],
        vec!["inspect"],
    ] {
        let out = cachectl(&r.url()).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn inspecting_reads_idle_time_first_and_says_when_it_touched() {
    let r = Redis::start();
    let mut c = r.conn();
    cmd(&mut c, &["SET", "cold", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = cachectl(&r.url())
        .args(["inspect", "cold", "--no-preview", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"][0].clone();
    assert!(doc["idle_seconds"].as_u64().unwrap() >= 2, "{doc}");
    assert_eq!(doc["preview_touched_key"], false);
    let idle: u64 = redis::cmd("OBJECT")
        .arg("IDLETIME")
        .arg("cold")
        .query(&mut c)
        .unwrap();
    assert!(idle >= 2, "--no-preview reset the idle time");
    // With a preview: the idle time shown is the one before the read.
    let out = cachectl(&r.url())
        .args(["inspect", "cold", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"][0].clone();
    assert!(doc["idle_seconds"].as_u64().unwrap() >= 2, "{doc}");
    let no_touch = redis::cmd("CLIENT")
        .arg("NO-TOUCH")
        .arg("OFF")
        .exec(&mut c)
        .is_ok();
    assert_eq!(doc["preview_touched_key"], !no_touch, "{doc}");
    let text = cachectl(&r.url())
        .args(["inspect", "cold"])
        .output()
        .unwrap();
    if !no_touch {
        assert!(String::from_utf8_lossy(&text.stdout).contains("reset this key's idle time"));
    }
}

#[test]
fn previews_are_capped() {
    let r = Redis::start();
    let mut c = r.conn();
    let big = "y".repeat(5_000_000);
    redis::cmd("SET").arg("big").arg(&big).exec(&mut c).unwrap();
    let out = cachectl(&r.url())
        .args(["inspect", "big", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.stdout.len() < 4096,
        "{} bytes of output",
        out.stdout.len()
    );
    let doc = json_of(&out)["keys"][0].clone();
    assert_eq!(doc["length"], 5_000_000);
    assert_eq!(doc["preview_truncated"], true);
    assert_eq!(doc["preview"].as_str().unwrap().len(), 512);
    let out = cachectl(&r.url())
        .args(["inspect", "big"])
        .output()
        .unwrap();
    assert!(
        out.stdout.len() < 16_384,
        "{} bytes of output",
        out.stdout.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("first 512 bytes of 4.8 MiB"));
}

#[test]
fn groups_are_exact_however_many_there_are() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (0..90_000).map(|i| format!("user_{i}_posts:page_1")),
        600,
    );
    load(&mut c, (0..10).map(|i| format!("user_{i}_profile")), 600);
    let doc = cachectl(&r.url())
        .args(["invalidate-pattern", "user_*", "--dry-run", "-o", "json"])
        .json();
    assert_eq!(doc["matched"], 90_010);
    assert_eq!(
        entry(&doc, "groups", "group", "user_{n}_posts")["keys"],
        90_000
    );
    assert_eq!(
        entry(&doc, "groups", "group", "user_{n}_profile")["keys"],
        10
    );
    assert_eq!(
        doc["groups"].as_array().unwrap().len(),
        2,
        "{}",
        doc["groups"]
    );
    let doc = cachectl(&r.url())
        .args(["inspect", "--group-by", "prefix", "-o", "json"])
        .json();
    assert_eq!(
        entry(&doc, "families", "family", "user_{n}_posts")["keys"],
        90_000
    );
    assert!(
        !doc["families"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["family"] == "(other families)"),
        "{}",
        doc["families"]
    );
}

#[test]
fn set_says_what_happened_to_the_ttl() {
    let r = Redis::start();
    let mut c = r.conn();
    cmd(&mut c, &["SET", "k", "v", "EX", "300"]);
    cachectl(&r.url())
        .args(["set", "k", "w", "--persist"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("TTL removed").and(predicate::str::contains("never expires")),
        );
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut c).unwrap();
    assert_eq!(ttl, -1);
    cachectl(&r.url())
        .args(["set", "missing", "v", "--keep-ttl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("new key without TTL"));
    cmd(&mut c, &["EXPIRE", "k", "500"]);
    let doc = cachectl(&r.url())
        .args(["set", "k", "x", "--keep-ttl", "-o", "json"])
        .json();
    assert_eq!(doc["ttl_change"], "kept");
    assert!(doc["ttl_ms"].as_u64().unwrap() > 490_000);
    cachectl(&r.url())
        .args(["set", "k", "y", "--keep-ttl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("TTL kept"));
    let out = cachectl(&r.url())
        .args(["set", "k", "z", "--ttl", "1h", "--nx", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["ttl_change"], "unchanged");
}

/// #29.5, the smaller truths: a key a rule protects is said to be protected, not "not found";
/// characters a terminal obeys or hides (C1 controls, bidi overrides, zero-width and line
/// separators) never reach stdout raw, in JSON (as `\u` escapes, the same string) or in a
/// table; `1y` is taken where the message offers "at most a year".
#[test]
fn protected_keys_invisible_characters_and_a_year_are_told_truly() {
    let r = Redis::start();
    let mut c = r.conn();
    cmd(&mut c, &["SET", "keep:1", "v"]);
    let out = cachectl(&r.url())
        .args(["invalidate", "keep:1", "--protect", "keep:*"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("protected") && !text.contains("not found"),
        "{text}"
    );
    assert!(support::exists(&mut c, "keep:1"));

    let key = "k:\u{9b}2J\u{202e}gpj.exe\u{200b}\u{2028}";
    cmd(&mut c, &["SET", key, "v"]);
    let raw = ['\u{9b}', '\u{202e}', '\u{200b}', '\u{2028}'];
    for args in [
        &["-o", "json", "inspect", "--pattern", "k:*"][..],
        &["-o", "json", "get", key],
        &["inspect", "--pattern", "k:*"],
    ] {
        let out = cachectl(&r.url()).args(args).output().unwrap();
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(!text.contains(raw), "{args:?} printed raw: {text:?}");
        if args[0] == "-o" && args[2] == "get" {
            assert_eq!(
                json_of(&out)["keys"][0]["key"],
                key,
                "the escape means the same"
            );
        }
    }

    cachectl(&r.url())
        .args(["--timeout", "1y", "get", "keep:1"])
        .assert()
        .success();

    // A glob where a key is expected: the `*` is literal there, and the command that takes a
    // pattern is named, quoted for the shell.
    for (args, names) in [
        (
            &["get", "keep:*"][..],
            "cachectl inspect --pattern 'keep:*'",
        ),
        (
            &["inspect", "keep:*"],
            "cachectl inspect --pattern 'keep:*'",
        ),
        (
            &["invalidate", "keep:*"],
            "cachectl invalidate-pattern 'keep:*'",
        ),
    ] {
        let out = cachectl(&r.url()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("literal") && err.contains(names),
            "{args:?}: {err}"
        );
    }
    assert!(support::exists(&mut c, "keep:1"));
}
