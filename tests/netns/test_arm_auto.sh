#!/usr/bin/env bash
# test_arm_auto.sh - --arm auto with a real flood. Below the threshold the
# kernel answers SYNs itself (full TCP options, no cookie limits): SYNs
# reach the stack and count as passed_unarmed. A SYN flood above the
# threshold arms the offload: SYN-ACKs come from XDP, the stack sees no
# more SYNs, a real client still connects. After the flood, once the rate
# stayed below half the threshold for a second, the kernel answers again.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool nft
require_shakeoff

FLOOD=${FLOOD:-$O/bench/flood}
[ -x "$FLOOD" ] || bail flood "the SYN generator $FLOOD is not built (make $O/bench/flood)"
P=8080
THRESHOLD=2000

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not add the nft counters"
client_syn_counters $P || bail nft "could not add the client's nft counter"
attach_or_bail "$SNS" "$SIF" --ports $P --arm auto --threshold $THRESHOLD

# 1. idle: the kernel answers.
check_http idle.curl "$CNS" "http://$S4:$P/"
# every SYN of the client so far went to the kernel, counted as unarmed
check_num idle.passed_unarmed -eq "$(client_syn_count $P)" "$(so_stat "$SNS" "$SIF" passed_unarmed)"
check_eq idle.synack_sent 0 "$(so_stat "$SNS" "$SIF" synack_sent)"
check_num idle.syns_at_stack -eq "$(client_syn_count $P)" "$(nft_syn_count "$SNS" $P)"
check_eq idle.armed false "$(so_stat "$SNS" "$SIF" armed)"

# 2. a flood at 10x the threshold: armed.
smac=$(ip -n "$SNS" -j link show dev "$SIF" | json_get 0.address)
client_ns_exec "$FLOOD" -i "$CIF" -m "$smac" -d "$S4" -p $P -t 4 -r $((THRESHOLD * 10)) \
	>"$TMPD/flood.json" 2>"$TMPD/flood.err" &
fpid=$!
sleep 1.5
check_eq flood.armed true "$(so_stat "$SNS" "$SIF" armed)"
stack_before=$(nft_syn_count "$SNS" $P)
sent_before=$(so_stat "$SNS" "$SIF" synack_sent)
check_http flood.curl "$CNS" "http://$S4:$P/"
sleep 1
check_eq flood.no_syns_at_stack "$stack_before" "$(nft_syn_count "$SNS" $P)"
check_num flood.synack_sent_grows -gt "$((sent_before + THRESHOLD))" "$(so_stat "$SNS" "$SIF" synack_sent)"
wait $fpid || fail flood.generator "exit $?: $(_oneline "$(cat "$TMPD/flood.err")")"

# 3. quiet again: a few SYNs spread over more than the hold time disarm it
#    (the rate is judged as SYNs arrive), then the kernel answers.
for _ in 1 2 3 4 5; do
	http_code "$CNS" "http://$S4:$P/" >/dev/null
	sleep 0.5
done
check_eq after.armed false "$(so_stat "$SNS" "$SIF" armed)"
unarmed=$(so_stat "$SNS" "$SIF" passed_unarmed)
check_http after.curl "$CNS" "http://$S4:$P/"
check_num after.passed_unarmed_grows -gt "$unarmed" "$(so_stat "$SNS" "$SIF" passed_unarmed)"
check_num after.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

finish
