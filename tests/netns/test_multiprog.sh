#!/usr/bin/env bash
# test_multiprog.sh - attach --multiprog: shakeoff shares the server's veth
# with xdp-filter (Debian's xdp-tools) through libxdp's dispatcher.
#   both work    xdp-filter drops the port it denies (U), while connections
#                to the protected port P complete through shakeoff's cookies
#                (IPv4, IPv6; counters), and status says attached
#   detach one   detaching shakeoff leaves xdp-filter running (U still
#                dropped, P served by the kernel); with shakeoff attached
#                again, unloading xdp-filter leaves shakeoff running (U
#                served again, P still by cookies); then detach: all clean
# The dispatcher runs programs as freplace (BPF_PROG_TYPE_EXT): on a kernel
# that refuses those (this development machine's, without BPF trampolines),
# or that refuses packet-changing ones in the dispatcher's slots (Debian's
# 6.12 with Debian 12's libxdp 1.3), attach --multiprog must refuse in one
# sentence and leave nothing, and the rest is skipped. make vmtest runs it
# inside Debian's kernels. Where the kernel lacks the kfunc (6.1), attach
# picks completion mode kernel, whose sysctls the server namespace gets.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl ethtool xdp-filter xdp-loader
require_cli

P=8080 # protected by shakeoff
U=8081 # denied by xdp-filter

setup_pair || bail setup "could not build the namespaces and the veth pair"
if ! grep -qa bpf_sk_assign_tcp_reqsk /sys/kernel/btf/vmlinux; then
	server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2 ||
		bail sysctl "cannot set tcp_syncookies and tcp_timestamps for kernel mode in $SNS"
fi
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
start_http "$SNS" $U || bail server "http.server did not listen on port $U"

# xdp-filter and xdp-loader with the host's /sys/fs/bpf (as shakeoff_in).
xdp_in() {
	local ns=$1
	shift
	vsay "nsenter --net=/run/netns/$ns $*"
	nsenter --net="/run/netns/$ns" "$@"
}
_FILTER=0
cleanup_filter() { [ $_FILTER = 1 ] && xdp_in "$SNS" xdp-filter unload "$SIF" >/dev/null 2>&1; }
trap 'rc=$?; cleanup_filter; (exit $rc); _cleanup' EXIT

# The probe: shakeoff's own, on a fresh interface (nothing else on it).
shakeoff_in "$SNS" attach "$SIF" --ports $P --multiprog >"$TMPD/probe.out" 2>"$TMPD/probe.err"
rc=$?
if [ $rc != 0 ] && grep -q "freplace .*this kernel refuses to load them" "$TMPD/probe.err"; then
	check_refused no_freplace $rc "$TMPD/probe.err" "$SNS" "$SIF"
	skip sharing "this kernel does not load freplace programs, which libxdp's dispatcher needs"
	finish
fi
if [ $rc != 0 ] && grep -q "refuses freplace programs that change packet data" "$TMPD/probe.err"; then
	check_refused pkt_data $rc "$TMPD/probe.err" "$SNS" "$SIF"
	skip sharing "this kernel refuses freplace programs that change packet data in the slots of this libxdp's dispatcher"
	finish
fi
_ATTACHED+=("$SNS $SIF")
check_eq alone.attach 0 "$rc"
check_grep alone.says_dispatcher "in libxdp's dispatcher" "$(cat "$TMPD/probe.out")"
check_http alone.curl_v4 "$CNS" "http://$S4:$P/"
check_run alone.detach shakeoff_in "$SNS" detach "$SIF"
check_clean alone "$SNS" "$SIF"

# xdp-filter first (through libxdp: it makes the dispatcher), then shakeoff.
check_run filter.load xdp_in "$SNS" xdp-filter load -m native "$SIF" && _FILTER=1
check_run filter.deny xdp_in "$SNS" xdp-filter port $U
code=$(http_code "$CNS" "http://$S4:$U/")
check_eq filter.drops_u 000 "$code"
attach_or_bail "$SNS" "$SIF" --ports $P --multiprog
loader=$(xdp_in "$SNS" xdp-loader status "$SIF" 2>&1)
check_grep both.loader_lists_shakeoff "xdp_shakeoff" "$loader"
check_grep both.loader_lists_filter "xdpfilt" "$loader"
check_eq both.status_attached true "$(so_status "$SNS" "$SIF" attached)"
for i in 1 2; do
	check_http "both.curl_v4.$i" "$CNS" "http://$S4:$P/"
	check_http "both.curl_v6.$i" "$CNS" "http://[$S6]:$P/"
done
# one SYN and one connection per curl to P since the attach
check_num both.synack_sent -eq 4 "$(so_stat "$SNS" "$SIF" synack_sent)"
check_num both.conn_created -eq 4 "$(so_stat "$SNS" "$SIF" conn_created)"
check_eq both.filter_still_drops_u 000 "$(http_code "$CNS" "http://[$S6]:$U/")"

# Detach shakeoff: xdp-filter stays.
check_run detach.shakeoff shakeoff_in "$SNS" detach "$SIF"
loader=$(xdp_in "$SNS" xdp-loader status "$SIF" 2>&1)
check_nogrep detach.loader_no_shakeoff "xdp_shakeoff" "$loader"
check_grep detach.loader_keeps_filter "xdpfilt" "$loader"
check_eq detach.filter_drops_u 000 "$(http_code "$CNS" "http://$S4:$U/")"
check_http detach.kernel_serves_p "$CNS" "http://$S4:$P/"
check_eq detach.no_pins "" "$(ls -A "$(pin_dir "$SNS" "$SIF")" 2>/dev/null)"

# shakeoff again, then unload xdp-filter: shakeoff stays.
attach_or_bail "$SNS" "$SIF" --ports $P --multiprog
before=$(so_stat "$SNS" "$SIF" synack_sent)
check_run unload.filter xdp_in "$SNS" xdp-filter unload "$SIF" && _FILTER=0
loader=$(xdp_in "$SNS" xdp-loader status "$SIF" 2>&1)
check_grep unload.loader_keeps_shakeoff "xdp_shakeoff" "$loader"
check_nogrep unload.loader_no_filter "xdpfilt" "$loader"
check_eq unload.status_attached true "$(so_status "$SNS" "$SIF" attached)"
check_http unload.u_served "$CNS" "http://$S4:$U/"
check_http unload.curl_v4 "$CNS" "http://$S4:$P/"
check_http unload.curl_v6 "$CNS" "http://[$S6]:$P/"
# the two curls to P (U is not protected)
check_num unload.synack_sent -eq $((before + 2)) "$(so_stat "$SNS" "$SIF" synack_sent)"
check_run unload.detach shakeoff_in "$SNS" detach "$SIF"
check_clean final "$SNS" "$SIF"

finish
