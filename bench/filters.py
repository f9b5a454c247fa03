"""Filtered sweeps (#30.2): 1,000,000 keys of which 200,000 have no TTL, deleted
(a) by name: `invalidate-pattern 'user_*'` (the 200k are exactly the user_* family), the plain
    sweep: SCAN MATCH filters on the server, UNLINK deletes;
(b) by what they are: `invalidate-pattern '*' --no-ttl`: every key comes back from SCAN, is
    checked with PTTL, and the selected ones are deleted by the per-slot check-and-delete;
(c) (b) with --idle-over 1s as well (PTTL and OBJECT IDLETIME per key);
(d) invalidate-pattern '*' without filters: the plain sweep of the same walk (every key
    deleted).
The goal: (b) within 1.5x the plain sweep; both (a) and (d) are printed, (b)/(d) is the walk
the filters add to, (b)/(a) what selecting by name on the server saves. The keyspace is reloaded before every run; contenders are
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
        ("(d) invalidate-pattern '*' (plain, all 1M)", base + ["*"] + tail),
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
                want, left_want = (1_000_000, 0) if name.startswith("(d)") else (200_000, 800_000)
                if r.returncode != 0 or f'"deleted": {want}' not in r.stdout:
                    raise RuntimeError(f"{name}: exit {r.returncode}: {r.stdout[-600:]} {r.stderr[-600:]}")
                left = int(cli(s.port, "DBSIZE").strip())
                if left != left_want:
                    raise RuntimeError(f"{name}: {left} keys left, not {left_want}")
                runs[name].append(dt)
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
    finally:
        s.stop()
    print(f"\n200,000 keys without TTL among 1,000,000 deleted (median of {repeat})")
    print(f"{'contender':44} {'time':>8} {'x (a)':>8} {'x (d)':>8}")
    by_name = sorted(runs[contenders[0][0]])[repeat // 2]
    walk = sorted(runs[contenders[3][0]])[repeat // 2]
    for name, times in runs.items():
        dt = sorted(times)[repeat // 2]
        print(f"{name:44} {dt:7.2f}s {dt / by_name:7.2f}x {dt / walk:7.2f}x")


if __name__ == "__main__":
    main()
