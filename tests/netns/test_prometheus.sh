#!/usr/bin/env bash
# test_prometheus.sh - the exporter against Debian's real Prometheus server.
#   names      promtool check metrics finds nothing to say about the text of
#              `stats --prometheus` and of the exporter (names, units, _total),
#              the info metric shakeoff_info{complete="kfunc"} 1 included
#   http       a malformed request gets 400, HTTP/1.0 is served
#   concurrent idle clients (connected, sending nothing) stay open while curl
#              gets /metrics from the exporter, promptly
#   scrape     prometheus (own config and storage, scrape_interval 1s, on
#              127.0.0.1 inside the server namespace) scrapes the exporter
#              while bench's SYN flood and real connections run; its
#              rate(shakeoff_synack_sent_total[30s]) is the rate shakeoff's own
#              counters had over the same 30 s, within 15 %; the README's
#              join of shakeoff_info puts complete="kfunc" on a series
#   dashboard  contrib/grafana-dashboard.json is valid JSON, has the panels the
#              README names, every expr parses (the server's query API
#              accepts it), every metric it uses is in the exporter's text
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl nc prometheus promtool
require_shakeoff

FLOOD=${FLOOD:-$O/bench/flood}
[ -x "$FLOOD" ] || bail flood "the SYN generator $FLOOD is not built (make $O/bench/flood)"
DASH=$TOP/contrib/grafana-dashboard.json
P=8080
RATE=20000     # flood SYNs per second (paced)
FLOOD_SECS=50  # long enough for a 30 s window well inside it
WINDOW=30
EXPORT=127.0.0.1:9469
PROM=127.0.0.1:9090

setup_pair p || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P
client_ns_exec timeout 5 "$PY" "$TCPTOOL" xfer "$S4" $P 1000 >/dev/null 2>&1 ||
	bail xfer "no connection through shakeoff"

# --- names: promtool ------------------------------------------------------------------

# lint NAME TEXT: promtool check metrics says nothing (it prints the problems).
lint() {
	local out
	out=$(promtool check metrics <<<"$2" 2>&1)
	check_eq "$1" "rc=0 ''" "rc=$? '$(_oneline "$out")'"
}
text=$(shakeoff_in "$SNS" stats "$SIF" --prometheus 2>&1)
check_grep names.has_counters '^shakeoff_synack_sent_total\{ifname=' "$text"
info_re="^shakeoff_info\\{ifname=\"$SIF\",complete=\"kfunc\"\\} 1\$"
check_grep names.stats_info "$info_re" "$text"
lint names.stats_promtool "$text"
# promtool must be able to fail here: a counter without _total is its error.
bad=$(printf '# HELP x_sent sent\n# TYPE x_sent counter\nx_sent 1\n' | promtool check metrics 2>&1)
check_grep names.promtool_can_fail '_total' "$bad"

# --- the exporter: concurrent clients ----------------------------------------------------

so_bg "$SNS" "$SHAKEOFF" exporter --listen $EXPORT
EXP_PID=$BG_PID EXP_LOG=$BG_LOG
for _ in $(seq 100); do grep -q serving "$EXP_LOG" && break; sleep 0.1; done
check_grep exporter.started "serving metrics on http://$EXPORT/metrics" "$(cat "$EXP_LOG")"
scrape() { server_ns_exec curl -sS --max-time 10 "http://$EXPORT/metrics" 2>&1; }
served=$(scrape)
check_grep names.exporter_info "$info_re" "$served"
lint names.exporter_promtool "$served"
# libmicrohttpd answers what is not a request; HTTP/1.0 without Host is served
raw() { printf "$1" | server_ns_exec nc -w 5 127.0.0.1 "${EXPORT##*:}" 2>&1 | head -1 | tr -d '\r'; }
check_eq exporter.malformed_400 "HTTP/1.1 400 Bad Request" "$(raw 'FOO BAR\r\n\r\n')"
check_eq exporter.http10_200 "HTTP/1.1 200 OK" "$(raw 'GET /metrics HTTP/1.0\r\n\r\n')"

