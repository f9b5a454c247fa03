//! Sweeps that select keys by what they are (#30.2): `--no-ttl`, `--ttl-under/over`,
//! `--idle-over`, `--freq-under`, `--larger-than`, with `--type`, each deleting exactly the
//! keys it selects (the dry run, the count and the cap counting the same keys), on a standalone
//! server and a cluster, and a key that changes between its check and its deletion left alone.

use crate::support;

use std::time::Duration;

use support::{Cluster, Redis, Run, cachectl, dbsize, exists, load};

fn keys_matching(c: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query(c).unwrap();
    keys.sort();
    keys
}

/// A keyspace of every kind: 300 keys with a TTL, 120 without, 40 hashes without, 25 large
/// values without.
fn mixed(c: &mut redis::Connection) {
    load(c, (0..300).map(|i| format!("c:ttl:{i}")), 600);
    let mut pipe = redis::pipe();
    for i in 0..120 {
        pipe.cmd("SET")
            .arg(format!("c:plain:{i}"))
            .arg("v")
            .ignore();
    }
    for i in 0..40 {
        pipe.cmd("HSET")
            .arg(format!("c:h:{i}"))
            .arg("f")
            .arg("v")
            .ignore();
    }
    for i in 0..25 {
        pipe.cmd("SET")
            .arg(format!("c:big:{i}"))
            .arg(vec![b'x'; 200_000])
            .ignore();
    }
    pipe.exec(c).unwrap();
}

#[test]
fn each_filter_deletes_exactly_the_keys_it_selects() {
    let r = Redis::start();
    let mut c = r.conn();
    mixed(&mut c);
    // The list, the dry run and the deletion agree on the same 185 keys without TTL.
    let listed = cachectl(&r.url())
        .args(["keys", "c:*", "--no-ttl", "--count-only"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "185");
    let dry = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "c:*",
            "--no-ttl",
            "--dry-run",
        ])
        .json();
    assert_eq!(dry["matched"], 185, "{dry}");
    assert_eq!(dry["not_selected"], 300, "{dry}");
    assert_eq!(dry["filters"], "no TTL");

    // --larger-than first: only the 25 large values go.
    let big = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "c:*",
            "--larger-than",
            "100KB",
            "--yes",
        ])
        .json();
    assert_eq!(big["deleted"], 25, "{big}");
    assert!(keys_matching(&mut c, "c:big:*").is_empty());
    assert_eq!(dbsize(&mut c), 460);

    // --type hash with --no-ttl: the hashes, not the plain strings.
    let hashes = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "c:*",
            "--no-ttl",
            "--type",
            "hash",
            "--yes",
        ])
        .json();
    assert_eq!(hashes["deleted"], 40, "{hashes}");
    assert!(keys_matching(&mut c, "c:h:*").is_empty());
    assert_eq!(keys_matching(&mut c, "c:plain:*").len(), 120);

    // --no-ttl: the 120 plain keys, never one with a TTL.
    let plain = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "c:*",
            "--no-ttl",
            "--yes",
        ])
        .json();
    assert_eq!(plain["deleted"], 120, "{plain}");
    assert_eq!(keys_matching(&mut c, "c:ttl:*").len(), 300);
    assert_eq!(dbsize(&mut c), 300);

    // --ttl-under: 100 keys given a short TTL among the 300.
    for i in 0..100 {
        redis::cmd("EXPIRE")
            .arg(format!("c:ttl:{i}"))
            .arg(30)
            .exec(&mut c)
            .unwrap();
    }
    let short = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "c:*",
            "--ttl-under",
            "1m",
            "--yes",
        ])
        .json();
    assert_eq!(short["deleted"], 100, "{short}");
    assert_eq!(dbsize(&mut c), 200);
    let over = cachectl(&r.url())
        .args(["keys", "c:*", "--ttl-over", "20m", "--count-only"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&over.stdout).trim(), "0");
}

