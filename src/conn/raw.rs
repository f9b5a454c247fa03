//! A connection of our own speaking RESP directly, for values too large for the client
//! library's buffers (it reads a whole reply, and packs a whole command, before anything
//! else happens): a DUMP reply streams from the socket into the backup file, a RESTORE
//! command streams from the record to the socket, so a 100 MB value is held at most once.

use std::sync::Arc;
use std::time::Duration;

use redis::{ConnectionAddr, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};

use super::Dialer;
use super::stream::{self, Stream, within};
use crate::error::{Error, Result};

/// The longest reply `Raw::value` reads whole.
const SMALL_REPLY: usize = 1 << 20;

/// The longest first line of a reply (a status, an error, a length) `Raw::head` reads.
const LINE_LIMIT: u64 = 64 * 1024;

/// Read up to and including the next `\n` from `io`.
async fn read_line(
    mut io: impl tokio::io::AsyncBufRead + Unpin,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    io.read_until(b'\n', line).await
}

pub struct Raw {
    io: BufStream<Box<dyn Stream>>,
    addr: String,
    timeout: Duration,
    /// The target's rules, which a write's permit must have been judged under.
    policy: Arc<crate::guard::Policy>,
    /// The database it SELECTed: a write's permit must have been given for it.
    db: i64,
}

/// The start of a reply that may be a large bulk string: its length, to be read in pieces,
/// or the whole reply when it is anything else (an error, nil, a number).
pub enum Head {
    Bulk(usize),
    Value(Value),
}

impl Dialer {
    /// A raw connection to `host:port` with this dialer's credentials, TLS settings, database
    /// and timeout; `None` when the target is not a TCP address (a Unix socket).
    pub(crate) async fn raw(&self, host: &str, port: u16) -> Result<Option<Raw>> {
        let addr = format!("{host}:{port}");
        let io_err = |e: std::io::Error| Error::Dropped {
            addr: addr.clone(),
            error: e,
        };
        // The same address as the client library's connections to that node (TLS and all).
        let at = match self.info.addr() {
            ConnectionAddr::Tcp(..) | ConnectionAddr::TcpTls { .. } => {
                self.at(host, port).info.addr().clone()
            }
            _ => return Ok(None),
        };
        let ca = self.certs.as_ref().and_then(|c| c.root_cert.as_deref());
        let stream = stream::open(&at, ca, self.timeout)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::TimedOut => self.timed_out("connecting"),
                std::io::ErrorKind::InvalidInput => Error::Usage(format!("{addr}: {e}")),
                _ => io_err(e),
            })?;
        let mut raw = Raw {
            io: BufStream::new(stream),
            addr,
            timeout: self.timeout,
            policy: self.policy.clone(),
            db: self.info.redis_settings().db(),
        };
        let settings = self.info.redis_settings();
        if let Some(password) = settings.password() {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = settings.username() {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            raw.expect_ok(&args).await?;
        }
        if settings.db() != 0 {
            let db = settings.db().to_string();
            raw.expect_ok(&[b"SELECT", db.as_bytes()]).await?;
        }
        Ok(Some(raw))
    }
}

impl Dialer {
    /// A raw connection to the server this dialer reaches (the sentinels' primary of the
    /// moment, behind Sentinel).
    pub(crate) async fn raw_server(&self) -> Result<Option<Raw>> {
        let (host, port) = match &self.sentinel {
            Some(s) => s.primary(self.timeout).await?,
            None => match self.host_port() {
                Some(hp) => hp,
                None => return Ok(None),
            },
        };
        self.raw(&host, port).await
    }
}

impl Raw {
    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn io_err(&self, e: std::io::Error) -> Error {
        Error::Dropped {
            addr: self.addr.clone(),
            error: e,
        }
    }

    /// Queue a command (sent with the next `flush`). Each argument is written as it is: a
    /// large one goes from the caller's buffer to the socket without a copy.
    pub async fn queue(&mut self, args: &[&[u8]]) -> Result<()> {
        let arg = |i: usize| args.get(i).copied().unwrap_or_default();
        crate::guard::only_reads(arg(0), arg(1))?;
        self.send(args).await
    }

    /// `call` for a command that changes the server, under a permit.
    pub async fn write(&mut self, permit: &crate::guard::Permit, args: &[&[u8]]) -> Result<Value> {
        permit.holds_under(&self.policy, "a write")?;
        permit.holds_in(self.db)?;
        self.send(args).await?;
        self.flush().await?;
        self.value().await
    }

