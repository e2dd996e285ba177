#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/run.sh - `make bench`: SYN-flood throughput and service under flood,
# shakeoff side by side with the kernel's own defences.
#
#   client ns sobcID                          server ns sobsID
#   198.18.0.1  veth sobcID ================ veth sobsID  198.18.0.2:8080
#     flood (AF_PACKET sendmmsg)  ------->     one of the modes below
#     xdp_count: counts and drops the          conn.py serve (a real listener)
#     SYN-ACKs to flood sources
#     conn.py client (real connections)
#
# Modes, measured in the same rounds, alternating order:
#   shakeoff  shakeoff attached to the server veth (--ports 8080)
#   kernel    the kernel's SYN cookies alone: tcp_syncookies=2, no XDP
#   nft       nftables synproxy in front of the listener, no XDP
#   reflect   xdp_reflect (bench.bpf.c): SYN -> SYN-ACK, fixed ISN, no options work
#   drop      xdp_drop on the server: the generator's ceiling (counted there)
# Set-ups:
#   one-core  sender, server and client all on CPU 0 (no threaded NAPI)
#   two-cores sender on CPU 0; the server veth in threaded NAPI, its thread on CPU 1
# Then: the ACK flood (forged cookies) against shakeoff and xdp_drop; CPU per
# SYN and real connections at fixed offered rates (two-cores); BPF run-time
# statistics under live flood; BPF_PROG_RUN cost per packet. Then the
# table sizes (BENCH_TABLES, default "0 100000 1000000" tracked connections,
# filled through the pinned maps by bench/fill): housekeeping's CPU time and
# longest tick, cyclictest's worst wake-up on every CPU (against the same
# without shakeoff), the SYN and ACK flood rates against xdp_reflect and
# xdp_drop in the same round (one-core), and BPF_PROG_RUN's cost per SYN,
# forged ACK and segment of a tracked connection at each size (the cache
# misses of a big table). BENCH_ONLY=tables runs that section alone. The
# table and ratios go to stdout, everything to $O/bench.json
# (bench/report.py).
#
# A measurement, not a test: no threshold fails the run, but a mode that
# could not be measured does. Everything this script creates (namespaces,
# pins, processes) goes away on exit, failure and Ctrl-C included.
#
# Environment: O (build dir, default build), SHAKEOFF (the CLI, default
# $O/shakeoff), BENCH_ROUNDS (4), BENCH_SECS (2, per mode and round),
# BENCH_ACK_ROUNDS (2), BENCH_RATES ("100000 300000 1000000"),
# BENCH_SIGNED_RATES (the fake-MD5 flood's, "100000 1000000"), BENCH_CONNS
# (100 per rate and mode), BENCH_MODES, BENCH_SETUPS (subsets, for debugging),
# BENCH_PROFILE=1 (perf profile of shakeoff under flood, needs linux-perf),
# BENCH_SO_ARGS (extra attach options, default --tx xdp), BENCH_NAPI_FIFO=1,
# BENCH_TABLES, BENCH_ONLY=tables, BENCH_STALL_SECS (10, cyclictest per size),
# V=1 (show commands and tool output).

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
SHAKEOFF=${SHAKEOFF:-$O/shakeoff}
FLOOD=$O/bench/flood
BENCHCTL=$O/bench/benchctl
FILL=$O/bench/fill
CONN=$TOP/bench/conn.py
REPORT=$TOP/bench/report.py
PY=${PY:-/usr/bin/python3}
ROUNDS=${BENCH_ROUNDS:-4}
SECS=${BENCH_SECS:-2}
ACK_ROUNDS=${BENCH_ACK_ROUNDS:-2}
RATES=${BENCH_RATES:-100000 300000 1000000}
SIGNED_RATES=${BENCH_SIGNED_RATES:-100000 1000000}
CONNS=${BENCH_CONNS:-100}
MODES=${BENCH_MODES:-shakeoff kernel nft reflect drop}
SETUPS=${BENCH_SETUPS:-one-core two-cores}
PROFILE=${BENCH_PROFILE:-0}
# XDP_TX like the reflector: the client veth runs XDP, so XDP_TX reaches it
# (auto would pick bpf_redirect on veth).
SO_ARGS=${BENCH_SO_ARGS:---tx xdp}
TABLES=${BENCH_TABLES:-0 100000 1000000}
ONLY=${BENCH_ONLY:-}
STALL_SECS=${BENCH_STALL_SECS:-10}
TABLE_N=        # set by the table section: entries to fill after each attach
TABLE_MAX=2097152
# The server's NAPI thread runs at nice -20, so that other load on CPU 1
# delays its wake-ups less (without starving that load); BENCH_NAPI_FIFO=1
# makes it SCHED_FIFO instead (it then starves other load on CPU 1).
NAPI_FIFO=${BENCH_NAPI_FIFO:-0}
V=${V:-0}
OUT=$O/bench.json
PORT=8080
SIGPORT=179 # a TCP-MD5 listener's (BGP's), for the signed-SYN flood
MD5KEY=shakeoff-bench-key
SENDER_CPU=0
NAPI_CPU=1

