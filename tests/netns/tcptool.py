#!/usr/bin/python3
"""tcptool.py - the plain TCP server and clients of the namespace tests.

  tcptool.py serve PORT                  dual-stack listener on [::]:PORT
  tcptool.py http PORT DIR               http.server's file server with a
                                         backlog of 1024 (python3 -m http.server
                                         listens with 5: ab -c 200 then times
                                         out even without shakeoff)
  tcptool.py xfer HOST PORT NBYTES       send NBYTES, receive NBYTES back, one
                                         connection, SHA-256 checked both ways
  tcptool.py once HOST PORT LPORT        one short exchange from local port
                                         LPORT; the server closes first, so
                                         the server's end goes to TIME-WAIT
  tcptool.py hold HOST PORT CTLDIR      open one connection and exchange
                                         messages; write CTLDIR/ready, wait for
                                         CTLDIR/go, exchange again, exit 0 if
                                         every byte came back

Protocol (client speaks first, one line):
  "XFER n\\n" + n bytes   -> server: sha256(received) hex + "\\n", then n bytes
                            of its own, then sha256(sent) hex + "\\n"
  "ECHO\\n"               -> server echoes everything until EOF
  "BYE\\n"                -> server sends "bye\\n" and closes at once
The server is an unmodified accept() loop: it never knows about shakeoff.
"""
import hashlib
import os
import socket
import sys
import threading
import time

CHUNK = 65536


def recv_exact(s, n, h=None):
    """Receive exactly n bytes (hashing them into h if given); return the
    data when h is None, else the byte count."""
    parts, got = [], 0
    while got < n:
        b = s.recv(min(CHUNK, n - got))
        if not b:
            raise EOFError("connection closed after %d of %d bytes" % (got, n))
        got += len(b)
        if h is None:
            parts.append(b)
        else:
            h.update(b)
    return b"".join(parts) if h is None else got


def recv_line(s):
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            raise EOFError("connection closed in a line")
        line += b
        if len(line) > 256:
            raise ValueError("line too long")
    return line[:-1].decode()


def send_random(s, n):
    """Send n pseudo-random bytes; return their SHA-256 hex."""
    h = hashlib.sha256()
    block = os.urandom(CHUNK)
    sent = 0
    while sent < n:
        k = min(CHUNK, n - sent)
        # vary the block so that a misplaced chunk changes the hash
        b = block[:k - 8] + sent.to_bytes(8, "big") if k > 8 else block[:k]
        s.sendall(b)
        h.update(b)
        sent += k
    return h.hexdigest()


def handle(c):
    with c:
        cmd = recv_line(c).split()
        if cmd[0] == "XFER":
            n = int(cmd[1])
            h = hashlib.sha256()
            recv_exact(c, n, h)
            c.sendall((h.hexdigest() + "\n").encode())
            digest = send_random(c, n)
            c.sendall((digest + "\n").encode())
            c.shutdown(socket.SHUT_WR)
            while c.recv(CHUNK):
                pass
        elif cmd[0] == "BYE":
            c.sendall(b"bye\n")
        elif cmd[0] == "ECHO":
            while True:
                b = c.recv(CHUNK)
                if not b:
                    break
                c.sendall(b)


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda: _guard(handle, c), daemon=True).start()


def _guard(f, *a):
    try:
        f(*a)
    except Exception as e:  # one bad client must not stop the server
        print("tcptool serve: %s" % e, file=sys.stderr)


def http(port, directory):
    import functools
    import http.server

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
        request_queue_size = 1024
        daemon_threads = True

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    Server(("::", port), functools.partial(Handler, directory=directory)).serve_forever()


def connect(host, port):
    return socket.create_connection((host, port), timeout=30)


def xfer(host, port, n):
    s = connect(host, port)
    s.sendall(("XFER %d\n" % n).encode())
    sent = send_random(s, n)
    peer_got = recv_line(s)
    h = hashlib.sha256()
    recv_exact(s, n, h)
    peer_sent = recv_line(s)
    s.close()
    errors = []
    if peer_got != sent:
        errors.append("client->server: sent %s, server received %s" % (sent, peer_got))
    if h.hexdigest() != peer_sent:
        errors.append("server->client: server sent %s, client received %s"
                      % (peer_sent, h.hexdigest()))
    if errors:
        print("; ".join(errors))
        return 1
    print("%d bytes each way, sha256 %s / %s" % (n, sent[:16], peer_sent[:16]))
    return 0


def once(host, port, lport):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(50):  # the previous use of lport may be in LAST-ACK still
        try:
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", lport))
            break
        except OSError:
            time.sleep(0.1)
    else:
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", lport))
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(b"BYE\n")
    got = b""
    while True:
        b = s.recv(16)
        if not b:
            break
        got += b
    s.close()
    if got != b"bye\n":
        print("expected 'bye', got %r" % got)
        return 1
    print("bye from %s:%d" % (host, port))
    return 0


def exchange(s, rounds, size):
    for i in range(rounds):
        msg = os.urandom(size)
        s.sendall(msg)
        back = recv_exact(s, size)
        if back != msg:
            raise ValueError("echo mismatch in round %d" % i)


def hold(host, port, ctl):
    s = connect(host, port)
    s.sendall(b"ECHO\n")
    exchange(s, 20, 4096)
    open(os.path.join(ctl, "ready"), "w").close()
    go = os.path.join(ctl, "go")
    deadline = time.time() + 300
    while not os.path.exists(go):
        if time.time() > deadline:
            print("no go after 300 s")
            return 1
        time.sleep(0.05)
    exchange(s, 20, 4096)
    exchange(s, 32, 65536)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1):
        print("data after EOF")
        return 1
    s.close()
    print("connection alive: 20 echo rounds before, 52 after")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        serve(int(argv[2]))
    elif len(argv) == 4 and argv[1] == "http":
        http(int(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "xfer":
        return xfer(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 5 and argv[1] == "once":
        return once(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 5 and argv[1] == "hold":
        return hold(argv[2], int(argv[3]), argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, ValueError) as e:
        print("%s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "tcptool", e))
        sys.exit(1)
