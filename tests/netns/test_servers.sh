#!/usr/bin/env bash
# test_servers.sh - real servers and their socket options through an
# attached offload (issue 9, point 7):
#   nginx    Debian's nginx-light, "listen ... deferred reuseport
#            backlog=4096" on IPv4 and IPv6 (its own prefix, config, pid and
#            logs in the test's temp dir), under ab on both families;
#   group    an SO_REUSEPORT group of four listeners: 200 concurrent
#            clients spread over all four, none lost;
#   queue    a full accept queue (backlog 1, the first accept() only after
#            2 s): every one of 10 concurrent clients gets through once
#            the server catches up (ListenOverflows shows the queue was full).
#            Clients that start together retransmit together, and each round
#            of retransmissions finds room for two (backlog 1): the last get
#            in after four rounds of doubling RTOs, ~25 s.
#            A client's segments past its third ACK find no socket while
#            the queue is full: dropped (drop_unconfirmed), not passed to
#            the kernel, which would reset the client; its retransmission
#            from the third ACK's sequence number makes the socket;
#   banner   a server that speaks first (an SMTP banner), both families.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ab nginx ss
require_shakeoff

PN=8080 # nginx
PG=8081 # the reuseport group
PQ=8082 # the slow acceptor
PB=8025 # the banner server
PEERS=$TOP/tests/netns/peers.py

setup_pair || bail setup "could not build the namespaces and the veth pair"
wide_client_ports

# --- nginx ---------------------------------------------------------------------
NGX=$TMPD/nginx
mkdir -p "$NGX/html" "$NGX/tmp" "$NGX/logs"
echo "shakeoff nginx page" >"$NGX/html/index.html"
cat >"$NGX/nginx.conf" <<EOF2
worker_processes 2;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $NGX/tmp/body;
	proxy_temp_path $NGX/tmp/proxy;
	fastcgi_temp_path $NGX/tmp/fastcgi;
	uwsgi_temp_path $NGX/tmp/uwsgi;
	scgi_temp_path $NGX/tmp/scgi;
	server {
		listen $S4:$PN deferred reuseport backlog=4096;
		listen [$S6]:$PN deferred reuseport backlog=4096;
		root $NGX/html;
	}
}
EOF2
chmod -R a+rX "$NGX"
ns_bg "$SNS" nginx -p "$NGX" -e "$NGX/logs/error.log" -c "$NGX/nginx.conf" -g "daemon off;"
wait_port "$SNS" $PN || bail nginx "nginx did not listen on $PN: $(_oneline "$(cat "$BG_LOG" "$NGX/logs/error.log" 2>/dev/null)")"

# --- the others ------------------------------------------------------------------
mkdir -p "$TMPD/group"
ns_bg "$SNS" "$PY" "$PEERS" serve reuseport $PG 4 "$TMPD/group"
wait_file "$TMPD/group/ready" 10 "$BG_PID" || bail group "the reuseport group did not start: $(_oneline "$(cat "$BG_LOG")")"
ns_bg "$SNS" "$PY" "$PEERS" serve banner $PB
wait_port "$SNS" $PB || bail banner "the banner server did not listen"

attach_or_bail "$SNS" "$SIF" --ports $PN,$PG,$PQ,$PB

# 1. nginx under ab, both families.
# reuseport: a listener per worker and address
check_eq nginx.listeners 4 "$(server_ns_exec ss -Hltn "sport = :$PN" | grep -c .)"
check_grep nginx.deferred "$PN" "$(server_ns_exec ss -Hltn "sport = :$PN")"
for fam in v4 v6; do
	url=http://$S4:$PN/
	[ $fam = v6 ] && url="http://[$S6]:$PN/"
	client_ns_exec ab -q -n 2000 -c 50 -s 20 "$url" >"$TMPD/ab.$fam" 2>&1
	check_ab "nginx_$fam.ab" "$TMPD/ab.$fam" 2000
done

# 2. The reuseport group: 100 clients per family at once.
b=$(so_stat "$SNS" "$SIF" conn_created)
for host in $S4 $S6; do
	check_run "group.clients_$host" client_ns_exec timeout 120 "$PY" "$PEERS" many tcp "$host" $PG 100 20000
done
counts=$(cat "$TMPD/group/counts" 2>/dev/null)
say "group: connections per listener: $counts"
check_eq group.none_lost 200 "$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }' <<<"$counts")"
check_eq group.all_four_served 4 "$(awk '{ n = 0; for (i = 1; i <= NF; i++) n += ($i > 0); print n }' <<<"$counts")"
# one connection per client (a race of two CPUs counts as conn_retried)
check_num group.conn_created -eq $((b + 200)) "$(so_stat "$SNS" "$SIF" conn_created)"

# 3. A full accept queue: backlog 1, accept() only after 3 s.
ov0=$(server_ns_exec nstat -saz TcpExtListenOverflows | awk '/ListenOverflows/ { print $2 }')
ns_bg "$SNS" "$PY" "$PEERS" serve slow $PQ 2
wait_port "$SNS" $PQ || bail queue "the slow server did not listen"
check_run queue.all_clients client_ns_exec env PEERS_TIMEOUT=100 timeout 200 "$PY" "$PEERS" many tcp $S4 $PQ 10 10000
ov1=$(server_ns_exec nstat -saz TcpExtListenOverflows | awk '/ListenOverflows/ { print $2 }')
check_num queue.was_full -gt "${ov0:-0}" "${ov1:-0}"
say "queue: ListenOverflows +$((${ov1:-0} - ${ov0:-0})), conn_retried $(so_stat "$SNS" "$SIF" conn_retried), drop_unconfirmed $(so_stat "$SNS" "$SIF" drop_unconfirmed)"
check_num queue.no_reset -eq 0 "$(so_stat "$SNS" "$SIF" closed_reset)"

# 4. A server that speaks first.
for host in $S4 $S6; do
	check_run "banner.$host" client_ns_exec timeout 40 "$PY" "$PEERS" xfer banner "$host" $PB 100000
done

check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"
check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num stats.passed_signed -eq 0 "$(so_stat "$SNS" "$SIF" passed_signed)"

finish
