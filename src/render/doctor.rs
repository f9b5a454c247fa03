//! `doctor`: can cachectl run here? One line per finding, the permissions command by command.

use std::io;

use cachectl::ops::doctor::DoctorReport;

use super::Renderer;

/// The target as resolved, before any connection: what the report's first line says.
pub struct Reached<'a> {
    /// Without its password.
    pub url: &'a str,
    pub named: Option<&'a str>,
    pub tls: bool,
    pub tls_insecure: bool,
}

impl Renderer {
    pub fn doctor(
        &self,
        to: &Reached<'_>,
        report: Option<&DoctorReport>,
        error: Option<&str>,
    ) -> io::Result<()> {
        let mut out = format!(
            "target       {}{}{}\n",
            to.url,
            to.named
                .map(|n| format!(" (named target `{n}`)"))
                .unwrap_or_default(),
            match (to.tls, to.tls_insecure) {
                (true, true) =>
                    ", TLS WITHOUT CERTIFICATE CHECK (--tls-insecure): anyone on the \
                             path can pose as the server",
                (true, false) => ", TLS",
                _ => "",
            }
        );
        if let Some(e) = error {
            out.push_str(&format!("connection   FAILED: {e}\n"));
        }
        if let Some(r) = report {
            out.push_str(&format!(
                "topology     {} ({})\n",
                r.topology,
                r.masters.join(", ")
            ));
            out.push_str(&format!(
                "server       {}\n",
                r.server.as_deref().unwrap_or("unknown (INFO not allowed)")
            ));
            out.push_str(&format!(
                "user         {}\n",
                r.user
                    .as_deref()
                    .unwrap_or("unknown (ACL WHOAMI not allowed)")
            ));
            out.push_str(&format!(
                "round trip   {:.2} ms median, {:.2} ms at most (10 PINGs)\n",
                r.latency_ms.p50, r.latency_ms.max
            ));
            out.push_str(&format!(
                "memory       maxmemory {}, policy {}\n",
                r.maxmemory_bytes
                    .map_or("unknown".to_string(), |b| b.to_string()),
                r.eviction_policy.as_deref().unwrap_or("unknown")
            ));
            out.push_str(&format!(
                "keyspace     notifications {}\n",
                match r.notifications.as_deref() {
                    Some("") => "off".to_string(),
                    Some(v) => format!("`{v}`"),
                    None => "unknown (CONFIG not allowed)".to_string(),
                }
            ));
            out.push_str(&format!(
                "permissions  ({})\n",
                match (r.checked_by.as_str(), &r.write_probe_key) {
                    ("acl dryrun", _) => "asked with ACL DRYRUN: nothing run".to_string(),
                    (_, Some(own)) => format!(
                        "reads tried on `{}`, writes on the doctor's own `{own}`, then removed",
                        r.probe_key
                    ),
                    _ => format!("reads tried on `{}`; writes not tried", r.probe_key),
                }
            ));
            for p in &r.permissions {
                out.push_str(&format!(
                    "  {} {:<20}{}\n",
                    match (p.ok, p.missing.is_empty()) {
                        (true, _) => "ok ",
                        (false, true) => "?  ",
                        (false, false) => "NO ",
                    },
                    p.command,
                    [
                        (!p.missing.is_empty())
                            .then(|| format!(" missing: {}", p.missing.join(", "))),
                        (!p.unchecked.is_empty())
                            .then(|| format!(" not checked: {}", p.unchecked.join(", "))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<String>()
                ));
            }
            for w in &r.warnings {
                out.push_str(&format!("warning      {w}\n"));
            }
        }
        self.print(&out)
    }
}
