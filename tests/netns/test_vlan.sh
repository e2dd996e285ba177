#!/usr/bin/env bash
# test_vlan.sh - SYNs in VLAN tags, sent over the veth as raw frames (this
# kernel has no 802.1Q interfaces). From the client namespace, an AF_PACKET
# socket sends an 802.1Q SYN (with a priority in the TCI), an 802.1ad +
# 802.1Q (QinQ) SYN, a double 802.1Q SYN and an IPv6 SYN in 802.1Q, and
# catches the answers on the client's veth (the kernel strips the outer tag
# on receive; rawtool puts it back from PACKET_AUXDATA). Each answer must be
# a SYN-ACK in exactly the tags of the SYN (TPIDs and TCIs), between the
# same MAC addresses swapped, to the SYN's addresses and ports, acking its
# ISN, with valid checksums; synack_sent counts each. Three tags are more
# than shakeoff walks: no answer, drop_too_deep.
# The cookie: the SYNs come from spoofed addresses (nobody there to reset
# the SYN-ACK), and an untagged ACK carrying the cookie of a tagged SYN-ACK
# makes a real socket on the server (ss ESTAB). A tagged cookie ACK is
# accepted by XDP (ack_cookie_valid) and reaches TC; with no VLAN interface
# on the host the kernel then drops the frame, so no socket may be counted
# or tracked for it.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss ethtool
require_shakeoff
require_scapy

P=9400
Q=0x8100 AD=0x88a8

setup_pair vl || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P
raw_setup $P
# probe NAME SRC DST SPORT TAGS [JSON-FIELDS]: a probe in those VLAN tags.
probe() { raw_probe "$1" "$2" "$3" "$4" "\"tags\": $5${6:+, $6}"; }

tci() { echo $((($1 << 13) | $2)); } # PCP VID

s0=$(pair_stats)
rawsyn \
	"$(probe q 198.18.0.71 $S4 40001 "[[$((Q)), $(tci 5 100)]]")" \
	"$(probe qinq 198.18.0.72 $S4 40002 "[[$((AD)), $(tci 3 200)], [$((Q)), $(tci 0 300)]]")" \
	"$(probe qq 198.18.0.73 $S4 40003 "[[$((Q)), $(tci 0 400)], [$((Q)), $(tci 7 401)]]")" \
	"$(probe q6 2001:2::71 $S6 40004 "[[$((Q)), $(tci 2 500)]]")" \
	"$(probe three 198.18.0.74 $S4 40005 "[[$((AD)), 10], [$((Q)), 11], [$((Q)), 12]]")"
s1=$(pair_stats)
for t in "q 198.18.0.71 $S4 40001 [[$((Q)),$(tci 5 100)]]" \
	"qinq 198.18.0.72 $S4 40002 [[$((AD)),$(tci 3 200)],[$((Q)),$(tci 0 300)]]" \
	"qq 198.18.0.73 $S4 40003 [[$((Q)),$(tci 0 400)],[$((Q)),$(tci 7 401)]]" \
	"q6 2001:2::71 $S6 40004 [[$((Q)),$(tci 2 500)]]"; do
	# shellcheck disable=SC2086
	set -- $t
	n=$1
	check_eq $n.one_answer 1 "$(rawsyn_field $n answers)"
	check_eq $n.tags "$(tr -d ' ' <<<"$5")" "$(rawsyn_field $n first.tags | tr -d ' ')"
	check_eq $n.flags SA "$(rawsyn_field $n first.flags)"
	check_eq $n.ack_isn_plus_1 $((1000 + $4 + 1)) "$(rawsyn_field $n first.ack)"
	check_eq $n.addresses "$3 -> $2" "$(rawsyn_field $n first.src) -> $(rawsyn_field $n first.dst)"
	check_eq $n.ports "$P -> $4" "$(rawsyn_field $n first.sport) -> $(rawsyn_field $n first.dport)"
	check_eq $n.macs "$SMAC -> $CMAC" "$(rawsyn_field $n first.eth_src) -> $(rawsyn_field $n first.eth_dst)"
	check_eq $n.checksums "true true" "$(rawsyn_field $n first.ip_csum_ok) $(rawsyn_field $n first.tcp_csum_ok)"
	check_grep $n.timestamp_cookie '^\[[0-9]+, 12345\]$' "$(rawsyn_field $n first.opts.Timestamp)"
