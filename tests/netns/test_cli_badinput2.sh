#!/usr/bin/env bash
# test_cli_badinput2.sh - more bad input than test_badinput.sh covers. Each
# must be refused with one line on stderr that names what is wrong, a
# non-zero exit, and nothing changed: no pins or programs for the target
# interface, and the attachment that already runs on another interface
# exactly as before (status -j, its pins, its XDP program).
#   --ports      80-, to attach and to set (the other lists are rows of
#                test_cli's table, tests/cli/test_ports.c)
#   --secret-file  to attach: 15 raw bytes (the other files are rows of
#                tests/cli/test_secret.c); to rekey: 15 and 17 raw bytes,
#                31 hex digits, 32 characters that are not all hex, empty, a
#                directory, a path that does not exist (secret_gen unchanged)
#   options      an unknown command, an option of another command (unknown,
#                missing and extra options and arguments: tests/cli/test_options.c)
#   namespace    an interface that exists only in the client's namespace:
#                attach, detach, stats and conns refuse it, and nothing
#                appears on it
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool ethtool
require_shakeoff

P=8080

setup_pair b2 || bail setup "could not build the namespaces and the veth pair"
attach_or_bail "$SNS" "$SIF" --ports $P
PIN=$(pin_dir "$SNS" "$SIF")
# A second interface in the server namespace, never attached.
IF2=sob2x${RUNID: -6} IF3=sob2y${RUNID: -6}
ip -n "$SNS" link add "$IF2" type veth peer name "$IF3" && ip -n "$SNS" link set "$IF2" up &&
	ip -n "$SNS" link set "$IF3" up || bail veth "could not add a second veth pair"
_PINDIRS+=("$(pin_dir "$SNS" "$IF2")" "$(pin_dir "$SNS" "$CIF")" "$(pin_dir "$CNS" "$CIF")")
_ATTACHED+=("$SNS $IF2")

# The running attachment, as status, its pins and the interface show it.
snapshot() {
	# (without the host's clock, whose error bounds move on their own)
	shakeoff_in "$SNS" status "$SIF" -j 2>&1 |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); d.pop("clock", None); print(json.dumps(d))' 2>&1
	ls -A "$PIN" 2>&1 | tr '\n' ' '
	echo
	ip -n "$SNS" -d link show dev "$SIF" | grep -o 'prog/xdp id [0-9]*'
}
BASE=$(snapshot)
check_grep base.attached '"attached": *true' "$BASE"

# refused NAME IFACE PATTERN CMD...: the CLI refuses CMD in the server
# namespace with one line matching PATTERN; nothing for IFACE; SIF as before.
refused() {
	local name=$1 ifc=$2 pat=$3 rc
	shift 3
	shakeoff_in "$SNS" "$@" >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
	check_refused "$name" $rc "$TMPD/err" "$SNS" "$ifc"
	check_grep "$name.says_why" "$pat" "$(cat "$TMPD/err")"
	check_eq "$name.running_unchanged" "$BASE" "$(snapshot)"
}

# --- --ports ------------------------------------------------------------------------
i=0
for p in 80-; do
	i=$((i + 1))
	# the message quotes the item, or says which rule the list broke
	pat="--ports.*('$(sed 's/[][\.*^$+]/\\&/g' <<<"$p")'|empty)"
	refused "ports$i.attach" "$IF2" "$pat" attach "$IF2" --ports "$p"
	refused "ports$i.set" "$IF2" "$pat" set "$SIF" --ports "$p"
done

# --- --secret-file ------------------------------------------------------------------------
printf '0123456789abcde' >"$TMPD/raw15"
printf '0123456789abcdef0' >"$TMPD/raw17"
printf '0123456789abcdef0123456789abcde' >"$TMPD/hex31"
printf '0123456789abcdef0123456789abcdeg' >"$TMPD/nothex"
: >"$TMPD/empty"
mkdir "$TMPD/dir"
refused "secret_raw15.attach" "$IF2" "$TMPD/raw15" attach "$IF2" --ports $P --secret-file "$TMPD/raw15"
for f in raw15 raw17 hex31 nothex empty dir missing; do
	refused "secret_$f.rekey" "$IF2" "$TMPD/$f" rekey "$SIF" --secret-file "$TMPD/$f"
done
# The control: a good key file is taken (and rekey then changes the secret),
# once --force allows it to drop the attachment's random key, which issues
# cookies now: without, refused, naming that key.
printf '0123456789abcdef0123456789abcdef' >"$TMPD/good"
refused secret_good.drops_issuing_key "$IF2" \
	"drops key $(so_status "$SNS" "$SIF" keys.0.fingerprint), which issues its cookies now.*--force" \
	rekey "$SIF" --secret-file "$TMPD/good"
check_run secret_good.rekey shakeoff_in "$SNS" rekey "$SIF" --secret-file "$TMPD/good" --force
check_eq secret_good.gen 1 "$(so_status "$SNS" "$SIF" secret_gen)"
BASE=$(snapshot)

# --- options and commands -------------------------------------------------------------------
refused cmd_unknown "$IF2" "attack" attack "$IF2" --ports $P
refused opt_after_detach "$IF2" "--ports" detach "$SIF" --ports $P

# --- an interface of another namespace ---------------------------------------------------------
ip -n "$CNS" link show dev "$CIF" >/dev/null || bail other_ns "$CIF is not in $CNS"
# The sentence must say what is wrong: no such interface here (not some
# consequence of it, such as an MTU that cannot be read).
nsp="$CIF.*(no interface of that name in this network namespace|has no shakeoff attached in this network namespace)"
refused other_ns.attach "$CIF" "$nsp" attach "$CIF" --ports $P
refused other_ns.attach_mss "$CIF" "$nsp" attach "$CIF" --ports $P --mss4 1400 --mss6 1400
refused other_ns.detach "$CIF" "$nsp" detach "$CIF"
refused other_ns.stats "$CIF" "$nsp" stats "$CIF"
refused other_ns.conns "$CIF" "$nsp" conns "$CIF"
check_eq other_ns.client_iface_untouched "" "$(iface_leftovers "$CNS" "$CIF")"
check_eq other_ns.no_pins_in_client_ns "" "$(ls -A "$(pin_dir "$CNS" "$CIF")" 2>/dev/null)"

finish
