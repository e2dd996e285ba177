#!/usr/bin/env bash
# test_rekey.sh - replacing the cookie secret loses no handshake.
#  1. In flight, made certain: an nft rule in the client namespace holds
#     back everything but SYNs to a port, so the client gets its SYN-ACK
#     (cookie under the old key) while its third ACK and data are dropped;
#     then rekey, then lift the rule: the client's retransmission carries
#     the old key's cookie, which must still be taken. The same with two
#     rekeys in between (the second with --force, as a plain one is refused
#     while the previous key is in its grace period): the key is gone, the
#     ACK must be refused (this shows the check above really depends on the
#     key).
#  2. Under load: ab runs over IPv4 and IPv6 while `shakeoff rekey` replaces
#     the secret twice (random, then from a file, both forced: seconds apart,
#     no handshake of ab's is in flight that long); every request succeeds.
# status -j must show secret_gen going up by one per rekey.
# In completion mode kernel (require_complete) the cookies are the kernel's
# own, under its per-boot secret, and there is no key of shakeoff's to
# replace: the test checks instead that attach --secret-file and every form
# of rekey are refused in one sentence, change nothing, and that handshakes
# go on.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ab curl ethtool nft
require_complete

P=8080
N=2000 # requests per ab: enough that both rekeys land while it runs
C=50

setup_pair || bail setup "could not build the namespaces and the veth pair"
wide_client_ports || bail setup "could not widen the client's port range"
start_httpd "$SNS" $P || bail server "the HTTP server did not listen on port $P"
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$TMPD/secret1"
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$TMPD/secret2"
T=9000
start_tcptool "$SNS" $T || bail server "tcptool did not listen on port $T"

if [ "$COMPLETE" = kernel ]; then
	so_attach "$SNS" "$SIF" --ports $P,$T --secret-file "$TMPD/secret1"
	check_refused kernel.attach_secret_file $? "$TMPD/attach.err" "$SNS" "$SIF"
	check_grep kernel.attach_secret_file.says "^shakeoff: --secret-file does not apply to --complete kernel" \
		"$(cat "$TMPD/attach.err")"
	attach_or_bail "$SNS" "$SIF" --ports $P,$T
	check_eq kernel.complete kernel "$(so_status "$SNS" "$SIF" complete)"
	gen=$(so_status "$SNS" "$SIF" secret_gen)
	check_num kernel.secret_gen_readable -ge 0 "$gen"
	n=0
	for args in "" "--force" "--secret-file $TMPD/secret2 --force"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		shakeoff_in "$SNS" rekey "$SIF" $args >"$TMPD/rekey.out" 2>"$TMPD/err"
		check_eq "kernel.rekey_$n.refused" "1 1 0" "$? $(grep -c '' "$TMPD/err") $(grep -c '' "$TMPD/rekey.out")"
		check_grep "kernel.rekey_$n.says" "^shakeoff: cannot rekey $SIF: it runs --complete kernel, whose cookies are the kernel's own" \
			"$(cat "$TMPD/err")"
	done
	check_eq kernel.secret_gen_unchanged "$gen" "$(so_status "$SNS" "$SIF" secret_gen)"
	created0=$(so_stat "$SNS" "$SIF" conn_created)
	check_http kernel.after_refusals.curl_v4 "$CNS" "http://$S4:$P/"
	check_http kernel.after_refusals.curl_v6 "$CNS" "http://[$S6]:$P/"
	check_num kernel.after_refusals.conn_created -eq $((created0 + 2)) "$(so_stat "$SNS" "$SIF" conn_created)"
	check_num kernel.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
	skip in_flight "completion mode kernel has no key of shakeoff's to rekey (the refusals above instead)"
	skip under_load "completion mode kernel has no key of shakeoff's to rekey (the refusals above instead)"
	finish
fi

attach_or_bail "$SNS" "$SIF" --ports $P,$T --secret-file "$TMPD/secret1"
gen=$(so_status "$SNS" "$SIF" secret_gen)
# attach starts the secret's generations at 0; each rekey adds one
check_num status.secret_gen_at_attach -eq 0 "$gen"

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

# hold_acks: drop all but SYNs from the client to port T.
hold_acks() {
	client_ns_exec nft -f - <<-EOF
	table inet so_hold {
		chain output {
			type filter hook output priority filter; policy accept;
			tcp dport $T tcp flags & syn == 0 counter drop comment "hold"
		}
	}
	EOF
}

