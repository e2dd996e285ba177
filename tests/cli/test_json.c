// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - the JSON writer (user/lib/json.c): strings escaped so that
 * any interface name, file name or peer's bytes still make JSON that parses
 * (RFC 8259; invalid UTF-8, RFC 3629, as U+FFFD), and commas placed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "json.h"

struct json_row {
	const char *name;
	const char *in;
	const char *out; /* json_str's output, quotes included */
};

static const struct json_row rows[] = {
	{ "plain", "eth0", "\"eth0\"" },
	{ "empty", "", "\"\"" },
	{ "quote", "a\"b", "\"a\\\"b\"" },
	{ "backslash", "a\\b", "\"a\\\\b\"" },
	{ "slash_kept", "a/b", "\"a/b\"" },
	{ "newline", "a\nb", "\"a\\u000ab\"" },
	{ "tab", "\t", "\"\\u0009\"" },
	{ "control_1", "\x01", "\"\\u0001\"" },
	{ "control_1f", "\x1f", "\"\\u001f\"" },
	{ "del", "\x7f", "\"\\u007f\"" },
	{ "space_tilde", " ~", "\" ~\"" },
	{ "utf8_2", "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "utf8_3", "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "utf8_4", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "utf8_max", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "lone_continuation", "\x80", "\"\\ufffd\"" },
	{ "overlong_2", "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
	{ "overlong_3", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "overlong_4", "\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "above_10ffff", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "f5", "\xf5\x80", "\"\\ufffd\\ufffd\"" },
	{ "truncated_3", "\xe2\x82", "\"\\ufffd\\ufffd\"" },
	{ "truncated_then_ascii", "\xe2x", "\"\\ufffdx\"" },
	{ "ff", "\xff", "\"\\ufffd\"" },
};

/* What fn writes through a writer on a memory stream. */
static char *written(void (*fn)(struct json *, const void *), const void *arg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json j;

	json_init(&j, f);
	fn(&j, arg);
	fclose(f);
	return out;
}

static void write_str(struct json *j, const void *s)
{
	json_str(j, s);
}

/* An object of every kind of value, nested. */
static void write_doc(struct json *j, const void *unused)
{
	(void)unused;
	json_object_begin(j);
	json_kv_str(j, "if", "eth0");
	json_kv_uint(j, "n", 18446744073709551615ull);
	json_kv_bool(j, "t", true);
	json_kv_bool(j, "f", false);
	json_kv_null(j, "none");
	json_kv_double(j, "rate", 2.5);
	json_key(j, "list");
	json_array_begin(j);
	json_uint(j, 1);
	json_object_begin(j);
	json_object_end(j);
	json_array_begin(j);
	json_array_end(j);
	json_str(j, "x");
	json_array_end(j);
	json_kv_str(j, "k\"ey", "v");
	json_object_end(j);
}

void test_json(void)
{
	char *out;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = written(write_str, rows[i].in);
		check_str(check_name("json", rows[i].name, NULL), rows[i].out, out);
		free(out);
	}
	out = written(write_doc, NULL);
	check_str("json.document",
		  "{\"if\":\"eth0\",\"n\":18446744073709551615,\"t\":true,\"f\":false,\"none\":null,"
		  "\"rate\":2.50,\"list\":[1,{},[],\"x\"],\"k\\\"ey\":\"v\"}",
		  out);
	free(out);
}
