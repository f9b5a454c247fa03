"""warm --verify (#30.1): the warm benchmark's 1,000,000 SQLite rows (`post_cache:{id}`), and
in each round
  (w) cachectl warm into an empty server, then
  (v) cachectl warm --verify of the same plan against what (w) wrote: every key read back
      (GET and PTTL, pipelined in the plan's batches) and compared as JSON, then the
      `post_cache:*` family walked with SCAN for orphans.
The goal: (v) at least 80 % of (w)'s rows per second. Medians of interleaved rounds; server
and clients pinned to their own cores.
  bench/run verify [ROUNDS]
"""
import json
import subprocess
import sys
import time

from common import CACHECTL, CLIENT_CPU, Server, cli
from warm import PLAN, ROWS, prepare


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    prepare()
    s = Server()
    times = {"(w) cachectl warm": [], "(v) cachectl warm --verify": []}
    try:
        for round_ in range(repeat):
            cli(s.port, "FLUSHALL")
            for name, extra in (("(w) cachectl warm", []), ("(v) cachectl warm --verify", ["--verify"])):
                t = time.perf_counter()
                r = subprocess.run(CLIENT_CPU + [str(CACHECTL), "--url", s.url(), "-o", "json", "warm",
                                                 str(PLAN), *extra], capture_output=True, text=True)
                dt = time.perf_counter() - t
                if r.returncode != 0:
                    raise RuntimeError(f"{name}: exit {r.returncode}: {r.stderr[-800:]}")
                if extra:
                    v = json.loads(r.stdout)["steps"][0]["verify"]
                    if v["matching"] != ROWS or v["orphaned"] != 0:
                        raise RuntimeError(f"{name}: {v}")
                times[name].append(dt)
                print(f"  round {round_ + 1}: {name}: {dt:.2f}s", file=sys.stderr, flush=True)
    finally:
        s.stop()
    warm = sorted(times["(w) cachectl warm"])[repeat // 2]
    print(f"\nverify 1,000,000 SQLite rows against the keys warm wrote (median of {repeat})")
    print(f"{'contender':32} {'time':>8} {'rows/s':>10} {'vs (w)':>8}")
    for name, ts in times.items():
        t = sorted(ts)[repeat // 2]
        print(f"{name:32} {t:7.2f}s {ROWS / t:10,.0f} {warm / t:7.0%}")


if __name__ == "__main__":
    main()