# client_established: wait until the client has its SYN-ACK.
client_established() {
	local _i
	for _i in $(seq 100); do
		client_ns_exec ss -Htn state established "( dport = :$T )" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# 1. A handshake in flight across a rekey, IPv4 then IPv6.
for host in $S4 $S6; do
	fam=v4
	[ $host = $S6 ] && fam=v6
	hold_acks || bail nft "could not load the nft rule that holds back ACKs"
	valid0=$(so_stat "$SNS" "$SIF" ack_cookie_valid)
	ns_bg "$CNS" "$PY" "$TCPTOOL" xfer "$host" $T 1000
	xfer=$BG_PID xfer_log=$BG_LOG
	client_established || fail "in_flight_$fam.client_established" "no SYN-ACK within 5 s"
	rekey_rc=0
	# v6 comes within v4's rekey's grace period: --force (the key it drops,
	# the one before last, made no cookie of this handshake's)
	shakeoff_in "$SNS" rekey "$SIF" $([ $fam = v6 ] && echo --force) >"$TMPD/rekey.out" 2>&1 ||
		rekey_rc=$?
	check_eq "in_flight_$fam.rekey_exit" 0 "$rekey_rc"
	gen=$((gen + 1))
	# the ACK at least; its data and retransmissions are the client's timers'
	check_num "in_flight_$fam.acks_held_back" -ge 1 "$(nft_rule_count "$CNS" "inet so_hold output" hold)"
	check_eq "in_flight_$fam.no_ack_before_rekey" "$valid0" "$(so_stat "$SNS" "$SIF" ack_cookie_valid)"
	client_ns_exec nft delete table inet so_hold
	if wait "$xfer"; then
		ok "in_flight_$fam.connection"
	else
		fail "in_flight_$fam.connection" "$(_oneline "$(cat "$xfer_log")")"
	fi
done
check_num in_flight.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"

check_num in_flight.secret_gen -eq "$gen" "$(so_status "$SNS" "$SIF" secret_gen)"
gen0=$gen
invalid0=$(so_stat "$SNS" "$SIF" ack_cookie_invalid)

# 2. Under load.
ns_bg "$CNS" ab -q -n $N -c $C -s 30 "http://$S4:$P/"
AB4=$BG_PID AB4_LOG=$BG_LOG
ns_bg "$CNS" ab -q -n $N -c $C -s 30 "http://[$S6]:$P/"
AB6=$BG_PID AB6_LOG=$BG_LOG

wait_created 800
rekey_now rekey_random --force
wait_created 2400
# Within the first rekey's grace period: refused, nothing changes.
shakeoff_in "$SNS" rekey "$SIF" >/dev/null 2>"$TMPD/err"
check_eq rekey_again.refused 1 "$?"
check_grep rekey_again.says_why "drops key [0-9a-f]{8}, which issued cookies [0-9]+ s ago.*for [0-9]+ s more.*--force" "$(cat "$TMPD/err")"
check_num rekey_again.secret_gen_unchanged -eq $((gen0 + 1)) "$(so_status "$SNS" "$SIF" secret_gen)"
rekey_now rekey_file --secret-file "$TMPD/secret2" --force
wait "$AB4"
wait "$AB6"
check_ab ab_v4 "$AB4_LOG" $N
check_ab ab_v6 "$AB6_LOG" $N

check_num under_load.secret_gen -eq $((gen0 + 2)) "$(so_status "$SNS" "$SIF" secret_gen)"
check_num under_load.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num under_load.ack_cookie_invalid -eq "$invalid0" "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
check_http after_rekey.curl_v4 "$CNS" "http://$S4:$P/"
check_http after_rekey.curl_v6 "$CNS" "http://[$S6]:$P/"

# 3. Two rekeys while the ACK is held back: refused. Last, because the
# client goes on retransmitting into the void.
hold_acks || bail nft "could not load the nft rule that holds back ACKs"
created0=$(so_stat "$SNS" "$SIF" conn_created)
invalid0=$(so_stat "$SNS" "$SIF" ack_cookie_invalid)
ns_bg "$CNS" "$PY" "$TCPTOOL" xfer "$S4" $T 1000
xfer=$BG_PID
client_established || fail two_rekeys.client_established "no SYN-ACK within 5 s"
shakeoff_in "$SNS" rekey "$SIF" --force >/dev/null 2>&1 &&
	shakeoff_in "$SNS" rekey "$SIF" --force >/dev/null 2>&1
client_ns_exec nft delete table inet so_hold
invalid=0
for _i in $(seq 100); do # the client retransmits within a few seconds
	invalid=$(so_stat "$SNS" "$SIF" ack_cookie_invalid)
	[ "${invalid:-0}" -gt "$invalid0" ] 2>/dev/null && break
	sleep 0.1
done
# the client's retransmissions: the first one refused ends the wait above
check_num two_rekeys.ack_cookie_invalid -ge $((invalid0 + 1)) "$invalid"
check_num two_rekeys.conn_created_unchanged -eq "$created0" "$(so_stat "$SNS" "$SIF" conn_created)"
kill "$xfer" 2>/dev/null
wait "$xfer" 2>/dev/null

finish
