#!/usr/bin/env bash
# test_teardown_churn.sh - a thousand connections through shakeoff, 16 at a
# time, IPv4 and IPv6 alike, closed in turn four ways: the client first
# (FIN), the server first (FIN, so the server's end lingers in time_wait),
# the client with an RST (SO_LINGER 0) and the server with an RST. Once the
# time_wait linger is over, nothing may be left: the table is empty (conns
# and bpftool), conn_active 0, evicted 0, every connection was created once
# (conn_created = the connections opened; a second kfunc call for a
# connection whose ACK and data met TC on two CPUs is conn_retried, not a
# second creation), and each left the table by the exit its
# close calls for: closed_graceful = the FIN closes, closed_reset = the RST
# closes, expired_idle 0, conn_replaced 0.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool ss ethtool
require_shakeoff

P=9300
N=500 # per family
TW=2

setup_pair tc || bail setup "could not build the namespaces and the veth pair"
wide_client_ports
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --time-wait $TW --idle-timeout 600

ns_bg "$CNS" "$PY" "$TCPTOOL" churn "$S4" $P $N 8
C4_PID=$BG_PID C4_LOG=$BG_LOG
ns_bg "$CNS" "$PY" "$TCPTOOL" churn "$S6" $P $N 8
C6_PID=$BG_PID C6_LOG=$BG_LOG
for f in 4 6; do
	if [ $f = 4 ]; then pid=$C4_PID log=$C4_LOG; else pid=$C6_PID log=$C6_LOG; fi
	if wait "$pid"; then ok "churn_v$f"; else fail "churn_v$f" "$(_oneline "$(cat "$log")")"; fi
	check_eq "churn_v$f.tally" "client_fin=$((N / 4)) server_fin=$((N / 4)) client_rst=$((N / 4)) server_rst=$((N / 4)) errors=0" \
		"$(head -1 "$log")"
done

# The server-first closes linger in time_wait for $TW s, then the sweeper
# (every second) lets them go.
for ((i = 0; i < (TW + 5) * 10; i++)); do
	[ "$(shakeoff_in "$SNS" conns "$SIF" -j 2>/dev/null)" = "[]" ] && break
	sleep 0.1
done
left=$(shakeoff_in "$SNS" conns "$SIF" 2>&1)
check_eq table_empty "no connections in the table of $SIF" "$(head -3 <<<"$left" | tr -s ' ' | tr '\n' ';' | sed 's/;$//')"
if [ "$(wc -l <<<"$left")" -gt 1 ]; then
	# What the leftovers are, and what the server's sockets say of them.
	say "left in the table: $(sed 1d <<<"$left" | awk '{ print $3 "/" $5 }' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
	say "server sockets on :$P: $(ip netns exec "$SNS" ss -tanH "( sport = :$P )" | awk '{ print $1 }' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
fi
PIN=$(pin_dir "$SNS" "$SIF")
check_eq bpftool_empty 0 "$(bpftool map dump pinned "$PIN/conns" -j 2>&1 | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>&1)"

st=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
check_eq quiet "conn_active=0 conn_half_closed=0 evicted=0" "$(stats_pick "$st" conn_active conn_half_closed evicted)"
check_eq created "conn_created=$((2 * N))" "$(stats_pick "$st" conn_created)"
say "$(stats_pick "$st" conn_retried conn_exists)"
check_eq identity "$(stats_pick "$st" conn_created | cut -d= -f2)" \
	"$("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); print(sum(s[k] for k in
	("closed_graceful", "closed_reset", "expired_idle", "conn_replaced", "evicted", "conn_active")))' "$st")"
check_eq exits "closed_graceful=$N closed_reset=$N expired_idle=0 conn_replaced=0" \
	"$(stats_pick "$st" closed_graceful closed_reset expired_idle conn_replaced)"
check_eq fins "fin_in=$N fin_out=$N" "$(stats_pick "$st" fin_in fin_out)"
check_eq every_syn_answered "unanswered=0" "unanswered=$(($(stats_pick "$st" syn_seen | cut -d= -f2) - $(stats_pick "$st" synack_sent | cut -d= -f2)))"

finish
