/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the checks of test_cli, the root-free tests of the CLI's library
 * (user/lib). Each check prints one line that tests/run.sh counts:
 * "ok NAME" or "FAIL NAME: expected ..., got ...". The library's messages
 * go to stderr (log.c); a case captures them to compare them whole.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

extern int checks_failed;

void ok(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "prefix.row.aspect" into a static buffer (valid until the next call). */
const char *check_name(const char *prefix, const char *row, const char *aspect);

void check_str(const char *name, const char *want, const char *got);
void check_long(const char *name, long want, long got);

/* Send stderr (where pr_err writes) to a buffer, and back; capture_end
 * returns what was written, which the caller frees. */
void capture_begin(void);
char *capture_end(void);

/* text with each @ replaced by path (a message that names a temporary
 * file); the caller frees it. */
char *with_path(const char *text, const char *path);

/* A file of len bytes in the run's temporary directory; its path, static
 * until the next call. tmp_path: the path of name there, not created. */
const char *tmp_file(const char *name, const void *data, size_t len);
const char *tmp_path(const char *name);
void tmp_cleanup(void);

/* The suites, one a file. */
void test_ports(void);
void test_options(void);
void test_tuneopts(void);
void test_config(void);
void test_json(void);
void test_secret(void);
void test_endpoint(void);
void test_ifname(void);
