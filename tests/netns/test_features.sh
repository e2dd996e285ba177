#!/usr/bin/env bash
# test_features.sh - what attach builds on, probed in the kernel's BTF:
# a kernel without what shakeoff needs gets one sentence naming what is
# missing, exit 1 and nothing attached or pinned; a kernel without the kfunc
# gets completion mode kernel (the 6.0-6.8 shape, Debian 12's 6.1), one
# without TCX gets clsact filters, and both work end to end.
# The probe reads the kernel's BTF; SHAKEOFF_VMLINUX_BTF points it at BTF
# built here with clang, each time with one thing missing or wrong (this
# kernel has all of it), and at no BTF at all. The control: the same attach
# with this kernel's own BTF succeeds.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd clang nft
require_cli

P=8080

setup_pair fe || bail setup "could not build the namespaces and the veth pair"
client_syn_counters $P || bail nft "could not load the client's nft counter"

# btf NAME SNIPPET...: an object whose BTF has the kernel's names the
# snippets define: the kfunc, its argument struct, the TCX attach type.
KFUNC='int bpf_sk_assign_tcp_reqsk(void *s, void *sk, void *a, int n) { return n; }'
ATTRS='struct bpf_tcp_req_attrs { unsigned int v, e; unsigned short m; unsigned char f[10]; } a;'
ATTRS_16='struct bpf_tcp_req_attrs { unsigned int v, e; unsigned short m; unsigned char f[6]; } a;'
TCX='enum bpf_attach_type { BPF_CGROUP_INET_INGRESS, BPF_TCX_INGRESS = 46 } t;'
NOTCX='enum bpf_attach_type { BPF_CGROUP_INET_INGRESS } t;'
RAW='enum bpf_func_id { BPF_FUNC_unspec, BPF_FUNC_tcp_raw_check_syncookie_ipv4 = 206 } h;'
btf() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$TMPD/$name.c"
	clang -g -O2 -target bpf -c "$TMPD/$name.c" -o "$TMPD/$name.o" 2>"$TMPD/$name.err" ||
		bail "btf_$name" "clang: $(_oneline "$(cat "$TMPD/$name.err")")"
}
btf all "$KFUNC" "$ATTRS" "$TCX" "$RAW"
btf no_kfunc_no_raw "$ATTRS" "$TCX"
btf no_kfunc "$ATTRS" "$TCX" "$RAW"
btf no_attrs "$KFUNC" "$TCX" "$RAW"
btf attrs_16 "$KFUNC" "$ATTRS_16" "$TCX" "$RAW"
btf no_tcx "$KFUNC" "$ATTRS" "$NOTCX" "$RAW"
btf linux61 "$NOTCX" "$RAW" # 6.1: no kfunc, no TCX, the raw cookie helpers

# probe NAME BTF REGEX [ARGS]: attach with that BTF must be refused saying REGEX.
probe() {
	SHAKEOFF_VMLINUX_BTF=$2 shakeoff_in "$SNS" attach "$SIF" --ports $P "${@:4}" >/dev/null \
		2>"$TMPD/err"
	check_refused "$1" $? "$TMPD/err" "$SNS" "$SIF"
	check_grep "$1.says" "$3" "$(cat "$TMPD/err")"
}
_ATTACHED+=("$SNS $SIF") # should one of them attach after all
probe no_kfunc_no_raw "$TMPD/no_kfunc_no_raw.o" \
	"lacks bpf_sk_assign_tcp_reqsk \(Linux 6.9\) and the raw SYN cookie helpers"
probe no_kfunc_forced "$TMPD/no_kfunc.o" \
	"lacks the kfunc bpf_sk_assign_tcp_reqsk \(added in Linux 6.9\), which --complete kfunc needs" \
	--complete kfunc
