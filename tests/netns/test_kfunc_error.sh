#!/usr/bin/env bash
# test_kfunc_error.sh - when bpf_sk_assign_tcp_reqsk fails, the error is
# counted by errno and the kernel resets the client at once: no silent hang.
# Provoked the way an operator would: an option shakeoff offered at attach
# is switched off in the server namespace afterwards, so the kfunc refuses
# the cookie's options with -EINVAL. Then `shakeoff set IFACE` (no option:
# re-read the namespace's sysctls) stops offering SACK, and connections
# work without it; switched back on and set again, they work with it.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool
require_shakeoff

P=8080
T=9100 # a tcptool server, for a connection held open to look at

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
start_tcptool "$SNS" $T || bail server "tcptool did not listen on port $T"
attach_or_bail "$SNS" "$SIF" --ports $P,$T
check_http before "$CNS" "http://$S4:$P/"

# The client offers SACK (Linux default); the kfunc now refuses sack_ok.
server_ns_exec sysctl -qw net.ipv4.tcp_sack=0 || bail sysctl "could not set tcp_sack=0 in $SNS"
start=$(date +%s%N)
code=$(client_ns_exec curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$S4:$P/")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
# curl exit 56 (recv failure: reset) or 7/52; never 28 (timeout): the client
# must hear of it at once.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 28 ] && [ "$ms" -lt 5000 ]; then
	ok refused_fast
else
	fail refused_fast "expected a quick failure (reset), got curl exit $rc, http $code after $ms ms"
fi
# the refused third ACK, and maybe the first data segment that was on its
# way behind it before the reset (the client's timing)
failed=$(so_stat "$SNS" "$SIF" conn_create_failed)
check_num errno.conn_create_failed -ge 1 "$failed"
check_num errno.conn_create_failed_at_most_ack_and_data -le 2 "$failed"
check_num errno.conn_err_einval -eq "$failed" "$(so_stat "$SNS" "$SIF" conn_err_einval)"
check_eq errno.sum "$(so_stat "$SNS" "$SIF" conn_create_failed)" \
	"$(($(so_stat "$SNS" "$SIF" conn_err_einval) + $(so_stat "$SNS" "$SIF" conn_err_enetunreach) + \
	    $(so_stat "$SNS" "$SIF" conn_err_enomem) + $(so_stat "$SNS" "$SIF" conn_err_other)))"

# set re-reads the sysctls: SACK is no longer offered, the kfunc takes it.
err0=$(so_stat "$SNS" "$SIF" conn_create_failed)
out=$(shakeoff_in "$SNS" set "$SIF" 2>&1)
check_eq set.exit 0 "$?"
check_grep set.says_options_changed "TCP options changed since attach; offering now: timestamps window-scaling" "$out"
check_http set.connects_without_sack "$CNS" "http://$S4:$P/"
check_num set.no_more_failures -eq "$err0" "$(so_stat "$SNS" "$SIF" conn_create_failed)"
if hold_open "$CNS" "$S4" $T; then
	check_nogrep set.server_socket_without_sack "$SS_SACK" "$(sock_info "$SNS" $T)"
	hold_close
else
	fail set.held_connection "no connection to port $T"
fi

server_ns_exec sysctl -qw net.ipv4.tcp_sack=1
check_run set.again shakeoff_in "$SNS" set "$SIF"
check_http after "$CNS" "http://$S4:$P/"
if hold_open "$CNS" "$S4" $T; then
	check_grep after.server_socket_with_sack "$SS_SACK" "$(sock_info "$SNS" $T)"
	hold_close
else
	fail after.held_connection "no connection to port $T"
fi

finish
