//! HTTP JSON sources: GET (or any method) a path, take the array at a JSON pointer, follow
//! pagination, retry 5xx/429/timeouts with exponential backoff that honours `Retry-After`.
//! A `file://` base URL reads JSON files instead, so a demo plan needs no server.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::keys::template::Vars;
use crate::retry::Backoff;
use crate::stop::Stop;
use crate::warm::plan::{HttpSource, Paginate, Request};
use crate::warm::source::Chunk;

#[derive(Debug)]
enum Attempt {
    /// Worth another try, after at least this long when the server said so.
    Retry(String, Option<Duration>),
    Fatal(String),
}

pub struct HttpClient {
    client: reqwest::Client,
    /// The plan's headers: sent only to the base URL's own origin.
    headers: reqwest::header::HeaderMap,
    /// Ends a retry's wait at once.
    stop: Stop,
}

impl HttpClient {
    pub fn new(src: &HttpSource, stop: &Stop) -> Result<HttpClient> {
        // reqwest is built without a bundled crypto provider: use the process's (ring).
        crate::conn::install_crypto();
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &src.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| Error::Source(format!("header `{k}`: {e}")))?;
            let value = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                Error::Source(format!("header `{k}`: value is not valid in a header"))
            })?;
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .timeout(src.timeout)
            // A redirect is followed within the base URL's origin only: the plan's headers
            // (a token) go nowhere else, and https never becomes http.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cachectl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Source(format!("HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            headers,
            stop: stop.clone(),
        })
    }

    /// Fetch every page of `req` and send its items into `tx`.
    pub async fn stream(
        &self,
        src: &HttpSource,
        req: &Request,
        vars: &dyn Vars,
        tx: mpsc::Sender<Chunk>,
    ) -> Result<()> {
        let path = req.path.render_path(vars)?;
        let mut query: Vec<(String, String)> = Vec::with_capacity(req.query.len() + 1);
        for (k, t) in &req.query {
            query.push((k.clone(), t.render(vars)?));
        }
        if let Some(dir) = src.base_url.strip_prefix("file://") {
            let file = format!("{dir}{path}");
            let text = tokio::fs::read_to_string(&file)
                .await
                .map_err(|e| Error::Io {
                    context: format!("reading {file}"),
                    error: e,
                })?;
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| Error::Source(format!("{file}: not JSON: {e}")))?;
            let _ = tx.send(items(&doc, req.items.as_deref(), &file)?).await;
            return Ok(());
        }
        let (base, login) = split_login(&src.base_url)?;
        let mut url = parse_url(&format!("{base}{path}"))?;
        let base = parse_url(&base)?;
        let mut page = match &req.paginate {
            Some(Paginate::Page { start, .. }) => *start,
            _ => 0,
        };
        let mut cursor: Option<String> = None;
        let max_pages = match &req.paginate {
            Some(
                Paginate::Page { max_pages, .. }
                | Paginate::Cursor { max_pages, .. }
                | Paginate::NextLink { max_pages, .. },
            ) => *max_pages,
            None => 1,
        };
        for _ in 0..max_pages {
            let mut q = query.clone();
            match &req.paginate {
                Some(Paginate::Page { param, .. }) => q.push((param.clone(), page.to_string())),
                Some(Paginate::Cursor { param, .. }) => {
                    if let Some(c) = &cursor {
                        q.push((param.clone(), c.clone()));
                    }
                }
                _ => {}
            }
            let to = To {
                url: &url,
                base: &base,
                login: login.as_ref(),
            };
            let doc = self
                .get_json(src, &req.method, to, &q, req.body.as_ref())
                .await?;
            let shown = crate::conn::redact_url(url.as_str());
            let page_items = items(&doc, req.items.as_deref(), &shown)?;
            let empty = page_items.is_empty();
            if !empty && tx.send(page_items).await.is_err() {
                return Ok(());
            }
            match &req.paginate {
                None => break,
                Some(Paginate::Page { .. }) => {
                    if empty {
                        break;
                    }
                    page += 1;
                }
                Some(Paginate::Cursor { from, .. }) => match doc.pointer(from) {
                    Some(Value::String(s)) if !s.is_empty() => cursor = Some(s.clone()),
                    Some(Value::Number(n)) => cursor = Some(n.to_string()),
                    _ => break,
                },
                Some(Paginate::NextLink { from, .. }) => match doc.pointer(from) {
                    Some(Value::String(next)) if !next.is_empty() => {
                        // Resolved as a browser would, against the page that gave it: a link
                        // is never pasted after the origin (`@evil.example/` would move the
                        // host, and the plan's login with it).
                        // Every URL said is redacted: a query may hold a token, a link a login.
                        let shown = |u: &str| crate::conn::redact_url(u);
                        url = url.join(next).map_err(|e| {
                            Error::Source(format!(
                                "{}: the next link {:?}: {e}",
                                shown(url.as_str()),
                                shown(next)
                            ))
                        })?;
                        if base.scheme() == "https" && url.scheme() != "https" {
                            return Err(Error::Source(format!(
                                "{}: the next link {} would go from https to {}: refused",
                                shown(base.as_str()),
                                shown(url.as_str()),
                                url.scheme()
                            )));
                        }
                        query.clear();
                    }
                    _ => break,
                },
            }
        }
        Ok(())
    }

    async fn get_json(
        &self,
        src: &HttpSource,
        method: &str,
        to: To<'_>,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::Source(format!("`{method}` is not an HTTP method")))?;
        // The plan's headers and the base URL's login go to its origin alone (scheme, host
        // and port, as parsed): a next link elsewhere gets none of them (a token for one API
        // is no one else's business).
        let own = to.url.origin() == to.base.origin();
        let shown = crate::conn::redact_url(to.url.as_str());
        let shown = &shown;
        let attempt = || async {
            let mut rb = self
                .client
                .request(method.clone(), to.url.clone())
                .query(query);
            if own {
                rb = rb.headers(self.headers.clone());
                if let Some((user, password)) = to.login {
                    rb = rb.basic_auth(user, password.as_ref());
                }
            }
            if let Some(b) = body {
                rb = rb.json(b);
            }
            let resp = rb.send().await.map_err(|e| {
                let e = e.without_url();
                if e.is_timeout() || e.is_connect() {
                    Attempt::Retry(format!("{shown}: {e}"), None)
                } else {
                    Attempt::Fatal(format!("{shown}: {e}"))
                }
            })?;
            let status = resp.status();
            if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                // An hour's Retry-After is an outage, not a hiccup: fail now and say so.
                if let Some(wait) = after.filter(|w| *w > src.max_retry_wait) {
                    return Err(Attempt::Fatal(format!(
                        "{shown}: HTTP {status} asks to retry after {}, more than max_retry_wait {}",
                        crate::ttl::human(wait),
                        crate::ttl::human(src.max_retry_wait)
                    )));
                }
                return Err(Attempt::Retry(format!("{shown}: HTTP {status}"), after));
            }
            if status.is_redirection() {
                return Err(Attempt::Fatal(format!(
                    "{shown}: HTTP {status}: redirects are not followed (point base_url at where \
                     the API answers)"
                )));
            }
            if !status.is_success() {
                return Err(Attempt::Fatal(format!("{shown}: HTTP {status}")));
            }
            let body = read_capped(resp, src.max_body)
                .await
                .map_err(|e| Attempt::Fatal(format!("{shown}: {e}")))?;
            serde_json::from_slice::<Value>(&body)
                .map_err(|e| Attempt::Fatal(format!("{shown}: response is not JSON: {e}")))
        };
        // 100 ms doubling to 30 s, `retries` times; the server's Retry-After wins when it asks
        // for longer.
        let mut backoff = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(30),
            src.retries,
        );
        loop {
            match attempt().await {
                Ok(doc) => return Ok(doc),
                Err(Attempt::Fatal(m)) => return Err(Error::Source(m)),
                Err(Attempt::Retry(m, after)) => {
                    if self.stop.is_set() {
                        return Err(Error::Interrupted);
                    }
                    if !backoff.wait_at_least(&self.stop, after).await {
                        return Err(match self.stop.is_set() {
                            true => Error::Interrupted,
                            false => Error::Source(format!("{m} (after {} retries)", src.retries)),
                        });
                    }
                }
            }
        }
    }
}

