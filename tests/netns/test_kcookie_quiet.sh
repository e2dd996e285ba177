#!/usr/bin/env bash
# test_kcookie_quiet.sh - completion mode kernel keeps each listener
# "recently overflowed" (tcp_synq_no_recent_overflow: the kernel takes a
# cookie ACK only within 120 s of one), or the kernel would reset the
# client of a valid cookie without a word:
#   fresh_*  from the very first SYN of a listener opened after attach
#   quiet_*  after 130 s without a single packet to the port
# Each connection must carry data both ways through a socket the kernel made
# from its cookie (TcpExtSyncookiesRecv), with no reset sent (TcpOutRsts).
# Takes about 2.5 minutes.
. "$(dirname "$0")/../lib.sh"
require_root
require_cli

P=9200
QUIET=${KCOOKIE_QUIET_S:-130}

setup_pair kq || bail setup "could not build the namespaces and the veth pair"
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2 ||
	bail sysctl "cannot set tcp_syncookies and tcp_timestamps in $SNS"
attach_or_bail "$SNS" "$SIF" --ports $P --complete kernel

nstat_of() { ip netns exec "$SNS" nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# one NAME HOST: one connection of 1 MB each way, through the kernel's check.
one() {
	local recv rsts
	recv=$(nstat_of TcpExtSyncookiesRecv)
	rsts=$(nstat_of TcpOutRsts)
	check_run "$1.xfer" client_ns_exec "$PY" "$TCPTOOL" xfer "$2" $P $((1024 * 1024))
	check_num "$1.through_kernel_check" -eq $((recv + 1)) "$(nstat_of TcpExtSyncookiesRecv)"
	check_num "$1.no_reset" -eq "$rsts" "$(nstat_of TcpOutRsts)"
}

# A listener never stamped (stamp 0) passes the kernel's check while
# jiffies are within 120 s of 0, between ~299 and ~420 s of uptime (they
# start at -300 s): in a fresh VM the fresh_ case would pass falsely then.
up=$(cut -d. -f1 /proc/uptime)
if [ "$up" -lt 430 ]; then
	say "uptime $up s: waiting until 430 s, when an unstamped listener no longer passes"
	sleep $((430 - up))
fi

# The listener opens after attach: its first SYN is answered in XDP.
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
check_eq fresh.no_syn_before 0 "$(so_stat "$SNS" "$SIF" syn_seen)"
one fresh_v4 $S4
one fresh_v6 $S6
check_num fresh.synacks_by_xdp -eq 2 "$(so_stat "$SNS" "$SIF" synack_sent)"

# Quiet: nothing reaches the port for longer than a stamp lasts.
say "quiet for $QUIET s"
sleep "$QUIET"
seen=$(so_stat "$SNS" "$SIF" syn_seen)
one quiet_v4 $S4
one quiet_v6 $S6
check_num quiet.synacks_by_xdp -eq $((seen + 2)) "$(so_stat "$SNS" "$SIF" syn_seen)"
finish
