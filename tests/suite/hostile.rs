//! Hostile input never panics, never exhausts memory, never hangs (#18.15-17): the backup
//! reader, the dump reader over a real server's dump, the endpoint probe against a real socket
//! that answers garbage, and every duration parser, each fed damage of every kind.

use crate::support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use cachectl::backup::{Header, Reader, Record, Writer};
use support::{Redis, cachectl};

/// A small xorshift: the same damage on every run, so a failure reproduces.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `good` with one kind of damage: bytes changed, cut short, junk spliced in, or a length
    /// field set to its largest value.
    fn damage(&mut self, good: &[u8], keep: usize) -> Vec<u8> {
        let mut b = good.to_vec();
        let at = keep + self.below(b.len() - keep);
        match self.next() % 4 {
            0 => {
                for _ in 0..1 + self.next() % 4 {
                    let i = keep + self.below(b.len() - keep);
                    b[i] = self.next() as u8;
                }
            }
            1 => b.truncate(at),
            2 => {
                let junk: Vec<u8> = (0..1 + self.next() % 32)
                    .map(|_| self.next() as u8)
                    .collect();
                b.splice(at..at, junk);
            }
            _ => {
                let end = (at + 4).min(b.len());
                b[at..end].fill(0xff);
            }
        }
        b
    }
}

fn backup_bytes(dir: &Path) -> Vec<u8> {
    let path = dir.join("good.cbk");
    let header = Header {
        format: 1,
        created: "2026-12-03T00:00:00Z".into(),
        source: "127.0.0.1:6379".into(),
        server_version: Some("7.0.15".into()),
        command: "backup".into(),
        reason: "k:*".into(),
        tool: "cachectl test".into(),
    };
    let mut w = Writer::create(&path, &header).unwrap();
    for batch in 0..4u8 {
        let records: Vec<Record> = (0..20u8)
            .map(|i| Record {
                key: format!("k:{batch}:{i}").into_bytes(),
                expires_at_ms: (i % 2 == 0).then_some(1_900_000_000_000),
                payload: vec![batch ^ i; 40 + i as usize],
            })
            .collect();
        w.append(&records).unwrap();
    }
    w.finish(None).unwrap();
    std::fs::read(&path).unwrap()
}

/// Every record a reader hands out, or its error; the records are counted so a damaged file
/// can never yield more keys than the good one holds.
fn read_backup(bytes: Vec<u8>) -> (u64, bool) {
    let Ok(mut r) = Reader::new(std::io::Cursor::new(bytes), "fuzz") else {
        return (0, false);
    };
    let mut n = 0;
    loop {
        match r.next_batch() {
            Ok(Some(b)) => n += b.len() as u64,
            Ok(None) => return (n, true),
            Err(_) => return (n, false),
        }
    }
}

#[test]
fn the_backup_reader_survives_any_damage() {
    let dir = tempfile::TempDir::new().unwrap();
    let good = backup_bytes(dir.path());
    assert_eq!(read_backup(good.clone()), (80, true));
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut whole = 0;
    for _ in 0..5_000 {
        let bad = noise.damage(&good, 0);
        let (n, ended) = read_backup(bad);
        assert!(n <= 80, "a damaged file gave {n} keys");
        whole += u32::from(ended && n == 80);
    }
    // zstd's checksum catches every change inside a frame: only damage that leaves the frames
    // as they were (none here) may read whole.
    assert!(whole < 50, "{whole} damaged files read as whole");
}

/// Where a good backup's header frame ends: the magic line, then one zstd frame.
fn header_end(good: &[u8]) -> usize {
    let magic = b"cachectl backup 1\n".len();
    let mut cur = std::io::Cursor::new(&good[magic..]);
    let mut dec = zstd::stream::read::Decoder::with_buffer(&mut cur)
        .unwrap()
        .single_frame();
    std::io::copy(&mut dec, &mut std::io::sink()).unwrap();
    drop(dec);
    magic + cur.position() as usize
}

