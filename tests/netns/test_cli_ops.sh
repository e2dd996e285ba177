#!/usr/bin/env bash
# test_cli_ops.sh - the operator's commands against real connections:
#   conns        rows equal the server's sockets (ss), sorted, JSON keys,
#                --state filters and validates, bpftool shows the same table
#   set          a newly protected port's SYNs are answered in XDP, an
#                unprotected one's reach the kernel, counters survive,
#                status -j shows the new values, fixed options are refused
#   deny/allow   a denied client cannot connect (drop_denied), an allowed
#                one connects through the kernel (passed_allowed, no
#                SYN-ACK from XDP), lists bits follow the tries
#   --arm        monitor passes everything and counts; auto needs --threshold
#   sharing      two attachments in status; a foreign XDP program is refused;
#                --multiprog next to a program outside libxdp's dispatcher, or
#                without freplace, says why it cannot work
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool nft ethtool clang ss
require_complete

P1=9000 # protected at attach
P2=9001 # protected by set later

setup_pair cli "soclic${RUNID: -4}" "soclis${RUNID: -4}" ||
	bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P1 || bail server "tcptool did not listen on port $P1"
start_tcptool "$SNS" $P2 || bail server "tcptool did not listen on port $P2"
nft_syn_counters "$SNS" $P1 $P2 || bail nft "could not load the nft counters"
client_syn_counters $P1 $P2 || bail nft "could not load the client's nft counters"
attach_or_bail "$SNS" "$SIF" --ports $P1 --time-wait 1 --idle-timeout 600
PIN=$(pin_dir "$SNS" "$SIF")
stat_of() { so_stat "$SNS" "$SIF" "$1"; }
# xfer HOST PORT [SECONDS]: one connection exchanging 1000 bytes, at most
# SECONDS (default 30: under TCG on a busy host, python's start and a SYN
# retransmission alone took more than 5 s). A connection that must fail
# waits 5 s.
xfer() { client_ns_exec timeout "${3:-30}" "$PY" "$TCPTOOL" xfer "$1" "$2" 1000 >/dev/null 2>&1; }

# --- conns: the table against the server's sockets -----------------------------

hold_open "$CNS" "$S4" $P1 || bail hold_v4 "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"
H4_PID=$HOLD_PID H4_CTL=$HOLD_CTL
hold_open "$CNS" "$S6" $P1 || bail hold_v6 "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"

conns=$(shakeoff_in "$SNS" conns "$SIF" -j 2>&1)
rows=$("$PY" -c '
import json, sys
for c in json.load(sys.stdin):
    print(c["saddr"], c["sport"], c["daddr"], c["dport"], c["state"])
' <<<"$conns" 2>&1 | sort)
socks=$(ip netns exec "$SNS" ss -Htn state established "( sport = :$P1 )" | "$PY" -c '
import sys
def ep(s):
    a, p = s.rsplit(":", 1)
    return a.strip("[]").removeprefix("::ffff:"), p
for l in sys.stdin:
    f = l.split()
    (la, lp), (pa, pp) = ep(f[-2]), ep(f[-1])
    print(pa, pp, la, lp, "established")
' | sort)
check_eq conns.rows_equal_ss "$socks" "$rows"
check_eq conns.count 2 "$(wc -l <<<"$rows")"
keys=$("$PY" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)[0])))' <<<"$conns" 2>&1)
check_eq conns.json_keys "age_ms bytes_in bytes_out closed_by daddr dport family fin_seq_client fin_seq_server first_fin_ms idle_ms pkts_in pkts_out saddr socket_seen sport state" "$keys"
check_eq conns.families "4 6" "$("$PY" -c 'import json,sys; print(*[c["family"] for c in json.load(sys.stdin)])' <<<"$conns" 2>&1)"
check_eq conns.closed_by_null "None None" "$("$PY" -c 'import json,sys; print(*[c["closed_by"] for c in json.load(sys.stdin)])' <<<"$conns" 2>&1)"
# the third ACK, and hold's "ECHO" and 20 rounds of 4 KiB in one segment per
# MSS at least; the pure ACKs among them are TCP's choice
check_num conns.pkts_in -ge $((1 + (5 + 20 * 4096) / 1460)) "$(json_get 0.pkts_in <<<"$conns")"
human=$(shakeoff_in "$SNS" conns "$SIF" 2>&1)
check_grep conns.human_v4 "^$C4:[0-9]+ +$S4:$P1 +established " "$human"
check_grep conns.human_v6 "^\[$C6\]:[0-9]+ +\[$S6\]:$P1 +established " "$human"
check_eq conns.state_filter "[]" "$(shakeoff_in "$SNS" conns "$SIF" --state time_wait -j 2>&1)"
check_eq conns.state_filter_established 2 "$(shakeoff_in "$SNS" conns "$SIF" --state established -j | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>&1)"
shakeoff_in "$SNS" conns "$SIF" --state closed_wait >/dev/null 2>"$TMPD/err"
rc=$?
check_eq conns.bad_state_exit 2 "$rc"
check_eq conns.bad_state_one_line 1 "$(grep -c '' "$TMPD/err")"
check_grep conns.bad_state_names_states "established.*time_wait" "$(cat "$TMPD/err")"
# bpftool reads the same table: as many entries, the same server port.
dump=$(bpftool map dump pinned "$PIN/conns" -j 2>&1)
check_eq conns.bpftool_count 2 "$("$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$dump" 2>&1)"
check_eq conns.bpftool_dport "$((((P1 & 255) << 8) | (P1 >> 8)))" \
	"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["key"]["dport"])' <<<"$dump" 2>&1)"

