//! The one connection factory: a `Target` (URL, credentials, TLS, cluster mode, timeout)
//! becomes a `Dialer`, which opens `Link`s, standalone or cluster; `store` wraps them into a
//! `Store` (this module never names one).
//!
//! Passwords live only inside `Target` and the redis client; nothing here formats them, and
//! `Target`'s `Debug` redacts them, so `--verbose` and error messages cannot leak one.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use redis::cluster::ClusterClientBuilder;
use redis::{
    AsyncConnectionConfig, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates,
};

use redis::aio::MultiplexedConnection;
use redis::cluster_async::ClusterConnection;

use crate::error::{Error, Result};
use crate::retry::Backoff;

pub mod bounded;
pub mod named;
mod probe;
pub mod raw;
pub mod sentinel;
mod stream;

/// Whether to talk to the server as a Redis Cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClusterMode {
    /// Ask the server (`INFO cluster`).
    #[default]
    Detect,
    /// Treat it as a cluster without asking.
    Force,
}

#[derive(Clone)]
pub struct Target {
    pub url: String,
    /// ACL user, overriding the URL's.
    pub user: Option<String>,
    /// Password, overriding the URL's. The binary fills it from an environment variable only.
    pub password: Option<String>,
    /// PEM file with the CA that signed the server's certificate (`rediss://`).
    pub tls_ca: Option<PathBuf>,
    /// Accept any server certificate and host name (`rediss://` only).
    pub tls_insecure: bool,
    pub cluster: ClusterMode,
    /// Applies to connecting and to every command (default 5 s, as the CLI's `--timeout`).
    pub timeout: Duration,
    /// The sentinels' own ACL user and password, for `redis+sentinel://` URLs.
    pub sentinel_user: Option<String>,
    pub sentinel_password: Option<String>,
    /// The rules every write to this target meets (`guard::authorise`).
    pub policy: crate::guard::Policy,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &redact_url(&self.url))
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("tls_ca", &self.tls_ca)
            .field("tls_insecure", &self.tls_insecure)
            .field("cluster", &self.cluster)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The process's TLS crypto provider (ring), installed once for every TLS client we use
/// (Redis, HTTP sources, SQL sources); a second install is a harmless no-op error.
pub(crate) fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A URL as people type it: `host`, `host:port` or `host:port/db` (as redis-cli's `-h` and
/// `-p` say it) become `redis://…`. Never fails: a URL with a wrong part is said to be wrong
/// when it is used (`check_port`), where the error can hide its password; a flag parser's
/// error would print the value whole.
pub fn normalise_url(input: &str) -> String {
    let s = input.trim();
    if s.contains("://") || s.starts_with("unix:") {
        s.to_string()
    } else {
        format!("redis://{s}")
    }
}

/// A port that is not one, named as the part of the URL that is wrong.
fn check_port(url: &str) -> std::result::Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(());
    };
    if scheme.starts_with("redis+sentinel") || scheme == "unix" {
        return Ok(());
    }
    // Credentials run to the last `@` (as `redact_url` reads them): a password may hold `/`.
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = after_user.split(['/', '?', '#']).next().unwrap_or("");
    let port = match hostport.rsplit_once(':') {
        // An IPv6 address without a port ends in `]`.
        Some((host, port))
            if !port.contains(']') && (!host.starts_with('[') || host.ends_with(']')) =>
        {
            Some(port)
        }
        _ => None,
    };
    match port {
        Some(port) if !port.is_empty() && !matches!(port.parse::<u32>(), Ok(1..=65535)) => {
            Err(format!(
                "{}: the port `{port}` is not a port (1 to 65535)",
                redact_url(url)
            ))
        }
        _ => Ok(()),
    }
}