RUNID=$(printf '%04x' $(((RANDOM ^ $$) & 0xffff)))
CNS=sobc$RUNID
SNS=sobs$RUNID
CIF=sobc$RUNID
SIF=sobs$RUNID
C4=198.18.0.1
S4=198.18.0.2
NFT_TABLE=sobench

_PIDS=()
declare -A _SETUP_DONE
FLOOD_PID=
SO_ATTACHED=0
PINDIR=
TMPD=$(mktemp -d /tmp/shakeoff-bench.XXXXXX)
RESULTS=$TMPD/results.jsonl
T_START=$(date +%s)

say() { echo "# $*"; }
vsay() { [ "$V" = 1 ] && echo "#   $*" >&2; return 0; }
die() {
	echo "bench: $*" >&2
	exit 1
}

cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM
	set +u
	for p in $FLOOD_PID "${_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in $FLOOD_PID "${_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$SO_ATTACHED" = 1 ]; then
		"$SHAKEOFF" -n "$SNS" detach "$SIF" >/dev/null 2>&1
	fi
	for ns in "$SNS" "$CNS"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$PINDIR" ] && [ -e "$PINDIR" ]; then
		echo "# cleanup: removing pins left behind in $PINDIR" >&2
		rm -rf "$PINDIR"
	fi
	[ -n "$PINDIR" ] && rmdir "$(dirname "$PINDIR")" 2>/dev/null
	rm -rf "$TMPD"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -----------------------------------------------------------------

in_c() { nsenter --net="/run/netns/$CNS" "$@"; }
in_s() { nsenter --net="/run/netns/$SNS" "$@"; }
# ip netns exec remounts /sys for the namespace: needed for /sys/class/net.
sys_s() { ip netns exec "$SNS" "$@"; }

# jnum KEY JSON: a number from flat JSON (the last KEY if nested ones repeat).
jnum() { sed -n "s/.*\"$1\": *\(-\{0,1\}[0-9][0-9.e+-]*\).*/\1/p" <<<"$2" | head -1; }

# jstr TEXT: TEXT as a JSON string.
jstr() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/ }
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}

record() { echo "$1" >>"$RESULTS"; }

elapsed() { echo $(($(date +%s) - T_START)); }

# now_ns: CLOCK_MONOTONIC-like wall time in ns.
now_ns() { date +%s%N; }

# --- namespaces --------------------------------------------------------------

