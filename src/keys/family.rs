//! Key families: a key's shape with its variable parts replaced, so that a report reads like
//! the code that writes the keys: `user_42_posts:page_1` → `user_{n}_posts:page_{n}`. A key's
//! shape is found from the key alone; positions that hold a word (a user name) rather than a
//! number are learned from the variety across keys (`learn`).

use std::collections::{HashMap, HashSet};

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

/// Among names alike everywhere else, a position holding at least this many distinct values
/// is a variable: `alice_post_cache:{n}` … `zoe_post_cache:{n}` are one family, while
/// `recent_posts:global` and `recent_users:global` stay two.
pub const LEARN_VARIETY: usize = 10;

/// What a learned variable position reads as.
pub const LEARNED: &str = "{s}";

/// Separators keys are built with: a name is tokens between them.
fn is_separator(c: char) -> bool {
    matches!(c, '_' | '-' | '.' | '/' | '=' | '@' | '#' | ':')
}

/// A name's tokens, and its separators in order (the name's skeleton).
fn tokens(name: &str) -> (Vec<&str>, String) {
    let mut tokens = Vec::new();
    let mut seps = String::new();
    let mut start = 0;
    for (i, c) in name.char_indices() {
        if is_separator(c) {
            tokens.push(&name[start..i]);
            seps.push(c);
            start = i + c.len_utf8();
        }
    }
    tokens.push(&name[start..]);
    (tokens, seps)
}

/// A word of the key itself, not a placeholder.
fn is_literal(token: &str) -> bool {
    let placeholder = token.starts_with('{') && token.ends_with('}');
    !token.is_empty() && !placeholder
}

/// Families learned from the variety across names (families by shape, such as
/// `alice_post_cache:{n}`), as log-template miners do for log lines: names with the same
/// skeleton that agree everywhere but at a few positions, where at least `LEARN_VARIETY`
/// distinct values occur, are one family with those positions `{s}`; a learned family keeps at
/// least one word of its own. A whole middle `:`-segment that alone tells names apart folds
/// with any number of values (`fold_named_segments`). Returns the names that fold into a
/// learned family, with it. The result depends only on the set of names, so names are stable
/// from run to run.
pub fn learn<'a>(names: impl IntoIterator<Item = &'a str>) -> HashMap<String, String> {
    let all_names: Vec<&str> = names.into_iter().collect();
    let mut by_skeleton: HashMap<(String, usize), Vec<Vec<&str>>> = HashMap::new();
    for &name in &all_names {
        let (t, seps) = tokens(name);
        by_skeleton.entry((seps, t.len())).or_default().push(t);
    }
    let mut renames = HashMap::new();
    for ((seps, n), group) in by_skeleton {
        if group.len() < LEARN_VARIETY {
            continue;
        }
        let varied = |members: &[&Vec<&str>], p: usize| {
            let mut seen = HashSet::new();
            members.iter().any(|t| {
                seen.insert(t[p]);
                seen.len() >= LEARN_VARIETY
            })
        };
        let all: Vec<&Vec<&str>> = group.iter().collect();
        let candidates: Vec<usize> = (0..n).filter(|&p| varied(&all, p)).collect();
        if candidates.is_empty() {
            continue;
        }
        // Names alike outside the candidate positions.
        let mut by_context: HashMap<Vec<&str>, Vec<&Vec<&str>>> = HashMap::new();
        for t in &group {
            let context = (0..n)
                .filter(|p| !candidates.contains(p))
                .map(|p| t[p])
                .collect();
            by_context.entry(context).or_default().push(t);
        }
        for (context, members) in by_context {
            if members.len() < LEARN_VARIETY || !context.iter().any(|t| is_literal(t)) {
                continue;
            }
            let variable: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&p| varied(&members, p))
                .collect();
            if variable.is_empty() {
                continue;
            }
            for t in members {
                let mut name = String::new();
                let mut learned = String::new();
                let mut seps = seps.chars();
                for (p, token) in t.iter().enumerate() {
                    name.push_str(token);
                    learned.push_str(if variable.contains(&p) {
                        LEARNED
                    } else {
                        token
                    });
                    if let Some(c) = seps.next() {
                        name.push(c);
                        learned.push(c);
                    }
                }
                if name != learned {
                    renames.insert(name, learned);
                }
            }
        }
    }
    fold_named_segments(&mut renames, &all_names);
    renames
}

