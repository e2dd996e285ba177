// SPDX-License-Identifier: GPL-2.0
/*
 * fill.c - put N made-up connections into an attachment's connection table
 * through its pinned maps, as the data path would have made them: entries
 * in "conns" (batch updates), their count on the idle wheel ("wheel") and
 * in the gauges and the table's count ("gauges"; never "sweeper": an update
 * from userspace would cancel its timer). For the tests and the
 * bench of a big table (make bench, BENCH_ONLY=tables).
 *
 *   fill PIN_DIR N [IDLE_S [SERVER_ADDR [PORT]]]
 *
 * The clients are 198.19.0.0/16 (addresses) times ports 1024..; the server
 * is SERVER_ADDR:PORT (default 198.18.0.1:9). IDLE_S (default 0): the
 * entries' last packet was that many seconds ago, so an idle timeout takes
 * them that much sooner. Prints one JSON object: entries, seconds.
 *
 * Without the maps "wheel" and "gauges" (a build from before them: the
 * bench's comparison with the old sweeper) only "conns" is filled.
 *
 * The gauges are read, added to and written back: run it while no
 * connection comes or goes (a test's set-up), or accept a gauge that is
 * off by the connections that did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "shakeoff.h"

#define BATCH 8192

static int open_pin(const char *dir, const char *name, bool quiet)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && !(quiet && errno == ENOENT))
		fprintf(stderr, "fill: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The i-th made-up client of server:port. */
static void make_key(struct so_flow_key *k, unsigned long i, __be32 server, __u16 port)
{
	memset(k, 0, sizeof(*k));
	k->family = SO_AF_INET;
	k->saddr[0] = htonl(0xc6130000u | (i & 0xffff)); /* 198.19.x.y */
	k->sport = htons(1024 + i / 0x10000);
	k->daddr[0] = server;
	k->dport = htons(port);
}

static int put_entries(int fd, unsigned long n, __u64 t, __be32 server, __u16 port)
{
	static struct so_flow_key keys[BATCH];
	static struct so_conn vals[BATCH];
	struct so_conn c = { .state = SO_ST_ESTABLISHED, .t_established = t, .t_last = t,
			     .tsec = so_wheel_unit(t), .pkts_in = 1 };

	for (unsigned long done = 0; done < n;) {
		__u32 m = n - done > BATCH ? BATCH : n - done;

		for (__u32 i = 0; i < m; i++) {
			make_key(&keys[i], done + i, server, port);
			vals[i] = c;
		}
		if (bpf_map_update_batch(fd, keys, vals, &m, NULL)) {
			fprintf(stderr, "fill: cannot add entries %lu..: %s\n", done,
				strerror(errno));
			return -1;
		}
		done += m;
	}
	return 0;
}

/* Count them as the data path counts a new connection (bpf/track.h). */
static int count_in(int wheel_fd, int gauges_fd, unsigned long n, __u64 t)
{
	__u32 slot = so_wheel_unit(t) & (SO_WHEEL_SLOTS - 1), zero = 0;
	struct so_wheel_slot w;
	struct so_gauges s;

	if (bpf_map_lookup_elem(wheel_fd, &slot, &w) || bpf_map_lookup_elem(gauges_fd, &zero, &s)) {
		fprintf(stderr, "fill: cannot read the gauges: %s\n", strerror(errno));
		return -1;
	}
	w.n[SO_ST_ESTABLISHED] += n;
	s.state[SO_ST_ESTABLISHED] += n;
	s.entries += n;
	s.tracked += n; /* as the data path's inserts: not evictions */
	if (bpf_map_update_elem(wheel_fd, &slot, &w, BPF_ANY) ||
	    bpf_map_update_elem(gauges_fd, &zero, &s, BPF_ANY)) {
		fprintf(stderr, "fill: cannot write the gauges: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	unsigned long long idle = argc > 3 ? strtoull(argv[3], NULL, 10) : 0, t0, t;
	unsigned int port = argc > 5 ? strtoul(argv[5], NULL, 10) : 9;
	struct in_addr server = { htonl(0xc6120001u) }; /* 198.18.0.1 */
	int conns, wheel, gauges, rc = 1;

	if (argc < 3 || argc > 6 || !n || (argc > 4 && inet_pton(AF_INET, argv[4], &server) != 1)) {
		fprintf(stderr, "usage: fill PIN_DIR N [IDLE_S [SERVER_ADDR [PORT]]]\n");
		return 2;
	}
	conns = open_pin(argv[1], "conns", false);
	wheel = open_pin(argv[1], "wheel", true);
	gauges = open_pin(argv[1], "gauges", true);
	if (conns < 0 || (wheel < 0) != (gauges < 0))
		return 1;
	t0 = mono_ns();
	t = t0 - idle * 1000000000ull;
	if (!put_entries(conns, n, t, server.s_addr, port) &&
	    (wheel < 0 || !count_in(wheel, gauges, n, t))) {
		printf("{\"entries\": %lu, \"seconds\": %.3f}\n", n, (mono_ns() - t0) / 1e9);
		rc = 0;
	}
	close(conns);
	if (wheel >= 0)
		close(wheel);
	if (gauges >= 0)
		close(gauges);
	return rc;
}
