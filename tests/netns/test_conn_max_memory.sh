#!/usr/bin/env bash
# test_conn_max_memory.sh - a --conn-max the host cannot hold is refused in
# one sentence that names the locked kernel memory the connection table
# needs, and nothing is left: no pins, nothing on the interface, no table in
# the kernel. Made deterministic with a memory cgroup of 256 MiB (a child of
# the test's own: v1's memory controller or v2's), inside which attach runs:
# - --conn-max 65536 attaches there, and the cgroup is charged at least the
#   connection table's memlock (BPF maps are charged to the memcg: what the
#   pre-check relies on); its per-entry memlock is the reference below;
# - --conn-max 4194301 (~760 MiB) is refused by the pre-check: the need it
#   names is that of the table (at least N times the measured per-entry
#   memlock, at most 1.25 times), the room at most the cgroup's limit, and
#   the bound is the test cgroup's limit file;
# - the same in a cgroup namespace (unshare -C), where /proc/self/cgroup
#   says "/" and the pre-check cannot see the limit: the kernel refuses the
#   map (ENOMEM), and attach says the same sentence, naming the kernel;
# - a table that fits with an event ring that does not (--events-buffer
#   524288 KiB): the sentence names both.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool unshare nsenter
require_shakeoff

P=9960
BIG=4194301 # odd, so that no other test's table has this size
LIMIT=$((256 << 20))

# --- a memory cgroup of our own, nested in ours ---------------------------------
CG=
memcg_make() {
	local me
	me=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
	if [ -n "$me" ] && [ -d /sys/fs/cgroup/memory ]; then # v1
		CG=/sys/fs/cgroup/memory${me%/}/so$RUNID
		LIMIT_FILE=memory.limit_in_bytes CHARGE_FILE=memory.kmem.usage_in_bytes
		[ -e "/sys/fs/cgroup/memory${me%/}/$CHARGE_FILE" ] || CHARGE_FILE=memory.usage_in_bytes
	elif [ -e /sys/fs/cgroup/cgroup.controllers ]; then # v2
		me=$(sed -n 's/^0:://p' /proc/self/cgroup)
		# a child gets the controller only from a parent that hands it
		# down, which only the root may do while it has processes
		[ "$me" = / ] && echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		grep -qw memory "/sys/fs/cgroup${me%/}/cgroup.subtree_control" 2>/dev/null || return 2
		CG=/sys/fs/cgroup${me%/}/so$RUNID
		LIMIT_FILE=memory.max CHARGE_FILE=memory.current
	else
		return 2
	fi
	mkdir "$CG" && echo $LIMIT >"$CG/$LIMIT_FILE"
}
# The cgroup goes before lib.sh's cleanup: its tasks have ended by then, and
# charges (the pinned table of the first case) do not keep it.
_memcg_exit() {
	local rc=$?
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	(exit $rc)
	_cleanup
}
trap _memcg_exit EXIT
memcg_make
case $? in
0) ;;
2) skip all "no memory cgroup to nest in (cgroup v1 memory controller, or v2 with memory handed down to our cgroup)"
   _DONE=1; exit 0 ;;
*) bail memcg "could not make the memory cgroup $CG with $LIMIT_FILE $LIMIT" ;;
esac

# in_cg CMD...: CMD in the test's memory cgroup
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
cg_attach() { in_cg nsenter --net="/run/netns/$SNS" "$SHAKEOFF" attach "$SIF" --ports $P "$@"; }

# tables_of N: how many conns maps of max_entries N the kernel holds
tables_of() {
	bpftool map show -j 2>/dev/null | "$PY" -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin) if m.get("name") == "conns" and m.get("max_entries") == int(sys.argv[1])))' "$1"
}

setup_pair mm || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"

# 1. A table that fits attaches inside the cgroup, which is charged for it.
before=$(cat "$CG/$CHARGE_FILE")
_ATTACHED+=("$SNS $SIF")
cg_attach --conn-max 65536 >"$TMPD/out" 2>"$TMPD/err" ||
	bail fits.attach "attach --conn-max 65536 in a $LIMIT_FILE of 256 MiB exited $?: $(_oneline "$(cat "$TMPD/err")")"
