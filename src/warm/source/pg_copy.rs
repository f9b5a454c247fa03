//! PostgreSQL rows read as `COPY (query) TO STDOUT (FORMAT binary)` rather than as query
//! results.
//!
//! For a query without parameters whose columns are all of the common types, COPY's tuples cost
//! cachectl far less than sqlx's per-row machinery (a row object and its offsets, a stream
//! layer per row, a checked decode per value), and cost the server the same (the binary format
//! is what the query path receives too; COPY's text format would make the server print every
//! number and scan every string for escapes). Each tuple becomes the same JSON the query path
//! gives (`sql.rs` documents the mapping). Anything else, or a COPY the server refuses before
//! the first row, goes the query path.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures::Stream;
use futures::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Column, Executor, SqlSafeStr, Statement, TypeInfo};
use tokio::sync::mpsc;

use super::sql::{b64, decode_err, naive, number, query_err};
use crate::error::{Error, Result};
use crate::warm::source::{CHUNK_ROWS, Chunk};

/// How a column's bytes become JSON.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Text,
    Bool,
    /// NUMERIC: its digits as a string (no precision lost).
    Numeric,
    Json,
    Jsonb,
    Uuid,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
}

fn kind(ty: &str) -> Option<Kind> {
    Some(match ty {
        "INT2" => Kind::Int2,
        "INT4" => Kind::Int4,
        "INT8" => Kind::Int8,
        "FLOAT4" => Kind::Float4,
        "FLOAT8" => Kind::Float8,
        "TEXT" | "VARCHAR" | "CHAR" | "NAME" => Kind::Text,
        "BOOL" => Kind::Bool,
        "NUMERIC" => Kind::Numeric,
        "JSON" => Kind::Json,
        "JSONB" => Kind::Jsonb,
        "UUID" => Kind::Uuid,
        "BYTEA" => Kind::Bytea,
        "DATE" => Kind::Date,
        "TIME" => Kind::Time,
        "TIMESTAMP" => Kind::Timestamp,
        "TIMESTAMPTZ" => Kind::TimestampTz,
        _ => return None,
    })
}

struct Col {
    name: String,
    ty: String,
    kind: Kind,
}

/// The binary COPY stream's fixed start: signature, flags, header extension length.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
const HEADER: usize = 19;

/// The longest value a tuple may claim: Redis's own limit on a string.
const MAX_FIELD: usize = 512 << 20;

/// Stream `query`'s rows through COPY into `tx`. `Ok(false)`: not done (a column type this
/// module does not decode, or the server refused before any row), and nothing was sent.
pub async fn stream(pool: &PgPool, query: &str, tx: &mpsc::Sender<Chunk>) -> Result<bool> {
    let Ok(stmt) = pool
        .prepare(AssertSqlSafe(query.to_string()).into_sql_str())
        .await
    else {
        return Ok(false);
    };
    let mut cols = Vec::with_capacity(stmt.columns().len());
    for c in stmt.columns() {
        let ty = c.type_info().name().to_string();
        let Some(kind) = kind(&ty) else {
            return Ok(false);
        };
        cols.push(Col {
            name: c.name().to_string(),
            ty,
            kind,
        });
    }
    // The query on lines of its own: a trailing `-- comment` must not swallow the parenthesis.
    let body = query.trim_end().trim_end_matches(';');
    let copy = format!("COPY (\n{body}\n) TO STDOUT (FORMAT binary)");
    let Ok(mut conn) = pool.acquire().await else {
        return Ok(false);
    };
    let read = match conn.copy_out_raw(&copy).await {
        Ok(messages) => read(messages, &cols, query, tx).await,
        Err(_) => Ok(Read::Refused),
    };
    // A COPY that did not run to its end leaves the connection mid-protocol (sqlx does not
    // even read a refused COPY's ReadyForQuery, which the next query would take for its own
    // answer): such a connection is closed, not pooled again.
    if !matches!(read, Ok(Read::Done)) {
        conn.close_on_drop();
    }
    Ok(!matches!(read?, Read::Refused))
}

