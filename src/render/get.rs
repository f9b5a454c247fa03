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

/// `2 of 3 fields expire, the soonest in 1d, the last in 5d`: and whether the hash goes
/// with them.
pub fn field_summary(f: &cachectl::ops::fields::FieldTtls) -> String {
    let mut line = format!(
        "{} of {} fields expire",
        f.with_ttl,
        if f.sampled {
            format!("{} read (of {})", f.read, f.fields)
        } else {
            f.fields.to_string()
        }
    );
    if let (Some(min), Some(max)) = (f.min_ms, f.max_ms) {
        line.push_str(&format!(
            ", the soonest in {}, the last in {}",
            human_ms(min),
            human_ms(max)
        ));
    }
    if f.all_expire() {
        line.push_str(": the hash goes with its last field");
    }
    line
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
                let through_fields = kv.field_ttls.as_ref().and_then(|f| f.effective_ms);
                let ttl = match (kv.ttl_ms, through_fields) {
                    (Some(ms), _) => format!("ttl {}", human_ms(ms)),
                    (None, Some(ms)) => format!("goes with its last field in {}", human_ms(ms)),
                    (None, None) => "no expiry".to_string(),
                };
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
            Data::Hash(pairs) => match &kv.field_ttls {
                None => {
                    let mut t = self.table(&["field", "value"]);
                    for (f, v) in pairs {
                        t.add_row(vec![text(f), text(v)]);
                    }
                    self.print_table(&t)?;
                }
                Some(fields) => {
                    let ttl_of: std::collections::HashMap<&[u8], Option<u64>> = fields
                        .per_field
                        .iter()
                        .map(|(f, t)| (f.as_slice(), *t))
                        .collect();
                    let mut t = self.table(&["field", "value", "ttl"]);
                    for (f, v) in pairs {
                        let ttl = match ttl_of.get(f.as_slice()) {
                            Some(Some(ms)) => human_ms(*ms),
                            Some(None) => "no expiry".into(),
                            None => "?".into(),
                        };
                        t.add_row(vec![text(f), text(v), ttl]);
                    }
                    self.print_table(&t)?;
                    self.print(&format!(
                        "{}\n",
                        self.paint(&field_summary(fields), Style::Dim)
                    ))?;
                }
            },
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
        if kv.elements_cut > 0 {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "… {} element(s) longer than --max-bytes are shown cut to it",
                        kv.elements_cut
                    ),
                    Style::Warn
                )
            ))?;
        }
        Ok(())
    }
}
