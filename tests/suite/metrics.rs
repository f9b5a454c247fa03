//! `-o openmetrics` (#22.3): inspect and ttl-audit as OpenMetrics text that `promtool check
//! metrics` accepts, with the JSON report's figures, label values escaped.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Redis, Run, cachectl, load};

/// `promtool check metrics` over `text`: its exit status and what it said. `None` without
/// promtool, which CI (`CI=true`) must have.
fn promtool(text: &str) -> Option<(bool, String)> {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            support::skip_unless_ci("promtool is not installed");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

/// The value of the sample of `metric` whose labels include `with`.
fn sample(text: &str, metric: &str, with: &str) -> Option<u64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .find(|l| l.contains(with))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn inspect_and_audit_speak_openmetrics() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (0..40).map(|i| format!("user_{i}_posts:page_1")),
        600,
    );
    for i in 0..12 {
        // A family whose name needs escaping, and no TTL.
        redis::cmd("SET")
            .arg(format!("we\"ird\\:{i}"))
            .arg("v")
            .exec(&mut c)
            .unwrap();
    }
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"user_*\"\n    max_cluster: 5\n  - match: \"*\"\n    require_ttl: true\n",
    )
    .unwrap();
    let out = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "openmetrics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let doc = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "json"])
        .json();
    for f in doc["families"].as_array().unwrap() {
        let name = f["family"].as_str().unwrap();
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        let with = format!("family=\"{escaped}\"");
        assert_eq!(
            sample(&text, "cachectl_keys", &with),
            f["keys"].as_u64(),
            "{name}"
        );
        assert_eq!(
            sample(&text, "cachectl_memory_bytes", &with),
            f["memory_bytes"].as_u64(),
            "{name}"
        );
    }
    if let Some((ok, said)) = promtool(&text) {
        assert!(ok, "promtool: {said}\n{text}");
    }

    let out = cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .args(["-o", "openmetrics"])
        .output()
        .unwrap();
    // Violations: exit 4, and the metrics are printed all the same.
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        sample(&text, "cachectl_keys_without_ttl", "we\\\"ird"),
        Some(12),
        "{text}"
    );
    assert_eq!(
        sample(&text, "cachectl_expiry_cluster_keys", "user_{n}_posts"),
        Some(40),
        "{text}"
    );
    assert_eq!(
        sample(&text, "cachectl_policy_violations", "target="),
        Some(2)
    );
    assert_eq!(
        sample(
            &text,
            "cachectl_policy_violation_keys",
            "kind=\"missing_ttl\""
        ),
        Some(12)
    );
    if let Some((ok, said)) = promtool(&text) {
        assert!(ok, "promtool: {said}\n{text}");
    }
    // Elsewhere it is a usage error.
    cachectl(&r.url())
        .args(["get", "x", "-o", "openmetrics"])
        .assert()
        .code(2);
}
