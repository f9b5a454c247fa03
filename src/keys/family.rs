//! Key families: a key's shape with its variable parts replaced, so that a report reads like
//! the code that writes the keys: `user_42_posts:page_1` → `user_{n}_posts:page_{n}`.

/// How keys are grouped in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Grouping {
    /// Everything before the first `:` (`post_cache`, `user_7_posts`, `ratelimit`).
    Prefix,
    /// The inferred family (`user_{n}_posts:page_{n}`).
    #[default]
    Family,
}

/// The first `:`-separated segment of a key: the namespace an operator recognises at a glance.
pub fn first_segment(key: &[u8]) -> String {
    let end = key.iter().position(|&b| b == b':').unwrap_or(key.len());
    super::display(&key[..end])
}

/// Infers the family of `key`. With `depth`, only the first `depth` `:`-segments are kept and
/// the rest is folded into `*`.
pub fn family(key: &[u8], depth: Option<usize>) -> String {
    let key = String::from_utf8_lossy(key);
    let mut out = String::with_capacity(key.len());
    for (i, segment) in key.split(':').enumerate() {
        if let Some(d) = depth
            && i >= d
        {
            out.push_str(":*");
            break;
        }
        if i > 0 {
            out.push(':');
        }
        if i > 0 && is_short_code(segment) {
            out.push_str("{s}");
        } else {
            shape_segment(segment, &mut out);
        }
    }
    // A family name reaches terminals and reports: escape what a key could smuggle in.
    super::display(out.as_bytes())
}

fn shape_segment(segment: &str, out: &mut String) {
    if let Some(p) = placeholder(segment) {
        out.push_str(p);
        return;
    }
    // Split on the separators keys are built with; keep the separators.
    let mut start = 0;
    for (i, c) in segment.char_indices() {
        if matches!(c, '_' | '-' | '.' | '/' | '=' | '@' | '#') {
            push_token(&segment[start..i], out);
            out.push(c);
            start = i + c.len_utf8();
        }
    }
    push_token(&segment[start..], out);
}

fn push_token(token: &str, out: &mut String) {
    out.push_str(placeholder(token).unwrap_or(token));
}

fn placeholder(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        return None;
    }
    if token.bytes().all(|b| b.is_ascii_digit()) {
        return Some("{n}");
    }
    if is_uuid(token) {
        return Some("{uuid}");
    }
    // Long hex runs with at least one digit are ids (object ids, hashes), not words like "cafe".
    if token.len() >= 8
        && token.bytes().all(|b| b.is_ascii_hexdigit())
        && token.bytes().any(|b| b.is_ascii_digit())
    {
        return Some("{hex}");
    }
    None
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

// A whole segment after a `:` that reads as a code, not a word: `FR`, `EN-GB`, `X9`.
fn is_short_code(s: &str) -> bool {
    (1..=8).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && !s.bytes().any(|b| b.is_ascii_lowercase())
}

/// The group a key falls in under `grouping`.
pub fn group_of(key: &[u8], grouping: Grouping, depth: Option<usize>) -> String {
    match grouping {
        Grouping::Prefix => first_segment(key),
        Grouping::Family => family(key, depth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_read_like_templates() {
        let f = |k: &str| family(k.as_bytes(), None);
        assert_eq!(f("user_42_posts:page_1"), "user_{n}_posts:page_{n}");
        assert_eq!(f("post_cache:42"), "post_cache:{n}");
        assert_eq!(f("country:FR"), "country:{s}");
        assert_eq!(f("recent_posts:global"), "recent_posts:global");
        assert_eq!(f("user_profile:7"), "user_profile:{n}");
        assert_eq!(
            f("session:3f2b8c1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
            "session:{uuid}"
        );
        assert_eq!(f("obj:5f1d7a9e2b3c"), "obj:{hex}");
        assert_eq!(
            f("ratelimit:user:7:/api/v1/posts"),
            "ratelimit:user:{n}:/api/v1/posts"
        );
        assert_eq!(f("all_categories"), "all_categories");
    }

    #[test]
    fn depth_folds_the_tail() {
        assert_eq!(
            family(b"ratelimit:user:7:/api", Some(2)),
            "ratelimit:user:*"
        );
    }

    #[test]
    fn first_segments() {
        assert_eq!(first_segment(b"user_7_posts:page_1"), "user_7_posts");
        assert_eq!(first_segment(b"all_categories"), "all_categories");
    }
}
