#!/usr/bin/env bash
# test_status.sh - what an operator reads: status -j (one object per
# attachment, the documented keys), stats -j (one key per counter of
# include/shakeoff.h plus conn_active), every pinned map readable by bpftool
# with named fields (BTF), stats --watch, help and --version.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd bpftool curl ethtool
require_complete

P=8080

setup_pair || bail setup "could not build the namespaces and the veth pair"
start_http "$SNS" $P || bail server "http.server did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P,9000-9002 --conn-max 4096
check_http curl_v4 "$CNS" "http://$S4:$P/"

# status IFACE -j: one object with the documented keys.
st=$(shakeoff_in "$SNS" status "$SIF" -j 2>&1)
for key in ifname ifindex netns pin_dir ports mode tx mss4 mss6 wscale ttl \
	options.timestamps options.sack options.window_scaling options.ecn conn_max secret_gen \
	attached_at attached; do
	v=$(json_get "$key" <<<"$st")
	check_grep "status.has_$key" . "$v"
done
check_eq status.ifname "$SIF" "$(json_get ifname <<<"$st")"
check_eq status.ifindex "$(server_ns_exec cat "/sys/class/net/$SIF/ifindex")" "$(json_get ifindex <<<"$st")"
check_eq status.pin_dir "$(pin_dir "$SNS" "$SIF")" "$(json_get pin_dir <<<"$st")"
check_eq status.conn_max 4096 "$(json_get conn_max <<<"$st")"
check_eq status.attached true "$(json_get attached <<<"$st")"
check_eq status.complete "$COMPLETE" "$(json_get complete <<<"$st")"
for p in $P 9000 9002; do
	check_grep "status.ports_has_$p" "(^|[^0-9])$p([^0-9]|$)" "$(json_get ports <<<"$st")"
done

# The key ring: one random key, named by its fingerprint; issuing, or in
# kernel mode unused (the cookies are the kernel's own, under its secret).
role=issuing
[ "$COMPLETE" = kernel ] && role=unused
check_grep status.key_fingerprint '^[0-9a-f]{8}$' "$(json_get keys.0.fingerprint <<<"$st")"
check_eq status.key_role $role "$(json_get keys.0.role <<<"$st")"
check_eq status.one_key "" "$(json_get keys.1.role <<<"$st")"
txt=$(shakeoff_in "$SNS" status "$SIF" 2>&1)
check_grep status.text_key "key $(json_get keys.0.fingerprint <<<"$st") $role" "$txt"

# The clock, as adjtimex(2) tells this test too (struct timex: status at 40,
# maxerror at 24, tai at 160; the result is the clock state, 5 = TIME_ERROR).
read -r sync maxerr tai < <("$PY" -c '
import ctypes, struct
buf = ctypes.create_string_buffer(208)
state = ctypes.CDLL(None, use_errno=True).adjtimex(buf)
st, = struct.unpack_from("i", buf, 40)
maxerr, = struct.unpack_from("l", buf, 24)
tai, = struct.unpack_from("i", buf, 160)
print("true" if state >= 0 and state != 5 and not st & 0x40 else "false", maxerr, tai)')
check_eq status.clock_synchronised "$sync" "$(json_get clock.synchronised <<<"$st")"
check_eq status.clock_tai_offset "$tai" "$(json_get clock.tai_offset_s <<<"$st")"
d=$(($(json_get clock.max_error_us <<<"$st") - maxerr))
check_num status.clock_max_error_close -le 1000000 "${d#-}"
if [ "$sync" = true ]; then
	check_grep status.text_clock "^clock: synchronised" "$txt"
else
	check_grep status.text_clock "^clock: NOT synchronised.*chrony or PTP" "$txt"
fi

# status -j without IFACE: an array that contains this attachment.
all=$(shakeoff_in "$SNS" status -j 2>&1)
check_eq status_all.first_ifname "$SIF" "$(json_get 0.ifname <<<"$all")"

# stats -j: ifname, every counter of SO_COUNTERS, conn_active.
stats=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
check_eq stats.ifname "$SIF" "$(json_get ifname <<<"$stats")"
check_eq stats.complete "$COMPLETE" "$(json_get complete <<<"$stats")"
keys=$(sed -n 's/.*X([A-Z0-9_]*, *\([a-z0-9_]*\), *[VET],.*/\1/p' "$TOP/include/shakeoff.h")
check_grep stats.counter_list_parsed syn_seen "$keys"
missing=
for k in $keys conn_active; do
	[[ $(json_get "$k" <<<"$stats") =~ ^[0-9]+$ ]] || missing+="$k "
done
check_eq stats.all_counters_present "" "$missing"
# Every packet of the XDP program ends in one verdict (kind V in the header):
# the verdicts add up to the frames the veth ran through XDP (its
# rx_queue_N_xdp_packets; shakeoff is the only XDP program SIF ever had),
# read on either side of the stats while nothing arrived in between.
verdicts=$(sed -n 's/.*X([A-Z0-9_]*, *\([a-z0-9_]*\), *V,.*/\1/p' "$TOP/include/shakeoff.h")
xdp_frames() {
	server_ns_exec ethtool -S "$SIF" | awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ { n += $2 } END { print n + 0 }'
}
for _ in $(seq 20); do
	seen=$(xdp_frames)
	vstats=$(shakeoff_in "$SNS" stats "$SIF" -j 2>&1)
	[ "$(xdp_frames)" = "$seen" ] && break
done
sum=0
for k in $verdicts; do
	v=$(json_get "$k" <<<"$vstats")
	sum=$((sum + ${v:-0}))
done
check_num stats.verdicts_counted -eq "$seen" "$sum"
# (a connection's packets are TCP's to choose: its SYN, ACK and FIN at least)
check_num stats.verdicts_of_a_connection -ge 3 "$sum"

# Every pinned map carries BTF and dumps with named fields.
PIN=$(pin_dir "$SNS" "$SIF")
nmaps=0 bad=
while read -r f; do
	bpftool map show pinned "$f" >/dev/null 2>&1 || continue
	nmaps=$((nmaps + 1))
	# ring buffers (events, drops) have records, not keys and values: no BTF
	[ "$(bpftool map show pinned "$f" -j 2>/dev/null | json_get type)" = ringbuf ] && continue
	# BTF attached to the map, and (when it has entries) fields by name.
	btf=$(bpftool map show pinned "$f" -j 2>/dev/null | json_get btf_id)
	dump=$(bpftool map dump pinned "$f" -j 2>/dev/null)
	if [ "${btf:-0}" = 0 ] || { [ "$dump" != "[]" ] && ! grep -q '"formatted"' <<<"$dump"; }; then
		bad+="$(basename "$f") "
	fi
done < <(find "$PIN" -type f 2>/dev/null)
# every map of the object is pinned (the object's .maps section lists them)
check_num maps.pinned -eq "$(bpftool btf dump file "$O/shakeoff.bpf.o" format raw | sed -n "s/.*DATASEC '.maps' .*vlen=\([0-9]*\).*/\1/p")" "$nmaps"
check_eq maps.dump_with_btf "" "$bad"

# stats --watch keeps printing until stopped.
timeout 3 nsenter --net="/run/netns/$SNS" "$SHAKEOFF" stats "$SIF" --watch 1 >"$TMPD/watch" 2>&1
rc=$?
check_eq watch.runs_until_stopped 124 "$rc"
check_grep watch.prints synack_sent "$(cat "$TMPD/watch")"

check_run version "$SHAKEOFF" --version
check_run help "$SHAKEOFF" help

finish
