#!/usr/bin/env bash
# test_bench_plot.sh - bench/plot.py, the picture of `make bench`, on a small
# saved result (tests/fixtures/bench-small.json, cut from a real run):
#   svg       the SVG is written, parses as XML, is an <svg> document
#   labels    every mode measured and every set-up is named in its text,
#             and the ratios shakeoff/kernel of each set-up are shown
#   same      drawn twice, the same bytes
#   refuses   a result without a SYN flood measurement: exit 1, no file
. "$(dirname "$0")/../lib.sh"
"$PY" -c 'import matplotlib' 2>/dev/null || { skip all "python3-matplotlib not installed (make deps)"; _DONE=1; exit 0; }

PLOT=$TOP/bench/plot.py
FIX=$TOP/tests/fixtures/bench-small.json
SVG=$TMPD/bench.svg

check_run svg.written "$PY" "$PLOT" "$FIX" "$SVG"
check_num svg.not_empty -gt 1000 "$(stat -c %s "$SVG" 2>/dev/null || echo 0)"
# texts: every <text> of the SVG, one per line (svg.fonttype none keeps them text)
texts=$("$PY" -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
for e in root.iter("{http://www.w3.org/2000/svg}text"):
    print(" ".join("".join(e.itertext()).split()))
' "$SVG" 2>&1)
check_grep svg.parses '^shakeoff$' "$texts"
for m in $("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(" ".join(sorted({m for s in d["syn"].values() for m in s})))' "$FIX"); do
	check_grep "labels.mode_$m" "^$m\$" "$texts"
done
for s in one-core two-cores; do
	check_grep "labels.setup_$s" "^$s: " "$texts"
	r=$("$PY" -c 'import json, sys; print("%.2f" % json.load(open(sys.argv[1]))["syn_ratios"][sys.argv[2]]["shakeoff/kernel"]["median"])' "$FIX" "$s")
	check_grep "labels.ratio_$s" "shakeoff/kernel = ${r}x" "$texts"
done
# no date, fixed ids: the same result draws the same file (docs/bench.svg can be redrawn)
"$PY" "$PLOT" "$FIX" "$TMPD/again.svg" >/dev/null 2>&1
check_run svg.same_twice cmp "$SVG" "$TMPD/again.svg"
echo '{"info": {}, "syn": {}}' >"$TMPD/empty.json"
"$PY" "$PLOT" "$TMPD/empty.json" "$TMPD/empty.svg" >/dev/null 2>"$TMPD/err"
check_eq refuses.exit 1 "$?"
check_eq refuses.no_file no "$([ -e "$TMPD/empty.svg" ] && echo yes || echo no)"
check_grep refuses.says_why "no SYN flood measurement" "$(cat "$TMPD/err")"

finish
