//! The operator's contract (#20): usage that reads in the order it is typed, one spelling for
//! a pattern, JSON a script need not parse twice, URLs as people type them, and exit codes
//! that say what is true when the command ends.

use crate::support;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, json_of, load};

#[test]
fn set_usage_names_the_key_first() {
    let out = cachectl("redis://127.0.0.1:1")
        .args(["set", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("cachectl set [OPTIONS] <KEY> <VALUE | --file FILE>"),
        "{help}"
    );
}

#[test]
fn a_pattern_is_an_argument_everywhere() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..5).map(|i| format!("post_cache:{i}")), 600);
    load(&mut c, (0..5).map(|i| format!("other:{i}")), 600);
    let file = r.dir().join("bk.cbk");
    let out = cachectl(&r.url())
        .args(["backup", "post_cache:*"])
        .arg(&file)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["keys"], 5);
    // --pattern is the same thing; both at once is a usage error.
    let other = r.dir().join("bk2.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "other:*"])
        .arg(&other)
        .assert()
        .success();
    cachectl(&r.url())
        .args(["backup", "--pattern", "other:*", "x:*"])
        .arg(r.dir().join("bk3.cbk"))
        .assert()
        .code(2);
    let doc = cachectl(&r.url())
        .args(["ttl-audit", "post_cache:*", "-o", "json"])
        .json();
    assert_eq!(doc["pattern"], "post_cache:*");
    assert_eq!(doc["audited"], 5, "{doc}");
    let doc = cachectl(&r.url())
        .args(["restore"])
        .arg(&file)
        .args(["post_cache:1*", "--dry-run", "-o", "json"])
        .json();
    assert_eq!(doc["filtered"], 4, "{doc}");
}