/// How a COPY's reading ended.
enum Read {
    Done,
    /// The rows' receiver went away (the warm stopped).
    Stopped,
    /// Refused before a single row: the query path runs it and says why in its own words.
    Refused,
}

async fn read<B: AsRef<[u8]>>(
    mut messages: impl Stream<Item = sqlx::Result<B>> + Unpin,
    cols: &[Col],
    query: &str,
    tx: &mpsc::Sender<Chunk>,
) -> Result<Read> {
    let mut tuples = Tuples {
        cols,
        header: false,
        ended: false,
        carry: Vec::new(),
    };
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let mut first = true;
    loop {
        let data = match messages.try_next().await {
            Ok(Some(data)) => data,
            Ok(None) => break,
            Err(_) if first => return Ok(Read::Refused),
            Err(e) => return Err(query_err("running the query", query, e)),
        };
        first = false;
        tuples.feed(data.as_ref(), &mut chunk)?;
        if chunk.len() >= CHUNK_ROWS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            if tx.send(full).await.is_err() {
                return Ok(Read::Stopped);
            }
        }
    }
    if !tuples.ended {
        return Err(Error::Source(
            "running the query: the COPY stream ended before its trailer".to_string(),
        ));
    }
    if !chunk.is_empty() {
        let _ = tx.send(chunk).await;
    }
    Ok(Read::Done)
}

/// The binary COPY stream, cut into tuples whatever the message boundaries (PostgreSQL sends
/// one message per row, but need not).
struct Tuples<'a> {
    cols: &'a [Col],
    header: bool,
    ended: bool,
    /// Bytes of an unfinished header or tuple.
    carry: Vec<u8>,
}

impl Tuples<'_> {
    fn feed(&mut self, data: &[u8], out: &mut Vec<Value>) -> Result<()> {
        if self.carry.is_empty() {
            let used = self.parse(data, out)?;
            self.carry.extend_from_slice(&data[used..]);
        } else {
            let mut held = std::mem::take(&mut self.carry);
            held.extend_from_slice(data);
            let used = self.parse(&held, out)?;
            held.drain(..used);
            self.carry = held;
        }
        Ok(())
    }

    /// Whole tuples from `buf` into `out`; how many bytes they took.
    fn parse(&mut self, buf: &[u8], out: &mut Vec<Value>) -> Result<usize> {
        let mut at = 0;
        if !self.header {
            if buf.len() < HEADER {
                return Ok(0);
            }
            if &buf[..SIGNATURE.len()] != SIGNATURE {
                return Err(protocol("a COPY stream without its signature"));
            }
            let extension = be_u32(&buf[15..19]) as usize;
            if buf.len() < HEADER + extension {
                return Ok(0);
            }
            at = HEADER + extension;
            self.header = true;
        }
        while !self.ended {
            let Some(fields) = buf.get(at..at + 2).map(be_i16) else {
                break;
            };
            if fields == -1 {
                self.ended = true;
                at += 2;
                break;
            }
            if fields as usize != self.cols.len() {
                return Err(protocol(&format!(
                    "a COPY tuple of {fields} columns, where the query has {}",
                    self.cols.len()
                )));
            }
            match self.tuple(&buf[at + 2..])? {
                Some((row, used)) => {
                    out.push(Value::Object(row));
                    at += 2 + used;
                }
                None => break,
            }
        }
        Ok(at)
    }

    /// One tuple's fields from the start of `buf`, and the bytes they took; `None` while the
    /// tuple is not all there.
    fn tuple(&self, buf: &[u8]) -> Result<Option<(Map<String, Value>, usize)>> {
        let mut row = Map::with_capacity(self.cols.len());
        let mut at = 0;
        for col in self.cols {
            let Some(len) = buf.get(at..at + 4).map(be_i32) else {
                return Ok(None);
            };
            at += 4;
            let v = if len < 0 {
                Value::Null
            } else if len as usize > MAX_FIELD {
                // The server's claim decides no allocation: past what Redis stores in one
                // value, a field could only be held to be refused.
                return Err(decode_err(
                    &col.name,
                    &col.ty,
                    format!("a value of {len} bytes, more than a Redis value holds (512 MiB)"),
                ));
            } else {
                let Some(bytes) = buf.get(at..at + len as usize) else {
                    return Ok(None);
                };
                at += len as usize;
                value(bytes, col)?
            };
            row.insert(col.name.clone(), v);
        }
        Ok(Some((row, at)))
    }
}

