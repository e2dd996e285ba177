#!/usr/bin/env bash
# test_fault_kill.sh - the CLI killed with SIGKILL in the middle of attach
# (and of detach): after a delay, or the moment a stage of it appears in
# bpffs (tmp directory, maps, programs, each link, the final directory). After
# each kill, before any command runs, the test notes what is really there:
# nothing, a tmp pin directory (the attach died half-way, maybe with its
# links already on the interface), or a complete attachment. Then:
#   status     tells the truth: a complete attachment is listed as attached
#              (and its XDP program is on the interface); anything less is
#              not listed, and status's stale cleanup has removed it (no tmp
#              directory, the interface clean)
#   again      attach works if status lists nothing, is refused (one line)
#              if it lists the attachment, and detach then works
# Two long connections (IPv4, IPv6) made through shakeoff before the loop
# echo messages through all of it and must end intact. Nothing of ours is
# left at the end.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool ss ethtool
require_shakeoff

P=9800

setup_pair fk || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P
stream_start "$CNS" "$S4" $P || bail stream_v4 "no connection"
ST4=$STREAM_CTL ST4_PID=$STREAM_PID
stream_start "$CNS" "$S6" $P || bail stream_v6 "no connection"
ST6=$STREAM_CTL ST6_PID=$STREAM_PID
check_run setup.detach shakeoff_in "$SNS" detach "$SIF"
PIN=$(pin_dir "$SNS" "$SIF")
NSDIR=$(dirname "$PIN")

# truth: what is there, looked at without the CLI: "attached" (the final
# pin directory), "tmp" (a tmp directory of a dead attach or detach; "+xdp"
# when its XDP program is on the interface) or "none"; "+stray" if the
# interface carries programs nothing pinned explains.
truth() {
	local t=none left
	if [ -d "$PIN" ]; then
		t=attached
	elif compgen -G "$NSDIR/$SIF:tmp-*" >/dev/null; then
		t=tmp
		grep -q 'prog/xdp' <<<"$(ip -n "$SNS" -d link show dev "$SIF")" && t+=+xdp
	fi
	left=$(iface_leftovers "$SNS" "$SIF")
	[ $t = none ] && [ -n "$left" ] && t+=+stray
	echo $t
}

# status_truthful NAME TRUTH: status agrees with what was there; LISTED
# says what it listed (attached, listed_detached or none).
status_truthful() {
	local name=$1 truth=$2 st
	st=$(shakeoff_in "$SNS" status -j 2>&1)
	LISTED=$("$PY" -c '
import json, sys
a = [x for x in json.loads(sys.argv[1]) if x["ifname"] == sys.argv[2]]
print("attached" if a and a[0]["attached"] else "listed_detached" if a else "none")' "$st" "$SIF" 2>&1)
	case $truth in
	attached) check_eq "$name.status" attached "$LISTED"
		check_grep "$name.xdp_on_iface" 'prog/xdp' "$(ip -n "$SNS" -d link show dev "$SIF")" ;;
	*) check_eq "$name.status" none "$LISTED"
		# status removed what the dead process left
		check_clean "$name.after_status" "$SNS" "$SIF"
		check_eq "$name.no_tmp_dir" "" "$(ls -d "$NSDIR/$SIF":tmp-* 2>/dev/null)" ;;
	esac
}

# stopped_cli ARGS...: start the CLI in the server namespace, stopped
# (SIGSTOP) before it runs; BG_PID. kill_at lets it go.
stopped_cli() { so_bg "$SNS" bash -c 'kill -STOP $$; exec "$@"' bash "$SHAKEOFF" "$@"; }