probe no_attrs "$TMPD/no_attrs.o" "lacks struct bpf_tcp_req_attrs"
probe attrs_16 "$TMPD/attrs_16.o" "struct bpf_tcp_req_attrs is 16 bytes, shakeoff knows the 20-byte one"
probe no_btf "$TMPD/none" "cannot read the kernel's BTF .*CONFIG_DEBUG_INFO_BTF"
# Without the kfunc the probe picks kernel mode, whose sysctls the namespace
# does not have yet: named, one at a time, with the value needed.
probe no_kfunc_syncookies "$TMPD/no_kfunc.o" \
	"net.ipv4.tcp_syncookies is 1 in this network namespace: --complete kernel needs 2"
server_ns_exec sysctl -qw net.ipv4.tcp_syncookies=2
probe no_kfunc_timestamps "$TMPD/no_kfunc.o" \
	"net.ipv4.tcp_timestamps is 1 in this network namespace: --complete kernel needs 2"
probe kernel_wscale "$TMPD/no_kfunc.o" "--wscale does not apply to --complete kernel" --wscale 7
probe kernel_secret "$TMPD/no_kfunc.o" "--secret-file does not apply to --complete kernel" \
	--secret-file /dev/null

# What the running kernel really has (the built BTF may claim more than it).
kbtf=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null)
want_complete=kernel want_tc=clsact
grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'" <<<"$kbtf" && want_complete=kfunc
grep -q "'BPF_TCX_INGRESS'" <<<"$kbtf" && want_tc=tcx
unset kbtf

# works BTF NAME COMPLETE TC: attach with BTF picks completion mode COMPLETE
# and TC attachment TC; status and stats say so, connections complete, and
# detach leaves nothing behind. Only where this kernel has what BTF claims.
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
works() {
	local name=$1 out syn0
	if { [ "$3" = kfunc ] && [ $want_complete != kfunc ]; } || { [ "$4" = tcx ] && [ $want_tc != tcx ]; }; then
		skip "$name" "this kernel lacks what the built BTF claims ($3, $4)"
		return
	fi
	SHAKEOFF_VMLINUX_BTF=$2 shakeoff_in "$SNS" attach "$SIF" --ports $P >"$TMPD/out" 2>"$TMPD/err"
	check_eq "$name.attached" "0 " "$? $(_oneline "$(cat "$TMPD/err")")"
	check_eq "$name.status_complete" "$3" "$(so_status "$SNS" "$SIF" complete)"
	check_eq "$name.status_tc" "$4" "$(so_status "$SNS" "$SIF" tc)"
	check_eq "$name.stats_complete" "$3" "$(so_stat "$SNS" "$SIF" complete)"
	out=$(tc -n "$SNS" filter show dev "$SIF" egress)
	if [ "$4" = clsact ]; then
		check_grep "$name.clsact_filter" "tc_egress" "$out"
	else
		check_eq "$name.no_clsact_filter" "" "$out"
	fi
	syn0=$(client_syn_count $P)
	check_run "$name.xfer_v4" client_ns_exec "$PY" "$TCPTOOL" xfer $S4 $P 100000
	check_run "$name.xfer_v6" client_ns_exec "$PY" "$TCPTOOL" xfer $S6 $P 100000
	# a fresh attachment: two connections, every SYN of theirs answered
	check_num "$name.conn_created" -eq 2 "$(so_stat "$SNS" "$SIF" conn_created)"
	check_num "$name.synack_sent" -eq $(($(client_syn_count $P) - syn0)) "$(so_stat "$SNS" "$SIF" synack_sent)"
	check_run "$name.detach" shakeoff_in "$SNS" detach "$SIF"
	check_clean "$name" "$SNS" "$SIF"
}
server_ns_exec sysctl -qw net.ipv4.tcp_timestamps=2
works no_kfunc_picks_kernel "$TMPD/no_kfunc.o" kernel tcx
works linux61_kernel_clsact "$TMPD/linux61.o" kernel clsact
works no_tcx_kfunc_clsact "$TMPD/no_tcx.o" kfunc clsact

