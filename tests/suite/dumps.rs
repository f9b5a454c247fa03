//! Offline analysis agrees with what a real server does with the same dump (#19): each dump
//! here is written byte by byte, loaded by a real server (Redis 7.0, or Valkey 8.1 under
//! `CACHECTL_TEST_SERVER`) for the truth, and read by
//! `inspect --rdb`. Dumps carry no checksum (as `rdbchecksum no` writes them), so only the
//! structure can tell damage.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, cachectl, free_port, json_of};

/// No server: offline commands must not need one.
const NO_SERVER: &str = "redis://127.0.0.1:1";

fn s(b: &[u8]) -> Vec<u8> {
    assert!(b.len() < 64);
    let mut v = vec![b.len() as u8];
    v.extend_from_slice(b);
    v
}

/// A dump of `body` (records after the header), with RDB `version`, ended without a checksum.
fn dump(version: &str, body: &[u8]) -> Vec<u8> {
    let mut d = format!("REDIS{version}").into_bytes();
    d.extend(b"\xfa");
    d.extend(s(b"redis-ver"));
    d.extend(s(b"7.0.15"));
    d.extend(b"\xfe\x00");
    d.extend(body);
    d.push(0xFF);
    d.extend([0u8; 8]);
    d
}

/// A key record: type, name, value bytes.
fn key(ty: u8, name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = vec![ty];
    v.extend(s(name));
    v.extend(value);
    v
}

/// A ziplist of short strings; `bad_prev` spoils the second entry's back-length.
fn ziplist(entries: &[&[u8]], bad_prev: bool) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut tail) = (0usize, 10usize);
    for (i, e) in entries.iter().enumerate() {
        tail = 10 + body.len();
        let start = body.len();
        body.push(if bad_prev && i == 1 { 9 } else { prev as u8 });
        body.push(e.len() as u8);
        body.extend_from_slice(e);
        prev = body.len() - start;
    }
    let mut b = ((10 + body.len() + 1) as u32).to_le_bytes().to_vec();
    b.extend((tail as u32).to_le_bytes());
    b.extend((entries.len() as u16).to_le_bytes());
    b.extend(body);
    b.push(0xFF);
    b
}

fn listpack(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in entries {
        body.push(0x80 | e.len() as u8);
        body.extend_from_slice(e);
        body.push(1 + e.len() as u8);
    }
    let mut b = ((7 + body.len()) as u32).to_le_bytes().to_vec();
    b.extend((entries.len() as u16).to_le_bytes());
    b.extend(body);
    b.push(0xFF);
    b
}

