//! What was approved is what runs (#29): a permit carries its key budget, its patterns and its
//! database, and the write path spends the budget as it goes. Keys that appear between the
//! count and the deletion (a live cache grows while a sweep walks) never pass the count a
//! person approved, a cap, or a `confirm: always` nobody answered. Every test reads what is
//! left on the server.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use support::{Redis, cachectl, dbsize, json_of, load};

/// Keys on the server matching `pattern` (counted with SCAN, from the test's side).
fn count(c: &mut redis::Connection, pattern: &str) -> u64 {
    let mut n = 0;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query(c)
            .unwrap();
        n += keys.len() as u64;
        if next == 0 {
            return n;
        }
        cursor = next;
    }
}

/// Delete the keys matching `pattern`, between rounds.
fn delete_matching(c: &mut redis::Connection, pattern: &str) {
    redis::cmd("EVAL")
        .arg("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end")
        .arg(0)
        .arg(pattern)
        .exec(c)
        .unwrap();
}

/// Write `n` keys named `prefix{i}` in one pipeline.
fn write_keys(c: &mut redis::Connection, prefix: &str, n: u64) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.cmd("SET")
            .arg(format!("{prefix}{i}"))
            .arg("v")
            .ignore();
    }
    pipe.exec(c).unwrap();
}

/// A writer that waits for the sweep's deleting walk to begin (its first `COMMAND INFO
/// UNLINK`, which the count before it never sends) and then writes `n` keys `prefix{i}`:
/// keys that appear after the approval, while the walk runs.
fn writer_after_approval(r: &Redis, prefix: &'static str, n: u64) -> thread::JoinHandle<bool> {
    let mut c = r.conn();
    thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            let stats: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut c)
                .unwrap();
            if stats.contains("cmdstat_command|info") {
                write_keys(&mut c, prefix, n);
                return true;
            }
            thread::sleep(Duration::from_micros(200));
        }
        false
    })
}

/// A config file naming `url` as `careful` (confirm: always) and `capped` (max_keys: 100).
fn config(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("permit.yaml");
    std::fs::write(
        &path,
        format!(
            "targets:\n\
             \x20 careful: {{ url: \"{url}\", confirm: always }}\n\
             \x20 capped: {{ url: \"{url}\", max_keys: 100 }}\n"
        ),
    )
    .unwrap();
    path
}

/// Filler keys, so that a walk lasts long enough for keys to appear ahead of its cursor.
fn filler(c: &mut redis::Connection) {
    load(c, (0..300_000).map(|i| format!("filler:{i}")), 3600);
}

fn sweep_on(r: &Redis, cfg: &Path, target: &str, pattern: &str) -> Output {
    cachectl(&r.url())
        .args(["--config", cfg.to_str().unwrap(), "--target", target])
        .args(["invalidate-pattern", pattern, "--yes", "-o", "json"])
        .output()
        .unwrap()
}

#[test]
fn keys_that_appear_mid_sweep_never_pass_confirm_always() {
    let r = Redis::start();
    let mut c = r.conn();
    filler(&mut c);
    let cfg = config(r.dir(), &r.url());
    for round in 0..2 {
        redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
        let writer = writer_after_approval(&r, "fresh:", 5000);
        // Nothing matches when counted: nobody is asked, and nobody approved any key.
        let out = sweep_on(&r, &cfg, "careful", "fresh:*");
        assert!(
            writer.join().unwrap(),
            "round {round}: the walk never began"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            count(&mut c, "fresh:*"),
            5000,
            "round {round}: keys nobody confirmed were deleted: {stderr}"
        );
        let doc = json_of(&out);
        assert_eq!(doc["deleted"], 0, "round {round}: {doc}");
        assert!(
            doc["over_budget"].as_u64().unwrap() > 0,
            "round {round}: the walk found none of the new keys, so it tested nothing: {doc}"
        );
        assert_eq!(out.status.code(), Some(3), "round {round}: {stderr}");
        assert_eq!(doc["complete"], false, "{doc}");
        assert!(stderr.contains("approved budget of 0 keys"), "{stderr}");
        delete_matching(&mut c, "fresh:*");
    }
}