# A failed attach on clsact leaves no filter behind, nor the clsact qdisc it
# made: the TC filters are made first, then the XDP link fails (another XDP
# program holds the interface). (A detach leaves the qdisc, as tc would.)
tc -n "$SNS" qdisc del dev "$SIF" clsact 2>/dev/null
MA=$(gcc -print-multiarch 2>/dev/null)
if clang -O2 -g -target bpf ${MA:+-I/usr/include/$MA} -c "$TOP/tests/netns/xdp_pass.bpf.c" \
	-o "$TMPD/xdp_pass.o" 2>"$TMPD/clang.err" &&
	ip -n "$SNS" link set dev "$SIF" xdp obj "$TMPD/xdp_pass.o" sec xdp 2>"$TMPD/ip.err"; then
	SHAKEOFF_VMLINUX_BTF=$TMPD/linux61.o shakeoff_in "$SNS" attach "$SIF" --ports $P \
		>/dev/null 2>"$TMPD/err"
	check_eq clsact_failed_attach.exit 1 $?
	check_grep clsact_failed_attach.says "another XDP program" "$(cat "$TMPD/err")"
	check_eq clsact_failed_attach.no_filters "" "$(tc -n "$SNS" filter show dev "$SIF" ingress; \
		tc -n "$SNS" filter show dev "$SIF" egress)"
	check_eq clsact_failed_attach.no_qdisc "" "$(tc -n "$SNS" qdisc show dev "$SIF" clsact)"
	ip -n "$SNS" link set dev "$SIF" xdp off
else
	fail clsact_failed_attach.setup "cannot attach xdp_pass: $(_oneline "$(cat "$TMPD"/clang.err "$TMPD"/ip.err)")"
fi

# The controls: BTF with all of it passes the probe (kfunc mode; where
# this kernel has it all), and so does the kernel's, in the mode and with
# the TC attachment its BTF says.
if [ $want_complete = kfunc ] && [ $want_tc = tcx ]; then
	SHAKEOFF_VMLINUX_BTF=$TMPD/all.o shakeoff_in "$SNS" attach "$SIF" --ports $P >/dev/null 2>"$TMPD/err"
	check_eq control_built_btf.attached "0 " "$? $(_oneline "$(cat "$TMPD/err")")"
	check_eq control_built_btf.complete kfunc "$(so_status "$SNS" "$SIF" complete)"
	shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
else
	skip control_built_btf "this kernel lacks the kfunc or TCX that the built BTF claims"
fi
check_run control_kernel_btf.attach shakeoff_in "$SNS" attach "$SIF" --ports $P
check_eq control_kernel_btf.complete $want_complete "$(so_status "$SNS" "$SIF" complete)"
check_eq control_kernel_btf.tc $want_tc "$(so_status "$SNS" "$SIF" tc)"
check_run control_kernel_btf.detach shakeoff_in "$SNS" detach "$SIF"
check_clean control "$SNS" "$SIF"

# An orphan on clsact (its interface deleted, the filters gone with it) is
# reclaimed like any other by the next command.
SHAKEOFF_VMLINUX_BTF=$TMPD/linux61.o shakeoff_in "$SNS" attach "$SIF" --ports $P >/dev/null 2>&1
check_eq orphan_clsact.tc clsact "$(so_status "$SNS" "$SIF" tc)"
PIN=$(pin_dir "$SNS" "$SIF")
ip -n "$SNS" link del "$SIF"
if [ -e "$PIN" ]; then
	out=$(shakeoff_in "$SNS" status 2>&1)
	# (another run's command may reclaim it first: runs share /sys/fs/bpf)
	[ -e "$PIN" ] || [ -n "$out" ] &&
		check_grep orphan_clsact.says "removed $PIN: the interface $SIF it was attached to is gone|no shakeoff attachment" "$out"
else
	skip orphan_clsact.says "another run's shakeoff command reclaimed it first (runs share /sys/fs/bpf)"
fi
check_eq orphan_clsact.no_pins "" "$(ls -A "$PIN" 2>/dev/null)"

finish
