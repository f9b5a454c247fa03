//! invalidate: exact keys, the decorator's prefix/id/extra/pattern form, escaping, dry runs.

use crate::support;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, dbsize, exists, json_of, load};

#[test]
fn replays_what_an_update_endpoint_invalidates() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        [
            "post_cache:42",
            "user_posts:7",
            "recent_posts:global",
            "post_cache:43",
        ]
        .map(String::from),
        600,
    );
    let out = cachectl(&r.url())
        .args([
            "invalidate",
            "--prefix",
            "post_cache",
            "--id",
            "post_id=42",
            "--extra",
            "user_posts={user_id}",
            "--extra",
            "recent_posts=global",
            "--var",
            "user_id=7",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["deleted"], 3);
    let keys: Vec<&str> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["post_cache:42", "user_posts:7", "recent_posts:global"]
    );
    assert!(exists(&mut c, "post_cache:43"));
    assert_eq!(dbsize(&mut c), 1);
}

#[test]
fn patterns_are_verbatim_and_values_escaped() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (1..=5).map(|p| format!("user_7_posts:page_{p}")),
        600,
    );
    load(
        &mut c,
        (1..=5).map(|p| format!("user_8_posts:page_{p}")),
        600,
    );
    load(&mut c, ["user_*_posts:page_1".to_string()], 600);
    // '*' from --var matches only a literal '*'.
    cachectl(&r.url())
        .args([
            "invalidate",
            "--pattern",
            "user_{user_id}_posts:*",
            "--var",
            "user_id=*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .assert()
        .success();
    assert!(!exists(&mut c, "user_*_posts:page_1"));
    assert_eq!(dbsize(&mut c), 10);
    // No '*' is appended: `user_7_posts` alone matches nothing.
    let out = cachectl(&r.url())
        .args([
            "invalidate",
            "--pattern",
            "user_{user_id}_posts",
            "--var",
            "user_id=7",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["patterns"][0]["deleted"], 0);
    cachectl(&r.url())
        .args([
            "invalidate",
            "--pattern",
            "user_{user_id}_posts:*",
            "--var",
            "user_id=7",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 5);
}

#[test]
fn pattern_guards_apply_to_invalidate_too() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..30).map(|i| format!("ratelimit:{i}")), 600);
    load(&mut c, (0..30).map(|i| format!("cache:{i}")), 600);
    cachectl(&r.url())
        .args(["invalidate", "--pattern", "*"])
        .assert()
        .code(3);
    cachectl(&r.url())
        .args([
            "invalidate",
            "--pattern",
            "{ns}:*",
            "--var",
            "ns=cache",
            "--max-keys",
            "5",
        ])
        .assert()
        .code(3);
    let doc = cachectl(&r.url())
        .args([
            "invalidate",
            "--pattern",
            "*",
            "--protect",
            "ratelimit:*",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["patterns"][0]["protected"], 30);
    assert_eq!(dbsize(&mut c), 30);
}

#[test]
fn dry_run_deletes_nothing() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, ["a:1".to_string(), "b:1".to_string()], 600);
    cachectl(&r.url())
        .args(["invalidate", "a:1", "zzz", "--pattern", "b:*", "--dry-run"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("would delete").and(predicate::str::contains("not found")),
        );
    assert_eq!(dbsize(&mut c), 2);
}

#[test]
fn template_errors_name_the_field() {
    let r = Redis::start();
    cachectl(&r.url())
        .args(["invalidate", "user_profile:{user_id}"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no value for field `user_id`"))
        .stderr(predicate::str::contains("--var user_id=VALUE"));
    cachectl(&r.url())
        .args(["invalidate", "--prefix", "post_cache", "--id", "42"])
        .fails_with(2, "expected NAME=VALUE");
    cachectl(&r.url()).args(["invalidate"]).assert().code(2);
}

/// `invalidate -` reads keys one per line from stdin, as Unix tools pass them; keys from
/// stdin are literal (a `{` is part of the name, not a template).
#[test]
fn keys_from_stdin() {
    let r = Redis::start();
    let mut c = r.conn();
    support::load(
        &mut c,
        ["a:1", "a:2", "b:{x}", "keep"].map(String::from),
        600,
    );
    let out = cachectl(&r.url())
        .args(["invalidate", "-", "-o", "json"])
        .write_stdin("a:1\r\na:2\n\nb:{x}\nmissing\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["deleted"], 3);
    assert_eq!(doc["keys"].as_array().unwrap().len(), 4);
    assert!(support::exists(&mut c, "keep"));
    assert!(!support::exists(&mut c, "b:{x}"));
}

/// #31.2: a glob the shell expanded (`user_7_*` given unquoted, with `user_7_notes.txt` in the
/// directory) is caught before anything happens under --yes; a pattern without a wildcard that
/// matches nothing fails a script, with the hint; --literal takes both as written.
#[test]
fn a_pattern_the_shell_expanded_is_caught() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20).map(|i| format!("user_7_{i}")), 600);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user_7_notes.txt"), "x").unwrap();
    let run = |args: &[&str]| {
        cachectl(&r.url())
            .current_dir(dir.path())
            .arg("invalidate-pattern")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["user_7_notes.txt", "--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("names a file") && err.contains("'user_7_*'") && !err.contains("refused"),
        "{err}"
    );
    let out = run(&["user_7_x", "--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no wildcard"), "{err}");
    assert_eq!(
        run(&["user_7_x", "--yes", "--literal"]).status.code(),
        Some(0)
    );
    assert_eq!(dbsize(&mut c), 20, "nothing was deleted");
    assert_eq!(run(&["user_7_*", "--yes"]).status.code(), Some(0));
    assert_eq!(dbsize(&mut c), 0);
}

/// A key the server will not delete (an ACL on its name) is said as refused, the run fails
/// (exit 1), and the keys deleted before and beside it are in the report: before, the refusal
/// ended the run with an error alone, though `allowed:1` was gone.
#[test]
fn a_key_the_server_refuses_is_reported_with_the_others() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        ["allowed:1", "secret:1", "allowed:2"].map(String::from),
        600,
    );
    redis::cmd("ACL")
        .arg(&["SETUSER", "ops", "on", ">pw", "~allowed:*", "%R~*", "+@all"])
        .exec(&mut c)
        .unwrap();
    let out = cachectl(&r.url())
        .args(["--user", "ops", "--password-env", "OPS_PW", "-o", "json"])
        .args(["invalidate", "allowed:1", "secret:1", "allowed:2", "--yes"])
        .env("OPS_PW", "pw")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("NOPERM"), "{err}");
    let doc = json_of(&out);
    assert_eq!(doc["complete"], false, "{doc}");
    assert_eq!(doc["deleted"], 2, "{doc}");
    let outcome = |k: &str| {
        let keys = doc["keys"].as_array().unwrap();
        keys.iter().find(|e| e["key"] == k).cloned().unwrap()
    };
    assert_eq!(outcome("allowed:1")["deleted"], true, "{doc}");
    assert_eq!(outcome("allowed:2")["deleted"], true, "{doc}");
    assert_eq!(outcome("secret:1")["skipped"], "refused", "{doc}");
    crate::schema::conforms("invalidate", &doc);
    assert!(exists(&mut c, "secret:1"));
    assert_eq!(dbsize(&mut c), 1);
}
