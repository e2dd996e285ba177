// SPDX-License-Identifier: GPL-2.0
/* log.c - error messages and the libbpf print filter. */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "log.h"

static int log_verbosity;
static const char *log_where;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_verbosity == 0 || (level == LIBBPF_DEBUG && log_verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_setup(int verbosity)
{
	log_verbosity = verbosity;
	libbpf_set_print(libbpf_print);
}

void log_context(const char *where)
{
	log_where = where;
}

/* One message on stderr: "shakeoff: ", where (if given), the text. */
static void say(const char *where, const char *fmt, va_list ap)
{
	fputs("shakeoff: ", stderr);
	if (where)
		fprintf(stderr, "%s: ", where);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(log_where, fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(NULL, fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity == 0)
		return;
	va_start(ap, fmt);
	say(NULL, fmt, ap);
	va_end(ap);
}
