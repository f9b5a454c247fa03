"""Sweep benchmark (issue: cachectl core): delete the 200,000 `user_*` keys of a 1,000,000-key
keyspace, reloading between contenders, while a bystander PINGs every millisecond.

  (a) redis-cli --scan --pattern 'user_*' | xargs redis-cli unlink   (the documented idiom)
  (b) a plain redis-py loop, SCAN MATCH COUNT 1000 + UNLINK per batch (bench/sweep_redispy.py)
  (b'') the same with COUNT 100: gentle, and slow
  (i) no client for a second: the server's own hiccups, as the bystander sees them
  (c) one server-side Lua loop of SCAN + UNLINK: the floor, but the server answers nobody
  (d) cachectl invalidate-pattern 'user_*' --yes
  (d') the same with --backup FILE: every batch DUMPed and flushed to disk before its UNLINK
Cluster: the same keyspace on 3 masters, (e) redis-py RedisCluster.scan_iter + UNLINK versus
cachectl sweeping the masters in parallel.
"""
import os
import subprocess
import sys
import tempfile
import time

from common import (CACHECTL, CLIENT_CPU, Bystander, Server, cli, keyspace, load, pipe_file,
                    resp, table, timed, VALUE)

PATTERN = "user_*"
# --yes never lifts the cap on keys one command deletes (10,000 by default): a script that
# means a million says so.
CAP = ["--max-keys", "10000000"]
# CACHECTL_ARGS="--budget 300us" adds flags to contender (d), for experiments.
EXTRA = os.environ.get("CACHECTL_ARGS", "").split()
MATCHING = 200_000
LUA = """
local cursor, n = "0", 0
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  if #r[2] > 0 then n = n + redis.call('UNLINK', unpack(r[2])) end
until cursor == "0"
return n
"""


def run(cmd, **kw):
    r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr}")
    return r.stdout


def contender(server, path, fn):
    cli(server.port, "FLUSHALL")
    load(server.port, path)
    assert int(cli(server.port, "DBSIZE")) == 1_000_000
    by = Bystander(server.port)
    secs = timed(fn)
    lat = by.stop()
    if fn is idle:
        # The baseline deleted nothing while the bystander watched; clear up for the checks.
        cli(server.port, "EVAL", LUA, "0", PATTERN)
    left = int(cli(server.port, "EVAL", "return #redis.call('KEYS', ARGV[1])", "0", PATTERN))
    assert left == 0, f"{left} user_* keys left"
    assert int(cli(server.port, "DBSIZE")) == 1_000_000 - MATCHING
    return secs, lat


def idle():
    """No client at all for a second: what the bystander sees of the server on its own."""
    time.sleep(1.0)


def backed_up(url):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "sweep.cbk")
        run([str(CACHECTL), "--url", url, "invalidate-pattern", PATTERN, "--yes", *CAP, "--backup", f])
        size = os.path.getsize(f)
    print(f"    backup file: {size / 1e6:.1f} MB", file=sys.stderr)


