//! Keys: templates that build them, globs that match them, families that group them.

pub mod family;
pub mod glob;
pub mod template;

/// A key as text for people: UTF-8 as is, other bytes as `\xNN` (as `redis-cli` shows them).
pub fn display(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(key.len() + 8);
            for chunk in key.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            out
        }
    }
}
