/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prefix.h - an address prefix from the command line (allow, deny, events
 * --client): a.b.c.d/len or IPv6-address/len, a bare address one host.
 */
#pragma once

#include <stdbool.h>

#include <linux/types.h>

struct prefix {
	int v6;           /* 0: IPv4, 1: IPv6 */
	__u8 addr[16];    /* network order */
	unsigned int len; /* prefix length */
};

/* 0, or -1 after one sentence naming arg. */
int parse_prefix(const char *arg, struct prefix *p);

/* Is addr (4 or 16 bytes, network order, of family v6) inside p? */
bool prefix_match(const struct prefix *p, int v6, const void *addr);
