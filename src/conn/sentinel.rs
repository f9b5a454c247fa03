//! Redis Sentinel: `redis+sentinel://[user:pass@]HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]`
//! (and `rediss+sentinel://`, TLS to the data nodes). The primary is asked of each sentinel
//! in turn, every time a connection is opened, so a reconnect after a failover finds the new
//! primary.

use std::time::Duration;

use redis::aio::ConnectionLike;
use redis::{AsyncConnectionConfig, ConnectionAddr, IntoConnectionInfo, Value};

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Sentinels {
    pub addrs: Vec<(String, u16)>,
    pub master: String,
    /// The sentinels' own ACL user and password (`--sentinel-user`, `--sentinel-password-env`).
    pub user: Option<String>,
    pub password: Option<String>,
    /// `rediss+sentinel://`: the sentinels are asked over TLS too, with the data nodes' CA
    /// (or the system's) and `--tls-insecure`.
    pub tls: Option<SentinelTls>,
}

#[derive(Clone, Debug)]
pub struct SentinelTls {
    pub insecure: bool,
    pub certs: Option<redis::TlsCertificates>,
}

/// A sentinel URL as the URL of a data node (at the first sentinel's address, until the
/// primary is known) and the sentinels; `None` for any other URL.
pub fn parse(url: &str) -> Result<Option<(String, Sentinels)>> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("redis+sentinel", rest)) => ("redis", rest),
        Some(("rediss+sentinel", rest)) => ("rediss", rest),
        _ => return Ok(None),
    };
    let bad = |why: &str| {
        Error::BadUrl(format!(
            "{} ({why}; expected {scheme}+sentinel://[user:password@]HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db])",
            super::redact_url(url)
        ))
    };
    // Credentials run to the last `@`: a password may hold `/` unencoded.
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, rest),
    };
    let (hosts, path) = rest.split_once('/').ok_or_else(|| bad("no master name"))?;
    let mut addrs = Vec::new();
    for h in hosts.split(',') {
        let (host, port) = match h.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| bad("a bad port"))?),
            None => (h, 26379),
        };
        if host.is_empty() {
            return Err(bad("an empty host"));
        }
        addrs.push((host.trim_matches(['[', ']']).to_string(), port));
    }
    let mut parts = path.split('/');
    let master = parts.next().unwrap_or_default();
    if master.is_empty() {
        return Err(bad("no master name"));
    }
    let db = parts.next().filter(|d| !d.is_empty());
    let (host, port) = &addrs[0];
    let data = format!(
        "{scheme}://{}{host}:{port}/{}",
        userinfo.map(|u| format!("{u}@")).unwrap_or_default(),
        db.unwrap_or("0")
    );
    Ok(Some((
        data,
        Sentinels {
            addrs,
            master: master.to_string(),
            user: None,
            password: None,
            tls: None,
        },
    )))
}

