#!/usr/bin/env bash
# test_http.sh - curl to an unmodified `python3 -m http.server --bind ::`
# over IPv4 and IPv6 through shakeoff on the server's veth. The counters show
# the cookie path was taken, and an nft counter at raw prerouting in the
# server namespace shows that no SYN to the protected port reached the TCP
# stack, while SYNs to an unprotected port did (the control).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl nft ethtool
require_complete

P=8080 # protected
U=8081 # not protected: the control
N=3    # GETs per family to the protected port

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
start_http "$SNS" $U || bail server "http.server did not listen on port $U"
nft_syn_counters "$SNS" $P $U || bail nft "could not load the nft counters"
client_syn_counters $P $U || bail nft "could not load the client's nft counters"
attach_or_bail "$SNS" "$SIF" --ports $P
syncookies_recv() {
	ip netns exec "$SNS" nstat -az TcpExtSyncookiesRecv | awk '$1 == "TcpExtSyncookiesRecv" { print $2 }'
}
recv0=$(syncookies_recv)

for i in $(seq $N); do
	check_http "curl_v4.$i" "$CNS" "http://$S4:$P/"
	check_http "curl_v6.$i" "$CNS" "http://[$S6]:$P/"
done
check_http control_v4 "$CNS" "http://$S4:$U/"
check_http control_v6 "$CNS" "http://[$S6]:$U/"

stats=$(shakeoff_in "$SNS" stats "$SIF" -j)
conns=$((2 * N))
# Every SYN the client sent to P (one a connection, and any retransmission)
# was answered in XDP; each connection was created once.
check_num stats.synack_sent -eq "$(client_syn_count $P)" "$(json_get synack_sent <<<"$stats")"
# At least each connection's third ACK; a data segment that reaches XDP
# before its connection's socket exists is cookie-checked again.
check_num stats.ack_cookie_valid -ge $conns "$(json_get ack_cookie_valid <<<"$stats")"
check_num stats.ack_cookie_valid_at_most_ack_and_data -le $((2 * conns)) "$(json_get ack_cookie_valid <<<"$stats")"
check_num stats.conn_created -eq $conns "$(json_get conn_created <<<"$stats")"
check_num stats.conn_create_failed -eq 0 "$(json_get conn_create_failed <<<"$stats")"
check_num stats.ack_cookie_invalid -eq 0 "$(json_get ack_cookie_invalid <<<"$stats")"
# The control port's SYNs are not ours: syn_seen counts only protected ones.
check_num stats.syn_seen_eq_synack_sent -eq "$(json_get synack_sent <<<"$stats")" "$(json_get syn_seen <<<"$stats")"

# Who made the sockets. Kernel mode: the kernel's own cookie check, once a
# connection, for the protected port's and (tcp_syncookies=2: the kernel
# answers every SYN with a cookie) the control's. Kfunc mode: the kfunc,
# which the kernel does not count there, and no cookie for the control.
if [ "$COMPLETE" = kernel ]; then
	check_num kernel.syncookies_recv -eq $((recv0 + conns + 2)) "$(syncookies_recv)"
else
	check_num kfunc.syncookies_recv -eq "$recv0" "$(syncookies_recv)"
fi

check_num nft.protected_syns_at_stack -eq 0 "$(nft_syn_count "$SNS" $P)"
# The control's SYNs, all of them, reached the stack.
check_num nft.control_syns_at_stack -eq "$(client_syn_count $U)" "$(nft_syn_count "$SNS" $U)"
# one SYN per control curl, answered at once by the kernel
check_num nft.control_syns_sent -eq 2 "$(client_syn_count $U)"

finish