/// `--idle-over` reads OBJECT IDLETIME, which the check itself does not reset: keys left alone
/// for three seconds go, keys read a moment ago stay.
/// inspect and ttl-audit report on the keys the filters select, and say how many they passed
/// over; nothing is changed.
#[test]
fn reports_cover_the_selected_keys_and_count_the_rest() {
    let r = Redis::start();
    let mut c = r.conn();
    mixed(&mut c);
    let doc = cachectl(&r.url())
        .args(["-o", "json", "inspect", "--pattern", "c:*", "--no-ttl"])
        .json();
    assert_eq!(doc["inspected"], 185, "{doc}");
    assert_eq!(doc["not_selected"], 300, "{doc}");
    assert_eq!(doc["filters"], "no TTL", "{doc}");
    assert_eq!(doc["total"]["without_ttl"], 185, "{doc}");
    let doc = cachectl(&r.url())
        .args(["-o", "json", "ttl-audit", "c:*", "--ttl-under", "1h"])
        .json();
    assert_eq!(doc["audited"], 300, "{doc}");
    assert_eq!(doc["not_selected"], 185, "{doc}");
    assert_eq!(doc["with_ttl"], 300, "{doc}");
    let out = cachectl(&r.url())
        .args(["ttl-audit", "c:*", "--larger-than", "100KB"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("25 keys audited") && text.contains("(460 keys passed over)"),
        "{text}"
    );
    // Without filters, neither field is there.
    let doc = cachectl(&r.url())
        .args(["-o", "json", "inspect", "--pattern", "c:*"])
        .json();
    assert!(doc.get("not_selected").is_none(), "{doc}");
    assert_eq!(dbsize(&mut c), 485);
}

#[test]
fn idle_keys_are_selected_by_their_idle_time() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..60).map(|i| format!("s:{i}")), 600);
    std::thread::sleep(Duration::from_millis(3200));
    for i in 0..20 {
        let _: Option<String> = redis::cmd("GET")
            .arg(format!("s:{i}"))
            .query(&mut c)
            .unwrap();
    }
    // The dry run reads every key's idle time; it must not make them fresh.
    let dry = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "s:*",
            "--idle-over",
            "2s",
            "--dry-run",
        ])
        .json();
    assert_eq!(dry["matched"], 40, "{dry}");
    let out = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "s:*",
            "--idle-over",
            "2s",
            "--yes",
        ])
        .json();
    assert_eq!(out["deleted"], 40, "{out}");
    for i in 0..20 {
        assert!(
            exists(&mut c, &format!("s:{i}")),
            "s:{i} was read and is gone"
        );
    }
    assert_eq!(dbsize(&mut c), 20);
}

/// Under an LFU policy there is no idle time: said, exit 1, nothing deleted; `--freq-under`
/// answers there instead (and is refused under an LRU policy).
#[test]
fn idle_time_under_lfu_is_refused_and_frequency_offered() {
    // A log factor of 0 counts every access: f:0's 200 reads take it far past 10, every time.
    let r = Redis::start_with(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    let mut c = r.conn();
    load(&mut c, (0..50).map(|i| format!("f:{i}")), 600);
    for _ in 0..200 {
        let _: Option<String> = redis::cmd("GET").arg("f:0").query(&mut c).unwrap();
    }
    for yes in [true, false] {
        let mut cmd = cachectl(&r.url());
        cmd.args(["invalidate-pattern", "f:*", "--idle-over", "1h"]);
        if yes {
            cmd.arg("--yes");
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("LFU") && err.contains("--freq-under"), "{err}");
        assert_eq!(dbsize(&mut c), 50);
    }
    let out = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "f:*",
            "--freq-under",
            "10",
            "--yes",
        ])
        .json();
    assert_eq!(out["deleted"], 49, "{out}");
    assert!(exists(&mut c, "f:0"));

    let lru = Redis::start();
    load(&mut lru.conn(), (0..5).map(|i| format!("f:{i}")), 600);
    let out = cachectl(&lru.url())
        .args(["invalidate-pattern", "f:*", "--freq-under", "10", "--yes"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not LFU") && err.contains("--idle-over"),
        "{err}"
    );
    assert_eq!(dbsize(&mut lru.conn()), 5);
}

