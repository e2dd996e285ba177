#!/usr/bin/env bash
# test_untouched.sh - what shakeoff must leave alone, and what it must stop:
#  - connections that existed before attach keep working (IPv4, IPv6);
#  - an unprotected port is served by the kernel as before;
#  - a forged ACK (no socket, no valid cookie) to the protected port is
#    dropped in XDP and counted, and never reaches the stack (nft), while
#    the same to an unprotected port does (the control). Sent with scapy.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft ethtool
require_shakeoff

P=9000 # protected
U=9001 # not protected

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
start_tcptool "$SNS" $U || bail server "tcptool did not listen on port $U"
server_ns_exec nft -f - <<EOF || bail nft "could not load the nft counters"
table inet so_test {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		tcp sport 4242 tcp dport $P counter comment "forged $P"
		tcp sport 4242 tcp dport $U counter comment "forged $U"
	}
}
EOF

# Connections from before the attach.
hold_open "$CNS" "$S4" $P || bail before_attach "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"
H4=$HOLD_PID H4_CTL=$HOLD_CTL H4_LOG=$HOLD_LOG
hold_open "$CNS" "$S6" $P || bail before_attach "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"

attach_or_bail "$SNS" "$SIF" --ports $P

if hold_close; then ok before_attach.alive_v6; else fail before_attach.alive_v6 "$(_oneline "$(cat "$HOLD_LOG")")"; fi
HOLD_PID=$H4 HOLD_CTL=$H4_CTL HOLD_LOG=$H4_LOG
if hold_close; then ok before_attach.alive_v4; else fail before_attach.alive_v4 "$(_oneline "$(cat "$HOLD_LOG")")"; fi
# after the attach each held connection sent 52 echo rounds (20 of 4 KiB,
# 32 of 64 KiB: at least a segment per MSS of them) and its FIN, all to a
# socket that XDP finds; how many pure ACKs came with them is TCP's
check_num before_attach.passed_socket -ge $((2 * ((20 * 4096 + 32 * 65536) / 1460 + 1))) "$(so_stat "$SNS" "$SIF" passed_socket)"
check_num before_attach.conn_created -eq 0 "$(so_stat "$SNS" "$SIF" conn_created)"

# The unprotected port: the kernel's own handshake.
check_run unprotected.xfer_v4 client_ns_exec "$PY" "$TCPTOOL" xfer "$S4" $U 100000
check_run unprotected.xfer_v6 client_ns_exec "$PY" "$TCPTOOL" xfer "$S6" $U 100000
check_num unprotected.not_counted_as_ours -eq 0 "$(so_stat "$SNS" "$SIF" syn_seen)"

# Forged ACKs, one per family and port.
invalid0=$(so_stat "$SNS" "$SIF" ack_cookie_invalid)
if ! client_ns_exec "$PY" - "$CIF" $P $U <<'EOF' >"$TMPD/scapy.out" 2>&1; then
import sys
from scapy.all import Ether, IP, IPv6, TCP, sendp
iface, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
for port in ports:
    for l3 in (IP(src="198.18.0.1", dst="198.18.0.2"), IPv6(src="2001:2::1", dst="2001:2::2")):
        sendp(Ether() / l3 / TCP(sport=4242, dport=port, flags="A", seq=1000, ack=123456789),
              iface=iface, verbose=False)
EOF
	fail forged.send "scapy: $(_oneline "$(cat "$TMPD/scapy.out")")"
fi
check_num forged.ack_cookie_invalid -eq $((invalid0 + 2)) "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
check_num forged.protected_at_stack -eq 0 "$(nft_rule_count "$SNS" "inet so_test prerouting" "forged $P")"
check_num forged.control_at_stack -eq 2 "$(nft_rule_count "$SNS" "inet so_test prerouting" "forged $U")"

finish