#[test]
fn json_values_come_back_parsed_and_leaderboards_from_the_top() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("SET")
        .arg("country:FR")
        .arg(r#"{"code":"FR","name":"France"}"#)
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("plain")
        .arg("not json")
        .exec(&mut c)
        .unwrap();
    redis::cmd("ZADD")
        .arg("leaderboard")
        .arg(&["1", "low", "50", "mid", "99", "top"])
        .exec(&mut c)
        .unwrap();
    let doc = cachectl(&r.url())
        .args(["get", "country:FR", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["value_json"]["name"], "France", "{doc}");
    assert!(doc["value"].is_string());
    let doc = cachectl(&r.url())
        .args(["get", "plain", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert!(doc.get("value_json").is_none(), "{doc}");
    let doc = cachectl(&r.url())
        .args(["get", "leaderboard", "--limit", "1", "--rev", "-o", "json"])
        .json()["keys"][0]
        .clone();
    assert_eq!(doc["value"][0]["member"], "top", "{doc}");
    assert_eq!(doc["truncated"], true);
}

#[test]
fn urls_as_people_type_them() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, ["k".to_string()], 600);
    cachectl("redis://127.0.0.1:1")
        .args(["-u", &format!("127.0.0.1:{}", r.port), "get", "k"])
        .assert()
        .success();
    cachectl("redis://127.0.0.1:1")
        .args(["--url", "redis://127.0.0.1:99999", "get", "k"])
        .fails_with(2, "port `99999`");
}

#[test]
fn a_fix_that_did_its_job_exits_0() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..5 {
        redis::cmd("SET")
            .arg(format!("must:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    load(&mut c, (0..20).map(|i| format!("keep:{i}")), 600);
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"must:*\"\n    require_ttl: true\n  - match: \"*\"\n",
    )
    .unwrap();
    let audit = |extra: &[&str]| {
        cachectl(&r.url())
            .args(["ttl-audit", "--policy"])
            .arg(&policy)
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(audit(&[]), Some(4));
    assert_eq!(audit(&["--fix-missing-ttl", "1h", "--dry-run"]), Some(4));
    assert_eq!(audit(&["--fix-missing-ttl", "1h", "--yes"]), Some(0));
    assert_eq!(audit(&[]), Some(0), "a re-audit agrees");
}

/// A SQL source that does not answer is an error naming it within its timeout, and one that
/// refuses says so (not "pool timed out").
#[test]
fn sql_sources_time_out_and_keep_the_real_error() {
    let r = Redis::start();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let refused_port = support::free_port();
    let plan = r.dir().join("plan.yaml");
    for (url, timeout, said) in [
        (
            format!("postgres://app@127.0.0.1:{silent_port}/test"),
            "timeout: 1s\n",
            "no answer within 1s",
        ),
        (
            format!("mysql://root@127.0.0.1:{silent_port}/test"),
            "timeout: 1s\n",
            "no answer within 1s",
        ),
        (
            format!("postgres://app@127.0.0.1:{refused_port}/test"),
            "",
            "refused",
        ),
    ] {
        std::fs::write(
            &plan,
            format!(
                "sources:\n  db:\n    url: \"{url}\"\n    {timeout}steps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{{id}}\"\n    ttl: 60\n"
            )
            .replace("    steps:", "steps:"),
        )
        .unwrap();
        let out = cachectl(&r.url()).arg("warm").arg(&plan).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {err}");
        assert!(err.contains(said), "{url}: {err}");
        assert!(!err.contains("pool timed out"), "{err}");
    }
    drop(silent);
}

/// The exit-code table, row by row where the issue found rows disagreeing.
#[test]
fn exit_codes_follow_the_table() {
    let r = Redis::start();
    let missing = r.dir().join("no-such-file.yaml");
    let missing = missing.to_str().unwrap();
    // A file the command line names and that is not there: the command line's error.
    for args in [
        vec!["warm", missing],
        vec!["ttl-audit", "--policy", missing],
        vec!["--config", missing, "targets"],
    ] {
        let out = cachectl(&r.url()).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The server's state (notifications off): an operational error.
    cachectl(&r.url())
        .args(["watch", "--duration", "1s"])
        .assert()
        .code(1);
    // A usage error under -o json is still one JSON document.
    let doc = cachectl(&r.url())
        .args(["get", "-o", "json", "--no-such-flag", "k"])
        .json_exiting(2);
    assert_eq!(doc["error"]["exit_code"], 2);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--no-such-flag")
    );
}

/// Help that teaches: the command's own flags first, the connection flags under their own
/// heading after them, examples, and nothing invisible to copy.
#[test]
fn help_puts_the_command_first_and_shows_examples() {
    for cmd in [
        "get",
        "set",
        "invalidate",
        "invalidate-pattern",
        "warm",
        "inspect",
        "ttl-audit",
        "backup",
        "restore",
        "doctor",
        "watch",
    ] {
        let out = cachectl("redis://127.0.0.1:1")
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let own = help
            .find("Options:")
            .unwrap_or_else(|| panic!("{cmd}: {help}"));
        let connection = help
            .find("Connection:")
            .unwrap_or_else(|| panic!("{cmd}: {help}"));
        assert!(own < connection, "{cmd}: its own flags come first");
        assert!(help.contains("Examples:\n  cachectl "), "{cmd}: {help}");
        assert!(!help.contains('\u{2060}'), "{cmd}: an invisible character");
    }
    let out = cachectl("redis://127.0.0.1:1")
        .args(["ttl-audit", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("require_ttl: true") && help.contains("max_cluster"),
        "{help}"
    );
}

/// `targets use NAME` sets the default, as `kubectl config use-context` does, and keeps the
/// rest of the file as written.
#[test]
fn targets_use_sets_the_default() {
    let r = Redis::start();
    let cfg = r.dir().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "# ours\ndefault: a\ntargets:\n  a: {{ url: \"{0}\" }}\n  b: {{ url: \"{0}\", readonly: true }}\n",
            r.url()
        ),
    )
    .unwrap();
    let with_config = || {
        let mut c = cachectl(&r.url());
        c.env_remove("CACHECTL_URL").env("CACHECTL_CONFIG", &cfg);
        c
    };
    with_config()
        .args(["targets", "use", "b"])
        .assert()
        .success();
    let doc = json_of(
        &with_config()
            .args(["targets", "-o", "json"])
            .output()
            .unwrap(),
    );
    let default: Vec<&str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["default"] == true)
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(default, ["b"]);
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .starts_with("# ours\n")
    );
    // The default is what commands now use: b is read-only.
    with_config()
        .args(["set", "k", "v", "--ttl", "60"])
        .assert()
        .code(3);
    with_config()
        .args(["targets", "use", "nosuch"])
        .assert()
        .code(2);
}

