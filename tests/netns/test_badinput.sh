#!/usr/bin/env bash
# test_badinput.sh - the CLI refuses bad input with one sentence on stderr,
# exit 1 or 2, and leaves nothing attached or pinned: an unknown interface,
# port 0 (one case of the option parser, end to end: the port lists, the
# option types and their bounds are test_cli's tables, tests/cli), a second
# attach to the same interface (the first stays intact), and a user who is
# not root.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd curl setpriv ethtool
require_shakeoff

P=8080

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"

# refused NAME IFACE CMD-ARGS...: run the CLI in the server namespace; it must
# refuse, and nothing may be left for IFACE.
refused() {
	local name=$1 ifc=$2
	shift 2
	shakeoff_in "$SNS" "$@" >/dev/null 2>"$TMPD/err"
	check_refused "$name" $? "$TMPD/err" "$SNS" "$ifc"
}

NOIF=sox$RUNID
_PINDIRS+=("$(pin_dir "$SNS" "$NOIF")")
refused unknown_iface "$NOIF" attach "$NOIF" --ports $P
_ATTACHED+=("$SNS $SIF") # in case one of these attaches after all
refused port_0 "$SIF" attach "$SIF" --ports 0

# A second attach: refused, and the first one is untouched.
attach_or_bail "$SNS" "$SIF" --ports $P
PIN=$(pin_dir "$SNS" "$SIF")
pins_before=$(ls -A "$PIN" 2>&1 | tr '\n' ' ')
xdp_before=$(ip -n "$SNS" -d link show dev "$SIF" | grep -o 'prog/xdp id [0-9]*')
shakeoff_in "$SNS" attach "$SIF" --ports 9000 >/dev/null 2>"$TMPD/err"
rc=$?
check_grep second_attach.exit_1_or_2 '^[12]$' "$rc"
check_eq second_attach.one_line 1 "$(grep -c '' "$TMPD/err")"
check_eq second_attach.pins_unchanged "$pins_before" "$(ls -A "$PIN" 2>&1 | tr '\n' ' ')"
check_eq second_attach.xdp_unchanged "$xdp_before" "$(ip -n "$SNS" -d link show dev "$SIF" | grep -o 'prog/xdp id [0-9]*')"
ports=$(so_status "$SNS" "$SIF" ports)
check_grep second_attach.ports_kept "\\b$P\\b" "$ports"
check_nogrep second_attach.ports_not_replaced '\b9000\b' "$ports"
check_http second_attach.first_still_works "$CNS" "http://$S4:$P/"
check_num second_attach.first_still_works_stats -eq 1 "$(so_stat "$SNS" "$SIF" conn_created)"

# Not root: the binary runs as nobody, but may not attach or detach.
cp "$SHAKEOFF" "$TMPD/shakeoff" && chmod 755 "$TMPD/shakeoff"
nobody() {
	nsenter --net="/run/netns/$SNS" setpriv --reuid=65534 --regid=65534 --clear-groups "$TMPD/shakeoff" "$@"
}
if ! nobody --version >/dev/null 2>"$TMPD/err"; then
	fail non_root.runs "shakeoff --version as uid 65534 failed: $(_oneline "$(cat "$TMPD/err")")"
else
	nobody detach "$SIF" >/dev/null 2>"$TMPD/err"
	rc=$?
	check_grep non_root.detach_exit_1_or_2 '^[12]$' "$rc"
	check_eq non_root.detach_one_line 1 "$(grep -c '' "$TMPD/err")"
	check_eq non_root.detach_left_pins "$pins_before" "$(ls -A "$PIN" 2>&1 | tr '\n' ' ')"
	check_run non_root.detach_by_root shakeoff_in "$SNS" detach "$SIF"
	nobody attach "$SIF" --ports $P >/dev/null 2>"$TMPD/err"
	check_refused non_root.attach $? "$TMPD/err" "$SNS" "$SIF"
fi

finish
