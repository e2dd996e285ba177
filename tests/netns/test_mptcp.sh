#!/usr/bin/env bash
# test_mptcp.sh - MPTCP (RFC 8684; issue 9, point 2) through an attached
# offload, data both ways, IPv4 and IPv6. The kfunc refuses MPTCP
# listeners (-EINVAL, and the kernel resets the client), so attach and set
# find them (sock_diag) and hand their SYNs to the kernel (passed_mptcp),
# whose own cookies support MPTCP; status -j says which ports
# (mptcp_ports). The three pairs: MPTCP client to MPTCP server (MPTCP in
# force on the client's socket), plain TCP client to MPTCP server, and
# MPTCP client to a plain TCP server (answered in XDP: the SYN-ACK carries
# no MP_CAPABLE, so the client falls back to TCP cleanly). A listener
# that turns MPTCP after attach costs one reset connection, whose refusal
# puts its port in kports from TC (no userspace process needed), or none
# if a set runs first; under a flood with tcp_syncookies=2 the kernel's
# own cookies answer for it.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss
require_shakeoff

PM=8443 # MPTCP listener
PT=8080 # plain TCP listener
PL=8444 # MPTCP listener started after attach
PEERS=$TOP/tests/netns/peers.py

if ! why=$("$PY" "$PEERS" probe mptcp); then
	skip all "$why"
	finish
fi
setup_pair || bail setup "could not build the namespaces and the veth pair"
for ns in "$CNS" "$SNS"; do ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1; done
ns_bg "$SNS" "$PY" "$PEERS" serve mptcp $PM
wait_port "$SNS" $PM || bail server "the MPTCP listener did not listen: $(_oneline "$(cat "$BG_LOG")")"
start_tcptool "$SNS" $PT || bail server "tcptool did not listen on $PT"
attach_or_bail "$SNS" "$SIF" --ports $PM,$PT,$PL

check_eq status.mptcp_ports "$PM" "$(so_status "$SNS" "$SIF" mptcp_ports)"
check_grep status.text "MPTCP listeners, SYNs to the kernel: $PM" "$(shakeoff_in "$SNS" status "$SIF")"

# xfer NAME KIND PORT: both families, data both ways.
xfer() {
	local name=$1 kind=$2 port=$3 fam host
	for fam in v4 v6; do
		host=$S4
		[ $fam = v6 ] && host=$S6
		check_run "$name.$fam" client_ns_exec timeout 40 "$PY" "$PEERS" xfer "$kind" "$host" "$port" 300000
	done
}

b=$(shakeoff_in "$SNS" stats "$SIF" -j)
xfer mptcp_to_mptcp mptcp $PM
xfer tcp_to_mptcp tcp $PM
a=$(shakeoff_in "$SNS" stats "$SIF" -j)
say "to the MPTCP listener: $(stats_pick "$b"$'\n'"$a" passed_mptcp synack_sent conn_err_einval)"
check_eq to_mptcp.counts "passed_mptcp=4 synack_sent=0 conn_err_einval=0" \
	"$(stats_pick "$b"$'\n'"$a" passed_mptcp synack_sent conn_err_einval)"

# MPTCP in force end to end: the client's connection has subflows (ss -M).
hold_mptcp() {
	ns_bg "$CNS" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"ECHO\n")
s.sendall(b"x"); s.recv(1)
time.sleep(30)' $S4 $PM
	for _ in $(seq 50); do
		ip netns exec "$CNS" ss -HMn state established | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
if hold_mptcp; then ok mptcp_in_force.client_msk; else fail mptcp_in_force.client_msk "no established MPTCP socket on the client (ss -M)"; fi
kill "$BG_PID" 2>/dev/null

# MPTCP client to a plain TCP server: answered in XDP, falls back to TCP.
b=$(shakeoff_in "$SNS" stats "$SIF" -j)
xfer mptcp_to_tcp mptcp $PT
a=$(shakeoff_in "$SNS" stats "$SIF" -j)
check_eq mptcp_to_tcp.counts "synack_sent=2 conn_created=2 passed_mptcp=0" \
	"$(stats_pick "$b"$'\n'"$a" synack_sent conn_created passed_mptcp)"

# A listener that becomes MPTCP after attach, no set run: the first
# connection meets the kfunc's refusal and is reset, and its port joins
# kports from the data path (mptcp_learned); the next ones go to the
# kernel. A set then finds the listener itself.
ns_bg "$SNS" "$PY" "$PEERS" serve mptcp $PL
wait_port "$SNS" $PL || bail server "the second MPTCP listener did not listen"
if client_ns_exec timeout 10 "$PY" "$PEERS" xfer mptcp $S4 $PL 1000 >/dev/null 2>&1; then
	say "learn: the first connection got through (expected a reset)"
fi
check_eq learn.mptcp_learned 1 "$(so_stat "$SNS" "$SIF" mptcp_learned)"
check_eq learn.mptcp_ports "$PM-$PL" "$(so_status "$SNS" "$SIF" mptcp_ports)"
xfer learn mptcp $PL
xfer learn_tcp tcp $PL
check_run later.set shakeoff_in "$SNS" set "$SIF"
check_eq later.mptcp_ports "$PM-$PL" "$(so_status "$SNS" "$SIF" mptcp_ports)"
xfer later mptcp $PL

# Under a flood the kernel answers with its own cookies (tcp_syncookies=2
# makes it use them always); their ACKs pass (passed_kernel_cookie).
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2
b=$(shakeoff_in "$SNS" stats "$SIF" -j)
xfer kernel_cookies mptcp $PM
a=$(shakeoff_in "$SNS" stats "$SIF" -j)
check_num kernel_cookies.passed_kernel_cookie -ge 2 \
	"$(stats_pick "$b"$'\n'"$a" passed_kernel_cookie | cut -d= -f2)"
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=1

# the refusals: the first client's third ACK, and maybe its first data
# segment, which was on its way before the port was learned
check_num stats.conn_err_einval -ge 1 "$(so_stat "$SNS" "$SIF" conn_err_einval)"
check_num stats.conn_err_einval -le 2 "$(so_stat "$SNS" "$SIF" conn_err_einval)"
check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"

finish
