#!/usr/bin/env bash
# test_evicted.sh - a table of 16 entries and 56 real connections: the LRU
# pushes entries out, and every one of them is counted, once, as evicted.
#   16 connections the server closes first, whose entries wait in time_wait
#   (--time-wait 10), then 40 open at once (tcptool many): the table holds
#   16, so the first of the 40 push the time_wait entries out and the later
#   ones each other.
# Checked, once all is closed and the linger is over:
#   count         the evicted counter (bpftool: the programs' own, not the
#                 CLI's inference) is every created entry that left the
#                 table in no other way: conn_created = closed_graceful +
#                 closed_reset + conn_replaced + evicted + what is left (0);
#                 at least the 24 of the 40 that cannot have fit; and
#                 expired_idle stays 0 (no idle timeout here)
#   events        every connection has its open event and at most one close;
#                 a connection without a close event is an eviction of a
#                 live entry (silent: the kernel does not say which), one
#                 with close "evicted" an entry evicted in time_wait, found
#                 gone by its queue slot (the 4-tuple alone, no figures): so
#                 the evicted events plus the connections with no close are
#                 the counter; the evicted events are time_wait entries'
#   stats         stats -j says evicted as the programs count it
#   idle          then a short idle timeout: the evicted entries' counts
#                 leave the idle wheel, and expired_idle stays 0 (before,
#                 they were counted as idle expiries)
. "$(dirname "$0")/../lib.sh"
require_root
require_shakeoff

P=9960
MAX=16
TW=10
NTW=16
NMANY=40

setup_pair ev || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --conn-max $MAX --time-wait $TW --idle-timeout 600
stats() { shakeoff_in "$SNS" stats "$SIF" -j 2>/dev/null; }
if ! bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "FUNC 'bpf_map_sum_elem_count'"; then
	skip all "no bpf_map_sum_elem_count in this kernel (6.6): evictions are only inferred"
	finish
fi

# raw NAME: a counter of the programs, summed over the CPUs (bpftool).
raw() {
	bpftool map lookup pinned "$(pin_dir "$SNS" "$SIF")/stats" key 0 0 0 0 -j 2>/dev/null |
		"$PY" -c 'import json,sys; print(sum(v["value"][sys.argv[1]] for v in json.load(sys.stdin)["formatted"]["values"]))' "$1"
}
table_count() { bpftool map dump pinned "$(pin_dir "$SNS" "$SIF")/conns" -j 2>/dev/null | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

events_start "$SNS" "$SIF" -j || bail events "shakeoff events did not start"

for i in $(seq $NTW); do
	out=$(client_ns_exec "$PY" "$TCPTOOL" once "$S4" $P $((42000 + i)) 2>&1) ||
		fail "server_first.$i" "$(_oneline "$out")"
done
ok server_first
out=$(client_ns_exec "$PY" "$TCPTOOL" many "$S4" $P $NMANY 2>&1) &&
	ok many || fail many "$(_oneline "$out")"

# quiet: every connection closed, and the time_wait queue done with (its
# slots are taken off at the end of their linger, TW s after the close)
twq_left() {
	bpftool map lookup pinned "$(pin_dir "$SNS" "$SIF")/sweeper" key 0 0 0 0 -j 2>/dev/null |
		"$PY" -c 'import json,sys; v=json.load(sys.stdin)["formatted"]["value"]; print(v["twq_tail"] - v["twq_head"])'
}
for _ in $(seq $((TW * 5 + 50))); do
	[ "$(table_count)" = 0 ] && [ "$(twq_left)" = 0 ] && break
	sleep 0.2
done
check_eq quiet.queue_done 0 "$(twq_left)"
check_eq quiet.table_empty 0 "$(table_count)"
st=$(stats)
check_eq created "conn_created=$((NTW + NMANY)) conn_create_failed=0" \
	"$(stats_pick "$st" conn_created conn_create_failed)"
E=$(raw evicted)
# which entries the LRU pushes out, and how early (its free lists are per
# CPU), is the kernel's: at least what did not fit, at most all there were
check_num evicted.at_least_what_did_not_fit -ge $((NMANY - MAX)) "$E"
check_num evicted.at_most_created -le $((NTW + NMANY)) "$E"
check_eq evicted.every_exit_once $((NTW + NMANY)) \
	"$(( $(raw closed_graceful) + $(raw closed_reset) + $(raw conn_replaced) + E + $(raw expired_idle) ))"
check_eq expired_idle.none 0 "$(raw expired_idle)"
check_eq stats.evicted "$E" "$(json_get evicted <<<"$st")"
say "exits: $(stats_pick "$st" closed_graceful closed_reset conn_replaced expired_idle evicted)"

events_stop
F=$EV_OUT
# per 4-tuple (client port): its open events and close events
K="{(e['sport']): [x['type'] + ':' + str(x.get('reason')) for x in E if x.get('sport') == e['sport']] for e in E if e['type'] in ('open', 'close')}"
check_eq events.one_open_each $((NTW + NMANY)) "$(events_query "$F" "sum(v.count('open:None') == 1 for v in $K.values())")"
check_eq events.at_most_one_close "True" "$(events_query "$F" "all(sum(x.startswith('close') for x in v) <= 1 for v in $K.values())")"
ev_evicted=$(events_query "$F" "sum(e['type'] == 'close' and e['reason'] == 'evicted' for e in E)")
no_close=$(events_query "$F" "sum(not any(x.startswith('close') for x in v) for v in $K.values())")
say "evicted: $E counted, $ev_evicted close events evicted (time_wait), $no_close connections with no close (live entries)"
check_eq events.agree_with_count "$E" $((ev_evicted + no_close))
# the LRU's oldest are the time_wait ones: some of them, the LRU says how many
check_num events.time_wait_evictions_seen -ge 1 "$ev_evicted"
check_num events.time_wait_evictions_at_most_those -le $NTW "$ev_evicted"
check_eq events.evicted_are_time_wait "True" \
	"$(events_query "$F" "all(42000 < e['sport'] <= 42000 + $NTW and e['state'] == 'time_wait' and e['bytes_in'] is None for e in E if e['type'] == 'close' and e['reason'] == 'evicted')")"
check_eq events.graceful_agree "$(raw closed_graceful)" \
	"$(events_query "$F" "sum(e['type'] == 'close' and e['reason'] == 'graceful' for e in E)")"
check_eq events.none_lost 0 "$(raw event_lost)"

# The evicted live entries' counts are on the idle wheel still (the gauges'
# sum is above the table's 0): a short idle timeout takes them off, not as
# idle expiries.
check_run idle.set shakeoff_in "$SNS" set "$SIF" --idle-timeout 1
for _ in $(seq 50); do
	[ "$(shakeoff_in "$SNS" conns "$SIF" --count -j 2>/dev/null | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin).values()))' 2>/dev/null)" = 0 ] &&
		[ "$(bpftool map lookup pinned "$(pin_dir "$SNS" "$SIF")/gauges" key 0 0 0 0 -j | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin)["formatted"]["value"]["state"]))')" = 0 ] && break
	sleep 0.2
done
check_eq idle.gauges_empty 0 "$(bpftool map lookup pinned "$(pin_dir "$SNS" "$SIF")/gauges" key 0 0 0 0 -j | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin)["formatted"]["value"]["state"]))')"
check_eq idle.expired_idle_still_none 0 "$(raw expired_idle)"
check_eq idle.evicted_unchanged "$E" "$(raw evicted)"

finish
