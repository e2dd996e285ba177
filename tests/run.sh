#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/run.sh - run every test program of shakeoff and tally the results.
#
#   tests/run.sh [-t PATTERN]       (make test runs it after the build)
#
# The programs: $O/test_cli (the CLI's library on tables, no root),
# tests/build/test_build.sh (make's checks of the build tools, no root),
# $O/test_unit (BPF_PROG_RUN tables), $O/test_load (every BPF
# program passes the verifier, clang 14 and clang 19 builds), a short fuzzing run
# (tests/fuzz/run_short.sh), then tests/netns/test_*.sh
# (namespaces, a veth pair, real clients and servers), one after the other.
# Each prints one line per check:  ok NAME | FAIL NAME: why | skip NAME: why
# Those lines are streamed and counted; the run ends with exactly one line
# "N passed, N failed[, N skipped]" and exits 1 if anything failed. A program
# that is missing, exits non-zero without a FAIL line, dies of a signal or
# runs past TEST_TIMEOUT seconds (default 600) counts as one more FAIL.
#
#   -t PATTERN   run only the programs whose name (test_cli, test_unit, test_http, ...)
#                matches the extended regex PATTERN
#   V=1          also stream the programs' other output and stderr, and have
#                the namespace tests print the commands they run
#   O=DIR        build directory (default build); SHAKEOFF=path overrides the CLI
#   TEST_UNIT_EXCLUDE="CASE..."  test_unit skips these cases (saying so)
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
export O V=${V:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
PATTERN=

usage() {
	echo "usage: tests/run.sh [-t PATTERN]" >&2
	exit 2
}
while getopts "t:h" opt; do
	case $opt in
	t) PATTERN=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

passed=0 failed=0 skipped=0
LOGDIR=$(mktemp -d /tmp/shakeoff-run.XXXXXX)
trap 'rm -rf "$LOGDIR"' EXIT

selected() { [ -z "$PATTERN" ] || grep -Eq -- "$PATTERN" <<<"$1"; }

# run_prog NAME CMD...: stream and count one program's lines.
run_prog() {
	local name=$1 line rc why fails=0 err=$LOGDIR/$1.err
	shift
	echo "# $name"
	exec 3< <(
		if [ "$V" = 1 ]; then
			timeout -k 30 "$TEST_TIMEOUT" "$@" 2> >(tee "$err" | sed 's/^/# stderr: /' >&2)
		else
			timeout -k 30 "$TEST_TIMEOUT" "$@" 2>"$err"
		fi
		echo "@@rc=$?"
	)
	rc=
	while IFS= read -r -u 3 line; do
		case $line in
		"ok "*) passed=$((passed + 1)) ;;
		"FAIL "*) failed=$((failed + 1)) fails=$((fails + 1)) ;;
		"skip "*) skipped=$((skipped + 1)) ;;
		"@@rc="*) rc=${line#@@rc=}; continue ;;
		*) [ "$V" = 1 ] || [[ $line == "# "* ]] || continue ;;
		esac
		echo "$line"
	done
	exec 3<&-
	rc=${rc:-255}
	case $rc in
	0) return ;;
	1) [ $fails -gt 0 ] && return; why="exited 1 without a FAIL line" ;;
	124) why="timed out after ${TEST_TIMEOUT} s" ;;
	12[89] | 1[3-9][0-9] | 2[0-5][0-9]) why="killed by signal $((rc - 128))" ;;
	*) why="exited with status ${rc:-unknown}" ;;
	esac
	echo "FAIL $name: $why"
	failed=$((failed + 1))
	if [ "$V" != 1 ] && [ -s "$err" ]; then
		tail -n 15 "$err" | sed 's/^/# stderr: /'
	fi
}

# The root-free tests of the CLI's library come first: they need nothing
# but the build.
if selected test_cli; then
	if [ -x "$O/test_cli" ]; then
		run_prog test_cli "$O/test_cli"
	else
		echo "FAIL test_cli: $O/test_cli not built"
		failed=$((failed + 1))
	fi
fi

# Build hygiene (tests/build): make names a missing package, never installs one.
if selected test_build; then
	run_prog test_build bash "$TOP/tests/build/test_build.sh"
fi

if selected test_unit; then
	if [ -x "$O/test_unit" ]; then
		unit_args=()
		for c in ${TEST_UNIT_EXCLUDE:-}; do unit_args+=(-x "$c"); done
		run_prog test_unit "$O/test_unit" "${unit_args[@]}"
	else
		echo "FAIL test_unit: $O/test_unit not built"
		failed=$((failed + 1))
	fi
fi

# Every BPF program passes the verifier: the objects of the clang 14 build,
# and of the clang 19 build too where it exists ($O-clang19, make vmtest).
if selected test_load; then
	objs=()
	for d in "$O" "${O19:-$O-clang19}"; do
		for f in shakeoff.bpf.o bench/bench.bpf.o tests/xdp_pass.bpf.o; do
			[ -e "$d/$f" ] && objs+=("$(basename "$d")/$f")
		done
	done
	if [ -x "$O/test_load" ] && [ ${#objs[@]} -gt 0 ]; then
		run_prog test_load env -C "$(dirname "$O")" "$O/test_load" "${objs[@]}"
	else
		echo "FAIL test_load: $O/test_load or the BPF objects not built"
		failed=$((failed + 1))
	fi
fi

# A short fuzzing run (tests/fuzz): builds $O/fuzz_xdp through make.
if selected fuzz_xdp_short; then
	run_prog fuzz_xdp_short bash "$TOP/tests/fuzz/run_short.sh"
fi

for t in "$TOP"/tests/netns/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	selected "$name" || continue
	run_prog "$name" bash "$t"
done

summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
