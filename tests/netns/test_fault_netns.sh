#!/usr/bin/env bash
# test_fault_netns.sh - the server's namespace deleted while shakeoff is
# attached in it (its processes ended first, as `ip netns del` alone would
# leave it alive). Its connections end with it, by design. What must not
# outlive it is shakeoff. The pins live in /sys/fs/bpf/shakeoff/ns-INODE/
# IFACE, outside the namespace, and hold the programs and maps; the links
# stay as husks attached to nothing. The next shakeoff command, from any
# namespace, reclaims such an orphan and says so: afterwards the programs,
# maps and links of the attachment are gone from the kernel (bpftool
# prog/map/link show id), its pin directory is gone, and bpftool prog show
# and map show list no more of shakeoff's objects than before the attach.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool ss ethtool
require_shakeoff

P=9980

# Programs and maps of shakeoff's names, by id, system-wide.
so_objects() {
	bpftool "$1" show -j 2>/dev/null | "$PY" -c '
import json, sys
names = {"prog": ("xdp_shakeoff", "tc_ingress", "tc_egress"),
         "map": ("config", "ports", "secret", "stats", "conns", "allow4", "allow6", "deny4",
                 "deny6", "armstate", "armed", "clock", "handover", "sources", "sweeper",
                 "budget")}[sys.argv[1]]
print(" ".join(str(o["id"]) for o in json.load(sys.stdin) if o.get("name") in names))' "$1"
}

setup_pair fn || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
progs0=$(so_objects prog) maps0=$(so_objects map)
attach_or_bail "$SNS" "$SIF" --ports $P
PIN=$(pin_dir "$SNS" "$SIF")
stream_start "$CNS" "$S4" $P || bail stream_v4 "no connection"
stream_moving before.stream "$STREAM_CTL"
kill "$STREAM_PID" 2>/dev/null

# What the attachment consists of, by id.
ids() {
	local f
	for f in "$PIN"/*; do
		case $1 in
		prog) bpftool prog show pinned "$f" -j 2>/dev/null | json_get id ;;
		map) bpftool map show pinned "$f" -j 2>/dev/null | json_get id ;;
		link) bpftool link show pinned "$f" -j 2>/dev/null | json_get id ;;
		esac
	done | sort -n | tr '\n' ' '
}
PROGS=$(ids prog) MAPS=$(ids map) LINKS=$(ids link)
check_grep attached.progs '[0-9]' "$PROGS"
check_grep attached.maps '[0-9]' "$MAPS"
check_grep attached.links '[0-9]' "$LINKS"

# --- delete the server's namespace ------------------------------------------------

for p in $(ip netns pids "$SNS"); do kill -9 "$p" 2>/dev/null; done
check_run netns_del ip netns del "$SNS"
# The namespace is gone once its veth is: the client's end goes with it.
for i in $(seq 100); do
	ip -n "$CNS" link show dev "$CIF" >/dev/null 2>&1 || break
	sleep 0.1
done
check_eq netns_gone.peer_veth_gone "" "$(ip -n "$CNS" -br link show dev "$CIF" 2>/dev/null)"
sleep 1 # let the kernel free what nothing holds any more (RCU)

# --- what is left of shakeoff ---------------------------------------------------------

alive() {
	local id left=
	for id in $2; do
		bpftool "$1" show id "$id" >/dev/null 2>&1 && left+="$id "
	done
	echo "$left"
}
# Until a command runs, the orphan is there: its pins hold everything.
check_eq orphan.pins_left "$(ls "$PIN" 2>/dev/null | wc -l)" "$(( $(wc -w <<<"$PROGS $MAPS $LINKS") ))"
check_eq orphan.links_alive "$LINKS" "$(alive link "$LINKS")"
# The pins in /sys/fs/bpf/shakeoff/ns-INODE/IFACE are outside the dead
# namespace and still hold it all; the next shakeoff command in any
# namespace that exists finds the orphan (its XDP link has no interface)
# and removes it, saying so.
out=$(nsenter --net="/run/netns/$CNS" "$SHAKEOFF" status -j 2>&1 >/dev/null)
check_grep reclaim.says_so "removed $PIN: the interface $SIF it was attached to is gone" "$out"
sleep 1 # let the kernel free what nothing holds any more (RCU)
check_eq after.pin_dir_gone "" "$(ls -A "$PIN" 2>/dev/null | tr '\n' ' ')"
check_eq after.ns_dir_gone "" "$(ls -d "$(dirname "$PIN")" 2>/dev/null)"
check_eq after.progs_unloaded "" "$(alive prog "$PROGS")"
check_eq after.maps_freed "" "$(alive map "$MAPS")"
check_eq after.links_freed "" "$(alive link "$LINKS")"
# System-wide: nothing of shakeoff's names that was not there before the
# attach (other attachments on this machine may come and go meanwhile;
# only ours are judged, by id).
new_progs=$(comm -13 <(tr ' ' '\n' <<<"$progs0" | sort) <(so_objects prog | tr ' ' '\n' | sort) | tr '\n' ' ')
new_maps=$(comm -13 <(tr ' ' '\n' <<<"$maps0" | sort) <(so_objects map | tr ' ' '\n' | sort) | tr '\n' ' ')
ours_p=$(comm -12 <(tr ' ' '\n' <<<"$new_progs" | grep . | sort) <(tr ' ' '\n' <<<"$PROGS" | sort) | tr '\n' ' ')
ours_m=$(comm -12 <(tr ' ' '\n' <<<"$new_maps" | grep . | sort) <(tr ' ' '\n' <<<"$MAPS" | sort) | tr '\n' ' ')
check_eq after.bpftool_prog_show_as_before "" "$ours_p"
check_eq after.bpftool_map_show_as_before "" "$ours_m"
# A second command has nothing more to say.
out=$(nsenter --net="/run/netns/$CNS" "$SHAKEOFF" status -j 2>&1 >/dev/null)
check_eq reclaim.once "" "$out"

finish
