"""Inspect/ttl-audit benchmark (issue: cachectl inspect and ttl-audit): the sweep benchmark's
1,000,000-key keyspace, read-only, one run of each, interleaved over rounds, with a bystander
PINGing every millisecond:

  redis-cli --memkeys, redis-cli --bigkeys;
  a redis-py script (SCAN COUNT 1000 + a pipeline of PTTL, MEMORY USAGE, TYPE per batch);
  the floor: a blocking server-side Lua loop doing the same per key (and one with PTTL only);
  cachectl inspect --pattern '*' and cachectl ttl-audit.
"""
import subprocess
import sys
import time

from common import (CACHECTL, CLIENT_CPU, Bystander, OUT, Server, cli, keyspace, load,
                    pipe_file, table)

LUA_FULL = """
local cursor, n = "0", 0
repeat
  local r = redis.call('SCAN', cursor, 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    redis.call('TYPE', k); redis.call('PTTL', k); redis.call('MEMORY', 'USAGE', k)
    n = n + 1
  end
until cursor == "0"
return n
"""
LUA_TTL = LUA_FULL.replace("redis.call('TYPE', k); redis.call('PTTL', k); redis.call('MEMORY', 'USAGE', k)",
                           "redis.call('PTTL', k)")
REDISPY = """
import sys, redis
r = redis.Redis(port=int(sys.argv[1]))
cursor, n = 0, 0
while True:
    cursor, keys = r.scan(cursor, count=1000)
    p = r.pipeline(transaction=False)
    for k in keys:
        p.pttl(k); p.memory_usage(k); p.type(k)
    p.execute()
    n += len(keys)
    if cursor == 0:
        break
print(n)
"""


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    path = pipe_file("sweep-1m.resp", keyspace(1_000_000, 200_000))
    s = Server()
    rss = {}
    try:
        load(s.port, path)

        def run(cmd, name=None):
            r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True)
            if r.returncode not in (0, 4):
                raise RuntimeError(f"{cmd}: {r.stderr}")
            if name:
                rss[name] = max(rss.get(name, 0), int(r.stderr.strip().splitlines()[-1]))

        contenders = [
            ("redis-cli --memkeys", lambda: run(["redis-cli", "-p", str(s.port), "--memkeys"])),
            ("redis-cli --bigkeys", lambda: run(["redis-cli", "-p", str(s.port), "--bigkeys"])),
            ("redis-py SCAN 1000 + pipeline PTTL/MEMORY USAGE/TYPE",
             lambda: run([sys.executable, "-c", REDISPY, str(s.port)])),
            ("(floor) Lua loop TYPE/PTTL/MEMORY USAGE, blocking",
             lambda: run(["redis-cli", "-p", str(s.port), "EVAL", LUA_FULL, "0"])),
            ("(floor, TTL) Lua loop PTTL only, blocking",
             lambda: run(["redis-cli", "-p", str(s.port), "EVAL", LUA_TTL, "0"])),
            ("cachectl inspect --pattern '*'",
             lambda: run(["/usr/bin/time", "-f", "%M", str(CACHECTL), "--url", s.url(), "inspect",
                          "--pattern", "*", "-o", "json"], "inspect")),
            ("cachectl ttl-audit",
             lambda: run(["/usr/bin/time", "-f", "%M", str(CACHECTL), "--url", s.url(), "ttl-audit",
                          "-o", "json"], "audit")),
        ]
        runs = {n: [] for n, _ in contenders}
        for round_ in range(repeat):
            for name, fn in contenders:
                by = Bystander(s.port)
                t = time.perf_counter()
                fn()
                dt = time.perf_counter() - t
                lat = by.stop()
                runs[name].append((dt, lat))
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s p99 {lat['p99']:.2f} ms",
                      file=sys.stderr, flush=True)
    finally:
        s.stop()
    rows = []
    for name, _ in contenders:
        dt, lat = sorted(runs[name], key=lambda r: r[0])[len(runs[name]) // 2]
        rows.append((name, dt, lat))
    table(f"1,000,000 keys, per-key TYPE/PTTL/MEMORY USAGE (median of {repeat}); ratios to the full floor",
          rows, "(floor) Lua loop TYPE")
    table("the same, ratios to the TTL-only floor", rows, "(floor, TTL)")
    print(f"cachectl peak RSS: inspect {rss.get('inspect', 0) / 1024:.0f} MB, "
          f"ttl-audit {rss.get('audit', 0) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
