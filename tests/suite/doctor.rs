//! `cachectl doctor` on real servers: all well for a full user (and nothing written), the
//! missing permissions of a restricted one, an address that does not answer, a cluster.

use crate::support;

use support::{Cluster, Redis, cachectl, dbsize, json_of};

fn doctor(url: &str, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, serde_json::Value) {
    let mut cmd = cachectl(url);
    cmd.args(extra).args(["doctor", "-o", "json"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), json_of(&out))
}

#[test]
fn a_full_user_is_all_well_and_nothing_is_written() {
    let r = Redis::start();
    let mut c = r.conn();
    let (code, doc) = doctor(&r.url(), &[], &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["topology"], "standalone");
    assert_eq!(doc["user"], "default");
    let server = doc["server"].as_str().unwrap();
    assert!(
        server.starts_with('7') || server.starts_with("valkey"),
        "{server}"
    );
    assert!(
        doc["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["ok"] == true)
    );
    assert_eq!(dbsize(&mut c), 0, "the probes wrote nothing");
}

#[test]
fn a_restricted_user_is_told_what_it_may_not_do() {
    let r = Redis::start();
    let mut c = r.conn();
    redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "reader",
            "on",
            ">pw",
            "~*",
            "+@read",
            "+scan",
            "+dbsize",
            "+ping",
            "+cluster|info",
        ])
        .exec(&mut c)
        .unwrap();
    let (code, doc) = doctor(
        &r.url(),
        &["--user", "reader", "--password-env", "READER_PW"],
        &[("READER_PW", "pw")],
    );
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["ok"], false);
    let perm = |name: &str| {
        doc["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["command"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(perm("get")["ok"], true);
    assert_eq!(perm("inspect")["ok"], true);
    assert_eq!(perm("invalidate-pattern")["ok"], false);
    assert!(
        perm("invalidate-pattern")["missing"][0]
            .as_str()
            .unwrap()
            .contains("unlink")
    );
    assert_eq!(perm("set")["ok"], false);
    assert!(doc["problems"].as_array().unwrap().len() >= 4);
}

#[test]
fn an_address_that_does_not_answer_is_a_failed_check_with_its_report() {
    let port = support::free_port();
    let (code, doc) = doctor(&format!("redis://127.0.0.1:{port}"), &[], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(doc["ok"], false);
    assert!(
        doc["error"].as_str().unwrap().contains("cannot connect"),
        "{doc}"
    );
    assert_eq!(doc["target"], format!("redis://127.0.0.1:{port}"));
}

#[test]
fn a_cluster_shows_its_masters() {
    let cluster = Cluster::shared();
    let (code, doc) = doctor(&cluster.url(), &[], &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["topology"], "cluster of 3 masters");
    assert_eq!(doc["masters"].as_array().unwrap().len(), 3);
}