/// The URL with any password replaced by `***`, for messages: Redis, Sentinel, SQL and HTTP
/// URLs alike, with or without a scheme (`:pw@host:6379`), and secrets given as query
/// parameters (`unix:///run/redis.sock?pass=…`, `postgres://db/test?password=…`). A password
/// may hold `/`, `?`, `#` or `@` without being percent-encoded, so the credentials run to the
/// last `@` (a `@` later in a path or query hides more than it must, never less).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let rest = match rest.rfind('@') {
        Some(at) => {
            let (userinfo, host) = (&rest[..at], &rest[at + 1..]);
            // A user name holds none of these; past one, it is a password that does.
            let user_end = userinfo
                .find([':', '/', '?', '#'])
                .unwrap_or(userinfo.len());
            // Without a scheme, `user@host` is no URL's credentials unless a `:` says so.
            if scheme.is_none() && !userinfo.contains(':') {
                return redact_query(url);
            }
            let user = &userinfo[..user_end];
            let hidden = if user_end < userinfo.len() {
                ":***"
            } else {
                ""
            };
            format!("{user}{hidden}@{host}")
        }
        None => rest.to_string(),
    };
    let rest = redact_query(&rest);
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest,
    }
}

/// Query parameters that carry a secret, by name (as Redis, SQL and HTTP URLs spell them).
const SECRET_PARAMS: [&str; 9] = [
    "pass",
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "access_token",
    "api_key",
    "apikey",
];

/// `text` with the value of every secret query parameter replaced by `***`.
fn redact_query(text: &str) -> String {
    let Some(q) = text.find('?') else {
        return text.to_string();
    };
    let (head, query) = text.split_at(q + 1);
    let shown: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) => {
                format!("{name}=***")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}{}", shown.join("&"))
}

/// Whether a URL asks for TLS without checking the server's certificate: `#insecure` at its
/// end, which the client library honours as `--tls-insecure`.
pub fn url_skips_tls_check(url: &str) -> bool {
    url.starts_with("rediss://") && url.split_once('#').is_some_and(|(_, f)| f == "insecure")
}

impl Target {
    /// TLS without a certificate check, however it was asked for (`--tls-insecure`, a
    /// target's `tls: {insecure: true}`, or the URL's `#insecure`).
    pub fn tls_unchecked(&self) -> bool {
        self.tls_insecure || url_skips_tls_check(&self.url)
    }

    /// `host:port` of the seed node, for messages.
    pub fn address(&self) -> String {
        match self.connection_info() {
            Ok(info) => address_of(&info),
            Err(_) => redact_url(&self.url),
        }
    }

    fn connection_info(&self) -> Result<ConnectionInfo> {
        check_port(&self.url).map_err(Error::BadUrl)?;
        let url = match sentinel::parse(&self.url)? {
            Some((data, _)) => data,
            None => self.url.clone(),
        };
        let mut info = url
            .as_str()
            .into_connection_info()
            // The client's message can quote the URL; say what is wrong without it.
            .map_err(|e| {
                Error::BadUrl(format!(
                    "{} ({})",
                    redact_url(&self.url),
                    e.detail().unwrap_or(
                        "expected redis://[user:password@]host[:port][/db] or rediss://…"
                    )
                ))
            })?;
        let mut settings = info.redis_settings().clone();
        if let Some(user) = &self.user {
            settings = settings.set_username(user);
        }
        if let Some(password) = &self.password {
            settings = settings.set_password(password);
        }
        // The client would send no AUTH for a user without a password, and the server would
        // take us for `default`: a different user, with other rights, silently.
        if let (Some(user), None) = (settings.username(), settings.password()) {
            return Err(Error::Usage(format!(
                "user `{user}` is given without a password: the connection would run as \
                 `default`. Give the password in an environment variable (--password-env VAR, \
                 or password_env in the target); for a user with `nopass`, any value"
            )));
        }
        info = info.set_redis_settings(settings);
        match info.addr().clone() {
            ConnectionAddr::TcpTls {
                host,
                port,
                tls_params,
                ..
            } if self.tls_insecure => {
                info = info.set_addr(ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure: true,
                    tls_params,
                });
            }
            ConnectionAddr::Tcp(..) if self.tls_insecure || self.tls_ca.is_some() => {
                return Err(Error::Usage(
                    "--tls-ca and --tls-insecure need a rediss:// URL".into(),
                ));
            }
            _ => {}
        }
        Ok(info)
    }

    fn tls_certificates(&self) -> Result<Option<TlsCertificates>> {
        let Some(path) = &self.tls_ca else {
            return Ok(None);
        };
        let pem = std::fs::read(path).map_err(|e| Error::TlsCa {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if !pem.windows(11).any(|w| w == b"-----BEGIN ") {
            return Err(Error::TlsCa {
                path: path.display().to_string(),
                reason: "not a PEM certificate".into(),
            });
        }
        Ok(Some(TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        }))
    }

    /// Everything needed to open connections, resolved once: the URL parsed, credentials
    /// applied, the CA file read.
    pub fn dialer(&self) -> Result<Dialer> {
        let info = self.connection_info()?;
        if matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
            install_crypto();
        }
        let tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
        let certs = self.tls_certificates()?;
        let sentinel = sentinel::parse(&self.url)?.map(|(_, mut s)| {
            s.user = self.sentinel_user.clone();
            s.password = self.sentinel_password.clone();
            s.tls = tls.then(|| sentinel::SentinelTls {
                insecure: self.tls_insecure,
                certs: certs.clone(),
            });
            Arc::new(s)
        });
        if sentinel.is_some() && self.cluster == ClusterMode::Force {
            return Err(Error::Usage(
                "--cluster and a redis+sentinel:// URL do not go together".into(),
            ));
        }
        Ok(Dialer {
            addr: match &sentinel {
                Some(s) => format!("primary `{}` (via sentinels)", s.master),
                None => address_of(&info),
            },
            certs,
            info,
            timeout: self.timeout,
            sentinel,
            policy: Arc::new(self.policy.clone()),
        })
    }
}

