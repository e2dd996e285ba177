#!/usr/bin/python3
"""tcptool.py - the plain TCP server and clients of the namespace tests
(sockets only; raw frames are rawtool.py's).

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
  tcptool.py hold HOST PORT CTLDIR       open one connection and exchange
                                         messages; write CTLDIR/ready, wait for
                                         CTLDIR/go, exchange again, exit 0 if
                                         every byte came back
  tcptool.py peer server PORT CTLDIR STEPS
  tcptool.py peer client HOST PORT CTLDIR STEPS
                                         one connection whose each side runs a
                                         script (see peer() below): send, recv,
                                         shutdown, close, abort (RST), and
                                         checkpoints that wait for the test
  tcptool.py churn HOST PORT N CONC      N connections, CONC at a time, closed
                                         in turn by the client (FIN), the
                                         server (FIN), the client (RST) and the
                                         server (RST); prints the tally
  tcptool.py many HOST PORT N            N connections open at once: each
                                         echoes a message, then (all open)
                                         another, then closes; exit 0 if every
                                         byte came back
  tcptool.py stream HOST PORT CTLDIR     one connection echoing random
                                         messages until CTLDIR/stop appears;
                                         CTLDIR/rounds counts them
  tcptool.py xferopt HOST PORT N hop|dst xfer from a socket whose every
                                         segment carries an IPv6 hop-by-hop or
                                         destination options header

Protocol (client speaks first, one line):
  "XFER n\\n" + n bytes   -> server: sha256(received) hex + "\\n", then n bytes
                            of its own, then sha256(sent) hex + "\\n"
  "ECHO\\n"               -> server echoes everything until EOF
  "BYE\\n"                -> server sends "bye\\n" and closes at once
  "RST\\n"                -> server sends "rst\\n" and aborts (SO_LINGER 0: RST)
The server is an unmodified accept() loop: it never knows about shakeoff.
"""
import argparse
import hashlib
import os
import socket
import struct
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


def recv_to_eof(s):
    """Everything the peer sends until its FIN."""
    got = b""
    while True:
        b = s.recv(CHUNK)
        if not b:
            return got
        got += b


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
        elif cmd[0] == "RST":
            c.sendall(b"rst\n")
            abort(c)
        elif cmd[0] == "ECHO":
            while True:
                b = c.recv(CHUNK)
                if not b:
                    break
                c.sendall(b)


def listener(port, proto=0, reuseport=False):
    """A dual-stack TCP (or proto) socket bound to [::]:port, not listening
    yet (a caller may set socket options that must come first)."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    return s


def serve(port):
    s = listener(port)
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
    return xfer_on(connect(host, port), n)


def xfer_on(s, n):
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
    got = recv_to_eof(s)
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


# --- scripted connections (peer), churn, stream -------------------------------


def abort(s):
    """Close with SO_LINGER {1, 0}: the kernel sends an RST, not a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def wait_file(path, timeout=120):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            raise TimeoutError("no %s after %d s" % (path, timeout))
        time.sleep(0.02)


def touch(path, text=""):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def size_of(word):
    """'4M' -> 4 MiB, '64K' -> 64 KiB, '100' -> 100."""
    mult = {"K": 1 << 10, "M": 1 << 20}.get(word[-1:], 1)
    return int(word[:-1] if mult > 1 else word) * mult


class Tally:
    """Bytes and SHA-256 of everything one direction carried."""

    def __init__(self):
        self.h, self.n = hashlib.sha256(), 0

    def add(self, b):
        self.h.update(b)
        self.n += len(b)

    def __str__(self):
        return "%d %s" % (self.n, self.h.hexdigest())


def closing(s, ctl, role):
    """Before a close: ROLE.closed_ns (now, ns since the epoch) and
    ROLE.wire_bytes, the payload bytes the socket put on the wire,
    retransmissions included (tcp_info's tcpi_bytes_sent, RFC 4898)."""
    touch(os.path.join(ctl, role + ".closed_ns"), str(time.time_ns()))
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) >= 208:
        touch(os.path.join(ctl, role + ".wire_bytes"), str(struct.unpack_from("=Q", info, 200)[0]))


