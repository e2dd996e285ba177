// SPDX-License-Identifier: GPL-2.0
/* json.c - see json.h. */
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->need_comma = false;
}

static void value_begin(struct json *j)
{
	if (j->need_comma)
		fputc(',', j->f);
	j->need_comma = false;
}

static void value_end(struct json *j)
{
	j->need_comma = true;
}

void json_object_begin(struct json *j)
{
	value_begin(j);
	fputc('{', j->f);
}

void json_object_end(struct json *j)
{
	fputc('}', j->f);
	value_end(j);
}

void json_array_begin(struct json *j)
{
	value_begin(j);
	fputc('[', j->f);
}

void json_array_end(struct json *j)
{
	fputc(']', j->f);
	value_end(j);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void write_escaped(FILE *f, const unsigned char *s)
{
	while (*s) {
		int n;

		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
}

void json_key(struct json *j, const char *key)
{
	json_str(j, key);
	fputc(':', j->f);
	j->need_comma = false;
}

void json_str(struct json *j, const char *s)
{
	value_begin(j);
	fputc('"', j->f);
	write_escaped(j->f, (const unsigned char *)s);
	fputc('"', j->f);
	value_end(j);
}

void json_uint(struct json *j, unsigned long long v)
{
	value_begin(j);
	fprintf(j->f, "%llu", v);
	value_end(j);
}

void json_bool(struct json *j, bool v)
{
	value_begin(j);
	fputs(v ? "true" : "false", j->f);
	value_end(j);
}

void json_null(struct json *j)
{
	value_begin(j);
	fputs("null", j->f);
	value_end(j);
}

void json_double(struct json *j, double v)
{
	value_begin(j);
	fprintf(j->f, "%.2f", v == v && v < 1e300 && v > -1e300 ? v : 0.0);
	value_end(j);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_uint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

void json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}
