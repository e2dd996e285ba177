#!/usr/bin/env bash
# test_scale.sh - the expiry rules at a table of a million entries, filled
# through the pinned maps (bench/fill: batch updates, counted on the idle
# wheel and in the gauges as the data path counts a new connection):
#   gauges       stats -j says conn_active = the million and the real
#                connections, at once (the gauges, no walk of the table)
#   count        conns --count -j: a million established, by state; the
#                filters --port and --client pick the right ones
#   time_wait    a real connection the server closes first leaves after
#                --time-wait, with a million entries in the table
#   idle         the million, filled as idle for most of --idle-timeout,
#                expire: expired_idle counts every one, conn_active and
#                conns --count fall back to the real connections, and a real
#                connection that was not idle that long stays
#   after        the held connection still moves data, and closes out
# SCALE_N overrides the million.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool
require_shakeoff
FILL=$O/bench/fill
[ -x "$FILL" ] || bail fill "bench/fill not built: $FILL missing (make build/bench/fill)"

N=${SCALE_N:-1000000}
P=9400
FILL_PORT=9
IDLE=90   # --idle-timeout
AGED=30   # the filled entries' idle time when they go in: a minute to expiry
TW=2

setup_pair tc || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --time-wait $TW --idle-timeout $IDLE --conn-max 2097152
PIN=$(pin_dir "$SNS" "$SIF")
stats() { shakeoff_in "$SNS" stats "$SIF" -j 2>&1; }
count() { shakeoff_in "$SNS" conns "$SIF" --count -j "$@" 2>&1; }
# wait_for SECONDS PYTHON-EXPR-ON-s: poll stats -j until the expression holds
wait_for() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		"$PY" -c "import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if ($2) else 1)" \
			"$(stats)" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

s0=$(stats)
check_eq empty.active "conn_active=0" "$(stats_pick "$s0" conn_active)"

# --- the million -------------------------------------------------------------------
out=$("$FILL" "$PIN" "$N" $AGED 198.18.0.1 $FILL_PORT 2>&1)
check_eq fill.entries "$N" "$(json_get entries <<<"$out")" || say "$out"
say "filled $N entries in $(json_get seconds <<<"$out") s"
# A real connection, held open (and so tracked) from now on: idle for less
# than --idle-timeout when the million expire.
hold_open "$CNS" "$S4" $P || bail hold "the held connection did not open"

t=$(date +%s.%N)
s1=$(stats)
say "stats at $N entries: $(echo "$(date +%s.%N) - $t" | bc) s"
check_eq gauges.active "conn_active=$((N + 1))" "$(stats_pick "$s1" conn_active)"
check_eq gauges.idle_none_yet "expired_idle=0" "$(stats_pick "$s0"$'\n'"$s1" expired_idle)"

t=$(date +%s.%N)
c=$(count)
say "conns --count at $N entries: $(echo "$(date +%s.%N) - $t" | bc) s"
check_eq count.established "$((N + 1))" "$(json_get established <<<"$c")"
check_eq count.total "$((N + 1))" "$(json_get total <<<"$c")"
check_eq count.port "1" "$(count --port $P | json_get total)"
check_eq count.fill_port "$N" "$(count --port $FILL_PORT | json_get total)"
# fill's clients: 198.19.(i & 0xffff), so a /24 holds the i whose low 16 bits are below 256
want=$("$PY" -c "import sys; n=int(sys.argv[1]); print(sum(1 for a in range(256) for _ in range(a, n, 65536)))" "$N")
check_eq count.client_prefix "$want" "$(count --client 198.19.0.0/24 | json_get total)"
check_eq count.client_v6 "0" "$(count --client 2001:2::/48 | json_get total)"
check_eq count.state_time_wait "0" "$(count --state time_wait | json_get total)"
# What a scrape and a full listing take at this size (said, not judged).
so_bg "$SNS" "$SHAKEOFF" exporter --listen 127.0.0.1:9479
EXP_PID=$BG_PID
wait_port "$SNS" 9479
t=$(date +%s.%N)
m=$(ip netns exec "$SNS" curl -s http://127.0.0.1:9479/metrics)
say "exporter scrape at $N entries: $(echo "$(date +%s.%N) - $t" | bc) s"
check_grep exporter.conn_active "shakeoff_conn_active\\{ifname=\"$SIF\"\\} $((N + 1))" "$m"
kill "$EXP_PID" 2>/dev/null
wait "$EXP_PID" 2>/dev/null
t=$(date +%s.%N)
shakeoff_in "$SNS" conns "$SIF" -j >"$TMPD/conns.json" 2>&1
say "conns -j at $N entries: $(echo "$(date +%s.%N) - $t" | bc) s, $(wc -c <"$TMPD/conns.json") bytes"
check_eq conns.rows "$((N + 1))" "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMPD/conns.json")"

# --- the time_wait linger, a million entries in the table -------------------------------
ns_bg "$CNS" "$PY" "$TCPTOOL" once "$S4" $P 45000
wait "$BG_PID" || fail tw.once "$(_oneline "$(cat "$BG_LOG")")"
gone=
for ((i = 0; i < (TW + 8) * 2; i++)); do
	c=$(count --port $P)
	[ "$(json_get time_wait <<<"$c")" = 0 ] && [ "$(json_get total <<<"$c")" = 1 ] && gone=1 && break
	sleep 0.5
done
[ -n "$gone" ] && ok tw.gone || fail tw.gone "the server-first close still in the table $((TW + 8)) s into a --time-wait of $TW s"
s2=$(stats)
check_eq tw.counters "closed_graceful=1 closed_reset=0" "$(stats_pick "$s1"$'\n'"$s2" closed_graceful closed_reset)"

# --- the idle timeout ------------------------------------------------------------------
if wait_for $((IDLE - AGED + 15)) "s['expired_idle'] >= $N"; then
	ok idle.expired
else
	fail idle.expired "expired_idle $(stats_pick "$(stats)" expired_idle) of $N, $((IDLE - AGED + 15)) s after they were $AGED s idle (--idle-timeout $IDLE)"
fi
s3=$(stats)
check_eq idle.counters "expired_idle=$N conn_active=1" "$(stats_pick "$s1"$'\n'"$s3" expired_idle | sed 's/$//') $(stats_pick "$s3" conn_active)"
c=$(count)
check_eq idle.count "established=1 total=1" "established=$(json_get established <<<"$c") total=$(json_get total <<<"$c")"
check_eq idle.held_stays "1" "$(count --port $P --state established | json_get total)"

# --- the held connection ----------------------------------------------------------------
if hold_close; then ok after.held_data; else fail after.held_data "$(_oneline "$(cat "$HOLD_LOG")")"; fi
wait_for $((TW + 8)) "s['conn_active'] == 0" && ok after.empty || fail after.empty "$(stats_pick "$(stats)" conn_active) $((TW + 8)) s after the last close"
end=$(stats)
check_eq after.identity "$(stats_pick "$end" conn_created | cut -d= -f2)" \
	"$("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(s[k] for k in
	("closed_graceful", "closed_reset", "expired_idle", "conn_replaced", "evicted", "conn_active")) - int(sys.argv[2]))' "$end" "$N")"

finish