# One connection closes: it leaves the established ones.
HOLD_PID=$H4_PID HOLD_CTL=$H4_CTL
hold_close || fail conns.hold_close "the held IPv4 connection did not finish cleanly"
sleep 0.5
after=$(shakeoff_in "$SNS" conns "$SIF" -j 2>&1)
check_eq conns.after_close_established "$C6" "$("$PY" -c '
import json,sys; print(*[c["saddr"] for c in json.load(sys.stdin) if c["state"] == "established"])' <<<"$after" 2>&1)"
closer=$("$PY" -c '
import json,sys; print(*[c["closed_by"] for c in json.load(sys.stdin) if c["saddr"] == sys.argv[1]])' "$C4" <<<"$after" 2>&1)
check_grep conns.closed_by_after_close '^(client|server|)$' "$closer"

# --- set: ports live, counters survive --------------------------------------------

xfer "$S4" $P2 || fail set.unprotected_before "no connection to unprotected port $P2"
check_num set.unprotected_syn_at_stack -eq "$(client_syn_count $P2)" "$(nft_syn_count "$SNS" $P2)"
created0=$(stat_of conn_created) synack0=$(stat_of synack_sent) nft2=$(nft_syn_count "$SNS" $P2)
nft1=$(nft_syn_count "$SNS" $P1) sent1=$(client_syn_count $P1) sent2=$(client_syn_count $P2)
check_run set.ports shakeoff_in "$SNS" set "$SIF" --ports $P2 --mss4 1400 --ttl 33 \
	--synack-rate 5000 --time-wait 2 --idle-timeout 300
check_eq set.status_ports "$P2" "$(so_status "$SNS" "$SIF" ports)"
check_eq set.status_mss4 1400 "$(so_status "$SNS" "$SIF" mss4)"
check_eq set.status_ttl 33 "$(so_status "$SNS" "$SIF" ttl)"
check_eq set.status_synack_rate 5000 "$(so_status "$SNS" "$SIF" synack_rate)"
check_eq set.status_time_wait 2 "$(so_status "$SNS" "$SIF" time_wait_s)"
check_eq set.status_idle_timeout 300 "$(so_status "$SNS" "$SIF" idle_timeout_s)"
check_eq set.status_still_attached true "$(so_status "$SNS" "$SIF" attached)"
xfer "$S4" $P2 || fail set.newly_protected_connects "no connection to $P2 after set"
xfer "$S6" $P2 || fail set.newly_protected_connects_v6 "no connection to [$S6]:$P2 after set"
check_num set.newly_protected_answered_in_xdp -eq $((synack0 + $(client_syn_count $P2) - sent2)) "$(stat_of synack_sent)"
check_eq set.newly_protected_not_at_stack "$nft2" "$(nft_syn_count "$SNS" $P2)"
xfer "$S4" $P1 || fail set.unprotected_now_connects "no connection to $P1 after set"
check_num set.unprotected_now_at_stack -eq $((nft1 + $(client_syn_count $P1) - sent1)) "$(nft_syn_count "$SNS" $P1)"
# the two connections to P2 since the set, on the counters from before it
check_num set.counters_survive -eq $((created0 + 2)) "$(stat_of conn_created)"
shakeoff_in "$SNS" set "$SIF" --conn-max 10 >/dev/null 2>"$TMPD/err"
check_eq set.conn_max_refused 2 "$?"
check_eq set.conn_max_one_line 1 "$(grep -c '' "$TMPD/err")"
check_grep set.conn_max_says_why "conn-max cannot change while attached" "$(cat "$TMPD/err")"
shakeoff_in "$SNS" set "$SIF" --mode skb >/dev/null 2>"$TMPD/err"
check_eq set.mode_refused 2 "$?"
# The configuration but what set reads from the namespace each time: the
# TIME-WAIT sockets on protected ports (the earlier xfers left some) it
# notes in the timewait map and counts in tw_cli_added.
cfg_but_tw() {
	bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value |
		"$PY" -c 'import json, sys; c = json.load(sys.stdin); c.pop("tw_cli_added"); print(json.dumps(c, sort_keys=True))'
}
cfg0=$(cfg_but_tw)
shakeoff_in "$SNS" set "$SIF" >/dev/null 2>"$TMPD/err"
check_eq set.nothing_given_rereads_sysctls 0 "$?"
check_eq set.nothing_given_changes_nothing "$cfg0" "$(cfg_but_tw)"
check_eq set.ports_unchanged_by_refusals "$P2" "$(so_status "$SNS" "$SIF" ports)"
shakeoff_in "$SNS" set "$SIF" --mss4 100 >/dev/null 2>"$TMPD/err"
check_eq set.mss_range_refused 2 "$?"

# --arm: auto needs a threshold; monitor passes everything and counts.
shakeoff_in "$SNS" set "$SIF" --arm auto >/dev/null 2>"$TMPD/err"
check_eq arm.auto_needs_threshold 2 "$?"
check_grep arm.auto_needs_threshold_says "needs --threshold" "$(cat "$TMPD/err")"
shakeoff_in "$SNS" set "$SIF" --threshold 10 >/dev/null 2>"$TMPD/err"
check_eq arm.threshold_needs_auto 2 "$?"
check_run arm.set_auto shakeoff_in "$SNS" set "$SIF" --arm auto --threshold 1000
check_eq arm.status_auto auto "$(so_status "$SNS" "$SIF" arm)"
check_eq arm.status_threshold 1000 "$(so_status "$SNS" "$SIF" threshold)"
check_eq arm.threshold_in_map 1000 \
	"$(bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value.arm_threshold)"
check_run arm.set_monitor shakeoff_in "$SNS" set "$SIF" --arm monitor
check_eq arm.status_monitor monitor "$(so_status "$SNS" "$SIF" arm)"
check_eq arm.not_armed_in_monitor false "$(stat_of armed)"
mon0=$(stat_of passed_monitor) nft2=$(nft_syn_count "$SNS" $P2) sent2=$(client_syn_count $P2)
xfer "$S4" $P2 && ok arm.monitor_connects || fail arm.monitor_connects "no connection in monitor mode"
# each SYN since: counted as monitored, and passed to the stack
check_num arm.monitor_counts -eq $((mon0 + $(client_syn_count $P2) - sent2)) "$(stat_of passed_monitor)"
check_num arm.monitor_syn_at_stack -eq $((nft2 + $(client_syn_count $P2) - sent2)) "$(nft_syn_count "$SNS" $P2)"
check_run arm.set_always shakeoff_in "$SNS" set "$SIF" --arm always
check_eq arm.armed_always true "$(stat_of armed)"

# --- deny and allow -----------------------------------------------------------------

check_run deny.add shakeoff_in "$SNS" deny "$SIF" add "$C4"
check_eq deny.lists_bit "$((0x04))" "$(bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value.lists)"
denied0=$(stat_of drop_denied) synack0=$(stat_of synack_sent) sent2=$(client_syn_count $P2)
if xfer "$S4" $P2 5; then fail deny.blocks_v4 "a denied client connected"; else ok deny.blocks_v4; fi
# every SYN of the denied client (its retransmissions in xfer's 5 s too)
denied=$(($(client_syn_count $P2) - sent2))
check_num deny.counted -eq $((denied0 + denied)) "$(stat_of drop_denied)"
check_eq deny.no_synack "$synack0" "$(stat_of synack_sent)"
xfer "$S6" $P2 && ok deny.other_family_connects || fail deny.other_family_connects "IPv6 blocked too"
check_num deny.list_hits -eq "$denied" "$(shakeoff_in "$SNS" deny "$SIF" list -j | json_get 0.hits)"
check_eq deny.list_prefix "$C4/32" "$(shakeoff_in "$SNS" deny "$SIF" list -j | json_get 0.prefix)"
shakeoff_in "$SNS" deny "$SIF" add "$C4" >/dev/null 2>"$TMPD/err"
check_eq deny.twice_refused 1 "$?"
shakeoff_in "$SNS" deny "$SIF" add 198.18.0.1/24 >/dev/null 2>"$TMPD/err"
check_eq deny.host_bits_refused 2 "$?"
shakeoff_in "$SNS" deny "$SIF" add 2001:2::/129 >/dev/null 2>"$TMPD/err"
check_eq deny.bad_len_refused 2 "$?"
check_eq deny.bad_len_one_line 1 "$(grep -c '' "$TMPD/err")"
check_run deny.del shakeoff_in "$SNS" deny "$SIF" del "$C4/32"
check_eq deny.lists_bit_cleared 0 "$(bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value.lists)"
xfer "$S4" $P2 && ok deny.connects_after_del || fail deny.connects_after_del "no connection after del"

check_run allow.add shakeoff_in "$SNS" allow "$SIF" add 198.18.0.0/24
check_run allow.add_v6 shakeoff_in "$SNS" allow "$SIF" add 2001:2::/48
check_eq allow.lists_bits "$((0x03))" "$(bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value.lists)"
allowed0=$(stat_of passed_allowed) synack0=$(stat_of synack_sent) nft2=$(nft_syn_count "$SNS" $P2)
sent2=$(client_syn_count $P2)
xfer "$S4" $P2 && ok allow.connects || fail allow.connects "an allowed client could not connect"
xfer "$S6" $P2 && ok allow.connects_v6 || fail allow.connects_v6 "an allowed client could not connect"
check_num allow.counted -eq $((allowed0 + $(client_syn_count $P2) - sent2)) "$(stat_of passed_allowed)"
check_eq allow.no_synack_from_xdp "$synack0" "$(stat_of synack_sent)"
check_num allow.syn_at_stack -eq $((nft2 + $(client_syn_count $P2) - sent2)) "$(nft_syn_count "$SNS" $P2)"
check_eq allow.list "198.18.0.0/24 2001:2::/48" "$(shakeoff_in "$SNS" allow "$SIF" list -j | "$PY" -c 'import json,sys; print(*[e["prefix"] for e in json.load(sys.stdin)])' 2>&1)"
check_run allow.del shakeoff_in "$SNS" allow "$SIF" del 198.18.0.0/24
check_run allow.del_v6 shakeoff_in "$SNS" allow "$SIF" del 2001:2::/48
check_grep allow.list_empty "is empty" "$(shakeoff_in "$SNS" allow "$SIF" list 2>&1)"
shakeoff_in "$SNS" allow "$SIF" del 2001:2::/48 >/dev/null 2>"$TMPD/err"
check_eq allow.del_missing_refused 1 "$?"

# --- sharing the interface ---------------------------------------------------------------

# A second veth pair inside the server namespace: a second attachment.
IF2=soclia${RUNID: -4} IF3=soclib${RUNID: -4}
ip -n "$SNS" link add "$IF2" type veth peer name "$IF3" &&
	ip -n "$SNS" link set "$IF2" up && ip -n "$SNS" link set "$IF3" up ||
	bail sharing.veth "could not add a second veth pair"
_PINDIRS+=("$(pin_dir "$SNS" "$IF2")" "$(pin_dir "$SNS" "$IF3")")
so_attach "$SNS" "$IF2" --ports 80 || fail sharing.second_attach "$(cat "$TMPD/attach.err")"
check_eq sharing.status_lists_both "$(printf '%s\n' "$IF2" "$SIF" | sort | tr '\n' ' ')" \
	"$(shakeoff_in "$SNS" status -j | "$PY" -c 'import json,sys; print(*sorted(a["ifname"] for a in json.load(sys.stdin)), end=" ")' 2>&1)"
# the table: a header and a row each, up to the blank line before the keys
check_eq sharing.status_human_rows 3 "$(shakeoff_in "$SNS" status | sed '/^$/q' | grep -c .)"
check_eq sharing.status_keys_each 2 "$(shakeoff_in "$SNS" status | grep -c ' keys:$')"

# A foreign XDP program: refused, and it stays.
MA=$(gcc -print-multiarch 2>/dev/null)
if clang -O2 -g -target bpf ${MA:+-I/usr/include/$MA} -c "$TOP/tests/netns/xdp_pass.bpf.c" \
	-o "$TMPD/xdp_pass.o" 2>"$TMPD/clang.err" &&
	ip -n "$SNS" link set dev "$IF3" xdp obj "$TMPD/xdp_pass.o" sec xdp 2>"$TMPD/ip.err"; then
	_ATTACHED+=("$SNS $IF3")
	shakeoff_in "$SNS" attach "$IF3" --ports 80 >/dev/null 2>"$TMPD/err"
	rc=$?
	check_eq sharing.foreign_refused 1 "$rc"
	check_eq sharing.foreign_one_line 1 "$(grep -c '' "$TMPD/err")"
	check_grep sharing.foreign_says_why "another XDP program" "$(cat "$TMPD/err")"
	check_grep sharing.foreign_stays "prog/xdp" "$(ip -n "$SNS" -d link show dev "$IF3")"
	[ -e "$(pin_dir "$SNS" "$IF3")" ] && fail sharing.foreign_no_pins "pins left for $IF3" || ok sharing.foreign_no_pins
else
	skip sharing.foreign "could not load xdp_pass: $(_oneline "$(cat "$TMPD/clang.err" "$TMPD/ip.err")")"
fi

# --multiprog next to a program that is not in libxdp's dispatcher (or on
# a kernel without freplace): one sentence, nothing attached, the foreign
# program stays (test_multiprog shares an interface for real).
shakeoff_in "$SNS" attach "$IF3" --ports 80 --multiprog >/dev/null 2>"$TMPD/err"
check_eq sharing.multiprog_exit 1 "$?"
check_eq sharing.multiprog_one_line 1 "$(grep -c '' "$TMPD/err")"
check_grep sharing.multiprog_says_why \
	"^shakeoff: (--multiprog needs libxdp's dispatcher, .*freplace .*this kernel refuses to load them|cannot attach to $IF3 through libxdp's dispatcher: .*not attached through libxdp's dispatcher)" \
	"$(cat "$TMPD/err")"
check_eq sharing.multiprog_no_pins "" "$(ls -A "$(pin_dir "$SNS" "$IF3")" 2>/dev/null)"

check_run sharing.detach_second shakeoff_in "$SNS" detach "$IF2"
check_eq sharing.status_after_detach "$SIF" "$(shakeoff_in "$SNS" status -j | json_get 0.ifname)"

finish
