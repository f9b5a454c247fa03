//! What listens at an address, found by talking to it the way a client of each would: for the
//! error that says "you reached a web server" instead of "broken pipe".

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// Answers PING as a Redis server does (or refuses it as one: NOAUTH, ERR…).
    Redis,
    /// Answers plaintext with a TLS alert: a TLS port.
    Tls,
    /// Hangs up on a PING, or stays silent: not Redis, perhaps TLS.
    Silent,
    /// Something else, named.
    Other(String),
}

/// Connect to `host:port` and see what it is. `None` when nothing answers at all.
pub async fn identify(host: &str, port: u16, limit: Duration) -> Option<Found> {
    let mut stream = timeout(limit, TcpStream::connect((host, port)))
        .await
        .ok()?
        .ok()?;
    let mut buf = vec![0u8; 512];
    // Some servers speak first: MySQL and MariaDB greet, SSH and SMTP announce themselves.
    if let Ok(Ok(n)) = timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
        if n == 0 {
            return Some(Found::Silent);
        }
        return Some(named(&buf[..n]));
    }
    // Eight bytes, so that a PostgreSQL server reads a whole (absurd) startup header and says
    // so; Redis answers the PING and skips the empty line.
    stream.write_all(b"PING\r\n\r\n").await.ok()?;
    let found = match timeout(limit, stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => Found::Silent,
        Ok(Ok(n)) => answer(&buf[..n]),
        Err(_) => Found::Silent,
    };
    if found == Found::Silent && postgres(host, port, limit).await {
        return Some(Found::Other("a PostgreSQL server".into()));
    }
    Some(found)
}

/// Whether a PostgreSQL server listens: recent ones hang up on a PING without a word, but
/// answer the request to start TLS with one byte, `S` or `N`, as nothing else does.
async fn postgres(host: &str, port: u16, limit: Duration) -> bool {
    let Ok(Ok(mut stream)) = timeout(limit, TcpStream::connect((host, port))).await else {
        return false;
    };
    // SSLRequest: length 8, code 80877103.
    if stream
        .write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 2];
    matches!(
        timeout(limit, stream.read(&mut buf)).await,
        Ok(Ok(1)) if matches!(buf[0], b'S' | b'N')
    )
}

/// A server that spoke before being asked.
fn named(greeting: &[u8]) -> Found {
    let text = String::from_utf8_lossy(greeting);
    if greeting.len() > 5 && greeting[4] == 10 {
        // A MySQL protocol-10 handshake: 3 bytes length, sequence 0, then version 10.
        // The bytes after the header, decoded on their own: the greeting is the server's, and
        // a byte offset into its lossy decoding may fall inside a replacement character.
        let rest = String::from_utf8_lossy(&greeting[5..]);
        let version: String = (rest.chars())
            .take_while(|c| *c != '\0')
            .take(40)
            .filter(|c| !c.is_control())
            .collect();
        return Found::Other(format!("a MySQL/MariaDB server ({version})"));
    }
    if text.starts_with("SSH-") {
        return Found::Other("an SSH server".into());
    }
    if text.starts_with("220") {
        return Found::Other("an SMTP or FTP server".into());
    }
    Found::Other(format!("a server that greets with {:?}", brief(&text)))
}

/// A server's reply to `PING\r\n`.
fn answer(reply: &[u8]) -> Found {
    let text = String::from_utf8_lossy(reply);
    if reply.first() == Some(&0x15) && reply.get(1) == Some(&0x03) {
        return Found::Tls;
    }
    if text.starts_with("+PONG")
        || text.starts_with("-NOAUTH")
        || text.starts_with("-ERR")
        || text.starts_with("-DENIED")
        || text.starts_with("-WRONGPASS")
        || text.starts_with("-NOPERM")
    {
        return Found::Redis;
    }
    let lower = text.to_ascii_lowercase();
    if text.starts_with("HTTP/")
        || lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
    {
        return Found::Other("an HTTP server".into());
    }
    if reply.first() == Some(&b'E') && text.contains("FATAL") {
        return Found::Other("a PostgreSQL server".into());
    }
    Found::Other(format!(
        "a server that answers PING with {:?}",
        brief(&text)
    ))
}

fn brief(text: &str) -> String {
    text.chars().take(40).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_told_apart() {
        assert_eq!(answer(b"+PONG\r\n"), Found::Redis);
        assert_eq!(
            answer(b"-NOAUTH Authentication required.\r\n"),
            Found::Redis
        );
        assert_eq!(answer(&[0x15, 0x03, 0x03, 0x00, 0x02]), Found::Tls);
        assert_eq!(
            answer(b"HTTP/1.1 400 Bad Request\r\n"),
            Found::Other("an HTTP server".into())
        );
        // Any bytes a server sends are told apart without a panic.
        for n in 0..300 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + n * 11) as u8 ^ 0xA5).collect();
            let _ = named(&bytes);
            let _ = answer(&bytes);
            let mut mysql = vec![0x4a, 0, 0, 0, 10];
            mysql.extend(&bytes);
            let _ = named(&mysql);
        }
        assert!(matches!(
            named(b"\xff\xff\xff\xff\x0a\xc3\x28\xff\x00"),
            Found::Other(_)
        ));
        let greeting = b"\x4a\x00\x00\x00\x0a10.11.6-MariaDB\x00rest";
        assert_eq!(
            named(greeting),
            Found::Other("a MySQL/MariaDB server (10.11.6-MariaDB)".into())
        );
    }
}
