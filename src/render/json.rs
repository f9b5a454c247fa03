//! `--output json`: exactly one JSON document on stdout, nothing else there.

use std::io;

use serde::Serialize;

use super::Renderer;

impl Renderer {
    /// One document, or for several results the array of them: a single key or pattern gives
    /// an object, several give an array.
    pub fn json_one_or_many<T: Serialize>(&self, items: &[T]) -> io::Result<()> {
        match items {
            [one] => self.json(one),
            many => self.json(&many),
        }
    }

    /// One document on one line, for a stream of them (`watch`).
    pub fn json_line<T: Serialize + ?Sized>(&self, doc: &T) -> io::Result<()> {
        let mut text = serde_json::to_vec(doc).map_err(io::Error::other)?;
        text.push(b'\n');
        self.print_bytes(&text)
    }

    /// Serialise first, then write: an error writing (a closed pipe) stays an `io::Error` of
    /// its own kind instead of hiding inside a serialisation error.
    pub fn json<T: Serialize + ?Sized>(&self, doc: &T) -> io::Result<()> {
        let mut text = serde_json::to_vec_pretty(doc).map_err(io::Error::other)?;
        text.push(b'\n');
        self.print_bytes(&text)
    }
}
