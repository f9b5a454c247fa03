"""Warm benchmark (issue: cachectl warm): 1,000,000 rows of a SQLite `posts` table
(id, title, body, views) become `post_cache:{id}` = the row as JSON, TTL 1800, in a fresh
redis-server each time. In one run:

  (a) redis-cli --pipe of a prepared file with the same keys and values: the server's limit,
      no source read and no encoding
  (b) the seed's style, one awaited SET per key (redis-py), on 50,000 rows, extrapolated
  (c) a redis-py script reading SQLite with a 1000-command pipeline
  (d) cachectl warm, end to end (SQL read and JSON encoding included), with its peak RSS
"""
import json
import sqlite3
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, OUT, Server, cli, load, resp

ROWS = 1_000_000
DB = OUT / "warm-posts.db"
PIPE = OUT / "warm-posts.resp"
PLAN = OUT / "warm-posts.yaml"


def row_json(i):
    # Byte for byte what cachectl writes (serde_json, compact, column order).
    return json.dumps({"id": i, "title": f"Post {i}", "body": f"Body of post {i}. " * 4,
                       "views": (i * 7919) % 10007}, separators=(",", ":"), ensure_ascii=False)


def prepare():
    OUT.mkdir(exist_ok=True)
    if not DB.exists():
        db = sqlite3.connect(DB)
        db.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, body TEXT, views INTEGER)")
        db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?)",
                       ((i, f"Post {i}", f"Body of post {i}. " * 4, (i * 7919) % 10007)
                        for i in range(1, ROWS + 1)))
        db.commit()
        db.close()
    if not PIPE.exists():
        with open(PIPE, "wb") as f:
            buf = []
            for i in range(1, ROWS + 1):
                buf.append(resp("SET", f"post_cache:{i}", row_json(i), "EX", "1800"))
                if len(buf) >= 10000:
                    f.write(b"".join(buf))
                    buf = []
            f.write(b"".join(buf))
    PLAN.write_text(f"""sources:
  db:
    sqlite: {DB.name}
steps:
  - name: posts
    source: db
    query: SELECT id, title, body, views FROM posts
    key: "post_cache:{{id}}"
    ttl: 1800
""")


SEED = """
import sqlite3, sys, redis
r = redis.Redis(port=int(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
import json
for (i, title, body, views) in db.execute("SELECT id, title, body, views FROM posts LIMIT 50000"):
    r.set(f"post_cache:{i}", json.dumps({"id": i, "title": title, "body": body, "views": views},
          separators=(",", ":")), ex=1800)
"""

PIPELINED = """
import sqlite3, sys, redis, json
r = redis.Redis(port=int(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
p = r.pipeline(transaction=False)
n = 0
for (i, title, body, views) in db.execute("SELECT id, title, body, views FROM posts"):
    p.set(f"post_cache:{i}", json.dumps({"id": i, "title": title, "body": body, "views": views},
          separators=(",", ":")), ex=1800)
    n += 1
    if n % 1000 == 0:
        p.execute()
p.execute()
"""


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    prepare()
    s = Server()
    try:
        def fresh():
            cli(s.port, "FLUSHALL")

        def timed(cmd, **kw):
            fresh()
            t = time.perf_counter()
            r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True, **kw)
            dt = time.perf_counter() - t
            if r.returncode != 0:
                raise RuntimeError(r.stderr)
            return dt, r

        contenders = {
            "(a) redis-cli --pipe (prepared file; the server's limit)":
                lambda: (lambda t0: (load(s.port, PIPE), time.perf_counter() - t0)[1])(
                    (fresh(), time.perf_counter())[1]),
            "(b) one awaited SET per key (50k rows, extrapolated)":
                lambda: timed([sys.executable, "-c", SEED, str(s.port), str(DB)])[0] * ROWS / 50_000,
            "(c) redis-py, 1000-command pipeline":
                lambda: timed([sys.executable, "-c", PIPELINED, str(s.port), str(DB)])[0],
        }
        rss = []

        def cachectl():
            dt, r = timed(["/usr/bin/time", "-f", "%M", str(CACHECTL), "--url", s.url(), "warm",
                           str(PLAN)])
            rss.append(int(r.stderr.strip().splitlines()[-1]))
            return dt

        contenders["(d) cachectl warm (SQLite read + JSON + SET EX)"] = cachectl
        times = {k: [] for k in contenders}
        for round_ in range(repeat):
            for name, fn in contenders.items():
                dt = fn()
                keys = int(cli(s.port, "DBSIZE"))
                if not name.startswith("(b)"):
                    assert keys == ROWS, f"{name}: {keys} keys"
                times[name].append(dt)
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
        # The values must be the same bytes whichever way they were written.
        assert cli(s.port, "GET", "post_cache:77").strip() == row_json(77)
    finally:
        s.stop()
    floor = sorted(times["(a) redis-cli --pipe (prepared file; the server's limit)"])[repeat // 2]
    print(f"\nwarm 1,000,000 SQLite rows into post_cache:{{id}} (median of {repeat})")
    print(f"{'contender':56} {'time':>8} {'keys/s':>10} {'vs (a)':>8}")
    for name, ts in times.items():
        t = sorted(ts)[len(ts) // 2]
        print(f"{name:56} {t:7.2f}s {ROWS / t:10,.0f} {floor / t:7.0%}")
    print(f"cachectl peak RSS: {max(rss) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
