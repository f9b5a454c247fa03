//! A connection of our own speaking RESP directly, for values too large for the client
//! library's buffers (it reads a whole reply, and packs a whole command, before anything
//! else happens): a DUMP reply streams from the socket into the backup file, a RESTORE
//! command streams from the record to the socket, so a 100 MB value is held at most once.

use std::sync::Arc;
use std::time::Duration;

use redis::{ConnectionAddr, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

use super::Dialer;
use crate::error::{Error, Result};

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

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
        let tls = match self.info.addr() {
            ConnectionAddr::Tcp(..) => None,
            ConnectionAddr::TcpTls { insecure, .. } => Some(*insecure),
            _ => return Ok(None),
        };
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| self.timed_out("connecting"))?
            .map_err(io_err)?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match tls {
            None => Box::new(tcp),
            Some(insecure) => {
                let config = tls_config(
                    self.certs.as_ref().and_then(|c| c.root_cert.as_deref()),
                    insecure,
                )
                .map_err(|e| Error::Usage(format!("{addr}: TLS: {e}")))?;
                let name = rustls_pki_types::ServerName::try_from(host.to_string())
                    .map_err(|e| Error::Usage(format!("{addr}: TLS: {e}")))?;
                let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
                let tls = tokio::time::timeout(self.timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| self.timed_out("the TLS handshake"))?
                    .map_err(io_err)?;
                Box::new(tls)
            }
        };
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

/// The TLS settings redis-rs uses for the same URL: the CA file's certificates, or the
/// system's; no verification at all with `--tls-insecure`.
fn tls_config(
    ca_pem: Option<&[u8]>,
    insecure: bool,
) -> std::result::Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject;
    super::install_crypto();
    let builder = rustls::ClientConfig::builder();
    if insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
                roots
                    .add(cert.map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `--tls-insecure`: any certificate, any name.
#[derive(Debug)]
struct AnyCertificate;

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `fut`, or a timeout error once `timeout` has passed.
async fn within<T>(
    timeout: Duration,
    fut: impl std::future::Future<Output = std::io::Result<T>>,
) -> std::io::Result<T> {
    tokio::time::timeout(timeout, fut)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
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
