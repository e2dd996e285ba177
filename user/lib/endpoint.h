/* SPDX-License-Identifier: GPL-2.0 */
/*
 * endpoint.h - an address and port as the CLI writes and reads them:
 * "198.18.0.1:80" and "[2001:2::1]:80" (the brackets keep an IPv6
 * address's colons apart from the port's), in conns, events and exporter
 * --listen.
 */
#pragma once

#include <stddef.h>

/* addr (4 or 16 bytes, network order) and port (host order) into buf;
 * an address inet_ntop cannot write is "?". */
void endpoint_format(int v6, const void *addr, unsigned int port, char *buf, size_t len);

/* "ADDR:PORT" or "[V6ADDR]:PORT" into host (without the brackets) and
 * *port (pointing into arg). 0, or -1: no port, an empty host, a bare IPv6
 * address, unbalanced brackets, or a host longer than hlen - 1. */
int endpoint_split(const char *arg, char *host, size_t hlen, const char **port);
