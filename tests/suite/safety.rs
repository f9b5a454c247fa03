//! A refusal changes nothing: guards run before the first write, a person confirms on a real
//! terminal (typing the count for anything broad), and Ctrl-C or SIGTERM at the question ends
//! the run with nothing changed.

use crate::support;

use std::time::Duration;

use support::pty::Pty;
use support::{Redis, cachectl, dbsize, exists, json_of, load};

fn users(c: &mut redis::Connection, n: usize) {
    load(c, (0..n).map(|i| format!("user_{i}_posts:page_1")), 600);
}

#[test]
fn a_refused_invalidation_deletes_not_even_its_exact_keys() {
    let r = Redis::start();
    let mut c = r.conn();
    users(&mut c, 20_000);
    load(&mut c, ["victim".to_string()], 600);
    cachectl(&r.url())
        .args(["invalidate", "victim", "--pattern", "user_*"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("more than --max-keys 10000"))
        .stderr(predicates::str::contains("nothing was changed"));
    assert!(exists(&mut c, "victim"), "the refusal deleted `victim`");
    assert_eq!(dbsize(&mut c), 20_001);
    // Match-all: refused before anything, however few keys there are.
    cachectl(&r.url())
        .args([
            "invalidate",
            "victim",
            "--pattern",
            "*",
            "--max-keys",
            "1000000",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("matches every key"));
    assert!(exists(&mut c, "victim"));
    // With --yes both go.
    cachectl(&r.url())
        .args([
            "invalidate",
            "victim",
            "--pattern",
            "user_*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .assert()
        .success();
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn a_person_confirms_a_small_deletion_with_y() {
    let r = Redis::start();
    let mut c = r.conn();
    users(&mut c, 30);
    // Other keys too: a selection of (nearly) the whole keyspace is broad, and asks more.
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    let mut pty = Pty::cachectl(&r.url(), &["invalidate-pattern", "user_*"]);
    pty.expect("Go ahead? [y/N]", 20);
    let screen = pty.screen();
    assert!(screen.contains("About to delete 30 keys"), "{screen}");
    assert!(
        screen.contains("e.g. user_"),
        "the prompt shows sample keys:\n{screen}"
    );
    pty.type_line("y");
    assert_eq!(pty.wait(20), 0, "{}", pty.screen());
    assert_eq!(dbsize(&mut c), 10);
}

#[test]
fn a_broad_deletion_needs_the_count_typed_not_y() {
    let r = Redis::start();
    let mut c = r.conn();
    users(&mut c, 500);
    load(&mut c, (0..7).map(|i| format!("user_{i}_profile")), 600);
    let args = ["invalidate-pattern", "user_*", "--max-keys", "100"];
    let mut pty = Pty::cachectl(&r.url(), &args);
    pty.expect("Type the number of keys (507)", 20);
    let screen = pty.screen();
    // Exact groups: every key is in a group that says how many.
    assert!(
        screen.contains("user_{n}_posts") && screen.contains("500"),
        "{screen}"
    );
    assert!(screen.contains("user_{n}_profile"), "{screen}");
    pty.type_line("y");
    assert_eq!(pty.wait(20), 3, "`y` is not enough:\n{}", pty.screen());
    assert_eq!(dbsize(&mut c), 507, "a refusal deletes nothing");

    let mut pty = Pty::cachectl(&r.url(), &args);
    pty.expect("Type the number of keys (507)", 20);
    pty.type_line("507");
    assert_eq!(pty.wait(30), 0, "{}", pty.screen());
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn ctrl_c_or_sigterm_at_the_prompt_cancels_and_changes_nothing() {
    let r = Redis::start();
    let mut c = r.conn();
    users(&mut c, 40);
    load(&mut c, ["victim".to_string()], 600);
    load(&mut c, (0..10).map(|i| format!("keep:{i}")), 600);
    // Several times: the signal must win whenever it comes while the question waits.
    for (signal, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGINT, 130),
    ] {
        let mut pty = Pty::cachectl(&r.url(), &["invalidate", "victim", "--pattern", "user_*"]);
        pty.expect("Go ahead? [y/N]", 20);
        pty.signal(signal);
        assert_eq!(pty.wait(10), code, "{}", pty.screen());
        assert!(
            pty.screen().contains("stopped before anything was changed"),
            "{}",
            pty.screen()
        );
        assert_eq!(dbsize(&mut c), 51, "a cancelled prompt deleted keys");
        assert!(exists(&mut c, "victim"));
    }
}

#[test]
fn scripts_without_yes_are_refused_a_broad_remediation() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..50 {
        redis::cmd("SET")
            .arg(format!("sess:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    let dir = tempfile::TempDir::new().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - name: sessions\n    match: 'sess:*'\n    require_ttl: true\n",
    )
    .unwrap();
    let out = cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .args(["--fix-missing-ttl", "1h", "--max-keys", "10", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ttl: i64 = redis::cmd("TTL").arg("sess:1").query(&mut c).unwrap();
    assert_eq!(ttl, -1, "a refused remediation changed a TTL");
}

#[test]
fn sigterm_during_a_sweep_reports_what_was_deleted() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20_000).map(|i| format!("slow:{i}")), 600);
    for _ in 0..2 {
        let before = dbsize(&mut c);
        let args = [
            "invalidate-pattern",
            "slow:*",
            "--yes",
            "--max-keys",
            "100000000",
            "--rate",
            "2000",
            "-o",
            "json",
        ];
        let out = support::signalled(&r.url(), &args, Duration::from_millis(1200), libc::SIGTERM);
        assert_eq!(
            out.status.code(),
            Some(143),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = json_of(&out);
        assert_eq!(doc["interrupted"], true);
        let after = dbsize(&mut c);
        assert!(
            after > 0,
            "the sweep finished before the signal; slow it down"
        );
        assert_eq!(doc["deleted"].as_u64().unwrap(), before - after, "{doc}");
    }
}

/// A stop waits for the batch in flight so that the report counts it, but not for a server
/// that has stalled: a second after the signal the reply is given up, the batch's keys are
/// said unconfirmed, and the sweep ends (here the server holds writes for 20 s and the
/// timeout is 30 s; before, the sweep waited the 20 s out).
#[test]
fn a_stop_while_the_server_stalls_a_batch_gives_it_up() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20_000).map(|i| format!("stall:{i}")), 600);
    let args = [
        "--timeout",
        "30s",
        "invalidate-pattern",
        "stall:*",
        "--yes",
        "--max-keys",
        "100000000",
        "--rate",
        "2000",
        "-o",
        "json",
    ];
    let (out, waited, left) =
        support::interrupted_while_writes_stall(&r, &args, |keys| keys <= 19_000);
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    let deleted = doc["deleted"].as_u64().unwrap();
    let unconfirmed = doc["unconfirmed"].as_u64().unwrap_or(0);
    assert!(unconfirmed > 0, "the stalled batch is unconfirmed: {doc}");
    // Unpaused, the server ran the batch it held: gone or not, it was counted as either.
    support::counted_either_way(deleted, unconfirmed, 20_000 - left, &doc);
}

/// Every command that writes hears a stop within a second when the server stalls what it
/// sent: named keys (`invalidate`), one key (`set`, `expire`, `persist`) and `restore`. Here
/// the server holds every write for 20 s from before the run starts, the timeout is 30 s,
/// and the signal comes once the server holds the run's first write; before, each waited the
/// 20 s out.
#[test]
fn a_stop_while_the_server_stalls_a_named_batch_gives_it_up() {
    let r = Redis::start();
    let mut c = r.conn();
    let names: Vec<String> = (0..5_000).map(|i| format!("named:{i}")).collect();
    load(&mut c, names.iter().cloned(), 600);
    let mut args = vec!["--timeout", "30s", "-o", "json", "invalidate", "--yes"];
    args.extend(names.iter().map(String::as_str));
    let (out, waited, left) = support::interrupted_while_writes_stall(&r, &args, |_| true);
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    assert_eq!(doc["interrupted"], true, "{doc}");
    assert_eq!(doc["complete"], false, "{doc}");
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 5_000, "every named key is in the report");
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| keys.iter().filter(|k| f(k)).count();
    let deleted = count(&|k| k["deleted"] == true);
    let unconfirmed = count(&|k| k["unconfirmed"] == true);
    let unsent = count(&|k| k["skipped"] == "interrupted");
    // The held batch (the first) is unconfirmed; the rest were never sent.
    assert_eq!((deleted, unconfirmed, unsent), (0, 1_000, 4_000), "{doc}");
    assert_eq!(doc["unconfirmed"], 1_000);
    crate::schema::conforms("invalidate", &doc);
    // Unpaused, the server ran the batch it held: gone or not, it was counted as either.
    support::counted_either_way(deleted as u64, unconfirmed as u64, 5_000 - left, &doc);
}

#[test]
fn a_stop_while_the_server_stalls_one_write_gives_it_up() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, ["held:1".to_string()], 600);
    let runs: [&[&str]; 3] = [
        &["set", "held:2", "{\"a\":1}", "--ttl", "60"],
        &["expire", "held:1", "100"],
        &["persist", "held:1"],
    ];
    for run in runs {
        let mut args = vec!["--timeout", "30s", "-o", "json"];
        args.extend(run);
        let (out, waited, _) = support::interrupted_while_writes_stall(&r, &args, |_| true);
        let err = support::ended_by_the_stop(&out, waited);
        assert!(
            err.contains("whether it was applied is unknown"),
            "{run:?}: {err}"
        );
        let doc = json_of(&out);
        assert_eq!(doc["complete"], false, "{doc}");
        assert_eq!(doc["error"]["exit_code"], 130, "{doc}");
    }
}

