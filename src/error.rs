//! The library's error type. Each variant carries what the user needs to fix the problem
//! (address, key, field); the binary adds context and maps kinds to exit codes.

use thiserror::Error;

use crate::keys::template::TemplateError;

#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid Redis URL: {0}")]
    BadUrl(String),
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("{addr}: authentication failed: {reason}")]
    Auth { addr: String, reason: String },
    #[error("{addr}: timed out after {secs:.1}s {during}")]
    Timeout {
        addr: String,
        secs: f64,
        during: &'static str,
    },
    // The client's error is part of the message, not a `source`: a chain would print it twice.
    #[error("{addr}: {error}")]
    Redis {
        addr: String,
        error: redis::RedisError,
    },
    #[error("{addr}: unexpected reply to {command}: {detail}")]
    Protocol {
        addr: String,
        command: &'static str,
        detail: String,
    },
    #[error("TLS certificate file {path}: {reason}")]
    TlsCa { path: String, reason: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("invalid TTL `{input}`: {reason}")]
    BadTtl { input: String, reason: String },
    #[error("key `{key}`: {reason}")]
    BadValue { key: String, reason: String },
    #[error("{0}")]
    Usage(String),
    /// A warm plan that cannot run: `file:line:column: field: what is wrong`.
    #[error("{0}")]
    Plan(String),
    /// A warm source failed (SQL, HTTP, a row that cannot become a key).
    #[error("{0}")]
    Source(String),
    /// A safety guard refused the operation; nothing was changed.
    #[error("refused: {0}")]
    Refused(String),
    #[error("interrupted")]
    Interrupted,
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn redis(addr: &str, error: redis::RedisError) -> Self {
        Error::Redis {
            addr: addr.to_string(),
            error,
        }
    }
}
