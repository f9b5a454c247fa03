//! The backup file: what `--backup` writes and `restore` reads.
//!
//! ```text
//! "cachectl backup 1\n"             plain bytes: what the file is, and the format's version
//! zstd frame: header                JSON (`Header`)
//! zstd frame: batch …               records, one frame per batch as it was written
//! zstd frame: end                   0xFF, then JSON {"keys": N, "batches": M, "complete": B,
//!                                   "why": "…"}: `complete` false (with why) when the job that
//!                                   wrote the file ended before its end (absent: true)
//! record: 0x01, key length (u32 LE), key, expiry (i64 LE: Unix ms, -1 for none),
//!         payload length (u32 LE), payload (the server's DUMP of the key)
//! ```
//! Each frame carries zstd's checksum and is read whole before any of its records is used, so
//! damage costs the batch it is in and everything after it, never a wrong value. Frames are
//! written and flushed to disk one batch at a time, before that batch is deleted; a reader
//! holds one batch at a time.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const MAGIC: &[u8] = b"cachectl backup 1\n";
const RECORD: u8 = 0x01;
const END: u8 = 0xFF;
/// zstd level: fast enough to keep up with a sweep, and cache values (JSON) shrink well.
const LEVEL: i32 = 3;

/// What a backup holds and where it came from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// The format version (1).
    pub format: u32,
    /// When the backup was started (RFC 3339).
    pub created: String,
    /// The server or cluster the keys were read from (no credentials).
    pub source: String,
    /// The server's version (`INFO server`), when it was allowed.
    pub server_version: Option<String>,
    /// The command that wrote the backup, and why the keys were selected.
    pub command: String,
    pub reason: String,
    pub tool: String,
}

/// One key as it was: its DUMP payload and its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    /// When the key was due to expire (Unix ms), if it had a TTL.
    pub expires_at_ms: Option<i64>,
    /// The server's `DUMP` of the key.
    pub payload: Vec<u8>,
}

impl Record {
    /// The RDB version the payload was serialised with (its last 10 bytes are the version,
    /// little-endian, and a CRC64).
    /// The value is a hash whose fields carry their own expiry (the DUMP's type byte: 24 and
    /// 25 on Redis 7.4+, 22 and 23 on its release candidates and 22 on Valkey 9): one whose
    /// fields have all expired is dropped by the server as soon as it is restored.
    pub fn has_field_expiry(&self) -> bool {
        matches!(self.payload.first(), Some(22..=25))
    }

    pub fn rdb_version(&self) -> Option<u16> {
        let n = self.payload.len();
        let v = self.payload.get(n.checked_sub(10)?..n - 8)?;
        Some(u16::from_le_bytes([v[0], v[1]]))
    }
}

/// A backup an earlier run began, checked and ready to go on: its whole batches end at
/// `good`.
#[derive(Debug)]
pub struct Resume {
    path: PathBuf,
    good: u64,
    keys: u64,
    batches: u64,
}

/// Writes a backup one batch at a time.
pub struct Writer {
    file: BufWriter<File>,
    path: PathBuf,
    keys: u64,
    batches: u64,
}

