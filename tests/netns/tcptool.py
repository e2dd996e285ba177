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
  tcptool.py rawsyn IFACE SPEC           raw frames (scapy): send the SYNs of
                                         the JSON SPEC on IFACE, catch the
                                         SYN-ACKs (VLAN tags, IPv6 extension
                                         headers, odd sources; see rawsyn())
  tcptool.py flood IFACE SMAC DMAC DST PORT PPS SECONDS [nots]
                                         a paced SYN flood from spoofed sources
  tcptool.py bad IFACE SMAC DMAC SRC DST PORT KIND N [SECONDS]
                                         N frames that shakeoff drops, from
                                         ports 20000.. (KIND: ack = forged
                                         third ACK, tcpcsum / ipcsum = SYN with
                                         a bad checksum, synfin); with SECONDS,
                                         the N frames again and again for that
                                         long, as fast as it goes (without: each
                                         frame also printed, "frame HEX")

Protocol (client speaks first, one line):
  "XFER n\\n" + n bytes   -> server: sha256(received) hex + "\\n", then n bytes
                            of its own, then sha256(sent) hex + "\\n"
  "ECHO\\n"               -> server echoes everything until EOF
  "BYE\\n"                -> server sends "bye\\n" and closes at once
  "RST\\n"                -> server sends "rst\\n" and aborts (SO_LINGER 0: RST)
The server is an unmodified accept() loop: it never knows about shakeoff.
"""
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


def peer_main(argv):
    if argv[0] == "server" and len(argv) == 4:
        port, ctl, steps = int(argv[1]), argv[2], argv[3]
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.bind(("::", port))
        ls.listen(8)
        touch(os.path.join(ctl, "listening"))
        ls.settimeout(60)
        s, _ = ls.accept()
        ls.close()
        s.settimeout(60)
        return peer("server", s, ctl, steps)
    if argv[0] == "client" and len(argv) == 5:
        host, port, ctl, steps = argv[1], int(argv[2]), argv[3], argv[4]
        t0 = time.time_ns()
        s = connect(host, port)
        touch(os.path.join(ctl, "client.connect_ns"), "%d %d" % (t0, time.time_ns()))
        touch(os.path.join(ctl, "client.port"), str(s.getsockname()[1]))
        return peer("client", s, ctl, steps)
    print(__doc__, file=sys.stderr)
    return 2


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
            got = b""
            while True:
                b = s.recv(16)
                if not b:
                    break
                got += b
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


# --- raw frames (scapy): SYNs in VLAN tags or behind IPv6 extension headers ----

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6


def raw_socket(iface):
    """An AF_PACKET socket on iface that sees every frame; the kernel strips
    the outer VLAN tag on receive, so it comes back as auxdata."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: room for bursts
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))
    return s


def raw_recv(s):
    """One frame as it was on the wire: the outer tag put back."""
    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
    if addr[2] == socket.PACKET_OUTGOING:
        return None
    for level, kind, val in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(val) >= 20:
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", val[:20])
            if status & TP_STATUS_VLAN_VALID:
                if not status & TP_STATUS_VLAN_TPID_VALID:
                    tpid = 0x8100
                data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


def build_syn(p, sport):
    """The SYN of probe p (a dict, see rawsyn) from sport, as bytes."""
    from scapy.all import Ether, TCP

    f = with_tags(Ether(src=p.get("smac", p["mac"]), dst=p["dmac"]), p.get("tags", [])) / l3_header(p)
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
            ("WScale", 7)]
    if p.get("nots"):  # Windows' SYN: no timestamps
        opts = [("MSS", 1460), ("NOP", None), ("WScale", 8), ("NOP", None), ("NOP", None),
                ("SAckOK", b"")]
    tcp = TCP(sport=sport, dport=p["dport"], flags="S", seq=1000 + sport,
              options=[] if p.get("noopts") else opts)
    return bytes(f / tcp)


def with_tags(eth, tags):
    """eth followed by the tags [[tpid, tci], ...], outermost first."""
    from scapy.all import Dot1Q, Dot1AD

    for i, (tpid, tci) in enumerate(tags):
        tag = (Dot1AD if tpid == 0x88a8 else Dot1Q)(prio=tci >> 13, id=(tci >> 12) & 1,
                                                     vlan=tci & 0xfff)
        if i + 1 < len(tags):
            tag.type = tags[i + 1][0]
        eth = eth / tag
    return eth


