//! `get`: strings as they are (pretty JSON on a terminal), collections as tables.

use std::io::{self, Write};

use cachectl::keys;
use cachectl::ops::get::{Data, KeyValue, Lookup};
use cachectl::ttl::human_ms;

use super::{Renderer, Style};

/// The most of one element a table cell shows: a table lays out every cell before printing,
/// and a cell of megabytes would take minutes to wrap (`-o json` gives it whole).
const CELL_BYTES: usize = 4096;

fn cell(bytes: &[u8]) -> String {
    if bytes.len() <= CELL_BYTES {
        return keys::display(bytes);
    }
    let mut cut = &bytes[..CELL_BYTES];
    // Not in the middle of a character.
    if let Err(e) = std::str::from_utf8(cut)
        && e.error_len().is_none()
    {
        cut = &cut[..e.valid_up_to()];
    }
    format!("{}… ({} bytes)", keys::display(cut), bytes.len())
}

impl Renderer {
    /// `get`: strings as they are (JSON pretty on a terminal unless --raw), collections as
    /// tables.
    pub fn lookups(&self, lookups: &[Lookup], raw: bool) -> io::Result<()> {
        let several = lookups.len() > 1;
        for l in lookups {
            let Lookup::Found(kv) = l else { continue };
            let pretty = self.stdout_tty && !raw;
            if pretty || several {
                let ttl = kv.ttl_ms.map_or("no expiry".to_string(), |ms| {
                    format!("ttl {}", human_ms(ms))
                });
                let header = format!("{}  {}  {}", keys::display(kv.key.as_bytes()), kv.kind, ttl);
                self.print(&format!("{}\n", self.paint(&header, Style::Dim)))?;
            }
            self.value(kv, pretty)?;
        }
        Ok(())
    }

    fn value(&self, kv: &KeyValue, pretty: bool) -> io::Result<()> {
        let text = |b: &[u8]| cell(b);
        match &kv.value {
            Data::String(bytes) => {
                if pretty
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
                    && let Ok(s) = serde_json::to_string_pretty(&v)
                {
                    // JSON escapes C0 controls but leaves C1 ones and bidi overrides raw.
                    return self.print(&format!("{}\n", keys::printable(s.as_bytes())));
                }
                // On a terminal a value is shown, never obeyed: escape sequences in it are
                // printed as text. Through a pipe, or with --raw, it goes out byte for byte.
                if pretty {
                    return self.print(&format!("{}\n", keys::printable(bytes)));
                }
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.write_all(b"\n")?;
                return out.flush();
            }
            Data::Hash(pairs) => {
                let mut t = self.table(&["field", "value"]);
                for (f, v) in pairs {
                    t.add_row(vec![text(f), text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::List(items) => {
                let mut t = self.table(&["index", "value"]);
                for (i, v) in items.iter().enumerate() {
                    t.add_row(vec![i.to_string(), text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::Set(items) => {
                let mut t = self.table(&["member"]);
                for v in items {
                    t.add_row(vec![text(v)]);
                }
                self.print_table(&t)?;
            }
            Data::ZSet(items) => {
                let mut t = self.table(&["member", "score"]);
                for (m, s) in items {
                    t.add_row(vec![text(m), s.to_string()]);
                }
                self.print_table(&t)?;
            }
            Data::Stream(entries) => {
                let mut t = self.table(&["id", "fields"]);
                for e in entries {
                    let fields: Vec<String> = e
                        .fields
                        .iter()
                        .map(|(k, v)| format!("{}={}", text(k), text(v)))
                        .collect();
                    t.add_row(vec![e.id.clone(), fields.join(" ")]);
                }
                self.print_table(&t)?;
            }
            Data::Other => {
                self.print(&format!("({} value not shown)\n", kv.kind))?;
            }
        }
        if kv.truncated {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "… {} of {} elements shown (--limit)",
                        kv.value.elements(),
                        kv.length
                    ),
                    Style::Warn
                )
            ))?;
        }
        Ok(())
    }
}