setup_net() {
	ip netns add "$CNS" || return 1
	ip netns add "$SNS" || return 1
	ip -n "$CNS" link add "$CIF" type veth peer name "$SIF" netns "$SNS" || return 1
	ip -n "$CNS" link set lo up &&
		ip -n "$SNS" link set lo up &&
		ip -n "$CNS" addr add $C4/24 dev "$CIF" &&
		ip -n "$SNS" addr add $S4/24 dev "$SIF" || return 1
	# The real client's SYNs must carry full checksums (shakeoff checks
	# them); the server veth needs GRO for NAPI mode without XDP, which
	# threaded NAPI needs (verified-facts.md, "Benchmarking on veth").
	in_c ethtool -K "$CIF" tx off >/dev/null &&
		in_s ethtool -K "$SIF" gro on >/dev/null || return 1
	ip -n "$CNS" link set "$CIF" up && ip -n "$SNS" link set "$SIF" up || return 1
	CMAC=$(ip -n "$CNS" -br link show dev "$CIF" | awk '{print $3}')
	SMAC=$(ip -n "$SNS" -br link show dev "$SIF" | awk '{print $3}')
	# No ARP under flood: both neighbours are permanent. Flood sources are
	# reached through the client; no default route anywhere.
	ip -n "$SNS" neigh replace $C4 lladdr "$CMAC" dev "$SIF" nud permanent &&
		ip -n "$CNS" neigh replace $S4 lladdr "$SMAC" dev "$CIF" nud permanent &&
		ip -n "$SNS" route add 198.18.128.0/17 via $C4 dev "$SIF" || return 1
	sys_s sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$SIF.rp_filter=0" \
		net.ipv4.tcp_syncookies=1 net.netfilter.nf_conntrack_tcp_loose=0 || return 1
	PINDIR=/sys/fs/bpf/shakeoff/ns-$(stat -L -c %i "/run/netns/$SNS")/$SIF
	for _ in $(seq 50); do
		ip -n "$CNS" -br link show dev "$CIF" | grep -q ' UP ' &&
			ip -n "$SNS" -br link show dev "$SIF" | grep -q ' UP ' && break
		sleep 0.1
	done
	in_c "$BENCHCTL" attach "$CIF" xdp_count >/dev/null || return 1
	ip netns exec "$SNS" "$PY" "$CONN" serve $PORT >"$TMPD/server.log" 2>&1 &
	_PIDS+=($!)
	# a listener that signs with TCP-MD5 for its one peer, the client
	ip netns exec "$SNS" "$PY" "$TOP/tests/netns/peers.py" serve md5 $SIGPORT $MD5KEY $C4 \
		>"$TMPD/md5server.log" 2>&1 &
	_PIDS+=($!)
	for _ in $(seq 50); do
		in_s ss -Hltn "sport = :$PORT" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# --- set-ups -----------------------------------------------------------------

# napi_pids: the NAPI threads of the server veth ("napi/IFACE-ID", the
# command name cut at 15 characters; IFACE has our run id in it).
napi_pids() {
	local p c pre="napi/$SIF-"
	pre=${pre:0:15}
	for p in /proc/[0-9]*; do
		{ read -r c <"$p/comm"; } 2>/dev/null || continue
		[ "${c:0:${#pre}}" = "$pre" ] && echo "${p#/proc/}"
	done
}

# use_setup SETUP: switch threaded NAPI for it.
use_setup() {
	local how
	SETUP=$1
	case $SETUP in
	one-core)
		sys_s sh -c "echo 0 > /sys/class/net/$SIF/threaded"
		how="flood pinned to CPU $SENDER_CPU (taskset); server veth NAPI not threaded, so the server's receive path and reply, and the client's SYN-ACK counter, run in softirq on CPU $SENDER_CPU too: everything serialised on one core"
		;;
	two-cores)
		sys_s sh -c "echo 1 > /sys/class/net/$SIF/threaded"
		how="flood pinned to CPU $SENDER_CPU; server veth in threaded NAPI (/sys/class/net/$SIF/threaded = 1), its napi thread pinned to CPU $NAPI_CPU (re-pinned before each measurement, $([ "$NAPI_FIFO" = 1 ] && echo "SCHED_FIFO 50" || echo "nice -20")); the client veth's NAPI (the SYN-ACK counter) is raised from that thread and runs on CPU $NAPI_CPU as well"
		;;
	esac
	[ -n "${_SETUP_DONE[$SETUP]:-}" ] && return 0
	_SETUP_DONE[$SETUP]=1
	record "{\"test\":\"setup\",\"name\":\"$SETUP\",\"how\":$(jstr "$how")}"
}

# pin_napi: before each measurement of two-cores, (re)pin the NAPI thread;
# NAPI_PID is set to it. Fails if there is none.
pin_napi() {
	local p
	NAPI_PID=
	[ "$SETUP" = two-cores ] || return 0
	for p in $(napi_pids); do
		taskset -pc $NAPI_CPU "$p" >/dev/null || return 1
		if [ "$NAPI_FIFO" = 1 ]; then
			chrt -f -p 50 "$p" || return 1
		else
			renice -n -20 -p "$p" >/dev/null || return 1
		fi
		NAPI_PID=$p
	done
	[ -n "$NAPI_PID" ]
}

# napi_ns: CPU time of the pinned NAPI thread so far (ns), or nothing.
napi_ns() {
	local t
	[ -n "${NAPI_PID:-}" ] && read -r t _ <"/proc/$NAPI_PID/schedstat" 2>/dev/null && echo "$t"
}

# --- modes -------------------------------------------------------------------

nft_synproxy() {
	cat <<EOF
table ip $NFT_TABLE {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport $PORT tcp flags syn notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
EOF
}

# mode_on MODE: the server side of MODE. Its errors go to $TMPD/mode.err.
mode_on() {
	local rc
	case $1 in
	shakeoff)
		vsay "shakeoff -n $SNS attach $SIF --ports $PORT $SO_ARGS ${TABLE_N:+--conn-max $TABLE_MAX}"
		SO_ATTACHED=1
		# shellcheck disable=SC2086
		"$SHAKEOFF" -n "$SNS" attach "$SIF" --ports $PORT $SO_ARGS ${TABLE_N:+--conn-max $TABLE_MAX} \
			>"$TMPD/mode.out" 2>"$TMPD/mode.err"
		rc=$?
		[ $rc = 0 ] && [ -n "$TABLE_N" ] && { table_fill "$TABLE_N" 2>>"$TMPD/mode.err" || rc=1; }
		;;
	kernel)
		sys_s sysctl -qw net.ipv4.tcp_syncookies=2 2>"$TMPD/mode.err"
		rc=$?
		;;
	nft)
		nft_synproxy | in_s nft -f - 2>"$TMPD/mode.err"
		rc=$?
		;;
	reflect | drop)
		in_s "$BENCHCTL" attach "$SIF" "xdp_$1" >"$TMPD/mode.out" 2>"$TMPD/mode.err"
		rc=$?
		;;
	*)
		echo "no mode $1" >"$TMPD/mode.err"
		rc=1
		;;
	esac
	[ "$V" = 1 ] && [ -s "$TMPD/mode.err" ] && sed 's/^/#   /' "$TMPD/mode.err" >&2
	return $rc
}

