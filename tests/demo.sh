#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/demo.sh - shakeoff in two minutes (make demo).
#
# A client and a server namespace joined by a veth pair; an unmodified
# python3 http.server in the server namespace; shakeoff on the server's veth
# answering the SYNs to port 8080 in XDP. curl (IPv4, IPv6) and ab connect
# through it; status, stats and an nft counter show what happened. Every
# command that matters is printed before it runs. Everything is removed at
# the end, also on Ctrl-C.
TEST=demo
. "$(dirname "$0")/lib.sh"
require_root
require_cmd curl ab nft ethtool
require_shakeoff

P=8080

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() {
	printf '$ %s\n' "${*#"$TOP/"}"
	"$@" || bail "step" "'$*' failed (exit $?)"
}
so() { run "$SHAKEOFF" -n "$SNS" "$@"; }

step "Two namespaces joined by a veth pair (no route out of them)"
setup_pair d || bail setup "could not build the namespaces and the veth pair"
echo "client: netns $CNS, $CIF, $C4 and $C6"
echo "server: netns $SNS, $SIF, $S4 and $S6"
run ip netns exec "$CNS" ethtool -K "$CIF" tx off gro on

step "An unmodified web server in the server namespace"
mkdir -p "$TMPD/www" && echo "Hello through shakeoff" >"$TMPD/www/index.html"
printf '$ %s\n' "ip netns exec $SNS $PY -m http.server --bind :: --directory $TMPD/www $P &"
ns_bg "$SNS" "$PY" -m http.server --bind :: --directory "$TMPD/www" $P
wait_port "$SNS" $P || bail server "http.server did not listen"

step "An nft counter of the SYNs that reach the server's TCP stack"
nft_syn_counters "$SNS" $P || bail nft "could not load the nft counter"
run ip netns exec "$SNS" nft list chain inet so_test prerouting

step "Attach shakeoff to the server's veth, protecting port $P"
_ATTACHED+=("$SNS $SIF")
so attach "$SIF" --ports $P

step "Connect over IPv4 and IPv6"
run ip netns exec "$CNS" curl -sS "http://$S4:$P/"
run ip netns exec "$CNS" curl -sS -g "http://[$S6]:$P/"

step "A short load test: 500 requests, 10 at a time"
printf '$ %s\n' "ip netns exec $CNS ab -n 500 -c 10 http://$S4:$P/"
ip netns exec "$CNS" ab -n 500 -c 10 "http://$S4:$P/" 2>&1 |
	grep -E '^(Complete requests|Failed requests|Non-2xx|Requests per second)'

step "What shakeoff did"
so status "$SIF"
so stats "$SIF"

step "SYNs to port $P that reached the server's stack: the XDP program answered them all"
run ip netns exec "$SNS" nft list chain inet so_test prerouting
n=$(nft_syn_count "$SNS" $P)
echo "-> $n SYNs reached the stack, yet $(so_stat "$SNS" "$SIF" conn_created) connections were accepted."

step "Detach (the namespaces are removed on exit)"
so detach "$SIF"
echo "Done; removing the namespaces, the veth pair and the server."
finish
