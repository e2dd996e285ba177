#!/usr/bin/env bash
# test_teardown_busy.sh - busy connections stay in the table. Six long
# connections (three IPv4, three IPv6) echo messages without pause for ten
# seconds under the default --idle-timeout (an hour): none of them may be
# expired as idle or otherwise leave the table while it runs. Sampled every
# half second: all six rows are there, established, idle for well under a
# second; at the end expired_idle is 0 and no segment of theirs had to be
# found by socket lookup (passed_socket 0). The sweeper runs every second
# on another CPU than some of the packets, which is what this exercises.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss ethtool
require_shakeoff

P=9350
SECS=10

setup_pair tb || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --time-wait 2
CTLS=() PIDS=()
for h in "$S4" "$S6" "$S4" "$S6" "$S4" "$S6"; do
	stream_start "$CNS" "$h" $P || bail stream "no connection to $h"
	CTLS+=("$STREAM_CTL") PIDS+=("$STREAM_PID")
done

bad= samples=0
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
	row=$(shakeoff_in "$SNS" conns "$SIF" -j 2>/dev/null | "$PY" -c '
import json, sys
rows = json.load(sys.stdin)
ok = [r for r in rows if r["state"] == "established" and r["idle_ms"] < 1000]
print(len(rows), len(ok))' 2>&1)
	samples=$((samples + 1))
	[ "$row" = "6 6" ] || bad+="t=$((SECS - end + SECONDS))s rows/ok: $row; "
	sleep 0.5
done
check_eq busy.all_rows_every_sample "" "$bad"
st=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
check_eq busy.counters "expired_idle=0 closed_graceful=0 closed_reset=0 passed_socket=0 conn_active=6" \
	"$(stats_pick "$st" expired_idle closed_graceful closed_reset passed_socket conn_active)"
say "$samples samples; $(stats_pick "$st" passed_tracked) segments of the six connections"
for i in 0 1 2 3 4 5; do
	stream_stop "busy.stream$i" "${CTLS[i]}" "${PIDS[i]}"
done

finish