# Three clients connect and send nothing (nc reads a fifo no one writes).
mkfifo "$TMPD/silence"
exec 8<>"$TMPD/silence"
idle=()
for i in 1 2 3; do
	ns_bg "$SNS" nc 127.0.0.1 "${EXPORT##*:}" <"$TMPD/silence"
	idle+=("$BG_PID")
done
# ss counts both ends of a loopback connection: the clients' ends are
# those whose peer is the exporter's port.
for _ in $(seq 100); do
	[ "$(server_ns_exec ss -Htn state established "( dport = :${EXPORT##*:} )" | wc -l)" -ge 3 ] && break
	sleep 0.05
done
check_num exporter.idle_connected -eq 3 \
	"$(server_ns_exec ss -Htn state established "( dport = :${EXPORT##*:} )" | wc -l)"
t0=$(date +%s%N)
code=$(server_ns_exec curl -sS -o "$TMPD/body" -w '%{http_code}' --max-time 10 "http://$EXPORT/metrics" 2>&1)
t1=$(date +%s%N)
check_eq exporter.scrape_beside_idle 200 "$code"
# The exporter drops a silent client after 5 s: all three still connected
# when curl has its answer means curl did not wait for them.
check_num exporter.idle_still_open -eq 3 \
	"$(server_ns_exec ss -Htn state established "( dport = :${EXPORT##*:} )" | wc -l)"
say "scrape beside 3 idle clients: $(((t1 - t0) / 1000000)) ms"
check_grep exporter.body 'shakeoff_synack_sent_total\{ifname=' "$(cat "$TMPD/body")"
for p in "${idle[@]}"; do kill "$p" 2>/dev/null; done
exec 8>&-

# --- a real Prometheus server ------------------------------------------------------------

mkdir -p "$TMPD/tsdb"
cat >"$TMPD/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: shakeoff
    static_configs: [{ targets: ["$EXPORT"] }]
EOF
check_run prom.config promtool check config "$TMPD/prometheus.yml"
ns_bg "$SNS" prometheus --config.file="$TMPD/prometheus.yml" --storage.tsdb.path="$TMPD/tsdb" \
	--web.listen-address=$PROM --log.level=warn
PROM_PID=$BG_PID PROM_LOG=$BG_LOG

# query EXPR [TIME]: the server's answer to an instant query, as JSON.
query() {
	server_ns_exec curl -sS --max-time 10 -G "http://$PROM/api/v1/query" \
		--data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} 2>&1
}
# value EXPR [TIME]: the first sample's value of an instant query, or nothing.
value() { query "$@" | json_get data.result.0.value.1; }

for _ in $(seq 600); do
	[ "$(value 'up{job="shakeoff"}')" = 1 ] && break
	kill -0 "$PROM_PID" 2>/dev/null || break
	sleep 0.1
done
check_eq prom.target_up 1 "$(value 'up{job="shakeoff"}')" ||
	bail prom.server "prometheus did not scrape the exporter: $(_oneline "$(tail -5 "$PROM_LOG")")"
# The README's join: the completion mode onto any series, by the info metric.
check_eq prom.info_join kfunc "$(query "shakeoff_conn_active{ifname=\"$SIF\"} * on (ifname) group_left(complete) shakeoff_info" | json_get data.result.0.metric.complete)"

# The flood, paced, and real connections all along.
smac=$(mac_of "$SNS" "$SIF")
ns_bg "$CNS" "$FLOOD" -i "$CIF" -m "$smac" -d "$S4" -p $P -t $FLOOD_SECS -r $RATE
FLOOD_PID=$BG_PID FLOOD_LOG=$BG_LOG
ns_bg "$CNS" bash -c 'n=0; while :; do timeout 5 "$0" "$1" xfer "$2" "$3" 1000 >/dev/null 2>&1 && echo ok; sleep 0.2; done' \
	"$PY" "$TCPTOOL" "$S4" $P
CONNS_LOG=$BG_LOG

# stamp: "SECONDS.NANOS COUNT" of synack_sent, read between two clock readings.
stamp() {
	local a b c
	a=$(date +%s%N)
	c=$(so_stat "$SNS" "$SIF" synack_sent)
	b=$(date +%s%N)
	echo "$(((a + b) / 2)) $c"
}
sleep 5 # the flood has settled
read -r ta ca <<<"$(stamp)"
sleep $WINDOW
read -r tb cb <<<"$(stamp)"
secs=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
ours=$(awk -v a="$ca" -v b="$cb" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / s }')
say "shakeoff's counters: $((cb - ca)) SYN-ACKs in $secs s = $ours/s (offered $RATE/s)"
# a flood's rate is the pacer's and the scheduler's: near what was offered,
# never above it (the xfers' few SYNs a second aside)
check_num flood.answered -ge $((RATE / 2)) "$ours"
check_num flood.answered_at_most_offered -le $((RATE * 11 / 10)) "$ours"
# The scrape at or just after tb must be in: wait two intervals.
sleep 2.5
at=$(awk -v b="$tb" 'BEGIN { printf "%.3f", b / 1e9 }')
theirs=$(value "rate(shakeoff_synack_sent_total{ifname=\"$SIF\"}[${WINDOW}s])" "$at")
say "prometheus: rate(shakeoff_synack_sent_total[${WINDOW}s]) at $at = $theirs"
theirs=$(awk -v v="$theirs" 'BEGIN { printf "%.0f", v }')
check_num prom.rate_lower -ge $((ours * 85 / 100)) "$theirs"
check_num prom.rate_upper -le $((ours * 115 / 100)) "$theirs"
created=$(value "increase(shakeoff_conn_created_total{ifname=\"$SIF\"}[${WINDOW}s])" "$at")
# the xfers' pace under the flood is the scheduler's: some completed, and
# the window's increase (extrapolated to its edges) is no more than all of
# them since the flood began
completed=$(grep -c ok "$CONNS_LOG")
created=$(awk -v v="${created:-x}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else print v }')
check_num prom.conns_created -ge 1 "$created"
check_num prom.conns_created_at_most_completed -le "$completed" "$created"
check_num conns.completed -ge 1 "$completed"

# --- the Grafana dashboard ----------------------------------------------------------------

# dash: "TITLE<TAB>EXPR" per target of every panel, or an error.
dash=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p.get("targets", []):
        print("%s\t%s" % (p["title"], t["expr"]))
' "$DASH" 2>&1)
check_grep dash.json $'\t' "$dash"
# the panels of the README's "From install to a dashboard"
for m in 'rate(shakeoff_synack_sent_total' 'rate(shakeoff_ack_cookie_invalid_total' \
	'rate(shakeoff_conn_created_total' shakeoff_conn_active shakeoff_armed; do
	check_grep "dash.panel.${m#rate(}" "$(sed 's/[()]/\\&/g' <<<"$m")" "$(cut -f2 <<<"$dash")"
done
families=$(scrape | sed -n 's/^# TYPE \([a-z_0-9]*\) .*/\1/p')
bad_expr= missing=
while IFS=$'\t' read -r title expr; do
	# Grafana's variables, as Grafana would fill them in
	e=${expr//\$__rate_interval/1m}
	e=${e//\$ifname/.*}
	[ "$(query "$e" | json_get status)" = success ] || bad_expr+="[$title: $expr] "
	for m in $(grep -oE 'shakeoff_[a-z0-9_]+' <<<"$e" | sort -u); do
		grep -qx "$m" <<<"$families" || missing+="$m "
	done
done <<<"$dash"
# and the metric the interface picker lists the values of
for m in $("$PY" -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
for v in d["templating"]["list"]:
    q = v.get("query")
    print(" ".join(re.findall(r"shakeoff_[a-z0-9_]+", json.dumps(q))))' "$DASH"); do
	grep -qx "$m" <<<"$families" || missing+="$m "
done
check_eq dash.exprs_parse "" "$bad_expr"
check_eq dash.metrics_exist "" "$missing"
# A broken expr must be caught by the same query.
check_eq dash.query_can_fail error "$(query 'rate(shakeoff_synack_sent_total[1m]' | json_get status)"
var=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(v["name"] for v in d["templating"]["list"]))' "$DASH" 2>&1)
check_grep dash.ifname_variable '(^| )ifname( |$)' "$var"

wait "$FLOOD_PID"
check_eq flood.generator 0 "$?"
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check_eq exporter.sigterm_exit 0 "$?"

finish
