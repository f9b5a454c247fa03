//! The library's error type. Each variant carries what the user needs to fix the problem
//! (address, key, field); the binary adds context and maps kinds to exit codes.

use thiserror::Error;

use crate::keys::template::TemplateError;

#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid Redis URL: {0}")]
    BadUrl(String),
    /// The server is not in a state the command can work in (and the message says what to
    /// run): an operational error, not a usage one.
    #[error("{0}")]
    Precondition(String),
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    /// A connection of our own (not the client library's) broke: retried like a dropped one.
    #[error("{addr}: connection lost: {error}")]
    Dropped {
        addr: String,
        #[source]
        error: std::io::Error,
    },
    #[error(
        "{addr}: authentication failed: {reason} (check --user, and the password in the environment variable --password-env names, or the URL's user:password@)"
    )]
    Auth { addr: String, reason: String },
    /// Something other than the Redis the URL promised answers at the address.
    #[error("{addr} is not the Redis server the URL says: {found}")]
    NotRedis { addr: String, found: String },
    #[error("{addr}: timed out after {secs:.1}s {during}")]
    Timeout {
        addr: String,
        secs: f64,
        during: &'static str,
    },
    // The client's error is part of the message, not a `source`: a chain would print it twice.
    #[error("{addr}: {}", describe(error))]
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
    /// A stop gave up a request already sent, whose answer had not come a second after it (the
    /// server stalled): what it asked may yet be done.
    #[error(
        "interrupted: {0} was sent, and no answer had come a second after the signal (the \
         server stalled): whether it was applied is unknown"
    )]
    Unconfirmed(String),

    /// A command that changes the server was about to be sent without a permit from
    /// `guard::authorise`: a fault of the program, never sent.
    #[error(
        "internal error: `{0}` changes the server and was about to be sent without a permit; \
         nothing was sent"
    )]
    Unpermitted(String),
    /// A backup file that cannot be read as one: not a backup, cut off, or damaged.
    #[error("backup {path}: {detail}")]
    Backup { path: String, detail: String },
    /// A dump (RDB file) that cannot be read on: cut off, damaged, or not a dump.
    #[error("{file}: at byte {offset}: {detail}")]
    Rdb {
        file: String,
        offset: u64,
        detail: String,
    },
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Words every refusal of the bounded reader (`conn::bounded`) carries, so that it is told
/// apart from a dropped connection (which a retry may cure; a reply past a bound would only
/// come again).
pub const PAST_BOUND: &str = "a reply past cachectl's bound";

/// The last such refusal in this process. The client library ends a connection after a read
/// error, and a pipeline waiting on it hears only "connection closed": its error is read here,
/// so the user is told why, and it is not retried as a dropped connection would be.
static LAST_REFUSAL: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

pub(crate) fn note_refusal(why: &str) {
    if let Ok(mut last) = LAST_REFUSAL.lock() {
        *last = Some(why.to_string());
    }
}

fn refusal_seen() -> Option<String> {
    LAST_REFUSAL.lock().ok().and_then(|r| r.clone())
}

impl Error {
    /// A fault that a new connection, or a moment's wait, may cure: a dropped or refused
    /// connection, a timeout, a server that is loading, failing over or migrating a slot.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::Timeout { .. } | Error::Dropped { .. } => true,
            Error::Redis { error, .. } => {
                error.is_io_error()
                    || error.is_timeout()
                    || error.is_connection_dropped()
                    || error.is_connection_refusal()
                    || matches!(
                        error.code(),
                        Some(
                            "LOADING"
                                | "TRYAGAIN"
                                | "CLUSTERDOWN"
                                | "MASTERDOWN"
                                | "BUSY"
                                | "READONLY"
                        )
                    )
            }
            _ => false,
        }
    }

    /// The error without the file or node it is about, for a report that names that apart
    /// (`{node, error}`), so the name is not said twice.
    pub fn without_origin(&self) -> String {
        match self {
            Error::Rdb { offset, detail, .. } => format!("at byte {offset}: {detail}"),
            other => other.to_string(),
        }
    }

    pub fn redis(addr: &str, error: redis::RedisError) -> Self {
        let text = error.to_string();
        let why = match text.find(PAST_BOUND) {
            Some(at) => Some(text[at..].to_string()),
            None if error.is_io_error() || error.is_connection_dropped() => refusal_seen(),
            None => None,
        };
        if let Some(why) = why {
            // Not a dropped connection: the same claim would come again on a new one.
            return Error::Protocol {
                addr: addr.to_string(),
                command: "a command",
                detail: format!(
                    "{why} (a server that claims this much is not to be trusted, or the value is \
                     too large to read in one reply)"
                ),
            };
        }
        Error::Redis {
            addr: addr.to_string(),
            error,
        }
    }
}

