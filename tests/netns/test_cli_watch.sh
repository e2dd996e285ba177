#!/usr/bin/env bash
# test_cli_watch.sh - watching an attachment:
#   stats -j     conn_half_closed, evicted (conn_created adds up), armed
#   --prometheus the text parses with prometheus_client's parser, counters
#                are counters, conn_active a gauge, every attachment labelled
#   exporter     curl gets /metrics (200, parses, same families, the info
#                metric says completion mode kfunc), 404
#                elsewhere, several clients one after the other, SIGTERM
#                ends it with status 0
#   top          so_config.top is 1 while it runs and 0 after SIGTERM; the
#                client's SYNs show up under its address
#   --watch      rates appear from the second sample on
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool curl ethtool
require_shakeoff
if ! "$PY" -c 'import prometheus_client.parser' 2>/dev/null; then
	skip all "python3-prometheus-client not installed (make deps)"
	_DONE=1
	exit 0
fi

P=9000
setup_pair cli "soclic${RUNID: -4}" "soclis${RUNID: -4}" ||
	bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --conn-max 16
PIN=$(pin_dir "$SNS" "$SIF")
xfer() { client_ns_exec timeout 5 "$PY" "$TCPTOOL" xfer "$1" "$2" 1000 >/dev/null 2>&1; }
# so_bg ARGS...: the CLI in the background in the server namespace, with
# nsenter (ip netns exec would hide /sys/fs/bpf); BG_PID, BG_LOG.
so_bg() {
	_BGN=$((_BGN + 1))
	BG_LOG=$TMPD/bg.$_BGN.log
	nsenter --net="/run/netns/$SNS" "$SHAKEOFF" "$@" >"$BG_LOG" 2>&1 &
	BG_PID=$!
	_PIDS+=("$BG_PID")
}

# --- stats -j: the new figures -----------------------------------------------------

for i in 1 2 3; do xfer "$S4" $P || fail "stats.xfer$i" "no connection"; done
hold_open "$CNS" "$S6" $P || bail hold "connection failed: $(_oneline "$(cat "$HOLD_LOG")")"
sleep 1 # a quiet moment: the closes are over
st=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
check_eq stats.armed true "$(json_get armed <<<"$st")"
conns=$(shakeoff_in "$SNS" conns "$SIF" -j 2>&1)
# at a quiet moment the gauge is the table: the held connection and the
# xfers' entries still lingering in time_wait
check_eq stats.conn_active_as_conns "$("$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$conns" 2>&1)" \
	"$(json_get conn_active <<<"$st")"
