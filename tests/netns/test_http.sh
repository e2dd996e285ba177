#!/usr/bin/env bash
# test_http.sh - curl to an unmodified `python3 -m http.server --bind ::`
# over IPv4 and IPv6 through shakeoff on the server's veth. The counters show
# the cookie path was taken, and an nft counter at raw prerouting in the
# server namespace shows that no SYN to the protected port reached the TCP
# stack, while SYNs to an unprotected port did (the control). Last, a client
# reconnects from the same port while the server still holds the previous
# connection in TIME-WAIT (the server closes first in HTTP/1.0): the kernel
# accepts such a SYN (RFC 6191), so it must work through shakeoff too.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl nft ethtool
require_shakeoff

P=8080 # protected
U=8081 # not protected: the control
N=3    # GETs per family to the protected port

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
start_http "$SNS" $U || bail server "http.server did not listen on port $U"
nft_syn_counters "$SNS" $P $U || bail nft "could not load the nft counters"
attach_or_bail "$SNS" "$SIF" --ports $P

for i in $(seq $N); do
	check_http "curl_v4.$i" "$CNS" "http://$S4:$P/"
	check_http "curl_v6.$i" "$CNS" "http://[$S6]:$P/"
done
check_http control_v4 "$CNS" "http://$S4:$U/"
check_http control_v6 "$CNS" "http://[$S6]:$U/"

stats=$(shakeoff_in "$SNS" stats "$SIF" -j)
conns=$((2 * N))
check_num stats.synack_sent -ge $conns "$(json_get synack_sent <<<"$stats")"
check_num stats.ack_cookie_valid -ge $conns "$(json_get ack_cookie_valid <<<"$stats")"
check_num stats.conn_created -eq $conns "$(json_get conn_created <<<"$stats")"
check_num stats.conn_create_failed -eq 0 "$(json_get conn_create_failed <<<"$stats")"
check_num stats.ack_cookie_invalid -eq 0 "$(json_get ack_cookie_invalid <<<"$stats")"
# The control port's SYNs are not ours: syn_seen counts only protected ones.
check_num stats.syn_seen_eq_synack_sent -eq "$(json_get synack_sent <<<"$stats")" "$(json_get syn_seen <<<"$stats")"

check_num nft.protected_syns_at_stack -eq 0 "$(nft_syn_count "$SNS" $P)"
check_num nft.control_syns_at_stack -ge 2 "$(nft_syn_count "$SNS" $U)"

# Same 4-tuple again while the server's side is in TIME-WAIT (one client
# port per case, so that no case is disturbed by an earlier one).
lport=40000
for port in $U $P; do
	what=protected
	[ $port = $U ] && what=control
	for url in "http://$S4:$port/" "http://[$S6]:$port/"; do
		fam=v4
		[[ $url == *\[* ]] && fam=v6
		lport=$((lport + 1))
		get() { client_ns_exec curl -g -sS -o /dev/null -w '%{http_code}' --max-time 10 --local-port $lport "$url" 2>>"$TMPD/tw.err"; }
		code1=$(get)
		tw=$(server_ns_exec ss -Htan state time-wait "( sport = :$port and dport = :$lport )" | grep -c .)
		code2=$(get)
		check_eq "time_wait_reuse.$what.$fam" "200 1 200" "$code1 $tw $code2"
	done
done

finish