impl Writer {
    /// Create `path` (refusing to overwrite an existing file) and write its header.
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        // 0600: a backup holds the values themselves.
        let file = crate::side::Side::Backup.create_new(path)?;
        let mut w = Writer {
            file: BufWriter::new(file),
            path: path.to_path_buf(),
            keys: 0,
            batches: 0,
        };
        w.file.write_all(MAGIC).map_err(|e| w.err(e))?;
        let json = serde_json::to_vec(header).map_err(|e| w.err(e.into()))?;
        w.frame(|enc| enc.write_all(&json))?;
        w.sync()?;
        Ok(w)
    }

    /// Go on writing the backup at `path` that an earlier run of the same job (`expect`: same
    /// source, command and reason) began: its batches are checked, the end marker (or a frame
    /// cut short by a crash while it was written, whose keys were therefore not deleted) is
    /// taken off, and new batches follow. Anything else is refused: another job's file, or
    /// damage before the last frame (keys that were deleted may be in what follows).
    /// Checked now, written at [`Writer::resume`] (the first write): a run refused after
    /// this leaves the file as it was.
    pub fn check_resume(path: &Path, expect: &Header) -> Result<Resume> {
        let refuse = |why: String| Error::Backup {
            path: path.display().to_string(),
            detail: format!("cannot continue it: {why}; move it away to start a new backup"),
        };
        let file = File::open(path).map_err(|e| io(path, "cannot open it", e))?;
        let mut reader = Reader::new(
            Counted {
                inner: BufReader::new(file),
                at: 0,
            },
            &path.display().to_string(),
        )?;
        let h = reader.header();
        if (&h.source, &h.command, &h.reason) != (&expect.source, &expect.command, &expect.reason) {
            return Err(refuse(format!(
                "it holds `{}` of {} ({}), not this run's `{}` of {} ({})",
                h.command, h.source, h.reason, expect.command, expect.source, expect.reason
            )));
        }
        let (mut keys, mut batches) = (0u64, 0u64);
        let mut good = reader.input.at;
        loop {
            let before = reader.input.at;
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    keys += batch.len() as u64;
                    batches += 1;
                    good = reader.input.at;
                }
                Ok(None) => break,
                Err(e) => {
                    // Cut off cleanly, or in the middle of its last frame: the tail goes.
                    let mut rest = Vec::new();
                    let mut f = File::open(path).map_err(|e| io(path, "cannot open it", e))?;
                    f.seek(std::io::SeekFrom::Start(before))
                        .and_then(|_| f.read_to_end(&mut rest))
                        .map_err(|e| io(path, "cannot read it", e))?;
                    if !rest.is_empty()
                        && zstd::zstd_safe::find_frame_compressed_size(&rest).is_ok()
                    {
                        return Err(refuse(format!("{e}")));
                    }
                    break;
                }
            }
        }
        Ok(Resume {
            path: path.to_path_buf(),
            good,
            keys,
            batches,
        })
    }

    /// Open a backup `check_resume` accepted, its tail (end marker, or a frame cut short) taken
    /// off, for new batches.
    pub fn resume(r: &Resume) -> Result<Self> {
        let path = &r.path;
        let mut file = File::options()
            .write(true)
            .open(path)
            .map_err(|e| io(path, "cannot open it", e))?;
        file.set_len(r.good)
            .and_then(|_| file.seek(std::io::SeekFrom::End(0)))
            .and_then(|_| file.sync_data())
            .map_err(|e| io(path, "cannot write it", e))?;
        Ok(Writer {
            file: BufWriter::new(file),
            path: path.clone(),
            keys: r.keys,
            batches: r.batches,
        })
    }

    /// Append one batch and flush it to disk: when this returns, the keys are safe to delete.
    /// A batch larger than `FRAME_BYTES` goes in several frames, so that a reader, which holds
    /// a frame until its checksum is checked, never holds more.
    pub fn append(&mut self, records: &[Record]) -> Result<()> {
        let mut rest = records;
        while !rest.is_empty() {
            let mut held = 0;
            let n = rest
                .iter()
                .take_while(|r| {
                    held += r.key.len() + r.payload.len();
                    held <= FRAME_BYTES
                })
                .count()
                .max(1);
            let (frame, after) = rest.split_at(n);
            self.frame(|enc| {
                for r in frame {
                    write_record(enc, r)?;
                }
                Ok(())
            })?;
            self.keys += frame.len() as u64;
            self.batches += 1;
            rest = after;
        }
        self.sync()
    }

    /// Append one record whose `len`-byte payload is read from `payload` as it is written,
    /// in a frame of its own, and flush it to disk: a value larger than memory should hold
    /// goes through in pieces. If the payload falls short, the partial frame is taken back
    /// and the file is as it was.
    pub fn append_streamed(
        &mut self,
        key: &[u8],
        expires_at_ms: Option<i64>,
        len: usize,
        payload: &mut impl Read,
    ) -> Result<()> {
        self.file.flush().map_err(|e| self.err(e))?;
        let start = self
            .file
            .get_mut()
            .stream_position()
            .map_err(|e| self.err(e))?;
        let written = self.frame(|enc| {
            write_record_head(enc, key, expires_at_ms, len)?;
            let copied = std::io::copy(&mut payload.take(len as u64), enc)?;
            if copied != len as u64 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the value was cut short",
                ));
            }
            Ok(())
        });
        if let Err(e) = written {
            let _ = self.file.flush();
            let file = self.file.get_mut();
            let _ = file.set_len(start);
            let _ = file.seek(std::io::SeekFrom::Start(start));
            return Err(e);
        }
        self.keys += 1;
        self.batches += 1;
        self.sync()
    }

    /// Write the end marker: a reader that finds it knows nothing was cut off, and, with
    /// `incomplete`, why the job that wrote the file stopped short of what it set out to hold.
    pub fn finish(mut self, incomplete: Option<&str>) -> Result<u64> {
        let mut end = serde_json::json!({"keys": self.keys, "batches": self.batches});
        if let Some(why) = incomplete {
            end["complete"] = false.into();
            end["why"] = why.into();
        }
        let json = serde_json::to_vec(&end).map_err(|e| self.err(e.into()))?;
        self.frame(|enc| {
            enc.write_all(&[END])?;
            enc.write_all(&json)
        })?;
        self.sync()?;
        Ok(self.keys)
    }

    pub fn keys(&self) -> u64 {
        self.keys
    }

    fn frame(
        &mut self,
        body: impl FnOnce(&mut zstd::stream::Encoder<'_, &mut BufWriter<File>>) -> std::io::Result<()>,
    ) -> Result<()> {
        let write = |file: &mut BufWriter<File>| -> std::io::Result<()> {
            let mut enc = zstd::stream::Encoder::new(file, LEVEL)?;
            enc.include_checksum(true)?;
            body(&mut enc)?;
            enc.finish()?;
            Ok(())
        };
        write(&mut self.file).map_err(|e| self.err(e))
    }

    fn sync(&mut self) -> Result<()> {
        self.file.flush().map_err(|e| self.err(e))?;
        self.file.get_ref().sync_data().map_err(|e| self.err(e))
    }

    fn err(&self, e: std::io::Error) -> Error {
        io(&self.path, "cannot write it", e)
    }
}

