#!/usr/bin/env bash
# bench/bulk.sh - does an established connection pay for the offload?
#
# One TCP connection moves BULK_MB megabytes client->server and then
# server->client across a veth pair, in rotating rounds (the VM's speed
# phases hit all alike), three ways: nothing attached ("none"); a native XDP
# program that only passes, as shakeoff's takes multi-buffer frames
# ("floor": a veth copies every frame into page-pool memory for any XDP
# program, which a NIC does not); shakeoff attached. Prints Gbit/s per
# direction and mode (median of the rounds) and the ratios shakeoff/none
# (issue 2 asks for at least 0.9) and shakeoff/floor (what shakeoff's own
# work costs, over the price of XDP on a veth). The client veth has checksum
# offload off, so that its SYN carries a full checksum; without it the
# client has no TSO/GSO either: the upload is one frame per segment. A
# measurement, not a test: nothing here fails on a number.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
SHAKEOFF=${SHAKEOFF:-$TOP/$O/shakeoff}
BENCHCTL=${BENCHCTL:-$TOP/$O/bench/benchctl}
MB=${BULK_MB:-1000}
ROUNDS=${BULK_ROUNDS:-3}
PY=/usr/bin/python3
id=$(printf '%x%04x' $$ $RANDOM | cut -c1-8)
C=sobkc$id S=sobks$id CI=bkc$id SI=bks$id
PORT=5201

cleanup() {
	nsenter --net=/run/netns/$S "$SHAKEOFF" detach $SI >/dev/null 2>&1 || true
	nsenter --net=/run/netns/$S "$BENCHCTL" detach $SI >/dev/null 2>&1 || true
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add $C
ip netns add $S
ip -n $C link add $CI type veth peer name $SI netns $S
ip -n $C addr add 198.18.0.1/24 dev $CI
ip -n $S addr add 198.18.0.2/24 dev $SI
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set $CI up
ip -n $S link set $SI up
ip netns exec $C ethtool -K $CI tx off gro on >/dev/null

# One connection: the server sinks MB megabytes, then sends MB back; each
# side reports the seconds its direction took.
cat >"/tmp/bulk.$id.py" <<'PYEOF'
import socket, sys, time
role, host, port, mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n = mb << 20
buf = bytes(1 << 20)
def recv_all(s, n):
    got = 0
    while got < n:
        k = len(s.recv(1 << 20))
        if not k: raise SystemExit("short read")
        got += k
if role == "server":
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, port)); l.listen(1)
    print("ready", flush=True)
    c, _ = l.accept()
    recv_all(c, n)
    for _ in range(mb): c.sendall(buf)
    c.close()
else:
    s = socket.create_connection((host, port))
    t0 = time.monotonic()
    for _ in range(mb): s.sendall(buf)
    t1 = time.monotonic()
    recv_all(s, n)
    t2 = time.monotonic()
    print(f"{t1 - t0:.4f} {t2 - t1:.4f}")
PYEOF

one_run() { # prints "up_seconds down_seconds"
	ip netns exec $S $PY "/tmp/bulk.$id.py" server 198.18.0.2 $PORT $MB >"/tmp/bulk.$id.srv" &
	local spid=$! i
	for i in $(seq 50); do grep -q ready "/tmp/bulk.$id.srv" 2>/dev/null && break; sleep 0.1; done
	ip netns exec $C $PY "/tmp/bulk.$id.py" client 198.18.0.2 $PORT $MB
	wait $spid
}

mode_on() {
	case $1 in
	floor) nsenter --net=/run/netns/$S "$BENCHCTL" attach $SI xdp_pass_frags >/dev/null ;;
	shakeoff) nsenter --net=/run/netns/$S "$SHAKEOFF" attach $SI --ports $PORT >/dev/null ;;
	esac
}
mode_off() {
	case $1 in
	floor) nsenter --net=/run/netns/$S "$BENCHCTL" detach $SI >/dev/null ;;
	shakeoff) nsenter --net=/run/netns/$S "$SHAKEOFF" detach $SI >/dev/null ;;
	esac
}

declare -A res
MODES=(none floor shakeoff)
for r in $(seq "$ROUNDS"); do
	for i in 0 1 2; do
		mode=${MODES[(i + r) % 3]} # each mode first, middle and last in turn
		mode_on $mode
		read -r up down < <(one_run)
		res[$mode.up]+="$up "
		res[$mode.down]+="$down "
		mode_off $mode
	done
done
rm -f "/tmp/bulk.$id.py" "/tmp/bulk.$id.srv"

$PY - "$MB" "${res[none.up]}" "${res[floor.up]}" "${res[shakeoff.up]}" \
	"${res[none.down]}" "${res[floor.down]}" "${res[shakeoff.down]}" <<'PYEOF'
import statistics, sys
mb = int(sys.argv[1])
gbit = lambda secs: [mb * 8 * 1.048576 / 1000 / float(x) for x in secs.split()]
print("bulk transfer, one connection, %d MB each way, median of %d rounds (Gbit/s):"
      % (mb, len(sys.argv[2].split())))
for name, a, f, b in (("client->server", *sys.argv[2:5]), ("server->client", *sys.argv[5:8])):
    n, fl, s = (statistics.median(gbit(x)) for x in (a, f, b))
    print("  %-15s none %6.2f   floor %6.2f   shakeoff %6.2f   shakeoff/none %.2f   "
          "shakeoff/floor %.2f" % (name, n, fl, s, s / n, s / fl))
PYEOF
