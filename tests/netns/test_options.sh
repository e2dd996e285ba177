#!/usr/bin/env bash
# test_options.sh - TCP options decoded from the cookie are in force on the
# server's socket (ss -tino in the server namespace), and only those the
# client offered: a default client gets ts, sack and wscale, with the
# values of both ends (the client's window scale as it sent it, ours as
# --wscale 9 set it: distinct from the client's 10, so a swap shows) and
# the client's MSS; a client with tcp_timestamps=0 still connects
# (non-TS cookie; test_nots.sh checks its SACK and wscale) and gets no
# ts; a client with tcp_sack=0 or tcp_window_scaling=0 gets no sack or no wscale; a client that offers an
# MSS between the table's entries gets the entry below it, never more.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool ss
require_shakeoff

P=9000
TS=$SS_TS SACK=$SS_SACK WS=$SS_WSCALE

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P --wscale 9

# held_info NAME HOST: held_check on port P (INFO, CINFO).
held_info() { held_check "$1" "$2" $P; }

# 1. Defaults: the client offers everything.
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	held_info "default_$fam" "$host" || continue
	check_grep "default_$fam.ts" "$TS" "$INFO"
	check_grep "default_$fam.sack" "$SACK" "$INFO"
	check_grep "default_$fam.wscale" "$WS" "$INFO"
	# server: wscale:SND,RCV = the client's, ours; the client sees them swapped
	cws=$(grep -oE 'wscale:[0-9]+,[0-9]+' <<<"$CINFO" | cut -d, -f2)
	check_eq "default_$fam.wscale_values" "wscale:$cws,9" "$(grep -oE 'wscale:[0-9]+,[0-9]+' <<<"$INFO")"
	check_eq "default_$fam.client_sees_ours" "wscale:9,$cws" "$(grep -oE 'wscale:[0-9]+,[0-9]+' <<<"$CINFO")"
	check_eq "default_$fam.mss_is_the_clients" "$(grep -oE ' mss:[0-9]+' <<<"$CINFO")" \
		"$(grep -oE ' mss:[0-9]+' <<<"$INFO")"
done
before=$(so_stat "$SNS" "$SIF" conn_created)
check_num default.conn_created -eq 2 "$before"

# 2. Client without timestamps: a non-TS cookie (options: test_nots.sh).
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=0 || bail sysctl "could not set tcp_timestamps=0 in $CNS"
for fam in v4 v6; do
	host=$S4
	[ $fam = v6 ] && host=$S6
	check_run "no_ts_$fam.xfer" client_ns_exec "$PY" "$TCPTOOL" xfer "$host" $P 1000000
	held_info "no_ts_$fam" "$host" || continue
	check_nogrep "no_ts_$fam.ts" "$TS" "$INFO"
done
check_num no_ts.conn_created -eq $((before + 4)) "$(so_stat "$SNS" "$SIF" conn_created)"
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=1

# 3. Client without SACK, then without window scaling (timestamps on).
client_ns_exec sysctl -qw net.ipv4.tcp_sack=0 || bail sysctl "could not set tcp_sack=0 in $CNS"
if held_info no_sack "$S4"; then
	check_grep no_sack.ts "$TS" "$INFO"
	check_nogrep no_sack.sack "$SACK" "$INFO"
	check_grep no_sack.wscale "$WS" "$INFO"
fi
client_ns_exec sysctl -qw net.ipv4.tcp_sack=1
client_ns_exec sysctl -qw net.ipv4.tcp_window_scaling=0 || bail sysctl "could not set tcp_window_scaling=0 in $CNS"
if held_info no_wscale "$S6"; then
	check_grep no_wscale.ts "$TS" "$INFO"
	check_grep no_wscale.sack "$SACK" "$INFO"
	check_nogrep no_wscale.wscale "$WS" "$INFO"
fi
client_ns_exec sysctl -qw net.ipv4.tcp_window_scaling=1

# 4. A client MSS between two table entries (advmss on the client's
#    route): the server sends with the entry below (less the 12 bytes of
#    the timestamp option), never the client's own or more.
#    IPv4 table: ... 1200 1300 1360 ...; IPv6: ... 1280 1340 ...
client_ns_exec ip route replace 198.18.0.0/24 dev "$CIF" advmss 1330 &&
	client_ns_exec ip -6 route replace 2001:2::/64 dev "$CIF" metric 256 proto kernel advmss 1330 ||
	bail route "could not set advmss on the client's routes"
for fam in v4 v6; do
	host=$S4 want=1300
	[ $fam = v6 ] && host=$S6 want=1280
	held_info "mss_$fam" "$host" || continue
	check_eq "mss_$fam.client_offers" "advmss:$((1330 - 12))" "$(grep -oE 'advmss:[0-9]+' <<<"$CINFO")"
	check_eq "mss_$fam.server_sends_table_entry_below" "mss:$((want - 12))" \
		"$(grep -oE ' mss:[0-9]+' <<<"$INFO" | tr -d ' ')"
done

check_num stats.conn_create_failed -eq 0 "$(so_stat "$SNS" "$SIF" conn_create_failed)"
check_num stats.ack_cookie_invalid -eq 0 "$(so_stat "$SNS" "$SIF" ack_cookie_invalid)"

finish
