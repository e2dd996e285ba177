// SPDX-License-Identifier: GPL-2.0
/* harness.c - see harness.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

struct harness_opts harness;

static struct {
	const char *name;
	char first[512]; /* the first mismatch, printed on the FAIL line */
	char ctx[160];   /* case_context */
	int nfail;
	bool done;       /* skipped already */
} cur;

bool case_begin(const char *name)
{
	if (harness.filter && !strstr(name, harness.filter))
		return false;
	for (int i = 0; i < harness.n_exclude; i++) {
		if (!strcmp(name, harness.exclude[i])) {
			printf("skip %s: excluded by test_unit -x\n", name);
			return false;
		}
	}
	memset(&cur, 0, sizeof(cur));
	cur.name = name;
	return true;
}

void case_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	int n = cur.ctx[0] ? snprintf(msg, sizeof(msg), "%s: ", cur.ctx) : 0;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (cur.nfail++ == 0)
		snprintf(cur.first, sizeof(cur.first), "%s", msg);
	if (harness.verbose)
		fprintf(stderr, "# %s: %s\n", cur.name, msg);
}

void case_context(const char *fmt, ...)
{
	va_list ap;

	cur.ctx[0] = 0;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(cur.ctx, sizeof(cur.ctx), fmt, ap);
	va_end(ap);
}

const char *case_name(void)
{
	return cur.name ? cur.name : "?";
}

bool case_failed(void)
{
	return cur.nfail > 0;
}

void case_end(void)
{
	if (cur.done)
		return;
	if (cur.nfail == 0)
		printf("ok %s\n", cur.name);
	else if (cur.nfail == 1)
		printf("FAIL %s: %s\n", cur.name, cur.first);
	else
		printf("FAIL %s: %s (+%d more mismatches, -v shows them)\n", cur.name, cur.first,
		       cur.nfail - 1);
	fflush(stdout);
	cur.done = true;
}

void case_skip(const char *fmt, ...)
{
	va_list ap;

	printf("skip %s: ", cur.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	cur.done = true;
}

bool check_u64(__u64 actual, __u64 expected, const char *what)
{
	if (actual == expected)
		return true;
	case_fail("%s: expected %llu, got %llu", what, (unsigned long long)expected,
		  (unsigned long long)actual);
	return false;
}

bool check_hex(__u64 actual, __u64 expected, const char *what)
{
	if (actual == expected)
		return true;
	case_fail("%s: expected 0x%llx, got 0x%llx", what, (unsigned long long)expected,
		  (unsigned long long)actual);
	return false;
}

static void hex_str(char *out, size_t outsz, const __u8 *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < outsz; i++)
		o += snprintf(out + o, outsz - o, "%s%02x", i ? " " : "", p[i]);
}

bool check_bytes(const void *actual, const void *expected, size_t n, const char *what)
{
	const __u8 *a = actual, *e = expected;
	char ea[100], aa[100];
	size_t i, len;

	for (i = 0; i < n && a[i] == e[i]; i++)
		;
	if (i == n)
		return true;
	len = n - i < 16 ? n - i : 16;
	hex_str(ea, sizeof(ea), e + i, len);
	hex_str(aa, sizeof(aa), a + i, len);
	case_fail("%s: first difference at byte %zu of %zu: expected [%s], got [%s]", what, i, n,
		  ea, aa);
	return false;
}

bool check_true(bool cond, const char *what)
{
	if (!cond)
		case_fail("%s", what);
	return cond;
}

void dump(const char *title, const void *p, size_t n)
{
	const __u8 *b = p;

	if (!harness.verbose)
		return;
	fprintf(stderr, "# %s: %s, %zu bytes\n", cur.name ? cur.name : "", title, n);
	for (size_t i = 0; i < n; i += 16) {
		fprintf(stderr, "#   %04zx ", i);
		for (size_t j = i; j < i + 16 && j < n; j++)
			fprintf(stderr, " %02x", b[j]);
		fprintf(stderr, "\n");
	}
}
