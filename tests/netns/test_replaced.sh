#!/usr/bin/env bash
# test_replaced.sh - a client that lost its connection reuses its 4-tuple
# while the table still tracks the old one, and the server's socket is gone
# too: nft drops both sides' RSTs (in the client's output, before the
# server's XDP sees it; in the server's output, before TC egress does), so
# the entry stays established with no socket behind it. The client binds
# the same source port again and connects:
#   first_try     the new connection completes at once (before, its cookie
#                 ACK was taken for a segment of the old entry, the kernel
#                 reset it, and only the next try connected)
#   counters      conn_replaced +1, conn_created +1, no reset counted
#   events        close "replaced" for the old entry, with its figures (4
#                 bytes each way), then open for the new one; the new one's
#                 close later, graceful
#   table         the 4-tuple's entry is the new connection's
#   forged        before that, a forged ACK of the 4-tuple (no valid
#                 cookie, nowhere near the old connection's numbers) is
#                 dropped (ack_cookie_invalid) and leaves the old entry as
#                 it is
# Each in both completion modes (kfunc where the kernel has it, kernel).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft ss
require_shakeoff

P=9950
LPORT=41234

setup_pair rp || bail setup "could not build the namespaces and the veth pair"
# kernel mode needs these in the server's namespace (test_kcookie.sh)
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2 ||
	bail sysctl "cannot set tcp_syncookies and tcp_timestamps in $SNS"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
stats() { shakeoff_in "$SNS" stats "$SIF" -j 2>/dev/null; }

