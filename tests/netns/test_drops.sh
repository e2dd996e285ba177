#!/usr/bin/env bash
# test_drops.sh - `shakeoff events --drops`: samples of the packets the XDP
# program drops. Frames of four kinds that it drops (a forged third ACK,
# IPv4 and IPv6; a SYN with a bad TCP checksum, one with a bad IPv4 header
# checksum, a SYN with FIN set) are sent with a reader attached, which
# writes them (-w) to a pcapng file: every frame comes back with its
# reason, in the JSON stream and in the file, whose packets are the frames
# sent byte for byte and whose comments name the reasons; tcpdump reads
# the file. Then --reason filters, a flood of forged ACKs stays within the
# sample rate's bound (--rate N: at most N a second and a second's burst),
# nothing is sampled while no one listens, and a file that cannot be
# written is refused with the flag left off.
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd tcpdump bpftool
require_shakeoff

P=9400

setup_pair dr || bail setup "could not build the namespaces and the veth pair"
attach_or_bail "$SNS" "$SIF" --ports $P
SM=$(mac_of "$CNS" "$CIF") DM=$(mac_of "$SNS" "$SIF")

ev_count() { events_query "$1" "sum(e['type'] == 'drop' for e in E)"; }
# wait_drops FILE N: until FILE has N drop records (5 s).
wait_drops() {
	for _ in $(seq 50); do
		[ "$(ev_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# bad SRC DST KIND N [SECONDS]: rawtool.py bad from the client side; the
# frames sent are appended to $TMPD/frames (one hex line each).
bad() {
	ip netns exec "$CNS" "$PY" "$RAWTOOL" bad "$CIF" "$SM" "$DM" "$1" "$2" $P "$3" "$4" ${5:+"$5"} >"$TMPD/bad.out" 2>&1 ||
		fail "send.$3" "rawtool bad: $(_oneline "$(cat "$TMPD/bad.out")")"
	sed -n 's/^frame //p' "$TMPD/bad.out" >>"$TMPD/frames"
}

# --- nothing while no one listens ---------------------------------------------------

s0=$(pair_stats)
bad $C4 $S4 ack 3
check_eq quiet.dropped_not_sampled "ack_cookie_invalid=3 drop_sampled=0" "$(stats_pick "$s0"$'\n'"$(pair_stats)" ack_cookie_invalid drop_sampled)"
: >"$TMPD/frames"

# --- every kind, into a pcapng file ----------------------------------------------------

PCAP=$TMPD/drops.pcapng
events_start "$SNS" "$SIF" --drops -j -w "$PCAP" || bail drops.start "events --drops did not start"
F=$EV_OUT
bad $C4 $S4 ack 2
bad $C4 $S4 tcpcsum 2
bad $C4 $S4 ipcsum 1
bad $C4 $S4 synfin 2
bad $C6 $S6 ack 1
wait_drops "$F" 8 || fail drops.all_came "expected 8 samples, got $(ev_count "$F")"
events_stop
check_eq drops.exit_status 0 "$?"
want="ack_cookie_invalid:20000:. ack_cookie_invalid:20001:. drop_bad_tcp_csum:20000:S drop_bad_tcp_csum:20001:S drop_bad_ip_csum:20000:S drop_syn_flags:20000:SF drop_syn_flags:20001:SF ack_cookie_invalid:20000:."
check_eq drops.json_reasons "$want" "$(events_query "$F" "' '.join('%s:%d:%s' % (e['reason'], e['sport'], e['tcp_flags']) for e in E)")"
check_eq drops.json_families "4 4 4 4 4 4 4 6" "$(events_query "$F" "' '.join(str(e['family']) for e in E)")"
check_eq drops.json_lengths "$(awk '{ printf "%s%d", (NR > 1 ? " " : ""), length($0) / 2 }' "$TMPD/frames")" \
	"$(events_query "$F" "' '.join(str(e['len']) for e in E)")"

# The file: what tcpdump reads, and each block's bytes and comment.
td=$(tcpdump -nr "$PCAP" 2>"$TMPD/tcpdump.err")
check_eq pcap.tcpdump_reads "8" "$(grep -c 'Flags' <<<"$td")"
check_grep pcap.tcpdump_linktype "link-type EN10MB" "$(cat "$TMPD/tcpdump.err")"
check_eq pcap.tcpdump_flags ". . S S S FS FS ." "$(sed -n 's/.*Flags \[\([^]]*\)\].*/\1/p' <<<"$td" | tr '\n' ' ' | sed 's/ $//')"
check_grep pcap.tcpdump_v6 "IP6 2001:2::1\.20000 > 2001:2::2\.$P: Flags \[\.\]" "$td"
pcap=$("$PY" - "$PCAP" <<'PYEOF'
import struct, sys
# pcapng (draft-ietf-opsawg-pcapng): blocks of type, length, body, length
d = open(sys.argv[1], "rb").read()
off, out = 0, []
while off < len(d):
    btype, blen = struct.unpack_from("<II", d, off)
    if btype == 6:  # Enhanced Packet Block
        _, _, _, cap, orig = struct.unpack_from("<IIIII", d, off + 8)
        data = d[off + 28:off + 28 + cap]
        o = off + 28 + (cap + 3) // 4 * 4
        comment = ""
        while True:
            code, olen = struct.unpack_from("<HH", d, o)
            if code == 0:
                break
            if code == 1:
                comment = d[o + 4:o + 4 + olen].decode()
            o += 4 + (olen + 3) // 4 * 4
        out.append("%s %s" % (comment.replace(" ", "_"), data.hex()))
    off += blen
print("\n".join(out))
PYEOF
)
check_eq pcap.comments "$(for r in $want; do printf 'shakeoff:_%s\n' "${r%%:*}"; done)" "$(cut -d' ' -f1 <<<"$pcap")"
check_eq pcap.bytes "$(cat "$TMPD/frames")" "$(cut -d' ' -f2 <<<"$pcap")"

# --- --reason -------------------------------------------------------------------------------

events_start "$SNS" "$SIF" --drops -j --reason drop_syn_flags,drop_bad_ip_csum && F=$EV_OUT
bad $C4 $S4 ack 2
bad $C4 $S4 synfin 1
bad $C4 $S4 tcpcsum 1
bad $C4 $S4 ipcsum 1
wait_drops "$F" 2
events_stop
check_eq reason.filtered "drop_syn_flags drop_bad_ip_csum" "$(events_query "$F" "' '.join(e['reason'] for e in E)")"
check_eq reason.text_table_refuses_unknown 2 "$(shakeoff_in "$SNS" events "$SIF" --drops --reason passed 2>/dev/null; echo $?)"

# --- a flood: the sample rate holds --------------------------------------------------------

RATE=50
s0=$(pair_stats)
t0=$(date +%s%N)
events_start "$SNS" "$SIF" --drops -j --rate $RATE && F=$EV_OUT
bad $C4 $S4 ack 64 3
sent=$(sed -n 's/^sent //p' "$TMPD/bad.out")
events_stop
t1=$(date +%s%N)
d=$(stats_pick "$s0"$'\n'"$(pair_stats)" ack_cookie_invalid drop_sampled drop_sample_lost)
n=$(ev_count "$F")
dropped=$(sed 's/ack_cookie_invalid=\([0-9]*\).*/\1/' <<<"$d")
say "flood: $d, $n samples in $(((t1 - t0) / 1000000)) ms"
# at most RATE a second over the reader's life, plus a second's burst (one
# sample more per CPU for the rounding)
bound=$((RATE * ((t1 - t0) / 1000000 + 1000) / 1000 + $(nproc)))
# a flood's frames: the veth drops some when its ring is full, so at most
# those sent, and many more than the samples
check_num flood.dropped_many -ge $((bound * 4)) "$dropped"
check_num flood.dropped_at_most_sent -le "$sent" "$dropped"
check_num flood.samples_within_bound -le $bound "$n"
# 3 s of flood at RATE a second: at least half that (the sampler's and the
# sender's clocks are the scheduler's)
check_num flood.samples_some -ge $((RATE * 3 / 2)) "$n"
check_eq flood.printed_all_sampled "drop_sampled=$n" "$(grep -o 'drop_sampled=[0-9]*' <<<"$d")"

# --- a file that cannot be written ------------------------------------------------------------

shakeoff_in "$SNS" events "$SIF" --drops -w /proc/nonexistent/x.pcapng >/dev/null 2>"$TMPD/err"
check_eq badfile.exit 1 "$?"
check_grep badfile.says_what "cannot create /proc/nonexistent/x.pcapng" "$(cat "$TMPD/err")"
check_eq badfile.flag_off 0 "$(listen_flag "$SNS" "$SIF")"

finish
