#!/usr/bin/env bash
# test_ecn.sh - ECN (RFC 3168) through the offload: a client with
# net.ipv4.tcp_ecn=1 sends an ECN-setup SYN; with timestamps it must get an
# ECN-setup SYN-ACK from XDP, and both sockets then have ECN in force (ss
# -ti shows "ecn" on each side), as with the kernel alone. A client without
# timestamps gets no ECN (its cookie has no bit for it) and connects; with
# the server namespace's tcp_ecn=0, re-read by `shakeoff set`, nobody gets
# ECN; a client that does not ask (tcp_ecn=2) neither. IPv4 and IPv6.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss nft
require_shakeoff

P=9000
ECN='(^|[[:space:]])ecn([[:space:]]|$)'

setup_pair || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
client_ns_exec sysctl -qw net.ipv4.tcp_ecn=1 || bail sysctl "could not set tcp_ecn=1 in $CNS"
server_ns_exec sysctl -qw net.ipv4.tcp_ecn=2 || bail sysctl "could not set tcp_ecn=2 in $SNS"

# held NAME HOST: held_check on port P (INFO: the server's end, CINFO: the client's).
held() { held_check "$1" "$2" $P; }

# 0. The kernel alone: what the offload must match.
if held kernel_v4 "$S4"; then
	check_grep kernel_v4.server_ecn "$ECN" "$INFO"
	check_grep kernel_v4.client_ecn "$ECN" "$CINFO"
fi

attach_or_bail "$SNS" "$SIF" --ports $P
syn0=$(client_syn_count $P)
check_eq status.options.ecn true "$(so_status "$SNS" "$SIF" options.ecn)"

# 1. ECN-setup SYN with timestamps: ECN in force on both sides.
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	held "ecn_$fam" "$host" || continue
	check_grep "ecn_$fam.server_ecn" "$ECN" "$INFO"
	check_grep "ecn_$fam.client_ecn" "$ECN" "$CINFO"
done
check_num ecn.conn_created -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"
check_num ecn.synack_sent -eq $(($(client_syn_count $P) - syn0)) "$(so_stat "$SNS" "$SIF" synack_sent)"

# 2. No timestamps: no ECN, on either side, and the connection works.
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=0 || bail sysctl "could not set tcp_timestamps=0 in $CNS"
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	held "no_ts_$fam" "$host" || continue
	check_nogrep "no_ts_$fam.server_ecn" "$ECN" "$INFO"
	check_nogrep "no_ts_$fam.client_ecn" "$ECN" "$CINFO"
done
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=1

# 3. A client that does not ask for ECN gets none.
client_ns_exec sysctl -qw net.ipv4.tcp_ecn=2
if held no_request_v4 "$S4"; then
	check_nogrep no_request_v4.server_ecn "$ECN" "$INFO"
	check_nogrep no_request_v4.client_ecn "$ECN" "$CINFO"
fi
client_ns_exec sysctl -qw net.ipv4.tcp_ecn=1

# 4. The server's namespace switches ECN off; set re-reads it.
server_ns_exec sysctl -qw net.ipv4.tcp_ecn=0
check_run set_rereads shakeoff_in "$SNS" set "$SIF"
check_eq status.options.ecn_off false "$(so_status "$SNS" "$SIF" options.ecn)"
if held ecn_off_v6 "$S6"; then
	check_nogrep ecn_off_v6.server_ecn "$ECN" "$INFO"
	check_nogrep ecn_off_v6.client_ecn "$ECN" "$CINFO"
fi

check_num stats.conn_created -eq 6 "$(so_stat "$SNS" "$SIF" conn_created)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"

finish
