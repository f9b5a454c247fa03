"""Shared parts of the benchmarks: throwaway servers, fast loading, a latency bystander.

Run by hand through bench/run; nothing here is a test and nothing asserts a time.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
CACHECTL = ROOT / "target" / "release" / "cachectl"


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if 20000 <= port < 50000 and port_free(port + 10000):
            return port


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


# On two cores the server gets one to itself and every client shares the other, the same for
# every contender: without this, run-to-run noise on a shared VM is larger than the
# differences being measured.
SERVER_CPU = ["taskset", "-c", "0"]
CLIENT_CPU = ["taskset", "-c", "1"]
# The bystander shares the clients' core with the contender, and what it should feel is the
# server's delay, not the scheduler's: a contender busy on that core would otherwise show up
# as server latency. Real-time priority (root only) lets it run the moment its reply arrives.
BYSTANDER_PRIO = ["chrt", "-f", "50"] if os.geteuid() == 0 and shutil.which("chrt") else []


# BENCH_SERVER=path/to/valkey-server runs the same benchmark against another server.
SERVER_BINARY = os.environ.get("BENCH_SERVER") or "redis-server"


class Server:
    """A redis-server of our own: no persistence, temp dir, killed at exit."""

    def __init__(self, *extra, pinned=True):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cachectl-bench-")
        self.proc = subprocess.Popen(
            (SERVER_CPU if pinned else []) + [SERVER_BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            if cli(self.port, "PING").strip() == "PONG":
                return
            time.sleep(0.01)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True).stdout


def resp(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        if isinstance(p, str):
            p = p.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)


def keyspace(total=1_000_000, matching=200_000):
    """The blog keyspace: `matching` keys under user_*, the rest in other families."""
    for i in range(matching):
        yield f"user_{i // 4}_posts:page_{i % 4 + 1}"
    others = ("post_cache:{}", "profile:{}", "session:{}", "ratelimit:{}")
    for i in range(total - matching):
        yield others[i % 4].format(i)


VALUE = b'{"id":1,"title":"hello","views":42}'


def pipe_file(name, keys, ttl=3600):
    """A `redis-cli --pipe` input file with SET key value EX ttl for each key (cached)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    if not path.exists():
        with open(path, "wb") as f:
            buf = []
            for k in keys:
                buf.append(resp("SET", k, VALUE, "EX", str(ttl)))
                if len(buf) >= 10000:
                    f.write(b"".join(buf))
                    buf = []
            f.write(b"".join(buf))
    return path


def load(port, path):
    with open(path, "rb") as f:
        r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f,
                           capture_output=True, text=True)
    if r.returncode != 0 or "errors: 0" not in r.stdout:
        raise RuntimeError(f"load failed: {r.stdout} {r.stderr}")


class Bystander:
    """Another client of the same server sending a PING every millisecond on its own
    connection and recording how long each one waited: what the application's users feel."""

    def __init__(self, port):
        self.out = tempfile.mktemp(prefix="bystander-")
        self.proc = subprocess.Popen(CLIENT_CPU + BYSTANDER_PRIO + [sys.executable, str(HERE / "bystander.py"),
                                                   str(port), self.out])
        time.sleep(0.3)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        with open(self.out) as f:
            lat = sorted(float(x) for x in f.read().split())
        os.unlink(self.out)
        if not lat:
            return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
        # Late answers counted, not only ranked: a server's own stalls come a fixed number
        # of times per job, so a quick contender shows them in a higher percentile than a
        # slow one that spreads the same stalls over more PINGs.
        late = sum(1 for x in lat if x > 1.0)
        return {"p50": pick(0.5), "p99": pick(0.99), "max": lat[-1], "n": len(lat),
                "late": late, "late_ms": sum(x - 1.0 for x in lat if x > 1.0)}


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def table(title, rows, floor_name):
    """Print rows of (name, seconds, bystander-stats) with the ratio to the floor."""
    floor = next(s for n, s, _ in rows if n.startswith(floor_name))
    print(f"\n{title}")
    print(f"{'contender':58} {'time':>8} {'x floor':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
          f" {'>1 ms':>6} {'late ms':>8}")
    for name, secs, lat in rows:
        if lat:
            l = (f"{lat['p50']:7.2f} {lat['p99']:7.2f} {lat['max']:7.2f}"
                 f" {lat.get('late', 0):6d} {lat.get('late_ms', 0):8.1f}")
        else:
            l = f"{'-':>7} {'-':>7} {'-':>7}"
        print(f"{name:58} {secs:7.2f}s {secs / floor:7.2f}x {l}")
    sys.stdout.flush()


def median(xs):
    return statistics.median(xs)
