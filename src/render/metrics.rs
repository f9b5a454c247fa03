//! `-o openmetrics`: a report as OpenMetrics text, for node_exporter's textfile collector or a
//! Pushgateway, so that alerting can watch cache health per family. Every value is a gauge of
//! the report's moment; families are those of the report, whose number the grouping already
//! bounds as it bounds the table's rows.

use std::fmt::Write;

use cachectl::ops::audit::AuditReport;
use cachectl::ops::inspect::InspectReport;

/// A label value as the exposition formats want it: backslash, double quote and newline
/// escaped.
fn label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Metric families written in order, each with its HELP, TYPE (and UNIT) once.
struct Metrics {
    text: String,
    target: String,
}

impl Metrics {
    fn new(target: &str) -> Self {
        Metrics {
            text: String::new(),
            target: label(target),
        }
    }

    fn family(&mut self, name: &str, help: &str, unit: Option<&str>) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} gauge");
        if let Some(u) = unit {
            let _ = writeln!(self.text, "# UNIT {name} {u}");
        }
    }

    /// One sample: the target's label, then `labels` (name, value).
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        let mut l = format!("target=\"{}\"", self.target);
        for (k, v) in labels {
            let _ = write!(l, ",{k}=\"{}\"", label(v));
        }
        let _ = writeln!(self.text, "{name}{{{l}}} {value}");
    }

    /// One metric family with a sample per key family.
    fn per_family<'a>(
        &mut self,
        (name, help, unit): Family,
        values: impl Iterator<Item = (&'a str, u64)>,
    ) {
        self.family(name, help, unit);
        for (family, v) in values {
            self.sample(name, &[("family", family)], v);
        }
    }

    fn end(mut self) -> String {
        self.text.push_str("# EOF\n");
        self.text
    }
}

/// `inspect --pattern` (live or from dumps) as metrics.
pub fn inspect(report: &InspectReport, target: &str) -> String {
    let mut m = Metrics::new(target);
    let fams = &report.families;
    m.per_family(KEYS, fams.iter().map(|f| (f.family.as_str(), f.keys)));
    m.per_family(
        MEMORY,
        fams.iter().map(|f| (f.family.as_str(), f.memory_bytes)),
    );
    m.per_family(
        NO_TTL,
        fams.iter().map(|f| (f.family.as_str(), f.without_ttl)),
    );
    hash_fields(
        &mut m,
        fams.iter().map(|f| (f.family.as_str(), f.fields.as_ref())),
    );
    complete(&mut m, report.complete);
    m.end()
}

/// Hash fields with and without TTL per family, where any family has hashes whose fields
/// expire (Redis 7.4+, Valkey 9).
fn hash_fields<'a>(
    m: &mut Metrics,
    fams: impl Iterator<Item = (&'a str, Option<&'a cachectl::ops::fields::FieldSummary>)> + Clone,
) {
    if fams.clone().all(|(_, f)| f.is_none()) {
        return;
    }
    m.family(
        "cachectl_hash_fields",
        "Fields of hashes without a TTL of their own, per key family, by whether they expire",
        None,
    );
    for (family, f) in fams {
        let Some(f) = f else { continue };
        for (ttl, n) in [("yes", f.fields_with_ttl), ("no", f.fields_without_ttl)] {
            m.sample(
                "cachectl_hash_fields",
                &[("family", family), ("expires", ttl)],
                n,
            );
        }
    }
}

/// A metric family: name, help, unit.
type Family = (&'static str, &'static str, Option<&'static str>);

const KEYS: Family = ("cachectl_keys", "Keys per key family", None);
const MEMORY: Family = (
    "cachectl_memory_bytes",
    "Memory per key family (MEMORY USAGE, or the dump's estimate)",
    Some("bytes"),
);
const NO_TTL: Family = (
    "cachectl_keys_without_ttl",
    "Keys per key family that never expire",
    None,
);
const CLUSTER: Family = (
    "cachectl_expiry_cluster_keys",
    "The most keys of a family expiring within one --window (a miss storm's size)",
    None,
);

/// `ttl-audit` (live or from dumps) as metrics.
pub fn audit(report: &AuditReport, target: &str) -> String {
    let mut m = Metrics::new(target);
    let fams = &report.families;
    m.per_family(KEYS, fams.iter().map(|f| (f.family.as_str(), f.keys)));
    m.per_family(
        NO_TTL,
        fams.iter().map(|f| (f.family.as_str(), f.without_ttl)),
    );
    hash_fields(
        &mut m,
        fams.iter().map(|f| (f.family.as_str(), f.fields.as_ref())),
    );
    let cluster = |f: &cachectl::ops::audit::FamilyAudit| f.busiest.as_ref().map_or(0, |b| b.keys);
    m.per_family(
        CLUSTER,
        fams.iter().map(|f| (f.family.as_str(), cluster(f))),
    );
    m.family(
        "cachectl_keys_expiring",
        "Keys expiring per bucket of the expiry timeline, by minutes from now",
        None,
    );
    let bucket_min = (report.timeline.bucket_ms / 60_000).max(1);
    for (i, n) in report.timeline.counts.iter().enumerate() {
        let from = (i as u64 * bucket_min).to_string();
        m.sample("cachectl_keys_expiring", &[("in_minutes", &from)], *n);
    }
    m.family(
        "cachectl_policy_violation_keys",
        "Keys per policy violation (kind, rule and family)",
        None,
    );
    for v in &report.violations {
        let kind = serde_json::to_value(v.kind)
            .ok()
            .and_then(|k| k.as_str().map(String::from))
            .unwrap_or_default();
        m.sample(
            "cachectl_policy_violation_keys",
            &[("kind", &kind), ("rule", &v.rule), ("family", &v.family)],
            v.keys,
        );
    }
    m.family(
        "cachectl_policy_violations",
        "Policy violations found (0 when the policy holds)",
        None,
    );
    m.sample(
        "cachectl_policy_violations",
        &[],
        report.violations.len() as u64,
    );
    complete(&mut m, report.complete);
    m.end()
}

fn complete(m: &mut Metrics, complete: bool) {
    m.family(
        "cachectl_report_complete",
        "1 when every key was walked, 0 when the figures cover part of the keyspace",
        None,
    );
    m.sample("cachectl_report_complete", &[], u64::from(complete));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut m = Metrics::new("h:1");
        m.sample("x", &[("family", "<script>\"")], 3);
        assert_eq!(m.text, "x{target=\"h:1\",family=\"<script>\\\"\"} 3\n");
    }
}
