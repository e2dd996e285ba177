#!/usr/bin/python3
"""banner.py - a server that speaks first, and its client (namespace tests).

  banner.py serve PORT            dual-stack listener on [::]:PORT: each
                                  connection gets a banner line at once (as
                                  SMTP's "220", MySQL's greeting), then its
                                  first line is echoed and it is closed
  banner.py get HOST PORT SECS    connect, wait at most SECS for the banner,
                                  answer it, read the echo; print the
                                  seconds the banner took; exit 0 if both
                                  came, 1 if not
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcptool  # noqa: E402  (the dual-stack listener)

BANNER = b"220 shakeoff test server ready\r\n"


def handle(c):
    with c:
        c.settimeout(60)
        c.sendall(BANNER)
        buf = b""
        while not buf.endswith(b"\n"):
            d = c.recv(4096)
            if not d:
                return
            buf += d
        c.sendall(buf)


def serve(port):
    s = tcptool.listener(port)
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def recv_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed after %r" % buf)
        buf += d
    return buf


def get(host, port, secs):
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=secs)
    try:
        banner = recv_line(s)
    except socket.timeout:
        print("no banner within %.1f s" % secs)
        return 1
    took = time.monotonic() - t0
    if banner != BANNER:
        print("banner %r, expected %r" % (banner, BANNER))
        return 1
    s.sendall(b"QUIT\r\n")
    if recv_line(s) != b"QUIT\r\n":
        print("no echo")
        return 1
    s.close()
    print("%.3f" % took)
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "serve":
        serve(int(argv[2]))
        return 0
    if len(argv) == 5 and argv[1] == "get":
        return get(argv[2], int(argv[3]), float(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ConnectionError) as e:
        print("%s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "banner", e))
        sys.exit(1)