mode_off() {
	case $1 in
	shakeoff)
		"$SHAKEOFF" -n "$SNS" detach "$SIF" >/dev/null 2>&1 && SO_ATTACHED=0
		;;
	kernel) sys_s sysctl -qw net.ipv4.tcp_syncookies=1 ;;
	nft) in_s nft delete table ip $NFT_TABLE 2>/dev/null ;;
	reflect | drop) in_s "$BENCHCTL" detach "$SIF" ;;
	esac
	return 0
}

# server_read: the server veth's XDP program and its counters, as JSON.
server_read() { in_s "$BENCHCTL" read "$SIF" 2>/dev/null; }
client_read() { in_c "$BENCHCTL" read "$CIF" 2>/dev/null; }

# answers MODE KIND: what counts as an answer: SYN-ACKs at the client, or
# drops at the server for xdp_drop; for the ACK flood, shakeoff's drops.
answers() {
	local j
	case $1/$2 in
	drop/*) j=$(server_read) && jnum hit "$j" ;;
	shakeoff/ack) j=$("$SHAKEOFF" -n "$SNS" stats "$SIF" -j 2>/dev/null) && jnum ack_cookie_invalid "$j" ;;
	*/syn) j=$(client_read) && jnum hit "$j" ;;
	esac
}

# flood KIND SECS [RATE]: the generator on the sender CPU; prints its JSON.
flood() {
	local ack=
	[ "$1" = ack ] && ack=--ack
	[ "$1" = md5 ] && ack=--md5
	vsay "flood $1 ${3:-full} for $2 s"
	in_c taskset -c $SENDER_CPU "$FLOOD" -i "$CIF" -m "$SMAC" -d $S4 -p "${FLOOD_PORT:-$PORT}" -t "$2" \
		${3:+-r "$3"} $ack
}

# measure TEST ROUND MODE: one flood at full rate against MODE; one record.
measure() {
	local test=$1 round=$2 mode=$3 kind=syn a0 a1 f secs sent n err rate st napi0 w0 busy
	case $test in ack | tack-*) kind=ack ;; esac
	if ! mode_on "$mode"; then
		err="$mode: setting up failed: $(head -c 300 "$TMPD/mode.err")"
		mode_off "$mode"
		record "{\"test\":\"$test\",\"setup\":\"$SETUP\",\"round\":$round,\"mode\":\"$mode\",\"error\":$(jstr "$err")}"
		echo "  $SETUP $test round $round $mode: ERROR $err" >&2
		return 1
	fi
	if ! pin_napi; then
		mode_off "$mode"
		record "{\"test\":\"$test\",\"setup\":\"$SETUP\",\"round\":$round,\"mode\":\"$mode\",\"error\":\"no NAPI thread to pin\"}"
		return 1
	fi
	a0=$(answers "$mode" "$kind")
	napi0=$(napi_ns)
	w0=$(now_ns)
	f=$(flood "$kind" "$SECS")
	sleep 0.1
	a1=$(answers "$mode" "$kind")
	busy=$(awk -v a="$napi0" -v b="$(napi_ns)" -v w="$(($(now_ns) - w0))" \
		'BEGIN { print a == "" ? "null" : (b - a) / w }')
	# shakeoff's own account of the round (conn_created must stay 0 under
	# the ACK flood); counters start at zero with each attach.
	st=null
	[ "$mode" = shakeoff ] && st=$("$SHAKEOFF" -n "$SNS" stats "$SIF" -j 2>/dev/null | tr -d '\n')
	mode_off "$mode"
	secs=$(jnum secs "$f")
	sent=$(jnum sent "$f")
	if [ -z "$a0" ] || [ -z "$a1" ] || [ -z "$secs" ]; then
		err="no counter or no flood result (flood said: $f)"
		record "{\"test\":\"$test\",\"setup\":\"$SETUP\",\"round\":$round,\"mode\":\"$mode\",\"error\":$(jstr "$err")}"
		echo "  $SETUP $test round $round $mode: ERROR $err" >&2
		return 1
	fi
	n=$((a1 - a0))
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	record "{\"test\":\"$test\",\"setup\":\"$SETUP\",\"round\":$round,\"mode\":\"$mode\",\"count\":$n,\"rate\":$rate,\"napi_busy\":$busy,\"flood\":$f,\"shakeoff_stats\":${st:-null}}"
	printf '  %-9s %-4s round %d  %-8s %9.3f M/s   (sent %.3f M/s)\n' "$SETUP" "$test" "$round" \
		"$mode" "$(awk -v r="$rate" 'BEGIN { print r / 1e6 }')" \
		"$(awk -v n="$sent" -v s="$secs" 'BEGIN { print n / s / 1e6 }')"
}