ok fits.attach
memlock=$(bpftool map show pinned "$(pin_dir "$SNS" "$SIF")/conns" -j | json_get bytes_memlock)
check_num fits.memlock_known -gt 0 "$memlock"
charged=$(($(cat "$CG/$CHARGE_FILE") - before))
# the cgroup is charged for the other maps and the programs too, and for
# whatever else its processes allocated meanwhile: at least the table
check_num fits.cgroup_charged_the_table -ge "$memlock" "$charged"
per_entry=$((memlock / 65536))
say "conns: $memlock B memlock for 65536 entries ($per_entry B each); the cgroup was charged $charged B"
shakeoff_in "$SNS" detach "$SIF" >/dev/null 2>&1
check_clean fits.detached "$SNS" "$SIF"

# mib_of TEXT need|room: the figure after "needs" or "can give", in MiB
mib_of() {
	case $2 in
	need) sed -nE 's/.* needs? ([0-9.]+) (GiB|MiB) .*/\1 \2/p' <<<"$1" ;;
	room) sed -nE 's/.* can give ([0-9.]+) (GiB|MiB|KiB) .*/\1 \2/p' <<<"$1" ;;
	esac | awk '{ printf "%d\n", $2 == "GiB" ? $1 * 1024 : $2 == "KiB" ? $1 / 1024 : $1 }'
}

# 2. The pre-check: too big for the cgroup.
cg_attach --conn-max $BIG >/dev/null 2>"$TMPD/err"
check_refused precheck $? "$TMPD/err" "$SNS" "$SIF"
err=$(cat "$TMPD/err")
check_grep precheck.sentence "^shakeoff: --conn-max $BIG needs [0-9]+ MiB of locked kernel memory for the connection table; this host can give [0-9]+ (MiB|KiB) \\($LIMIT_FILE of cgroup [^)]*/so$RUNID\\)\$" "$err"
need=$(mib_of "$err" need)
check_num precheck.need_at_least_the_table -ge $((BIG * per_entry >> 20)) "$need"
check_num precheck.need_at_most_1.25x_the_table -le $((BIG * per_entry * 5 / 4 >> 20)) "$need"
# what is left of the 256 MiB is the limit less what the cgroup uses now
check_num precheck.room_within_the_limit -le 256 "$(mib_of "$err" room)"
check_eq precheck.no_table_left 0 "$(tables_of $BIG)"

# 3. The kernel's refusal, where the pre-check cannot see the limit.
in_cg unshare -C nsenter --net="/run/netns/$SNS" "$SHAKEOFF" attach "$SIF" --ports $P \
	--conn-max $BIG >/dev/null 2>"$TMPD/err"
check_refused kernel $? "$TMPD/err" "$SNS" "$SIF"
check_grep kernel.sentence "^shakeoff: --conn-max $BIG needs $need MiB of locked kernel memory for the connection table; the kernel could not give it \\(Cannot allocate memory: " "$(cat "$TMPD/err")"
check_eq kernel.no_table_left 0 "$(tables_of $BIG)"

# 4. The table fits, the event ring does not.
cg_attach --conn-max 65536 --events-buffer 524288 >/dev/null 2>"$TMPD/err"
check_refused ring $? "$TMPD/err" "$SNS" "$SIF"
check_grep ring.sentence "^shakeoff: --conn-max 65536 and --events-buffer 524288 need [0-9]+ MiB of locked kernel memory for the connection table and the event ring; this host can give " "$(cat "$TMPD/err")"
# the ring's 512 MiB and the table's with its housekeeping (whose fixed
# part, the timer wheel, weighs more in a table this small than in 2.)
ring_need=$(mib_of "$(cat "$TMPD/err")" need)
check_num ring.need_includes_the_ring -ge $(((512 << 20) + 65536 * per_entry >> 20)) "$ring_need"
check_num ring.need_at_most_the_ring_and_1.5x_the_table -le $(((512 << 20) + 65536 * per_entry * 3 / 2 >> 20)) "$ring_need"

finish
