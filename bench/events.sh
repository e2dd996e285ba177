#!/usr/bin/env bash
# bench/events.sh - what `shakeoff events` costs the data path, per
# connection.
#
# EVENTS_CONNS connections, one after the other, each: connect, one byte
# each way, the client's FIN first (so that every event of the connection,
# open, two fins and close, is made in XDP or TC, not by the sweeper's
# timer, whose time bpf_stats does not count). In alternating rounds, with
# no reader and with `shakeoff events -j` reading (into /dev/null), the
# BPF run time (kernel.bpf_stats_enabled) of shakeoff's three programs is
# summed over the round and divided by the connections: ns per connection
# without and with a reader, and the difference, the price of the events
# (the reader's own CPU time is not in it). Median of the rounds; rounds
# alternate because the VM's speed changes in phases. A measurement, not a
# test: nothing here fails on a number. Writes $O/bench-events.json.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
SHAKEOFF=${SHAKEOFF:-$O/shakeoff}
CONNS=${EVENTS_CONNS:-2000}
ROUNDS=${EVENTS_ROUNDS:-4}
PY=/usr/bin/python3
id=$(printf '%x%04x' $$ $RANDOM | cut -c1-8)
C=soevc$id S=soevs$id CI=evc$id SI=evs$id
PORT=8080
OUT=$O/bench-events.json
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
SRV= READER=

cleanup() {
	[ -n "$READER" ] && kill "$READER" 2>/dev/null && wait "$READER" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	nsenter --net=/run/netns/$S "$SHAKEOFF" detach $SI >/dev/null 2>&1 || true
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	rm -f "/tmp/evbench.$id.py"
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
ip netns exec $C sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
nsenter --net=/run/netns/$S "$SHAKEOFF" attach $SI --ports $PORT --time-wait 1 >/dev/null
ip netns exec $S "$PY" "$TOP/bench/conn.py" serve $PORT &
SRV=$!
for _ in $(seq 100); do
	ip netns exec $S ss -Hltn "sport = :$PORT" | grep -q . && break
	sleep 0.1
done

cat >"/tmp/evbench.$id.py" <<'PYEOF'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"x")
    s.shutdown(socket.SHUT_WR)  # our FIN first
    while s.recv(64):
        pass
    s.close()
PYEOF

PIN=/sys/fs/bpf/shakeoff/ns-$(stat -L -c %i /run/netns/$S)/$SI
# run_time_ns and run_cnt of the three programs, summed
runtime() {
	local p t=0 c=0 j
	for p in prog_xdp prog_tc_ingress prog_tc_egress; do
		j=$(bpftool prog show pinned "$PIN/$p" -j)
		t=$((t + $(jq_num run_time_ns "$j"))) c=$((c + $(jq_num run_cnt "$j")))
	done
	echo "$t $c"
}
# (bpftool leaves out a count that is 0)
jq_num() { local v; v=$(sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$2" | head -1); echo "${v:-0}"; }
stat_of() {
	nsenter --net=/run/netns/$S "$SHAKEOFF" stats $SI -j | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

sysctl -qw kernel.bpf_stats_enabled=1
echo "# events cost: $ROUNDS rounds of $CONNS connections, without and with a reader"
RES=()
for r in $(seq "$ROUNDS"); do
	order="off on"
	[ $((r % 2)) = 0 ] && order="on off"
	for mode in $order; do
		if [ $mode = on ]; then
			nsenter --net=/run/netns/$S "$SHAKEOFF" events $SI -j >/dev/null 2>&1 &
			READER=$!
			sleep 0.5
		fi
		e0=$(stat_of event_sent)
		read -r t0 c0 <<<"$(runtime)"
		ip netns exec $C "$PY" "/tmp/evbench.$id.py" 198.18.0.2 $PORT "$CONNS"
		read -r t1 c1 <<<"$(runtime)"
		e1=$(stat_of event_sent)
		if [ $mode = on ]; then
			kill -INT "$READER"
			wait "$READER" || true
			READER=
		fi
		ns=$(awk -v t=$((t1 - t0)) -v n="$CONNS" 'BEGIN { printf "%.1f", t / n }')
		printf '  round %d %-3s %8s ns per connection (%d runs, %d events)\n' "$r" $mode "$ns" \
			$((c1 - c0)) $((e1 - e0))
		RES+=("{\"round\":$r,\"reader\":$([ $mode = on ] && echo true || echo false),\"conns\":$CONNS,\"run_time_ns\":$((t1 - t0)),\"run_cnt\":$((c1 - c0)),\"events\":$((e1 - e0))}")
	done
done

printf '%s\n' "${RES[@]}" | "$PY" -c '
import json, statistics, sys
rs = [json.loads(l) for l in sys.stdin]
def med(on):
    return statistics.median(r["run_time_ns"] / r["conns"] for r in rs if r["reader"] == on)
off, on = med(False), med(True)
ev = statistics.median(r["events"] / r["conns"] for r in rs if r["reader"])
# within each round: the difference of its two halves, then the median
by = {}
for r in rs:
    by.setdefault(r["round"], {})[r["reader"]] = r["run_time_ns"] / r["conns"]
diff = statistics.median(v[True] - v[False] for v in by.values() if len(v) == 2)
out = {"test": "events", "ns_per_conn_no_reader": off, "ns_per_conn_reader": on,
       "ns_per_conn_events": diff, "events_per_conn": ev, "rounds": rs}
json.dump(out, open(sys.argv[1], "w"), indent=1)
print("events: BPF ns per connection, median: %.0f without a reader, %.0f with one; "
      "the events (%.1f per connection) cost %.0f ns per connection (%.0f per event)"
      % (off, on, ev, diff, diff / ev if ev else 0))' "$OUT"