done
check_eq three_tags.no_answer "0 0" "$(rawsyn_field three answers) $(rawsyn_field three frames)"
check_eq counters "synack_sent=4 drop_too_deep=1 syn_seen=4" \
	"$(stats_pick "$s0"$'\n'"$s1" synack_sent drop_too_deep syn_seen)"

# --- the cookie of a tagged SYN-ACK ---------------------------------------------
# Untagged ACK: the cookie is good, the kernel makes the socket.
s0=$(pair_stats)
rawsyn \
	"$(probe ack_plain 198.18.0.81 $S4 41001 "[[$((Q)), $(tci 0 100)]]" '"ack": "plain"')" \
	"$(probe ack_plain6 2001:2::81 $S6 41002 "[[$((AD)), 20], [$((Q)), 21]]" '"ack": "plain"')"
sleep 0.3
check_eq ack_plain.answered "1 1" "$(rawsyn_field ack_plain answers) $(rawsyn_field ack_plain6 answers)"
check_eq ack_plain.counters "ack_cookie_valid=2 conn_created=2 conn_create_failed=0" \
	"$(stats_pick "$s0"$'\n'"$(pair_stats)" ack_cookie_valid conn_created conn_create_failed)"
check_eq ack_plain.socket_v4 established "$(ss_state "$SNS" $P 41001)"
check_eq ack_plain.socket_v6 established "$(ss_state "$SNS" $P 41002)"

# Tagged ACK: XDP takes the cookie and hands it to TC in the frame's
# metadata like any other. TC sees what the kernel's VLAN untagging left:
# the 802.1Q ACK as a plain IPv4 one (tag in skb->vlan_tci): the kfunc
# takes it, and then the kernel drops the frame for want of a VLAN device
# for VID 100 (no such devices in this kernel), so no socket; the entry
# never sees one (socket_seen false). The QinQ ACK still has its inner tag
# in the frame, so the kfunc refuses it (EINVAL: not IPv4/IPv6) and there
# is no entry.
s0=$(pair_stats)
rawsyn \
	"$(probe ack_q 198.18.0.82 $S4 41003 "[[$((Q)), $(tci 0 100)]]" '"ack": "tagged"')" \
	"$(probe ack_qinq 198.18.0.83 $S4 41004 "[[$((AD)), 20], [$((Q)), 21]]" '"ack": "tagged"')"
sleep 0.3
check_eq ack_tagged.answered "1 1" "$(rawsyn_field ack_q answers) $(rawsyn_field ack_qinq answers)"
d=$(stats_pick "$s0"$'\n'"$(pair_stats)" ack_cookie_valid conn_created conn_create_failed conn_err_einval)
check_eq ack_tagged.metadata_reached_tc \
	"ack_cookie_valid=2 conn_created=1 conn_create_failed=1 conn_err_einval=1" "$d"
check_eq ack_tagged_q.no_socket none "$(ss_state "$SNS" $P 41003)"
check_eq ack_tagged_q.entry_socket_never_seen "established False" \
	"$(conns_entry "$SNS" "$SIF" 41003 $P) $(conns_entry "$SNS" "$SIF" 41003 $P socket_seen)"
check_eq ack_tagged_qinq.no_socket_no_entry "none none" \
	"$(ss_state "$SNS" $P 41004) $(conns_entry "$SNS" "$SIF" 41004 $P)"
# The table: the sockets of the plain ACKs, and that one entry more.
check_eq ack_tagged.conn_active_is_sockets_and_one \
	"conn_active=$(($(ip netns exec "$SNS" ss -tanH state established "( sport = :$P )" | grep -c .) + 1))" \
	"$(stats_pick "$(pair_stats)" conn_active)"

finish
