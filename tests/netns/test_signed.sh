#!/usr/bin/env bash
# test_signed.sh - signed SYNs (issue 9, point 1). A TCP-MD5 client
# (RFC 2385, as BGP speakers use it on port 179) and a listener with the
# same key connect through an attached offload, IPv4 and IPv6, with data
# both ways: the SYN goes to the kernel (passed_signed), which signs the
# SYN-ACK; a cookie SYN-ACK of shakeoff's, unsigned, would be dropped by
# the client and the connection would time out. TCP-AO the same when this
# kernel has it. Then the bound: with --signed-rate 0 a signed SYN from an
# unnamed source is dropped, one from the allow list passes; under a flood
# of SYNs with a fake MD5 option at --signed-rate R, the kernel sees at
# most the budget's worth (nft counts what reached the stack), the rest is
# dropped in XDP (drop_signed_rate), and every SYN is one or the other.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool nft ss
require_shakeoff

P=179
KEY=shakeoff-bgp-key
PEERS=$TOP/tests/netns/peers.py

setup_pair || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
ns_bg "$SNS" "$PY" "$PEERS" serve md5 $P $KEY $C4 $C6
wait_port "$SNS" $P || bail server "the MD5 listener did not listen on $P: $(_oneline "$(cat "$BG_LOG")")"
nft_syn_counters "$SNS" $P || bail nft "could not add the nft counter"
attach_or_bail "$SNS" "$SIF" --ports $P

check_eq status.signed_rate 1000 "$(so_status "$SNS" "$SIF" signed_rate)"

# 1. MD5 both families, data both ways.
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	check_run "md5_$fam.xfer" client_ns_exec timeout 40 "$PY" "$PEERS" xfer md5 "$host" $P 200000 $KEY
done
# each signed SYN the clients sent (one a connection, and any retransmission)
check_num md5.passed_signed -eq "$(client_syn_count $P)" "$(so_stat "$SNS" "$SIF" passed_signed)"
check_num md5.synack_sent -eq 0 "$(so_stat "$SNS" "$SIF" synack_sent)"
check_num md5.drop_signed_rate -eq 0 "$(so_stat "$SNS" "$SIF" drop_signed_rate)"

# 2. TCP-AO, when the kernel has it.
if why=$(client_ns_exec "$PY" "$PEERS" probe ao); then
	ns_bg "$SNS" "$PY" "$PEERS" serve ao $((P + 1)) $KEY $C4 $C6
	if wait_port "$SNS" $((P + 1)); then
		shakeoff_in "$SNS" set "$SIF" --ports $P,$((P + 1)) >/dev/null
		for fam in v4 v6; do
			host=$S4
			[ $fam = v6 ] && host=$S6
			check_run "ao_$fam.xfer" client_ns_exec timeout 40 "$PY" "$PEERS" xfer ao "$host" $((P + 1)) 200000 $KEY
		done
	else
		fail ao.server "the AO listener did not listen: $(_oneline "$(cat "$BG_LOG")")"
	fi
else
	skip ao "$why"
fi

# 3. --signed-rate 0: only the allow list's sources.
check_run none.set shakeoff_in "$SNS" set "$SIF" --signed-rate 0
before=$(so_stat "$SNS" "$SIF" drop_signed_rate)
if client_ns_exec timeout 4 "$PY" "$PEERS" xfer md5 $S4 $P 1000 $KEY >/dev/null 2>&1; then
	fail none.refused "an MD5 connection from an unnamed source got through with --signed-rate 0"
else
	ok none.refused
fi
check_num none.drop_signed_rate -gt "$before" "$(so_stat "$SNS" "$SIF" drop_signed_rate)"
check_run none.allow shakeoff_in "$SNS" allow "$SIF" add $C4
check_run none.allowed_xfer client_ns_exec timeout 40 "$PY" "$PEERS" xfer md5 $S4 $P 100000 $KEY
check_run none.allow_del shakeoff_in "$SNS" allow "$SIF" del $C4

# 4. A flood of fake-MD5 SYNs against --signed-rate R: the kernel sees at
#    most R per second plus one second's burst; XDP drops the rest.
R=200 PPS=3000 SECS=2
ncpu=$(nproc)
check_run flood.set shakeoff_in "$SNS" set "$SIF" --signed-rate $R
b=$(shakeoff_in "$SNS" stats "$SIF" -j)
nb=$(nft_syn_count "$SNS" $P)
out=$(client_ns_exec "$PY" "$PEERS" flood md5 "$CIF" "$(mac_of "$CNS" "$CIF")" "$(mac_of "$SNS" "$SIF")" \
	$S4 $P $PPS $SECS)
sent=$(grep -oE '^sent [0-9]+' <<<"$out" | cut -d' ' -f2)
secs=$(grep -oE 'in [0-9.]+ s' <<<"$out" | cut -d' ' -f2)
a=$(shakeoff_in "$SNS" stats "$SIF" -j)
na=$(nft_syn_count "$SNS" $P)
d=$(stats_pick "$b"$'\n'"$a" passed_signed drop_signed_rate syn_seen)
say "flood: $out; $d; nft: $((na - nb)) SYNs reached the stack"
passed=$(sed -n 's/.*passed_signed=\([0-9]*\).*/\1/p' <<<"$d")
dropped=$(sed -n 's/.*drop_signed_rate=\([0-9]*\).*/\1/p' <<<"$d")
seen=$(sed -n 's/.*syn_seen=\([0-9]*\).*/\1/p' <<<"$d")
check_num flood.sent -gt 1000 "$sent"
check_eq flood.every_syn_seen "$sent" "$seen"
check_eq flood.passed_plus_dropped "$sent" "$((passed + dropped))"
# GCRA per CPU, R/ncpu per second each with one second's burst: at most
# R * (1 + secs) over all CPUs, one more per CPU for the edges.
bound=$(awk -v r=$R -v s="$secs" -v n="$ncpu" 'BEGIN { printf "%d", r * (1 + s) + n }')
check_num flood.passed_within_budget -le "$bound" "$passed"
# at least one CPU's one-second burst (the flood may meet only one CPU)
check_num flood.passed_some -ge $((R / ncpu)) "$passed"
check_eq flood.kernel_saw_only_the_passed "$passed" "$((na - nb))"

finish
