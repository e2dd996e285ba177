#!/usr/bin/python3
"""peers.py - the peers of every kind that the namespace tests put through
shakeoff (issue 9): signed, MPTCP, Fast Open, reuseport groups, slow
acceptors and servers that speak first. The data exchange is tcptool.py's
XFER protocol (SHA-256 checked both ways); the servers are unmodified
accept() loops.

  peers.py serve md5 PORT KEY PEER...   dual-stack listener whose sockets
                                        need TCP-MD5 (RFC 2385) with KEY
                                        from each PEER address
  peers.py serve ao PORT KEY PEER...    the same with TCP-AO (RFC 5925,
                                        HMAC-SHA1-96, key ids 100/100)
  peers.py serve mptcp PORT             dual-stack IPPROTO_MPTCP listener
  peers.py serve reuseport PORT N DIR   N listeners in one SO_REUSEPORT
                                        group; DIR/counts: connections each
  peers.py serve slow PORT DELAY        backlog 1; accepts only after DELAY s
  peers.py serve banner PORT            sends "220 shakeoff-test ESMTP\\r\\n"
                                        first, then answers XFER
  peers.py xfer KIND HOST PORT NBYTES [KEY]
                                        one XFER from a client of KIND: tcp,
                                        md5, ao, mptcp, tfo (MSG_FASTOPEN: the
                                        command line rides in the SYN), banner
                                        (reads the banner first)
  peers.py many KIND HOST PORT N NBYTES  N such clients at once (threads);
                                        exit 0 when all of them passed
  peers.py probe ao|mptcp               exit 0 when this kernel has it
  PEERS_TIMEOUT=S (default 20): the clients' timeout per blocking call
  peers.py flood md5 IFACE SMAC DMAC DST PORT PPS SECONDS
                                        SYNs with a fake TCP-MD5 option from
                                        spoofed sources of DST's /24 (.100 to
                                        .199); prints the count sent
"""
import errno
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawtool  # noqa: E402  (send_paced)
import tcptool  # noqa: E402

TCP_MD5SIG = 14
TCP_AO_ADD_KEY = 38
IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
MSG_FASTOPEN = getattr(socket, "MSG_FASTOPEN", 0x20000000)
BANNER = b"220 shakeoff-test ESMTP\r\n"
TIMEOUT = float(os.environ.get("PEERS_TIMEOUT", "20"))  # per blocking call, s


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, mapped):
    """struct __kernel_sockaddr_storage (128 bytes) of addr; a dual-stack
    listener names an IPv4 peer by its v4-mapped IPv6 address."""
    if family_of(addr) == socket.AF_INET and mapped:
        addr = "::ffff:" + addr
    if family_of(addr) == socket.AF_INET:
        sa = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + socket.inet_aton(addr)
    else:
        sa = (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 0, 0) +
              socket.inet_pton(socket.AF_INET6, addr) + struct.pack("=I", 0))
    return sa.ljust(128, b"\0")


def set_md5(s, addr, key, mapped=False):
    """struct tcp_md5sig: address, flags, prefixlen, keylen, ifindex, key[80]."""
    k = key.encode()
    s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG,
                 sockaddr(addr, mapped) + struct.pack("=BBHi", 0, 0, len(k), 0) + k.ljust(80, b"\0"))


def set_ao(s, addr, key, mapped=False):
    """struct tcp_ao_add: address, alg_name[64], ifindex, set_current and
    set_rnext bits, reserved2, prefix, sndid, rcvid, maclen, keyflags,
    keylen, key[80]; 8-byte aligned (288 bytes)."""
    k = key.encode()
    plen = 128 if family_of(addr) == socket.AF_INET6 or mapped else 32
    v = (sockaddr(addr, mapped) + b"hmac(sha1)".ljust(64, b"\0") +
         struct.pack("=iIHBBBBBB", 0, 0x3, 0, plen, 100, 100, 12, 0, len(k)) + k.ljust(80, b"\0"))
    s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, v.ljust(288, b"\0"))


def accept_loop(s, before=None):
    while True:
        c, _ = s.accept()
        if before:
            before(c)
        threading.Thread(target=tcptool._guard, args=(tcptool.handle, c), daemon=True).start()


def serve(kind, port, args):
    if kind in ("md5", "ao"):
        s = tcptool.listener(port)
        for peer in args[1:]:
            (set_md5 if kind == "md5" else set_ao)(s, peer, args[0], mapped=True)
        s.listen(1024)
        accept_loop(s)
    elif kind == "mptcp":
        s = tcptool.listener(port, IPPROTO_MPTCP)
        s.listen(1024)
        accept_loop(s)
    elif kind == "slow":
        s = tcptool.listener(port)
        s.listen(1)
        time.sleep(float(args[0]))
        accept_loop(s)
    elif kind == "banner":
        s = tcptool.listener(port)
        s.listen(1024)
        accept_loop(s, before=lambda c: c.sendall(BANNER))
    elif kind == "reuseport":
        n, ctl = int(args[0]), args[1]
        counts = [0] * n
        lock = threading.Lock()

        def one(i, s):
            def note(c):
                with lock:
                    counts[i] += 1
                    tcptool.touch(os.path.join(ctl, "counts"), " ".join(map(str, counts)) + "\n")
            accept_loop(s, before=note)
        socks = [tcptool.listener(port, reuseport=True) for _ in range(n)]
        for s in socks:
            s.listen(1024)
        for i, s in enumerate(socks):
            threading.Thread(target=one, args=(i, s), daemon=True).start()
        tcptool.touch(os.path.join(ctl, "ready"))
        while True:
            time.sleep(3600)
    else:
        raise ValueError("unknown server kind %s" % kind)


