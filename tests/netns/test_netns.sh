#!/usr/bin/env bash
# test_netns.sh - the two ways of running the CLI for another namespace,
# `shakeoff -n NETNS ...` and `nsenter --net=/run/netns/NETNS shakeoff ...`,
# reach the same attachment; and two server namespaces whose veths have the
# same name get separate pins, maps and counters: detaching one leaves the
# other working.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool
require_shakeoff

P=8080
CVETH=soc$RUNID # the client end in both pairs
SVETH=sov$RUNID # the server end in both pairs

setup_pair a "$CVETH" "$SVETH" || bail setup "could not build the first pair"
CA=$CNS SA=$SNS
setup_pair b "$CVETH" "$SVETH" || bail setup "could not build the second pair"
CB=$CNS SB=$SNS
start_http "$SA" $P || bail server "http.server did not listen in $SA"
start_http "$SB" $P || bail server "http.server did not listen in $SB"

# A through -n, B through nsenter.
_ATTACHED+=("$SA $SVETH")
if "$SHAKEOFF" -n "$SA" attach "$SVETH" --ports $P >"$TMPD/out" 2>&1; then
	ok attach_with_-n
else
	bail attach_with_-n "exit $?: $(_oneline "$(cat "$TMPD/out")")"
fi
attach_or_bail "$SB" "$SVETH" --ports $P
ok attach_with_nsenter

PA=$(pin_dir "$SA" "$SVETH")
PB=$(pin_dir "$SB" "$SVETH")
check_grep pins.a_exist . "$(ls -A "$PA" 2>/dev/null)"
check_grep pins.b_exist . "$(ls -A "$PB" 2>/dev/null)"
[ "$PA" != "$PB" ] && ok pins.distinct_dirs || fail pins.distinct_dirs "both $PA"

# Each form sees what the other attached.
check_eq status.a_via_nsenter.pin_dir "$PA" "$(so_status "$SA" "$SVETH" pin_dir)"
check_eq status.b_via_-n.pin_dir "$PB" "$("$SHAKEOFF" -n "$SB" status "$SVETH" -j 2>/dev/null | json_get pin_dir)"
check_eq status.a_via_-n.ifname "$SVETH" "$("$SHAKEOFF" -n "$SA" status "$SVETH" -j 2>/dev/null | json_get ifname)"

# Separate maps: one GET through A, two through B.
check_http curl_a_v4 "$CA" "http://$S4:$P/"
check_http curl_b_v4 "$CB" "http://$S4:$P/"
check_http curl_b_v6 "$CB" "http://[$S6]:$P/"
check_num stats.a_via_-n.conn_created -eq 1 "$("$SHAKEOFF" -n "$SA" stats "$SVETH" -j 2>/dev/null | json_get conn_created)"
check_num stats.a_via_nsenter.conn_created -eq 1 "$(so_stat "$SA" "$SVETH" conn_created)"
check_num stats.b_via_nsenter.conn_created -eq 2 "$(so_stat "$SB" "$SVETH" conn_created)"

# Detach A through nsenter: B carries on.
check_run detach_a_with_nsenter shakeoff_in "$SA" detach "$SVETH"
check_clean after_detach_a.a "$SA" "$SVETH"
check_grep after_detach_a.b_pins_kept . "$(ls -A "$PB" 2>/dev/null)"
check_http after_detach_a.curl_b "$CB" "http://$S4:$P/"
check_num after_detach_a.b_conn_created -eq 3 "$(so_stat "$SB" "$SVETH" conn_created)"

# Detach B through -n.
check_run detach_b_with_-n "$SHAKEOFF" -n "$SB" detach "$SVETH"
check_clean after_detach_b.b "$SB" "$SVETH"

finish
