#!/usr/bin/env bash
# test_fault_reflect.sh - no amplification, no reflection, end to end over
# the veth. Raw SYNs from the client namespace (rawtool rawsyn), answers
# caught on the client's veth:
#   sources   a SYN from a multicast, broadcast, loopback, unspecified or
#             v4-mapped source, from the server's own address, from port 0
#             or from a multicast MAC gets nothing back (not a frame), and
#             each is counted in drop_bad_source; the same SYN from an
#             ordinary spoofed source is answered (the capture works)
#   size      a SYN-ACK's IP packet is at most 4 bytes longer than the SYN's
#             (a SYN without options gets only the MSS option added)
#   budget    --synack-rate 100: a burst of 1000 SYNs gets at most 100 per
#             CPU (plus a little refill) answers on the capture, the rest is
#             drop_rate_limited; synack_sent equals what the capture saw
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss ethtool
require_shakeoff
require_scapy

P=9600
RATE=100
NCPU=$(nproc)

setup_pair rf || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counters"
attach_or_bail "$SNS" "$SIF" --ports $P
raw_setup $P
probe() { raw_probe "$@"; } # NAME SRC DST SPORT [JSON-FIELDS]

# --- sources that must never get an answer ----------------------------------------

BAD=(
	"mcast4 224.0.0.5 $S4 43001"
	"bcast4 255.255.255.255 $S4 43002"
	"loop4 127.0.0.1 $S4 43003"
	"zero4 0.0.0.0 $S4 43004"
	"self4 $S4 $S4 43005"
	"port0_4 198.18.0.51 $S4 0"
	"mcast6 ff02::1 $S6 43007"
	"loop6 ::1 $S6 43008"
	"zero6 :: $S6 43009"
	"mapped6 ::ffff:198.18.0.1 $S6 43010"
	"self6 $S6 $S6 43011"
	"port0_6 2001:2::51 $S6 0"
)
probes=()
for b in "${BAD[@]}"; do
	# shellcheck disable=SC2086
	set -- $b
	probes+=("$(probe "$@")")
done
probes+=("$(probe mcast_mac 198.18.0.52 $S4 43013 '"smac": "01:00:5e:00:00:05"')")
probes+=("$(probe good4 198.18.0.53 $S4 43014)" "$(probe good6 2001:2::53 $S6 43015)")
s0=$(pair_stats)
rawsyn "${probes[@]}"
sleep 0.3
for b in "${BAD[@]}" mcast_mac; do
	n=${b%% *}
	check_eq source.$n.nothing_back "sent=1 frames=0" "sent=$(rawsyn_field $n sent) frames=$(rawsyn_field $n frames)"
done
for n in good4 good6; do
	check_eq source.$n.answered 1 "$(rawsyn_field $n answers)"
done
check_eq source.counters "drop_bad_source=$((${#BAD[@]} + 1)) synack_sent=2" \
	"$(stats_pick "$s0"$'\n'"$(pair_stats)" drop_bad_source synack_sent)"
check_eq source.no_syn_at_stack 0 "$(nft_syn_count "$SNS" $P)"

# --- how big an answer is -------------------------------------------------------------

rawsyn "$(probe bare4 198.18.0.54 $S4 43021 '"noopts": true')" \
	"$(probe bare6 2001:2::54 $S6 43022 '"noopts": true')" \
	"$(probe full4 198.18.0.55 $S4 43023)" "$(probe full6 2001:2::55 $S6 43024)"
for n in bare4 bare6 full4 full6; do
	syn=$(rawsyn_field $n syn_len) ack=$(rawsyn_field $n first.frame_len)
	if [[ $syn =~ ^[0-9]+$ ]] && [[ $ack =~ ^[0-9]+$ ]]; then
		check_num size.$n.at_most_4_more -le 4 $((ack - syn))
	else
		fail size.$n.at_most_4_more "no answer to measure: SYN $syn bytes, SYN-ACK '$ack'"
	fi
done
check_eq size.bare4.mss_only '{"MSS": 1460}' "$(rawsyn_field bare4 first.opts)"

# --- the SYN-ACK budget ---------------------------------------------------------------

check_run budget.set shakeoff_in "$SNS" set "$SIF" --synack-rate $RATE
sleep 1.1 # whatever budget was used above is back
s0=$(pair_stats)
rawsyn "$(probe burst 198.18.0.56 $S4 20000 '"count": 1000, "wait": 1')"
s1=$(pair_stats)
got=$(rawsyn_field burst answers)
check_eq budget.sent 1000 "$(rawsyn_field burst sent)"
# One second's budget per CPU, plus what refills while the burst lasts.
check_num budget.answers_capped -le $((RATE * NCPU + 20)) "$got"
check_num budget.some_answered -ge 1 "$got"
check_eq budget.counted "synack_sent=$got drop_rate_limited=$((1000 - got))" \
	"$(stats_pick "$s0"$'\n'"$s1" synack_sent drop_rate_limited)"
say "budget: $got of 1000 SYNs answered with --synack-rate $RATE on $NCPU CPUs"

finish
