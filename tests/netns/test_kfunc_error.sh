#!/usr/bin/env bash
# test_kfunc_error.sh - when bpf_sk_assign_tcp_reqsk fails, the error is
# counted by errno and the kernel resets the client at once: no silent hang.
# Provoked the way an operator would: an option shakeoff offered at attach
# is switched off in the server namespace afterwards, so the kfunc refuses
# the cookie's options with -EINVAL. Switched back on, connections work.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool
require_shakeoff

P=8080

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P
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
check_num errno.conn_create_failed -ge 1 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num errno.conn_err_einval -ge 1 "$(so_stat "$SNS" "$SIF" conn_err_einval)"
check_eq errno.sum "$(so_stat "$SNS" "$SIF" conn_create_failed)" \
	"$(($(so_stat "$SNS" "$SIF" conn_err_einval) + $(so_stat "$SNS" "$SIF" conn_err_enetunreach) + \
	    $(so_stat "$SNS" "$SIF" conn_err_enomem) + $(so_stat "$SNS" "$SIF" conn_err_other)))"

server_ns_exec sysctl -qw net.ipv4.tcp_sack=1
check_http after "$CNS" "http://$S4:$P/"

finish