# rounds TEST ROUNDS MODES...: alternate the order: forward, then backward.
rounds() {
	local test=$1 n=$2 r m ms
	shift 2
	for ((r = 1; r <= n; r++)); do
		if ((r % 2)); then ms=("$@"); else ms=($(printf '%s\n' "$@" | tac)); fi
		for m in "${ms[@]}"; do measure "$test" "$r" "$m"; done
	done
}

# --- service under flood -----------------------------------------------------

# cpu_busy CPU: busy and total jiffies of one CPU, from /proc/stat.
cpu_busy() { awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

# service RATE MODE: flood at a fixed offered RATE; meanwhile CONNS real
# connections. CPU time of the server's NAPI thread per SYN answered.
service() {
	local rate=$1 mode=$2 a0 a1 f cl n s0 s1 w0 w1 b0 t0 b1 t1 st spread=1 timeout=2 fsecs=3.5
	if ! mode_on "$mode" || ! pin_napi; then
		mode_off "$mode"
		record "{\"test\":\"service\",\"setup\":\"$SETUP\",\"offered\":$rate,\"mode\":\"$mode\",\"error\":$(jstr "set-up failed: $(head -c 300 "$TMPD/mode.err")")}"
		return 1
	fi
	a0=$(answers "$mode" syn)
	read -r s0 _ <"/proc/$NAPI_PID/schedstat"
	read -r b0 t0 < <(cpu_busy $NAPI_CPU)
	w0=$(now_ns)
	flood syn $fsecs "$rate" >"$TMPD/flood.out" &
	FLOOD_PID=$!
	sleep 0.3
	cl=$(ip netns exec "$CNS" "$PY" "$CONN" client $S4 $PORT "$CONNS" $spread $timeout)
	wait $FLOOD_PID
	FLOOD_PID=
	f=$(cat "$TMPD/flood.out")
	sleep 0.1
	a1=$(answers "$mode" syn)
	read -r s1 _ <"/proc/$NAPI_PID/schedstat"
	read -r b1 t1 < <(cpu_busy $NAPI_CPU)
	w1=$(now_ns)
	st=null
	[ "$mode" = shakeoff ] && st=$("$SHAKEOFF" -n "$SNS" stats "$SIF" -j 2>/dev/null | tr -d '\n')
	mode_off "$mode"
	n=$((a1 - a0))
	record "{\"test\":\"service\",\"setup\":\"$SETUP\",\"offered\":$rate,\"mode\":\"$mode\",\"count\":$n,\"napi_ns\":$((s1 - s0)),\"wall_ns\":$((w1 - w0)),\"core_busy_jiffies\":$((b1 - b0)),\"core_total_jiffies\":$((t1 - t0)),\"flood\":$f,\"client\":${cl:-null},\"shakeoff_stats\":${st:-null}}"
	printf '  %-9s svc  %7s/s  %-8s %9.3f M/s answered, NAPI %5.0f ns/SYN, conns %s\n' "$SETUP" \
		"$rate" "$mode" "$(awk -v n="$n" -v s="$(jnum secs "$f")" 'BEGIN { print n / s / 1e6 }')" \
		"$(awk -v c="$((s1 - s0))" -v n="$n" 'BEGIN { print n ? c / n : 0 }')" \
		"$(jnum ok "$cl")/$CONNS"
}

# --- signed SYNs ---------------------------------------------------------------

# mib NAME: one TcpExt counter of the server's namespace.
mib() {
	in_s awk -v k="$1" '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 }
		else for (i = 2; i <= NF; i++) if (n[i] == k) print $i }' /proc/net/netstat
}

