#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/fuzz/run_short.sh - the short fuzzing run of make test: fuzz_xdp for
# FUZZ_SHORT_SECONDS (default 20) from the unit tests' frames. Prints
# "ok fuzz_xdp_short" or "FAIL fuzz_xdp_short: why" (see tests/fuzz/fuzz.sh).
exec "$(dirname "$0")/fuzz.sh" --name fuzz_xdp_short --seconds "${FUZZ_SHORT_SECONDS:-20}"