/// The CLI's default `--timeout`, and a library caller's who gives none: a zero timeout would
/// fail every command at once.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for Target {
    fn default() -> Self {
        Target {
            url: String::new(),
            user: None,
            password: None,
            tls_ca: None,
            tls_insecure: false,
            cluster: ClusterMode::default(),
            timeout: DEFAULT_TIMEOUT,
            sentinel_user: None,
            sentinel_password: None,
            policy: crate::guard::Policy::default(),
        }
    }
}

/// An open connection to a server or a cluster, before `store` wraps it.
pub struct Link {
    pub conn: LinkConn,
    /// `host:port` of the server the connection reached (the primary, behind Sentinel).
    pub addr: String,
}

pub enum LinkConn {
    Standalone(MultiplexedConnection),
    Cluster(ClusterConnection<Node>),
}

/// A connection whose replies pass the bounded reader, to a standalone server or (as `Node`)
/// to one node of a cluster. The driver runs until the last handle is dropped.
async fn bounded_connection(
    info: &ConnectionInfo,
    ca: Option<&[u8]>,
    timeout: Duration,
    config: AsyncConnectionConfig,
) -> redis::RedisResult<MultiplexedConnection> {
    let io = stream::open(info.addr(), ca, timeout).await?;
    let io = bounded::Bounded::new(io, bounded::Bounds::DEFAULT);
    let (conn, driver) =
        MultiplexedConnection::new_with_config(info.redis_settings(), io, config).await?;
    tokio::spawn(driver);
    Ok(conn)
}

/// One cluster node's connection, opened by the client library as nodes are discovered.
#[derive(Clone)]
pub struct Node(MultiplexedConnection);

impl redis::cluster_async::Connect for Node {
    fn connect_with_config<'a, T>(
        info: T,
        config: AsyncConnectionConfig,
    ) -> redis::RedisFuture<'a, Self>
    where
        T: IntoConnectionInfo + Send + 'a,
    {
        Box::pin(async move {
            let info = info.into_connection_info()?;
            let (ca, timeout) = stream::cluster_node();
            let conn = bounded_connection(&info, ca.as_deref(), timeout, config).await?;
            Ok(Node(conn))
        })
    }
}

impl redis::aio::ConnectionLike for Node {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        self.0.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        self.0.req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }
}

/// A resolved target: what `Store` keeps to open another connection like its own, without
/// parsing or reading anything again.
pub struct Dialer {
    info: ConnectionInfo,
    certs: Option<TlsCertificates>,
    /// `host:port` for messages.
    addr: String,
    timeout: Duration,
    /// Where to ask for the primary, each time a connection is opened.
    sentinel: Option<Arc<sentinel::Sentinels>>,
    /// The target's rules, shared by every connection opened like this one.
    policy: Arc<crate::guard::Policy>,
}

impl Dialer {
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub(crate) fn policy(&self) -> &crate::guard::Policy {
        &self.policy
    }

    pub(crate) fn db(&self) -> i64 {
        self.info.redis_settings().db()
    }

    fn tls(&self) -> bool {
        matches!(self.info.addr(), ConnectionAddr::TcpTls { .. })
    }

