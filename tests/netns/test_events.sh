#!/usr/bin/env bash
# test_events.sh - `shakeoff events`: the stream of connection events
# against real connections that close in every way the namespaces can make
# happen, each a scripted pair of peers (tcptool.py peer):
#   client_close   the client's FIN first: open, fin client, fin server,
#                  close graceful (closed_by client), at once
#   server_close   the server's FIN first: close graceful (closed_by server)
#                  after the --time-wait linger; IPv4 and IPv6
#   simultaneous   both shut at once (the FINs may or may not cross): a
#                  graceful close after both fins
#   client_rst     close reset, reset_by client
#   server_rst     close reset, reset_by server
#   idle           close idle after a short --idle-timeout (set live)
#   kernel_cookie  an allowed source with tcp_syncookies=2: the kernel's own
#                  cookie, an open event that says so (its options unknown)
#   kmode_*        --complete kernel: the open event's options, decoded from
#                  the third ACK's TSecr, are the server socket's (ss): a
#                  Linux client, then one without SACK, window scale,
#                  timestamps, and one asking for ECN; the MSS null
# Every close event's bytes equal what the peers sent (bytes_in: the
# client's, bytes_out: the server's); its established time lies within the
# client's connect(), its end within the peers' closes (loose bounds: the
# clocks are the same, the scheduling is not). The open event's options are
# those of the socket (ss). Then the filters (--port, --client, --type), the
# text table, one reader per ring, a ring too small for a burst while the
# reader is stopped (loss counted and reported), and no events while no one
# listens.
# Not made here: evicted (the kernel's LRU eviction is silent, see the
# README) and replaced (only a race of two CPUs reaches it: a new SYN's ACK
# for a tracked 4-tuple is taken for a segment of the old connection).
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ss nft
require_shakeoff

TW=1
IDLE=600
PBASE=9300

setup_pair ev || bail setup "could not build the namespaces and the veth pair"
attach_or_bail "$SNS" "$SIF" --ports $PBASE-$((PBASE + 99)) --time-wait $TW --idle-timeout $IDLE

# --- the reader ------------------------------------------------------------------

# ev_wait FILE EXPR SECONDS: until EXPR is True.
ev_wait() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -le $end ]; do
		[ "$(events_query "$1" "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.1
	done
	return 1
}

# --- scripted connections (peers, lib.sh) -----------------------------------------

NPORT=$PBASE
at() { wait_file "$(ctl "$1")/$2.at" 30 "$(cat "$(ctl "$1")/server.pid")" "$(cat "$(ctl "$1")/client.pid")"; }
# peers_done SLOT: both peers exited 0.
peers_done() {
	local c p rc all=0
	c=$(ctl "$1")
	for p in server client; do
		wait "$(cat "$c/$p.pid")"
		rc=$?
		[ $rc = 0 ] || { fail "$1.$p" "the $p peer exited $rc: $(_oneline "$(cat "$(cat "$c/$p.log")")")"; all=1; }
	done
	return $all
}
bytes_of() { cut -d' ' -f1 "$(ctl "$1")/$2"; }

# the events of a slot's connection (its client port), in FILE
sel() { echo "[e for e in E if e.get('sport') == $(cport "$1") and e.get('dport') == $(sport "$1")]"; }

