#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""conn.py - the real server and the real client of `make bench`.

  conn.py serve PORT
      accept on PORT (IPv4, backlog 4096); each connection gets its one
      byte echoed and is closed. Runs until killed.

  conn.py client ADDR PORT N SPREAD TIMEOUT
      open N connections to ADDR:PORT, started evenly over SPREAD seconds;
      each must connect, send one byte and get it back within TIMEOUT
      seconds. Prints one JSON object: how many succeeded, why the others
      failed ("connect: timeout", "echo: ECONNRESET", ...), and the connect
      latency (SYN sent to SYN-ACK received, as connect() sees it) in ms.
"""
import asyncio
import errno
import json
import selectors
import socket
import sys
import time


def serve(port):
    sel = selectors.DefaultSelector()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(4096)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                try:
                    c, _ = lsock.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                b = s.recv(1)
                if b:
                    s.send(b)
            except OSError:
                pass
            sel.unregister(s)
            s.close()


async def one(addr, port, delay, timeout):
    await asyncio.sleep(delay)
    loop = asyncio.get_running_loop()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    t0 = time.perf_counter()
    stage = "connect"
    try:
        await asyncio.wait_for(loop.sock_connect(s, (addr, port)), timeout)
        lat = time.perf_counter() - t0
        stage = "echo"
        await loop.sock_sendall(s, b"x")
        left = timeout - (time.perf_counter() - t0)
        b = await asyncio.wait_for(loop.sock_recv(s, 1), max(left, 0.001))
        return lat if b == b"x" else f"{stage}: closed"
    except asyncio.TimeoutError:
        return f"{stage}: timeout"
    except OSError as e:
        return f"{stage}: {errno.errorcode.get(e.errno, e.errno)}"
    finally:
        s.close()


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


async def client(addr, port, n, spread, timeout):
    res = await asyncio.gather(*(one(addr, port, i * spread / n, timeout) for i in range(n)))
    lat = [r * 1000 for r in res if isinstance(r, float)]
    failed = {}
    for r in res:
        if isinstance(r, str):
            failed[r] = failed.get(r, 0) + 1
    out = {"n": n, "ok": len(lat), "success": len(lat) / n if n else 0, "failed": failed,
           "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
           "max_ms": max(lat) if lat else None, "timeout_s": timeout}
    print(json.dumps(out))


def main(argv):
    if len(argv) == 3 and argv[1] == "serve":
        serve(int(argv[2]))
    elif len(argv) == 7 and argv[1] == "client":
        asyncio.run(client(argv[2], int(argv[3]), int(argv[4]), float(argv[5]),
                           float(argv[6])))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