# signed RATE MODE: SYNs with a fake TCP-MD5 option at a fixed offered RATE
# to the MD5 listener's port. kernel: nothing attached, the kernel drops
# each after its receive path and a key lookup (TCPMD5Unexpected); shakeoff:
# attached to that port with its default --signed-rate, it passes that
# many a second to the kernel and drops the rest in XDP. CPU time of the
# server's NAPI thread per SYN sent.
signed() {
	local rate=$1 mode=$2 f s0 s1 m0 m1 st=null n err
	if [ "$mode" = shakeoff ]; then
		SO_ATTACHED=1
		# shellcheck disable=SC2086
		"$SHAKEOFF" -n "$SNS" attach "$SIF" --ports $SIGPORT $SO_ARGS >"$TMPD/mode.out" 2>"$TMPD/mode.err" ||
			err="attach failed: $(head -c 300 "$TMPD/mode.err")"
	fi
	[ -z "${err:-}" ] && ! pin_napi && err="no NAPI thread to pin"
	if [ -n "${err:-}" ]; then
		[ "$mode" = shakeoff ] && mode_off shakeoff
		record "{\"test\":\"signed\",\"setup\":\"$SETUP\",\"offered\":$rate,\"mode\":\"$mode\",\"error\":$(jstr "$err")}"
		return 1
	fi
	m0=$(mib TCPMD5Unexpected)
	read -r s0 _ <"/proc/$NAPI_PID/schedstat"
	f=$(FLOOD_PORT=$SIGPORT flood md5 "$SECS" "$rate")
	sleep 0.1
	read -r s1 _ <"/proc/$NAPI_PID/schedstat"
	m1=$(mib TCPMD5Unexpected)
	[ "$mode" = shakeoff ] && st=$("$SHAKEOFF" -n "$SNS" stats "$SIF" -j 2>/dev/null | tr -d '\n') &&
		mode_off shakeoff
	n=$(jnum sent "$f")
	record "{\"test\":\"signed\",\"setup\":\"$SETUP\",\"offered\":$rate,\"mode\":\"$mode\",\"sent\":${n:-0},\"napi_ns\":$((s1 - s0)),\"kernel_dropped\":$((m1 - m0)),\"flood\":$f,\"shakeoff_stats\":${st:-null}}"
	printf '  %-9s md5  %7s/s  %-8s NAPI %5.0f ns per signed SYN, %s reached the kernel\n' "$SETUP" \
		"$rate" "$mode" "$(awk -v c="$((s1 - s0))" -v n="${n:-0}" 'BEGIN { print n ? c / n : 0 }')" \
		"$((m1 - m0))"
}

# --- BPF run-time statistics under live flood --------------------------------

runstat() {
	local mode=$1 f j
	mode_on "$mode" && pin_napi || {
		mode_off "$mode"
		record "{\"test\":\"runstat\",\"setup\":\"$SETUP\",\"mode\":\"$mode\",\"error\":\"set-up failed\"}"
		return 1
	}
	flood syn 2 >"$TMPD/flood.out" &
	FLOOD_PID=$!
	sleep 0.4
	j=$(in_s "$BENCHCTL" runstat "$SIF" 1.2)
	wait $FLOOD_PID
	FLOOD_PID=
	f=$(cat "$TMPD/flood.out")
	mode_off "$mode"
	record "{\"test\":\"runstat\",\"setup\":\"$SETUP\",\"mode\":\"$mode\",\"stat\":${j:-null},\"flood\":$f}"
	printf '  %-9s bpf_stats %-8s %6.1f ns per run (%s runs)\n' "$SETUP" "$mode" \
		"$(jnum ns_per_run "$j")" "$(jnum run_cnt "$j")"
}

# --- table sizes -------------------------------------------------------------

# table_fill N: one real connection (it starts the sweeper), then N made-up
# ones through the pinned maps.
table_fill() {
	ip netns exec "$CNS" "$PY" "$CONN" client $S4 $PORT 1 0 2 >/dev/null || return 1
	[ "$1" -gt 0 ] || return 0
	"$FILL" "$PINDIR" "$1" 0 $S4 9 >"$TMPD/fill.out" || return 1
	vsay "fill: $(cat "$TMPD/fill.out")"
}

# sweeper_read: the sweeper's tick figures as "ticks tick_ns tick_max_ns"
# (0 0 0 from a build without them, as SHAKEOFF= an older one).
sweeper_read() {
	bpftool map dump pinned "$PINDIR/sweeper" -j 2>/dev/null | "$PY" -c '
import json, sys
try:
    e = json.load(sys.stdin)[0]
    v = e.get("formatted", e)["value"]
    print(v["ticks"], v["tick_ns"], v["tick_max_ns"])
except Exception:
    print(0, 0, 0)'
}