    fn host_port(&self) -> Option<(String, u16)> {
        match self.info.addr() {
            ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
                Some((host.clone(), *port))
            }
            _ => None,
        }
    }

    /// The same settings (credentials, TLS, timeout) for another node of the cluster.
    pub(crate) fn at(&self, host: &str, port: u16) -> Dialer {
        let addr = match self.info.addr().clone() {
            ConnectionAddr::TcpTls {
                insecure,
                tls_params,
                ..
            } => ConnectionAddr::TcpTls {
                host: host.to_string(),
                port,
                insecure,
                tls_params,
            },
            _ => ConnectionAddr::Tcp(host.to_string(), port),
        };
        Dialer {
            info: self.info.clone().set_addr(addr),
            certs: self.certs.clone(),
            addr: format!("{host}:{port}"),
            timeout: self.timeout,
            sentinel: None,
            policy: self.policy.clone(),
        }
    }

    /// Open a connection: a cluster connection, or one to a standalone server. When it fails
    /// without a word from a Redis server, say what answers at the address instead.
    pub(crate) async fn open(self: Arc<Self>, cluster: bool) -> Result<Link> {
        if let Some(s) = self.sentinel.clone() {
            return self.open_primary(&s).await;
        }
        let attempt = self.clone().open_once(cluster);
        // A TLS handshake with a plaintext server waits out the whole timeout (the server
        // waits for a line that never comes), so a slow handshake is looked into while it
        // runs; a healthy one finishes long before.
        // The same for a plaintext URL: a web server waits for the rest of a request that
        // never comes. A listener that stays silent says nothing here: the attempt's own
        // timeout is its answer, within the one deadline.
        let look = async {
            tokio::time::sleep(TLS_PROBE_AFTER.min(self.timeout / 2)).await;
            self.what_answers(false).await
        };
        let result = tokio::select! {
            r = attempt => r,
            Some(found) = look => return Err(self.not_redis(found)),
        };
        match result {
            // Nothing answered within the timeout: that is the answer, within the one deadline
            // the user gave (a probe after it would double the wait to say the same).
            Err(e @ Error::Timeout { .. }) => Err(e),
            Err(e) if !spoke_redis(&e) => match self.what_answers(true).await {
                Some(found) => Err(self.not_redis(found)),
                None => Err(e),
            },
            other => other,
        }
    }

    /// The primary the sentinels name, once it says it is one (a promotion takes a moment
    /// to reach the promoted server itself). The store keeps this dialer, so that a reconnect
    /// asks the sentinels again.
    async fn open_primary(self: Arc<Self>, s: &sentinel::Sentinels) -> Result<Link> {
        let deadline = std::time::Instant::now() + sentinel::PROMOTION.max(self.timeout);
        let mut poll = Backoff::polling(Duration::from_millis(200), deadline);
        // Connecting has no stop of its own: the one deadline bounds it.
        let no_stop = crate::stop::Stop::new();
        loop {
            let (host, port) = s.primary(self.timeout).await?;
            let mut link = Box::pin(Arc::new(self.at(&host, port)).open(false)).await?;
            let LinkConn::Standalone(conn) = &mut link.conn else {
                return Ok(link);
            };
            if !sentinel::is_replica(conn).await || !poll.wait(&no_stop).await {
                return Ok(link);
            }
        }
    }

    /// A subscriber connection to the server this dialer reaches (the sentinels' primary of
    /// the moment, behind Sentinel).
    pub(crate) async fn pubsub(&self) -> Result<redis::aio::PubSub> {
        let dialer = match &self.sentinel {
            Some(s) => {
                let (host, port) = s.primary(self.timeout).await?;
                self.at(&host, port)
            }
            None => self.at_same(),
        };
        let ca = dialer.certs.as_ref().and_then(|c| c.root_cert.as_deref());
        // Through the one stream factory and the bounded reader, as every connection.
        let subscribe = async {
            let io = stream::open(dialer.info.addr(), ca, self.timeout).await?;
            let io = bounded::Bounded::new(io, bounded::Bounds::DEFAULT);
            redis::aio::PubSub::new(dialer.info.redis_settings(), io).await
        };
        tokio::time::timeout(self.timeout, subscribe)
            .await
            .map_err(|_| self.timed_out("connecting"))?
            .map_err(|e| classify(&dialer.addr, e))
    }

    /// This dialer, without its sentinels.
    fn at_same(&self) -> Dialer {
        Dialer {
            info: self.info.clone(),
            certs: self.certs.clone(),
            addr: self.addr.clone(),
            timeout: self.timeout,
            sentinel: None,
            policy: self.policy.clone(),
        }
    }

    async fn open_once(self: Arc<Self>, cluster: bool) -> Result<Link> {
        let addr = self.addr.clone();
        if cluster {
            return self.connect_cluster().await;
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let ca = self.certs.as_ref().and_then(|c| c.root_cert.as_deref());
        let conn = tokio::time::timeout(
            self.timeout,
            bounded_connection(&self.info, ca, self.timeout, config),
        )
        .await
        .map_err(|_| self.timed_out("connecting"))?
        .map_err(|e| {
            // The client's own timeout (the handshake's reply) is the same deadline's end.
            if e.is_timeout() {
                self.timed_out("connecting")
            } else if e.to_string().contains("not allowed in cluster mode") {
                cluster_db_error(&addr, self.info.redis_settings().db())
            } else {
                classify(&addr, e)
            }
        })?;
        Ok(Link {
            conn: LinkConn::Standalone(conn),
            addr,
        })
    }

    async fn connect_cluster(self: Arc<Self>) -> Result<Link> {
        let addr = self.addr.clone();
        if self.info.redis_settings().db() != 0 {
            return Err(cluster_db_error(&addr, self.info.redis_settings().db()));
        }
        let mut builder = ClusterClientBuilder::new(vec![self.info.clone()])
            .connection_timeout(self.timeout)
            .response_timeout(self.timeout);
        if let Some(c) = &self.certs {
            builder = builder.certs(c.clone());
        }
        let client = builder.build().map_err(|e| classify(&addr, e))?;
        stream::set_cluster_node(
            self.certs.as_ref().and_then(|c| c.root_cert.as_deref()),
            self.timeout,
        );
        let conn = tokio::time::timeout(self.timeout, client.get_async_generic_connection())
            .await
            .map_err(|_| self.timed_out("connecting to the cluster"))?
            .map_err(|e| classify(&addr, e))?;
        Ok(Link {
            conn: LinkConn::Cluster(conn),
            addr,
        })
    }

    fn timed_out(&self, during: &'static str) -> Error {
        Error::Timeout {
            addr: self.addr.clone(),
            secs: self.timeout.as_secs_f64(),
            during,
        }
    }

    fn not_redis(&self, found: String) -> Error {
        Error::NotRedis {
            addr: self.addr.clone(),
            found,
        }
    }

    /// What listens at the address, when it is not what the URL says: a plaintext Redis behind
    /// a `rediss://` URL, a TLS port behind `redis://`, a web or database server. `None` when
    /// it looks like what we expected, or nothing can be said.
    /// `silent`: whether a listener that does not answer a PING is worth saying (after a
    /// failure, yes; while the attempt may still succeed, no).
    async fn what_answers(&self, silent: bool) -> Option<String> {
        let (host, port) = self.host_port()?;
        let found = probe::identify(&host, port, PROBE_TIMEOUT.min(self.timeout)).await?;
        let tls = self.tls();
        match found {
            probe::Found::Redis if tls => {
                Some("it speaks plaintext Redis, not TLS: use a redis:// URL".into())
            }
            probe::Found::Tls if !tls => Some(
                "it expects TLS: use a rediss:// URL (and --tls-ca if its certificate is private)"
                    .into(),
            ),
            probe::Found::Silent if !tls && silent => Some(
                "it does not answer a Redis PING (if it is a TLS port, use a rediss:// URL)".into(),
            ),
            probe::Found::Redis | probe::Found::Tls | probe::Found::Silent => None,
            probe::Found::Other(what) => Some(format!("{what} answers there, not Redis")),
        }
    }
}

