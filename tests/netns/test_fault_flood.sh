#!/usr/bin/env bash
# test_fault_flood.sh - no lost connection under a SYN flood. Two long
# connections (IPv4, IPv6) made through shakeoff echo random messages the
# whole time (tcptool stream: every message must come back intact), while a
# raw-socket SYN flood of about 3000 SYNs per second from spoofed sources
# hits the protected port; meanwhile:
#   detach     the streams go on, the interface is clean, new connections
#              are made by the kernel
#   re-attach  the streams go on (their segments pass by socket lookup), the
#              flood is answered in XDP again, new connections work
#   rekey      twice (the second --force: within the first one's grace period):
#              secret_gen +2, the streams go on, new connections work
# At the end the streams stop cleanly, every byte having come back.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss ethtool nft
require_shakeoff
require_scapy

P=9700
PPS=3000

setup_pair ff || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P
stat_of() { so_stat "$SNS" "$SIF" "$1"; }
CMAC=$(mac_of "$CNS" "$CIF") SMAC=$(mac_of "$SNS" "$SIF")
# xfer NAME HOST: one new connection, 100 kB each way, within 20 s.
xfer() { check_run "$1" client_ns_exec timeout 20 "$PY" "$TCPTOOL" xfer "$2" $P 100000; }

stream_start "$CNS" "$S4" $P || bail stream_v4 "no connection"
ST4=$STREAM_CTL ST4_PID=$STREAM_PID
stream_start "$CNS" "$S6" $P || bail stream_v6 "no connection"
ST6=$STREAM_CTL ST6_PID=$STREAM_PID
check_num before.conn_created -eq 2 "$(stat_of conn_created)"
stream_moving before.stream_v4 "$ST4"
stream_moving before.stream_v6 "$ST6"

ns_bg "$CNS" "$PY" "$RAWTOOL" flood "$CIF" "$CMAC" "$SMAC" "$S4" $P $PPS 60
FLOOD_PID=$BG_PID FLOOD_LOG=$BG_LOG
syn0=$(stat_of synack_sent)
# half a second of the flood answered (waited for: a busy machine sends
# slower; a flood's rate is not exact)
check_num flood.answered -ge $((syn0 + PPS / 2)) "$(stat_reaches "$SNS" "$SIF" synack_sent $((syn0 + PPS / 2)))"
stream_moving flood.stream_v4 "$ST4"
stream_moving flood.stream_v6 "$ST6"

# --- detach and attach again, under the flood -------------------------------------

check_run detach shakeoff_in "$SNS" detach "$SIF"
check_clean detach "$SNS" "$SIF"
stream_moving detach.stream_v4 "$ST4"
stream_moving detach.stream_v6 "$ST6"
xfer detach.new_conn_by_kernel "$S4"

so_attach "$SNS" "$SIF" --ports $P && ok reattach || fail reattach "$(_oneline "$(cat "$TMPD/attach.err")")"
check_eq reattach.status_attached true "$(so_status "$SNS" "$SIF" attached)"
sock0=$(stat_of passed_socket) syn0=$(stat_of synack_sent)
stream_moving reattach.stream_v4 "$ST4"
stream_moving reattach.stream_v6 "$ST6"
sleep 1
check_num reattach.streams_by_socket_lookup -gt "${sock0:-0}" "$(stat_of passed_socket)"
check_num reattach.flood_answered -ge $((syn0 + PPS / 3)) "$(stat_reaches "$SNS" "$SIF" synack_sent $((syn0 + PPS / 3)))"
xfer reattach.new_conn_v4 "$S4"
xfer reattach.new_conn_v6 "$S6"
check_num reattach.conn_created -eq 2 "$(stat_of conn_created)"

# --- rekey twice, under the flood ---------------------------------------------------

gen0=$(so_status "$SNS" "$SIF" secret_gen)
check_run rekey.first shakeoff_in "$SNS" rekey "$SIF"
stream_moving rekey.stream_v4 "$ST4"
check_run rekey.second shakeoff_in "$SNS" rekey "$SIF" --force
check_eq rekey.secret_gen $((gen0 + 2)) "$(so_status "$SNS" "$SIF" secret_gen)"
stream_moving rekey.stream_v4_again "$ST4"
stream_moving rekey.stream_v6 "$ST6"
xfer rekey.new_conn_v4 "$S4"
xfer rekey.new_conn_v6 "$S6"
check_num rekey.conn_created -eq 4 "$(stat_of conn_created)"
check_eq rekey.no_kfunc_error 0 "$(stat_of conn_create_failed)"

kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
say "flood SYNs answered by the second attachment: $(stat_of synack_sent)"

stream_moving after.stream_v4 "$ST4"
stream_moving after.stream_v6 "$ST6"
stream_stop after.stream_v4_intact "$ST4" "$ST4_PID"
stream_stop after.stream_v6_intact "$ST6" "$ST6_PID"
say "streams: v4 $(stream_rounds "$ST4") messages, v6 $(stream_rounds "$ST6")"

finish