# stalls SECS: cyclictest, one SCHED_FIFO thread per CPU waking every 1 ms;
# prints the worst latency of each CPU (us), as "a,b".
stalls() {
	cyclictest -q -m -p 90 -i 1000 -t -a -D "$1" 2>/dev/null |
		sed -n 's/.*Max: *\([0-9]*\).*/\1/p' | paste -sd, -
}

# table_size N: attach with N tracked connections; housekeeping and stalls
# over STALL_SECS, then the floods, against reflect and drop in turn.
table_size() {
	local n=$1 h0 h1 w0 w1 st
	TABLE_N=$n
	if ! mode_on shakeoff; then
		mode_off shakeoff
		record "{\"test\":\"tables\",\"entries\":$n,\"error\":$(jstr "attach or fill failed: $(head -c 300 "$TMPD/mode.err")")}"
		TABLE_N=
		return 1
	fi
	sleep 3 # the wheel's first catch-up (8 ticks) is over
	h0=$(sweeper_read) w0=$(now_ns)
	st=$(stalls "$STALL_SECS")
	h1=$(sweeper_read) w1=$(now_ns)
	mode_off shakeoff
	read -r t0 n0 m0 <<<"$h0"
	read -r t1 n1 m1 <<<"$h1"
	record "{\"test\":\"tables\",\"entries\":$n,\"ticks\":$((t1 - t0)),\"tick_ns\":$((n1 - n0)),\"tick_max_ns\":$m1,\"wall_ns\":$((w1 - w0)),\"stall_max_us\":[${st}]}"
	printf '  tables %8d entries: housekeeping %.4f%% of a core, longest tick %.1f us, worst wake-up %s us\n' \
		"$n" "$(awk -v a=$((n1 - n0)) -v w=$((w1 - w0)) 'BEGIN { print 100 * a / w }')" \
		"$(awk -v m="$m1" 'BEGIN { print m / 1000 }')" "$st"
	measure tsyn-$n 1 shakeoff
	measure tsyn-$n 1 reflect
	measure tack-$n 1 shakeoff
	measure tack-$n 1 drop
	TABLE_N=
}

tables() {
	local n st
	use_setup one-core
	say "tables: housekeeping and stalls at ${TABLES// /, } tracked connections [$(elapsed) s]"
	st=$(stalls "$STALL_SECS")
	record "{\"test\":\"tables\",\"entries\":null,\"stall_max_us\":[${st}]}"
	printf '  tables without shakeoff: worst wake-up %s us\n' "$st"
	for n in $TABLES; do table_size "$n"; done
	say "tables: BPF_PROG_RUN cost per packet at each size [$(elapsed) s]"
	# shellcheck disable=SC2086
	j=$("$BENCHCTL" tables -n 20000 $TABLES) && record "{\"test\":\"tablecost\",\"result\":$j}" ||
		record "{\"test\":\"tablecost\",\"error\":\"benchctl tables failed\"}"
}

# --- perf profile (BENCH_PROFILE=1) ------------------------------------------

# profile: where the server's NAPI thread spends its time under a full-rate
# shakeoff flood (two-cores): perf samples of that thread alone, by symbol.
# JIT-ed BPF code shows as bpf_prog_TAG_NAME (net.core.bpf_jit_kallsyms).
profile() {
	local data=$TMPD/perf.data txt=$O/bench-profile.txt lines=$O/bench-profile-lines.json
	command -v perf >/dev/null || {
		say "BENCH_PROFILE=1: perf not installed (make deps installs linux-perf)"
		return 0
	}
	mode_on shakeoff && pin_napi || {
		mode_off shakeoff
		record "{\"test\":\"profile\",\"error\":\"set-up failed\"}"
		return 1
	}
	flood syn 3 >/dev/null &
	FLOOD_PID=$!
	sleep 0.3
	perf record -q -t "$NAPI_PID" -e cpu-clock -F 9999 -o "$data" -- sleep 2 >/dev/null 2>&1
	wait $FLOOD_PID
	FLOOD_PID=
	# by source line, while the program is still loaded: perf cannot
	# annotate JIT-ed BPF here, benchctl lines reads the JIT's line info
	perf script -i "$data" -F ip 2>/dev/null | in_s "$BENCHCTL" lines "$SIF" >"$lines" 2>&1 ||
		echo '{"error":"benchctl lines failed"}' >"$lines"
	mode_off shakeoff
	perf report -i "$data" --no-children --sort sym --percent-limit 0.3 --stdio 2>/dev/null |
		grep -v -e '^$' -e '^#' >"$txt"
	say "perf profile of the server's NAPI thread under a shakeoff flood ($txt):"
	head -20 "$txt"
	awk '/bpf_prog_/ { sub("%", "", $1); s += $1 } END { printf "#   JIT-ed BPF code (bpf_prog_*, helpers not included): %.1f%%\n", s }' "$txt"
	say "the same samples inside shakeoff's program, by source line ($lines):"
	"$PY" -c '
import collections, json, sys
d = json.load(open(sys.argv[1]))
if "lines" not in d:
    sys.exit("#   " + d.get("error", "no lines"))
n = d["in_prog"] or 1
by = collections.Counter()
for l in d["lines"]:
    by[(l["file"], l["line"], l["src"].strip()[:70])] += l["samples"]
for (f, ln, src), c in by.most_common(15):
    print("  %5.1f%%  %-22s %s" % (100.0 * c / n, "%s:%d" % (f, ln), src))
print("#   %d of %d samples in the program" % (d["in_prog"], d["samples"]))' "$lines"
	record "{\"test\":\"profile\",\"file\":$(jstr "$txt"),\"top\":$(head -30 "$txt" | "$PY" -c 'import json, sys; print(json.dumps([l.split(None, 2) for l in sys.stdin if l.strip()]))')}"
}

