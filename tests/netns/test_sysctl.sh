#!/usr/bin/env bash
# test_sysctl.sh - the listener namespace's sysctls. With tcp_syncookies=0
# the kernel resets every cookie ACK, so attach must refuse (one sentence,
# non-zero exit, nothing pinned). An option the namespace switched off
# (tcp_timestamps, tcp_sack, tcp_window_scaling) makes the kfunc fail with
# -EINVAL if offered: attach must see it, status must say so, and
# connections must still complete without that option.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool ss
require_shakeoff

P=8080 # http.server
T=9000 # tcptool: a long connection to look at with ss

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
start_tcptool "$SNS" $T || bail server "tcptool did not listen on port $T"

# 1. tcp_syncookies=0: refused.
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=0 || bail sysctl "could not set tcp_syncookies=0 in $SNS"
so_attach "$SNS" "$SIF" --ports $P
check_refused syncookies_0 $? "$TMPD/attach.err" "$SNS" "$SIF"

# 2. tcp_syncookies=2 (cookies always) is fine.
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2
if so_attach "$SNS" "$SIF" --ports $P; then
	ok syncookies_2.attach
	check_http syncookies_2.curl_v4 "$CNS" "http://$S4:$P/"
	check_num syncookies_2.conn_created -eq 1 "$(so_stat "$SNS" "$SIF" conn_created)"
	shakeoff_in "$SNS" detach "$SIF"
else
	fail syncookies_2.attach "exit $?: $(_oneline "$(cat "$TMPD/attach.err")")"
fi
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=1

# 3. One option off in the server namespace at a time.
#    sysctl : status -j key : what ss -tino must not show on the socket
cases="tcp_timestamps:timestamps:SS_TS tcp_sack:sack:SS_SACK tcp_window_scaling:window_scaling:SS_WSCALE"
for c in $cases; do
	IFS=: read -r sysctl key word <<<"$c"
	server_ns_exec sysctl -qw "net.ipv4.$sysctl=0" || { fail "$sysctl.set" "could not set it to 0"; continue; }
	if ! so_attach "$SNS" "$SIF" --ports $P,$T; then
		fail "$sysctl.attach" "exit $?: $(_oneline "$(cat "$TMPD/attach.err")")"
		server_ns_exec sysctl -qw "net.ipv4.$sysctl=1"
		continue
	fi
	check_eq "${sysctl}_0.status_options.$key" false "$(so_status "$SNS" "$SIF" "options.$key")"
	check_http "${sysctl}_0.curl_v4" "$CNS" "http://$S4:$P/"
	check_http "${sysctl}_0.curl_v6" "$CNS" "http://[$S6]:$P/"
	if hold_open "$CNS" "$S4" $T; then
		check_nogrep "${sysctl}_0.ss_no_$key" "${!word}" "$(sock_info "$SNS" $T)"
		if hold_close; then ok "${sysctl}_0.hold"; else fail "${sysctl}_0.hold" "$(_oneline "$(cat "$HOLD_LOG")")"; fi
	else
		fail "${sysctl}_0.hold" "$(_oneline "$(cat "$HOLD_LOG")")"
	fi
	# a fresh attachment: the two GETs and the held connection
	check_num "${sysctl}_0.conn_created" -eq 3 "$(so_stat "$SNS" "$SIF" conn_created)"
	check_num "${sysctl}_0.conn_create_failed" -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
	shakeoff_in "$SNS" detach "$SIF" || fail "${sysctl}_0.detach" "exit $?"
	server_ns_exec sysctl -qw "net.ipv4.$sysctl=1"
done

# 4. With all on, status says so.
if so_attach "$SNS" "$SIF" --ports $P; then
	for key in timestamps sack window_scaling; do
		check_eq "defaults.status_options.$key" true "$(so_status "$SNS" "$SIF" "options.$key")"
	done
else
	fail defaults.attach "exit $?: $(_oneline "$(cat "$TMPD/attach.err")")"
fi

finish
