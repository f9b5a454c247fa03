//! Every command against a real 3-master Redis Cluster, shared by the tests of this file; each
//! test keeps to its own key prefix.

use crate::support;

use support::{Cluster, Run, cachectl, json_of};

fn set_keys(cluster: &Cluster, keys: impl IntoIterator<Item = String>) {
    let mut c = cluster.conn();
    for k in keys {
        redis::cmd("SET")
            .arg(&k)
            .arg("v")
            .arg("EX")
            .arg(600)
            .exec(&mut c)
            .unwrap();
    }
}

#[test]
fn sweep_finds_and_deletes_keys_on_every_master() {
    let cluster = Cluster::shared();
    // 300 keys hash to slots all over the cluster.
    set_keys(cluster, (0..300).map(|i| format!("sweep1:user_{i}")));
    set_keys(cluster, (0..40).map(|i| format!("sweep1:keep_{i}")));
    let before = cluster.count_per_node("sweep1:user_*");
    assert_eq!(before.iter().sum::<usize>(), 300);
    assert!(
        before.iter().all(|&n| n > 0),
        "keys on every master: {before:?}"
    );

    let out = cachectl(&cluster.url())
        .args([
            "invalidate-pattern",
            "sweep1:user_*",
            "--yes",
            "--max-keys",
            "100000000",
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
    assert_eq!(doc["matched"], 300);
    assert_eq!(doc["deleted"], 300);
    assert_eq!(
        doc["cursors"].as_array().unwrap().len(),
        3,
        "one cursor per master"
    );
    assert_eq!(cluster.count_per_node("sweep1:user_*"), vec![0, 0, 0]);
    assert_eq!(
        cluster
            .count_per_node("sweep1:keep_*")
            .iter()
            .sum::<usize>(),
        40
    );
}

#[test]
fn hash_tag_pattern_scans_only_the_owning_master() {
    let cluster = Cluster::shared();
    set_keys(cluster, (0..50).map(|i| format!("{{tag42}}:post:{i}")));
    set_keys(cluster, (0..50).map(|i| format!("tag42:post:{i}")));
    let doc = cachectl(&cluster.url())
        .args([
            "invalidate-pattern",
            "{tag42}:post:*",
            "--yes",
            "--max-keys",
            "100000000",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(doc["deleted"], 50);
    let cursors = doc["cursors"].as_array().unwrap();
    assert_eq!(cursors.len(), 1, "pruned to one master: {cursors:?}");
    assert_eq!(cluster.count_per_node("{tag42}:*").iter().sum::<usize>(), 0);
    assert_eq!(
        cluster.count_per_node("tag42:post:*").iter().sum::<usize>(),
        50
    );
}

#[test]
fn dry_run_and_guards_work_across_masters() {
    let cluster = Cluster::shared();
    set_keys(cluster, (0..120).map(|i| format!("guard1:{i}")));
    let out = cachectl(&cluster.url())
        .args(["invalidate-pattern", "guard1:*", "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["matched"], 120);
    cachectl(&cluster.url())
        .args(["invalidate-pattern", "guard1:*", "--max-keys", "100"])
        .assert()
        .code(3);
    assert_eq!(
        cluster.count_per_node("guard1:*").iter().sum::<usize>(),
        120
    );
    cachectl(&cluster.url())
        .args([
            "invalidate-pattern",
            "guard1:[0-4]*",
            "--exclude",
            "guard1:4*",
            "--yes",
            "--max-keys",
            "100000000",
        ])
        .assert()
        .success();
    // guard1:0..3x and 100..119 went; 4, 40-49, and 5..99 minus 0-3 prefixes stayed.
    let left = cluster.count_per_node("guard1:*").iter().sum::<usize>();
    let gone = (0..120)
        .map(|i| i.to_string())
        .filter(|s| matches!(s.as_bytes()[0], b'0'..=b'3'))
        .count();
    assert_eq!(left, 120 - gone);
}

#[test]
fn get_set_and_invalidate_route_by_slot() {
    let cluster = Cluster::shared();
    let url = cluster.url();
    for i in 0..20 {
        cachectl(&url)
            .args([
                "set",
                &format!("gs1:post_cache:{i}"),
                r#"{"id": 1}"#,
                "--ttl",
                "1h",
                "--json",
            ])
            .assert()
            .success();
    }
    let out = cachectl(&url)
        .args(["get", "gs1:post_cache:7", "-o", "json"])
        .output()
        .unwrap();
    let doc = json_of(&out)["keys"][0].clone();
    assert_eq!(doc["value"], r#"{"id":1}"#);
    assert!(doc["ttl_ms"].as_u64().unwrap() > 3_500_000);

    let mut args = vec!["invalidate".to_string(), "-o".into(), "json".into()];
    args.extend((0..20).map(|i| format!("gs1:post_cache:{i}")));
    args.push("gs1:missing".into());
    let doc = cachectl(&url).args(&args).json();
    assert_eq!(doc["deleted"], 20);
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.last().unwrap()["existed"], false);
    assert_eq!(cluster.count_per_node("gs1:*").iter().sum::<usize>(), 0);
}

#[test]
fn cluster_refuses_a_database_index() {
    let cluster = Cluster::shared();
    cachectl(&format!("{}/2", cluster.url()))
        .args(["get", "x"])
        .fails_with(2, "only database 0");
}

#[test]
fn verbose_lists_the_masters() {
    let cluster = Cluster::shared();
    cachectl(&cluster.url())
        .args(["--verbose", "get", "verbose1:nothing"])
        .fails_with(1, "cluster: 3 masters");
}

/// #31.4: `keys` lists what a glob matches on every master (SCAN, never KEYS), one key a
/// line, escaped as everywhere; `--count-only` and `-o json` say the same count; nothing is
/// deleted.
#[test]
fn keys_lists_every_master() {
    let cluster = Cluster::shared();
    set_keys(cluster, (0..300).map(|i| format!("keys1:user_{i}")));
    set_keys(
        cluster,
        ["keys1:user_x\ny".to_string(), "keys1:other".to_string()],
    );
    let out = cachectl(&cluster.url())
        .args(["keys", "keys1:user_*"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines.len(), 301, "{text}");
    assert!(
        lines.contains(&"\"keys1:user_x\\ny\""),
        "a newline in a key is escaped"
    );
    assert!(!lines.contains(&"keys1:other"));
    let count = cachectl(&cluster.url())
        .args(["keys", "keys1:user_*", "--count-only"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "301");
    let doc = json_of(
        &cachectl(&cluster.url())
            .args(["keys", "keys1:*", "--exclude", "keys1:other", "-o", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (doc["count"].as_u64(), doc["complete"].as_bool()),
        (Some(301), Some(true))
    );
    assert_eq!(cluster.count_per_node("keys1:*").iter().sum::<usize>(), 302);
}
