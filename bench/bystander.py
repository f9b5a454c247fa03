"""PING the server every millisecond on a raw socket; on SIGTERM write the latencies (ms)."""
import signal
import socket
import sys
import time

port, out = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
next_tick = time.perf_counter()
while running:
    t = time.perf_counter()
    s.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += s.recv(64)
    lat.append((time.perf_counter() - t) * 1000)
    next_tick += 0.001
    delay = next_tick - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    else:
        next_tick = time.perf_counter()
with open(out, "w") as f:
    f.write("\n".join(f"{x:.4f}" for x in lat))