fn protocol(what: &str) -> Error {
    Error::Source(format!("running the query: {what}"))
}

fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// A value's bytes exactly `N` long, or an error naming the column.
fn fixed<const N: usize>(bytes: &[u8], col: &Col) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| {
        decode_err(
            &col.name,
            &col.ty,
            format!("{} bytes, expected {N}", bytes.len()),
        )
    })
}

/// Microseconds since 2000-01-01, PostgreSQL's epoch for timestamps.
fn since_2000(micros: i64) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(2000, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(Duration::microseconds(micros))
}

fn value(bytes: &[u8], col: &Col) -> Result<Value> {
    let e = |what: &dyn std::fmt::Display| decode_err(&col.name, &col.ty, what);
    let range = || e(&"out of the range cachectl reads");
    let text = |b: &[u8]| std::str::from_utf8(b).map(str::to_owned).map_err(|x| e(&x));
    Ok(match col.kind {
        Kind::Int2 => Value::from(i16::from_be_bytes(fixed(bytes, col)?)),
        Kind::Int4 => Value::from(i32::from_be_bytes(fixed(bytes, col)?)),
        Kind::Int8 => Value::from(i64::from_be_bytes(fixed(bytes, col)?)),
        Kind::Float4 => number(f32::from_be_bytes(fixed(bytes, col)?) as f64),
        Kind::Float8 => number(f64::from_be_bytes(fixed(bytes, col)?)),
        Kind::Text => Value::String(text(bytes)?),
        Kind::Bool => Value::Bool(fixed::<1>(bytes, col)?[0] != 0),
        Kind::Numeric => Value::String(numeric(bytes).ok_or_else(|| e(&"a malformed NUMERIC"))?),
        Kind::Json => serde_json::from_slice(bytes).map_err(|x| e(&x))?,
        // JSONB's binary form: a version byte (1), then the JSON text.
        Kind::Jsonb => match bytes.split_first() {
            Some((1, json)) => serde_json::from_slice(json).map_err(|x| e(&x))?,
            _ => return Err(e(&"an unknown JSONB version")),
        },
        Kind::Uuid => Value::String(uuid::Uuid::from_bytes(fixed(bytes, col)?).to_string()),
        Kind::Bytea => b64(bytes),
        Kind::Date => {
            let days = i32::from_be_bytes(fixed(bytes, col)?);
            let day = NaiveDate::from_ymd_opt(2000, 1, 1)
                .and_then(|d| d.checked_add_signed(Duration::days(days.into())))
                .ok_or_else(range)?;
            Value::String(day.to_string())
        }
        Kind::Time => {
            let micros = i64::from_be_bytes(fixed(bytes, col)?);
            let t = NaiveTime::from_num_seconds_from_midnight_opt(
                u32::try_from(micros.div_euclid(1_000_000)).map_err(|_| range())?,
                (micros.rem_euclid(1_000_000) * 1000) as u32,
            )
            .ok_or_else(range)?;
            Value::String(t.to_string())
        }
        Kind::Timestamp => {
            let t = since_2000(i64::from_be_bytes(fixed(bytes, col)?)).ok_or_else(range)?;
            Value::String(naive(t))
        }
        Kind::TimestampTz => {
            let t = since_2000(i64::from_be_bytes(fixed(bytes, col)?)).ok_or_else(range)?;
            Value::String(DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).to_rfc3339())
        }
    })
}

