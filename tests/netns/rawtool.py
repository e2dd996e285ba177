#!/usr/bin/python3
"""rawtool.py - raw frames (scapy, AF_PACKET) for the namespace tests: what
no socket sends. tcptool.py has the socket clients and servers.

  rawtool.py rawsyn IFACE SPEC           send the SYNs of the JSON SPEC on
                                         IFACE, catch the SYN-ACKs (VLAN tags,
                                         IPv6 extension headers, odd sources;
                                         see rawsyn())
  rawtool.py flood IFACE SMAC DMAC DST PORT PPS SECONDS [nots]
                                         a paced SYN flood from spoofed sources
  rawtool.py bad IFACE SMAC DMAC SRC DST PORT KIND N [SECONDS]
                                         N frames that shakeoff drops, from
                                         ports 20000.. (KIND: ack = forged
                                         third ACK, tcpcsum / ipcsum = SYN with
                                         a bad checksum, synfin); with SECONDS,
                                         the N frames again and again for that
                                         long, as fast as it goes (without: each
                                         frame also printed, "frame HEX")
  rawtool.py synack HOST PORT SPORT [linux|other]
                                         one SYN with MSS, SACK, timestamps and
                                         window scale in Linux's layout or
                                         another, through the host's stack;
                                         the SYN-ACK as JSON (see synack())
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcptool  # noqa: E402  (the subcommand parser)

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


def bad(iface, smac, dmac, src, dst, dport, kind, n, seconds=0):
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

# --- one SYN through the host's own stack (sr1): the SYN-ACK as JSON ----------

SYNACK_LAYOUTS = {
    "linux": [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
              ("WScale", 7)],
    "other": [("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
              ("Timestamp", (12345, 0)), ("SAckOK", b"")],
}
SYNACK_LAYOUTS["ecn"] = SYNACK_LAYOUTS["linux"]  # and ECE, CWR: an ECN-setup SYN


def synack(host, port, sport, layout="linux"):
    """Send a SYN with MSS 1460, SACK-permitted, timestamps and window scale
    7, in Linux's layout (linux: XDP reads it at fixed offsets) or another
    (other: NOP, window scale, NOP, NOP, timestamps, SACK-permitted, as some
    stacks send them: XDP walks it option by option, in a bpf_loop), and
    print the SYN-ACK that comes back as one JSON object: ttl, df, window,
    flags, ack, the options in order ([kind, value]), and the TSval's low six
    bits. ecn: Linux's layout in an ECN-setup SYN (ECE, CWR). 1 if none came."""
    import json
    from scapy.all import IP, IPv6, TCP, conf, sr1

    conf.verb = 0
    l3 = IPv6(dst=host) if ":" in host else IP(dst=host, flags="DF")
    syn = l3 / TCP(sport=sport, dport=port, flags="SEC" if layout == "ecn" else "S",
                   seq=1000, window=64240,
                   options=SYNACK_LAYOUTS[layout])
    r = sr1(syn, timeout=5)
    if r is None or TCP not in r:
        print("no SYN-ACK")
        return 1
    t = r[TCP]
    opts = []
    tslow = None
    for k, v in t.options:
        if k == "Timestamp":
            tslow = v[0] & 63
            v = ["TSval", v[1]]  # TSval varies (time); TSecr must echo ours
        elif isinstance(v, bytes):
            v = v.hex()
        opts.append([k, v])
    out = {
        "ttl": r.hlim if IPv6 in r else r.ttl,
        "df": bool(r.flags & 2) if IP in r else None,
        "window": t.window,
        "flags": str(t.flags),
        "ack": t.ack,
        "options": opts,
        "ts_low6": tslow,
    }
    print(json.dumps(out, sort_keys=True))
    return 0


COMMANDS = [
    ("rawsyn", rawsyn, [("iface", str), ("spec", str)]),
    ("flood", flood, [("iface", str), ("smac", str), ("dmac", str), ("dst", str), ("port", int),
                      ("pps", int), ("seconds", float), ("kind?", ["linux", "nots"])]),
    ("synack", synack, [("host", str), ("port", int), ("sport", int),
                        ("layout?", list(SYNACK_LAYOUTS))]),
    ("bad", bad, [("iface", str), ("smac", str), ("dmac", str), ("src", str), ("dst", str),
                  ("port", int), ("kind", ["ack", "tcpcsum", "ipcsum", "synfin"]), ("n", int),
                  ("seconds?", float)]),
]


if __name__ == "__main__":
    try:
        o = tcptool.parser("rawtool.py", __doc__, COMMANDS).parse_args()
        sys.exit(o.run(o))
    except (OSError, EOFError, ValueError) as e:
        print("%s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "rawtool", e))
        sys.exit(1)
