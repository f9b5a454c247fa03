"""Filtered sweeps (#30.2): 1,000,000 keys of which 200,000 have no TTL, deleted
(a) by name: `invalidate-pattern 'user_*'` (the 200k are exactly the user_* family), the plain
    sweep: SCAN MATCH filters on the server, UNLINK deletes;
(b) by what they are: `invalidate-pattern '*' --no-ttl`: every key comes back from SCAN, is
    checked with PTTL, and the selected ones are deleted by the per-slot check-and-delete;
(c) (b) with --idle-over 1s as well (PTTL and OBJECT IDLETIME per key).
The goal: (b) within 1.5x (a). The keyspace is reloaded before every run; contenders are
interleaved over rounds, medians reported; server and clients pinned to their own cores.
  bench/run filters [ROUNDS]
"""
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, OUT, Server, cli, load, resp, VALUE, keyspace


def mixed_file():
    """user_* (200k) without TTL, the other 800k with one."""
    OUT.mkdir(exist_ok=True)
    path = OUT / "filters-1m.resp"
    if not path.exists():
        with open(path, "wb") as f:
            buf = []
            for k in keyspace():
                if k.startswith("user_"):
                    buf.append(resp("SET", k, VALUE))
                else:
                    buf.append(resp("SET", k, VALUE, "EX", "3600"))
                if len(buf) >= 10000:
                    f.write(b"".join(buf))
                    buf = []
            f.write(b"".join(buf))
    return path


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    data = mixed_file()
    s = Server()
    base = [str(CACHECTL), "--url", s.url(), "-o", "json", "invalidate-pattern"]
    tail = ["--yes", "--max-keys", "2000000"]
    contenders = [
        ("(a) invalidate-pattern 'user_*' (plain)", base + ["user_*"] + tail),
        ("(b) invalidate-pattern '*' --no-ttl", base + ["*", "--no-ttl"] + tail),
        ("(c) '*' --no-ttl --idle-over 1s", base + ["*", "--no-ttl", "--idle-over", "1s"] + tail),
    ]
    runs = {n: [] for n, _ in contenders}
    try:
        for round_ in range(repeat):
            for name, cmd in contenders:
                cli(s.port, "FLUSHALL")
                load(s.port, data)
                time.sleep(1.2)  # every key idle past 1s for (c)
                t = time.perf_counter()
                r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True)
                dt = time.perf_counter() - t
                if r.returncode != 0 or '"deleted": 200000' not in r.stdout:
                    raise RuntimeError(f"{name}: exit {r.returncode}: {r.stdout[-600:]} {r.stderr[-600:]}")
                left = int(cli(s.port, "DBSIZE").strip())
                if left != 800_000:
                    raise RuntimeError(f"{name}: {left} keys left, not 800000")
                runs[name].append(dt)
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
    finally:
        s.stop()
    print(f"\n200,000 keys without TTL among 1,000,000 deleted (median of {repeat})")
    print(f"{'contender':44} {'time':>8} {'x plain':>8}")
    plain = sorted(runs[contenders[0][0]])[repeat // 2]
    for name, times in runs.items():
        dt = sorted(times)[repeat // 2]
        print(f"{name:44} {dt:7.2f}s {dt / plain:7.2f}x")


if __name__ == "__main__":
    main()
