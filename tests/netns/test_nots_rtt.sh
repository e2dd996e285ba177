#!/usr/bin/env bash
# test_nots_rtt.sh - a client without timestamps (Windows' default) over an
# emulated round trip (netem, 25 ms each way): its download through the
# offload runs with window scaling and SACK in force, so the window it
# offers the server grows past the 64 KB that a connection without window
# scaling is held to (at 50 ms, ~10 Mbit/s on any link), as with the kernel
# alone. The checks are on the window and the options the server's socket
# had during each download; both downloads' rates are printed with their
# ratio, for information (no timing assertion).
# Needs netem (sch_netem): this machine's 6.18 has none, Debian's kernels
# do, so it runs in make vmtest's 6.12 set and skips here, saying so.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd tc ss curl
require_shakeoff

P=9020 DELAY=25ms SIZE=$((8 << 20))

setup_pair rt || bail setup "could not build the namespaces and the veth pair"
if ! client_ns_exec tc qdisc add dev "$CIF" root netem delay $DELAY 2>"$TMPD/err"; then
	skip all "this kernel has no netem (sch_netem): $(_oneline "$(cat "$TMPD/err")")"
	_DONE=1
	exit 0
fi
server_ns_exec tc qdisc add dev "$SIF" root netem delay $DELAY ||
	bail netem "could not add netem to $SIF"
client_ns_exec sysctl -qw net.ipv4.tcp_timestamps=0 || bail sysctl "could not set tcp_timestamps=0 in $CNS"
mkdir -p "$TMPD/www"
head -c $SIZE /dev/zero >"$TMPD/www/big"
ns_bg "$SNS" "$PY" -m http.server --bind :: --directory "$TMPD/www" $P
wait_port "$SNS" $P || bail server "http.server did not listen on port $P"

# download NAME: fetch the file; the server's socket sampled all along (the
# line with the largest snd_wnd in $NAME.ss), the rate (bytes/s) in RATE.
download() {
	local name=$1 out="$TMPD/$1.ss" cpid
	: >"$out"
	client_ns_exec curl -s -o /dev/null -w '%{size_download} %{speed_download}\n' \
		"http://$S4:$P/big" >"$TMPD/$name.curl" 2>&1 &
	cpid=$!
	while kill -0 $cpid 2>/dev/null; do
		server_ns_exec ss -Htine state established "( sport = :$P )" >>"$out" 2>/dev/null
		sleep 0.2
	done
	wait $cpid || fail "$name.curl" "curl failed: $(_oneline "$(cat "$TMPD/$name.curl")")"
	check_eq "$name.size" $SIZE "$(cut -d' ' -f1 <"$TMPD/$name.curl")"
	RATE=$(cut -d' ' -f2 <"$TMPD/$name.curl" | cut -d. -f1)
	# ss -i puts each socket's figures on a line of their own
	INFO=$(awk 'match($0, /snd_wnd:[0-9]+/) { w = substr($0, RSTART + 8, RLENGTH - 8) + 0
		if (w > max) { max = w; line = $0 } } END { print line }' "$out")
	WND=$(grep -oE 'snd_wnd:[0-9]+' <<<"$INFO" | cut -d: -f2)
}

# check_window NAME: the options in force, and the window past 64 KB.
check_window() {
	check_nogrep "$1.no_ts" "$SS_TS" "$INFO"
	check_grep "$1.sack" "$SS_SACK" "$INFO"
	check_grep "$1.wscale" "$SS_WSCALE" "$INFO"
	check_num "$1.window_past_64k" -gt 65535 "${WND:-0}"
}

# 0. The kernel alone.
download kernel
check_window kernel
rate_kernel=$RATE wnd_kernel=$WND

# 1. Through the offload: the SYN's options rode in the synopts map.
attach_or_bail "$SNS" "$SIF" --ports $P
download offload
check_window offload
# restored at the third ACK, and again for the request if it met XDP
# before its socket existed (as in test_nots): 1 to ack_cookie_valid
restored=$(so_stat "$SNS" "$SIF" synopt_restored)
check_num offload.synopt_restored -ge 1 "$restored"
check_num offload.synopt_restored_per_cookie_ack -le "$(so_stat "$SNS" "$SIF" ack_cookie_valid)" "$restored"
check_num offload.conn_created -eq 1 "$(so_stat "$SNS" "$SIF" conn_created)"
say "download of $SIZE bytes at 50 ms RTT without timestamps: kernel alone" \
	"$((rate_kernel * 8 / 1000000)) Mbit/s (window up to $wnd_kernel), offload" \
	"$((RATE * 8 / 1000000)) Mbit/s (window up to $WND); ratio" \
	"$(awk -v a="$RATE" -v b="$rate_kernel" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
finish
