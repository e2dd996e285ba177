#!/usr/bin/env bash
# test_detach.sh - detach leaves connections that shakeoff created alive
# (long connections over IPv4 and IPv6 keep exchanging data after it) and
# the interface clean: no XDP, no tc/TCX program, no pin, and the programs
# that were attached are gone from the kernel. New connections then go to
# the kernel's own handshake (their SYNs reach the stack again).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool nft ethtool
require_complete

P=9000

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counter"
client_syn_counters $P || bail nft "could not load the client's nft counter"
attach_or_bail "$SNS" "$SIF" --ports $P
PIN=$(pin_dir "$SNS" "$SIF")

# The programs behind the pins and the interface's XDP slot, by id.
prog_ids() {
	local f
	find "$PIN" -type f 2>/dev/null | while read -r f; do
		bpftool prog show pinned "$f" -j 2>/dev/null | json_get id
		bpftool link show pinned "$f" -j 2>/dev/null | json_get prog_id
	done
	ip -n "$SNS" -d link show dev "$SIF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}
ids=$(prog_ids | sort -un | tr '\n' ' ')
check_grep attached.prog_ids '[0-9]' "$ids"
check_grep attached.pinned . "$(ls -A "$PIN" 2>/dev/null)"
# tc_ingress hands cookie ACKs to the kfunc: kernel mode, whose sockets the
# kernel's own cookie check makes, loads none (so its detach has one
# program fewer to remove).
want_ingress=yes
[ "$COMPLETE" = kernel ] && want_ingress=no
check_eq "attached.tc_ingress_pinned_$COMPLETE" "$want_ingress" \
	"$([ -e "$PIN/prog_tc_ingress" ] && echo yes || echo no)"

hold_open "$CNS" "$S4" $P || bail hold_v4 "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"
H4=$HOLD_PID H4_CTL=$HOLD_CTL H4_LOG=$HOLD_LOG
hold_open "$CNS" "$S6" $P || bail hold_v6 "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"
H6=$HOLD_PID H6_CTL=$HOLD_CTL H6_LOG=$HOLD_LOG
check_num before_detach.conn_created -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"
check_num before_detach.syns_at_stack -eq 0 "$(nft_syn_count "$SNS" $P)"

check_run detach shakeoff_in "$SNS" detach "$SIF"

# The long connections carry on.
for fam in v4 v6; do
	if [ $fam = v4 ]; then HOLD_PID=$H4 HOLD_CTL=$H4_CTL HOLD_LOG=$H4_LOG; else HOLD_PID=$H6 HOLD_CTL=$H6_CTL HOLD_LOG=$H6_LOG; fi
	if hold_close; then
		ok "after_detach.conn_alive_$fam"
	else
		fail "after_detach.conn_alive_$fam" "$(_oneline "$(cat "$HOLD_LOG")")"
	fi
done

check_clean after_detach "$SNS" "$SIF"
left=
for id in $ids; do
	bpftool prog show id "$id" >/dev/null 2>&1 && left+="$id "
done
check_eq after_detach.progs_unloaded "" "$left"
check_nogrep after_detach.status_lists_none "\"ifname\": *\"$SIF\"" "$(shakeoff_in "$SNS" status -j 2>&1)"

# The kernel's handshake is back.
sent=$(client_syn_count $P)
check_run after_detach.xfer_v4 client_ns_exec "$PY" "$TCPTOOL" xfer "$S4" $P 100000
# none reached the stack while attached (before_detach), all of them since
check_num after_detach.syns_at_stack -eq $(($(client_syn_count $P) - sent)) "$(nft_syn_count "$SNS" $P)"

# A second detach has nothing to do: one sentence, non-zero exit.
shakeoff_in "$SNS" detach "$SIF" 2>"$TMPD/detach2.err"
check_refused detach_again $? "$TMPD/detach2.err" "$SNS" "$SIF"

finish
