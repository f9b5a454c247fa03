//! The compact encodings a dump stores as they sit in memory (ziplist, listpack, intset,
//! zipmap), checked as a server checks them when it loads the dump, and counted.
//!
//! A server converts the old encodings (ziplist, zipmap) as it loads them, so it walks them
//! whole first: every entry within bounds, each entry's back-length true, the tail where the
//! header says, no field twice. The current ones (listpack, intset) it loads as they are, with
//! a check of their header only (unless `sanitize-dump-payload yes`); so do we. Either way the
//! element count is known, which tells an empty collection (skipped by a server) apart.

use std::collections::HashSet;

/// Why a server would refuse the value.
pub type Broken = &'static str;

/// A ziplist walked whole. `pairs`: a hash's or sorted set's (an even count; for a hash no
/// field twice, as the server checks while converting it). Returns the entry count.
pub fn ziplist(b: &[u8], pairs: bool, unique_fields: bool) -> Result<u64, Broken> {
    const HEADER: usize = 10;
    let bad = "ziplist integrity check failed";
    if b.len() < HEADER + 1 {
        return Err(bad);
    }
    let total = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let tail = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    let count = u16::from_le_bytes([b[8], b[9]]);
    if total != b.len() || tail >= b.len() || b[b.len() - 1] != 0xFF {
        return Err(bad);
    }
    let mut at = HEADER;
    let mut prev_len = 0usize;
    let mut last_start = HEADER;
    let mut n = 0u64;
    let mut seen = HashSet::new();
    while b.get(at).is_some_and(|&x| x != 0xFF) {
        let start = at;
        // The previous entry's length, as this one records it.
        let (recorded, p) = match b[at] {
            0xFE => {
                let v = b.get(at + 1..at + 5).ok_or(bad)?;
                (u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize, 5)
            }
            0xFF => return Err(bad),
            x => (x as usize, 1),
        };
        if recorded != prev_len {
            return Err(bad);
        }
        at += p;
        let enc = *b.get(at).ok_or(bad)?;
        let (head, body) = match enc >> 6 {
            0 => (1, (enc & 0x3f) as usize),
            1 => (
                2,
                (((enc & 0x3f) as usize) << 8) | *b.get(at + 1).ok_or(bad)? as usize,
            ),
            2 => {
                let v = b.get(at + 1..at + 5).ok_or(bad)?;
                (5, u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as usize)
            }
            _ => match enc {
                0xC0 => (1, 2),
                0xD0 => (1, 4),
                0xE0 => (1, 8),
                0xF0 => (1, 3),
                0xFE => (1, 1),
                0xF1..=0xFD => (1, 0),
                _ => return Err(bad),
            },
        };
        let end = at
            .checked_add(head)
            .and_then(|x| x.checked_add(body))
            .ok_or(bad)?;
        // An entry must end before the list's end marker.
        if end >= b.len() {
            return Err(bad);
        }
        if unique_fields && n.is_multiple_of(2) && !seen.insert(&b[at..end]) {
            return Err("ziplist holds a field twice");
        }
        at = end;
        prev_len = end - start;
        last_start = start;
        n += 1;
    }
    if at != b.len() - 1 || (n > 0 && tail != last_start) || (n == 0 && tail != HEADER) {
        return Err(bad);
    }
    if count != u16::MAX && u64::from(count) != n {
        return Err(bad);
    }
    if pairs && !n.is_multiple_of(2) {
        return Err(bad);
    }
    Ok(n)
}

/// A listpack's header checked as a server does when it loads one: its size, its end
/// marker. Returns its element count (walked when the header's count saturates).
pub fn listpack(b: &[u8]) -> Result<u64, Broken> {
    let bad = "listpack integrity check failed";
    if b.len() < 7 {
        return Err(bad);
    }
    let total = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if total != b.len() || b[b.len() - 1] != 0xFF {
        return Err(bad);
    }
    let count = u16::from_le_bytes([b[4], b[5]]);
    if count != u16::MAX {
        return Ok(u64::from(count));
    }
    listpack_walk(b).ok_or(bad)
}

/// Count a listpack's entries by walking them (each entry: encoding, body, back-length).
fn listpack_walk(b: &[u8]) -> Option<u64> {
    let mut n = 0u64;
    listpack_each(b, |_| n += 1)?;
    Some(n)
}