fn write_record(w: &mut impl Write, r: &Record) -> std::io::Result<()> {
    write_record_head(w, &r.key, r.expires_at_ms, r.payload.len())?;
    w.write_all(&r.payload)
}

/// A record up to its payload, which follows.
fn write_record_head(
    w: &mut impl Write,
    key: &[u8],
    expires_at_ms: Option<i64>,
    payload_len: usize,
) -> std::io::Result<()> {
    let len =
        |n: usize| u32::try_from(n).map_err(|_| std::io::Error::other("a key or value over 4 GiB"));
    w.write_all(&[RECORD])?;
    w.write_all(&len(key.len())?.to_le_bytes())?;
    w.write_all(key)?;
    w.write_all(&expires_at_ms.unwrap_or(-1).to_le_bytes())?;
    w.write_all(&len(payload_len)?.to_le_bytes())
}

/// A reader that knows how many bytes were taken from it: where each frame ends.
struct Counted<R> {
    inner: R,
    at: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.at += n as u64;
        self.inner.consume(n);
    }
}

/// Reads a backup one batch at a time.
pub struct Reader<R: BufRead = BufReader<File>> {
    input: R,
    origin: String,
    header: Header,
    keys: u64,
    ended: bool,
    /// Why the file holds less than its job set out to (its end marker says so).
    incomplete: Option<String>,
    /// Payloads are checked and skipped, not kept (a count needs keys and expiries only).
    keys_only: bool,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| io(path, "cannot open it", e))?;
        Reader::new(BufReader::new(file), &path.display().to_string())
    }
}

