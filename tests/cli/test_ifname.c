// SPDX-License-Identifier: GPL-2.0
/*
 * test_ifname.c - interface names as pin directory names (user/lib/pins.c):
 * bpffs refuses a dot in a name, so '.' is written "%2e" and '%' "%25";
 * decoding takes back exactly what encoding makes, so that no other
 * directory (a tmp one with ':', a stray file) is taken for an attachment.
 */
#include <string.h>

#include "check.h"
#include "options.h"
#include "pins.h"

struct encode_row {
	const char *name;
	const char *ifname;
	const char *dir;
};

static const struct encode_row encode_rows[] = {
	{ "plain", "eth0", "eth0" },
	{ "vlan", "eth0.100", "eth0%2e100" },
	{ "two_dots", "a.b.c", "a%2eb%2ec" },
	{ "percent", "a%b", "a%25b" },
	{ "percent_2e", "a%2e", "a%252e" },
	{ "dash_underscore", "so-v_1", "so-v_1" },
	{ "fifteen_dots", "...............", "%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e" },
};

struct decode_row {
	const char *name;
	const char *dir;
	const char *ifname; /* NULL: not an attachment's directory */
};

static const struct decode_row decode_rows[] = {
	{ "plain", "eth0", "eth0" },
	{ "vlan", "eth0%2e100", "eth0.100" },
	{ "percent", "a%25b", "a%b" },
	{ "tmp_dir", "eth0:tmp-123", NULL },
	{ "dot", "eth0.100", NULL },
	{ "other_escape", "a%2fb", NULL },
	{ "upper_escape", "a%2Eb", NULL },
	{ "lone_percent", "a%", NULL },
	{ "empty", "", NULL },
};

void test_ifname(void)
{
	char out[64];

	for (size_t i = 0; i < sizeof(encode_rows) / sizeof(encode_rows[0]); i++) {
		const struct encode_row *r = &encode_rows[i];

		pins_encode_ifname(r->ifname, out, sizeof(out));
		check_str(check_name("ifname.encode", r->name, NULL), r->dir, out);
		check_long(check_name("ifname.encode", r->name, "no_dot"), 0, strchr(out, '.') != NULL);
		if (!pins_decode_ifname(out, out, sizeof(out)))
			fail(check_name("ifname.encode", r->name, "round_trip"), "'%s' did not decode",
			     r->dir);
		else
			check_str(check_name("ifname.encode", r->name, "round_trip"), r->ifname, out);
	}
	for (size_t i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
		const struct decode_row *r = &decode_rows[i];
		bool taken = pins_decode_ifname(r->dir, out, sizeof(out));

		check_long(check_name("ifname.decode", r->name, "taken"), r->ifname != NULL, taken);
		if (r->ifname && taken)
			check_str(check_name("ifname.decode", r->name, NULL), r->ifname, out);
	}
}
