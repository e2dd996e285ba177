#!/usr/bin/env bash
# test_timewait.sh - a client reconnects from the same port while the server
# still holds the previous connection of that 4-tuple in TIME-WAIT (the
# server closed first, as HTTP/1.0 servers do). The kernel accepts such a
# SYN (RFC 6191); through shakeoff it must work as well. Busy clients do
# this within seconds: ab against a server that closes first reuses ports
# while the server's TIME-WAIT for them lasts 60 s. Control: the same on an
# unprotected port.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss
require_shakeoff

P=9000 # protected
U=9001 # not protected: the control
K=9002 # protected later, for connections the kernel makes
L=9003 # protected later, with a time_wait linger shorter than the kernel's

# tw_notes [SOURCE]: entries of the attachment's timewait map (of one
# enum so_tw_source: 1 attach or set, 2 a closing socket, 3 a linger).
tw_notes() {
	bpftool map dump pinned "$(pin_dir "$SNS" "$SIF")/timewait" -j 2>/dev/null |
		"$PY" -c 'import json, sys
print(sum(1 for e in json.load(sys.stdin) if len(sys.argv) < 2 or e["formatted"]["value"]["source"] == int(sys.argv[1])))' "$@"
}

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
start_tcptool "$SNS" $U || bail server "tcptool did not listen on port $U"
start_tcptool "$SNS" $K || bail server "tcptool did not listen on port $K"
start_tcptool "$SNS" $L || bail server "tcptool did not listen on port $L"
attach_or_bail "$SNS" "$SIF" --ports $P

lport=40000
for port in $U $P; do
	what=protected
	[ $port = $U ] && what=control
	for host in $S4 $S6; do
		fam=v4
		[ $host = $S6 ] && fam=v6
		lport=$((lport + 1))
		once() { client_ns_exec "$PY" "$TCPTOOL" once "$host" $port $lport 2>&1; }
		out1=$(once)
		rc1=$?
		tw=$(server_ns_exec ss -Htn state time-wait "( sport = :$port and dport = :$lport )" | grep -c .)
		out2=$(once)
		rc2=$?
		if [ "$rc1 $tw $rc2" = "0 1 0" ]; then
			ok "$what.$fam"
		else
			fail "$what.$fam" "expected: first connection ok, server in TIME-WAIT, second ok; got: first exit $rc1 ($(_oneline "$out1")), $tw TIME-WAIT sockets, second exit $rc2 ($(_oneline "$out2"))"
		fi
	done
done
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

# The same when shakeoff has no entry for the server's TIME-WAIT: the first
# connection closed before this attach (an entry can also be missing after
# an eviction, an idle expiry, or for a connection the kernel made itself).
# The SYN must still reach the kernel: a cookie SYN-ACK would lead the
# client's ACKs to the TIME-WAIT socket, and the connection would hang.
for host in $S4 $S6; do
	fam=v4
	[ $host = $S6 ] && fam=v6
	lport=$((lport + 1))
	once() { client_ns_exec "$PY" "$TCPTOOL" once "$host" $P $lport 2>&1; }
	out1=$(once)
	rc1=$?
	shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
	attach_or_bail "$SNS" "$SIF" --ports $P
	tw=$(server_ns_exec ss -Htn state time-wait "( sport = :$P and dport = :$lport )" | grep -c .)
	out2=$(once) # its socket times out after 10 s
	rc2=$?
	if [ "$rc1 $tw $rc2" = "0 1 0" ]; then
		ok "untracked.$fam"
	else
		fail "untracked.$fam" "expected: first connection ok, server in TIME-WAIT, second ok; got: first exit $rc1 ($(_oneline "$out1")), $tw TIME-WAIT sockets, second exit $rc2 ($(_oneline "$out2"))"
	fi
	check_num "untracked.$fam.passed_time_wait" -ge 1 "$(so_stat "$SNS" "$SIF" passed_time_wait)"
done

