#!/usr/bin/env bash
# test_kcookie.sh - completion mode kernel (attach --complete kernel, what
# the probe picks without the kfunc): XDP answers with the kernel's own
# cookies, and the kernel's own cookie check makes the sockets.
#   synack_*    the SYN-ACK is the kernel's own cookie SYN-ACK (the same SYN
#               answered by the kernel alone, tcp_syncookies=2, no XDP):
#               window, options in order, MSS, window scale, TSecr, the
#               options in TSval's low bits, TTL, DF
#   opts_*      real sockets with ts, sack and the kernel's wscale in force
#               on the server socket (ss -tie), through the kernel's check
#               (TcpExtSyncookiesRecv)
#   xfer_*      1 MB each way, IPv4 and IPv6
#   teardown_*  the connections tracked to their close in conns
#   bad_ack_*   ACKs with invalid cookies dropped in XDP and counted; the
#               kernel never sees them (TcpExtSyncookiesFailed stays)
#   exporter_*  stats --prometheus and the exporter's scrape say the mode:
#               shakeoff_info{ifname="...",complete="kernel"} 1
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool curl
require_cli

P=9100
BYTES=$((1024 * 1024))

setup_pair kc || bail setup "could not build the namespaces and the veth pair"
# what kernel mode needs, in the server's namespace only
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2 ||
	bail sysctl "cannot set tcp_syncookies and tcp_timestamps in $SNS"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"

# The kernel's own cookie SYN-ACK, before shakeoff is attached.
nstat_of() { ip netns exec "$SNS" nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }
# Two layouts of the same options: Linux's (read at fixed offsets in XDP)
# and another (walked in a bpf_loop, whose branches 6.1's verifier pruned
# once: bpf/kcookie.h, kc_seed_opts). And an ECN-setup SYN: ECE in the
# SYN-ACK, ECN in TSval's bit 5 (the server's tcp_ecn is 2, its default).
SYNS="4/linux 6/linux 4/other 6/other 4/ecn"
NSYNS=$(wc -w <<<"$SYNS")
n=0
for syn in $SYNS; do
	fam=${syn%/*} host=$S4
	[ $fam = 6 ] && host=$S6
	n=$((n + 1))
	client_ns_exec "$PY" "$RAWTOOL" synack "$host" $P $((30000 + n)) "${syn#*/}" \
		>"$TMPD/kernel$n.json" 2>&1 || bail kernel_synack "no SYN-ACK from the kernel: $(cat "$TMPD/kernel$n.json")"
done
# one cookie SYN-ACK for each SYN (sr1 sends each once)
check_num kernel_synack.syncookies_sent -eq $NSYNS "$(nstat_of TcpExtSyncookiesSent)"

# Where the kernel lacks the kfunc (6.0 to 6.8) the probe picks kernel
# mode by itself; elsewhere it is forced.
if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'"; then
	attach_or_bail "$SNS" "$SIF" --ports $P --complete kernel
else
	say "no bpf_sk_assign_tcp_reqsk in this kernel: attach picks the mode"
	attach_or_bail "$SNS" "$SIF" --ports $P
fi
check_eq status.complete kernel "$(so_status "$SNS" "$SIF" complete)"
check_eq stats.complete kernel "$(so_stat "$SNS" "$SIF" complete)"
WS=$(so_status "$SNS" "$SIF" wscale)

n=0
for syn in $SYNS; do
	fam=${syn%/*} host=$S4 name=synack_${syn/\//_}
	[ $fam = 6 ] && host=$S6
	n=$((n + 1))
	client_ns_exec "$PY" "$RAWTOOL" synack "$host" $P $((30100 + n)) "${syn#*/}" \
		>"$TMPD/ours$n.json" 2>&1
	check_eq "$name.answered" 0 $?
	check_eq "$name.same_as_kernel" "$(cat "$TMPD/kernel$n.json")" "$(cat "$TMPD/ours$n.json")"
	# and the kernel's reply has them all, so ours must too
	check_grep "$name.has_sack" '\["SAckOK", ""\]' "$(cat "$TMPD/ours$n.json")"
	check_grep "$name.has_wscale" '\["WScale", [0-9]+\]' "$(cat "$TMPD/ours$n.json")"
	check_grep "$name.has_ts" '\["Timestamp", \["TSval", 12345\]\]' "$(cat "$TMPD/ours$n.json")"
	if [ "${syn#*/}" = ecn ]; then
		check_grep "$name.ece" '"flags": "SAE"' "$(cat "$TMPD/ours$n.json")"
		check_grep "$name.ecn_in_tsval" '"ts_low6": 55' "$(cat "$TMPD/ours$n.json")"
	fi
done
check_num synack.sent_by_xdp -eq $NSYNS "$(so_stat "$SNS" "$SIF" synack_sent)"