# --- main --------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (namespaces, BPF)"
[ "$(nproc)" -ge 2 ] || die "needs two CPUs"
for t in "$FLOOD" "$BENCHCTL" "$FILL"; do [ -x "$t" ] || die "$t not built (make bench builds it)"; done
command -v cyclictest >/dev/null || die "cyclictest missing (make deps: rt-tests)"
case " $MODES " in
*" shakeoff "*) [ -x "$SHAKEOFF" ] || die "shakeoff CLI not built: $SHAKEOFF (make, or SHAKEOFF=path)" ;;
esac
for t in nft ethtool taskset nsenter "$PY"; do command -v "$t" >/dev/null || die "$t missing (make deps)"; done

say "shakeoff bench: run $RUNID, $ROUNDS rounds x ${SECS} s per mode, modes: $MODES"
setup_net || die "setting up namespaces $CNS/$SNS failed"

record "{\"test\":\"info\",\"runid\":\"$RUNID\",\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),\"rounds\":$ROUNDS,\"secs\":$SECS,\"modes\":\"$MODES\",\"setups\":\"$SETUPS\",\"conns\":$CONNS,\"date\":\"$(date -u +%FT%TZ)\"}"

if [ "$ONLY" = tables ]; then
	SETUPS=
else
	say "BPF_PROG_RUN cost per packet (fresh frame each run)"
	j=$("$BENCHCTL" cost -n 50000) && record "{\"test\":\"cost\",\"result\":$j}" ||
		record "{\"test\":\"cost\",\"error\":\"benchctl cost failed\"}"
fi

for s in $SETUPS; do
	use_setup "$s"
	say "set-up $s: SYN flood, $ROUNDS rounds [$(elapsed) s]"
	# shellcheck disable=SC2086
	rounds syn "$ROUNDS" $MODES
	if [[ " $MODES " == *" shakeoff "* && " $MODES " == *" drop "* ]]; then
		say "set-up $s: ACK flood with forged cookies, $ACK_ROUNDS rounds [$(elapsed) s]"
		rounds ack "$ACK_ROUNDS" shakeoff drop
	fi
done

if [[ " $SETUPS " == *" two-cores "* ]]; then
	use_setup two-cores
	say "two-cores: fixed offered rates, $CONNS real connections each [$(elapsed) s]"
	i=0
	for r in $RATES; do
		ms="shakeoff kernel reflect"
		((i++ % 2)) && ms="reflect kernel shakeoff"
		for m in $ms; do
			[[ " $MODES " == *" $m "* ]] && service "$r" "$m"
		done
	done
	if [[ " $MODES " == *" shakeoff "* && " $MODES " == *" kernel "* ]]; then
		say "two-cores: SYNs with a fake TCP-MD5 signature, fixed offered rates [$(elapsed) s]"
		for r in $SIGNED_RATES; do
			for m in kernel shakeoff; do signed "$r" "$m"; done
		done
	fi
	say "two-cores: BPF run-time statistics under flood [$(elapsed) s]"
	for m in shakeoff reflect drop; do
		[[ " $MODES " == *" $m "* ]] && runstat "$m"
	done
	[ "$PROFILE" = 1 ] && [[ " $MODES " == *" shakeoff "* ]] && profile
fi

[ -z "$ONLY" ] || [ "$ONLY" = tables ] && [ -n "$TABLES" ] && tables

record "{\"test\":\"done\",\"elapsed_s\":$(elapsed)}"
say "done in $(elapsed) s"
"$PY" "$REPORT" "$RESULTS" "$OUT"
