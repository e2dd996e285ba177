#!/usr/bin/env bash
# test_txmode.sh - how SYN-ACKs leave, and the XDP attach modes:
#   --tx xdp       XDP_TX; on a veth the client's end must run XDP, so the
#                  test loads xdp_pass.bpf.c there with iproute2
#   --tx redirect  bpf_redirect to the same veth; the client end only has GRO
#   --tx auto      the default; on a veth it must pick a mode that works
#   --mode skb     generic XDP
# Each: curl over IPv4 and IPv6 succeeds, the SYN-ACKs were ours, status -j
# reports the modes asked for, and the veth's own XDP counters show which way
# the two SYN-ACKs left.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl clang ethtool nft
require_shakeoff

P=8080

setup_pair || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"

# xdp_sum WHAT: the server veth's native XDP counter rx_queue_*_xdp_WHAT
# (tx or redirect), summed over its queues.
xdp_sum() {
	server_ns_exec ethtool -S "$SIF" | awk -v w="_xdp_$1:" '$1 ~ /^rx_queue_/ && $1 ~ w"$" { n += $2 } END { print n + 0 }'
}

# try_mode NAME ATTACH-ARGS...: attach, two GETs, check, detach. TX_DELTA and
# REDIR_DELTA: how many frames the veth's XDP sent back with XDP_TX and with
# a redirect meanwhile (native mode only).
try_mode() {
	local name=$1 tx0 redir0 syn0
	shift
	if ! so_attach "$SNS" "$SIF" --ports $P "$@"; then
		fail "$name.attach" "'attach $*' exited $?: $(_oneline "$(cat "$TMPD/attach.err")")"
		return
	fi
	tx0=$(xdp_sum tx) redir0=$(xdp_sum redirect) syn0=$(client_syn_count $P)
	check_http "$name.curl_v4" "$CNS" "http://$S4:$P/"
	check_http "$name.curl_v6" "$CNS" "http://[$S6]:$P/"
	TX_DELTA=$(($(xdp_sum tx) - tx0)) REDIR_DELTA=$(($(xdp_sum redirect) - redir0))
	# a fresh attachment: every SYN of the two GETs answered, two connections
	check_num "$name.synack_sent" -eq $(($(client_syn_count $P) - syn0)) "$(so_stat "$SNS" "$SIF" synack_sent)"
	check_num "$name.conn_created" -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"
	STATUS=$(shakeoff_in "$SNS" status "$SIF" -j 2>&1)
	check_run "$name.detach" shakeoff_in "$SNS" detach "$SIF"
}

# --tx xdp, with an XDP program on the client's veth.
MA=$(gcc -print-multiarch 2>/dev/null)
if ! clang -O2 -g -target bpf ${MA:+-I/usr/include/$MA} -c "$TOP/tests/netns/xdp_pass.bpf.c" \
	-o "$TMPD/xdp_pass.o" 2>"$TMPD/clang.err"; then
	fail tx_xdp.build "clang: $(_oneline "$(cat "$TMPD/clang.err")")"
elif ! ip -n "$CNS" link set dev "$CIF" xdp obj "$TMPD/xdp_pass.o" sec xdp 2>"$TMPD/ip.err"; then
	skip tx_xdp "iproute2 could not load an XDP program on the client veth: $(_oneline "$(cat "$TMPD/ip.err")")"
else
	try_mode tx_xdp --tx xdp
	check_eq tx_xdp.status_tx xdp "$(json_get tx <<<"$STATUS")"
	check_eq tx_xdp.veth_xdp_tx_redirect "2 0" "$TX_DELTA $REDIR_DELTA"
	ip -n "$CNS" link set dev "$CIF" xdp off
fi

# --tx redirect: the client veth has GRO on and no XDP.
try_mode tx_redirect --tx redirect
check_eq tx_redirect.status_tx redirect "$(json_get tx <<<"$STATUS")"
check_eq tx_redirect.veth_xdp_tx_redirect "0 2" "$TX_DELTA $REDIR_DELTA"

# --tx auto (the default), explicitly.
try_mode tx_auto --tx auto

# Generic XDP.
try_mode mode_skb --mode skb
check_eq mode_skb.status_mode skb "$(json_get mode <<<"$STATUS")"

# Native is the default.
try_mode mode_native --mode native
check_eq mode_native.status_mode native "$(json_get mode <<<"$STATUS")"

finish
