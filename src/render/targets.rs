//! `targets`: the config file's named targets, one line each, the default marked, no secrets.

use std::io;

use cachectl::conn::named::NamedTarget;
use serde::Serialize;

use super::Renderer;

#[derive(Serialize)]
pub struct Row<'a> {
    pub name: &'a str,
    pub default: bool,
    /// The URL without its password.
    pub url: String,
    /// The server's certificate and name go unchecked (`tls: {insecure: true}`): anyone on
    /// the path can pose as the server.
    pub tls_insecure: bool,
    #[serde(flatten)]
    pub settings: &'a NamedTarget,
}

impl Renderer {
    /// `file`'s targets.
    pub fn targets(&self, file: &str, rows: &[Row<'_>]) -> io::Result<()> {
        if rows.is_empty() {
            return self.print(&format!("{file}: no targets\n"));
        }
        let mut out = String::new();
        for r in rows {
            let t = r.settings;
            let mut notes = Vec::new();
            if t.cluster {
                notes.push("cluster".to_string());
            }
            if let Some(u) = &t.user {
                notes.push(format!("user {u}"));
            }
            if let Some(p) = &t.password_env {
                notes.push(format!("password from ${p}"));
            }
            if t.readonly {
                notes.push("read-only".into());
            }
            if r.tls_insecure {
                notes.push("TLS INSECURE: certificate not checked".into());
            }
            if !t.protect.is_empty() {
                notes.push(format!("protects {}", t.protect.join(" ")));
            }
            if t.confirm.is_some() {
                notes.push("confirm always".into());
            }
            if let Some(m) = t.max_keys {
                notes.push(format!("max-keys {m}"));
            }
            out.push_str(&format!(
                "{} {:<12} {}{}\n",
                if r.default { "*" } else { " " },
                r.name,
                r.url,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", notes.join(", "))
                }
            ));
        }
        self.print(&out)
    }
}