/// What a real server makes of `bytes`: its key count once loaded, or the log line saying
/// why it would not load them.
fn server_loads(bytes: &[u8]) -> Result<u64, String> {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("d.rdb"), bytes).unwrap();
    let port = free_port();
    let log = dir.path().join("log.txt");
    // The suite's server, or another (Valkey) named as the rest of the suite names it.
    let binary = std::env::var("CACHECTL_TEST_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "redis-server".into());
    let mut child = Command::new(binary)
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .args(["--dbfilename", "d.rdb", "--logfile"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server");
    let deadline = Instant::now() + Duration::from_secs(20);
    let result = loop {
        if child.try_wait().unwrap().is_some() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            break Err(text);
        }
        if let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            && let Ok(mut c) = client.get_connection()
            && let Ok(n) = redis::cmd("DBSIZE").query::<u64>(&mut c)
        {
            break Ok(n);
        }
        assert!(
            Instant::now() < deadline,
            "the server neither loaded nor refused"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// `inspect --rdb` over `bytes` written to `dir/name`: exit code and JSON report.
fn inspect(dir: &Path, name: &str, bytes: &[u8]) -> (Option<i32>, serde_json::Value) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    inspect_files(&[path])
}

fn inspect_files(paths: &[PathBuf]) -> (Option<i32>, serde_json::Value) {
    let mut cmd = cachectl(NO_SERVER);
    cmd.args(["inspect", "-o", "json"]);
    for p in paths {
        cmd.arg("--rdb").arg(p);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), json_of(&out))
}

#[test]
fn damaged_compact_encodings_are_refused_as_the_server_refuses_them() {
    let dir = tempfile::TempDir::new().unwrap();
    let good_hash = ziplist(&[b"f", b"1", b"g", b"2"], false);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad-prevlen",
            key(13, b"h", &s(&ziplist(&[b"f", b"1", b"g", b"2"], true))),
            "ziplist",
        ),
        (
            "dup-field",
            key(13, b"h", &s(&ziplist(&[b"f", b"1", b"f", b"2"], false))),
            "twice",
        ),
        (
            // A zipmap whose entry runs past its end.
            "zipmap-overrun",
            key(9, b"z", &s(&[1, 1, b'a', 30, 0, b'x', 0xFF])),
            "zipmap",
        ),
        (
            "intset-size",
            key(11, b"i", &s(&[2, 0, 0, 0, 3, 0, 0, 0, 5, 0])),
            "intset",
        ),
        // Empty, an intset is damage rather than an empty key.
        (
            "intset-empty",
            key(11, b"i", &s(&[2, 0, 0, 0, 0, 0, 0, 0])),
            "intset",
        ),
        (
            "listpack-size",
            key(
                16,
                b"l",
                &s(&{
                    let mut lp = listpack(&[b"f", b"v"]);
                    lp[0] += 1;
                    lp
                }),
            ),
            "listpack",
        ),
    ];
    for (name, body, word) in cases {
        let bytes = dump("0010", &body);
        assert!(
            server_loads(&bytes).is_err(),
            "{name}: the server loads it, so must we"
        );
        let (code, doc) = inspect(dir.path(), &format!("{name}.rdb"), &bytes);
        assert_eq!(code, Some(1), "{name}: {doc}");
        assert_eq!(doc["complete"], false, "{name}");
        let said = doc["error"]["error"].as_str().unwrap_or_default();
        assert!(
            said.contains(word) && said.contains("at byte"),
            "{name}: {said}"
        );
        assert_eq!(
            doc["error"]["node"]
                .as_str()
                .map(|n| n.ends_with(&format!("{name}.rdb"))),
            Some(true)
        );
        assert!(
            !said.contains(".rdb"),
            "{name}: the file named twice: {said}"
        );
    }
    // The same value whole: loaded by the server, read by us, and the missing checksum said.
    let bytes = dump("0010", &key(13, b"h", &s(&good_hash)));
    assert_eq!(server_loads(&bytes), Ok(1));
    let (code, doc) = inspect(dir.path(), "good.rdb", &bytes);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["total"]["keys"], 1);
    assert_eq!(doc["dumps"][0]["checksum"], "absent");
}

#[test]
fn empty_collections_are_skipped_as_the_server_skips_them() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut body = Vec::new();
    body.extend(key(2, b"empty-set", &[0]));
    body.extend(key(1, b"empty-list", &[0]));
    body.extend(key(16, b"empty-hash-lp", &s(&listpack(&[]))));
    body.extend(key(17, b"empty-zset-lp", &s(&listpack(&[]))));
    body.extend(key(13, b"empty-hash-zl", &s(&ziplist(&[], false))));
    // A quicklist whose one node is empty.
    let mut ql = vec![1, 2];
    ql.extend(s(&listpack(&[])));
    body.extend(key(18, b"empty-quicklist", &ql));
    body.extend(key(0, b"s", &s(b"v")));
    body.extend(key(16, b"h", &s(&listpack(&[b"f", b"v"]))));
    let bytes = dump("0010", &body);
    let truth = server_loads(&bytes).expect("the server loads it");
    let (code, doc) = inspect(dir.path(), "empty.rdb", &bytes);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["total"]["keys"], truth, "{doc}");
    assert_eq!(doc["dumps"][0]["empty_skipped"], 6, "{doc}");
}