/// A frame that is valid zstd but claims a 4 GiB key: refused, not allocated.
#[test]
fn a_backup_record_claiming_gigabytes_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let good = backup_bytes(dir.path());
    // The magic line and header frame, then a frame of our own.
    let header_end = header_end(&good);
    let mut frame = Vec::new();
    {
        let mut enc = zstd::stream::Encoder::new(&mut frame, 3).unwrap();
        enc.write_all(&[0x01]).unwrap();
        enc.write_all(&u32::MAX.to_le_bytes()).unwrap();
        enc.write_all(b"short").unwrap();
        enc.finish().unwrap();
    }
    let mut bytes = good[..header_end].to_vec();
    bytes.extend(frame);
    let mut r = Reader::new(std::io::Cursor::new(bytes), "x").unwrap();
    let err = r.next_batch().unwrap_err().to_string();
    assert!(err.contains("claims") || err.contains("cut short"), "{err}");
}

/// #29.3: a small crafted backup (one zstd frame of 2,000 records with 600 KB keys, 1.2 GB
/// once decompressed) makes `restore --dry-run` hold what a frame may hold and no more: the
/// frame past 64 MiB is refused as damage, memory stays far below 300 MB, nothing is written.
#[test]
fn a_crafted_backup_frame_is_refused_before_it_is_held() {
    let r = Redis::start();
    let dir = tempfile::TempDir::new().unwrap();
    let good = backup_bytes(dir.path());
    let header_end = header_end(&good);
    let mut frame = Vec::new();
    {
        let mut enc = zstd::stream::Encoder::new(&mut frame, 19).unwrap();
        let key = vec![b'k'; 600_000];
        for i in 0..2000u32 {
            enc.write_all(&[0x01]).unwrap();
            enc.write_all(&(key.len() as u32 + 4).to_le_bytes())
                .unwrap();
            enc.write_all(&key).unwrap();
            enc.write_all(&i.to_le_bytes()).unwrap();
            enc.write_all(&(-1i64).to_le_bytes()).unwrap();
            enc.write_all(&1u32.to_le_bytes()).unwrap();
            enc.write_all(b"v").unwrap();
        }
        enc.finish().unwrap();
    }
    assert!(
        frame.len() < 1 << 20,
        "the crafted file is small: {}",
        frame.len()
    );
    let mut bytes = good[..header_end].to_vec();
    bytes.extend(frame);
    let file = dir.path().join("crafted.cbk");
    std::fs::write(&file, &bytes).unwrap();
    let (out, peak) =
        support::peak_kib(&r.url(), &["restore", file.to_str().unwrap(), "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("frame"), "{err}");
    assert!(peak < 300 << 10, "peak RSS {peak} KiB: {err}");
    assert_eq!(support::dbsize(&mut r.conn()), 0);
}

#[test]
fn the_dump_reader_survives_damage_to_a_real_dump() {
    let r = Redis::start();
    let mut c = r.conn();
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET").arg(format!("s:{i}")).arg(i).ignore();
        pipe.cmd("HSET")
            .arg(format!("h:{i}"))
            .arg("f")
            .arg("v")
            .ignore();
        pipe.cmd("RPUSH")
            .arg(format!("l:{i}"))
            .arg("a")
            .arg("b")
            .ignore();
        pipe.cmd("SADD")
            .arg(format!("set:{i}"))
            .arg(1)
            .arg(2)
            .ignore();
        pipe.cmd("ZADD")
            .arg(format!("z:{i}"))
            .arg(1)
            .arg("m")
            .ignore();
        pipe.cmd("EXPIRE").arg(format!("s:{i}")).arg(600).ignore();
    }
    pipe.cmd("SET").arg("big").arg("x".repeat(100_000)).ignore();
    pipe.exec(&mut c).unwrap();
    redis::cmd("SAVE").exec(&mut c).unwrap();
    let good = std::fs::read(r.dir().join("dump.rdb")).unwrap();
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    for _ in 0..3_000 {
        let bad = noise.damage(&good, 9);
        let result = std::panic::catch_unwind(|| {
            let Ok(mut rdb) =
                cachectl::rdb::Rdb::from_reader("fuzz", Box::new(std::io::Cursor::new(bad)))
            else {
                return;
            };
            let mut n = 0u64;
            while let Ok(Some(_)) = rdb.next_entry() {
                n += 1;
                assert!(n < 10_000, "more entries than the dump holds");
            }
        });
        assert!(result.is_ok(), "the dump reader panicked");
    }
}

/// A server that answers any connection with `reply` and hangs up.
fn garbage_server(reply: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut s = s;
            let _ = s.write_all(&reply);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    port
}

#[test]
fn the_endpoint_probe_survives_any_greeting() {
    let mut noise = Noise(0xdead_beef_cafe_f00d);
    let mut replies: Vec<Vec<u8>> = vec![
        b"\xff\xff\xff\xff\x0a\xc3\x28\xff\x00".to_vec(),
        b"\x4a\x00\x00\x00\x0a\xe2\x82".to_vec(),
        b"HTTP/1.1 200 \xf0\x9f\r\n".to_vec(),
        b"-ERR \xc3".to_vec(),
        vec![0x15, 0x03],
        Vec::new(),
    ];
    for n in [1, 7, 64, 300] {
        replies.push((0..n).map(|_| noise.next() as u8).collect());
    }
    for reply in replies {
        let port = garbage_server(reply.clone());
        let out = cachectl(&format!("redis://127.0.0.1:{port}"))
            .args(["--timeout", "2s", "get", "x"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            code.is_some_and(|c| c != 0 && c != 101),
            "greeting {reply:?}: exit {code:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn duration_parsers_are_bounded_and_never_panic() {
    let mut noise = Noise(0x1234_5678_9abc_def1);
    let mut inputs: Vec<String> = [
        "",
        " ",
        "0",
        "0s",
        "-1s",
        "1e300",
        "1e-300",
        "NaN",
        "inf",
        "584942416y",
        "300000000000y",
        "18446744073709551615",
        "18446744073709551616s",
        "1h1h",
        "٣s",
        "1 h",
        "1hh",
        "9999999999999999999999d",
        "1ns",
        "\u{0}",
        "1s\u{202e}",
    ]
    .map(String::from)
    .to_vec();
    let alphabet = b"0123456789smhdyw.e- nu";
    for _ in 0..2_000 {
        let len = 1 + noise.below(12);
        inputs.push(
            (0..len)
                .map(|_| alphabet[noise.below(alphabet.len())] as char)
                .collect(),
        );
    }
    let year = Duration::from_secs(365 * 86_400 + 86_400);
    for s in &inputs {
        if let Ok(d) = cachectl::ttl::parse_duration(s) {
            assert!(!d.is_zero() && d <= year, "`{s}` → {d:?}");
        }
        if let Ok(secs) = cachectl::ttl::parse_seconds(s) {
            assert!(secs > 0, "`{s}` → {secs}");
        }
    }
    // The same words in a plan's HTTP timeout: an error naming the field, or a bounded value.
    for s in ["0", "0s", "1e300", "584942416y", "-5", "1e-300", "NaN"] {
        let text = format!(
            "sources:\n  api:\n    http:\n      base_url: http://127.0.0.1:1\n      timeout: {s}\n\
             steps:\n  - name: s\n    source: api\n    request: {{ path: /x }}\n    key: k\n    value: collect\n    ttl: 60\n"
        );
        let parsed = std::panic::catch_unwind(|| {
            cachectl::warm::plan::WarmPlan::parse(&text, Path::new("p.yaml"), &|_| None).map(|_| ())
        });
        let parsed = parsed.unwrap_or_else(|_| panic!("timeout `{s}` panicked"));
        assert!(parsed.is_err(), "timeout `{s}` was accepted");
    }
}

/// #29.3: a plan's batch size is bounded before anything is allocated for it, and a usage
/// error under `-o json` into a closed pipe ends with its exit code, not a panic.
#[test]
fn a_huge_batch_and_a_closed_pipe_end_with_an_error_not_a_panic() {
    let r = Redis::start();
    let plan = r.dir().join("batch.yaml");
    std::fs::write(
        &plan,
        "sources:\n  db:\n    url: sqlite:///nonexistent/x.db\n\
         steps:\n  - name: s\n    source: db\n    query: SELECT 1 AS id\n    key: \"k:{id}\"\n    ttl: 60\n    batch: 18446744073709551615\n",
    )
    .unwrap();
    cachectl(&r.url())
        .arg("warm")
        .arg(&plan)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "batch: 18446744073709551615 is more than",
        ));
    let bin = assert_cmd::cargo::cargo_bin("cachectl");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' -o json get --nosuchflag | true; echo \"rc=${{PIPESTATUS[0]}}\"",
            bin.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("rc=2"), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A peer that speaks RESP for the handshake and the small questions; `hostile` answers the
/// command it is given (upper-cased) on the connection, or says `false` to let the small answers
/// do.
fn fake_peer(hostile: impl Fn(&str, &mut TcpStream) -> bool + Send + Sync + 'static) -> u16 {
    use std::io::{BufRead, BufReader, Read};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hostile = std::sync::Arc::new(hostile);
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let hostile = hostile.clone();
            std::thread::spawn(move || {
                let mut out = s.try_clone().unwrap();
                let mut rd = BufReader::new(s);
                loop {
                    // One command: `*N`, then N `$len` + bytes.
                    let mut line = String::new();
                    if rd.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = line.trim().trim_start_matches('*').parse().unwrap_or(0);
                    let mut args = Vec::new();
                    for _ in 0..n {
                        line.clear();
                        let _ = rd.read_line(&mut line);
                        let len: usize = line.trim().trim_start_matches('$').parse().unwrap_or(0);
                        let mut arg = vec![0; len + 2];
                        let _ = rd.read_exact(&mut arg);
                        arg.truncate(len);
                        args.push(String::from_utf8_lossy(&arg).to_uppercase());
                    }
                    let name = args.first().cloned().unwrap_or_default();
                    if hostile(&name, &mut out) {
                        return;
                    }
                    let reply: &[u8] = match name.as_str() {
                        "PING" => b"+PONG\r\n",
                        "TYPE" => b"+string\r\n",
                        "PTTL" | "PEXPIRETIME" => b":-1\r\n",
                        "STRLEN" => b":5\r\n",
                        "DBSIZE" => b":10\r\n",
                        "INFO" => b"$44\r\n# Server\r\nredis_version:7.2.4\r\nrole:master\r\n\r\n",
                        "CLIENT" | "SELECT" | "AUTH" => b"+OK\r\n",
                        _ => b"-ERR unknown command\r\n",
                    };
                    if out.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A peer that answers the one command `hostile` names with a claim it then streams, up to
/// 1.5 GB (a reader that believes the claim holds that much; the bounded one stops at the
/// header).
fn claiming_server(hostile: &'static str, claim: &'static [u8], element: &'static [u8]) -> u16 {
    fake_peer(move |name, out| {
        if name != hostile {
            return false;
        }
        let _ = out.write_all(claim);
        let chunk = element.repeat((1 << 20) / element.len());
        for _ in 0..1500 {
            if out.write_all(&chunk).is_err() {
                return true;
            }
        }
        std::thread::sleep(Duration::from_secs(60));
        true
    })
}

/// #29.3: a peer's claimed lengths decide nothing we allocate. A bulk string of 5 GB, a SCAN
/// page of 4e9 keys, an INFO reply that never ends: each refused at its header, the command
/// ends non-zero within its timeout, and memory stays far below 300 MB.
#[test]
fn a_peer_claiming_huge_replies_is_refused_at_the_claim() {
    /// The command answered with a claim, the claim, what then streams, and what is run.
    type Case<'a> = (&'a str, &'a [u8], &'a [u8], &'a [&'a str]);
    let cases: [Case; 3] = [
        ("GET", b"$5000000000\r\n", b"a", &["get", "k"]),
        (
            "SCAN",
            b"*2\r\n$1\r\n0\r\n*4000000000\r\n",
            b"$1\r\na\r\n",
            &["inspect", "--pattern", "*"],
        ),
        ("INFO", b"$3000000000\r\n", b"x", &["ttl-audit", "--quick"]),
    ];
    for (command, claim, element, args) in cases {
        let port = claiming_server(command, claim, element);
        let mut all = vec!["--timeout", "5s"];
        all.extend_from_slice(args);
        let (out, peak) = support::peak_kib(&format!("redis://127.0.0.1:{port}"), &all);
        let (code, err) = (out.status.code(), String::from_utf8_lossy(&out.stderr));
        assert!(
            code.is_some_and(|c| c != 0 && c < 100),
            "{command}: exit {code:?}, {err}"
        );
        assert!(peak < 300 << 10, "{command}: peak RSS {peak} KiB\n{err}");
        assert!(err.contains("bound"), "{command}: {err}");
    }
}

/// #29.3: every job hears a signal within a second, also while a reply has stopped halfway
/// (a stalled peer, or a hostile one): Ctrl-C ends it as interrupted (130), not at the end of
/// its 60 s timeout.
#[test]
fn a_signal_is_heard_while_a_reply_stalls() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cases: [(&str, &[u8], &[&str]); 4] = [
        ("GET", b"$100\r\nhalf", &["get", "k"]),
        ("ACL", b"$100\r\nhalf", &["doctor"]),
        (
            "SCAN",
            b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n",
            &["inspect", "--pattern", "*"],
        ),
        ("INFO", b"$500\r\n# Keyspace\r\n", &["ttl-audit", "--quick"]),
    ];
    for (command, half, args) in cases {
        let stalled = Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        let port = fake_peer(move |name, out| {
            if name != command {
                return false;
            }
            let _ = out.write_all(half);
            flag.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(60));
            true
        });
        let mut all = vec!["--timeout", "60s"];
        all.extend_from_slice(args);
        let started = std::time::Instant::now();
        let out = support::signalled_when(
            &format!("redis://127.0.0.1:{port}"),
            &all,
            || stalled.load(Ordering::SeqCst),
            libc::SIGINT,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            stalled.load(Ordering::SeqCst),
            "{command}: never asked\n{err}"
        );
        assert_eq!(out.status.code(), Some(130), "{command}: {err}");
        // Far below the 60 s the reply would stall and the timeout would wait: the bound is
        // that the signal is heard, not a measure of speed.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{command}: {:?}",
            started.elapsed()
        );
    }
}

/// #29.3: `--max-bytes` holds for a collection's elements too. Twelve 8 MB elements in a
/// list, a hash and a sorted set (96 MB) are more than one reply may carry and more than should be
/// held: each is read an element at a time, cut as it arrives, and shown, exit 0, with memory
/// far below 300 MB. (A set's members can only be walked by SSCAN, whose page is a hashtable
/// bucket: its members are 4 MB here, so that no bucket's page passes the reply bound.)
#[test]
fn large_collection_elements_are_cut_to_max_bytes_as_they_are_read() {
    let r = Redis::start();
    let mut c = r.conn();
    for i in 0..12u8 {
        let big = vec![b'a' + i; 8 << 20];
        let member = vec![b'a' + i; 4 << 20];
        let _: () = redis::pipe()
            .cmd("RPUSH")
            .arg("l")
            .arg(&big)
            .cmd("HSET")
            .arg("h")
            .arg(format!("f{i}"))
            .arg(&big)
            .cmd("SADD")
            .arg("s")
            .arg(&member)
            .cmd("ZADD")
            .arg("z")
            .arg(i)
            .arg(&big)
            .query(&mut c)
            .unwrap();
    }
    for key in ["l", "h", "s", "z"] {
        let (out, peak) = support::peak_kib(
            &r.url(),
            // The bound is memory, not time: a loaded machine may take its time.
            &[
                "--timeout",
                "60s",
                "-o",
                "json",
                "get",
                key,
                "--max-bytes",
                "1KiB",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{key}: {err}");
        assert!(peak < 300 << 10, "{key}: peak RSS {peak} KiB");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let kv = &doc["keys"][0];
        assert_eq!(kv["length"], 12, "{key}");
        assert_eq!(kv["truncated"], false, "{key}");
        let cut = kv["elements_cut"].as_u64().unwrap();
        let text = kv["value"].to_string();
        assert!(text.len() < 64 << 10, "{key}: {} bytes of JSON", text.len());
        match key {
            "h" => {
                assert_eq!(cut, 12, "{key}");
                assert_eq!(kv["value"]["f3"].as_str().unwrap(), "d".repeat(1024));
            }
            "z" => {
                assert_eq!(cut, 12);
                assert_eq!(kv["value"][3]["member"].as_str().unwrap(), "d".repeat(1024));
                assert_eq!(kv["value"][3]["score"], 3.0);
            }
            _ => assert_eq!(cut, 12, "{key}"),
        }
    }
    // The default, 1 MiB an element, as a table: still bounded, still said.
    let (out, peak) = support::peak_kib(&r.url(), &["--timeout", "60s", "get", "l"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(peak < 300 << 10, "peak RSS {peak} KiB");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("12 element(s) longer than --max-bytes"),
        "{shown:.300}"
    );
}
