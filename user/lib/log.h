/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - messages to the user. Errors are one sentence on stderr, prefixed
 * with "shakeoff: "; libbpf's own messages are shown only with -v.
 */
#pragma once

/* Route libbpf's messages: hidden at 0, warnings and info at 1, all at 2. */
void log_setup(int verbosity);

/* Say where, after "shakeoff: ", in every error until cleared with NULL
 * ("/etc/shakeoff/eth0.conf:3"). The string must outlive its use. */
void log_context(const char *where);

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something the user should know that is not an error; stderr too. */
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
