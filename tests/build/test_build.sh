#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_build.sh - build hygiene, as any user (no root, nothing built): a
# plain make never installs packages, make test does (make deps, as the
# README says); a missing build tool or header stops make before anything
# is built, with one sentence that names the Debian package.
. "$(dirname "$0")/../lib.sh"
require_cmd make

T=$TMPD/o # a build directory that does not exist yet
mk() { make --no-print-directory -C "$TOP" O="$T" "$@"; }

# make -n: the commands make would run, run none of them.
plain=$(mk -n all 2>&1)
check_grep plain.builds 'shakeoff\.bpf\.o' "$plain"
check_nogrep plain.installs_nothing 'apt-get|dpkg' "$plain"
check_grep test_goal.calls_deps 'apt-get' "$(mk -n test 2>&1)"

# missing NAME SENTENCE MAKE-ARGS...: make stops with exactly SENTENCE on
# its first line of stderr, and a non-zero status, having built nothing.
missing() {
	local name=$1 want=$2 rc
	shift 2
	mk "$@" >"$TMPD/out" 2>"$TMPD/err"
	rc=$?
	check_num "$name.fails" -ne 0 "$rc"
	check_eq "$name.says_which_package" "$want" "$(head -n 1 "$TMPD/err")"
	check_eq "$name.built_nothing" "" "$(ls -A "$T" 2>/dev/null)"
	rm -rf "$T"
}

missing clang "make: /nonexistent/clang not found: install the Debian package clang (make deps installs it)" \
	CLANG=/nonexistent/clang
missing clang_versioned \
	"make: clang-404 not found: install the Debian package clang-404 (make deps installs it)" CLANG=clang-404
missing bpftool "make: /nonexistent/bpftool not found: install the Debian package bpftool (make deps installs it)" \
	BPFTOOL=/nonexistent/bpftool
missing cc "make: /nonexistent/gcc not found: install the Debian package gcc (make deps installs it)" \
	CC=/nonexistent/gcc
missing header \
	"make: the header no/such.h is missing: install the Debian package libnosuch-dev (make deps installs it)" \
	BUILD_HEADERS=no/such.h:libnosuch-dev
missing header_after_good \
	"make: the header no/such.h is missing: install the Debian package libnosuch-dev (make deps installs it)" \
	"BUILD_HEADERS=zlib.h:zlib1g-dev no/such.h:libnosuch-dev"

# The control: with everything there, the check passes and says nothing.
mk buildcheck >"$TMPD/out" 2>"$TMPD/err"
check_eq present.passes 0 $?
check_eq present.silent "" "$(cat "$TMPD/out" "$TMPD/err")"

finish
