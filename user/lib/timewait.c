// SPDX-License-Identifier: GPL-2.0
/* timewait.c - see timewait.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "log.h"
#include "ports.h"
#include "sys.h"
#include "timewait.h"

#define TCP_TIME_WAIT 0x06 /* include/net/tcp_states.h, as /proc/net/tcp prints st */

/* "ADDR:PORT" as /proc/net/tcp prints it: the address as 1 or 4 32-bit words
 * in hex, each as the kernel stores it (network order in memory), the port
 * in host order. */
static int parse_endpoint(const char *s, int words, __be32 *addr, __be16 *port)
{
	char word[9] = "";

	if (strlen(s) != (size_t)words * 8 + 5 || s[words * 8] != ':')
		return -1;
	for (int i = 0; i < words; i++) {
		memcpy(word, s + i * 8, 8);
		addr[i] = (__be32)strtoul(word, NULL, 16);
	}
	*port = htons((__u16)strtoul(s + words * 8 + 1, NULL, 16));
	return 0;
}

static bool v4_mapped(const __be32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == htonl(0xffff);
}

static void unmap(struct so_flow_key *k)
{
	k->family = SO_AF_INET;
	k->saddr[0] = k->saddr[3];
	k->daddr[0] = k->daddr[3];
	memset(&k->saddr[1], 0, 3 * sizeof(__be32));
	memset(&k->daddr[1], 0, 3 * sizeof(__be32));
}

static int scan_table(const char *path, int family, int map_fd, const struct so_ports *ports,
		      __u64 until)
{
	struct so_tw v = { .until_ns = until, .source = SO_TW_ATTACH };
	FILE *f = fopen(path, "r");
	char line[512], local[64], remote[64];
	int words = family == SO_AF_INET ? 1 : 4, added = 0;
	unsigned int st;

	if (!f)
		return 0; /* no IPv6, say: nothing there */
	while (fgets(line, sizeof(line), f)) {
		struct so_flow_key k = { .family = family };

		if (sscanf(line, " %*s %63s %63s %x", local, remote, &st) != 3 ||
		    st != TCP_TIME_WAIT ||
		    parse_endpoint(local, words, k.daddr, &k.dport) ||
		    parse_endpoint(remote, words, k.saddr, &k.sport) ||
		    !ports_has(ports, ntohs(k.dport)))
			continue;
		if (family == SO_AF_INET6 && v4_mapped(k.saddr) && v4_mapped(k.daddr))
			unmap(&k); /* a dual-stack socket's: the wire has IPv4 */
		if (bpf_map_update_elem(map_fd, &k, &v, BPF_NOEXIST) == 0)
			added++;
		else if (errno != EEXIST) {
			pr_err("cannot note a TIME-WAIT socket in the timewait map: %s",
			       strerror(errno));
			added = -1;
			break;
		}
	}
	fclose(f);
	return added;
}

int timewait_scan(int map_fd, const struct so_ports *ports)
{
	/* bpf_ktime_get_ns()'s clock, which the programs compare with */
	__u64 until = clock_ns(CLOCK_MONOTONIC) + SO_KERNEL_TW_NS;
	int n4 = scan_table("/proc/net/tcp", SO_AF_INET, map_fd, ports, until), n6;

	if (n4 < 0)
		return -1;
	n6 = scan_table("/proc/net/tcp6", SO_AF_INET6, map_fd, ports, until);
	return n6 < 0 ? -1 : n4 + n6;
}