#[test]
fn a_stop_while_the_server_stalls_a_restore_gives_it_up() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..3_000).map(|i| format!("rs:{i}")), 600);
    let file = r.dir().join("rs.cbk");
    cachectl(&r.url())
        .args(["backup", "--pattern", "rs:*"])
        .arg(&file)
        .assert()
        .success();
    redis::cmd("FLUSHALL").exec(&mut c).unwrap();
    let path = file.to_str().unwrap();
    let args = ["--timeout", "30s", "-o", "json", "restore", path, "--yes"];
    let (out, waited, there) = support::interrupted_while_writes_stall(&r, &args, |_| true);
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    assert_eq!(doc["interrupted"], true, "{doc}");
    let restored = doc["restored"].as_u64().unwrap();
    let unconfirmed = doc["unconfirmed"].as_u64().unwrap_or(0);
    assert!(unconfirmed > 0, "the held RESTORE is unconfirmed: {doc}");
    // What was read is what was dealt with: each key counted once, as one outcome.
    let dealt = [
        "restored",
        "exists",
        "expired",
        "failed",
        "unconfirmed",
        "filtered",
    ]
    .iter()
    .map(|k| doc[k].as_u64().unwrap_or(0))
    .sum::<u64>();
    assert_eq!(dealt, doc["read"].as_u64().unwrap(), "{doc}");
    crate::schema::conforms("restore", &doc);
    support::counted_either_way(restored, unconfirmed, there, &doc);
}

