#!/usr/bin/env bash
# test_ab.sh - hundreds of concurrent connections through shakeoff:
# ab -n 2000 -c 200 over IPv4 and IPv6, every request answered with a 2xx,
# every handshake completed by a cookie (no SYN reaches the stack).
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
check_num stats.synack_sent -ge $((2 * N)) "$(json_get synack_sent <<<"$stats")"
check_num stats.ack_cookie_valid -ge $((2 * N)) "$(json_get ack_cookie_valid <<<"$stats")"
check_num stats.conn_created -ge $((2 * N)) "$(json_get conn_created <<<"$stats")"
check_num stats.conn_create_failed -eq 0 "$(json_get conn_create_failed <<<"$stats")"
check_num nft.protected_syns_at_stack -eq 0 "$(nft_syn_count "$SNS" $P)"

finish