#[test]
fn the_early_function_format_is_read_as_the_server_reads_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let code = b"redis.register_function('f', function() return 1 end)";
    // The function record comes before the first database.
    let mut bytes = b"REDIS0010".to_vec();
    bytes.push(0xF6);
    bytes.extend(s(b"mylib"));
    bytes.extend(s(b"LUA"));
    bytes.push(1);
    bytes.extend(s(b"a description"));
    bytes.extend(s(code));
    bytes.extend(b"\xfe\x00");
    bytes.extend(key(0, b"k", &s(b"v")));
    bytes.push(0xFF);
    bytes.extend([0u8; 8]);
    // Redis 7.0 loads it; Valkey 8.1 refuses the format outright (and says so), so the dump
    // is read as the server of its own header, Redis, reads it.
    match server_loads(&bytes) {
        Ok(keys) => assert_eq!(keys, 1),
        Err(log) => assert!(log.contains("Pre-release function format"), "{log}"),
    }
    let (code, doc) = inspect(dir.path(), "f.rdb", &bytes);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["total"]["keys"], 1);
    assert_eq!(doc["dumps"][0]["functions"], 1);
}

#[test]
fn one_bad_file_does_not_hide_the_good_ones() {
    let dir = tempfile::TempDir::new().unwrap();
    let empty = dir.path().join("empty.rdb");
    std::fs::write(&empty, b"").unwrap();
    let good = dir.path().join("good.rdb");
    std::fs::write(&good, dump("0010", &key(0, b"k", &s(b"v")))).unwrap();
    let (code, doc) = inspect_files(&[empty.clone(), good.clone()]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["total"]["keys"], 1, "the good file's key: {doc}");
    assert_eq!(doc["error"]["node"], empty.display().to_string());
    assert!(
        doc["error"]["error"]
            .as_str()
            .unwrap()
            .contains("too short")
    );
    // A directory: the OS's own words, not "too short".
    let (code, doc) = inspect_files(&[dir.path().to_path_buf(), good]);
    assert_eq!(code, Some(1));
    assert!(
        doc["error"]["error"]
            .as_str()
            .unwrap()
            .contains("directory"),
        "{doc}"
    );
    assert_eq!(doc["total"]["keys"], 1);
}

#[test]
fn the_header_decides_what_it_can() {
    let dir = tempfile::TempDir::new().unwrap();
    for (magic, word) in [
        ("REDIS0099", "newer"),
        ("VALKEY081", "newer"),
        ("REDIS0000", "does not exist"),
        ("VALKEY011", "does not exist"),
    ] {
        let mut bytes = magic.as_bytes().to_vec();
        bytes.extend(key(30, b"k", &s(b"v")));
        let (code, doc) = inspect(dir.path(), "h.rdb", &bytes);
        assert_eq!(code, Some(1), "{magic}");
        let said = doc["error"]["error"].as_str().unwrap();
        assert!(
            said.starts_with("at byte 9:") && said.contains(word),
            "{magic}: {said}"
        );
    }
}

#[test]
fn a_key_expiring_at_the_moment_asked_is_still_there() {
    let dir = tempfile::TempDir::new().unwrap();
    let at_ms: i64 = 1_900_000_000_000;
    let mut body = vec![0xFC];
    body.extend(at_ms.to_le_bytes());
    body.extend(key(0, b"edge", &s(b"v")));
    let mut before = vec![0xFC];
    before.extend((at_ms - 1).to_le_bytes());
    before.extend(key(0, b"gone", &s(b"v")));
    body.extend(before);
    let path = dir.path().join("e.rdb");
    std::fs::write(&path, dump("0010", &body)).unwrap();
    let doc = cachectl(NO_SERVER)
        .args([
            "inspect",
            "-o",
            "json",
            "--at",
            "2030-03-17T17:46:40Z",
            "--rdb",
        ])
        .arg(&path)
        .json();
    assert_eq!(doc["total"]["keys"], 1, "{doc}");
    assert_eq!(doc["dumps"][0]["expired"], 1, "{doc}");
}
