"""Dumps of today's servers (#28): 1,000,000 hashes whose fields expire (Redis 7.4+/8 writes
them as type 25, Valkey 9 as its type 22), saved by the server named in BENCH_SERVER (Redis 8.2
or Valkey 9.1; a plain redis-server before 7.4 cannot make them), read by:

  cachectl ttl-audit --rdb and cachectl inspect --rdb (the goal: at least 2M keys/s, field
  expiries included);
  the same keys live, for the speed-up (cachectl ttl-audit on the server holding them).

Interleaved over rounds, medians reported; clients pinned to the other core.
  BENCH_SERVER=target/redis8/…/redis-server bench/run rdb_fields [ROUNDS] [HASHES]
"""
import os
import shutil
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, OUT, Server, cli, load, resp


def hashes_file(total):
    """HSET two fields, then HEXPIRE one of them (the expiries spread over ten minutes)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"rdb-fields-{total}.resp"
    if not path.exists():
        with open(path, "wb") as f:
            for i in range(total):
                key = b"sess:%d" % i
                f.write(resp(b"HSET", key, b"a", b"1", b"b", b"2"))
                f.write(resp(b"HEXPIRE", key, b"%d" % (3600 + i % 600), b"FIELDS", b"1", b"a"))
    return path


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    s = Server()
    dump = OUT / f"bench-fields-{total}.rdb"
    runs = {}
    try:
        load(s.port, hashes_file(total))
        cli(s.port, "SAVE")
        shutil.copy(os.path.join(s.dir, "dump.rdb"), dump)
        info = cli(s.port, "INFO", "server")
        # Valkey also says redis_version (7.2.4, for clients): its own comes first if there.
        key = "valkey_version:" if "valkey_version:" in info else "redis_version:"
        version = info.split(key)[1].split()[0]

        def run(cmd):
            r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True)
            if r.returncode not in (0, 4):
                raise RuntimeError(f"{cmd}: {r.stderr[-2000:]}")
            return r.stdout

        contenders = [
            ("cachectl ttl-audit --rdb", [str(CACHECTL), "ttl-audit", "--rdb", str(dump), "-o", "json"]),
            ("cachectl inspect --rdb", [str(CACHECTL), "inspect", "--rdb", str(dump), "-o", "json"]),
            ("cachectl ttl-audit (live server)", [str(CACHECTL), "--url", s.url(), "ttl-audit", "-o", "json"]),
        ]
        runs = {n: [] for n, _ in contenders}
        for round_ in range(repeat):
            for name, cmd in contenders:
                t = time.perf_counter()
                out = run(cmd)
                dt = time.perf_counter() - t
                runs[name].append(dt)
                # The figures must be the fields', or the speed means nothing.
                if "fields_with_ttl" not in out:
                    raise RuntimeError(f"{name}: no field figures in its report")
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
    finally:
        s.stop()
    print(f"\n{total:,} hashes with field TTLs, a {dump.stat().st_size / 1e6:.0f} MB dump of "
          f"{version} (median of {repeat})")
    print(f"{'contender':36} {'time':>8} {'keys/s':>11}")
    for name, times in runs.items():
        dt = sorted(times)[repeat // 2]
        print(f"{name:36} {dt:7.2f}s {total / dt:11,.0f}")


if __name__ == "__main__":
    main()
