#!/usr/bin/env bash
# test_tfo.sh - TCP Fast Open (RFC 7413; issue 9, point 6) through an
# attached offload. A SYN that carries data is answered like any SYN: the
# SYN-ACK acknowledges the SYN only and offers no Fast Open cookie, so the
# client sends the data again after the handshake, and it reaches the
# server exactly once (the XFER exchange hashes every byte both ways; its
# command line, padded to 64 bytes, is the SYN's data). The client's own counter says the
# SYN's data went unacknowledged (TcpExtTCPFastOpenActiveFail). Three
# clients: tcp_fastopen=5 (data in the SYN without a cookie option),
# tcp_fastopen=1 with no cookie yet (a cookie request, no data), and
# tcp_fastopen=1 with a cookie the server gave while shakeoff was away
# (data and the cookie in the SYN).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool nft
require_shakeoff

P=8080
PEERS=$TOP/tests/netns/peers.py

setup_pair || bail setup "could not build the namespaces and the veth pair"
# The kernel alone takes data in SYNs and gives cookies, on any listener
# made after this (0x400: no TCP_FASTOPEN socket option needed).
server_ns_exec sysctl -qw net.ipv4.tcp_fastopen=$((0x403))
start_tcptool "$SNS" $P || bail server "tcptool did not listen on $P"

# client_mib NAME: a TcpExt counter of the client's namespace.
client_mib() {
	client_ns_exec awk -v k="$1" '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 }
		else for (i = 2; i <= NF; i++) if (n[i] == k) print $i }' /proc/net/netstat
}

# The client's SYNs that carry data, counted as they leave it.
client_ns_exec nft -f - <<-EOF2 || bail nft "could not add the client's counters"
table inet so_tfo {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport $P tcp flags & (syn|ack) == syn ip length > 80 counter comment "data4"
		tcp dport $P tcp flags & (syn|ack) == syn ip6 length > 60 counter comment "data6"
		tcp dport $P tcp option fastopen length 2 counter comment "request"
		tcp dport $P tcp option fastopen length > 2 counter comment "cookie"
	}
}
EOF2
syn_data() { echo $(($(nft_rule_count "$CNS" "inet so_tfo out" data4) + $(nft_rule_count "$CNS" "inet so_tfo out" data6))); }
opt_count() { nft_rule_count "$CNS" "inet so_tfo out" "$1"; }

attach_or_bail "$SNS" "$SIF" --ports $P

# tfo_round NAME: one TFO XFER each family; prints nothing, checks the data.
tfo_round() {
	local name=$1 fam host
	for fam in v4 v6; do
		host=$S4
		[ $fam = v6 ] && host=$S6
		check_run "$name.$fam.xfer" client_ns_exec timeout 40 "$PY" "$PEERS" xfer tfo "$host" $P 200000
	done
}

# 1. tcp_fastopen=5: data in the SYN, no cookie option.
client_ns_exec sysctl -qw net.ipv4.tcp_fastopen=5
f0=$(client_mib TCPFastOpenActiveFail) d0=$(syn_data) s0=$(so_stat "$SNS" "$SIF" synack_sent)
tfo_round no_cookie
check_eq no_cookie.syns_with_data 2 "$(($(syn_data) - d0))"
check_eq no_cookie.data_not_acked 2 "$(($(client_mib TCPFastOpenActiveFail) - f0))"
check_eq no_cookie.answered_in_xdp 2 "$(($(so_stat "$SNS" "$SIF" synack_sent) - s0))"

# 2. tcp_fastopen=1, no cookie cached: a cookie request, data after.
client_ns_exec sysctl -qw net.ipv4.tcp_fastopen=1
client_ns_exec ip tcp_metrics flush all 2>/dev/null
r0=$(opt_count request) d0=$(syn_data)
tfo_round request
check_eq request.cookie_requests 2 "$(($(opt_count request) - r0))"
check_eq request.syns_with_data 0 "$(($(syn_data) - d0))"

# 3. A cookie from the kernel while shakeoff is away, then data and the
#    cookie in the SYN through shakeoff.
check_run cookie.detach shakeoff_in "$SNS" detach "$SIF"
client_ns_exec ip tcp_metrics flush all 2>/dev/null
for host in $S4 $S6; do
	client_ns_exec "$PY" "$PEERS" xfer tfo "$host" $P 1000 >/dev/null 2>&1
done
cookies=$(client_ns_exec ip tcp_metrics show 2>/dev/null | grep -c 'fo_cookie')
# one cookie for each server address (the metrics were flushed)
check_num cookie.cached -eq 2 "$cookies"
attach_or_bail "$SNS" "$SIF" --ports $P
f0=$(client_mib TCPFastOpenActiveFail) d0=$(syn_data) c0=$(opt_count cookie)
tfo_round cookie
check_eq cookie.syns_with_cookie 2 "$(($(opt_count cookie) - c0))"
check_eq cookie.syns_with_data 2 "$(($(syn_data) - d0))"
check_eq cookie.data_not_acked 2 "$(($(client_mib TCPFastOpenActiveFail) - f0))"
check_num cookie.conn_created -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"

check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

finish
