#!/usr/bin/env bash
# test_rekey.sh - replacing the cookie secret under load loses no handshake:
# ab runs over IPv4 and IPv6 while `shakeoff rekey` replaces the secret twice
# (random, then from a file); every request must succeed and status -j must
# show secret_gen going up by one per rekey.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ab curl ethtool
require_shakeoff

P=8080
N=2000 # requests per ab: enough that both rekeys land while it runs
C=50

setup_pair || bail setup "could not build the namespaces and the veth pair"
wide_client_ports || bail setup "could not widen the client's port range"
start_httpd "$SNS" $P || bail server "the HTTP server did not listen on port $P"
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$TMPD/secret1"
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$TMPD/secret2"
attach_or_bail "$SNS" "$SIF" --ports $P --secret-file "$TMPD/secret1"
gen0=$(so_status "$SNS" "$SIF" secret_gen)
check_num status.secret_gen_readable -ge 0 "$gen0"

# wait_created N: wait until conn_created reaches N (or ab ends).
wait_created() {
	local _i
	for _i in $(seq 600); do
		[ "$(so_stat "$SNS" "$SIF" conn_created)" -ge "$1" ] 2>/dev/null && return 0
		kill -0 "$AB4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# rekey_now NAME ARGS...: rekey while ab is still running.
rekey_now() {
	local name=$1 alive=yes
	shift
	kill -0 "$AB4" 2>/dev/null || alive=no
	if shakeoff_in "$SNS" rekey "$SIF" "$@" >"$TMPD/rekey.out" 2>&1; then
		ok "$name.exit"
	else
		fail "$name.exit" "rekey exited non-zero: $(_oneline "$(cat "$TMPD/rekey.out")")"
	fi
	check_eq "$name.during_load" yes "$alive"
}

ns_bg "$CNS" ab -q -n $N -c $C -s 30 "http://$S4:$P/"
AB4=$BG_PID AB4_LOG=$BG_LOG
ns_bg "$CNS" ab -q -n $N -c $C -s 30 "http://[$S6]:$P/"
AB6=$BG_PID AB6_LOG=$BG_LOG

wait_created 800
rekey_now rekey_random
wait_created 2400
rekey_now rekey_file --secret-file "$TMPD/secret2"
wait "$AB4"
wait "$AB6"
check_ab ab_v4 "$AB4_LOG" $N
check_ab ab_v6 "$AB6_LOG" $N

check_num status.secret_gen -eq $((gen0 + 2)) "$(so_status "$SNS" "$SIF" secret_gen)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
check_http after_rekey.curl_v4 "$CNS" "http://$S4:$P/"
check_http after_rekey.curl_v6 "$CNS" "http://[$S6]:$P/"

finish
