#!/usr/bin/env bash
# test_lostack.sh - a lost third ACK: the client's first data segment also
# carries the cookie (same seq and ack), so it must complete the handshake
# by itself. An nft rule in the CLIENT namespace drops the pure ACK that
# follows each SYN-ACK (the 2nd packet of the connection, flags == ack); the
# request that follows it must still get through, IPv4 and IPv6.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft ethtool
require_shakeoff

P=9000

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
client_ns_exec sysctl -qw net.netfilter.nf_conntrack_acct=1 ||
	bail conntrack_acct "could not enable conntrack accounting in $CNS"
drop_third_acks "$CNS" $P || bail nft "could not load the nft rule that drops third ACKs"
attach_or_bail "$SNS" "$SIF" --ports $P

check_run xfer_v4 client_ns_exec "$PY" "$TCPTOOL" xfer "$S4" $P 100000
check_run xfer_v6 client_ns_exec "$PY" "$TCPTOOL" xfer "$S6" $P 100000

check_num third_acks_dropped -eq 2 "$(nft_rule_count "$CNS" "inet so_lost output" "third ack")"
check_num stats.conn_created -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"
# the first data segment of each stands in for its lost third ACK; the rest
# of that first flight (an initial window of 10) may meet XDP before the
# socket exists and be checked too: how many is the scheduler's
check_num stats.ack_cookie_valid -ge 2 "$(so_stat "$SNS" "$SIF" ack_cookie_valid)"
check_num stats.ack_cookie_valid_at_most_first_flights -le $((2 * 10)) "$(so_stat "$SNS" "$SIF" ack_cookie_valid)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

finish
