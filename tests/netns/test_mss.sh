#!/usr/bin/env bash
# test_mss.sh - MSS and MTU of the path through an attached offload (issue
# 9, point 7), read from both sockets with ss -tie (clients with
# timestamps, SACK or window scaling switched off: test_options):
#   mss      a small MSS: the client's route says advmss 1200 (IPv4) and
#            1280 (IPv6), and the server's socket sends with it; the
#            server's route says advmss 1200 and --mss4 1200 puts it in
#            the SYN-ACK (shakeoff does not read routes' advmss);
#   jumbo    MTU 9000 on both ends, attached after the change: MSS 8960
#            (IPv4) and 8940 (IPv6) in force on both sockets (less the 12
#            bytes of timestamps), and 4 MB each way in jumbo frames.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss
require_shakeoff

P=9000

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P

# held NAME HOST: hold a connection open, read both sockets (INFO: the
# server's, CINFO: the client's, ss -tie), close it; the caller checks.
held() {
	local name=$1 host=$2
	if ! hold_open "$CNS" "$host" $P; then
		fail "$name.connect" "connection to $host:$P failed: $(_oneline "$(cat "$HOLD_LOG")")"
		return 1
	fi
	INFO=$(ip netns exec "$SNS" ss -Htie state established "( sport = :$P )")
	CINFO=$(ip netns exec "$CNS" ss -Htie state established "( dport = :$P )")
	vsay "server: $INFO"
	if hold_close; then ok "$name.data"; else fail "$name.data" "$(_oneline "$(cat "$HOLD_LOG")")"; fi
}
mss_of() { grep -oE '(^|[[:space:]])mss:[0-9]+' <<<"$1" | tr -d ' \t'; }

# 1. A small MSS on the client's routes: the server sends with it (less
#    the 12 bytes of timestamps). Table entries: IPv4 1200, IPv6 1280.
client_ns_exec ip route replace 198.18.0.0/24 dev "$CIF" advmss 1200 &&
	client_ns_exec ip -6 route replace 2001:2::/64 dev "$CIF" metric 256 proto kernel advmss 1280 ||
	bail route "could not set advmss on the client's routes"
held mss_client_v4 "$S4" && check_eq mss_client_v4.server_sends "mss:1188" "$(mss_of "$INFO")"
held mss_client_v6 "$S6" && check_eq mss_client_v6.server_sends "mss:1268" "$(mss_of "$INFO")"
client_ns_exec ip route replace 198.18.0.0/24 dev "$CIF"
client_ns_exec ip -6 route replace 2001:2::/64 dev "$CIF" metric 256 proto kernel
#    ... and on the server's: --mss4 says it in the SYN-ACK.
server_ns_exec ip route replace 198.18.0.0/24 dev "$SIF" advmss 1200 || bail route "server advmss"
check_run mss_server.set shakeoff_in "$SNS" set "$SIF" --mss4 1200
held mss_server "$S4" && check_eq mss_server.client_sends "mss:1188" "$(mss_of "$CINFO")"
check_run mss_server.xfer client_ns_exec "$PY" "$TCPTOOL" xfer $S4 $P 1000000
server_ns_exec ip route replace 198.18.0.0/24 dev "$SIF"

# 2. Jumbo frames: MTU 9000 on both ends, then attach (the MSS defaults
#    follow the MTU).
check_run jumbo.detach shakeoff_in "$SNS" detach "$SIF"
ip -n "$CNS" link set "$CIF" mtu 9000 && ip -n "$SNS" link set "$SIF" mtu 9000 ||
	bail mtu "could not set MTU 9000"
attach_or_bail "$SNS" "$SIF" --ports $P
check_eq jumbo.mss4 8960 "$(so_status "$SNS" "$SIF" mss4)"
check_eq jumbo.mss6 8940 "$(so_status "$SNS" "$SIF" mss6)"
for fam in v4 v6; do
	host=$S4 want=8960
	[ $fam = v6 ] && host=$S6 want=8940
	if held "jumbo_$fam" "$host"; then
		check_eq "jumbo_$fam.server_mss" "mss:$((want - 12))" "$(mss_of "$INFO")"
		check_eq "jumbo_$fam.client_mss" "mss:$((want - 12))" "$(mss_of "$CINFO")"
	fi
	check_run "jumbo_$fam.xfer" client_ns_exec "$PY" "$TCPTOOL" xfer "$host" $P 4000000
done

check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"

finish
