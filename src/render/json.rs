//! `--output json`: exactly one JSON document on stdout, nothing else there.

use std::io::{self, Write};

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

    pub fn json<T: Serialize + ?Sized>(&self, doc: &T) -> io::Result<()> {
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, doc).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}
