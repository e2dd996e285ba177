#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/fuzz/fuzz.sh - run $O/fuzz_xdp for a while from the unit tests' frames.
#
#   tests/fuzz/fuzz.sh [--name NAME] [--seconds N] [--keep]
#
# Seeds: $O/test_unit --write-corpus (every frame the unit cases run). The run
# prints one line, "ok NAME" or "FAIL NAME: why", and exits 0 or 1. A finding
# (an invariant of fuzz_xdp.c broken, or a sanitizer report) is kept in
# $O/fuzz-artifacts/ and named in the FAIL line; reproduce it with
# `$O/fuzz_xdp FILE`.
#   --keep   grow the corpus in $O/fuzz-corpus across runs (make fuzz);
#            without it, a temporary corpus (make test)
# Builds $O/fuzz_xdp and $O/test_unit first (make: nothing if up to date).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
NAME=fuzz_xdp SECONDS_=60 KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--name) NAME=$2; shift 2 ;;
	--seconds) SECONDS_=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: tests/fuzz/fuzz.sh [--name NAME] [--seconds N] [--keep]" >&2; exit 2 ;;
	esac
done

fail() {
	echo "FAIL $NAME: $*"
	exit 1
}

TMP=$(mktemp -d /tmp/shakeoff-fuzz.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# always through make: the skeleton inside fuzz_xdp must be the current one
make -s -C "$TOP" O="$O" "$O/fuzz_xdp" "$O/test_unit" >"$TMP/build.log" 2>&1 ||
	fail "cannot build $O/fuzz_xdp: $(tail -n 1 "$TMP/build.log")"

mkdir -p "$TMP/seeds" "$O/fuzz-artifacts"
"$O/test_unit" --write-corpus "$TMP/seeds" >"$TMP/seeds.log" 2>&1 ||
	fail "test_unit --write-corpus failed: $(tail -n 1 "$TMP/seeds.log")"
nseeds=$(find "$TMP/seeds" -type f | wc -l)
[ "$nseeds" -gt 0 ] || fail "test_unit wrote no seeds"

if [ "$KEEP" = 1 ]; then
	CORPUS=$O/fuzz-corpus
else
	CORPUS=$TMP/corpus
fi
mkdir -p "$CORPUS"

# -max_len: no frame the programs see in a test is longer than PKT_MAX (2048)
"$O/fuzz_xdp" -max_total_time="$SECONDS_" -max_len=1600 -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix="$O/fuzz-artifacts/" \
	"$CORPUS" "$TMP/seeds" >"$TMP/fuzz.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/fuzz.log" | tail -n 1)
if [ $rc -eq 0 ]; then
	echo "# $NAME: ${runs:-?} runs in $SECONDS_ s from $nseeds seeds"
	echo "ok $NAME"
	exit 0
fi
why=$(grep -m 1 -E '^INVARIANT: |ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: ' \
	"$TMP/fuzz.log")
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$TMP/fuzz.log" | tail -n 1)
cp "$TMP/fuzz.log" "$O/fuzz-artifacts/last-failure.log" 2>/dev/null
fail "${why:-fuzz_xdp exited $rc} (input: ${artifact:-none}; log: $O/fuzz-artifacts/last-failure.log)"