# RSTs dropped on their way out, on both sides.
rst_drop() {
	local ns
	for ns in "$CNS" "$SNS"; do
		ip netns exec "$ns" nft -f - <<-EOF || return 1
			table inet so_rp {
				chain out {
					type filter hook output priority 0;
					tcp flags & rst == rst counter drop
				}
			}
		EOF
	done
}
rst_pass() {
	ip netns exec "$CNS" nft delete table inet so_rp 2>/dev/null
	ip netns exec "$SNS" nft delete table inet so_rp 2>/dev/null
	return 0
}
rst_dropped() { ip netns exec "$1" nft list table inet so_rp 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# lose HOST LPORT: a connection from LPORT that both sides abort: the server
# ("RST" to tcptool: it answers "rst" and aborts), then the client.
lose() {
	client_ns_exec "$PY" - "$1" $P "$2" <<-'EOF'
		import socket, struct, sys
		host, port, lport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		fam = socket.AF_INET6 if ":" in host else socket.AF_INET
		s = socket.socket(fam, socket.SOCK_STREAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", lport))
		s.settimeout(10)
		s.connect((host, port))
		s.sendall(b"RST\n")
		got = b""
		while len(got) < 4:
		    b = s.recv(4 - len(got))
		    if not b:
		        break
		    got += b
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		s.close()
		sys.exit(0 if got == b"rst\n" else "expected 'rst', got %r" % got)
	EOF
}

# forged_ack HOST LPORT: an ACK of the 4-tuple whose numbers are no cookie's
# and nowhere near the old connection's.
forged_ack() {
	client_ns_exec "$PY" - "$1" $P "$2" <<-'EOF'
		import sys
		from scapy.all import IP, IPv6, TCP, send, conf
		conf.verb = 0
		host, port, lport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		l3 = IPv6(dst=host) if ":" in host else IP(dst=host)
		send(l3 / TCP(sport=lport, dport=port, flags="A", seq=0x5eed0000, ack=0x0bad0000))
	EOF
}

# round NAME HOST: the scenario, with an events reader.
round() {
	local name=$1 host=$2 s0 s1 fam=4 S C n0 out
	[[ $host == *:* ]] && fam=6
	events_start "$SNS" "$SIF" -j || return
	rst_drop || { fail "$name.nft" "cannot add the nft rules"; return; }
	s0=$(stats)
	if ! out=$(lose "$host" $LPORT 2>&1); then
		fail "$name.old" "the old connection: $(_oneline "$out")"
		rst_pass
		events_stop
		return
	fi
	ok "$name.old"
	# each side's RST at least (how many the stacks send is theirs)
	check_num "$name.client_rst_dropped" -ge 1 "$(rst_dropped "$CNS")"
	check_num "$name.server_rst_dropped" -ge 1 "$(rst_dropped "$SNS")"
	check_eq "$name.no_socket_left" "none none" \
		"$(ss_state "$CNS" $LPORT $P) $(ss_state "$SNS" $P $LPORT)"
	check_eq "$name.old_entry_stays" established "$(conns_entry "$SNS" "$SIF" $LPORT $P)"

	# A forged ACK of the 4-tuple: dropped, the old entry as it was (the
	# kernel's RST, had it passed, is dropped too: it would end the entry).
	if "$PY" -c 'import scapy' 2>/dev/null; then
		n0=$(conns_entry "$SNS" "$SIF" $LPORT $P pkts_in)
		i0=$(stats)
		forged_ack "$host" $LPORT
		for _ in $(seq 30); do
			[ "$(stats_pick "$i0"$'\n'"$(stats)" ack_cookie_invalid)" != "ack_cookie_invalid=0" ] && break
			sleep 0.1
		done
		check_eq "$name.forged.dropped" "ack_cookie_invalid=1 passed_tracked=0" \
			"$(stats_pick "$i0"$'\n'"$(stats)" ack_cookie_invalid passed_tracked)"
		check_eq "$name.forged.entry_stays" "established $n0" \
			"$(conns_entry "$SNS" "$SIF" $LPORT $P) $(conns_entry "$SNS" "$SIF" $LPORT $P pkts_in)"
	else
		skip "$name.forged" "no scapy (python3-scapy)"
	fi
	rst_pass

	# the new connection, from the same port: the first try completes
	if out=$(client_ns_exec "$PY" "$TCPTOOL" once "$host" $P $LPORT 2>&1); then
		ok "$name.first_try"
	else
		fail "$name.first_try" "expected the new connection to complete, got: $(_oneline "$out")"
	fi
	s1=$(stats)
	check_eq "$name.counters" "conn_replaced=1 conn_created=2 closed_reset=0" \
		"$(stats_pick "$s0"$'\n'"$s1" conn_replaced conn_created closed_reset)"
	S="[e for e in E if e.get('sport') == $LPORT and e.get('dport') == $P]"
	for _ in $(seq 100); do
		[ "$(events_query "$EV_OUT" "sum(e['type'] == 'close' for e in $S)")" = 2 ] && break
		sleep 0.1
	done
	events_stop
	check_eq "$name.events" "open close:replaced open close:graceful" \
		"$(events_query "$EV_OUT" "' '.join(e['type'] + (':' + e['reason'] if e['type'] == 'close' else '') for e in $S if e['type'] != 'fin')")"
	C="[e for e in $S if e['type'] == 'close']"
	check_eq "$name.replaced.family" $fam "$(events_query "$EV_OUT" "$C[0]['family']")"
	# the old connection's figures: "RST\n" in, "rst\n" out
	check_eq "$name.replaced.bytes" "4 4" \
		"$(events_query "$EV_OUT" "'%d %d' % ($C[0]['bytes_in'], $C[0]['bytes_out'])")"
	check_eq "$name.replaced.closed_by" None \
		"$(events_query "$EV_OUT" "$C[0]['closed_by']")"
	# the new one's close: "BYE\n" in, "bye\n" out
	check_eq "$name.new.bytes" "4 4" \
		"$(events_query "$EV_OUT" "'%d %d' % ($C[1]['bytes_in'], $C[1]['bytes_out'])")"
	LPORT=$((LPORT + 1))
}

if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'"; then
	attach_or_bail "$SNS" "$SIF" --ports $P --time-wait 1
	check_eq kfunc.complete kfunc "$(so_status "$SNS" "$SIF" complete)"
	round kfunc_v4 "$S4"
	round kfunc_v6 "$S6"
	shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
else
	skip kfunc "no bpf_sk_assign_tcp_reqsk in this kernel"
fi
attach_or_bail "$SNS" "$SIF" --ports $P --time-wait 1 --complete kernel
check_eq kernel.complete kernel "$(so_status "$SNS" "$SIF" complete)"
round kernel_v4 "$S4"
round kernel_v6 "$S6"

finish