# Real sockets: options in force on the server's side, made by the kernel.
recv0=$(nstat_of TcpExtSyncookiesRecv)
for fam in 4 6; do
	host=$S4
	[ $fam = 6 ] && host=$S6
	hold_open "$CNS" "$host" $P || bail "hold_$fam" "the held connection did not open: $(cat "$HOLD_LOG")"
	info=$(sock_info "$SNS" $P)
	check_grep "opts_$fam.ts" "$SS_TS" "$info"
	check_grep "opts_$fam.sack" "$SS_SACK" "$info"
	# ours is the kernel's choice from the sysctls (what status shows), the
	# client's 7 is the default of its namespace's sysctls too
	check_grep "opts_$fam.wscale" "wscale:[0-9]+,$WS([^0-9]|$)" "$info"
	# the cookie's MSS: the kernel's table entry 1460, less the TS option
	check_grep "opts_$fam.mss" "mss:$([ $fam = 4 ] && echo 1448 || echo 1428) " "$info"
	hold_close
	check_eq "opts_$fam.hold_closed" 0 $?
done
check_num opts.through_kernel_check -ge $((recv0 + 2)) "$(nstat_of TcpExtSyncookiesRecv)"

# 1 MB each way, then the closes in the table.
before=$(shakeoff_in "$SNS" stats "$SIF" -j)
check_run xfer_v4 client_ns_exec "$PY" "$TCPTOOL" xfer $S4 $P $BYTES
check_run xfer_v6 client_ns_exec "$PY" "$TCPTOOL" xfer $S6 $P $BYTES
after=$(shakeoff_in "$SNS" stats "$SIF" -j)
check_eq teardown.counts "conn_created=2 fin_in=2 fin_out=2 ack_cookie_invalid=0 passed_socket=0" \
	"$(stats_pick "$before
$after" conn_created fin_in fin_out ack_cookie_invalid passed_socket)"
# Each xfer connection is either in time_wait (the server closed first) or
# closed and gone (the client did, and holds TIME-WAIT itself); the entries
# carried the megabyte each way. The held ones, closed by their clients,
# are gone.
graceful=$(stats_pick "$before
$after" closed_graceful)
rows=$(shakeoff_in "$SNS" conns "$SIF" -j)
check_eq teardown.entries "closed=2 bytes_ok=1" "$("$PY" -c '
import json, sys
r = json.load(sys.stdin)
tw = [x for x in r if x["state"] == "time_wait"]
print("closed=%d" % (len(tw) + int(sys.argv[1].split("=")[1])),
      "bytes_ok=%d" % all(x["bytes_in"] >= 1048576 and x["bytes_out"] >= 1048576 for x in tw))
' "$graceful" <<<"$rows")"
check_eq teardown.no_other_entries "$(grep -o '"state"' <<<"$rows" | wc -l)" \
	"$(grep -o '"time_wait"' <<<"$rows" | wc -l)"

# The kernel's secret is nobody's to change: rekey refuses, in one line.
shakeoff_in "$SNS" rekey "$SIF" >/dev/null 2>"$TMPD/err"
check_eq rekey.refused "1 1" "$? $(grep -c '' "$TMPD/err")"
check_grep rekey.says "runs --complete kernel, whose cookies are the kernel's own" "$(cat "$TMPD/err")"
shakeoff_in "$SNS" set "$SIF" --wscale 3 >/dev/null 2>"$TMPD/err"
check_eq set_wscale.refused "2 1" "$? $(grep -c '' "$TMPD/err")"

# Forged ACKs: dropped in XDP, counted, never seen by the kernel.
fail0=$(nstat_of TcpExtSyncookiesFailed)
before=$(so_stat "$SNS" "$SIF" ack_cookie_invalid)
client_ns_exec "$PY" -c '
import sys
from scapy.all import IP, IPv6, TCP, send, conf
conf.verb = 0
for i in range(20):
    l3 = IP(dst=sys.argv[1]) if i % 2 else IPv6(dst=sys.argv[2])
    send(l3 / TCP(sport=20000 + i, dport=int(sys.argv[3]), flags="A", seq=1, ack=0x12345678 + i * 7919))
' $S4 $S6 $P
check_eq bad_ack.dropped 20 $(($(so_stat "$SNS" "$SIF" ack_cookie_invalid) - before))
check_eq bad_ack.kernel_never_saw "$fail0" "$(nstat_of TcpExtSyncookiesFailed)"

# The mode, the Prometheus way: an info metric, in stats and the exporter.
info_re="^shakeoff_info\\{ifname=\"$SIF\",complete=\"kernel\"\\} 1\$"
check_grep exporter.stats_info "$info_re" "$(shakeoff_in "$SNS" stats "$SIF" --prometheus 2>&1)"
EXPORT=127.0.0.1:9469
so_bg "$SNS" "$SHAKEOFF" exporter --listen $EXPORT
EXP_PID=$BG_PID EXP_LOG=$BG_LOG
for _ in $(seq 100); do grep -q serving "$EXP_LOG" && break; sleep 0.1; done
check_grep exporter.info "$info_re" \
	"$(server_ns_exec curl -sS --max-time 10 "http://$EXPORT/metrics" 2>&1)"
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check_eq exporter.sigterm_exit 0 "$?"

finish