impl Sentinels {
    /// The primary's address, from the first sentinel that knows it.
    pub async fn primary(&self, timeout: Duration) -> Result<(String, u16)> {
        let mut why: Vec<(String, String)> = Vec::new();
        for (host, port) in &self.addrs {
            match self.ask(host, *port, timeout).await {
                Ok(addr) => return Ok(addr),
                Err(e) => why.push((format!("{host}:{port}"), e.to_string())),
            }
        }
        // The same answer from every sentinel (a password they want) is said once.
        let reason = match why.first() {
            Some((_, first)) if why.iter().all(|(_, r)| r == first) && why.len() > 1 => {
                let all: Vec<&str> = why.iter().map(|(a, _)| a.as_str()).collect();
                format!("{}: {first}", all.join(", "))
            }
            _ => why
                .iter()
                .map(|(a, r)| format!("{a}: {r}"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        Err(Error::Connect {
            addr: format!("sentinels of `{}`", self.master),
            reason,
        })
    }

    async fn ask(&self, host: &str, port: u16, timeout: Duration) -> Result<(String, u16)> {
        let at = match &self.tls {
            Some(t) => ConnectionAddr::TcpTls {
                host: host.to_string(),
                port,
                insecure: t.insecure,
                tls_params: None,
            },
            None => ConnectionAddr::Tcp(host.to_string(), port),
        };
        let mut info = at
            .into_connection_info()
            .map_err(|e| Error::redis(host, e))?;
        let mut settings = info.redis_settings().clone();
        if let Some(u) = &self.user {
            settings = settings.set_username(u);
        }
        if let Some(p) = &self.password {
            settings = settings.set_password(p);
        }
        info = info.set_redis_settings(settings);
        let addr = format!("{host}:{port}");
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let certs = self.tls.as_ref().and_then(|t| t.certs.as_ref());
        let ca = certs.and_then(|c| c.root_cert.as_deref());
        // Through the one stream factory and the bounded reader, as every connection.
        let connected = tokio::time::timeout(
            timeout,
            super::bounded_connection(&info, ca, timeout, config),
        )
        .await
        .map_err(|_| Error::Timeout {
            addr: addr.clone(),
            secs: timeout.as_secs_f64(),
            during: "connecting to the sentinel",
        })?;
        let mut conn = connected.map_err(|e| {
            refused_auth(&e.to_string()).unwrap_or_else(|| super::classify(&addr, e))
        })?;
        let reply = conn
            .req_packed_command(
                redis::cmd("SENTINEL")
                    .arg("GET-MASTER-ADDR-BY-NAME")
                    .arg(&self.master),
            )
            .await
            .map_err(|e| refused_auth(&e.to_string()).unwrap_or_else(|| Error::redis(&addr, e)))?;
        match reply {
            Value::Array(v) if v.len() == 2 => {
                let host: String = redis::from_redis_value_ref(&v[0])
                    .map_err(|e| Error::redis(&addr, e.into()))?;
                let port: u16 = redis::from_redis_value_ref(&v[1])
                    .map_err(|e| Error::redis(&addr, e.into()))?;
                Ok((host, port))
            }
            Value::ServerError(e) => Err(refused_auth(&format!("{} {:?}", e.code(), e.details()))
                .unwrap_or_else(|| Error::redis(&addr, e.into()))),
            Value::Nil => Err(Error::Usage(format!(
                "sentinel {addr} monitors no master named `{}`",
                self.master
            ))),
            other => Err(Error::Protocol {
                addr,
                command: "SENTINEL GET-MASTER-ADDR-BY-NAME",
                detail: format!("{other:?}"),
            }),
        }
    }
}

/// A sentinel that wants credentials, or others than it was given, as what to do about it.
fn refused_auth(text: &str) -> Option<Error> {
    let wants = if text.contains("NOAUTH") {
        "wants a password"
    } else if ["WRONGPASS", "invalid password", "AuthenticationFailed"]
        .iter()
        .any(|t| text.contains(t))
    {
        "refused the user or password"
    } else {
        return None;
    };
    Some(Error::Usage(format!(
        "the sentinel {wants}: give it with --sentinel-password-env VAR (and --sentinel-user \
         NAME for an ACL user)"
    )))
}

/// How long a new primary may still call itself a replica after the sentinels named it.
pub const PROMOTION: Duration = Duration::from_secs(10);

/// Whether the server on `conn` says it is a replica (`ROLE`, else `INFO replication`): a
/// server the sentinels just promoted may not know it yet. False when it will not say.
pub(crate) async fn is_replica(conn: &mut redis::aio::MultiplexedConnection) -> bool {
    if let Ok(redis::Value::Array(v)) = redis::cmd("ROLE").query_async(conn).await {
        return v
            .first()
            .and_then(|x| redis::from_redis_value_ref::<String>(x).ok())
            .is_some_and(|role| role == "slave");
    }
    redis::cmd("INFO")
        .arg("replication")
        .query_async::<String>(conn)
        .await
        .is_ok_and(|info| info.lines().any(|l| l.trim_end() == "role:slave"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls() {
        let (data, s) = parse("redis+sentinel://ops:pw@s1:26379,s2:26380/mymaster/2")
            .unwrap()
            .unwrap();
        assert_eq!(data, "redis://ops:pw@s1:26379/2");
        assert_eq!(s.master, "mymaster");
        assert_eq!(s.addrs, vec![("s1".into(), 26379), ("s2".into(), 26380)]);
        let (data, s) = parse("rediss+sentinel://s1/cache").unwrap().unwrap();
        assert_eq!(data, "rediss://s1:26379/0");
        assert_eq!(s.addrs, vec![("s1".into(), 26379)]);
        assert!(parse("redis://h:1").unwrap().is_none());
        assert!(parse("redis+sentinel://s1:1").is_err());
        assert!(parse("redis+sentinel://s1:x/m").is_err());
    }
}