# kill_at PID WHEN: let the stopped PID go on (SIGCONT), and SIGKILL it as
# soon as WHEN happens: a delay in seconds, or a path (glob) appearing;
# prints "hit", or "done" if the process ended first.
kill_at() {
	"$PY" - "$@" <<-'EOF'
	import glob, os, signal, sys, time
	pid, when = int(sys.argv[1]), sys.argv[2]
	end = time.time() + 10
	while time.time() < end:
	    with open("/proc/%d/stat" % pid) as f:
	        if f.read().rsplit(")", 1)[1].split()[0] == "T":
	            break
	    time.sleep(0.001)
	os.kill(pid, signal.SIGCONT)
	if when[0].isdigit():
	    time.sleep(float(when))
	else:
	    end = time.time() + 10
	    while not glob.glob(when) and time.time() < end:
	        try:
	            os.kill(pid, 0)
	        except ProcessLookupError:
	            break
	        time.sleep(0.0002)
	try:
	    os.kill(pid, signal.SIGKILL)
	    print("hit")
	except ProcessLookupError:
	    print("done")
	EOF
}

# Where to kill an attach: after a delay, or as soon as a stage of it shows
# in bpffs (its tmp directory, the maps, the programs, each link in the
# order attach makes them, the final directory).
T="$NSDIR/$SIF:tmp-*"
WHEN=(0 0.05 0.1 0.2 "$T" "$T/conns" "$T/prog_tc_egress" "$T/link_tc_egress"
	"$T/link_tc_ingress" "$T/link_xdp" "$PIN" "$T/link_xdp" "$T/link_tc_ingress")
declare -A seen
i=0
for when in "${WHEN[@]}"; do
	i=$((i + 1))
	n=kill$i
	stopped_cli attach "$SIF" --ports $P
	k=$(kill_at "$BG_PID" "$when")
	wait "$BG_PID" 2>/dev/null
	t=$(truth)
	seen[$t]=$((${seen[$t]:-0} + 1))
	vsay "attach killed at ${when#"$NSDIR/"} ($k): $t"
	status_truthful "$n" "$t"
	if [ "$LISTED" = attached ]; then
		shakeoff_in "$SNS" attach "$SIF" --ports $P >/dev/null 2>"$TMPD/err"
		rc=$?
		check_grep "$n.attach_again_refused" '^[12]$' "$rc"
		check_eq "$n.attach_again_one_line" 1 "$(grep -c '' "$TMPD/err")"
		check_run "$n.detach" shakeoff_in "$SNS" detach "$SIF"
	else
		so_attach "$SNS" "$SIF" --ports $P && ok "$n.attach_again" ||
			fail "$n.attach_again" "$(_oneline "$(cat "$TMPD/attach.err")")"
		check_eq "$n.attach_again.status" true "$(so_status "$SNS" "$SIF" attached)"
		check_run "$n.detach" shakeoff_in "$SNS" detach "$SIF"
	fi
	check_clean "$n.end" "$SNS" "$SIF"
	stream_moving "$n.stream_v4" "$ST4"
	stream_moving "$n.stream_v6" "$ST6"
done

# --- detach killed half-way ------------------------------------------------------------

i=0
for when in 0 0.005 "$T" "$T/link_xdp"; do
	i=$((i + 1))
	n=detach_kill$i
	attach_or_bail "$SNS" "$SIF" --ports $P
	stopped_cli detach "$SIF"
	k=$(kill_at "$BG_PID" "$when")
	wait "$BG_PID" 2>/dev/null
	t=$(truth)
	seen[detach:$t]=$((${seen[detach:$t]:-0} + 1))
	vsay "detach killed at ${when#"$NSDIR/"} ($k): $t"
	status_truthful "$n" "$t"
	if [ "$LISTED" = attached ]; then
		check_run "$n.detach_again" shakeoff_in "$SNS" detach "$SIF"
	fi
	check_clean "$n.end" "$SNS" "$SIF"
done

say "what the kills left: $(for k in "${!seen[@]}"; do printf '%s=%s ' "$k" "${seen[$k]}"; done)"
check_eq end.no_stray_programs "" "$(printf '%s\n' "${!seen[@]}" | grep stray)"
stream_stop end.stream_v4_intact "$ST4" "$ST4_PID"
stream_stop end.stream_v6_intact "$ST6" "$ST6_PID"
check_eq end.no_pins_in_namespace "" "$(ls -A "$NSDIR" 2>/dev/null)"

finish
