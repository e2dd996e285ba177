#!/usr/bin/env python3
"""kcsynack.py HOST PORT SPORT [LAYOUT]: send a SYN with MSS 1460, SACK-
permitted, timestamps and window scale 7, in Linux's layout (LAYOUT linux,
the default: XDP reads it at fixed offsets) or another (other: NOP, window
scale, NOP, NOP, timestamps, SACK-permitted, as some stacks send them: XDP
walks it option by option, in a bpf_loop), and print the SYN-ACK that comes
back as one JSON object: ttl, df, window, flags, the options in order
([kind, value]), and the TSval's low six bits. Exit 1 if none came."""
import json
import sys

from scapy.all import IP, IPv6, TCP, conf, sr1

conf.verb = 0
host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
layout = sys.argv[4] if len(sys.argv) > 4 else "linux"
OPTS = {
    "linux": [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
              ("WScale", 7)],
    "other": [("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
              ("Timestamp", (12345, 0)), ("SAckOK", b"")],
}
l3 = IPv6(dst=host) if ":" in host else IP(dst=host, flags="DF")
syn = l3 / TCP(sport=sport, dport=port, flags="S", seq=1000, window=64240,
               options=OPTS[layout])
r = sr1(syn, timeout=5)
if r is None or TCP not in r:
    print("no SYN-ACK")
    sys.exit(1)
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
