#!/usr/bin/env bash
# test_fault_link.sh - the protected interface set down and up while
# attached, twice, with two long connections (IPv4, IPv6) echoing messages
# through it. While it is down the attachment stays (status says attached,
# and the XDP program is still on the interface); once it is up again the
# long connections carry on (TCP retransmits what was lost) and end intact,
# new connections are answered in XDP (synack_sent, no SYN at the stack),
# and status still tells the truth. Also the peer's end set down and up.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss ethtool nft
require_shakeoff

P=9950

setup_pair fl || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counters"
# Linux drops an interface's IPv6 addresses when it goes down, unless told
# to keep them (as a server with static addresses would be configured).
ip netns exec "$SNS" sysctl -qw "net.ipv6.conf.$SIF.keep_addr_on_down=1" &&
	ip netns exec "$CNS" sysctl -qw "net.ipv6.conf.$CIF.keep_addr_on_down=1" ||
	bail sysctl "could not set keep_addr_on_down"
attach_or_bail "$SNS" "$SIF" --ports $P
stat_of() { so_stat "$SNS" "$SIF" "$1"; }
xfer() { check_run "$1" client_ns_exec timeout 20 "$PY" "$TCPTOOL" xfer "$2" $P 100000; }
xdp_id() { ip -n "$SNS" -d link show dev "$SIF" | grep -o 'prog/xdp id [0-9]*'; }
XDP0=$(xdp_id)
check_grep attached.xdp "prog/xdp id" "$XDP0"

stream_start "$CNS" "$S4" $P || bail stream_v4 "no connection"
ST4=$STREAM_CTL ST4_PID=$STREAM_PID
stream_start "$CNS" "$S6" $P || bail stream_v6 "no connection"
ST6=$STREAM_CTL ST6_PID=$STREAM_PID
stream_moving before.stream_v4 "$ST4"
stream_moving before.stream_v6 "$ST6"

# link_up NS IFACE: up, and wait for the carrier.
link_up() {
	local i
	ip -n "$1" link set "$2" up
	for i in $(seq 50); do
		ip -n "$1" -br link show dev "$2" | grep -q ' UP ' && return 0
		sleep 0.1
	done
	return 1
}

for round in 1 2 peer; do
	n=flap$round
	ns=$SNS ifc=$SIF
	[ $round = peer ] && ns=$CNS ifc=$CIF
	syn0=$(stat_of synack_sent) created0=$(stat_of conn_created) sent0=$(client_syn_count $P)
	check_run $n.down ip -n "$ns" link set "$ifc" down
	sleep 1
	check_eq $n.down.status_attached true "$(so_status "$SNS" "$SIF" attached)"
	check_eq $n.down.xdp_stays "$XDP0" "$(xdp_id)"
	link_up "$ns" "$ifc" && ok $n.up || fail $n.up "no carrier on $ifc 5 s after up"
	stream_moving $n.stream_v4 "$ST4" 15
	stream_moving $n.stream_v6 "$ST6" 15
	check_eq $n.status_attached true "$(so_status "$SNS" "$SIF" attached)"
	check_eq $n.xdp_same "$XDP0" "$(xdp_id)"
	xfer $n.new_conn_v4 "$S4"
	xfer $n.new_conn_v6 "$S6"
	# every SYN of the two new connections (retransmissions too) answered,
	# each created once
	check_num $n.answered_in_xdp -eq $((syn0 + $(client_syn_count $P) - sent0)) "$(stat_of synack_sent)"
	check_num $n.conn_created -eq $((created0 + 2)) "$(stat_of conn_created)"
	check_eq $n.no_syn_at_stack 0 "$(nft_syn_count "$SNS" $P)"
done

stream_stop end.stream_v4_intact "$ST4" "$ST4_PID"
stream_stop end.stream_v6_intact "$ST6" "$ST6_PID"

finish