/// A client error as the user should read it: a server's refusal in the server's own words
/// (`NOPERM User app has no permissions to run the 'info' command`) and what to do about it.
pub fn describe(e: &redis::RedisError) -> String {
    let Some(code) = e.code() else {
        return e.to_string();
    };
    let detail = e.detail().unwrap_or("");
    let words = format!("{code} {detail}").trim().to_string();
    match hint(code, detail) {
        Some(h) => format!("{words} ({h})"),
        None => words,
    }
}

/// What to do about a server's refusal.
fn hint(code: &str, detail: &str) -> Option<String> {
    Some(match code {
        "NOAUTH" => "the server needs a password: pass --user NAME and --password-env VAR, the \
                     name of an environment variable that holds it"
            .into(),
        "WRONGPASS" => "check --user and the password in the variable --password-env names (or \
                        the URL's user:password@)"
            .into(),
        "NOPERM" => {
            // "User app has no permissions to run the 'info' command"
            let command = detail.split('\'').nth(1);
            match command {
                Some(c) if detail.contains("command") => format!(
                    "grant it with `ACL SETUSER <user> +{}`; the README lists the commands each \
                     cachectl command needs",
                    c.to_ascii_lowercase()
                ),
                _ if detail.contains("key") || detail.contains("channel") => {
                    "the user's ACL does not cover these keys: grant their pattern with `ACL \
                     SETUSER <user> ~PATTERN`"
                        .into()
                }
                _ => "the user's ACL forbids this: see ACL GETUSER <user>".into(),
            }
        }
        "READONLY" => "this is a read-only replica: point --url at the primary".into(),
        "MASTERDOWN" => "the replica has lost its primary; point --url at the primary".into(),
        "LOADING" => "the server is loading its data set; try again when it is done".into(),
        "OOM" => "the server is at maxmemory and its eviction policy refuses writes".into(),
        "CLUSTERDOWN" => "the cluster is down or still forming; check CLUSTER INFO".into(),
        // EXPIRE … NX and PEXPIRE … GT, which the TTL fixes send, came with Redis 7.0.
        "ERR"
            if detail.contains("wrong number of arguments for 'expire'")
                || detail.contains("wrong number of arguments for 'pexpire'") =>
        {
            "this server is older than Redis 7.0, whose EXPIRE … NX and PEXPIRE … GT the TTL \
             fixes need; the audit itself works"
                .into()
        }
        _ => return None,
    })
}

/// A YAML error as `file:line:column: field: what is wrong`. The parser knows where, but for
/// a value of the wrong type not which field: that is read off the line it points at.
pub fn yaml_error(origin: &str, text: &str, e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let mut message = full.lines().next().unwrap_or("").trim();
    message = message.strip_prefix("error: ").unwrap_or(message);
    if message.starts_with("line ")
        && let Some((_, rest)) = message.split_once(": ")
    {
        message = rest;
    }
    // The parser's words, in the plan's terms.
    let duplicate;
    let message = match message {
        "expected sequence start" => "expected a list (items on lines starting with `- `)",
        "expected mapping start" => "expected fields (`name: value` lines)",
        m if m.starts_with("duplicate mapping key") => {
            // The parser's advice is to its programmer (`set DuplicateKeyPolicy…`).
            let name = m
                .strip_prefix("duplicate mapping key: ")
                .and_then(|r| r.split(',').next())
                .unwrap_or("")
                .trim();
            duplicate = format!("`{name}` is given twice here: keep one");
            &duplicate
        }
        m => m,
    };
    let Some(at) = e.location() else {
        return format!("{origin}: {message}");
    };
    // Where in the plan's tree: `steps[0].for_each[1]`, for an error inside a nested step.
    let path = yaml_path(text, at.line() as usize, at.column() as usize);
    let origin = &match path {
        Some(p) => format!("{origin}: {p}"),
        None => origin.to_string(),
    };
    let field = text
        .lines()
        .nth(at.line().saturating_sub(1) as usize)
        .and_then(|line| {
            let col = at.column().saturating_sub(1) as usize;
            let before: String = line.chars().take(col).collect();
            let from: String = line.chars().skip(col).collect();
            // The parser points either at the value (`ttl: ^true`) or at its key (`^ttl: true`).
            let key = match before.trim_end().strip_suffix(':') {
                Some(k) => k
                    .rsplit(|c: char| c.is_whitespace() || c == '-' || c == '{' || c == ',')
                    .next()
                    .unwrap_or("")
                    .to_string(),
                None => from
                    .split_once(':')
                    .map(|(k, _)| k.trim_start_matches(['-', ' ']).to_string())
                    .filter(|k| !k.contains(char::is_whitespace))
                    .unwrap_or_default(),
            };
            let key = key.trim_matches(['"', '\'']).to_string();
            (!key.is_empty() && !message.contains(&format!("`{key}`"))).then_some(key)
        });
    let (file, path) = match origin.split_once(": ") {
        Some((f, p)) => (f, format!(" {p}:")),
        None => (origin.as_str(), String::new()),
    };
    // A path that ends with the field says it already.
    let field = field.filter(|f| !path.ends_with(&format!(".{f}:")) && path != format!(" {f}:"));
    match field {
        Some(f) => format!("{file}:{}:{}:{path} {f}: {message}", at.line(), at.column()),
        None => format!("{file}:{}:{}:{path} {message}", at.line(), at.column()),
    }
}

