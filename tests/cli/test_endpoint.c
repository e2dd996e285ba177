// SPDX-License-Identifier: GPL-2.0
/*
 * test_endpoint.c - addresses on the command line and in output:
 * endpoints (user/lib/endpoint.c: exporter --listen, conns and events'
 * client and server) and prefixes (user/lib/prefix.c: allow, deny,
 * events --client).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "endpoint.h"
#include "prefix.h"

struct split_row {
	const char *name;
	const char *in;
	const char *host; /* NULL: refused */
	const char *port;
};

static const struct split_row split_rows[] = {
	{ "v4", "127.0.0.1:9469", "127.0.0.1", "9469" },
	{ "v4_any", "0.0.0.0:80", "0.0.0.0", "80" },
	{ "v6", "[::1]:9469", "::1", "9469" },
	{ "v6_full", "[2001:2::1]:8080", "2001:2::1", "8080" },
	{ "name", "localhost:80", "localhost", "80" }, /* getaddrinfo refuses it later */
	{ "no_port", "127.0.0.1", NULL },
	{ "empty_port", "127.0.0.1:", NULL },
	{ "empty_host", ":80", NULL },
	{ "empty_brackets", "[]:80", NULL },
	{ "bare_v6", "::1:80", NULL },
	{ "unclosed", "[::1:80", NULL },
	{ "empty", "", NULL },
	{ "host_too_long", "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1]:80", NULL },
};

struct format_row {
	const char *name;
	int v6;
	const char *addr; /* for inet_pton */
	unsigned int port;
	const char *out;
};

static const struct format_row format_rows[] = {
	{ "v4", 0, "198.18.0.1", 80, "198.18.0.1:80" },
	{ "v4_high_port", 0, "198.19.255.254", 65535, "198.19.255.254:65535" },
	{ "v6", 1, "2001:2::1", 443, "[2001:2::1]:443" },
	{ "v6_mapped", 1, "::ffff:198.18.0.1", 1, "[::ffff:198.18.0.1]:1" },
};

struct prefix_row {
	const char *name;
	const char *in;
	int v6;
	unsigned int len; /* taken: the length; refused: err set */
	const char *err;
};

#define PFX_BAD(in) "shakeoff: invalid PREFIX '" in "': expected a.b.c.d/len (len 0-32) or an " \
		    "IPv6 address/len (len 0-128); a bare address is one host\n"
#define PFX_HOST(in, len) "shakeoff: invalid PREFIX '" in "': bits are set past the /" #len \
			  " (the network is shorter)\n"

static const struct prefix_row prefix_rows[] = {
	{ "v4_host", "198.18.0.1", 0, 32 },
	{ "v4_net", "198.18.0.0/15", 0, 15 },
	{ "v4_all", "0.0.0.0/0", 0, 0 },
	{ "v4_32", "198.18.0.1/32", 0, 32 },
	{ "v6_host", "2001:2::1", 1, 128 },
	{ "v6_net", "2001:2::/48", 1, 48 },
	{ "v6_all", "::/0", 1, 0 },
	{ "v4_host_bits", "198.18.0.1/15", 0, 0, PFX_HOST("198.18.0.1/15", 15) },
	{ "v6_host_bits", "2001:2::1/48", 1, 0, PFX_HOST("2001:2::1/48", 48) },
	{ "v4_len_33", "198.18.0.0/33", 0, 0, PFX_BAD("198.18.0.0/33") },
	{ "v6_len_129", "2001:2::/129", 0, 0, PFX_BAD("2001:2::/129") },
	{ "len_empty", "198.18.0.0/", 0, 0, PFX_BAD("198.18.0.0/") },
	{ "len_sign", "198.18.0.0/+8", 0, 0, PFX_BAD("198.18.0.0/+8") },
	{ "len_long", "198.18.0.0/0008", 0, 0, PFX_BAD("198.18.0.0/0008") },
	{ "v4_short", "198.18.0", 0, 0, PFX_BAD("198.18.0") },
	{ "v4_octet", "198.18.0.256", 0, 0, PFX_BAD("198.18.0.256") },
	{ "name", "localhost", 0, 0, PFX_BAD("localhost") },
	{ "empty", "", 0, 0, PFX_BAD("") },
	{ "brackets", "[2001:2::1]", 0, 0, PFX_BAD("[2001:2::1]") },
};

static void split_case(const struct split_row *r)
{
	char host[40] = "", *err;
	const char *port = NULL;
	int rc;

	capture_begin();
	rc = endpoint_split(r->in, host, sizeof(host), &port);
	err = capture_end();
	check_long(check_name("endpoint.split", r->name, "result"), r->host ? 0 : -1, rc);
	check_str(check_name("endpoint.split", r->name, "stderr"), "", err);
	if (r->host) {
		check_str(check_name("endpoint.split", r->name, "host"), r->host, host);
		check_str(check_name("endpoint.split", r->name, "port"), r->port, port);
	}
	free(err);
}

static void format_case(const struct format_row *r)
{
	unsigned char addr[16];
	char out[64];

	if (inet_pton(r->v6 ? AF_INET6 : AF_INET, r->addr, addr) != 1) {
		fail(check_name("endpoint.format", r->name, NULL), "inet_pton refused %s", r->addr);
		return;
	}
	endpoint_format(r->v6, addr, r->port, out, sizeof(out));
	check_str(check_name("endpoint.format", r->name, NULL), r->out, out);
}

static void prefix_case(const struct prefix_row *r)
{
	struct prefix p;
	char *err;
	int rc;

	capture_begin();
	rc = parse_prefix(r->in, &p);
	err = capture_end();
	check_long(check_name("prefix", r->name, "result"), r->err ? -1 : 0, rc);
	check_str(check_name("prefix", r->name, "stderr"), r->err ? r->err : "", err);
	if (!r->err) {
		check_long(check_name("prefix", r->name, "family"), r->v6, p.v6);
		check_long(check_name("prefix", r->name, "len"), r->len, p.len);
	}
	free(err);
}

/* prefix_match: inside, outside, the other family. */
static void prefix_matches(void)
{
	struct prefix p4, p6;
	unsigned char a[16];
	char *err;

	capture_begin();
	parse_prefix("198.18.0.0/15", &p4);
	parse_prefix("2001:2::/48", &p6);
	err = capture_end();
	free(err);
	inet_pton(AF_INET, "198.19.255.255", a);
	check_long("prefix.match.v4_inside", 1, prefix_match(&p4, 0, a));
	inet_pton(AF_INET, "198.20.0.0", a);
	check_long("prefix.match.v4_outside", 0, prefix_match(&p4, 0, a));
	inet_pton(AF_INET6, "2001:2:0:ffff::1", a);
	check_long("prefix.match.v6_inside", 1, prefix_match(&p6, 1, a));
	inet_pton(AF_INET6, "2001:2:1::1", a);
	check_long("prefix.match.v6_outside", 0, prefix_match(&p6, 1, a));
	memset(a, 0, sizeof(a));
	check_long("prefix.match.other_family", 0, prefix_match(&p4, 1, a));
}

void test_endpoint(void)
{
	for (size_t i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]); i++)
		split_case(&split_rows[i]);
	for (size_t i = 0; i < sizeof(format_rows) / sizeof(format_rows[0]); i++)
		format_case(&format_rows[i]);
	for (size_t i = 0; i < sizeof(prefix_rows) / sizeof(prefix_rows[0]); i++)
		prefix_case(&prefix_rows[i]);
	prefix_matches();
}
