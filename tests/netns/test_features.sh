#!/usr/bin/env bash
# test_features.sh - a kernel without what shakeoff needs: attach names what
# is missing in one sentence, exits 1 and leaves nothing attached or pinned.
# The probe reads the kernel's BTF; SHAKEOFF_VMLINUX_BTF points it at BTF
# built here with clang, each time with one thing missing or wrong (this
# kernel has all of it), and at no BTF at all. The control: the same attach
# with this kernel's own BTF succeeds.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd clang
require_shakeoff

P=8080

setup_pair fe || bail setup "could not build the namespaces and the veth pair"

# btf NAME SNIPPET...: an object whose BTF has the kernel's names the
# snippets define: the kfunc, its argument struct, the TCX attach type.
KFUNC='int bpf_sk_assign_tcp_reqsk(void *s, void *sk, void *a, int n) { return n; }'
ATTRS='struct bpf_tcp_req_attrs { unsigned int v, e; unsigned short m; unsigned char f[10]; } a;'
ATTRS_16='struct bpf_tcp_req_attrs { unsigned int v, e; unsigned short m; unsigned char f[6]; } a;'
TCX='enum bpf_attach_type { BPF_CGROUP_INET_INGRESS, BPF_TCX_INGRESS = 46 } t;'
NOTCX='enum bpf_attach_type { BPF_CGROUP_INET_INGRESS } t;'
btf() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$TMPD/$name.c"
	clang -g -O2 -target bpf -c "$TMPD/$name.c" -o "$TMPD/$name.o" 2>"$TMPD/$name.err" ||
		bail "btf_$name" "clang: $(_oneline "$(cat "$TMPD/$name.err")")"
}
btf all "$KFUNC" "$ATTRS" "$TCX"
btf no_kfunc "$ATTRS" "$TCX"
btf no_attrs "$KFUNC" "$TCX"
btf attrs_16 "$KFUNC" "$ATTRS_16" "$TCX"
btf no_tcx "$KFUNC" "$ATTRS" "$NOTCX"

# probe NAME BTF REGEX: attach with that BTF must be refused saying REGEX.
probe() {
	SHAKEOFF_VMLINUX_BTF=$2 shakeoff_in "$SNS" attach "$SIF" --ports $P >/dev/null 2>"$TMPD/err"
	check_refused "$1" $? "$TMPD/err" "$SNS" "$SIF"
	check_grep "$1.says" "$3" "$(cat "$TMPD/err")"
}
_ATTACHED+=("$SNS $SIF") # should one of them attach after all
probe no_kfunc "$TMPD/no_kfunc.o" "lacks the kfunc bpf_sk_assign_tcp_reqsk \(added in Linux 6.9\)"
probe no_attrs "$TMPD/no_attrs.o" "lacks struct bpf_tcp_req_attrs"
probe attrs_16 "$TMPD/attrs_16.o" "struct bpf_tcp_req_attrs is 16 bytes, shakeoff knows the 20-byte one"
probe no_tcx "$TMPD/no_tcx.o" "lacks TCX links \(BPF_TCX_INGRESS, added in Linux 6.6\)"
probe no_btf "$TMPD/none" "cannot read the kernel's BTF .*CONFIG_DEBUG_INFO_BTF"

# The controls: BTF with all three passes the probe, and so does the kernel's.
SHAKEOFF_VMLINUX_BTF=$TMPD/all.o shakeoff_in "$SNS" attach "$SIF" --ports $P >/dev/null 2>"$TMPD/err"
check_eq control_built_btf.attached "0 " "$? $(_oneline "$(cat "$TMPD/err")")"
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
check_run control_kernel_btf.attach shakeoff_in "$SNS" attach "$SIF" --ports $P
check_run control_kernel_btf.detach shakeoff_in "$SNS" detach "$SIF"
check_clean control "$SNS" "$SIF"

finish
