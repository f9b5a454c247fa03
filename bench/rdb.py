"""Offline analysis benchmark (issue: inspect/ttl-audit --rdb): a dump of the sweep benchmark's
keyspace grown to 3,000,000 keys (SET with EX, so every key has a TTL), read by:

  cachectl inspect --rdb and cachectl ttl-audit --rdb (the goal: at least 2M keys/s);
  rdbtools' memory report (`rdb -c memory`, the tool people use; it refuses RDB versions past 9,
  so it runs with that check lifted, which this keyspace of strings survives);
  redis-check-rdb, Redis's own loader, which builds every object: the server's own limit;
  cachectl inspect --pattern '*' on the live server holding the same keys, for the speed-up.

Interleaved over rounds, medians reported; clients pinned to the other core.
"""
import os
import shutil
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, OUT, Server, cli, keyspace, load, pipe_file

RDBTOOLS = """
import sys
import rdbtools.parser as p
from rdbtools.cli import rdb
p.RdbParser.verify_version = lambda self, v: setattr(self, '_rdb_version', int(v))
sys.argv = ['rdb', '-c', 'memory', '-f', '/dev/null', sys.argv[1]]
rdb.main()
"""


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000_000
    path = pipe_file(f"rdb-{total}.resp", keyspace(total, total // 5))
    s = Server()
    dump = OUT / f"bench-{total}.rdb"
    runs, rss = {}, {}
    try:
        load(s.port, path)
        cli(s.port, "SAVE")
        shutil.copy(os.path.join(s.dir, "dump.rdb"), dump)
        size = dump.stat().st_size

        def run(cmd, name=None):
            measured = ["/usr/bin/time", "-f", "%M"] if name else []
            r = subprocess.run(CLIENT_CPU + measured + cmd, capture_output=True, text=True)
            if r.returncode not in (0, 4):
                raise RuntimeError(f"{cmd}: {r.stderr[-2000:]}")
            if name:
                rss[name] = max(rss.get(name, 0), int(r.stderr.strip().splitlines()[-1]))

        py = str(OUT.parent / ".venv" / "bin" / "python")
        contenders = [
            ("cachectl inspect --rdb",
             lambda: run([str(CACHECTL), "inspect", "--rdb", str(dump), "-o", "json"], "inspect")),
            ("cachectl ttl-audit --rdb",
             lambda: run([str(CACHECTL), "ttl-audit", "--rdb", str(dump), "-o", "json"], "audit")),
            ("rdbtools rdb -c memory", lambda: run([py, "-c", RDBTOOLS, str(dump)])),
            ("redis-check-rdb (Redis's own loader)", lambda: run(["redis-check-rdb", str(dump)])),
            ("cachectl inspect --pattern '*' (live server)",
             lambda: run([str(CACHECTL), "--url", s.url(), "inspect", "-o", "json"])),
        ]
        runs = {n: [] for n, _ in contenders}
        for round_ in range(repeat):
            for name, fn in contenders:
                t = time.perf_counter()
                fn()
                dt = time.perf_counter() - t
                runs[name].append(dt)
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
    finally:
        s.stop()
    print(f"\n{total:,} keys, a {size / 1e6:.0f} MB dump (median of {repeat})")
    base = sorted(runs["cachectl inspect --rdb"])[repeat // 2]
    print(f"{'contender':48} {'time':>8} {'keys/s':>11} {'x cachectl inspect --rdb':>25}")
    for name, times in runs.items():
        dt = sorted(times)[repeat // 2]
        print(f"{name:48} {dt:7.2f}s {total / dt:11,.0f} {dt / base:24.2f}x")
    print(f"cachectl peak RSS: inspect --rdb {rss.get('inspect', 0) / 1024:.0f} MB, "
          f"ttl-audit --rdb {rss.get('audit', 0) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
