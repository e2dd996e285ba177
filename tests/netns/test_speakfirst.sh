#!/usr/bin/env bash
# test_speakfirst.sh - a server that speaks first (an SMTP-style banner)
# behind shakeoff survives a lost final ACK, as it does with the kernel
# alone: an nft rule in the CLIENT namespace drops the pure ACK that
# follows each SYN-ACK, once per connection (the connection's 2nd packet).
# The client then sends nothing more and waits for the banner. With
# --speak-first the kernel answers that port's SYNs while no flood is on,
# and its SYN-ACK retransmission (~1 s) draws the ACK again: the banner
# arrives, IPv4 and IPv6. The same port answered in XDP (--speak-first
# none: what a flood gives, as with the kernel's own cookies) loses the
# banner: nothing retransmits a cookie SYN-ACK. set brings it back.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd nft ethtool
require_shakeoff

P=9025 Q=9026
BANNER=$TOP/tests/netns/banner.py

setup_pair || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
ns_bg "$SNS" "$PY" "$BANNER" serve $P
wait_port "$SNS" $P || bail server "banner.py did not listen on port $P"
drop_third_acks "$CNS" $P || bail nft "could not load the nft rule that drops third ACKs"
dropped() { nft_rule_count "$CNS" "inet so_lost output" "third ack"; }

# banner NAME HOST SECS: the banner must arrive within SECS.
banner() {
	local out
	if out=$(client_ns_exec "$PY" "$BANNER" get "$2" $P "$3" 2>&1); then
		ok "$1"
		vsay "$1: banner after $out s"
	else
		fail "$1" "expected the banner within $3 s: $(_oneline "$out")"
	fi
}

# 0. The kernel alone: its SYN-ACK retransmission recovers the lost ACK.
banner kernel_v4 "$S4" 10
check_num kernel.third_ack_dropped -eq 1 "$(dropped)"

# 1. --speak-first: the kernel answers while no flood is on.
attach_or_bail "$SNS" "$SIF" --ports $P,$Q --speak-first $P --threshold 10000
syn0=$(client_syn_count $P)
check_eq status.speak_first "$P" "$(so_status "$SNS" "$SIF" speak_first)"
banner speak_first_v4 "$S4" 10
banner speak_first_v6 "$S6" 10
check_num speak_first.third_acks_dropped -eq 3 "$(dropped)"
# every SYN to P since the attach went to the kernel
check_num speak_first.passed_speak_first -eq $(($(client_syn_count $P) - syn0)) "$(so_stat "$SNS" "$SIF" passed_speak_first)"
check_num speak_first.synack_sent -eq 0 "$(so_stat "$SNS" "$SIF" synack_sent)"

# 2. The same port answered in XDP, as under a flood: the banner is lost.
check_run set_none shakeoff_in "$SNS" set "$SIF" --speak-first none
check_eq status.speak_first_none "" "$(so_status "$SNS" "$SIF" speak_first)"
syn0=$(client_syn_count $P) sent0=$(so_stat "$SNS" "$SIF" synack_sent)
if out=$(client_ns_exec "$PY" "$BANNER" get "$S4" $P 4 2>&1); then
	fail cookie_path_loses_banner "expected no banner (nothing retransmits a cookie SYN-ACK), got one after $out s"
else
	ok cookie_path_loses_banner
fi
# every SYN to P since then answered in XDP
check_num cookie_path.synack_sent -eq $((sent0 + $(client_syn_count $P) - syn0)) "$(so_stat "$SNS" "$SIF" synack_sent)"

# 3. set --speak-first again: recovered again.
check_run set_again shakeoff_in "$SNS" set "$SIF" --speak-first $P
banner speak_first_again_v4 "$S4" 10

# Bad input: one sentence, exit 2, nothing changed.
# refused NAME ARGS...: the CLI in the server namespace must refuse ARGS.
refused() {
	local name=$1 rc
	shift
	shakeoff_in "$SNS" "$@" >/dev/null 2>"$TMPD/err"
	rc=$?
	check_num "$name.exit" -eq 2 "$rc"
	check_num "$name.one_line" -eq 1 "$(grep -c '' "$TMPD/err")"
	vsay "$name: $(cat "$TMPD/err")"
}
refused speak_first_not_protected set "$SIF" --ports $Q --speak-first $P
shakeoff_in "$SNS" attach lo --ports $P --speak-first $P >/dev/null 2>"$TMPD/err.attach"
check_refused speak_first_needs_threshold $? "$TMPD/err.attach" "$SNS" lo
check_grep speak_first_needs_threshold.says "needs --threshold" "$(cat "$TMPD/err.attach")"
refused speak_first_bad_list set "$SIF" --speak-first 70000
check_eq status.speak_first_kept "$P" "$(so_status "$SNS" "$SIF" speak_first)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"

finish