/// The second rule of `learn`: a whole middle `:`-segment that is the only difference between
/// names (`author:alice:posts`, `author:bob:posts`) and is followed by words they share holds
/// a name, however few there are, and the names are one family (`author:{s}:posts`). Not the
/// last segment (`user:settings`, `user:profile` are two families), not the first (the
/// namespace), and not one followed only by placeholders (`w:post:{n}`, `w:session:{n}`: the
/// segment says what the keys are). Names the first rule folded are left as it folded them.
fn fold_named_segments(renames: &mut HashMap<String, String>, names: &[&str]) {
    let mut by_skeleton: HashMap<String, Vec<Vec<&str>>> = HashMap::new();
    for name in names.iter().filter(|n| !renames.contains_key(**n)) {
        let (t, seps) = tokens(name);
        by_skeleton.entry(seps).or_default().push(t);
    }
    for (seps, group) in by_skeleton {
        let seps: Vec<char> = seps.chars().collect();
        let n = seps.len() + 1;
        let middle = (1..n.saturating_sub(1)).filter(|&p| seps[p - 1] == ':' && seps[p] == ':');
        for p in middle {
            let mut by_context: HashMap<Vec<&str>, Vec<&Vec<&str>>> = HashMap::new();
            for t in &group {
                let context = (0..n).filter(|&q| q != p).map(|q| t[q]).collect();
                by_context.entry(context).or_default().push(t);
            }
            for members in by_context.into_values() {
                let distinct: HashSet<&str> = members.iter().map(|t| t[p]).collect();
                // What follows must be words the names share: `author:{alice}:posts`. Where
                // only placeholders follow (`w:post:{n}`, `w:session:{n}`), the segment says
                // what the keys are, and they stay apart.
                let words_after = members
                    .iter()
                    .all(|t| t[p + 1..].iter().any(|w| is_literal(w)));
                if distinct.len() < 2 || members.iter().any(|t| !is_literal(t[p])) || !words_after {
                    continue;
                }
                for t in members {
                    let join = |at: Option<usize>| {
                        let mut out = String::new();
                        for (q, token) in t.iter().enumerate() {
                            out.push_str(if Some(q) == at { LEARNED } else { token });
                            if let Some(c) = seps.get(q) {
                                out.push(*c);
                            }
                        }
                        out
                    };
                    renames.entry(join(None)).or_insert_with(|| join(Some(p)));
                }
            }
        }
    }
}

/// Whether `family` falls under the family template `template` (a policy's `family:`): the
/// same skeleton, and each token the same or, where the template says `{s}`, anything.
pub fn falls_under(family: &str, template: &str) -> bool {
    if family == template {
        return true;
    }
    if !template.contains(LEARNED) {
        return false;
    }
    let (f, fs) = tokens(family);
    let (t, ts) = tokens(template);
    fs == ts && f.len() == t.len() && f.iter().zip(&t).all(|(a, b)| a == b || *b == LEARNED)
}

/// Fold `map`'s entries into the families learned from its names (`learn`), merging the
/// values of names that fold together.
pub fn fold_learned<A>(
    map: HashMap<String, A>,
    merge: impl FnMut(&mut A, A),
) -> HashMap<String, A> {
    fold_learned_by(map, |name| name, |_, learned| learned, merge)
}

/// `fold_learned` for keys that carry a family name among other things (a policy rule and a
/// family): `name` reads it, `renamed` makes the key with the learned family.
pub fn fold_learned_by<K, A>(
    map: HashMap<K, A>,
    name: impl Fn(&K) -> &str,
    renamed: impl Fn(K, String) -> K,
    mut merge: impl FnMut(&mut A, A),
) -> HashMap<K, A>
where
    K: Eq + std::hash::Hash,
{
    let renames = learn(map.keys().map(&name));
    if renames.is_empty() {
        return map;
    }
    let mut out: HashMap<K, A> = HashMap::with_capacity(map.len());
    for (key, value) in map {
        let key = match renames.get(name(&key)) {
            Some(learned) => {
                let learned = learned.clone();
                renamed(key, learned)
            }
            None => key,
        };
        match out.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => merge(e.get_mut(), value),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_middle_segment_that_alone_differs_holds_a_name() {
        let r = learn([
            "author:alice:posts",
            "author:bob:posts",
            "user:settings",
            "user:profile",
        ]);
        assert_eq!(
            r.get("author:alice:posts").map(String::as_str),
            Some("author:{s}:posts")
        );
        assert_eq!(
            r.get("author:bob:posts").map(String::as_str),
            Some("author:{s}:posts")
        );
        // The last segment says what a key is: two families.
        assert!(!r.contains_key("user:settings") && !r.contains_key("user:profile"));
        // One name alone is not folded.
        assert!(learn(["author:alice:posts", "author:alice:likes"]).is_empty());
        // Only placeholders after it: the segment names the kind of key.
        assert!(learn(["w:post:{n}", "w:session:{n}"]).is_empty());
    }

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

    #[test]
    fn families_are_learned_from_variety() {
        let users = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
            "mallory",
        ];
        let mut names: Vec<String> = Vec::new();
        for u in users {
            names.push(format!("{u}_post_cache:{{n}}"));
            names.push(format!("{u}_posts:page_{{n}}:items_per_page:{{n}}:{u}"));
        }
        // Two families that differ in one word, and singletons with nothing in common.
        names.push("recent_posts:global".into());
        names.push("recent_users:global".into());
        for w in users {
            names.push(format!("{w}_{w}"));
        }
        let renames = learn(names.iter().map(String::as_str));
        assert_eq!(renames["alice_post_cache:{n}"], "{s}_post_cache:{n}");
        assert_eq!(
            renames["bob_posts:page_{n}:items_per_page:{n}:bob"],
            "{s}_posts:page_{n}:items_per_page:{n}:{s}"
        );
        assert!(!renames.contains_key("recent_posts:global"));
        assert!(
            !renames.contains_key("alice_alice"),
            "a family keeps a word of its own"
        );
        // Too few to tell a variable from a handful of families.
        let few: Vec<String> = users[..5]
            .iter()
            .map(|u| format!("{u}_post_cache:{{n}}"))
            .collect();
        assert!(learn(few.iter().map(String::as_str)).is_empty());
    }

    #[test]
    fn templates_match_the_families_they_name() {
        assert!(falls_under("alice_post_cache:{n}", "{s}_post_cache:{n}"));
        assert!(falls_under("{s}_post_cache:{n}", "{s}_post_cache:{n}"));
        assert!(!falls_under("alice_posts:{n}", "{s}_post_cache:{n}"));
        assert!(!falls_under("alice_post_cache:{n}", "bob_post_cache:{n}"));
    }
}