/// The server answered as Redis does (an error with a code, a refused password): what went
/// wrong is in its words, and nothing is to be gained by looking at what listens there.
fn spoke_redis(e: &Error) -> bool {
    match e {
        Error::Auth { .. } | Error::Usage(_) | Error::TlsCa { .. } | Error::BadUrl(_) => true,
        Error::Redis { error, .. } => error.code().is_some(),
        _ => false,
    }
}

/// How long a TLS handshake may take before we look at what answers.
const TLS_PROBE_AFTER: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

fn cluster_db_error(addr: &str, db: i64) -> Error {
    Error::Usage(format!(
        "{addr} is a Redis Cluster, which has only database 0; drop the /{db} from the URL"
    ))
}

fn address_of(info: &ConnectionInfo) -> String {
    match info.addr() {
        ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        ConnectionAddr::Unix(path) => path.display().to_string(),
        other => format!("{other:?}"),
    }
}

/// Turn a client error at connect time into one that says what went wrong and where.
pub(crate) fn classify(addr: &str, e: redis::RedisError) -> Error {
    let text = e.to_string();
    if text.contains(bounded::PAST_BOUND) {
        return Error::redis(addr, e);
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("wrongpass")
        || lower.contains("noauth")
        || lower.contains("invalid username-password")
        || lower.contains("authentication")
    {
        return Error::Auth {
            addr: addr.to_string(),
            reason: e.detail().unwrap_or(&text).to_string(),
        };
    }
    if e.is_io_error() || e.is_connection_refusal() || lower.contains("connection") {
        return Error::Connect {
            addr: addr.to_string(),
            reason: text,
        };
    }
    Error::redis(addr, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_people_type_them() {
        assert_eq!(normalise_url("cache:6380"), "redis://cache:6380");
        assert_eq!(normalise_url("cache"), "redis://cache");
        assert_eq!(normalise_url("10.0.0.5:6379/2"), "redis://10.0.0.5:6379/2");
        assert_eq!(normalise_url("rediss://u:p@h:6380"), "rediss://u:p@h:6380");
        assert!(check_port("redis://[::1]:6379").is_ok());
        assert!(check_port("redis://u:pa/ss@127.0.0.1:6379").is_ok());
        let e = check_port("redis://host:99999").unwrap_err();
        assert!(e.contains("port `99999`"), "{e}");
        let e = check_port("redis://u:secret@host:http").unwrap_err();
        assert!(e.contains("port `http`") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("redis://app:s3cret@cache:6379/2"),
            "redis://app:***@cache:6379/2"
        );
        assert_eq!(redact_url("rediss://:s3cret@cache"), "rediss://:***@cache");
        assert_eq!(redact_url("redis://cache:6379"), "redis://cache:6379");
        assert_eq!(redact_url("redis://app@cache"), "redis://app@cache");
        // Passwords with URL syntax in them, not percent-encoded.
        for (url, secret) in [
            ("redis://app:pa/ss@cache:6379/0", "pa/ss"),
            ("redis://app:p?w#x@cache", "p?w#x"),
            ("redis://:a@b/c@cache/2", "a@b/c"),
            ("postgres://postgres:hunter2@db:5432/test", "hunter2"),
            ("redis+sentinel://u:s/e?c#r@h1:1,h2:2/mymaster", "s/e?c#r"),
            ("https://bot:t0k/en@api.example/v1", "t0k/en"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(secret), "{url} shown as {shown}");
            assert!(shown.contains(":***@"), "{shown}");
        }
        assert_eq!(
            redact_url("redis://app:pa/ss@cache:6379/0"),
            "redis://app:***@cache:6379/0"
        ); // Without a scheme, and secrets in the query string.
        for (url, secret) in [
            (":pw1@cache:6379", "pw1"),
            ("app:pw2@cache:6379/1", "pw2"),
            ("unix:///run/redis.sock?db=1&pass=pw3", "pw3"),
            ("postgres://db:5432/test?user=app&password=pw4", "pw4"),
            ("mysql://root@db/test?sslmode=off&PASSWORD=pw5", "pw5"),
            ("https://api.example/v1?access_token=pw6", "pw6"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains(secret), "{url} shown as {shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        assert_eq!(redact_url("app@cache"), "app@cache");
        assert_eq!(
            redact_url("unix:///run/redis.sock?db=1&pass=x"),
            "unix:///run/redis.sock?db=1&pass=***"
        );
    }

    #[test]
    fn debug_hides_password() {
        let t = Target {
            url: "redis://u:pw1@h".into(),
            password: Some("pw2".into()),
            ..Default::default()
        };
        let s = format!("{t:?}");
        assert!(!s.contains("pw1") && !s.contains("pw2"), "{s}");
    }
}
