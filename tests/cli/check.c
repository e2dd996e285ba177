// SPDX-License-Identifier: GPL-2.0
/* check.c - see check.h. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int checks_failed;

void ok(const char *name)
{
	printf("ok %s\n", name);
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	checks_failed++;
}

const char *check_name(const char *prefix, const char *row, const char *aspect)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s.%s%s%s", prefix, row, aspect ? "." : "", aspect ? aspect : "");
	return buf;
}

/* A string on one line, as C would write it, for the FAIL message. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (!s)
		return "NULL";
	n += snprintf(buf + n, len - n, "\"");
	for (; *s && n + 8 < len; s++)
		if (*s == '\n')
			n += snprintf(buf + n, len - n, "\\n");
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			n += snprintf(buf + n, len - n, "\\x%02x", (unsigned char)*s);
		else
			buf[n++] = *s;
	snprintf(buf + n, len - n, "\"");
	return buf;
}

void check_str(const char *name, const char *want, const char *got)
{
	char w[1024], g[1024];

	if (want && got && !strcmp(want, got))
		ok(name);
	else if (!want && !got)
		ok(name);
	else
		fail(name, "expected %s, got %s", shown(want, w, sizeof(w)), shown(got, g, sizeof(g)));
}

void check_long(const char *name, long want, long got)
{
	if (want == got)
		ok(name);
	else
		fail(name, "expected %ld, got %ld", want, got);
}

static FILE *saved_stderr;
static char *captured;
static size_t captured_len;

void capture_begin(void)
{
	fflush(stderr);
	saved_stderr = stderr;
	stderr = open_memstream(&captured, &captured_len);
	if (!stderr) {
		stderr = saved_stderr;
		perror("test_cli: open_memstream");
		exit(1);
	}
}

char *capture_end(void)
{
	fclose(stderr);
	stderr = saved_stderr;
	return captured;
}

char *with_path(const char *text, const char *path)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f) {
		perror("test_cli: open_memstream");
		exit(1);
	}
	for (const char *p = text; *p; p++)
		if (*p == '@')
			fputs(path, f);
		else
			fputc(*p, f);
	fclose(f);
	return out;
}

static char tmp_dir[64];

static const char *tmp_base(void)
{
	if (!tmp_dir[0]) {
		snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/test_cli.XXXXXX");
		if (!mkdtemp(tmp_dir)) {
			perror("test_cli: mkdtemp");
			exit(1);
		}
	}
	return tmp_dir;
}

const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp_base(), name);
	return path;
}

const char *tmp_file(const char *name, const void *data, size_t len)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "we");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	return path;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

void tmp_cleanup(void)
{
	if (tmp_dir[0])
		nftw(tmp_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}
