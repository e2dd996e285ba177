#!/usr/bin/env bash
# test_transfer.sh - several MB both ways on one connection through
# shakeoff, IPv4 and IPv6: the client sends 8 MB, the server sends 8 MB back
# on the same connection, and both sides compare SHA-256 sums of what was
# sent and what arrived (tcptool.py xfer).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool
require_shakeoff

P=9000
BYTES=$((8 * 1024 * 1024))

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P

check_run xfer_v4 client_ns_exec "$PY" "$TCPTOOL" xfer $S4 $P $BYTES
check_run xfer_v6 client_ns_exec "$PY" "$TCPTOOL" xfer $S6 $P $BYTES

stats=$(shakeoff_in "$SNS" stats "$SIF" -j)
check_num stats.conn_created -eq 2 "$(json_get conn_created <<<"$stats")"
check_num stats.conn_create_failed -eq 0 "$(json_get conn_create_failed <<<"$stats")"
# 8 MB from each client is thousands of segments, all of a tracked
# connection: at least one per MSS (XDP sees the veth's frames unmerged); how
# many pure ACKs come with them is TCP's
check_num stats.passed_tracked -ge $((2 * BYTES / 1460)) "$(json_get passed_tracked <<<"$stats")"
check_num stats.ack_cookie_invalid -eq 0 "$(json_get ack_cookie_invalid <<<"$stats")"

finish