/// A NUMERIC's binary form as PostgreSQL prints it: base-10000 digits with a weight (the
/// power of the first), a sign and the display scale (digits after the point).
fn numeric(b: &[u8]) -> Option<String> {
    let word = |i: usize| {
        b.get(i * 2..i * 2 + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i16 as i32;
    let sign = word(2)?;
    let dscale = word(3)? as usize;
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => return None,
    }
    if digits.iter().any(|d| *d > 9999) {
        return None;
    }
    let digit = |i: i32| {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                out.push_str(&digit(0).to_string());
            } else {
                out.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        out.push('.');
        let mut frac = String::with_capacity(dscale + 4);
        let mut i = weight + 1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(dscale);
        out.push_str(&frac);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_of(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [ndigits, weight as u16, sign, dscale].iter().chain(digits) {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_print_as_postgresql_does() {
        assert_eq!(
            numeric(&numeric_of(2, 0, 0, 2, &[19, 9000])).unwrap(),
            "19.90"
        );
        assert_eq!(numeric(&numeric_of(0, 0, 0, 2, &[])).unwrap(), "0.00");
        assert_eq!(
            numeric(&numeric_of(1, -1, 0x4000, 3, &[5])).unwrap(),
            "-0.000"
        );
        assert_eq!(
            numeric(&numeric_of(1, -1, 0x4000, 4, &[5])).unwrap(),
            "-0.0005"
        );
        assert_eq!(
            numeric(&numeric_of(2, 1, 0, 0, &[12, 3456])).unwrap(),
            "123456"
        );
        assert_eq!(numeric(&numeric_of(1, 2, 0, 0, &[7])).unwrap(), "700000000");
        assert_eq!(numeric(&numeric_of(0, 0, 0xC000, 0, &[])).unwrap(), "NaN");
        assert_eq!(numeric(&[0, 1]), None);
    }

    fn col(name: &str, kind: Kind) -> Col {
        Col {
            name: name.into(),
            ty: format!("{kind:?}"),
            kind,
        }
    }

    #[test]
    fn a_field_claiming_more_than_redis_holds_is_refused_at_its_length() {
        let cols = [col("t", Kind::Text)];
        let mut stream = Vec::new();
        stream.extend_from_slice(SIGNATURE);
        stream.extend_from_slice(&[0; 8]);
        stream.extend_from_slice(&1i16.to_be_bytes());
        stream.extend_from_slice(&i32::MAX.to_be_bytes());
        let mut t = Tuples {
            cols: &cols,
            header: false,
            ended: false,
            carry: Vec::new(),
        };
        let err = t.feed(&stream, &mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("more than a Redis value holds"), "{err}");
    }

    #[test]
    fn tuples_across_messages() {
        let cols = [col("n", Kind::Int4), col("t", Kind::Text)];
        let mut stream = Vec::new();
        stream.extend_from_slice(SIGNATURE);
        stream.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        for (n, t) in [(1i32, Some("a")), (2, None)] {
            stream.extend_from_slice(&2i16.to_be_bytes());
            stream.extend_from_slice(&4i32.to_be_bytes());
            stream.extend_from_slice(&n.to_be_bytes());
            match t {
                Some(t) => {
                    stream.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    stream.extend_from_slice(t.as_bytes());
                }
                None => stream.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        stream.extend_from_slice(&(-1i16).to_be_bytes());
        for cut in [1, 3, 7, 20, 25, stream.len()] {
            let mut t = Tuples {
                cols: &cols,
                header: false,
                ended: false,
                carry: Vec::new(),
            };
            let mut out = Vec::new();
            for piece in stream.chunks(cut) {
                t.feed(piece, &mut out).unwrap();
            }
            assert!(t.ended && t.carry.is_empty(), "cut {cut}");
            assert_eq!(
                Value::Array(out),
                serde_json::json!([{"n": 1, "t": "a"}, {"n": 2, "t": null}]),
                "cut {cut}"
            );
        }
    }
}