impl<R: BufRead> Reader<R> {
    /// Read `input`'s header; `origin` names it in errors.
    pub fn new(mut input: R, origin: &str) -> Result<Self> {
        let mut magic = vec![0; MAGIC.len()];
        let ok = input.read_exact(&mut magic).is_ok() && magic == MAGIC;
        if !ok {
            let found = String::from_utf8_lossy(&magic);
            return Err(damaged(
                origin,
                if found.starts_with("cachectl backup ") {
                    format!(
                        "a backup format this version cannot read ({})",
                        found.trim()
                    )
                } else {
                    "not a cachectl backup file".to_string()
                },
            ));
        }
        let json = read_frame(&mut input).map_err(|e| damaged(origin, format!("header: {e}")))?;
        let header: Header = match json {
            Some(json) => serde_json::from_slice(&json)
                .map_err(|e| damaged(origin, format!("header: {e}")))?,
            None => return Err(damaged(origin, "no header".into())),
        };
        Ok(Reader {
            input,
            origin: origin.to_string(),
            header,
            keys: 0,
            ended: false,
            incomplete: None,
            keys_only: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Hand out records without their payloads (empty): each is still read, so the frame's
    /// checksum is checked, but a 100 MB value is never held.
    pub fn keys_only(mut self) -> Self {
        self.keys_only = true;
        self
    }

    /// Once the end marker is read: why the job that wrote the file ended short of its end
    /// (`None`: it finished).
    pub fn incomplete(&self) -> Option<&str> {
        self.incomplete.as_deref()
    }

    /// The next batch, checked whole; `None` after the end marker. A file cut off or damaged
    /// is an error naming how many keys came before the damage.
    pub fn next_batch(&mut self) -> Result<Option<Vec<Record>>> {
        if self.ended {
            return Ok(None);
        }
        let at = self.keys;
        let origin = self.origin.clone();
        let bad = |e: String| damaged(&origin, format!("after {at} keys: {e}"));
        if self
            .input
            .fill_buf()
            .map_err(|e| bad(e.to_string()))?
            .is_empty()
        {
            return Err(damaged(
                &origin,
                format!("cut off after {at} keys (no end marker)"),
            ));
        }
        // Records are read straight out of the decoder, each value into a buffer of its own
        // size (a 100 MB value is held once), and handed out only once the frame's checksum
        // has been checked at its end.
        let mut dec = zstd::stream::read::Decoder::with_buffer(&mut self.input)
            .map_err(|e| bad(e.to_string()))?
            .single_frame();
        let mut records = Vec::new();
        let mut held = 0usize;
        loop {
            let mut tag = [0u8; 1];
            match dec.read(&mut tag) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(bad(e.to_string())),
            }
            match tag[0] {
                RECORD => {
                    // A frame holds at most FRAME_BYTES, or one record: what a file claims
                    // past that is refused before it is held.
                    let room = match records.is_empty() {
                        true => MAX_FIELD,
                        false => FRAME_BYTES.saturating_sub(held),
                    };
                    let r = read_record(&mut dec, self.keys_only, room).map_err(&bad)?;
                    held += r.key.len() + r.payload.len();
                    records.push(r);
                }
                END => {
                    let mut json = Vec::new();
                    (&mut dec)
                        .take(MAX_HEADER + 1)
                        .read_to_end(&mut json)
                        .map_err(|e| bad(format!("end marker: {e}")))?;
                    if json.len() as u64 > MAX_HEADER {
                        return Err(bad("end marker: too large".into()));
                    }
                    let end: serde_json::Value = serde_json::from_slice(&json)
                        .map_err(|e| bad(format!("end marker: {e}")))?;
                    if end["keys"].as_u64() != Some(at) {
                        return Err(damaged(
                            &origin,
                            format!(
                                "the end marker counts {} keys, the file holds {at}",
                                end["keys"]
                            ),
                        ));
                    }
                    if end["complete"] == false {
                        let why = end["why"].as_str().unwrap_or("no reason recorded");
                        self.incomplete = Some(why.to_string());
                    }
                    self.ended = true;
                    return Ok(None);
                }
                t => return Err(bad(format!("unknown record type {t:#04x}"))),
            }
        }
        self.keys += records.len() as u64;
        Ok(Some(records))
    }
}

/// One whole zstd frame, or `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    if input.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let mut dec = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
    let mut out = Vec::new();
    // The header is a few hundred bytes of JSON; a frame that inflates past this is damage
    // (or a bomb), not a header.
    (&mut dec).take(MAX_HEADER + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_HEADER {
        return Err(std::io::Error::other("the header frame is too large"));
    }
    Ok(Some(out))
}

/// The largest header frame read.
const MAX_HEADER: u64 = 1 << 20;

/// The largest key or value a record may hold: past what any server sends (512 MB by
/// default), and a bound on what a damaged length can make us allocate.
const MAX_FIELD: usize = 1 << 30;

/// One record after its tag.
/// The most a frame holds (keys and values), unless it holds one record: cachectl writes
/// no larger frame, and a reader holds a frame whole until its checksum is checked.
const FRAME_BYTES: usize = 64 << 20;

/// The longest key a record may have: far past any cache's, far short of memory.
const MAX_KEY_FIELD: usize = 64 << 20;

/// One record, its key and value at most `room` bytes together.
fn read_record(
    r: &mut impl Read,
    keys_only: bool,
    room: usize,
) -> std::result::Result<Record, String> {
    fn field(r: &mut impl Read, keep: bool, max: usize) -> std::result::Result<Vec<u8>, String> {
        let mut len = [0u8; 4];
        r.read_exact(&mut len)
            .map_err(|_| "a record is cut short".to_string())?;
        let n = u32::from_le_bytes(len) as usize;
        if n > max.min(MAX_FIELD) {
            return Err(format!(
                "a record claims {n} bytes, more than a backup's frame holds ({max} left of it)"
            ));
        }
        if !keep {
            let got = std::io::copy(&mut r.take(n as u64), &mut std::io::sink())
                .map_err(|e| e.to_string())?;
            return match got == n as u64 {
                true => Ok(Vec::new()),
                false => Err("a record is cut short".into()),
            };
        }
        // Reserved whole (a value grown by doubling would be held twice while it moves), but
        // fallibly: a damaged length is an error, not an abort, and pages the file never
        // fills are never touched.
        let mut v = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| format!("a record claims {n} bytes, more than can be held"))?;
        r.take(n as u64)
            .read_to_end(&mut v)
            .map_err(|e| e.to_string())?;
        if v.len() != n {
            return Err("a record is cut short".into());
        }
        Ok(v)
    }
    let key = field(r, true, room.min(MAX_KEY_FIELD))?;
    let mut e = [0u8; 8];
    r.read_exact(&mut e)
        .map_err(|_| "a record is cut short".to_string())?;
    let expires = i64::from_le_bytes(e);
    let payload = field(r, !keys_only, room - key.len())?;
    Ok(Record {
        key,
        expires_at_ms: (expires >= 0).then_some(expires),
        payload,
    })
}

fn io(path: &Path, what: &str, error: std::io::Error) -> Error {
    Error::Io {
        context: format!("backup {}: {what}", path.display()),
        error,
    }
}

fn damaged(origin: &str, detail: String) -> Error {
    Error::Backup {
        path: origin.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: 1,
            created: "2026-11-26T00:00:00Z".into(),
            source: "127.0.0.1:6379".into(),
            server_version: Some("7.0.15".into()),
            command: "invalidate-pattern".into(),
            reason: "user_*".into(),
            tool: "cachectl test".into(),
        }
    }