def client(kind, host, port, key=None):
    """A connected socket of KIND, or (tfo) one whose SYN carries data."""
    proto = IPPROTO_MPTCP if kind == "mptcp" else 0
    s = socket.socket(family_of(host), socket.SOCK_STREAM, proto)
    if kind != "tfo":  # a blocking MSG_FASTOPEN send connects like connect()
        s.settimeout(TIMEOUT)
    if kind == "md5":
        set_md5(s, host, key)
    elif kind == "ao":
        set_ao(s, host, key)
    if kind != "tfo":
        s.connect((host, port))
    if kind == "banner":
        got = tcptool.recv_exact(s, len(BANNER))
        if got != BANNER:
            raise ValueError("banner: expected %r, got %r" % (BANNER, got))
    return s


def xfer(kind, host, port, n, key=None):
    s = client(kind, host, port, key)
    if kind != "tfo":
        return tcptool.xfer_on(s, n)
    # The XFER line in the SYN (MSG_FASTOPEN connects); the rest after.
    # Padded to 64 bytes, so that a SYN with it is longer than any SYN
    # without data (IP + a full TCP header: 80 / 100 bytes).
    line = ("XFER %d" % n).ljust(63).encode() + b"\n"
    sent = s.sendto(line, MSG_FASTOPEN, (host, port))
    s.settimeout(TIMEOUT)
    if sent != len(line):
        raise ValueError("MSG_FASTOPEN sent %d of %d bytes" % (sent, len(line)))
    return xfer_rest(s, n)


def xfer_rest(s, n):
    """tcptool.xfer_on after its command line has gone."""
    orig = s.sendall
    first = [True]

    class Skip:
        def __getattr__(self, name):
            return getattr(s, name)

        def sendall(self, b):
            if first[0]:
                first[0] = False
                return None
            return orig(b)
    return tcptool.xfer_on(Skip(), n)


def many(kind, host, port, n, nbytes, key=None):
    errors = []

    def one(i):
        try:
            rc = xfer(kind, host, port, nbytes, key)
            if rc:
                errors.append("client %d: bad data" % i)
        except Exception as e:
            errors.append("client %d: %s" % (i, e))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    out, sys.stdout = sys.stdout, open(os.devnull, "w")  # each xfer's line
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stdout = out
    print("%d of %d clients passed%s" % (n - len(errors), n,
                                         ": " + "; ".join(errors[:5]) if errors else ""))
    return 1 if errors else 0


def probe(what):
    if what == "mptcp":
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP).close()
            return 0
        except OSError as e:
            print("no MPTCP sockets: %s" % e)
            return 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, b"\0" * 8)
    except OSError as e:
        if e.errno == errno.ENOPROTOOPT:
            print("this kernel has no TCP-AO (CONFIG_TCP_AO): setsockopt(TCP_AO_ADD_KEY): %s"
                  % os.strerror(e.errno))
            return 1
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def md5_syn(smac, dmac, src, dst, sport, dport):
    """An Ethernet + IPv4 SYN with NOP NOP MD5 (a random digest), MSS,
    SACK-permitted and timestamps: what a BGP speaker sends, signed wrong."""
    opts = (b"\x01\x01\x13\x12" + os.urandom(16) + b"\x02\x04\x05\xb4\x04\x02\x08\x0a" +
            struct.pack("!II", random.getrandbits(32), 0))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0,
                      (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    c = csum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
    return mac(dmac) + mac(smac) + b"\x08\x00" + ip + tcp


def flood(iface, smac, dmac, dst, port, pps, seconds):
    frames = [md5_syn(smac, dmac, dst.rsplit(".", 1)[0] + ".%d" % (100 + i % 100), dst,
                      random.randrange(1024, 65536), port) for i in range(256)]
    sent, secs = rawtool.send_paced(iface, frames, pps, seconds)
    print("sent %d signed SYNs in %.2f s" % (sent, secs))
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "serve":
        serve(argv[2], int(argv[3]), argv[4:])
    elif len(argv) in (6, 7) and argv[1] == "xfer":
        return xfer(argv[2], argv[3], int(argv[4]), int(argv[5]), *argv[6:])
    elif len(argv) in (7, 8) and argv[1] == "many":
        return many(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]), *argv[7:])
    elif len(argv) == 3 and argv[1] == "probe":
        return probe(argv[2])
    elif len(argv) == 10 and argv[1] == "flood" and argv[2] == "md5":
        return flood(argv[3], argv[4], argv[5], argv[6], int(argv[7]), int(argv[8]),
                     float(argv[9]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, ValueError) as e:
        print("%s: %s" % (" ".join(sys.argv[1:3]), e))
        sys.exit(1)
