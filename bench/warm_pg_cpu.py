"""cachectl's own CPU for warm from PostgreSQL (and MariaDB/MySQL) against SQLite (#30.3): the warm benchmark's
1,000,000 `posts` rows (id, title, body, views), in a SQLite file and in a PostgreSQL table
of the same rows, warmed into a fresh redis-server; per run the CPU time (user + system) of
the cachectl process alone, from the kernel's accounting of the child. On two cores the
PostgreSQL backend shares the machine, so cachectl's CPU is what limits warm from PostgreSQL.
The goal: PostgreSQL's median at most SQLite's. Rounds interleaved, medians of ROUNDS.
  PG_URL=postgres://postgres@127.0.0.1:5432/test bench/run warm_pg_cpu [ROUNDS]
"""
import os
import resource
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, OUT, Server, cli
from warm import DB, ROWS, prepare

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
# MariaDB/MySQL as a third source (MY_URL=none leaves it out).
MY_URL = os.environ.get("MY_URL", "mysql://root@127.0.0.1:3306/test")
TABLE = "cachectl_bench_posts"


def pg_load():
    """The SQLite rows copied into PostgreSQL (once; kept between runs)."""
    have = subprocess.run(["psql", PG_URL, "-tAc", f"SELECT count(*) FROM {TABLE}"],
                          capture_output=True, text=True)
    if have.returncode == 0 and have.stdout.strip() == str(ROWS):
        return
    subprocess.run(["psql", PG_URL, "-qc", f"DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} "
                    "(id INT8 PRIMARY KEY, title TEXT, body TEXT, views INT8)"], check=True)
    dump = subprocess.Popen(["sqlite3", "-csv", str(DB), "SELECT id, title, body, views FROM posts"],
                            stdout=subprocess.PIPE)
    subprocess.run(["psql", PG_URL, "-qc", f"\\copy {TABLE} FROM STDIN WITH (FORMAT csv)"],
                   stdin=dump.stdout, check=True)
    dump.wait()


def my_load():
    """The SQLite rows copied into MariaDB/MySQL (once; kept between runs), with the `mysql`
    client from MY_URL's host, port, user and database."""
    from urllib.parse import urlparse
    u = urlparse(MY_URL)
    client = ["mysql", "-h", u.hostname or "127.0.0.1", "-P", str(u.port or 3306),
              "-u", u.username or "root", "--local-infile=1", u.path.lstrip("/")]
    have = subprocess.run(client + ["-N", "-e", f"SELECT count(*) FROM {TABLE}"],
                          capture_output=True, text=True)
    if have.returncode == 0 and have.stdout.strip() == str(ROWS):
        return
    csv = OUT / "warm-posts.csv"
    with open(csv, "w") as f:
        subprocess.run(["sqlite3", "-csv", str(DB), "SELECT id, title, body, views FROM posts"],
                       stdout=f, check=True)
    subprocess.run(client + ["-e", f"DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} "
                   "(id BIGINT PRIMARY KEY, title TEXT, body TEXT, views BIGINT); "
                   f"LOAD DATA LOCAL INFILE '{csv}' INTO TABLE {TABLE} FIELDS TERMINATED BY ',' "
                   "OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n'"], check=True)


def plan(name, source):
    path = OUT / name
    path.write_text(f"""sources:
  db: {source}
steps:
  - name: posts
    source: db
    query: SELECT id, title, body, views FROM {TABLE if 'url' in source else 'posts'}
    key: "post_cache:{{id}}"
    ttl: 1800
""")
    return path


def machine_busy():
    """CPU seconds all cores have been busy since boot (user, nice, system, irq, softirq)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (0, 1, 2, 5, 6)) / ticks


def cpu_of(cmd):
    """Run `cmd`; its CPU seconds (user + system, from the children's accounting), its wall
    time, and the whole machine's CPU over the run (the database server's share included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, start = machine_busy(), time.monotonic()
    r = subprocess.run(CLIENT_CPU + cmd, capture_output=True, text=True)
    wall, busy = time.monotonic() - start, machine_busy() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-1000:])
    own = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return own, wall, busy


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    prepare()
    pg_load()
    plans = {
        "SQLite": plan("warm-cpu-sqlite.yaml", "{ sqlite: warm-posts.db }"),
        "PostgreSQL": plan("warm-cpu-pg.yaml", f"{{ url: \"{PG_URL}\" }}"),
    }
    if MY_URL != "none":
        my_load()
        plans["MySQL"] = plan("warm-cpu-my.yaml", f"{{ url: \"{MY_URL}\" }}")
    s = Server()
    cpu = {k: [] for k in plans}
    walls = {k: [] for k in plans}
    machine = {k: [] for k in plans}
    try:
        for round_ in range(repeat):
            for name, p in plans.items():
                cli(s.port, "FLUSHALL")
                t, wall, busy = cpu_of([str(CACHECTL), "--url", s.url(), "warm", str(p)])
                assert int(cli(s.port, "DBSIZE")) == ROWS
                cpu[name].append(t)
                walls[name].append(wall)
                machine[name].append(busy)
                print(f"  round {round_ + 1}: {name}: {t:.2f} s CPU, {wall:.2f} s wall, "
                      f"machine {busy:.2f} s CPU", file=sys.stderr, flush=True)
    finally:
        s.stop()
    def median(d):
        return {k: sorted(v)[repeat // 2] for k, v in d.items()}
    med, wall, busy = median(cpu), median(walls), median(machine)
    print(f"\nwarming 1,000,000 rows (medians of {repeat}): cachectl's CPU, the wall time, and the"
          " whole machine's CPU (the database server's included)")
    for name, t in med.items():
        print(f"{name:12} {t:6.2f} s CPU ({t / med['SQLite']:.2f}x SQLite)   "
              f"{wall[name]:5.2f} s wall   machine {busy[name]:5.2f} s")


if __name__ == "__main__":
    main()