def peer(role, s, ctl, steps):
    """Run STEPS (comma-separated) on the connected socket s:
      send:N     send N random bytes (N may end in K or M)
      recv:N     receive exactly N bytes
      eof        receive until EOF
      rst        receive until the peer's RST (ECONNRESET); EOF is an error
      shut       shutdown(SHUT_WR): our FIN, the other direction stays open
      cork       TCP_CORK on: what is sent next waits for a full segment, or
                 for the FIN of a close, which then rides on it
      close      close()
      abort      close() with SO_LINGER {1, 0}: an RST
      cp:NAME    write CTLDIR/NAME.at, then wait for CTLDIR/NAME.go
      wait:NAME  wait for CTLDIR/NAME.go (the test, or the other side, writes it)
      mark:NAME  write CTLDIR/NAME.go
    At the end CTLDIR/ROLE.sent and ROLE.recv hold "bytes sha256" of each
    direction, for the test to compare with the other side's; ROLE.closed_ns
    and ROLE.wire_bytes what closing() says at its close or abort, and
    client.connect_ns the times before and after the client's connect()."""
    sent, got = Tally(), Tally()
    block = os.urandom(CHUNK)
    try:
        for step in steps.split(","):
            op, _, arg = step.partition(":")
            if op == "send":
                n, off = size_of(arg), 0
                while off < n:
                    k = min(CHUNK, n - off)
                    b = block[:k - 8] + (sent.n + off).to_bytes(8, "big") if k > 8 else block[:k]
                    s.sendall(b)
                    sent.add(b)
                    off += k
            elif op == "recv":
                n = size_of(arg)
                while n:
                    b = s.recv(min(CHUNK, n))
                    if not b:
                        raise EOFError("EOF with %d bytes still to come" % n)
                    got.add(b)
                    n -= len(b)
            elif op == "eof":
                while True:
                    b = s.recv(CHUNK)
                    if not b:
                        break
                    got.add(b)
            elif op == "rst":
                try:
                    while True:
                        b = s.recv(CHUNK)
                        if not b:
                            raise EOFError("expected an RST, got EOF")
                        got.add(b)
                except ConnectionResetError:
                    pass
            elif op == "shut":
                s.shutdown(socket.SHUT_WR)
            elif op == "cork":
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            elif op == "close":
                closing(s, ctl, role)
                s.close()
            elif op == "abort":
                closing(s, ctl, role)
                abort(s)
            elif op == "cp":
                touch(os.path.join(ctl, arg + ".at"))
                wait_file(os.path.join(ctl, arg + ".go"))
            elif op == "wait":
                wait_file(os.path.join(ctl, arg + ".go"))
            elif op == "mark":
                touch(os.path.join(ctl, arg + ".go"))
            else:
                raise ValueError("unknown step %r" % step)
    finally:
        touch(os.path.join(ctl, role + ".sent"), str(sent))
        touch(os.path.join(ctl, role + ".recv"), str(got))
    print("%s: sent %s, received %s" % (role, sent, got))
    return 0


def peer_server(port, ctl, steps):
    ls = listener(port)
    ls.listen(8)
    touch(os.path.join(ctl, "listening"))
    ls.settimeout(60)
    s, _ = ls.accept()
    ls.close()
    s.settimeout(60)
    return peer("server", s, ctl, steps)


def peer_client(host, port, ctl, steps):
    t0 = time.time_ns()
    s = connect(host, port)
    touch(os.path.join(ctl, "client.connect_ns"), "%d %d" % (t0, time.time_ns()))
    touch(os.path.join(ctl, "client.port"), str(s.getsockname()[1]))
    return peer("client", s, ctl, steps)


CHURN_MODES = ("client_fin", "server_fin", "client_rst", "server_rst")


def churn_one(host, port, mode):
    """One connection of the churn, closed as mode says; raises on error."""
    s = connect(host, port)
    try:
        if mode == "client_fin":
            msg = os.urandom(1000)
            s.sendall(b"ECHO\n" + msg)
            if recv_exact(s, len(msg)) != msg:
                raise ValueError("echo mismatch")
            s.shutdown(socket.SHUT_WR)
            if s.recv(1):
                raise ValueError("data after EOF")
            s.close()
        elif mode == "server_fin":
            s.sendall(b"BYE\n")
            got = recv_to_eof(s)
            if got != b"bye\n":
                raise ValueError("expected bye, got %r" % got)
            s.close()
        elif mode == "client_rst":
            msg = os.urandom(1000)
            s.sendall(b"ECHO\n" + msg)
            if recv_exact(s, len(msg)) != msg:
                raise ValueError("echo mismatch")
            abort(s)
        else:
            s.sendall(b"RST\n")
            got = b""
            try:
                while True:
                    b = s.recv(16)
                    if not b:
                        raise EOFError("EOF instead of an RST after %r" % got)
                    got += b
            except ConnectionResetError:
                pass
            s.close()
    except BaseException:
        s.close()
        raise


def churn(host, port, n, conc):
    """n connections, conc at a time, the close modes in turn."""
    import concurrent.futures as cf

    tally = {m: 0 for m in CHURN_MODES}
    errors = []
    with cf.ThreadPoolExecutor(conc) as pool:
        futs = {pool.submit(churn_one, host, port, CHURN_MODES[i % 4]): CHURN_MODES[i % 4]
                for i in range(n)}
        for f in cf.as_completed(futs):
            try:
                f.result()
                tally[futs[f]] += 1
            except Exception as e:
                errors.append("%s: %s" % (futs[f], e))
    print(" ".join("%s=%d" % kv for kv in tally.items()), "errors=%d" % len(errors))
    for e in errors[:5]:
        print("error:", e)
    return 1 if errors else 0