# And when the connection closes while attached, made by the kernel (an
# allowed source): shakeoff sees the client's FIN meet the server's socket
# closing first, and notes the TIME-WAIT that follows. On a port without
# TIME-WAIT sockets at attach, so that attach has nothing to note.
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
attach_or_bail "$SNS" "$SIF" --ports $K
check_eq kernel_made.nothing_at_attach 0 "$(tw_notes)"
for host in $S4 $S6; do
	fam=v4 prefix=198.18.0.0/24
	[ $host = $S6 ] && fam=v6 prefix=2001:2::/48
	lport=$((lport + 1))
	once() { client_ns_exec "$PY" "$TCPTOOL" once "$host" $K $lport 2>&1; }
	allowed0=$(so_stat "$SNS" "$SIF" passed_allowed) tw0=$(so_stat "$SNS" "$SIF" passed_time_wait)
	shakeoff_in "$SNS" allow "$SIF" add $prefix >/dev/null
	out1=$(once)
	rc1=$?
	shakeoff_in "$SNS" allow "$SIF" del $prefix >/dev/null
	allowed=$(($(so_stat "$SNS" "$SIF" passed_allowed) - allowed0))
	tw=$(server_ns_exec ss -Htn state time-wait "( sport = :$K and dport = :$lport )" | grep -c .)
	out2=$(once)
	rc2=$?
	if [ "$rc1 $allowed $tw $rc2" = "0 1 1 0" ]; then
		ok "kernel_made.$fam"
	else
		fail "kernel_made.$fam" "expected: first connection ok through the kernel (passed_allowed 1), server in TIME-WAIT, second ok; got: first exit $rc1 ($(_oneline "$out1")), passed_allowed $allowed, $tw TIME-WAIT sockets, second exit $rc2 ($(_oneline "$out2"))"
	fi
	check_num "kernel_made.$fam.passed_time_wait" -eq 1 \
		$(($(so_stat "$SNS" "$SIF" passed_time_wait) - tw0))
done

# A linger shorter than the kernel's TIME-WAIT (--time-wait 2): the entry
# leaves after 2 s, the server's socket stays 60 s; the sweeper notes it.
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
attach_or_bail "$SNS" "$SIF" --ports $L --time-wait 2
for host in $S4 $S6; do
	fam=v4
	[ $host = $S6 ] && fam=v6
	lport=$((lport + 1))
	once() { client_ns_exec "$PY" "$TCPTOOL" once "$host" $L $lport 2>&1; }
	tw0=$(so_stat "$SNS" "$SIF" passed_time_wait) closed0=$(so_stat "$SNS" "$SIF" closed_graceful)
	out1=$(once)
	rc1=$?
	sleep 4 # the linger, and a sweep
	closed=$(($(so_stat "$SNS" "$SIF" closed_graceful) - closed0))
	tw=$(server_ns_exec ss -Htn state time-wait "( sport = :$L and dport = :$lport )" | grep -c .)
	out2=$(once)
	rc2=$?
	if [ "$rc1 $closed $tw $rc2" = "0 1 1 0" ]; then
		ok "short_linger.$fam"
	else
		fail "short_linger.$fam" "expected: first connection ok, its entry gone after the linger (closed_graceful 1), server in TIME-WAIT, second ok; got: first exit $rc1 ($(_oneline "$out1")), closed_graceful $closed, $tw TIME-WAIT sockets, second exit $rc2 ($(_oneline "$out2"))"
	fi
	check_num "short_linger.$fam.passed_time_wait" -eq 1 \
		$(($(so_stat "$SNS" "$SIF" passed_time_wait) - tw0))
done

# set: newly protected ports are looked at too (TIME-WAIT sockets on K
# from the kernel_made cases, a minute old at most).
attached=$(tw_notes 1)
check_run set.more_ports shakeoff_in "$SNS" set "$SIF" --ports $L,$K
check_num set.time_wait_noted -gt "$attached" "$(tw_notes 1)"
check_eq set.counted_in "$(tw_notes 1)" \
	"$(bpftool map dump pinned "$(pin_dir "$SNS" "$SIF")/config" -j | json_get 0.formatted.value.tw_cli_added)"

finish
