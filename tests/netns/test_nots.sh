#!/usr/bin/env bash
# test_nots.sh - clients without timestamps (Windows' default) keep SACK
# and window scaling through the offload: a client with
# net.ipv4.tcp_timestamps=0 has sack and wscale (its own and ours, as
# --wscale 9 set it) in force on the server's socket, as with the kernel
# alone, IPv4 and IPv6; the options rode in the synopts map from SYN to
# ACK. Under a flood of such SYNs past the map's write budget
# (--synopt-rate) the SYNs past it get MSS only and a client still
# connects; --synopt-rate 0 gives MSS only always, and connects.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss nft
require_shakeoff

P=9000 PPS=2000
TS=$SS_TS SACK=$SS_SACK WS=$SS_WSCALE

setup_pair || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=0 || bail sysctl "could not set tcp_timestamps=0 in $CNS"
stat_of() { so_stat "$SNS" "$SIF" "$1"; }

# held NAME HOST: held_check on port P (INFO: the server's end, CINFO: the client's).
held() { held_check "$1" "$2" $P; }
wscale_of() { grep -oE 'wscale:[0-9]+,[0-9]+' <<<"$1"; }

# 0. The kernel alone: SACK and window scaling without timestamps.
if held kernel_v4 "$S4"; then
	check_grep kernel_v4.sack "$SACK" "$INFO"
	check_grep kernel_v4.wscale "$WS" "$INFO"
fi

# 1. Through the offload: the same options, both ends agreeing.
attach_or_bail "$SNS" "$SIF" --ports $P --wscale 9
syn0=$(client_syn_count $P)
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	held "nots_$fam" "$host" || continue
	check_nogrep "nots_$fam.ts" "$TS" "$INFO"
	check_grep "nots_$fam.sack" "$SACK" "$INFO"
	check_grep "nots_$fam.client_sack" "$SACK" "$CINFO"
	cws=$(wscale_of "$CINFO" | cut -d, -f2)
	check_eq "nots_$fam.wscale_values" "wscale:$cws,9" "$(wscale_of "$INFO")"
	check_eq "nots_$fam.client_sees_ours" "wscale:9,$cws" "$(wscale_of "$CINFO")"
done
check_run nots.xfer_1mb client_ns_exec "$PY" "$TCPTOOL" xfer "$S4" $P 1000000
# every SYN of the three connections (none has timestamps) saved its
# options; each third ACK restored them, and a data segment that reaches
# XDP before its socket exists is cookie-checked (and restored) again
check_num nots.synopt_saved -eq $(($(client_syn_count $P) - syn0)) "$(stat_of synopt_saved)"
check_num nots.synopt_restored -ge 3 "$(stat_of synopt_restored)"
check_num nots.synopt_restored_per_cookie_ack -le "$(stat_of ack_cookie_valid)" "$(stat_of synopt_restored)"
check_num nots.synopt_over_budget -eq 0 "$(stat_of synopt_over_budget)"

# 2. A flood of SYNs without timestamps above the write budget: the SYNs
#    past it get MSS only, and a client still connects.
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
attach_or_bail "$SNS" "$SIF" --ports $P --wscale 9 --synopt-rate 100
CMAC=$(mac_of "$CNS" "$CIF") SMAC=$(mac_of "$SNS" "$SIF")
ns_bg "$CNS" "$PY" "$RAWTOOL" flood "$CIF" "$CMAC" "$SMAC" "$S4" $P $PPS 60 nots
FLOOD_PID=$BG_PID FLOOD_LOG=$BG_LOG
for _ in $(seq 100); do
	[ "$(stat_of synopt_over_budget)" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
check_num flood.synopt_over_budget -gt 0 "$(stat_of synopt_over_budget)"
check_run flood.xfer_v4 client_ns_exec timeout 20 "$PY" "$TCPTOOL" xfer "$S4" $P 100000
check_run flood.xfer_v6 client_ns_exec timeout 20 "$PY" "$TCPTOOL" xfer "$S6" $P 100000
# every SYN past the budget was answered all the same (MSS only)
check_num flood.answered -ge "$(stat_of synopt_over_budget)" "$(stat_of synack_sent)"
kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
vsay "flood: $(cat "$FLOOD_LOG")"

# 3. --synopt-rate 0: MSS only, as the kernel's own cookies; it connects.
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
attach_or_bail "$SNS" "$SIF" --ports $P --wscale 9 --synopt-rate 0
syn0=$(client_syn_count $P)
if held rate0_v4 "$S4"; then
	check_nogrep rate0_v4.sack "$SACK" "$INFO"
	check_nogrep rate0_v4.wscale "$WS" "$INFO"
	check_nogrep rate0_v4.client_wscale "$WS" "$CINFO"
fi
# no budget at all: every SYN since the attach was over it
check_num rate0.synopt_over_budget -eq $(($(client_syn_count $P) - syn0)) "$(stat_of synopt_over_budget)"
check_num stats.conn_create_failed -eq 0 "$(stat_of conn_create_failed)"

finish