#[test]
fn keys_that_appear_mid_sweep_never_pass_the_cap() {
    let r = Redis::start();
    let mut c = r.conn();
    filler(&mut c);
    let cfg = config(r.dir(), &r.url());
    for round in 0..2 {
        redis::cmd("CONFIG").arg("RESETSTAT").exec(&mut c).unwrap();
        write_keys(&mut c, "grow:old", 50);
        let writer = writer_after_approval(&r, "grow:new", 5000);
        // 50 counted, under the target's cap of 100: `--yes` accepts up to the cap.
        let out = sweep_on(&r, &cfg, "capped", "grow:*");
        assert!(
            writer.join().unwrap(),
            "round {round}: the walk never began"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let left = count(&mut c, "grow:*");
        let doc = json_of(&out);
        assert!(
            left >= 5050 - 100,
            "round {round}: {} keys deleted past a cap of 100: {stderr}",
            5050 - left
        );
        assert_eq!(doc["deleted"].as_u64().unwrap(), 5050 - left, "{doc}");
        assert!(doc["over_budget"].as_u64().unwrap() > 0, "{doc}");
        assert_eq!(out.status.code(), Some(3), "round {round}: {stderr}");
        assert!(stderr.contains("approved budget of 100 keys"), "{stderr}");
        delete_matching(&mut c, "grow:*");
    }
}

/// A person who, while being asked, lets the application write `extra` more matching keys,
/// then says yes: they approved what they were shown.
struct AnswersWhileKeysAppear {
    url: String,
    extra: u64,
}

impl cachectl::guard::Confirm for AnswersWhileKeysAppear {
    fn can_ask(&self) -> bool {
        true
    }

    fn ask<'a>(
        &'a self,
        _p: &'a cachectl::guard::Proposal,
    ) -> BoxFuture<'a, cachectl::Result<bool>> {
        let mut c = redis::Client::open(self.url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        write_keys(&mut c, "asked:new", self.extra);
        Box::pin(async { Ok(true) })
    }
}

#[test]
fn a_person_approves_the_count_they_saw_and_no_more() {
    use cachectl::guard::Guards;
    use cachectl::keys::glob::Glob;
    use cachectl::ops::sweep::{self, SweepOptions};
    let r = Redis::start();
    let mut c = r.conn();
    write_keys(&mut c, "asked:old", 50);
    let (runtime, store) = support::library_store(&r.url());
    let person = AnswersWhileKeysAppear {
        url: r.url(),
        extra: 2000,
    };
    let report = runtime
        .block_on(sweep::sweep(
            &store,
            &Glob::new("asked:*"),
            &SweepOptions::default(),
            &Guards::default(),
            &person,
            &cachectl::stop::Stop::new(),
            &cachectl::progress::Silent,
            None,
        ))
        .unwrap();
    assert_eq!(report.deleted, 50, "{report:?}");
    assert_eq!(count(&mut c, "asked:*"), 2000);
    assert!(!report.complete);
    assert!(report.over_budget > 0);
    let why = report
        .error
        .as_ref()
        .map(|e| e.error.clone())
        .unwrap_or_default();
    assert!(why.contains("approved budget of 50 keys"), "{why}");
}

#[test]
fn patterns_are_judged_as_their_union() {
    let r = Redis::start();
    let mut c = r.conn();
    for p in ["alpha", "kilo", "mike", "zulu"] {
        load(&mut c, (0..200).map(|i| format!("{p}:{i}")), 600);
    }
    // Each half alone is half the keyspace; together they are all of it.
    cachectl(&r.url())
        .args(["invalidate-pattern", "[a-l]*", "[m-z]*"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains(
            "the patterns together match every key",
        ));
    assert_eq!(dbsize(&mut c), 800, "refused: nothing changed");
    // Overlapping patterns count each key once: 400 keys, not 600, against a cap of 500.
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "[a-l]*",
            "kilo:*",
            "--max-keys",
            "500",
            "--yes",
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["deleted"], 400);
    assert_eq!(dbsize(&mut c), 400);
}