/// The list items and keys that enclose line `line`, column `column` (1-based) of a block
/// YAML document, outermost first: `steps[0].for_each[1]`. `None` at the top level.
fn yaml_path(text: &str, line: usize, column: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let meaningful = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    let mut parts = Vec::new();
    let mut at = line.checked_sub(1)?;
    let mut indent = column.saturating_sub(1);
    while indent > 0 {
        // Up to the line that opens what `indent` is inside: a list item's dash, or a key.
        let mut j = at;
        let opener = loop {
            let l = lines.get(j)?;
            let t = l.trim_start();
            if meaningful(l) {
                let i = indent_of(l);
                let dash_here = t.starts_with("- ") && i + 2 == indent;
                if dash_here || i < indent {
                    break j;
                }
            }
            j = j.checked_sub(1)?;
        };
        let l = lines[opener];
        let i = indent_of(l);
        if l.trim_start().starts_with("- ") && i + 2 == indent {
            // A list item: its index among its siblings, and the key that holds the list.
            let mut index = 0;
            let mut k = opener;
            let owner = loop {
                k = k.checked_sub(1)?;
                let lk = lines[k];
                if !meaningful(lk) {
                    continue;
                }
                let ik = indent_of(lk);
                if ik == i && lk.trim_start().starts_with("- ") {
                    index += 1;
                } else if ik < i {
                    break k;
                }
            };
            let key = lines[owner]
                .trim()
                .trim_start_matches("- ")
                .trim_end_matches(':');
            parts.push(format!("{key}[{index}]"));
            indent = indent_of(lines[owner]);
            at = owner;
        } else {
            let key = l.trim().trim_start_matches("- ");
            let key = key.split(':').next().unwrap_or(key);
            parts.push(key.to_string());
            indent = i;
            at = opener;
        }
    }
    parts.reverse();
    (!parts.is_empty()).then(|| parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_before_7_0_is_named_when_a_fix_needs_it() {
        let said = hint("ERR", "wrong number of arguments for 'expire' command").unwrap();
        assert!(said.contains("older than Redis 7.0"), "{said}");
        assert_eq!(
            hint("ERR", "wrong number of arguments for 'get' command"),
            None
        );
    }

    #[test]
    fn paths_in_a_plan_are_found_by_indentation() {
        let text = "sources:\n  db: {sqlite: t.db}\nsteps:\n  - name: a\n    ttl: 1\n\n  # the second\n  - name: b\n    for_each:\n      - name: c\n      - name: d\n        tll: 60\n";
        assert_eq!(
            yaml_path(text, 12, 9).as_deref(),
            Some("steps[1].for_each[1]")
        );
        assert_eq!(yaml_path(text, 5, 5).as_deref(), Some("steps[0]"));
        assert_eq!(yaml_path(text, 2, 3).as_deref(), Some("sources"));
        assert_eq!(yaml_path(text, 1, 1), None);
        // Any position at all is an answer, not a panic.
        for line in 0..20 {
            for column in 0..20 {
                let _ = yaml_path(text, line, column);
            }
        }
    }
}