/// One listpack entry's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpValue<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// Each entry of a listpack, in order; `None` when an entry runs past the end or its
/// encoding is unknown.
pub fn listpack_each<'a>(b: &'a [u8], mut each: impl FnMut(LpValue<'a>)) -> Option<()> {
    let mut at = 6;
    loop {
        let enc = *b.get(at)?;
        if enc == 0xFF {
            return (at == b.len() - 1).then_some(());
        }
        let byte = |i: usize| b.get(at + i).copied();
        let le = |from: usize, n: usize| -> Option<i64> {
            let v = b.get(at + from..at + from + n)?;
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(v);
            // Sign-extend from n bytes.
            let shift = 64 - 8 * n as u32;
            Some(((i64::from_le_bytes(buf)) << shift) >> shift)
        };
        let (head, body, value) = if enc & 0x80 == 0 {
            (1, 0, Some(i64::from(enc & 0x7f)))
        } else if enc & 0xC0 == 0x80 {
            (1, (enc & 0x3f) as usize, None)
        } else if enc & 0xE0 == 0xC0 {
            // 13 bits, two's complement.
            let v = (i64::from(enc & 0x1f) << 8) | i64::from(byte(1)?);
            (2, 0, Some(if v >= 1 << 12 { v - (1 << 13) } else { v }))
        } else if enc & 0xF0 == 0xE0 {
            (2, (((enc & 0x0f) as usize) << 8) | byte(1)? as usize, None)
        } else {
            match enc {
                0xF0 => {
                    let v = b.get(at + 1..at + 5)?;
                    (
                        5,
                        u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize,
                        None,
                    )
                }
                0xF1 => (3, 0, Some(le(1, 2)?)),
                0xF2 => (4, 0, Some(le(1, 3)?)),
                0xF3 => (5, 0, Some(le(1, 4)?)),
                0xF4 => (9, 0, Some(le(1, 8)?)),
                _ => return None,
            }
        };
        let entry = head + body;
        each(match value {
            Some(v) => LpValue::Int(v),
            None => LpValue::Str(b.get(at + head..at.checked_add(entry)?)?),
        });
        let back = match entry {
            0..=127 => 1,
            128..=16_382 => 2,
            16_383..=2_097_150 => 3,
            2_097_151..=268_435_454 => 4,
            _ => 5,
        };
        at = at.checked_add(entry)?.checked_add(back)?;
    }
}

/// An intset checked as a server checks it on load: a known width, and a size that is its
/// count of that width. Returns the count.
pub fn intset(b: &[u8]) -> Result<u64, Broken> {
    let bad = "intset integrity check failed";
    if b.len() < 8 {
        return Err(bad);
    }
    let width = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
    let count = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as u64;
    // An empty intset is refused too (a server never writes one).
    if !matches!(width, 2 | 4 | 8) || 8 + width * count != b.len() as u64 || count == 0 {
        return Err(bad);
    }
    Ok(count)
}

