//! LZF, the compression Redis applies to strings in a dump (`rdbcompression yes`). Only keys
//! and header fields are decompressed: a value's length is in its header, so values are
//! measured and skipped compressed.

/// Decompress `input` into exactly `len` bytes; `None` when the data does not hold them.
pub fn decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // A length the data cannot hold (a back reference yields at most 264 bytes from 3) is
    // damage, refused before anything is allocated for it.
    if len > input.len().saturating_mul(88) {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = ctrl + 1;
            let lit = input.get(ip..ip + run)?;
            if out.len() + run > len {
                return None;
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            // A back reference: length in the top 3 bits (7 = one more byte), distance below.
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(ip)? as usize;
                ip += 1;
            }
            run += 2;
            let low = *input.get(ip)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            if back > out.len() || out.len() + run > len {
                return None;
            }
            // Byte by byte: the reference may overlap what it writes.
            let from = out.len() - back;
            for i in 0..run {
                let b = out[from + i];
                out.push(b);
            }
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_overlapping_references() {
        // "abcabcabcabc": a literal "abc", then a reference 3 back, 9 long.
        let data = [2, b'a', b'b', b'c', (7 << 5), 0, 2];
        assert_eq!(decompress(&data, 12).as_deref(), Some(&b"abcabcabcabc"[..]));
        // Wrong lengths and references before the start are refused, not panics.
        assert_eq!(decompress(&data, 11), None);
        assert_eq!(decompress(&[(1 << 5), 5], 3), None);
        assert_eq!(decompress(&[5, b'a'], 6), None);
    }
}
