//! The one bounded reader for every length a peer claims (#29.3). The client library
//! believes a reply's lengths: a bulk string claiming 5 GB is buffered as it streams in, an
//! array of 4e9 elements is parsed element by element into memory, a line that never ends is
//! read forever, and arrays nested a million deep recurse until the stack overflows. A server,
//! or anything in the middle of a plaintext connection, decides lengths, never our allocations:
//! every byte read passes a small RESP scanner that refuses, at the header that claims it, any
//! reply past the bounds below, and the connection ends with an error that says so.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What one reply may claim. A cache's values and cachectl's own reads (SCAN pages, capped
/// ranges, INFO) are far below these; larger values go through `raw`, which streams them.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Bytes of one whole reply, nested elements included.
    pub bytes: u64,
    /// Elements of one whole reply, nested ones included (each becomes a value in memory,
    /// several times its wire size).
    pub elements: u64,
    /// One status, error or number line.
    pub line: usize,
    /// Aggregates nested in one another.
    pub depth: usize,
}

impl Bounds {
    pub const DEFAULT: Bounds = Bounds {
        bytes: 64 << 20,
        elements: 1 << 20,
        line: 64 << 10,
        depth: 32,
    };
}

pub use crate::error::PAST_BOUND;

#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    /// The next byte starts a value.
    Type,
    /// Inside the first line of a value of this type.
    Line(u8),
    /// Inside a bulk payload: bytes left, its line end included.
    Body(u64),
}

/// Follows RESP framing over the bytes as they arrive, without keeping them.
#[derive(Debug)]
pub struct Scanner {
    bounds: Bounds,
    at: At,
    /// The header line being read (only its number is needed; a status line is counted, not
    /// kept).
    number: Vec<u8>,
    line_len: usize,
    /// Children still to come, per open aggregate.
    open: Vec<u64>,
    reply_bytes: u64,
    reply_elements: u64,
}

impl Scanner {
    pub fn new(bounds: Bounds) -> Self {
        Scanner {
            bounds,
            at: At::Type,
            number: Vec::new(),
            line_len: 0,
            open: Vec::new(),
            reply_bytes: 0,
            reply_elements: 0,
        }
    }