    fn sample() -> Vec<Vec<Record>> {
        let rec = |k: &[u8], e: Option<i64>, p: &[u8]| Record {
            key: k.to_vec(),
            expires_at_ms: e,
            payload: p.to_vec(),
        };
        vec![
            vec![rec(b"a", Some(1), b"x"), rec(b"\xff\n", None, b"")],
            vec![rec(b"", Some(i64::MAX), &[7; 5000])],
        ]
    }

    #[test]
    fn a_streamed_value_cut_short_is_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b");
        let mut w = Writer::create(&path, &header()).unwrap();
        let big = vec![9u8; 300_000];
        w.append_streamed(b"big", Some(5), big.len(), &mut big.as_slice())
            .unwrap();
        // Half the promised bytes, then nothing: an error, and the file as it was.
        let half = &big[..150_000];
        assert!(
            w.append_streamed(b"cut", None, big.len(), &mut &half[..])
                .is_err()
        );
        w.append(&sample()[0]).unwrap();
        assert_eq!(w.finish(None).unwrap(), 3);
        let mut r = Reader::open(&path).unwrap();
        let mut keys = Vec::new();
        while let Some(batch) = r.next_batch().unwrap() {
            for rec in batch {
                if rec.key == b"big" {
                    assert_eq!(rec.payload, big);
                    assert_eq!(rec.expires_at_ms, Some(5));
                }
                keys.push(rec.key);
            }
        }
        assert_eq!(
            keys,
            vec![b"big".to_vec(), b"a".to_vec(), b"\xff\n".to_vec()]
        );
    }

    fn write(path: &Path) -> Vec<u8> {
        let mut w = Writer::create(path, &header()).unwrap();
        for b in sample() {
            w.append(&b).unwrap();
        }
        w.finish(None).unwrap();
        std::fs::read(path).unwrap()
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<Vec<Record>>> {
        let mut r = Reader::new(bytes, "test")?;
        let mut out = Vec::new();
        while let Some(b) = r.next_batch()? {
            out.push(b);
        }
        Ok(out)
    }

    #[test]
    fn a_batch_past_a_frame_is_written_in_frames_a_reader_takes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.cbk");
        let mut w = Writer::create(&path, &header()).unwrap();
        let batch: Vec<Record> = (0..70u32)
            .map(|i| Record {
                key: i.to_le_bytes().to_vec(),
                expires_at_ms: None,
                payload: vec![i as u8; 1 << 20],
            })
            .collect();
        w.append(&batch).unwrap();
        assert_eq!(w.finish(None).unwrap(), 70);
        let frames = read_all(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(frames.iter().map(Vec::len).collect::<Vec<_>>(), [63, 7]);
        assert_eq!(frames.concat(), batch);
    }

    #[test]
    fn round_trip_and_refuse_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.cbk");
        let bytes = write(&path);
        assert_eq!(read_all(&bytes).unwrap(), sample());
        assert_eq!(Reader::new(&bytes[..], "t").unwrap().header(), &header());
        assert!(Writer::create(&path, &header()).is_err());
    }

    #[test]
    fn damage_is_an_error_and_never_a_wrong_record() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = write(&dir.path().join("b.cbk"));
        let good = sample();
        // Every truncation, and a flipped bit at every position: an error, or (for a flip
        // that zstd's framing happens to absorb) exactly the original records; never a
        // panic and never a changed record.
        for cut in 0..bytes.len() {
            assert!(read_all(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            b[i] ^= 1 << (seed % 8);
            match read_all(&b) {
                Ok(records) => assert_eq!(records, good, "flip at {i}"),
                Err(e) => assert!(e.to_string().contains("test"), "{e}"),
            }
        }
        // Random garbage after the magic.
        for n in 0..200u64 {
            let mut b = MAGIC.to_vec();
            let mut x = n.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
            for _ in 0..(n % 64) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.push(x as u8);
            }
            assert!(read_all(&b).is_err());
        }
    }

    #[test]
    fn rdb_version_is_read_from_the_payload() {
        // A DUMP of the string "v" on Redis 7.0: type, length, "v", version 10, CRC64.
        let payload = b"\x00\x01v\x0a\x00\x97\x12\x6c\x3c\xd6\xcd\xb6\x25".to_vec();
        let r = Record {
            key: b"k".to_vec(),
            expires_at_ms: None,
            payload,
        };
        assert_eq!(r.rdb_version(), Some(10));
    }
}
