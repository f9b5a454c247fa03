//! `--output json`: exactly one JSON document on stdout, nothing else there. Every document is
//! an object of one shape per command (never an object for one key and an array for two), and
//! says which version of that shape it is: `"schema": 1`.

use std::io;

use serde::Serialize;

use super::Renderer;

/// The version of the documents' shapes: raised when a field changes meaning or goes away.
pub const SCHEMA: u32 = 1;

/// `text`, a serialised object, with `"schema"` as its first field (left alone when it is not
/// an object).
fn with_schema(mut text: Vec<u8>, pretty: bool) -> Vec<u8> {
    if text.first() != Some(&b'{') {
        return text;
    }
    let empty = text.get(1) == Some(&b'}');
    let field = match (pretty, empty) {
        (true, false) => format!("\n  \"schema\": {SCHEMA},"),
        (true, true) => format!("\n  \"schema\": {SCHEMA}\n"),
        (false, false) => format!("\"schema\":{SCHEMA},"),
        (false, true) => format!("\"schema\":{SCHEMA}"),
    };
    // A pretty object starts `{\n  "first"`: the field goes right after the brace, with its
    // own line break, and the original one begins the next line.
    text.splice(1..1, field.into_bytes());
    text
}

/// `text` with every character a terminal would act on or hide (C1 controls, bidi and
/// invisible characters) written as a `\u` escape: the same JSON string, which can no longer
/// move a terminal's cursor or make two keys look alike. Such characters only occur inside
/// strings, where the escape means the same.
fn escape_invisible(text: Vec<u8>) -> Vec<u8> {
    if text.is_ascii() {
        return text;
    }
    let Ok(s) = std::str::from_utf8(&text) else {
        return text;
    };
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        // ASCII controls are escaped by the serialiser inside strings; outside them, the
        // newlines of a pretty document are its layout.
        if !c.is_ascii() && cachectl::keys::needs_escape(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out.into_bytes()
}

impl Renderer {
    /// The keys of `get` or `inspect KEY…`, one document for one key or many: `{"keys": […]}`.
    pub fn json_keys<T: Serialize>(&self, items: &[T]) -> io::Result<()> {
        self.json(&serde_json::json!({ "keys": items }))
    }

    /// One document on one line, for a stream of them (`watch`).
    pub fn json_line<T: Serialize + ?Sized>(&self, doc: &T) -> io::Result<()> {
        let text = serde_json::to_vec(doc).map_err(io::Error::other)?;
        let mut text = escape_invisible(with_schema(text, false));
        text.push(b'\n');
        self.print_bytes(&text)
    }

    /// Serialise first, then write: an error writing (a closed pipe) stays an `io::Error` of
    /// its own kind instead of hiding inside a serialisation error.
    pub fn json<T: Serialize + ?Sized>(&self, doc: &T) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(doc).map_err(io::Error::other)?;
        let mut text = escape_invisible(with_schema(text, true));
        text.push(b'\n');
        self.print_bytes(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_terminal_would_obey_is_escaped_and_means_the_same() {
        let key = "a\u{9b}2J\u{202e}txt\u{200b}é";
        let text = escape_invisible(serde_json::to_vec(&serde_json::json!({ "k": key })).unwrap());
        let shown = String::from_utf8(text.clone()).unwrap();
        assert_eq!(shown, r#"{"k":"a\u009b2J\u202etxt\u200bé"}"#);
        let back: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(back["k"], key);
    }

    #[test]
    fn every_object_says_its_schema_first() {
        let doc = serde_json::json!({"a": 1, "b": [1, 2]});
        let pretty = with_schema(serde_json::to_vec_pretty(&doc).unwrap(), true);
        let text = String::from_utf8(pretty).unwrap();
        assert!(
            text.starts_with("{\n  \"schema\": 1,\n  \"a\": 1,"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["schema"], 1);
        assert_eq!(back["b"][1], 2);
        let line = with_schema(serde_json::to_vec(&doc).unwrap(), false);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"schema\":1,\"a\":1,\"b\":[1,2]}"
        );
        let empty = with_schema(b"{}".to_vec(), true);
        let back: serde_json::Value = serde_json::from_slice(&empty).unwrap();
        assert_eq!(back["schema"], 1);
        assert_eq!(with_schema(b"[1]".to_vec(), true), b"[1]");
    }
}
