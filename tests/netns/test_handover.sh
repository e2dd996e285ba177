#!/usr/bin/env bash
# test_handover.sh - SYNs that shakeoff hands to the kernel (here: from an
# allowed source) may be answered with the kernel's own SYN cookies: with
# tcp_syncookies=2 always, otherwise when the listener's SYN queue is full.
# Their third ACK then carries no cookie of shakeoff's and finds no request
# socket, and must still reach the kernel: shakeoff checks the kernel's
# cookie (bpf_tcp_raw_check_syncookie_*) before it drops an ACK, within a
# kernel cookie's lifetime of such a SYN. The kernel's counters prove that
# its cookies made those connections; forged ACKs are still dropped.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool nft
require_shakeoff

P=8080

setup_pair ho || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 || bail sysctl "cannot set tcp_syncookies=2"
nft_syn_counters "$SNS" $P || bail nft "could not add the nft counters"
attach_or_bail "$SNS" "$SIF" --ports $P
kernel_cookies() {
	server_ns_exec nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv 2>/dev/null |
		awk '/Syncookies/ { printf "%s=%s ", $1, $2 }'
}

# 1. The clients' sources on the allow list: their SYNs go to the kernel.
check_run allow.add shakeoff_in "$SNS" allow "$SIF" add 198.18.0.0/24
check_run allow.add_v6 shakeoff_in "$SNS" allow "$SIF" add 2001:2::/48

# 2. Allowed clients: the kernel answers with its cookies, their ACKs pass.
s0=$(pair_stats)
check_http allowed_v4.curl "$CNS" "http://$S4:$P/"
check_http allowed_v6.curl "$CNS" "http://[$S6]:$P/"
check_eq allowed.counters \
	"passed_allowed=2 passed_kernel_cookie=2 ack_cookie_invalid=0 synack_sent=0 conn_created=0" \
	"$(stats_pick "$s0"$'\n'"$(pair_stats)" passed_allowed passed_kernel_cookie ack_cookie_invalid \
		synack_sent conn_created)"
check_grep allowed.kernel_made_them "TcpExtSyncookiesSent=[2-9] TcpExtSyncookiesRecv=[2-9]" \
	"$(kernel_cookies)"
check_num allowed.syns_at_stack -eq 2 "$(nft_syn_count "$SNS" $P)"

# 3. A forged ACK inside that window: no cookie of either, dropped.
s0=$(pair_stats)
if ! client_ns_exec "$PY" - "$CIF" $P <<'EOF' >"$TMPD/scapy.out" 2>&1; then
import sys
from scapy.all import Ether, IP, IPv6, TCP, sendp
iface, port = sys.argv[1], int(sys.argv[2])
for l3 in (IP(src="198.18.0.1", dst="198.18.0.2"), IPv6(src="2001:2::1", dst="2001:2::2")):
    sendp(Ether() / l3 / TCP(sport=4343, dport=port, flags="A", seq=1000, ack=123456789),
          iface=iface, verbose=False)
EOF
	fail forged.send "scapy: $(_oneline "$(cat "$TMPD/scapy.out")")"
fi
sleep 0.2
check_eq forged.dropped "passed_kernel_cookie=0 ack_cookie_invalid=2" \
	"$(stats_pick "$s0"$'\n'"$(pair_stats)" passed_kernel_cookie ack_cookie_invalid)"

# 4. Without the allow list, shakeoff answers again: its own cookies.
check_run allow.del shakeoff_in "$SNS" allow "$SIF" del 198.18.0.0/24
s0=$(pair_stats)
check_http unlisted.curl "$CNS" "http://$S4:$P/"
check_eq unlisted.counters "synack_sent=1 conn_created=1 passed_kernel_cookie=0" \
	"$(stats_pick "$s0"$'\n'"$(pair_stats)" synack_sent conn_created passed_kernel_cookie)"

finish
