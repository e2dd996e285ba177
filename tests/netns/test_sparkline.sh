#!/usr/bin/env bash
# test_sparkline.sh - rates as terminal graphs, under a pty, during a paced
# SYN flood (bench's generator):
#   watch_tty   stats --watch on a terminal: each counter's rate is followed
#               by a graph of Unicode blocks; syn_seen's reaches the full
#               block (its largest rate), a counter that stays 0 draws the
#               lowest block only
#   watch_pipe  the same into a pipe: no block characters, every counter line
#               in the plain format of before (name, total, rate/s, help)
#   top_tty     top on a terminal: the rates of all sources, with a graph
#   top_pipe    top into a pipe: no graph, no totals line
. "$(dirname "$0")/../lib.sh"
require_root
require_cmd ethtool
require_shakeoff

FLOOD=${FLOOD:-$O/bench/flood}
[ -x "$FLOOD" ] || bail flood "the SYN generator $FLOOD is not built (make $O/bench/flood)"
P=8080

setup_pair g || bail setup "could not build the namespaces and the veth pair"
start_tcptool "$SNS" $P || bail server "tcptool did not listen on port $P"
attach_or_bail "$SNS" "$SIF" --ports $P

# on_pty OUT SECS CMD...: CMD in the server namespace with a pty as stdout
# and stderr, ended after SECS with SIGINT; all it wrote goes to OUT.
on_pty() {
	local out=$1 secs=$2
	shift 2
	"$PY" -c '
import os, signal, subprocess, sys, time
out, secs, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
m, s = os.openpty()
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=s, stderr=s)
os.close(s)
data, end = b"", time.monotonic() + secs
os.set_blocking(m, False)
while p.poll() is None or True:
    if time.monotonic() > end and p.poll() is None:
        p.send_signal(signal.SIGINT)
        end = float("inf")
    try:
        d = os.read(m, 65536)
        if not d:
            break
        data += d
    except BlockingIOError:
        if p.poll() is not None:
            break
        time.sleep(0.02)
    except OSError:
        break
p.wait()
open(out, "wb").write(data.replace(b"\r\n", b"\n"))
' "$out" "$secs" nsenter --net="/run/netns/$SNS" "$@"
}
BLOCKS='[▁▂▃▄▅▆▇█]'
smac=$(mac_of "$SNS" "$SIF")
flood() { ns_bg "$CNS" "$FLOOD" -i "$CIF" -m "$smac" -d "$S4" -p $P -t "$1" -r 2000; }

# --- stats --watch ---------------------------------------------------------------

flood 4
on_pty "$TMPD/watch.tty" 3 "$SHAKEOFF" stats "$SIF" --watch 0.4
flood 3
nsenter --net="/run/netns/$SNS" timeout -s INT 2 "$SHAKEOFF" stats "$SIF" --watch 0.4 \
	>"$TMPD/watch.pipe" 2>&1
# the last sample of each
last() { awk '/^[^ ].*:$/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1"; }
tty=$(last "$TMPD/watch.tty")
pipe=$(last "$TMPD/watch.pipe")
say "on a terminal: $(grep '^  syn_seen' <<<"$tty")"
# one sample at once, then one each 0.4 s: 8 in 3 s at the most; 3 at
# the least however busy the machine (the property: it keeps printing)
check_num watch_tty.samples -ge 3 "$(grep -Ec "^$SIF( .*)?:$" "$TMPD/watch.tty")"
check_num watch_tty.samples_at_most -le 8 "$(grep -Ec "^$SIF( .*)?:$" "$TMPD/watch.tty")"
check_grep watch_tty.syn_graph "^  syn_seen +[0-9]+ +[0-9.]+/s +$BLOCKS*█$BLOCKS*  SYNs" "$tty"
check_grep watch_tty.zero_graph "^  drop_denied +0 +0\.0/s +▁+  " "$tty"
check_grep watch_tty.figures_aligned "^  conn_active +[0-9]+ {31}  connections" "$tty"
check_num watch_pipe.samples -ge 3 "$(grep -Ec "^$SIF( .*)?:$" "$TMPD/watch.pipe")"
check_num watch_pipe.samples_at_most -le 6 "$(grep -Ec "^$SIF( .*)?:$" "$TMPD/watch.pipe")"
check_nogrep watch_pipe.no_blocks "$BLOCKS" "$(cat "$TMPD/watch.pipe")"
# every counter line of a sample with rates, in the plain format
keys=$(sed -n 's/.*X([A-Z0-9_]*, *\([a-z0-9_]*\), *[VET],.*/\1/p' "$TOP/include/shakeoff.h")
odd=
for k in $keys; do
	grep -Eq "^  $k +[0-9]+ +[0-9]+\.[0-9]/s  [^ ]" <<<"$pipe" || odd+="$k "
done
check_eq watch_pipe.plain_lines "" "$odd"
check_grep watch_pipe.figures "^  conn_active +[0-9]+ {14}  connections" "$pipe"

# --- top -------------------------------------------------------------------------

flood 4
on_pty "$TMPD/top.tty" 3 "$SHAKEOFF" top "$SIF" --interval 0.4
check_grep top_tty.syn_total "^  all SYNs, /s +[0-9]+\.[0-9] +$BLOCKS*█" "$(cat "$TMPD/top.tty")"
check_grep top_tty.ack_total "^  all invalid ACKs, /s +[0-9]+\.[0-9] +$BLOCKS+" "$(cat "$TMPD/top.tty")"
check_grep top_tty.lists "SYNs from" "$(cat "$TMPD/top.tty")"
flood 2
out=$(shakeoff_in "$SNS" top "$SIF" --interval 0.4 --count 2 2>&1)
check_grep top_pipe.lists "SYNs from" "$out"
check_nogrep top_pipe.no_blocks "$BLOCKS|all SYNs" "$out"

finish