def l3_header(p):
    """IPv4, or IPv6 with the extension headers p["ext"] asks for."""
    from scapy.all import IP, IPv6
    from scapy.layers.inet6 import (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                                    IPv6ExtHdrFragment)

    if ":" not in p["dst"]:
        return IP(src=p["src"], dst=p["dst"], ttl=64)
    l3 = IPv6(src=p["src"], dst=p["dst"], hlim=64)
    for e in p.get("ext", []):
        l3 = l3 / {"hop": IPv6ExtHdrHopByHop, "dst": IPv6ExtHdrDestOpt,
                   "rt": lambda: IPv6ExtHdrRouting(addresses=[]),
                   "frag": lambda: IPv6ExtHdrFragment(m=1, offset=0, id=0x5348)}[e]()
    return l3


def describe(frame, p):
    """What a reply frame is, as a dict the test can check."""
    from scapy.all import Ether, IP, IPv6, TCP

    e = Ether(frame)
    tags, l = [], e.payload
    t = e.type
    while t in (0x8100, 0x88a8):
        tags.append([t, l.prio << 13 | l.id << 12 | l.vlan])
        t, l = l.type, l.payload
    out = {"tags": tags, "eth_src": e.src, "eth_dst": e.dst}
    ip = e.getlayer(IP) or e.getlayer(IPv6)
    tcp = e.getlayer(TCP)
    if ip is None or tcp is None:
        return out
    out.update(src=ip.src, dst=ip.dst, sport=tcp.sport, dport=tcp.dport, flags=str(tcp.flags),
               seq=tcp.seq, ack=tcp.ack, tcp_len=len(tcp), frame_len=len(frame))
    out["ext"] = ip.nh != 6 if ip.version == 6 else False
    tcp_ck = tcp.chksum
    c = Ether(frame)
    c.getlayer(TCP).chksum = None
    if ip.version == 4:
        ip_ck = ip.chksum
        c.getlayer(IP).chksum = None
        c = Ether(bytes(c))
        out["ip_csum_ok"] = c.getlayer(IP).chksum == ip_ck
    else:
        c = Ether(bytes(c))
        out["ip_csum_ok"] = True
    out["tcp_csum_ok"] = c.getlayer(TCP).chksum == tcp_ck
    out["opts"] = {k: v for k, v in tcp.options if k in ("MSS", "WScale", "Timestamp", "SAckOK")}
    if "Timestamp" in out["opts"]:
        out["opts"]["Timestamp"] = list(out["opts"]["Timestamp"])
    if "SAckOK" in out["opts"]:
        out["opts"]["SAckOK"] = True
    return out


def build_ack(p, reply, tags):
    """The third ACK to a SYN-ACK described by reply, in the given tags."""
    from scapy.all import Ether, TCP

    f = with_tags(Ether(src=p.get("smac", p["mac"]), dst=p["dmac"]), tags) / l3_header(p)
    opts = []
    if "Timestamp" in reply.get("opts", {}):
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (12346, reply["opts"]["Timestamp"][0]))]
    tcp = TCP(sport=reply["dport"], dport=p["dport"], flags="A", seq=reply["ack"],
              ack=(reply["seq"] + 1) & 0xffffffff, window=502, options=opts)
    return bytes(f / tcp)


def rawsyn(iface, spec):
    """Send the SYNs of each probe in spec (JSON list) on iface and catch
    what comes back. A probe: name, src, dst, dport, sport, mac (ours),
    dmac (the server's), and optional:
      tags   [[TPID, TCI], ...], outermost first
      ext    IPv6 extension headers in order: "hop", "dst", "rt", "frag"
             (a first fragment)
      smac   another source MAC
      noopts true: a SYN without TCP options (by default MSS, SACK, TS, WS)
      count  SYNs from sport, sport+1, ...
      wait   seconds to catch answers (default 0.5)
      ack    "tagged": answer the first SYN-ACK with an ACK in the same tags,
             "plain": without tags (the ACK carries the probe's extension
             headers either way)
    Prints a JSON list, one object per probe: name, sent, syn_len (of the
    first SYN frame), answers (SYN-ACKs to its ports), frames (any TCP frame to its ports), first (the first
    answer, see describe)."""
    import json
    import select

    results = []
    s = raw_socket(iface)
    for p in json.loads(spec):
        count, sport0 = p.get("count", 1), p["sport"]
        ports = set((sport0 + i) & 0xffff for i in range(count))
        frames = [build_syn(p, port) for port in sorted(ports)]
        while select.select([s], [], [], 0)[0]:  # drain what came before
            s.recv(65536)
        for f in frames:
            s.send(f)
        answers, seen, first = 0, 0, None
        deadline = time.time() + p.get("wait", 0.5)
        while True:
            left = deadline - time.time()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            f = raw_recv(s)
            if not f:
                continue
            d = describe(f, p)
            if "dport" not in d or d["dport"] not in ports or d.get("sport") != p["dport"]:
                continue
            seen += 1
            if d["flags"] == "SA":
                answers += 1
                if first is None:
                    first = d
                    if p.get("ack"):
                        s.send(build_ack(p, d, p.get("tags", []) if p["ack"] == "tagged" else []))
        results.append({"name": p["name"], "sent": len(frames), "syn_len": len(frames[0]),
                        "answers": answers, "frames": seen, "first": first})
    print(json.dumps(results))
    return 0


