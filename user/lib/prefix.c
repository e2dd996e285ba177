// SPDX-License-Identifier: GPL-2.0
/* prefix.c - see prefix.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prefix.h"

/* Are the bits past len all zero? */
static bool host_bits_clear(const struct prefix *p)
{
	unsigned int bytes = p->v6 ? 16 : 4;

	for (unsigned int bit = p->len; bit < bytes * 8; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static int parse_len(const char *s, unsigned int max, unsigned int *len)
{
	char *end;

	if (!isdigit((unsigned char)*s) || strlen(s) > 3)
		return -1;
	*len = strtoul(s, &end, 10);
	return *end || *len > max ? -1 : 0;
}

int parse_prefix(const char *arg, struct prefix *p)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(arg, '/');
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);

	memset(p, 0, sizeof(*p));
	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, arg, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->v6 = 0;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->v6 = 1;
	else
		goto bad;
	p->len = p->v6 ? 128 : 32;
	if (slash && parse_len(slash + 1, p->len, &p->len))
		goto bad;
	if (!host_bits_clear(p)) {
		pr_err("invalid PREFIX '%s': bits are set past the /%u (the network is shorter)",
		       arg, p->len);
		return -1;
	}
	return 0;
bad:
	pr_err("invalid PREFIX '%s': expected a.b.c.d/len (len 0-32) or an IPv6 address/len "
	       "(len 0-128); a bare address is one host", arg);
	return -1;
}

bool prefix_match(const struct prefix *p, int v6, const void *addr)
{
	const __u8 *a = addr;
	unsigned int bytes = p->len / 8, rest = p->len % 8;

	if (p->v6 != v6 || memcmp(a, p->addr, bytes))
		return false;
	return !rest || !((a[bytes] ^ p->addr[bytes]) & (0xff00 >> rest));
}