# check_close NAME SLOT FILE REASON CLOSED_BY RESET_BY: the slot's events
# are open, then the FINs the close had, then one close as told, whose
# figures agree with the peers'.
check_close() {
	local name=$1 slot=$2 f=$3 c s t0 t1 close_lo close_hi
	local S
	S=$(sel "$slot")
	ev_wait "$f" "any(e['type'] == 'close' for e in $S)" 10 ||
		{ fail "$name.close" "no close event in 10 s: $(events_query "$f" "$S")"; return; }
	c=$(ctl "$slot")
	check_eq "$name.first_is_open" open "$(events_query "$f" "$S[0]['type']")"
	check_eq "$name.one_open_one_close" "1 1" "$(events_query "$f" "'%d %d' % (sum(e['type'] == 'open' for e in $S), sum(e['type'] == 'close' for e in $S))")"
	check_eq "$name.last_is_close" close "$(events_query "$f" "$S[-1]['type']")"
	check_eq "$name.reason" "$4" "$(events_query "$f" "$S[-1]['reason']")"
	if [ "$5" = either ]; then
		check_grep "$name.closed_by" '^(client|server)$' "$(events_query "$f" "$S[-1]['closed_by']")"
	else
		check_eq "$name.closed_by" "$5" "$(events_query "$f" "$S[-1]['closed_by']")"
	fi
	check_eq "$name.reset_by" "$6" "$(events_query "$f" "$S[-1]['reset_by']")"
	check_bytes "$name.bytes_in" "$slot" client "$(events_query "$f" "$S[-1]['bytes_in']")"
	check_bytes "$name.bytes_out" "$slot" server "$(events_query "$f" "$S[-1]['bytes_out']")"
	check_num "$name.pkts_in" -ge 2 "$(events_query "$f" "$S[-1]['pkts_in']")"
	check_num "$name.pkts_out" -ge 1 "$(events_query "$f" "$S[-1]['pkts_out']")"
	# established within the client's connect() (5 ms for the clocks' offset,
	# 2 s for the scheduling); the open event at that time too
	read -r t0 t1 <"$c/client.connect_ns"
	check_num "$name.established_after_connect" -ge $((t0 - 5000000)) "$(events_query "$f" "$S[-1]['established_ns']")"
	check_num "$name.established_by_connect" -le $((t1 + 2000000000)) "$(events_query "$f" "$S[-1]['established_ns']")"
	check_eq "$name.open_time_is_established" "$(events_query "$f" "$S[-1]['established_ns'] // 10**6")" \
		"$(events_query "$f" "$S[0]['time_ns'] // 10**6")"
	# the end: within the peers' closes (first - 5 ms, last + 2 s)
	close_lo=$(sort -n "$c"/*.closed_ns 2>/dev/null | head -1)
	close_hi=$(sort -n "$c"/*.closed_ns 2>/dev/null | tail -1)
	check_num "$name.end_after_close" -ge $((close_lo - 5000000)) "$(events_query "$f" "$S[-1]['established_ns'] + $S[-1]['duration_ns']")"
	check_num "$name.end_by_close" -le $((close_hi + 2000000000)) "$(events_query "$f" "$S[-1]['established_ns'] + $S[-1]['duration_ns']")"
}

# check_bytes NAME SLOT ROLE BYTES: what the table counted of ROLE's bytes
# is what it sent, or more by what it retransmitted: at least the bytes
# its application wrote, at most what its socket put on the wire.
check_bytes() {
	local app wire
	app=$(bytes_of "$2" "$3.sent")
	wire=$(cat "$(ctl "$2")/$3.wire_bytes" 2>/dev/null || echo "$app")
	if [ "$4" = "$app" ]; then
		ok "$1"
	elif [[ $4 =~ ^[0-9]+$ ]] && [ "$4" -ge "$app" ] && [ "$4" -le "$wire" ]; then
		ok "$1"
		say "$1: $4 bytes counted, $app written, $wire on the wire (retransmissions)"
	else
		fail "$1" "expected the $app bytes the $3 wrote (up to the $wire it put on the wire), got '$4'"
	fi
}

# check_fins NAME SLOT FILE SIDES: the fin events, in order ("client server").
check_fins() {
	check_eq "$1.fins" "$4" "$(events_query "$3" "' '.join(e['side'] for e in $(sel "$2") if e['type'] == 'fin')")"
}

# --- nothing while no one listens ----------------------------------------------------

s0=$(pair_stats)
peers quiet "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done quiet
check_eq quiet.no_events "event_sent=0 event_lost=0" "$(stats_pick "$s0"$'\n'"$(pair_stats)" event_sent event_lost)"

# --- every close ----------------------------------------------------------------------

events_start "$SNS" "$SIF" -j || bail events.start "shakeoff events did not start"
ALL=$EV_OUT ALL_PID=$EV_PID

n=client_close
peers $n "$S4" "send:64K,recv:64K,shut,eof,close" "recv:64K,send:64K,eof,close"
peers_done $n
check_close $n $n "$ALL" graceful client None
check_fins $n $n "$ALL" "client server"
S=$(sel $n)
# the options in force: the client's SYN offered them all, 1460 fits the MTU
check_eq $n.open.cookie shakeoff "$(events_query "$ALL" "$S[0]['cookie']")"
check_eq $n.open.options "True True False" "$(events_query "$ALL" "' '.join(str(x) for x in ($S[0]['sack'], $S[0]['timestamps'], $S[0]['ecn']))")"
check_eq $n.open.mss 1460 "$(events_query "$ALL" "$S[0]['mss']")"
check_grep $n.open.wscale '^[0-9]+ [0-9]+$' "$(events_query "$ALL" "'%d %d' % ($S[0]['snd_wscale'], $S[0]['rcv_wscale'])")"
check_num $n.open.cookie_age_ms -le 3000 "$(events_query "$ALL" "$S[0]['cookie_age_ms']")"

for fam in 4 6; do
	if [ $fam = 4 ]; then H=$S4; else H=$S6; fi
	n=server_close_v$fam
	peers $n "$H" "send:32K,recv:16K,eof,close" "recv:32K,send:16K,close"
	peers_done $n
	check_close $n $n "$ALL" graceful server None
	check_fins $n $n "$ALL" "server client"
	check_eq $n.family $fam "$(events_query "$ALL" "$(sel $n)[0]['family']")"
done

# Both sides shut at once: the FINs may cross (closing, then time_wait) or
# not; either way a graceful close with both FINs, first FIN from either.
n=simultaneous
peers $n "$S4" "send:2K,recv:2K,cp:c,shut,eof,close" "recv:2K,send:2K,cp:s,shut,eof,close"
at $n c && at $n s && go $n c && go $n s
peers_done $n
check_close $n $n "$ALL" graceful either None
check_eq $n.two_fins 2 "$(events_query "$ALL" "sum(e['type'] == 'fin' for e in $(sel $n))")"

n=client_rst
peers $n "$S4" "send:8K,recv:8K,abort" "recv:8K,send:8K,rst,close"
peers_done $n
check_close $n $n "$ALL" reset None client
check_fins $n $n "$ALL" ""

n=server_rst
peers $n "$S4" "send:8K,recv:8K,rst,close" "recv:8K,send:8K,abort"
peers_done $n
check_close $n $n "$ALL" reset None server

# Idle: the connection goes quiet past a short idle timeout; its entry
# leaves with a close idle, and the connection lives on. The close event
# comes when the entry leaves the table, or (a housekeeping that expires
# entries without visiting them) when the next segment meets it: so the
# test waits until conns no longer lists it, then lets the peers go on.
check_run idle.set_timeout shakeoff_in "$SNS" set "$SIF" --idle-timeout 2
n=idle
peers $n "$S4" "send:4K,recv:4K,cp:quiet,send:1K,recv:1K,close" "recv:4K,send:4K,recv:1K,send:1K,eof,close"
if at $n quiet; then
	quiet_ns=$(date +%s%N)
	for _ in $(seq 100); do
		[ "$(conns_entry "$SNS" "$SIF" "$(cport $n)" "$(sport $n)")" = none ] && break
		sleep 0.1
	done
	check_eq $n.expired none "$(conns_entry "$SNS" "$SIF" "$(cport $n)" "$(sport $n)")"
fi
go $n quiet
peers_done $n
S=$(sel $n)
ev_wait "$ALL" "any(e['type'] == 'close' for e in $S)" 5 || fail $n.close "no close event after the idle timeout"
C="[e for e in $S if e['type'] == 'close'][0]"
check_eq $n.reason idle "$(events_query "$ALL" "$C['reason']")"
# 4 KiB each way before the quiet (a retransmission may add to it)
check_eq $n.bytes "True True" "$(events_query "$ALL" "'%s %s' % (4096 <= $C['bytes_in'] <= 8192, 4096 <= $C['bytes_out'] <= 8192)")"
# the end is the last segment, before the quiet began
check_num $n.end_before_quiet -le $((quiet_ns + 5000000)) "$(events_query "$ALL" "$C['established_ns'] + $C['duration_ns']")"
check_num $n.closed_after_timeout -ge $((quiet_ns + 1000000000)) "$(events_query "$ALL" "$C['time_ns']")"
# the connection went on untracked: nothing more of it
check_eq $n.no_more_events "open close" "$(events_query "$ALL" "' '.join(e['type'] for e in $S)")"
check_run idle.restore_timeout shakeoff_in "$SNS" set "$SIF" --idle-timeout $IDLE

# The kernel's own cookie: an allowed source goes to the kernel, which
# answers with its cookies under tcp_syncookies=2.
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2
check_run kernel_cookie.allow shakeoff_in "$SNS" allow "$SIF" add $C4
n=kernel_cookie
peers $n "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
ev_wait "$ALL" "any(e['type'] == 'open' for e in $(sel $n))" 5
check_eq $n.open "open kernel" "$(events_query "$ALL" "' '.join(e['type'] + ' ' + e['cookie'] for e in $(sel $n))")"
shakeoff_in "$SNS" allow "$SIF" del $C4 >/dev/null
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=1

check_eq all.no_loss "event_lost=0" "$(stats_pick "$(pair_stats)" event_lost)"
events_stop
check_eq all.exit_status 0 "$?"
check_eq all.no_lost_line 0 "$(grep -c '"lost"' "$ALL")"

# --- filters ----------------------------------------------------------------------------

events_start "$SNS" "$SIF" -j --port $((NPORT + 2)) && F_PORT=$EV_OUT F_PORT_PID=$EV_PID
# (one reader per ring: the filters are tried one after the other)
n=f_port_other
peers $n "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
n=f_port
peers $n "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
ev_wait "$F_PORT" "any(e['type'] == 'close' for e in E)" 10
events_stop "$F_PORT_PID"
check_eq filter.port "$(sport f_port)" "$(events_query "$F_PORT" "' '.join(sorted(set(str(e['dport']) for e in E)))")"

events_start "$SNS" "$SIF" -j --client 2001:2::/64 --type open,close && F=$EV_OUT
n=f_client4
peers $n "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
n=f_client6
peers $n "$S6" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
ev_wait "$F" "any(e['type'] == 'close' for e in E)" 10
events_stop
check_eq filter.client_and_type "6:open 6:close" "$(events_query "$F" "' '.join('%d:%s' % (e['family'], e['type']) for e in E)")"

# the table: one line per event, the 4-tuple in it
events_start "$SNS" "$SIF" --type close && F=$EV_OUT
n=table
peers $n "$S4" "send:1K,recv:1K,close" "recv:1K,send:1K,eof,close"
peers_done $n
for _ in $(seq 50); do grep -q close "$F" && break; sleep 0.1; done
events_stop
check_grep table.line "close +$C4:$(cport $n) +$S4:$(sport $n) +graceful, first FIN from the client, [0-9.]+ s, in [0-9]+ pkts 1024 B, out [0-9]+ pkts 1024 B" "$(cat "$F")"

# --- bad input, and one reader per ring --------------------------------------------------

events_start "$SNS" "$SIF" -j && F=$EV_OUT
shakeoff_in "$SNS" events "$SIF" -j >/dev/null 2>"$TMPD/err"
check_eq second_reader.refused "1" "$?"
check_grep second_reader.says_why "another shakeoff events reads" "$(cat "$TMPD/err")"
events_stop
for bad in "--type bogus" "--type open --drops" "--rate 5" "--client 198.18.0.1/40" "--port 0"; do
	# shellcheck disable=SC2086
	shakeoff_in "$SNS" events "$SIF" $bad >/dev/null 2>"$TMPD/err"
	check_eq "bad_input.${bad// /_}.exit" 2 "$?"
	check_eq "bad_input.${bad// /_}.one_line" 1 "$(grep -c '' "$TMPD/err")"
done
check_eq flag_cleared "0" "$(listen_flag "$SNS" "$SIF")"
shakeoff_in "$SNS" attach "$SIF" --ports $PBASE --events-buffer 12 >/dev/null 2>"$TMPD/err"
check_eq bad_input.events_buffer_12.exit 2 "$?"
check_grep bad_input.events_buffer_12.says_why "^shakeoff: --events-buffer 12: not a power of two" "$(cat "$TMPD/err")"

# --- a full ring: the loss is counted and reported ----------------------------------------

# A ring of 4 KiB holds 30 events; the reader is stopped while 20
# connections make 80.
so_detach() { shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1; }
so_detach
attach_or_bail "$SNS" "$SIF" --ports $PBASE-$((PBASE + 99)) --time-wait $TW --events-buffer 4
start_tcptool "$SNS" $((PBASE + 99)) || fail ring.server "tcptool serve did not listen"
events_start "$SNS" "$SIF" -j && F=$EV_OUT
kill -STOP "$EV_PID"
ip netns exec "$CNS" "$PY" "$TCPTOOL" churn "$S4" $((PBASE + 99)) 20 4 >"$TMPD/churn" 2>&1 ||
	fail ring.churn "$(_oneline "$(cat "$TMPD/churn")")"
lost=$(stats_pick "$(pair_stats)" event_lost)
check_grep ring.lost_counted '^event_lost=[1-9]' "$lost"
kill -CONT "$EV_PID"
ev_wait "$F" "any(e['type'] == 'lost' for e in E)" 5
events_stop
check_eq ring.lost_reported "${lost#event_lost=}" "$(events_query "$F" "sum(e['lost'] for e in E if e['type'] == 'lost')")"
check_num ring.events_kept -ge 20 "$(events_query "$F" "sum(e['type'] != 'lost' for e in E)")"
check_eq ring.sent_plus_lost "$(events_query "$F" "sum(e['type'] != 'lost' for e in E) + sum(e['lost'] for e in E if e['type'] == 'lost')")" \
	"$("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["event_sent"] + s["event_lost"])' "$(pair_stats)")"

# --- kernel mode: what the kernel's cookie gives the open event ----------------------------

# kfunc mode cannot read the options of a kernel cookie it lets pass (its
# TSecr may hold the kernel's offset): every one null, as the MSS.
K="[e for e in $(sel kernel_cookie) if e['type'] == 'open'][0]"
check_eq kernel_cookie.options_unknown "None None None None None None None" \
	"$(events_query "$ALL" "' '.join(str($K[x]) for x in ('mss', 'snd_wscale', 'rcv_wscale', 'sack', 'timestamps', 'ecn', 'cookie_age_ms'))")"

# --complete kernel: our SYN-ACK carries the kernel's TSval, whose low bits
# the client echoes in the third ACK's TSecr; the open event gives the
# options as the kernel decodes them there. Each held connection's event is
# compared with ss -tie on the server's socket, and with what the client's
# sysctls make of it. The MSS stays null: the kernel's cookie hides it.
KP=$((PBASE + 99)) # the tcptool server of the ring's test
so_detach
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2
attach_or_bail "$SNS" "$SIF" --ports $PBASE-$((PBASE + 99)) --complete kernel
check_eq kmode.complete kernel "$(so_status "$SNS" "$SIF" complete)"
KWS=$(so_status "$SNS" "$SIF" wscale)

# ss_opts INFO: the options in force in an ss -ti line, as "ts sack ecn wscale:S,R"
ss_opts() {
	local o="" t
	for t in ts sack ecn; do
		[[ " $1 " =~ [[:space:]]$t[[:space:]] ]] && o+="$t "
	done
	[[ $1 =~ wscale:([0-9]+,[0-9]+) ]] && o+="wscale:${BASH_REMATCH[1]}"
	echo "${o% }"
}
# ev_opts FILE EXPR: the same of the open event EXPR
ev_opts() {
	events_query "$1" "' '.join([x for x in ('ts', 'sack', 'ecn') if $2[{'ts': 'timestamps'}.get(x, x)]] + (['wscale:%d,%d' % ($2['snd_wscale'], $2['rcv_wscale'])] if $2['snd_wscale'] is not None else []))"
}

# the client's sysctl for the case and its default after it, the host, the
# options expected ("-": none; the window scales' figures from ss) (the client's window scale is 7 with its defaults)
events_start "$SNS" "$SIF" -j --type open && F=$EV_OUT
while read -r name sysctl default host want; do
	[ "$sysctl" = - ] || client_ns_exec sysctl -qw "net.ipv4.$sysctl"
	want=${want//_/ } want=${want#-}
	n=kmode_$name
	if hold_open "$CNS" "$host" $KP; then
		info=$(sock_info "$SNS" $KP)
		# the client's port: in the address after ours (ss -H: Recv-Q, Send-Q, local, peer)
		port=$(awk -v p=":$KP" '{ for (i = 1; i < NF; i++) if (substr($i, length($i) - length(p) + 1) == p) { print $(i + 1); exit } }' <<<"$info" | sed 's/.*://')
		E1="[e for e in E if e['sport'] == ${port:-0}]"
		ev_wait "$F" "len($E1) == 1" 5
		check_eq $n.one_open 1 "$(events_query "$F" "len($E1)")"
		check_eq $n.cookie kernel "$(events_query "$F" "$E1[0]['cookie']")"
		check_eq $n.mss_unknown None "$(events_query "$F" "$E1[0]['mss']")"
		check_eq $n.options "$want" "$(ev_opts "$F" "$E1[0]" | sed -E 's/wscale:[0-9]+,[0-9]+/wscale/')"
		# the server's (ours, the SYN-ACK's) in the event and in ss
		[[ $want == *wscale* ]] && check_eq $n.rcv_wscale "$KWS" "$(events_query "$F" "$E1[0]['rcv_wscale']")"
		check_eq $n.same_as_ss "$(ss_opts "$info")" "$(ev_opts "$F" "$E1[0]")"
		if [[ $want == ts* ]]; then
			check_num $n.cookie_age_ms -le 3000 "$(events_query "$F" "$E1[0]['cookie_age_ms']")"
		else
			check_eq $n.cookie_age_unknown None "$(events_query "$F" "$E1[0]['cookie_age_ms']")"
		fi
		hold_close
		check_eq $n.hold_closed 0 $?
	else
		fail $n.connect "the held connection did not open: $(_oneline "$(cat "$HOLD_LOG")")"
	fi
	[ "$sysctl" = - ] || client_ns_exec sysctl -qw "net.ipv4.${sysctl%=*}=$default"
done <<CASES
linux_v4 - - $S4 ts_sack_wscale
linux_v6 - - $S6 ts_sack_wscale
no_sack tcp_sack=0 1 $S4 ts_wscale
no_wscale tcp_window_scaling=0 1 $S4 ts_sack
ecn tcp_ecn=1 2 $S4 ts_sack_ecn_wscale
no_ts tcp_timestamps=0 1 $S4 -
CASES
events_stop

# the table: the options, "-" for the MSS
events_start "$SNS" "$SIF" --type open && F=$EV_OUT
if hold_open "$CNS" "$S4" $KP; then
	for _ in $(seq 50); do grep -q open "$F" && break; sleep 0.1; done
	hold_close
fi
events_stop
check_grep kmode_table.line "open +$C4:[0-9]+ +$S4:$KP +kernel's cookie: mss - wscale [0-9]+/$KWS sack ts, cookie age [0-9.]+s" "$(cat "$F")"

finish
