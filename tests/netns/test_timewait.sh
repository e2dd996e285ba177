#!/usr/bin/env bash
# test_timewait.sh - a client reconnects from the same port while the server
# still holds the previous connection of that 4-tuple in TIME-WAIT (the
# server closed first, as HTTP/1.0 servers do). The kernel accepts such a
# SYN (RFC 6191); through shakeoff it must work as well. Busy clients do
# this within seconds: ab against a server that closes first reuses ports
# while the server's TIME-WAIT for them lasts 60 s. Control: the same on an
# unprotected port. Then the TIME-WAIT sockets that no entry stands for,
# each way shakeoff learns of them: attach finds them, a client's segment
# meets the server's socket closing (a connection the kernel made), an
# entry leaves before the kernel's TIME-WAIT ends (a short --time-wait),
# set finds them on newly protected ports.
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

# reuse NAME HOST PORT [BETWEEN]: from a fresh client port, a connection
# the server closes first; BETWEEN (a command, if given) runs after it;
# then a second connection from the same port. Both must work, with the
# server's TIME-WAIT of the first in between; the second SYN must go to
# the kernel (passed_time_wait) if shakeoff protects PORT (REUSE_PROTECTED,
# default 1).
lport=40000
reuse() {
	local name=$1 host=$2 port=$3 between=${4:-} out1 out2 rc1 rc2 tw tw0
	lport=$((lport + 1))
	out1=$(client_ns_exec "$PY" "$TCPTOOL" once "$host" $port $lport 2>&1)
	rc1=$?
	[ -n "$between" ] && $between
	tw0=$(so_stat "$SNS" "$SIF" passed_time_wait) # BETWEEN may re-attach
	tw=$(server_ns_exec ss -Htn state time-wait "( sport = :$port and dport = :$lport )" | grep -c .)
	out2=$(client_ns_exec "$PY" "$TCPTOOL" once "$host" $port $lport 2>&1) # 10 s at most
	rc2=$?
	if [ "$rc1 $tw $rc2" = "0 1 0" ]; then
		ok "$name"
	else
		fail "$name" "expected: first connection ok, server in TIME-WAIT, second ok; got: first exit $rc1 ($(_oneline "$out1")), $tw TIME-WAIT sockets, second exit $rc2 ($(_oneline "$out2"))"
	fi
	[ "${REUSE_PROTECTED:-1}" = 1 ] && check_num "$name.passed_time_wait" -eq 1 \
		$(($(so_stat "$SNS" "$SIF" passed_time_wait) - tw0))
}
fam_of() { [[ $1 == *:* ]] && echo v6 || echo v4; }
reattach() {
	shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
	attach_or_bail "$SNS" "$SIF" "$@"
}

setup_pair || bail setup "could not build the namespaces and the veth pair"
for port in $P $U $K $L; do
	start_tcptool "$SNS" $port || bail server "tcptool did not listen on port $port"
done
attach_or_bail "$SNS" "$SIF" --ports $P

# Tracked: the entry is in time_wait. The control goes past shakeoff.
for host in $S4 $S6; do
	REUSE_PROTECTED=0 reuse "control.$(fam_of $host)" $host $U
	reuse "protected.$(fam_of $host)" $host $P
done
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

# No entry: the first connection closed before this attach, which finds
# its TIME-WAIT in /proc/net/tcp.
for host in $S4 $S6; do
	reuse "untracked.$(fam_of $host)" $host $P "reattach --ports $P"
done

# No entry: the kernel made the connection (an allowed source), and the
# client's FIN met the server's socket closing first. On a port without
# TIME-WAIT sockets at attach, so that attach has nothing to note.
reattach --ports $K
check_eq kernel_made.nothing_at_attach 0 "$(tw_notes)"
# allowed FAM: the prefix of the client's family is on the allow list
# until unallow takes it off and checks that the first connection went
# through the kernel.
allowed() {
	PREFIX=198.18.0.0/24
	[ "$1" = v6 ] && PREFIX=2001:2::/48
	A0=$(so_stat "$SNS" "$SIF" passed_allowed)
	shakeoff_in "$SNS" allow "$SIF" add $PREFIX >/dev/null
}
unallow() {
	shakeoff_in "$SNS" allow "$SIF" del $PREFIX >/dev/null
	check_num "kernel_made.$1.first_by_the_kernel" -eq 1 \
		$(($(so_stat "$SNS" "$SIF" passed_allowed) - A0))
}
for host in $S4 $S6; do
	fam=$(fam_of $host)
	allowed $fam
	reuse "kernel_made.$fam" $host $K "unallow $fam"
done
# one note per family's first connection
check_num kernel_made.noted_as_closing -eq 2 "$(tw_notes 2)"

# A linger shorter than the kernel's TIME-WAIT (--time-wait 2): the entry
# leaves after 2 s, the server's socket stays 60 s; the sweeper notes it.
reattach --ports $L --time-wait 2
linger() {
	local c0
	c0=$(so_stat "$SNS" "$SIF" closed_graceful)
	sleep 4 # the linger, and a sweep
	check_num "short_linger.$1.entry_gone" -eq 1 \
		$(($(so_stat "$SNS" "$SIF" closed_graceful) - c0))
}
for host in $S4 $S6; do
	fam=$(fam_of $host)
	reuse "short_linger.$fam" $host $L "linger $fam"
done
check_num short_linger.noted -eq 2 "$(tw_notes 3)"

# set: newly protected ports are looked at too (TIME-WAIT sockets on K
# from the kernel_made cases, a minute old at most).
attached=$(tw_notes 1)
check_run set.more_ports shakeoff_in "$SNS" set "$SIF" --ports $L,$K
check_num set.time_wait_noted -gt "$attached" "$(tw_notes 1)"
check_eq set.counted_in "$(tw_notes 1)" \
	"$(bpftool map dump pinned "$(pin_dir "$SNS" "$SIF")/config" -j | json_get 0.formatted.value.tw_cli_added)"

finish