/// A listener that never answers is a timeout within the one deadline given, not "not the
/// Redis server the URL says".
#[test]
fn a_silent_listener_is_a_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    cachectl(&format!("redis://127.0.0.1:{port}"))
        .args(["--timeout", "1s", "get", "k"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("timed out after 1.0s"))
        .stderr(predicate::str::contains("not the Redis server").not());
    drop(silent);
}

/// Through a pipe a table is plain aligned columns (kubectl's way); `-o table` boxes it
/// anyway, within $COLUMNS, and no column is narrower than its header.
#[test]
fn tables_fit_their_reader() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (0..1200).map(|i| format!("user_{i}_posts:page_1")),
        600,
    );
    let plain = cachectl(&r.url())
        .args(["inspect", "--pattern", "*"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(!text.contains('│') && !text.contains('┆'), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("user_{n}_posts:page_{n}"))
        .unwrap();
    assert!(
        row.split_whitespace().nth(1) == Some("1200"),
        "awk '{{print $2}}' is the count: {row}"
    );
    let boxed = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "table"])
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&boxed.stdout);
    assert!(text.contains('┆'), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 120), "{text}");
    assert!(text.contains(" family "), "the header whole: {text}");
    assert!(text.contains("1,200"), "counts grouped for people: {text}");
    // A key longer than a quarter of the terminal is cut in the middle, both ends readable.
    let narrow = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "table"])
        .env("COLUMNS", "64")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&narrow.stdout);
    assert!(text.contains('…'), "{text}");
}

/// At 80 columns every boxed row of inspect's and ttl-audit's tables stays on one line: long
/// names are cut in the middle, and the columns that do not fit give way; none wraps.
#[test]
fn eighty_columns_hold_each_row_on_one_line() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (0..40).map(|i| format!("a_rather_long_family_name_for_a_cache:{i}:details")),
        600,
    );
    load(&mut c, (0..40).map(|i| format!("post_cache:{i}")), 900);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"post_cache:*\"\n    ttl: { min: 60, max: 1h }\n  - family: \"a_rather_long_family_name_for_a_cache:{n}:details\"\n    ttl: { max: 5m }\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    for args in [
        vec!["inspect", "--pattern", "*", "-o", "table"],
        vec!["ttl-audit", "*", "--policy", policy, "-o", "table"],
    ] {
        let out = cachectl(&r.url())
            .args(&args)
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        // ttl-audit finds the 10-minute TTLs above the policy's 5 minutes: exit 4.
        let expected = if args[0] == "inspect" { 0 } else { 4 };
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let boxed = |l: &&str| l.starts_with(['│', '┌', '└', '╞']);
        assert!(
            text.lines().filter(boxed).all(|l| l.chars().count() <= 80),
            "{text}"
        );
        // A row wrapped onto a second line shows as a line whose first cell is empty (the
        // families table; a violation's prose detail may wrap).
        let wrapped = text
            .lines()
            .take_while(|l| !l.contains(" scanned in "))
            .filter(|l| l.starts_with('│'))
            .any(|l| l.chars().nth(2) == Some(' '));
        assert!(!wrapped, "{args:?}: a row wrapped:\n{text}");
        assert!(text.contains('…'), "the long family is cut: {text}");
        assert!(
            text.contains("post_cache:{n}"),
            "a short one is whole: {text}"
        );
    }
}

/// One shape per command, whatever the number of arguments, and `"schema": 1` first.
#[test]
fn one_shape_whatever_the_count() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, ["a:1", "b:1"].map(String::from), 600);
    for args in [vec!["get", "a:1"], vec!["get", "a:1", "b:1"]] {
        let doc = cachectl(&r.url()).args(&args).args(["-o", "json"]).json();
        assert_eq!(doc["schema"], 1);
        assert!(doc["keys"].is_array(), "{args:?}: {doc}");
    }
    for patterns in [vec!["a:*"], vec!["a:*", "b:*"]] {
        let doc = cachectl(&r.url())
            .arg("invalidate-pattern")
            .args(&patterns)
            .args(["--dry-run", "-o", "json"])
            .json();
        assert_eq!(doc["schema"], 1);
        assert_eq!(
            doc["patterns"].as_array().map(Vec::len),
            Some(patterns.len())
        );
        assert_eq!(doc["matched"], patterns.len() as u64, "{doc}");
    }
    let text = String::from_utf8(
        cachectl(&r.url())
            .args(["ttl-audit", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.starts_with("{\n  \"schema\": 1,"), "{text}");
}