/// A backup's DUMPs, made before each batch is sent, stall as a batch can: a stop gives them
/// up a second after it, and the file keeps what was written before (here the server holds
/// every command, reads too, for 20 s; before, the backup waited them out).
#[test]
fn a_stop_while_the_server_stalls_a_backups_dumps_gives_them_up() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..20_000).map(|i| format!("bk:{i}")), 600);
    let file = r.dir().join("stalled.cbk");
    let path = file.to_str().unwrap();
    let args = [
        "--timeout",
        "30s",
        "-o",
        "json",
        "backup",
        "--pattern",
        "bk:*",
        path,
    ];
    let args = [&args[..], &["--rate", "2000"]].concat();
    let signalled_at = std::cell::Cell::new(None);
    let out = support::signalled_when(
        &r.url(),
        &args,
        || {
            if !file.exists() || std::fs::metadata(&file).map_or(0, |m| m.len()) < 10_000 {
                return false;
            }
            let mut c = r.conn();
            redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(20_000)
                .arg("ALL")
                .exec(&mut c)
                .unwrap();
            // Under PAUSE ALL nothing can ask the server what it holds: a paced batch is
            // sent every few milliseconds, so half a second puts one into the pause.
            std::thread::sleep(Duration::from_millis(500));
            signalled_at.set(Some(std::time::Instant::now()));
            true
        },
        libc::SIGINT,
    );
    let waited = signalled_at
        .get()
        .expect("the backup got under way")
        .elapsed();
    redis::cmd("CLIENT").arg("UNPAUSE").exec(&mut c).unwrap();
    support::ended_by_the_stop(&out, waited);
    let doc = json_of(&out);
    let saved = doc["keys"].as_u64().unwrap();
    assert!(saved > 0 && saved < 20_000, "{doc}");
    // The file holds what the report says, whole: a dry restore reads every record.
    let check = cachectl(&r.url())
        .args(["-o", "json", "restore", path, "--dry-run"])
        .output()
        .unwrap();
    let dry = json_of(&check);
    assert_eq!(dry["read"].as_u64(), Some(saved), "{dry}");
}

