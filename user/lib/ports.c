// SPDX-License-Identifier: GPL-2.0
/* ports.c - parse and print port lists; see ports.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ports.h"

bool ports_has(const struct so_ports *ports, unsigned int port)
{
	return (ports->bits[port >> 6] >> (port & 63)) & 1;
}

static void ports_set(struct so_ports *ports, unsigned int port)
{
	ports->bits[port >> 6] |= 1ull << (port & 63);
}

/* Digits only; values above PORT_MAX come back as PORT_MAX + 1. */
static bool parse_port(const char *s, size_t len, unsigned int *port)
{
	unsigned long v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > PORT_MAX)
			v = PORT_MAX + 1;
	}
	*port = v;
	return true;
}

/* One item of the list: "443" or "8000-8100". */
static int add_item(const char *opt, const char *item, size_t len, struct so_ports *ports)
{
	const char *dash = memchr(item, '-', len);
	size_t first_len = dash ? (size_t)(dash - item) : len;
	unsigned int lo, hi;

	if (len == 0) {
		pr_err("invalid --%s: empty item (two commas in a row, or a comma at either end)", opt);
		return -1;
	}
	if (!parse_port(item, first_len, &lo) ||
	    !(dash ? parse_port(dash + 1, len - first_len - 1, &hi) : (hi = lo, true))) {
		pr_err("invalid --%s item '%.*s': expected a port or a range FIRST-LAST", opt,
		       (int)len, item);
		return -1;
	}
	if (lo == 0 || hi == 0 || lo > PORT_MAX || hi > PORT_MAX) {
		pr_err("invalid --%s item '%.*s': ports are 1 to 65535", opt, (int)len, item);
		return -1;
	}
	if (lo > hi) {
		pr_err("invalid --%s item '%.*s': the range is reversed", opt, (int)len, item);
		return -1;
	}
	for (unsigned int p = lo; p <= hi; p++)
		ports_set(ports, p);
	return 0;
}

int ports_parse(const char *list, struct so_ports *ports)
{
	return ports_parse_opt("ports", list, ports);
}

int ports_parse_opt(const char *opt, const char *list, struct so_ports *ports)
{
	const char *item = list;
	size_t len;

	memset(ports, 0, sizeof(*ports));
	if (!*list) {
		pr_err("invalid --%s: the list is empty (expected e.g. 80,443,8000-8100)", opt);
		return -1;
	}
	for (;;) {
		len = strcspn(item, ",");
		if (add_item(opt, item, len, ports))
			return -1;
		if (!item[len])
			return 0;
		item += len + 1;
	}
}

char *ports_format(const struct so_ports *ports)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	const char *sep = "";

	if (!f)
		return NULL;
	for (unsigned int p = 1; p <= PORT_MAX; p++) {
		unsigned int last = p;

		if (!ports_has(ports, p))
			continue;
		while (last < PORT_MAX && ports_has(ports, last + 1))
			last++;
		if (last == p)
			fprintf(f, "%s%u", sep, p);
		else
			fprintf(f, "%s%u-%u", sep, p, last);
		sep = ",";
		p = last;
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
