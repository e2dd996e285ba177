#!/usr/bin/env bash
# test_ab.sh - hundreds of concurrent connections through shakeoff:
# ab -n 2000 -c 200 over IPv4 and IPv6, every request answered with a 2xx,
# every handshake completed by a cookie: no SYN reaches the stack but the
# few that shakeoff hands over on purpose. Under load the client reuses a
# port whose last connection the server still holds in TIME-WAIT, and such
# a SYN belongs to the kernel (RFC 6191; test_timewait): those are counted
# as passed_time_wait, few, and exactly the SYNs shakeoff did not answer
# and the stack saw.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ab nft ethtool
require_shakeoff

P=8080
N=2000
C=200

setup_pair || bail setup "could not build the namespaces and the veth pair"
wide_client_ports || bail setup "could not widen the client's port range"
start_httpd "$SNS" $P || bail server "the HTTP server did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counter"
attach_or_bail "$SNS" "$SIF" --ports $P

client_ns_exec ab -q -n $N -c $C -s 30 "http://$S4:$P/" >"$TMPD/ab4.out" 2>&1
check_ab ab_v4 "$TMPD/ab4.out" $N
client_ns_exec ab -q -n $N -c $C -s 30 "http://[$S6]:$P/" >"$TMPD/ab6.out" 2>&1
check_ab ab_v6 "$TMPD/ab6.out" $N

stats=$(shakeoff_in "$SNS" stats "$SIF" -j)
syn_seen=$(json_get syn_seen <<<"$stats") synack_sent=$(json_get synack_sent <<<"$stats")
reused=$(json_get passed_time_wait <<<"$stats")
say "$reused SYNs of 4-tuples in time_wait went to the kernel; $(stats_pick "$stats" syn_seen synack_sent conn_created conn_retried)"
# at least one SYN per request: ab's spare connections and the SYNs it
# retransmits when XDP_TX overflows the peer's ring under 200 at once are
# the load's, not exact
check_num stats.syn_seen -ge $((2 * N)) "$syn_seen"
check_eq stats.unanswered_syns_are_time_wait_reuses "$reused" "$((syn_seen - synack_sent))"
check_num stats.time_wait_reuses_are_few -le $((2 * N / 20)) "$reused"
# every SYN-ACK's ACK, and the data segments that race it to TC (not exact)
check_num stats.ack_cookie_valid -ge "$synack_sent" "$(json_get ack_cookie_valid <<<"$stats")"
# one connection per request, but those the kernel made (ab may open one
# more than it needs), and never more than SYN-ACKs
created=$(json_get conn_created <<<"$stats")
check_num stats.conn_created -ge $((2 * N - reused)) "$created"
check_num stats.conn_created_at_most_one_per_synack -le "$synack_sent" "$created"
check_num stats.conn_create_failed -eq 0 "$(json_get conn_create_failed <<<"$stats")"
check_eq nft.syns_at_stack_are_time_wait_reuses "$reused" "$(nft_syn_count "$SNS" $P)"

finish
