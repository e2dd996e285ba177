/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - test cases, assertions and the output protocol.
 *
 * One line per case on stdout: "ok NAME", "FAIL NAME: what: expected X, got Y"
 * or "skip NAME: reason"; tests/run.sh tallies them. A case may check many
 * things: the first mismatch is the one printed, with a count of the others;
 * -v prints every mismatch and the packets involved on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct harness_opts {
	const char *filter; /* -t: run only cases whose name contains this */
	const char *exclude[8]; /* -x: cases named exactly so are skipped, saying so */
	int n_exclude;
	int verbose;        /* -v: every mismatch, hex dumps */
};

extern struct harness_opts harness;

/* Start a case; false if -t filters it out (then skip the case entirely)
 * or -x excludes it (then it prints its skip line). */
bool case_begin(const char *name);
/* Record a mismatch of the current case (printf format). */
void case_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Finish the current case: prints "ok NAME" or "FAIL NAME: ...". */
void case_end(void);
/* Finish the current case as skipped. */
void case_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool case_failed(void);
/* Prefix the current case's mismatches with where they happened ("step 3:
 * ..."); NULL clears it. Cleared by case_begin. */
void case_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *case_name(void);

/* Assertions: record a mismatch naming both values; return true if equal. */
bool check_u64(__u64 actual, __u64 expected, const char *what);
bool check_hex(__u64 actual, __u64 expected, const char *what);
bool check_bytes(const void *actual, const void *expected, size_t n, const char *what);
bool check_true(bool cond, const char *what);

/* Hex dump on stderr, only with -v. */
void dump(const char *title, const void *p, size_t n);