    /// Take `bytes` in; an error names the bound a claim went past.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        while !bytes.is_empty() {
            match self.at {
                At::Body(left) => {
                    let n = left.min(bytes.len() as u64);
                    bytes = &bytes[n as usize..];
                    if n == left {
                        self.at = At::Type;
                        self.done();
                    } else {
                        self.at = At::Body(left - n);
                    }
                }
                At::Type => {
                    self.count_bytes(1)?;
                    self.at = At::Line(bytes[0]);
                    self.number.clear();
                    self.line_len = 0;
                    bytes = &bytes[1..];
                }
                At::Line(kind) => {
                    let end = bytes.iter().position(|&b| b == b'\n');
                    let take = end.map_or(bytes.len(), |i| i + 1);
                    self.line_len += take;
                    self.count_bytes(take as u64)?;
                    if self.line_len > self.bounds.line {
                        return Err(format!(
                            "{PAST_BOUND}: a line longer than {} bytes",
                            self.bounds.line
                        ));
                    }
                    if has_length(kind) {
                        self.number.extend_from_slice(&bytes[..take]);
                    }
                    bytes = &bytes[take..];
                    if end.is_some() {
                        self.header(kind)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn count_bytes(&mut self, n: u64) -> Result<(), String> {
        self.reply_bytes += n;
        if self.reply_bytes > self.bounds.bytes {
            return Err(format!(
                "{PAST_BOUND}: more than {} bytes in one reply",
                self.bounds.bytes
            ));
        }
        Ok(())
    }

    /// A header line has ended: what it claims comes next.
    fn header(&mut self, kind: u8) -> Result<(), String> {
        if !has_length(kind) {
            if !matches!(kind, b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(') {
                return Err(format!(
                    "{PAST_BOUND}: a reply starting with {:?}, which is not RESP",
                    kind as char
                ));
            }
            self.at = At::Type;
            self.done();
            return Ok(());
        }
        let text = std::str::from_utf8(&self.number).unwrap_or("");
        let n: i64 = text
            .trim_end_matches(['\r', '\n'])
            .parse()
            .map_err(|_| format!("{PAST_BOUND}: a length that is not a number: {text:?}"))?;
        if n < 0 || (n == 0 && !matches!(kind, b'$' | b'!' | b'=')) {
            self.at = At::Type;
            self.done();
            return Ok(());
        }
        let n = n as u64;
        if matches!(kind, b'$' | b'!' | b'=') {
            self.count_bytes(n)?;
            self.at = At::Body(n + 2);
            return Ok(());
        }
        let children = match kind {
            b'%' => n.saturating_mul(2),
            // An attribute's pairs, then the value they describe.
            b'|' => n.saturating_mul(2).saturating_add(1),
            _ => n,
        };
        self.reply_elements = self.reply_elements.saturating_add(children);
        if self.reply_elements > self.bounds.elements {
            return Err(format!(
                "{PAST_BOUND}: more than {} elements in one reply",
                self.bounds.elements
            ));
        }
        if self.open.len() >= self.bounds.depth {
            return Err(format!(
                "{PAST_BOUND}: aggregates nested more than {} deep",
                self.bounds.depth
            ));
        }
        self.open.push(children);
        self.at = At::Type;
        Ok(())
    }

    /// A value is complete: it is one child of the aggregate around it, which may complete in
    /// turn; a reply that completes starts the count afresh.
    fn done(&mut self) {
        while let Some(left) = self.open.last_mut() {
            *left -= 1;
            if *left > 0 {
                return;
            }
            self.open.pop();
        }
        self.reply_bytes = 0;
        self.reply_elements = 0;
    }
}

fn has_length(kind: u8) -> bool {
    matches!(kind, b'$' | b'!' | b'=' | b'*' | b'~' | b'>' | b'%' | b'|')
}

/// A stream whose incoming bytes pass a `Scanner`: reads past a bound fail.
pub struct Bounded<S> {
    inner: S,
    scanner: Scanner,
    failed: Option<String>,
}

impl<S> Bounded<S> {
    pub fn new(inner: S, bounds: Bounds) -> Self {
        Bounded {
            inner,
            scanner: Scanner::new(bounds),
            failed: None,
        }
    }
}

fn refusal(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string())
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(why) = &this.failed {
            return Poll::Ready(Err(refusal(why)));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled
            && let Err(why) = this.scanner.feed(&buf.filled()[before..])
        {
            // The bytes are withheld: the parser never sees the claim.
            buf.set_filled(before);
            let err = refusal(&why);
            crate::error::note_refusal(&why);
            this.failed = Some(why);
            return Poll::Ready(Err(err));
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Bounds {
        Bounds {
            bytes: 1000,
            elements: 10,
            line: 20,
            depth: 3,
        }
    }

    /// Fed one byte at a time and whole, the same verdict.
    fn verdict(bytes: &[u8]) -> Result<(), String> {
        let mut whole = Scanner::new(small());
        let a = whole.feed(bytes);
        let mut each = Scanner::new(small());
        let b = bytes.iter().try_for_each(|b| each.feed(&[*b]));
        assert_eq!(a.is_ok(), b.is_ok(), "{bytes:?}");
        a
    }

    #[test]
    fn real_replies_pass_and_reset_the_count() {
        let scan = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$0\r\n\r\n$-1\r\n";
        let mut many = Vec::new();
        for _ in 0..20 {
            many.extend_from_slice(scan);
            many.extend_from_slice(b"+OK\r\n:12\r\n*0\r\n%1\r\n+a\r\n_\r\n");
        }
        assert!(verdict(&many).is_ok());
        let mut s = Scanner::new(small());
        s.feed(&many).unwrap();
        assert_eq!((s.at, s.open.len(), s.reply_bytes), (At::Type, 0, 0));
    }

    #[test]
    fn claims_past_a_bound_are_refused_at_their_header() {
        for (bytes, says) in [
            (&b"$5000000000\r\n"[..], "bytes"),
            (b"*4000000000\r\n", "elements"),
            (b"*2\r\n*6\r\n:1\r\n*6\r\n", "elements"),
            (b"+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "line"),
            (b"*1\r\n*1\r\n*1\r\n*1\r\n", "nested"),
            (b"*x\r\n", "not a number"),
            (b"?\r\n", "not RESP"),
        ] {
            let e = verdict(bytes).unwrap_err();
            assert!(e.contains(says) && e.contains(PAST_BOUND), "{e}");
        }
    }
}