#[test]
fn a_permit_holds_only_in_its_database_and_for_its_patterns() {
    use cachectl::guard::{self, Action, Guards, NoOne, Proposal, Selection};
    let r = Redis::start();
    let (runtime, store) = support::library_store(&r.url());
    let stop = cachectl::stop::Stop::new();
    let yes = Guards {
        yes: true,
        ..Guards::default()
    };
    let for_db = |db| {
        Proposal::new(
            Action::Write,
            vec![Selection::of("key `k`".into(), 1, 0, false)],
        )
        .in_db(db)
    };
    let elsewhere = runtime
        .block_on(guard::authorise(
            store.policy(),
            for_db(3),
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
    assert_eq!(dbsize(&mut r.conn()), 0, "the write went through");
    let here = runtime
        .block_on(guard::authorise(
            store.policy(),
            for_db(0),
            &yes,
            &NoOne,
            &stop,
        ))
        .unwrap();
    runtime
        .block_on(store.write::<redis::Value>(&here, &set))
        .unwrap();
    assert_eq!(dbsize(&mut r.conn()), 1);
}

#[test]
fn a_checkpoint_of_another_database_is_refused() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..30_000).map(|i| format!("user_{i}")), 600);
    let cp = r.dir().join("db.checkpoint");
    let args = |url: String| {
        let mut a = vec![
            "invalidate-pattern".to_string(),
            "user_*".into(),
            "--yes".into(),
            "--max-keys".into(),
            "100000".into(),
            "--rate".into(),
            "5000".into(),
            "--checkpoint".into(),
            cp.to_str().unwrap().into(),
        ];
        a.insert(0, url);
        a.insert(0, "-u".into());
        a
    };
    let first: Vec<String> = args(r.url());
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let out = support::signalled(&r.url(), &first, Duration::from_millis(700), libc::SIGTERM);
    assert_eq!(out.status.code(), Some(143));
    assert!(cp.exists());
    let mut c3 = redis::Client::open(format!("{}/3", r.url()))
        .unwrap()
        .get_connection()
        .unwrap();
    load(&mut c3, (0..3000).map(|i| format!("user_{i}")), 600);
    cachectl(&r.url())
        .args(args(format!("{}/3", r.url())))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("belongs to"));
    assert_eq!(dbsize(&mut c3), 3000, "refused: nothing changed in db 3");
}

#[test]
fn the_undo_command_printed_works_as_printed() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..12_000).map(|i| format!("undo:{i}")), 600);
    let file = r.dir().join("my backup.cbk");
    let out = cachectl(&r.url())
        .args([
            "invalidate-pattern",
            "undo:*",
            "--yes",
            "--max-keys",
            "50000",
        ])
        .arg("--backup")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(dbsize(&mut c), 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let undo = stderr
        .lines()
        .find_map(|l| l.split("to undo, run: ").nth(1))
        .unwrap_or_else(|| panic!("no undo command: {stderr}"))
        .to_string();
    assert!(undo.contains("--max-keys 12000"), "{undo}");
    // Run exactly as printed, by a shell, with --yes as a script would add.
    let cachectl_bin = assert_cmd::cargo::cargo_bin("cachectl");
    let shell = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --yes",
            undo.replacen("cachectl", &cachectl_bin.display().to_string(), 1)
        ))
        .env("CACHECTL_URL", r.url())
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    assert_eq!(
        shell.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&shell.stderr)
    );
    assert_eq!(dbsize(&mut c), 12_000);
}