def many(host, port, n):
    """n connections open at the same time, each checked before and after
    all of them are open."""
    conns = []
    try:
        for _ in range(n):
            s = connect(host, port)
            s.sendall(b"ECHO\n")
            exchange(s, 1, 1000)
            conns.append(s)
        for s in conns:
            exchange(s, 2, 3000)
        for s in conns:
            s.shutdown(socket.SHUT_WR)
        for s in conns:
            if s.recv(1):
                raise ValueError("data after EOF")
            s.close()
    except (OSError, EOFError, ValueError) as e:
        print("with %d of %d connections open: %s" % (len(conns), n, e))
        return 1
    print("%d connections open at once, every message back" % n)
    return 0


def stream(host, port, ctl):
    """Echo random messages on one connection until CTLDIR/stop; every
    message must come back intact, and no round may take longer than the
    socket timeout (30 s). CTLDIR/rounds is updated about every 0.2 s."""
    s = connect(host, port)
    s.sendall(b"ECHO\n")
    rounds, last, worst = 0, time.time(), 0.0
    touch(os.path.join(ctl, "ready"))
    while not os.path.exists(os.path.join(ctl, "stop")):
        t0 = time.time()
        msg = os.urandom(1024 + rounds % 15000)
        s.sendall(msg)
        if recv_exact(s, len(msg)) != msg:
            print("echo mismatch in round %d" % rounds)
            return 1
        rounds += 1
        worst = max(worst, time.time() - t0)
        if time.time() - last > 0.2:
            touch(os.path.join(ctl, "rounds"), str(rounds))
            last = time.time()
        time.sleep(0.005)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1):
        print("data after EOF")
        return 1
    s.close()
    touch(os.path.join(ctl, "rounds"), str(rounds))
    print("%d rounds, slowest %.3f s" % (rounds, worst))
    return 0


def xferopt(host, port, n, kind):
    """xfer() from a socket with an IPv6 extension header on every segment:
    a hop-by-hop or destination options header with one PadN option."""
    opt = {"hop": socket.IPV6_HOPOPTS, "dst": socket.IPV6_DSTOPTS}[kind]
    # next header (filled in by the kernel), length 0 (8 bytes), PadN of 4
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, opt, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    s.settimeout(30)
    s.connect((host, port))
    return xfer_on(s, n)


# The subcommands: name, function, its arguments in order (NAME, type); a
# list of words as the type is a choice among them, a NAME ending in "?"
# may be left out (the last ones only).
COMMANDS = [
    ("serve", serve, [("port", int)]),
    ("http", http, [("port", int), ("dir", str)]),
    ("xfer", xfer, [("host", str), ("port", int), ("nbytes", int)]),
    ("once", once, [("host", str), ("port", int), ("lport", int)]),
    ("hold", hold, [("host", str), ("port", int), ("ctldir", str)]),
    ("peer server", peer_server, [("port", int), ("ctldir", str), ("steps", str)]),
    ("peer client", peer_client, [("host", str), ("port", int), ("ctldir", str), ("steps", str)]),
    ("churn", churn, [("host", str), ("port", int), ("n", int), ("conc", int)]),
    ("many", many, [("host", str), ("port", int), ("n", int)]),
    ("stream", stream, [("host", str), ("port", int), ("ctldir", str)]),
    ("xferopt", xferopt, [("host", str), ("port", int), ("n", int), ("kind", ["hop", "dst"])]),
]


def parser(prog, doc, commands):
    """An argparse parser whose subcommands (two words: a subcommand of a
    subcommand) call their function with their arguments."""
    p = argparse.ArgumentParser(prog=prog, description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    subs = {(): p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")}
    for name, fn, args in commands:
        words = tuple(name.split())
        if words[:-1] not in subs:
            parent = subs[words[:-2]].add_parser(words[-2])
            subs[words[:-1]] = parent.add_subparsers(dest="sub", required=True, metavar="ROLE")
        c = subs[words[:-1]].add_parser(words[-1])
        for arg, t in args:
            kind = {"choices": t} if isinstance(t, list) else {"type": t}
            if arg.endswith("?"):  # optional, last: the function's default
                kind["nargs"] = "?"
            c.add_argument(arg.rstrip("?"), **kind)
        c.set_defaults(run=lambda o, fn=fn, args=args: fn(*given(o, args)))
    return p


def given(o, args):
    """The values of args in o, without the optional ones left out."""
    values = [getattr(o, a.rstrip("?")) for a, _ in args]
    while values and values[-1] is None:
        values.pop()
    return values


def main(argv):
    o = parser("tcptool.py", __doc__, COMMANDS).parse_args(argv[1:])
    return o.run(o)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, ValueError) as e:
        print("%s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "tcptool", e))
        sys.exit(1)
