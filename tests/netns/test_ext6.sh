#!/usr/bin/env bash
# test_ext6.sh - IPv6 SYNs behind extension headers are protected like
# plain ones.
#  raw    SYNs sent as raw frames from the client namespace behind a
#         hop-by-hop, a destination options or a routing header, and
#         chains of them: each gets one SYN-ACK (plain IPv6, to the SYN's
#         addresses and ports, acking its ISN, valid checksum); an ACK with
#         the same headers and the cookie makes a socket on the server.
#         Seven headers (more than shakeoff walks) and a first fragment get
#         no answer (drop_too_deep, drop_fragment).
#  kernel A client socket with IPV6_HOPOPTS or IPV6_DSTOPTS set sends every
#         segment, the SYN included, behind that header (an nft counter on
#         the client's output shows it); the connection carries 1 MB each
#         way through shakeoff, the SYN was answered in XDP and no SYN
#         reached the server's stack (nft counter at raw prerouting).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft ss ethtool
require_shakeoff
require_scapy

P=9500

setup_pair e6 || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counters"
# Segments to P behind each header, on both sides.
ext_counters() {
	ip netns exec "$1" nft -f - <<-EOF
	table inet so_ext {
		chain c {
			type filter hook $2 priority raw; policy accept;
			exthdr hbh exists tcp dport $P tcp flags & (syn|ack) == syn counter comment "hbh syn"
			exthdr dst exists tcp dport $P tcp flags & (syn|ack) == syn counter comment "dst syn"
			exthdr hbh exists tcp dport $P counter comment "hbh"
			exthdr dst exists tcp dport $P counter comment "dst"
		}
	}
	EOF
}
ext_counters "$CNS" output || bail nft "could not load the client's nft counters"
ext_counters "$SNS" prerouting || bail nft "could not load the server's nft counters"
ext_count() { nft_rule_count "$1" "inet so_ext c" "$2"; }
attach_or_bail "$SNS" "$SIF" --ports $P
raw_setup $P
# probe NAME SRC SPORT EXT [JSON-FIELDS]: a probe to $S6 behind those
# extension headers.
probe() { raw_probe "$1" "$2" "$S6" "$3" "\"ext\": $4${5:+, $5}"; }

# --- raw SYNs -------------------------------------------------------------------

s0=$(pair_stats)
probes=(
	"$(probe hop 2001:2::61 42001 '["hop"]')"
	"$(probe dst 2001:2::62 42002 '["dst"]' '"ack": "plain"')"
	"$(probe rt 2001:2::63 42003 '["rt"]')"
	"$(probe hop_dst 2001:2::64 42004 '["hop", "dst"]' '"ack": "plain"')"
	"$(probe hop_rt_dst 2001:2::65 42005 '["hop", "dst", "rt", "dst"]')"
	"$(probe seven 2001:2::66 42006 '["hop", "dst", "dst", "dst", "dst", "dst", "dst"]')"
	"$(probe frag 2001:2::67 42007 '["hop", "frag"]')"
)
rawsyn "${probes[@]}"
sleep 0.3
s1=$(pair_stats)
i=1
for n in hop dst rt hop_dst hop_rt_dst; do
	sport=$((42000 + i)) src=2001:2::6$i
	i=$((i + 1))
	check_eq raw.$n.one_answer 1 "$(rawsyn_field $n answers)"
	check_eq raw.$n.flags SA "$(rawsyn_field $n first.flags)"
	check_eq raw.$n.ack_isn_plus_1 $((1000 + sport + 1)) "$(rawsyn_field $n first.ack)"
	check_eq raw.$n.addresses "$S6 -> $src" "$(rawsyn_field $n first.src) -> $(rawsyn_field $n first.dst)"
	check_eq raw.$n.ports "$P -> $sport" "$(rawsyn_field $n first.sport) -> $(rawsyn_field $n first.dport)"
	check_eq raw.$n.plain_ipv6_checksum "false true" "$(rawsyn_field $n first.ext) $(rawsyn_field $n first.tcp_csum_ok)"
done
check_eq raw.seven.no_answer "0 0" "$(rawsyn_field seven answers) $(rawsyn_field seven frames)"
check_eq raw.frag.no_answer "0 0" "$(rawsyn_field frag answers) $(rawsyn_field frag frames)"
check_eq raw.counters "synack_sent=5 drop_too_deep=1 drop_fragment=1 ack_cookie_valid=2 conn_created=2" \
	"$(stats_pick "$s0"$'\n'"$s1" synack_sent drop_too_deep drop_fragment ack_cookie_valid conn_created)"
# The ACKs behind extension headers made sockets.
check_eq raw.dst.ack_socket established "$(ss_state "$SNS" $P 42002)"
check_eq raw.hop_dst.ack_socket established "$(ss_state "$SNS" $P 42004)"
check_eq raw.syns_at_stack 0 "$(nft_syn_count "$SNS" $P)"

# --- the kernel's own client, behind a header on every segment ----------------------

for kind in hop dst; do
	k=$kind
	[ $kind = hop ] && k=hbh
	s0=$(pair_stats) syn0=$(ext_count "$CNS" "$k syn") seg0=$(ext_count "$SNS" "$k")
	check_run kernel.$kind.xfer client_ns_exec "$PY" "$TCPTOOL" xferopt "$S6" $P 1000000 $kind
	# one SYN, answered at once (synack_sent=1 below): no retransmission
	check_num kernel.$kind.syn_had_header -eq $((syn0 + 1)) "$(ext_count "$CNS" "$k syn")"
	d=$(stats_pick "$s0"$'\n'"$(pair_stats)" synack_sent conn_created conn_create_failed)
	check_eq kernel.$kind.answered_in_xdp "synack_sent=1 conn_created=1 conn_create_failed=0" "$d"
	# how many segments carry the 1 MB is TCP's: at least one per MSS of
	# it; the stack's hook sees each one XDP tracked (GRO may merge some),
	# and the SYN and the third ACK
	tracked=$(stats_pick "$s0"$'\n'"$(pair_stats)" passed_tracked | cut -d= -f2)
	check_num kernel.$kind.tracked -ge $((1000000 / 1460)) "$tracked"
	check_num kernel.$kind.segments_had_header -ge $((seg0 + 100)) "$(ext_count "$SNS" "$k")"
	check_num kernel.$kind.segments_had_header_all_seen_by_xdp -le $((seg0 + tracked + 2)) "$(ext_count "$SNS" "$k")"
	check_eq kernel.$kind.syns_at_stack 0 "$(nft_syn_count "$SNS" $P)"
done

finish
