"""The straightforward redis-py sweep an application developer would write: SCAN MATCH COUNT
1000 and one UNLINK per batch. Kept as the peer cachectl is measured against."""
import sys

import redis

url, pattern = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
cluster = len(sys.argv) > 4 and sys.argv[4] == "cluster"
if cluster:
    r = redis.RedisCluster.from_url(url)
    deleted, batch = 0, []
    # scan_iter walks the masters one after another; redis-py splits a multi-key UNLINK by slot.
    for key in r.scan_iter(match=pattern, count=count):
        batch.append(key)
        if len(batch) >= count:
            deleted += r.unlink(*batch)
            batch = []
    if batch:
        deleted += r.unlink(*batch)
else:
    r = redis.Redis.from_url(url)
    cursor, deleted = 0, 0
    while True:
        cursor, keys = r.scan(cursor, match=pattern, count=count)
        if keys:
            deleted += r.unlink(*keys)
        if cursor == 0:
            break
print(deleted)