/// A zipmap (a hash from before Redis 2.6) walked whole, as a server does before converting
/// it: every entry within bounds, the end marker last, no field twice. Returns the entries
/// (fields and values).
pub fn zipmap(b: &[u8]) -> Result<u64, Broken> {
    let bad = "zipmap integrity check failed";
    let announced = *b.first().ok_or(bad)?;
    let mut at = 1;
    let mut pairs = 0u64;
    let mut seen = HashSet::new();
    let len_at = |at: &mut usize| -> Result<usize, Broken> {
        match *b.get(*at).ok_or(bad)? {
            0xFF => Err(bad),
            0xFE => {
                let v = b.get(*at + 1..*at + 5).ok_or(bad)?;
                *at += 5;
                Ok(u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize)
            }
            n => {
                *at += 1;
                Ok(n as usize)
            }
        }
    };
    while *b.get(at).ok_or(bad)? != 0xFF {
        let klen = len_at(&mut at)?;
        let key = b.get(at..at.checked_add(klen).ok_or(bad)?).ok_or(bad)?;
        at += klen;
        if !seen.insert(key) {
            return Err("zipmap holds a field twice");
        }
        let vlen = len_at(&mut at)?;
        let free = *b.get(at).ok_or(bad)? as usize;
        at = at
            .checked_add(1 + vlen + free)
            .filter(|&x| x < b.len())
            .ok_or(bad)?;
        pairs += 1;
    }
    // 254 says "count them" (ZIPMAP_BIGLEN); 255 is never written, so it is damage.
    if at != b.len() - 1 || announced == 255 || (announced < 254 && u64::from(announced) != pairs) {
        return Err(bad);
    }
    Ok(pairs * 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_values_are_decoded() {
        let mut b = vec![0, 0, 0, 0, 4, 0];
        b.extend([0x82, b'a', b'b', 3]);
        b.extend([0x05, 1]);
        b.push(0xF4);
        b.extend(1_796_546_348_715i64.to_le_bytes());
        b.push(9);
        b.extend([0xDF, 0xFF, 2]); // 13-bit -1
        b.push(0xFF);
        let total = b.len() as u32;
        b[..4].copy_from_slice(&total.to_le_bytes());
        let mut seen = Vec::new();
        listpack_each(&b, |v| seen.push(format!("{v:?}"))).unwrap();
        assert_eq!(
            seen,
            ["Str([97, 98])", "Int(5)", "Int(1796546348715)", "Int(-1)"]
        );
        assert_eq!(listpack(&b), Ok(4));
        assert!(listpack_each(&b[..b.len() - 3], |_| {}).is_none());
    }

    #[test]
    fn a_zipmap_count_of_255_is_damage() {
        let one = |count: u8| [count, 1, b'f', 1, 0, b'v', 0xFF];
        assert_eq!(zipmap(&one(1)), Ok(2));
        assert_eq!(zipmap(&one(254)), Ok(2));
        assert!(zipmap(&one(255)).is_err());
        assert!(zipmap(&one(2)).is_err());
    }

    /// A ziplist of the given string entries, as a server writes it.
    fn zl(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 10;
        for e in entries {
            tail = 10 + body.len();
            let start = body.len();
            body.push(prev as u8);
            body.push(e.len() as u8);
            body.extend_from_slice(e);
            prev = body.len() - start;
        }
        let total = 10 + body.len() + 1;
        let mut b = Vec::new();
        b.extend((total as u32).to_le_bytes());
        b.extend((tail as u32).to_le_bytes());
        b.extend((entries.len() as u16).to_le_bytes());
        b.extend(body);
        b.push(0xFF);
        b
    }

    #[test]
    fn ziplists_are_walked_whole() {
        let good = zl(&[b"a", b"1", b"b", b"2"]);
        assert_eq!(ziplist(&good, true, true), Ok(4));
        assert_eq!(ziplist(&zl(&[]), false, false), Ok(0));
        // A field twice, an odd pair count, a wrong back-length, a wrong tail, a short total.
        assert!(ziplist(&zl(&[b"a", b"1", b"a", b"2"]), true, true).is_err());
        assert!(ziplist(&zl(&[b"a", b"1", b"b"]), true, false).is_err());
        let mut b = good.clone();
        b[10 + 3] = 9;
        assert!(ziplist(&b, true, true).is_err());
        let mut b = good.clone();
        b[4] = 10;
        assert!(ziplist(&b, true, true).is_err());
        let mut b = good.clone();
        b[11] = 60;
        assert!(ziplist(&b, true, true).is_err());
        assert!(ziplist(&good[..good.len() - 1], true, true).is_err());
    }

    #[test]
    fn listpacks_intsets_and_zipmaps() {
        // An empty listpack, and one of two small integers.
        assert_eq!(listpack(&[7, 0, 0, 0, 0, 0, 0xFF]), Ok(0));
        let lp = [11, 0, 0, 0, 2, 0, 0x01, 0x01, 0x02, 0x01, 0xFF];
        assert_eq!(listpack(&lp), Ok(2));
        let mut walked = lp;
        walked[4] = 0xFF;
        walked[5] = 0xFF;
        assert_eq!(listpack(&walked), Ok(2));
        assert!(listpack(&lp[..10]).is_err());
        assert_eq!(intset(&[2, 0, 0, 0, 1, 0, 0, 0, 5, 0]), Ok(1));
        assert!(intset(&[3, 0, 0, 0, 1, 0, 0, 0, 5, 0]).is_err());
        assert!(intset(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0]).is_err());
        assert!(intset(&[2, 0, 0, 0, 0, 0, 0, 0]).is_err());
        let zm = [1, 1, b'a', 1, 0, b'x', 0xFF];
        assert_eq!(zipmap(&zm), Ok(2));
        assert!(zipmap(&[1, 9, b'a', 1, 0, b'x', 0xFF]).is_err());
        assert!(zipmap(&[2, 1, b'a', 1, 0, b'x', 1, b'a', 1, 0, b'y', 0xFF]).is_err());
    }

    #[test]
    fn any_bytes_are_an_answer_not_a_panic() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..2000usize {
            let b: Vec<u8> = (0..n % 64)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s as u8
                })
                .collect();
            let _ = (
                ziplist(&b, true, true),
                listpack(&b),
                intset(&b),
                zipmap(&b),
            );
        }
    }
}
