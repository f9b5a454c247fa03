//! The bytes of a dump, read through one buffer: every read knows its offset (for errors that
//! say where a file is damaged) and feeds the checksum as it goes, so a value is never held
//! whole just to be skipped.

use std::io::Read;

use crc::{CRC_64_REDIS, Crc, Digest, Table};

const BUFFER: usize = 1 << 20;
// Slicing by 16: the checksum must keep up with a parser that reads a gigabyte in seconds.
static CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

/// Why a read stopped: the data ended, or the source failed.
#[derive(Debug)]
pub enum Cut {
    /// The dump ended `wanted` bytes short.
    Ended,
    Io(std::io::Error),
}

pub struct Input {
    source: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Bytes of `buf` before this index are in the checksum.
    digested: usize,
    /// Offset in the dump of `buf[0]`.
    base: u64,
    digest: Digest<'static, u64, Table<16>>,
}

impl Input {
    pub fn new(source: Box<dyn Read + Send>) -> Self {
        Input {
            source,
            buf: vec![0; BUFFER],
            pos: 0,
            end: 0,
            digested: 0,
            base: 0,
            digest: CRC64.digest(),
        }
    }

    /// Offset of the next byte to be read.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Refill once the buffer is used up; false at the end of the data.
    fn fill(&mut self) -> Result<bool, Cut> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.digest.update(&self.buf[self.digested..self.end]);
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        self.digested = 0;
        loop {
            match self.source.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Cut::Io(e)),
            }
        }
    }

    pub fn byte(&mut self) -> Result<u8, Cut> {
        if self.pos == self.end && !self.fill()? {
            return Err(Cut::Ended);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Exactly `out.len()` bytes.
    pub fn read_exact(&mut self, out: &mut [u8]) -> Result<(), Cut> {
        let mut done = 0;
        while done < out.len() {
            if !self.fill()? {
                return Err(Cut::Ended);
            }
            let n = (out.len() - done).min(self.end - self.pos);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Cut> {
        let mut a = [0; N];
        if self.end - self.pos >= N {
            a.copy_from_slice(&self.buf[self.pos..self.pos + N]);
            self.pos += N;
            return Ok(a);
        }
        self.read_exact(&mut a)?;
        Ok(a)
    }

    /// `n` bytes appended to `out`.
    pub fn read_into(&mut self, n: u64, out: &mut Vec<u8>) -> Result<(), Cut> {
        let mut left = n;
        while left > 0 {
            if !self.fill()? {
                return Err(Cut::Ended);
            }
            let k = (left.min((self.end - self.pos) as u64)) as usize;
            out.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            left -= k as u64;
        }
        Ok(())
    }

    /// Pass over `n` bytes (they still count in the checksum).
    pub fn skip(&mut self, n: u64) -> Result<(), Cut> {
        let mut left = n;
        while left > 0 {
            if !self.fill()? {
                return Err(Cut::Ended);
            }
            let k = left.min((self.end - self.pos) as u64);
            self.pos += k as usize;
            left -= k;
        }
        Ok(())
    }

    /// The checksum of everything read so far.
    pub fn checksum(&mut self) -> u64 {
        self.digest.update(&self.buf[self.digested..self.pos]);
        self.digested = self.pos;
        self.digest.clone().finalize()
    }
}
