//! Keys: templates that build them, globs that match them, families that group them.

pub mod family;
pub mod glob;
pub mod template;

/// FNV-1a: a cheap, well-spread hash of short byte strings that is the same in every build
/// (sampling picks the same keys run after run; checkpoints compare settings by it).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A key as text for people. A key that is plain text shows as it is; any other key (not
/// UTF-8, holding control characters, or starting with a quote) shows in double quotes with
/// escapes, as `redis-cli` does: `"\xff"` is one byte, while the text key `\xff` shows bare,
/// so the two never look alike, and no key can send escape sequences to a terminal.
pub fn display(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if !s.starts_with('"') && !s.chars().any(needs_escape) => s.to_string(),
        _ => format!("\"{}\"", escape(key, true)),
    }
}

/// A value as text for a terminal: control characters other than newline and tab, and bytes
/// that are not UTF-8, as escapes (`\x1b`), so a value cannot clear the screen or move the
/// cursor. Backslashes are left alone: values are shown, not parsed back.
pub fn printable(value: &[u8]) -> String {
    let clean = std::str::from_utf8(value)
        .is_ok_and(|s| !s.chars().any(|c| c != '\n' && c != '\t' && needs_escape(c)));
    if clean {
        return String::from_utf8_lossy(value).into_owned();
    }
    escape(value, false)
}

/// C0 and C1 control characters and DEL, which a terminal may act on; the bidi controls,
/// which reorder what is shown around them (a key that reads as another); and the invisible
/// ones (zero-width space and joiners, the byte-order mark, the line and paragraph
/// separators, which break a line in JavaScript, some terminals and editors): each would make
/// two different keys look alike.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

fn escape(bytes: &[u8], quoted: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' if quoted => out.push_str("\\\\"),
                '"' if quoted => out.push_str("\\\""),
                '\n' if quoted => out.push_str("\\n"),
                '\t' if quoted => out.push_str("\\t"),
                '\n' | '\t' => out.push(c),
                '\r' => out.push_str("\\r"),
                c if needs_escape(c) => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_text_keys_never_look_alike() {
        assert_eq!(display(b"user:7"), "user:7");
        assert_eq!(display(b"\\xff"), "\\xff");
        assert_eq!(display(b"\xff"), "\"\\xff\"");
        assert_eq!(display(b"\"\\xff\""), "\"\\\"\\\\xff\\\"\"");
        assert_ne!(display(b"\xff"), display(b"\"\\xff\""));
        assert_eq!(display(b"a\x1b[2Jb"), "\"a\\x1b[2Jb\"");
    }

    #[test]
    fn values_cannot_drive_the_terminal() {
        assert_eq!(printable(b"{\n  \"a\": 1\n}"), "{\n  \"a\": 1\n}");
        let shown = printable(b"before\x1b[2J\x1b[31mRED");
        assert!(!shown.contains('\x1b'), "{shown}");
        assert_eq!(shown, "before\\x1b[2J\\x1b[31mRED");
        // C1 controls (here CSI, U+009B) are as dangerous as ESC on many terminals.
        assert!(!printable("a\u{9b}2J".as_bytes()).contains('\u{9b}'));
        assert!(!printable("abc\u{202e}txt.exe".as_bytes()).contains('\u{202e}'));
        assert!(!display("user:\u{2067}1".as_bytes()).contains('\u{2067}'));
        for invisible in ['\u{200b}', '\u{2028}', '\u{feff}'] {
            let key = format!("user:{invisible}1");
            assert_ne!(display(key.as_bytes()), "user:1");
            assert!(!display(key.as_bytes()).contains(invisible));
        }
    }
}