/// The cap counts the selected keys: 50 keys without TTL among 2,000 pass `--max-keys 60`,
/// which the pattern alone would be refused.
#[test]
fn the_cap_and_the_count_are_of_the_selected_keys() {
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..2000).map(|i| format!("m:{i}")), 600);
    for i in 0..50 {
        redis::cmd("PERSIST")
            .arg(format!("m:{i}"))
            .exec(&mut c)
            .unwrap();
    }
    let refused = cachectl(&r.url())
        .args(["invalidate-pattern", "m:*", "--yes", "--max-keys", "60"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    assert_eq!(dbsize(&mut c), 2000);
    let out = cachectl(&r.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "m:*",
            "--no-ttl",
            "--yes",
            "--max-keys",
            "60",
        ])
        .json();
    assert_eq!(out["deleted"], 50, "{out}");
    assert_eq!(dbsize(&mut c), 1950);
    // Exact keys are deleted as named: a filter there is refused, nothing deleted.
    let out = cachectl(&r.url())
        .args(["invalidate", "m:60", "--no-ttl", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(exists(&mut c, "m:60"));
}

/// A key selected and then changed before its deletion (given a TTL by the application) is
/// left: the delete checks every key again in the same server-side step. The change is made
/// by a hook that runs after the selection and just before the deletion is sent.
#[test]
fn a_key_that_changes_between_check_and_delete_is_left() {
    use cachectl::guard::{Guards, NoOne};
    use cachectl::ops::sweep::{self, SweepOptions};
    use cachectl::scan::select::Select;

    struct GivesATtl(String);
    impl cachectl::ops::sweep::BeforeDelete for GivesATtl {
        fn before_delete<'a>(
            &'a self,
            _store: &'a cachectl::Store,
            _node: &'a cachectl::store::Node,
            keys: &'a [Vec<u8>],
        ) -> futures::future::BoxFuture<'a, cachectl::Result<()>> {
            Box::pin(async move {
                if keys.iter().any(|k| k == b"n:7") {
                    let mut c = redis::Client::open(self.0.as_str())
                        .unwrap()
                        .get_connection()
                        .unwrap();
                    redis::cmd("EXPIRE")
                        .arg("n:7")
                        .arg(600)
                        .exec(&mut c)
                        .unwrap();
                }
                Ok(())
            })
        }
    }

    for _ in 0..3 {
        let r = Redis::start();
        let mut c = r.conn();
        let mut pipe = redis::pipe();
        for i in 0..40 {
            pipe.cmd("SET").arg(format!("n:{i}")).arg("v").ignore();
        }
        pipe.exec(&mut c).unwrap();
        let (runtime, store) = support::library_store(&r.url());
        let mut options = SweepOptions::default();
        options.pace.select = Select {
            no_ttl: true,
            ..Select::default()
        };
        let guards = Guards {
            yes: true,
            ..Guards::default()
        };
        let hook = GivesATtl(r.url());
        let report = runtime
            .block_on(sweep::sweep(
                &store,
                &cachectl::keys::glob::Glob::new("n:*"),
                &options,
                &guards,
                &NoOne,
                &cachectl::stop::Stop::new(),
                &cachectl::progress::Silent,
                Some(&hook),
            ))
            .unwrap();
        assert_eq!(report.matched, 40, "{report:?}");
        assert_eq!(report.deleted, 39, "{report:?}");
        assert!(exists(&mut c, "n:7"), "the key given a TTL was deleted");
        assert_eq!(dbsize(&mut c), 1);
    }
}

#[test]
fn filters_select_on_every_master_of_a_cluster() {
    let cluster = Cluster::shared();
    let mut c = cluster.conn();
    for i in 0..200 {
        let mut set = redis::cmd("SET");
        set.arg(format!("filt:{i}")).arg("v");
        if i % 4 != 0 {
            set.arg("EX").arg(600);
        }
        set.exec(&mut c).unwrap();
    }
    let out = cachectl(&cluster.url())
        .args([
            "-o",
            "json",
            "invalidate-pattern",
            "filt:*",
            "--no-ttl",
            "--yes",
        ])
        .json();
    assert_eq!(out["deleted"], 50, "{out}");
    assert_eq!(out["not_selected"], 150, "{out}");
    assert_eq!(cluster.count_per_node("filt:*").iter().sum::<usize>(), 150);
    let count = |filters: &[&str]| {
        let out = cachectl(&cluster.url())
            .args(["keys", "filt:*", "--count-only"])
            .args(filters)
            .output()
            .unwrap();
        assert!(out.status.success(), "{filters:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(count(&["--no-ttl"]), "0");
    // The other filters, each checked on the master that holds the key.
    for i in 0..30 {
        redis::cmd("HSET")
            .arg(format!("filt:h{i}"))
            .arg("f")
            .arg(vec![b'x'; if i < 10 { 200_000 } else { 10 }])
            .exec(&mut c)
            .unwrap();
    }
    for i in 0..20 {
        redis::cmd("SET")
            .arg(format!("filt:short{i}"))
            .arg("v")
            .arg("EX")
            .arg(30)
            .exec(&mut c)
            .unwrap();
    }
    assert_eq!(count(&["--type", "hash"]), "30");
    assert_eq!(count(&["--larger-than", "100KB"]), "10");
    assert_eq!(count(&["--ttl-under", "1m"]), "20");
    assert_eq!(count(&["--ttl-over", "1m"]), "150");
    // Idle: the 200 first keys have not been touched since they were written, the rest are.
    std::thread::sleep(Duration::from_millis(2100));
    for i in 0..20 {
        let _: Option<String> = redis::cmd("GET")
            .arg(format!("filt:short{i}"))
            .query(&mut c)
            .unwrap();
    }
    assert_eq!(count(&["--idle-over", "1s", "--type", "string"]), "150");
    cachectl(&cluster.url())
        .args(["invalidate-pattern", "filt:*", "--yes"])
        .assert()
        .success();
}