check_eq stats.held_one_listed 1 "$("$PY" -c '
import json, sys
print(sum(c["state"] == "established" for c in json.load(sys.stdin)))' <<<"$conns" 2>&1)"
half=$("$PY" -c '
import json, sys
print(sum(c["state"] in ("close_wait", "fin_wait_1", "fin_wait_2") for c in json.load(sys.stdin)))' <<<"$conns" 2>&1)
check_eq stats.conn_half_closed_as_conns "$half" "$(json_get conn_half_closed <<<"$st")"
# the identity of issue 3 at a quiet moment
sum=$("$PY" -c '
import json, sys
s = json.load(sys.stdin)
print(s["conn_active"] + s["closed_graceful"] + s["closed_reset"] + s["expired_idle"] + s["conn_replaced"] + s["evicted"])
' <<<"$st" 2>&1)
check_eq stats.created_adds_up "$(json_get conn_created <<<"$st")" "$sum"
check_eq stats.evicted_none_yet 0 "$(json_get evicted <<<"$st")"
# A table of 16 entries and 40 connections held open at once: the LRU evicts.
# Forty interpreters take a while to start on a busy machine: wait for all
# forty to be created (each holds 15 s, so they overlap), not a fixed time.
created0=$(json_get conn_created <<<"$st")
active0=$(json_get conn_active <<<"$st")
for i in $(seq 40); do
	ns_bg "$CNS" "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"ECHO\n")
time.sleep(15)
' "$S4" $P
done
for ((i = 0; i < 120; i++)); do
	st=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
	[ "$(json_get conn_created <<<"$st")" -ge $((created0 + 40)) ] 2>/dev/null && break
	sleep 0.1
done
check_num stats.forty_created -eq $((created0 + 40)) "$(json_get conn_created <<<"$st")"
# which entries the LRU pushes out, and how early (its free lists are per
# CPU), is the kernel's: at least the 40 - 16 that did not fit, at most all
# the entries there were
check_num stats.evicted_counted -ge $((40 - 16)) "$(json_get evicted <<<"$st")"
check_num stats.evicted_at_most_all -le $((40 + active0)) "$(json_get evicted <<<"$st")"
check_num stats.table_full -le 16 "$(json_get conn_active <<<"$st")"
human=$(shakeoff_in "$SNS" stats "$SIF" 2>&1)
check_grep stats.human_figures "evicted .*conn_half_closed.*armed +yes" "$(tr '\n' ' ' <<<"$human")"

# --- Prometheus text ---------------------------------------------------------------------

# parse_prom: families, types and samples as "name type sample_name labels value" lines.
parse_prom() {
	"$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        print(f.name, f.type, s.name, ",".join("%s=%s" % kv for kv in sorted(s.labels.items())), int(s.value))
'
}
prom=$(shakeoff_in "$SNS" stats "$SIF" --prometheus 2>&1)
parsed=$(parse_prom <<<"$prom" 2>&1)
check_grep prom.parses "^shakeoff_syn_seen counter shakeoff_syn_seen_total ifname=$SIF [0-9]+$" "$parsed"
check_grep prom.gauge "^shakeoff_conn_active gauge shakeoff_conn_active ifname=$SIF [0-9]+$" "$parsed"
check_grep prom.armed "^shakeoff_armed gauge shakeoff_armed ifname=$SIF 1$" "$parsed"
check_grep prom.info "^shakeoff_info gauge shakeoff_info complete=kfunc,ifname=$SIF 1$" "$parsed"
check_grep prom.help_line "^# HELP shakeoff_synack_sent_total SYN-ACKs" "$prom"
keys=$(sed -n 's/.*X([A-Z0-9_]*, *\([a-z0-9_]*\), *[VET],.*/\1/p' "$TOP/include/shakeoff.h")
missing=
for k in $keys; do grep -q "^shakeoff_${k} counter " <<<"$parsed" || missing+="$k "; done
check_eq prom.every_counter "" "$missing"
synack=$(so_stat "$SNS" "$SIF" synack_sent)
check_grep prom.value_matches_stats "^shakeoff_synack_sent counter shakeoff_synack_sent_total ifname=$SIF $synack$" "$parsed"
# Without IFACE: every attachment of the namespace.
IF2=soclia${RUNID: -4} IF3=soclib${RUNID: -4}
ip -n "$SNS" link add "$IF2" type veth peer name "$IF3" && ip -n "$SNS" link set "$IF2" up &&
	ip -n "$SNS" link set "$IF3" up || bail veth2 "could not add a second veth pair"
_PINDIRS+=("$(pin_dir "$SNS" "$IF2")")
so_attach "$SNS" "$IF2" --ports 80 || fail prom.second_attach "$(cat "$TMPD/attach.err")"
all=$(shakeoff_in "$SNS" stats --prometheus 2>&1 | parse_prom 2>&1)
check_eq prom.all_interfaces "$(printf 'ifname=%s\n' "$IF2" "$SIF" | sort | tr '\n' ' ')" \
	"$(grep '^shakeoff_syn_seen ' <<<"$all" | cut -d' ' -f4 | sort | tr '\n' ' ')"
check_grep prom.attachments "^shakeoff_attachments gauge shakeoff_attachments  2$" "$all"
shakeoff_in "$SNS" stats >/dev/null 2>"$TMPD/err"
check_eq prom.stats_needs_iface 2 "$?"

# --- the exporter ----------------------------------------------------------------------

EXPORT=127.0.0.1:9469
so_bg exporter --listen $EXPORT
EXP_PID=$BG_PID EXP_LOG=$BG_LOG
for i in $(seq 50); do grep -q serving "$EXP_LOG" && break; sleep 0.1; done
check_grep exporter.started "serving metrics on http://$EXPORT/metrics" "$(cat "$EXP_LOG")"
get() { ip netns exec "$SNS" curl -sS -o "$TMPD/body" -D "$TMPD/head" -w '%{http_code}' --max-time 5 "$@" 2>&1; }
check_eq exporter.metrics_200 200 "$(get "http://$EXPORT/metrics")"
check_grep exporter.content_type "Content-Type: text/plain; version=0.0.4" "$(cat "$TMPD/head")"
served=$(parse_prom <"$TMPD/body" 2>&1)
check_grep exporter.parses "^shakeoff_syn_seen counter shakeoff_syn_seen_total ifname=$SIF [0-9]+$" "$served"
check_grep exporter.info "^shakeoff_info gauge shakeoff_info complete=kfunc,ifname=$SIF 1$" "$served"
check_eq exporter.same_families "$(cut -d' ' -f1-4 <<<"$all" | sort -u)" "$(cut -d' ' -f1-4 <<<"$served" | sort -u)"
check_eq exporter.other_path_404 404 "$(get "http://$EXPORT/")"
check_eq exporter.post_405 405 "$(get -X POST "http://$EXPORT/metrics")"
check_eq exporter.head_200 200 "$(get -I "http://$EXPORT/metrics")"
codes=
for i in 1 2 3 4 5; do codes+="$(get "http://$EXPORT/metrics") "; done
check_eq exporter.clients_in_turn "200 200 200 200 200 " "$codes"
# a client that sends nothing does not stop the next one for long
ip netns exec "$SNS" bash -c "exec 3<>/dev/tcp/127.0.0.1/9469; sleep 1" &
check_eq exporter.after_silent_client 200 "$(get "http://$EXPORT/metrics")"
wait $!
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check_eq exporter.sigterm_exit 0 "$?"
check_eq exporter.port_closed 000 "$(get "http://$EXPORT/metrics" | tail -c 3)"

# --- top -----------------------------------------------------------------------------

top_flag() { bpftool map dump pinned "$PIN/config" -j | json_get 0.formatted.value.top; }
check_eq top.off_before 0 "$(top_flag)"
so_bg top "$SIF" -j --interval 0.5
TOP_PID=$BG_PID TOP_LOG=$BG_LOG
for i in $(seq 50); do [ "$(top_flag)" = 1 ] && break; sleep 0.1; done
check_eq top.on_while_running 1 "$(top_flag)"
for i in 1 2 3 4; do xfer "$S6" $P || fail "top.xfer$i" "no connection"; done
sleep 1.2
kill -TERM "$TOP_PID"
wait "$TOP_PID"
check_eq top.sigterm_exit 0 "$?"
check_eq top.off_after 0 "$(top_flag)"
total=$("$PY" -c '
import json, sys
best = 0
for l in sys.stdin:
    for e in json.loads(l)["syn"]:
        if e["addr"] == sys.argv[1]:
            best = max(best, e["total"])
print(best)
' "$C6" <"$TOP_LOG" 2>&1)
# counted only while top runs: the 4 xfers' SYNs
check_num top.client_syns_seen -eq 4 "$total"
# a sample each 0.5 s for as long as the xfers took: at least 1.2 s of them
check_num top.samples -ge 2 "$(grep -c '"interval_s"' "$TOP_LOG")"
out=$(shakeoff_in "$SNS" top "$SIF" --count 1 --interval 0.2 2>&1)
check_grep top.human "busiest sources over" "$out"
check_eq top.off_after_count 0 "$(top_flag)"

# --- stats --watch: rates from the second sample ---------------------------------------

timeout 2.5 nsenter --net="/run/netns/$SNS" "$SHAKEOFF" stats "$SIF" --watch 1 >"$TMPD/watch" 2>&1
check_eq watch.runs_until_stopped 124 "$?"
check_grep watch.rates '/s' "$(cat "$TMPD/watch")"

finish