/// A response body, refused past `max` bytes (as decompressed): a huge or gzip-bombed body
/// fails its request instead of growing memory.
async fn read_capped(
    mut resp: reqwest::Response,
    max: u64,
) -> std::result::Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(format!(
            "the response is larger than max_body ({max} bytes)"
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() as u64 + chunk.len() as u64 > max {
            return Err(format!(
                "the response is larger than max_body ({max} bytes)"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The items of a response: the array at `pointer` (or the document), one item for an object.
fn items(doc: &Value, pointer: Option<&str>, origin: &str) -> Result<Vec<Value>> {
    let at = match pointer {
        Some(p) => doc
            .pointer(p)
            .ok_or_else(|| Error::Source(format!("{origin}: nothing at JSON pointer `{p}`")))?,
        None => doc,
    };
    Ok(match at {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    })
}

/// Where a request goes: its URL, the base URL it is judged against, and the base URL's login.
#[derive(Clone, Copy)]
struct To<'a> {
    url: &'a reqwest::Url,
    base: &'a reqwest::Url,
    login: Option<&'a Login>,
}

/// A base URL's `user:password@`, sent as basic auth to its own origin only.
type Login = (String, Option<String>);

fn parse_url(text: &str) -> Result<reqwest::Url> {
    reqwest::Url::parse(text)
        .map_err(|e| Error::Source(format!("{}: not a URL: {e}", crate::conn::redact_url(text))))
}

/// The base URL without its login, and the login.
fn split_login(base: &str) -> Result<(String, Option<Login>)> {
    let mut url = parse_url(base)?;
    if url.username().is_empty() && url.password().is_none() {
        return Ok((base.to_string(), None));
    }
    let login = (
        percent_decode(url.username()),
        url.password().map(percent_decode),
    );
    let _ = url.set_username("");
    let _ = url.set_password(None);
    // Url adds a `/` to a bare origin; the base URL's own text is kept otherwise.
    let mut text = url.to_string();
    if !base.ends_with('/') && text.ends_with('/') && url.path() == "/" {
        text.pop();
    }
    Ok((text, Some(login)))
}

/// `%XX` escapes of a URL's login, undone.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the API at `base` answers at all (any status), for `warm --check`.
pub async fn reach(base: &str) -> Result<()> {
    if let Some(dir) = base.strip_prefix("file://") {
        return std::fs::metadata(dir)
            .map(|_| ())
            .map_err(|e| crate::Error::Io {
                context: dir.to_string(),
                error: e,
            });
    }
    crate::conn::install_crypto();
    reqwest::Client::new()
        .get(base)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let e = e.without_url();
            crate::Error::Source(format!("{}: {e}", crate::conn::redact_url(base)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_at_pointers() {
        let doc = serde_json::json!({"data": {"topics": ["a", "b"]}, "one": {"x": 1}});
        assert_eq!(items(&doc, Some("/data/topics"), "u").unwrap().len(), 2);
        assert_eq!(items(&doc, Some("/one"), "u").unwrap().len(), 1);
        assert!(items(&doc, Some("/nope"), "u").is_err());
    }

    #[test]
    fn a_login_is_taken_out_of_the_base_url() {
        let (base, login) = split_login("http://u%40x:p%3Aw@h:1/api/v1").unwrap();
        assert_eq!(base, "http://h:1/api/v1");
        assert_eq!(login, Some(("u@x".into(), Some("p:w".into()))));
        let (base, login) = split_login("http://h:1").unwrap();
        assert_eq!((base.as_str(), login), ("http://h:1", None));
        let (base, _) = split_login("https://u:p@h").unwrap();
        assert_eq!(base, "https://h");
    }

    #[test]
    fn next_links_resolve_as_a_browser_would() {
        let page = parse_url("http://h:1/api/v1/users?page=1").unwrap();
        let next = |n: &str| page.join(n).unwrap().to_string();
        assert_eq!(
            next("/api/v1/users?page=2"),
            "http://h:1/api/v1/users?page=2"
        );
        assert_eq!(next("?page=2"), "http://h:1/api/v1/users?page=2");
        // Never pasted after the origin: the host stays.
        assert_eq!(
            parse_url(&next("@evil.example/x")).unwrap().host_str(),
            Some("h")
        );
    }
}