def standalone(path, repeat):
    s = Server()
    url = s.url()
    py = sys.executable
    contenders = [
        ("(a) redis-cli --scan | xargs redis-cli unlink",
         lambda: run(["sh", "-c", f"redis-cli -p {s.port} --scan --pattern '{PATTERN}' | "
                                  f"xargs redis-cli -p {s.port} unlink > /dev/null"])),
        ("(b) redis-py SCAN COUNT 1000 + UNLINK per batch",
         lambda: run([py, "sweep_redispy.py", url, PATTERN, "1000"])),
        ("(b') redis-py, COUNT 5000",
         lambda: run([py, "sweep_redispy.py", url, PATTERN, "5000"])),
        ("(b'') redis-py, COUNT 100 (the gentle loop)",
         lambda: run([py, "sweep_redispy.py", url, PATTERN, "100"])),
        ("(i) idle server, 1 s (the bystander alone)", idle),
        ("(c) server-side Lua SCAN+UNLINK loop (floor, blocking)",
         lambda: run(["redis-cli", "-p", str(s.port), "EVAL", LUA, "0", PATTERN])),
        ("(d) cachectl invalidate-pattern --yes",
         lambda: run([str(CACHECTL), "--url", url, "invalidate-pattern", PATTERN, "--yes",
                      *CAP, *EXTRA])),
        ("(d') cachectl invalidate-pattern --yes --backup FILE",
         lambda: backed_up(url)),
    ]
    # ONLY="(c),(d)" runs just those contenders (the floor is needed for the ratios).
    only = [o for o in os.environ.get("ONLY", "").split(",") if o]
    if only:
        contenders = [c for c in contenders if any(c[0].startswith(o + " ") for o in only)]
    # Rounds interleave the contenders so that a slow spell of this shared machine hits all
    # of them alike; each row is the contender's median run.
    runs = {name: [] for name, _ in contenders}
    try:
        for round_ in range(repeat):
            for name, fn in contenders:
                secs, lat = contender(s, path, fn)
                runs[name].append((secs, lat))
                print(f"  round {round_ + 1}: {name}: {secs:.3f}s p99 {lat['p99']:.2f} ms",
                      file=sys.stderr)
    finally:
        s.stop()
    rows = []
    for name, _ in contenders:
        secs, lat = sorted(runs[name], key=lambda r: r[0])[len(runs[name]) // 2]
        rows.append((name, secs, lat))
    table(f"standalone: delete {MATCHING:,} of 1,000,000 keys (median of {repeat})", rows, "(c)")


def cluster(keys, repeat):
    from redis.crc import key_slot
    # Three servers on two cores cannot each have one: the cluster runs unpinned.
    nodes = [Server("--cluster-enabled", "yes", pinned=False) for _ in range(3)]
    try:
        run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
             "--cluster-yes"])
        for _ in range(300):
            if all("cluster_state:ok" in cli(n.port, "CLUSTER", "INFO") for n in nodes):
                break
            time.sleep(0.1)
        # Split the load by slot owner so each node gets its keys through --pipe.
        import redis
        owner = {}
        slots = redis.Redis(port=nodes[0].port).execute_command("CLUSTER SLOTS")
        for start, end, master, *_ in slots:
            port = int(master[1])
            for slot in range(start, end + 1):
                owner[slot] = port
        files = {}
        for n in nodes:
            files[n.port] = open(f"out/cluster-{n.port}.resp", "wb")
        for k in keys:
            files[owner[key_slot(k.encode())]].write(resp("SET", k, VALUE, "EX", "3600"))
        for f in files.values():
            f.close()
        url = nodes[0].url()

        def reload():
            for n in nodes:
                cli(n.port, "FLUSHALL")
                load(n.port, f"out/cluster-{n.port}.resp")

        contenders = [
            ("(e) redis-py RedisCluster.scan_iter + UNLINK",
             lambda: run([sys.executable, "sweep_redispy.py", url, PATTERN, "1000", "cluster"])),
            ("(f) cachectl invalidate-pattern --yes (masters in parallel)",
             lambda: run([str(CACHECTL), "--url", url, "invalidate-pattern", PATTERN, "--yes",
                          *CAP])),
        ]
        times = {name: [] for name, _ in contenders}
        for round_ in range(repeat):
            for name, fn in contenders:
                reload()
                secs = timed(fn)
                left = sum(int(cli(n.port, "EVAL", "return #redis.call('KEYS', ARGV[1])", "0",
                                   PATTERN)) for n in nodes)
                assert left == 0, f"{left} keys left"
                times[name].append(secs)
                print(f"  round {round_ + 1}: {name}: {secs:.3f}s", file=sys.stderr)
        rows = [(name, sorted(t)[len(t) // 2], None) for name, t in times.items()]
        table(f"cluster (3 masters): delete {MATCHING:,} of 1,000,000 keys (median of {repeat})",
              rows, "(e)")
    finally:
        for n in nodes:
            n.stop()


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    keys = list(keyspace(1_000_000, MATCHING))
    path = pipe_file("sweep-1m.resp", keys)
    standalone(path, repeat)
    if os.environ.get("ONLY") is None:
        cluster(keys, repeat)


if __name__ == "__main__":
    main()