def flood(iface, smac, dmac, dst, port, pps, seconds, kind="linux"):
    """SYNs to dst:port at about pps for seconds, from spoofed sources of
    dst's /24 (.100 to .199, hosts that do not exist, so that nobody answers
    the SYN-ACKs with RSTs) and random ports: Linux's options, or (kind
    "nots") Windows' without timestamps. Prints the count sent."""
    import random

    p = {"mac": smac, "dmac": dmac, "dst": dst, "dport": port, "nots": kind == "nots"}
    frames = []
    for i in range(256):
        if ":" in dst:
            p["src"] = dst.rsplit(":", 1)[0] + ":%x" % (0x100 + i % 100)
        else:
            p["src"] = dst.rsplit(".", 1)[0] + ".%d" % (100 + i % 100)
        frames.append(build_syn(p, random.randrange(1024, 65536)))
    sent, secs = send_paced(iface, frames, pps, seconds)
    print("sent %d SYNs in %.1f s" % (sent, secs))
    return 0


def send_paced(iface, frames, pps, seconds):
    """Send the frames in turn on iface (AF_PACKET) at about pps for
    seconds, in bursts of a hundredth of a second; (count, seconds)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    sent, t0, burst = 0, time.time(), max(1, pps // 100)
    while time.time() - t0 < seconds:
        for _ in range(burst):
            s.send(frames[sent % len(frames)])
            sent += 1
        ahead = sent / pps - (time.time() - t0)
        if ahead > 0:
            time.sleep(ahead)
    return sent, time.time() - t0


def bad_frame(smac, dmac, src, dst, dport, kind, sport):
    """One frame of kind (see bad()) from sport, as bytes."""
    from scapy.all import Ether, TCP

    p = {"mac": smac, "dmac": dmac, "src": src, "dst": dst}
    ip = l3_header(p)
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
            ("WScale", 7)]
    if kind == "ack":
        tcp = TCP(sport=sport, dport=dport, flags="A", seq=5000 + sport, ack=0x5348414b + sport)
    else:
        tcp = TCP(sport=sport, dport=dport, flags="SF" if kind == "synfin" else "S",
                  seq=1000 + sport, options=opts)
    if kind == "tcpcsum":
        tcp.chksum = 0xbad
    if kind == "ipcsum":
        ip.chksum = 0xbad
    return bytes(Ether(src=smac, dst=dmac) / ip / tcp)


def bad(iface, smac, dmac, src, dst, dport, kind, n, seconds):
    """Send n frames that shakeoff drops, once, or round and round for
    seconds; prints how many were sent."""
    frames = [bad_frame(smac, dmac, src, dst, dport, kind, 20000 + i) for i in range(n)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    sent, t0 = 0, time.time()
    while True:
        for f in frames:
            try:
                s.send(f)
                sent += 1
            except BlockingIOError:
                pass
        if time.time() - t0 >= seconds:
            break
    print("sent %d" % sent)
    if not seconds:
        for f in frames:
            print("frame " + f.hex())
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
    elif len(argv) >= 3 and argv[1] == "peer":
        return peer_main(argv[2:])
    elif len(argv) == 6 and argv[1] == "churn":
        return churn(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) == 5 and argv[1] == "many":
        return many(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 5 and argv[1] == "stream":
        return stream(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 6 and argv[1] == "xferopt":
        return xferopt(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif len(argv) == 4 and argv[1] == "rawsyn":
        return rawsyn(argv[2], argv[3])
    elif len(argv) in (10, 11) and argv[1] == "bad":
        return bad(argv[2], argv[3], argv[4], argv[5], argv[6], int(argv[7]), argv[8],
                   int(argv[9]), float(argv[10]) if len(argv) == 11 else 0)
    elif len(argv) in (9, 10) and argv[1] == "flood":
        return flood(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]),
                     float(argv[8]), *argv[9:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, ValueError) as e:
        print("%s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "tcptool", e))
        sys.exit(1)