    async fn send(&mut self, args: &[&[u8]]) -> Result<()> {
        let io = &mut self.io;
        let sent = within(self.timeout, async {
            io.write_all(format!("*{}\r\n", args.len()).as_bytes())
                .await?;
            for a in args {
                io.write_all(format!("${}\r\n", a.len()).as_bytes()).await?;
                io.write_all(a).await?;
                io.write_all(b"\r\n").await?;
            }
            Ok(())
        })
        .await;
        sent.map_err(|e| self.io_err(e))
    }

    pub async fn flush(&mut self) -> Result<()> {
        let flushed = within(self.timeout, self.io.flush()).await;
        flushed.map_err(|e| self.io_err(e))
    }

    /// One command, and its reply.
    pub async fn call(&mut self, args: &[&[u8]]) -> Result<Value> {
        self.queue(args).await?;
        self.flush().await?;
        self.value().await
    }

    async fn expect_ok(&mut self, args: &[&[u8]]) -> Result<()> {
        match self.call(args).await? {
            Value::Okay | Value::SimpleString(_) => Ok(()),
            Value::ServerError(e) => Err(Error::redis(&self.addr, e.into())),
            other => Err(Error::Protocol {
                addr: self.addr.clone(),
                command: "AUTH/SELECT",
                detail: format!("unexpected reply {other:?}"),
            }),
        }
    }

    /// The next reply, whole: for small replies (a status, a number, a short string). A bulk
    /// string longer than `SMALL_REPLY` is refused, its bytes never allocated: the length is
    /// the peer's claim, not ours to trust.
    pub async fn value(&mut self) -> Result<Value> {
        match self.head().await? {
            Head::Value(v) => Ok(v),
            Head::Bulk(n) if n > SMALL_REPLY => Err(Error::Protocol {
                addr: self.addr.clone(),
                command: "raw reply",
                detail: format!(
                    "a reply of {n} bytes where a short one was expected (at most {SMALL_REPLY})"
                ),
            }),
            Head::Bulk(n) => {
                let mut buf = vec![0u8; n];
                self.read_exact(&mut buf).await?;
                self.end_bulk().await?;
                Ok(Value::BulkString(buf))
            }
        }
    }

    /// The start of the next reply: a bulk string's length, or any other reply whole. Its
    /// first line is read up to `LINE_LIMIT` bytes: a peer that never ends it is refused.
    pub async fn head(&mut self) -> Result<Head> {
        let mut line = Vec::new();
        let limited = (&mut self.io).take(LINE_LIMIT);
        let read = within(self.timeout, read_line(limited, &mut line)).await;
        read.map_err(|e| self.io_err(e))?;
        if line.is_empty() {
            return Err(self.io_err(std::io::ErrorKind::UnexpectedEof.into()));
        }
        if line.last() != Some(&b'\n') {
            return Err(Error::Protocol {
                addr: self.addr.clone(),
                command: "raw reply",
                detail: format!("a reply line longer than {LINE_LIMIT} bytes"),
            });
        }
        if line[0] == b'$' {
            let n: i64 = std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| self.protocol(&line))?;
            return Ok(match usize::try_from(n) {
                Ok(n) => Head::Bulk(n),
                Err(_) => Head::Value(Value::Nil),
            });
        }
        if !matches!(line[0], b'+' | b'-' | b':' | b'_') {
            return Err(self.protocol(&line));
        }
        redis::parse_redis_value(&line)
            .map(Head::Value)
            .map_err(|e| Error::redis(&self.addr, e))
    }

    fn protocol(&self, line: &[u8]) -> Error {
        Error::Protocol {
            addr: self.addr.clone(),
            command: "raw reply",
            detail: format!("unexpected {:?}", String::from_utf8_lossy(line)),
        }
    }

    /// Part of a bulk string whose `Head` was read.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let read = within(self.timeout, self.io.read_exact(buf)).await;
        read.map(|_| ()).map_err(|e| self.io_err(e))
    }

    /// Read past a bulk string whose `Head` was read, and its line end.
    pub async fn skip(&mut self, len: usize) -> Result<()> {
        let mut scratch = vec![0u8; len.min(64 * 1024)];
        let mut left = len;
        while left > 0 {
            let n = left.min(scratch.len());
            self.read_exact(&mut scratch[..n]).await?;
            left -= n;
        }
        self.end_bulk().await
    }

    /// The line end after a bulk string read to its end.
    pub async fn end_bulk(&mut self) -> Result<()> {
        let mut crlf = [0u8; 2];
        self.read_exact(&mut crlf).await?;
        if &crlf != b"\r\n" {
            return Err(self.protocol(&crlf));
        }
        Ok(())
    }
}
