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

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
start_tcptool "$SNS" $U || bail server "tcptool did not listen on port $U"
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

finish