/// A stop that comes while the server stalls before anything was written (here it sleeps
/// 15 s from before the run connects) ends a command that writes a second later, with nothing
/// changed: it is not connected, and once the server answers no permit is issued after a stop.
/// Before, each waited the stall out, and `set` then wrote its key, exit 0.
#[test]
fn a_stop_before_the_first_write_changes_nothing_however_the_server_stalls() {
    let runs: [&[&str]; 4] = [
        &["set", "fresh", "1", "--ttl", "60"],
        &["invalidate", "k:1", "k:2", "--yes"],
        &["invalidate-pattern", "k:*", "--yes"],
        &["expire", "k:1", "5"],
    ];
    let threads: Vec<_> = runs
        .into_iter()
        .map(|run| {
            std::thread::spawn(move || {
                let r = Redis::start_with(&["--enable-debug-command", "yes"]);
                let mut c = r.conn();
                load(&mut c, (0..100).map(|i| format!("k:{i}")), 600);
                let port = r.port;
                let sleeper =
                    std::thread::spawn(move || support::cli(port, &["DEBUG", "SLEEP", "15"]));
                std::thread::sleep(Duration::from_millis(200));
                let mut args = vec!["--timeout", "30s"];
                args.extend(run);
                let started = std::time::Instant::now();
                let out = support::signalled_when(
                    &r.url(),
                    &args,
                    || started.elapsed() > Duration::from_millis(700),
                    libc::SIGINT,
                );
                let waited = started.elapsed() - Duration::from_millis(700);
                sleeper.join().unwrap();
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                assert_eq!(out.status.code(), Some(130), "{run:?}: {err}");
                assert!(err.contains("nothing was changed"), "{run:?}: {err}");
                assert!(
                    waited < Duration::from_secs(8),
                    "{run:?} ended {waited:?} after the signal\n{err}"
                );
                assert_eq!(dbsize(&mut c), 100, "{run:?} changed the keyspace");
                let ttl: i64 = redis::cmd("TTL").arg("k:1").query(&mut c).unwrap();
                assert!(ttl > 500, "{run:?} changed a TTL: {ttl}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A stop at the fixes' question ends `ttl-audit` with nothing changed, and with the audit it
/// had finished still reported: before, `-o json` printed the error alone and the audit was
/// lost.
#[test]
fn a_stop_before_the_fixes_keeps_the_audits_report() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..30 {
        redis::cmd("SET")
            .arg(format!("nt:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"nt:*\"\n    require_ttl: true\n",
    )
    .unwrap();
    let args = [
        "-o",
        "json",
        "ttl-audit",
        "--policy",
        policy.to_str().unwrap(),
        "--fix-missing-ttl",
        "1h",
    ];
    let mut pty = Pty::cachectl(&r.url(), &args);
    pty.expect("Go ahead? [y/N]", 20);
    pty.signal(libc::SIGINT);
    assert_eq!(pty.wait(10), 130, "{}", pty.screen());
    let screen = pty.screen();
    assert!(
        screen.contains("\"without_ttl\""),
        "the audit is reported: {screen}"
    );
    assert!(screen.contains("\"remediation_plan\""), "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    let ttl: i64 = redis::cmd("TTL").arg("nt:1").query(&mut c).unwrap();
    assert_eq!(ttl, -1, "a fix was made");
}
