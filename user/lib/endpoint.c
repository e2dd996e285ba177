// SPDX-License-Identifier: GPL-2.0
/* endpoint.c - see endpoint.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"

void endpoint_format(int v6, const void *addr, unsigned int port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(v6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a, port);
}

int endpoint_split(const char *arg, char *host, size_t hlen, const char **port)
{
	const char *colon = strrchr(arg, ':'), *start = arg;
	size_t n;

	if (!colon || !colon[1])
		return -1;
	*port = colon + 1;
	n = colon - arg;
	if (arg[0] == '[') {
		if (n < 2 || colon[-1] != ']')
			return -1;
		start = arg + 1;
		n -= 2;
	} else if (memchr(arg, ':', n)) {
		return -1; /* a bare IPv6 address needs its brackets */
	}
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, start, n);
	host[n] = '\0';
	return 0;
}
