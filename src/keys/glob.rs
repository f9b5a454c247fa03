//! Redis glob patterns, matched exactly as the server matches them.
//!
//! Client-side matching (protect/exclude lists, policies, slot pruning) must agree with the
//! server's `SCAN MATCH` byte for byte, or a key the server returned would be judged differently
//! here. So this is a port of `stringmatchlen` from Redis's `util.c`, including its quirks: an
//! unterminated `[` class, reversed ranges (`[z-a]`), and the guard that stops `*` from going
//! exponential on patterns like `*a*a*a*a*b`.

use std::fmt;

/// A compiled Redis glob pattern.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    pattern: Vec<u8>,
}

impl Glob {
    pub fn new(pattern: impl AsRef<[u8]>) -> Self {
        Glob {
            pattern: pattern.as_ref().to_vec(),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.pattern
    }

    pub fn is_match(&self, key: &[u8]) -> bool {
        let mut skip_longer = false;
        match_impl(&self.pattern, key, &mut skip_longer, 0)
    }

    /// True when the pattern has no literal part at all (`*`, `**`, `?*`, `???`…): every key, or
    /// every key above a trivial length, matches it. Safety guards treat these as "everything".
    pub fn matches_everything(&self) -> bool {
        !self.pattern.is_empty() && self.pattern.iter().all(|&b| b == b'*' || b == b'?')
    }

    /// The literal key prefix up to and including a hash tag (`{user42}` in `{user42}:*`), when
    /// every key the pattern can match is certain to carry that tag. A cluster scan can then be
    /// pruned to the one master that owns the tag's slot.
    ///
    /// Mirrors the server's hash-tag rule: the first `{`, then the first `}` after it, non-empty
    /// between. Any glob syntax before that `}` makes the tag uncertain, so no pruning.
    pub fn hash_tag_prefix(&self) -> Option<&[u8]> {
        let p = &self.pattern;
        let open = p.iter().position(|&b| b == b'{')?;
        let close = open + p[open..].iter().position(|&b| b == b'}')?;
        if close == open + 1 {
            return None;
        }
        let prefix = &p[..=close];
        if prefix
            .iter()
            .any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
        {
            return None;
        }
        Some(prefix)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.pattern))
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({self})")
    }
}

impl From<&str> for Glob {
    fn from(s: &str) -> Self {
        Glob::new(s)
    }
}

/// Escape `s` so that, inside a pattern, it matches itself literally. Used when a value a user
/// supplied (`--var user_id='*'`) is substituted into a pattern template: the value must never
/// widen the sweep.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// True when any glob in `globs` matches `key`.
pub fn any_match(globs: &[Glob], key: &[u8]) -> bool {
    globs.iter().any(|g| g.is_match(key))
}

// Port of util.c:stringmatchlen_impl (case-sensitive). `skip_longer` is the server's
// `skipLongerMatches`: once a `*` has tried every suffix and failed, an outer `*` trying a
// shorter suffix cannot succeed either.
fn match_impl(mut p: &[u8], mut s: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
    // The server refuses to recurse deeper than this; a pattern that deep simply does not match.
    if nesting > 1000 {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let negate = p.first() == Some(&b'^');
                if negate {
                    p = &p[1..];
                }
                let c = s[0];
                let mut matched = false;
                loop {
                    if p.len() >= 2 && p[0] == b'\\' {
                        p = &p[1..];
                        if p[0] == c {
                            matched = true;
                        }
                    } else if p.is_empty() {
                        // Unterminated class: the server steps back so the outer advance lands
                        // at the end of the pattern. Here the class simply ends.
                        break;
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut lo, mut hi) = (p[0], p[2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        p = &p[2..];
                        if (lo..=hi).contains(&c) {
                            matched = true;
                        }
                    } else if p[0] == c {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Unterminated class consumed the rest of the pattern.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if p[0] != s[0] {
                    return false;
                }
                s = &s[1..];
            }
            lit => {
                if lit != s[0] {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).is_match(s.as_bytes())
    }

    #[test]
    fn star_and_question() {
        assert!(m("*", "anything"));
        assert!(m("user_*", "user_7_posts:page_1"));
        assert!(!m("user_*", "users"));
        assert!(m("user_?_posts*", "user_7_posts:page_1"));
        assert!(!m("user_?_posts*", "user_42_posts:page_1"));
        assert!(m("*:page_1", "user_7_posts:page_1"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("**", "x"));
        assert!(!m("?", ""));
        assert!(m("", ""));
    }

    #[test]
    fn classes() {
        assert!(m("key[a-c]", "keyb"));
        assert!(!m("key[a-c]", "keyd"));
        assert!(m("key[c-a]", "keyb"), "reversed range is swapped");
        assert!(m("key[^x]", "keyy"));
        assert!(!m("key[^x]", "keyx"));
        assert!(m("key[xyz]", "keyz"));
        assert!(m("key[\\]]", "key]"));
        assert!(m("key[\\-]", "key-"));
    }

    #[test]
    fn escapes() {
        assert!(m("user\\*", "user*"));
        assert!(!m("user\\*", "user1"));
        assert!(m("a\\?b", "a?b"));
        assert!(!m("a\\?b", "axb"));
        assert!(m("trailing\\", "trailing\\"));
    }

    #[test]
    fn escape_round_trips() {
        for raw in ["*", "user_*_", "a?b", "[x]", "back\\slash", "{tag}"] {
            let g = Glob::new(escape(raw));
            assert!(g.is_match(raw.as_bytes()), "{raw}");
        }
        assert!(!Glob::new(format!("user_{}_*", escape("*"))).is_match(b"user_7_posts"));
        assert!(Glob::new(format!("user_{}_*", escape("*"))).is_match(b"user_*_posts"));
    }

    #[test]
    fn pathological_star_is_fast() {
        let key = "a".repeat(60);
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*a*a*b", &key));
    }

    #[test]
    fn matches_everything() {
        for p in ["*", "**", "?*", "*?*"] {
            assert!(Glob::new(p).matches_everything(), "{p}");
        }
        for p in ["user_*", "[a-z]*", "", "\\*"] {
            assert!(!Glob::new(p).matches_everything(), "{p}");
        }
    }

    #[test]
    fn hash_tag_prefix() {
        let tag = |p: &str| Glob::new(p).hash_tag_prefix().map(|b| b.to_vec());
        assert_eq!(tag("{user42}:*"), Some(b"{user42}".to_vec()));
        assert_eq!(tag("cache:{user42}:*"), Some(b"cache:{user42}".to_vec()));
        assert_eq!(tag("{}:*"), None);
        assert_eq!(tag("*{user42}"), None);
        assert_eq!(tag("{user*}:x"), None);
        assert_eq!(tag("user:*"), None);
    }
}
