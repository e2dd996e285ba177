// SPDX-License-Identifier: GPL-2.0
/*
 * cost.c - `test_unit --cost`: what the key ring costs a forged ACK, in
 * program ns (BPF_PROG_RUN's own timing, the median of 7 runs of 100000
 * repeats each). A measurement, not a test: it prints a table and asserts
 * nothing.
 *
 * Forged ACKs, as a flood sends them: random ack numbers; with timestamps,
 * a TSecr whose time passes the age check (the attacker learns the clock
 * from one SYN-ACK) and whose key id is the one worst for the ring (that of
 * its keys, when they share one), so every try is a full MAC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"
#include "keyfile.h"

#define RUNS 7
#define REPEAT 100000

/* A ring of n keys; same_id: all of key 0's id, else ids as they fall. */
static int cost_ring(unsigned int n, bool same_id)
{
	struct so_secret s = { 0 };
	struct so_ring *r = &s.ring[0];
	__u32 id0 = 0;

	for (unsigned int i = 0; i < n; i++) {
		for (__u64 j = 0;; j++) {
			r->key[i].k[0] = 0x9e3779b97f4a7c15ULL * (i + 1);
			r->key[i].k[1] = j;
			if (i == 0)
				id0 = key_fingerprint(r->key[i].k) & SO_KEY_ID_MASK;
			/* distinct ids for the first four keys when not same_id */
			__u32 id = key_fingerprint(r->key[i].k) & SO_KEY_ID_MASK;
			if (same_id ? id == id0 : (i >= 4 || id == ((id0 + i) & SO_KEY_ID_MASK)))
				break;
		}
	}
	r->nkeys = n;
	return set_secret(&s);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static __u32 median_ns(const struct frame *f)
{
	__u32 ns[RUNS];

	for (int i = 0; i < RUNS; i++)
		if (xdp_run_time(f, REPEAT, &ns[i]))
			return 0;
	qsort(ns, RUNS, sizeof(ns[0]), cmp_u32);
	return ns[RUNS / 2];
}

static __u32 forged_ns(bool ts, int family)
{
	struct pkt_spec a = { .family = family, .flags = F_ACK, .dport = PORT_OPEN,
			      .ack = 0x5eed1234, .window = 502 };
	struct frame f;

	if (ts) {
		a.opts = O_TS;
		a.tsval = 0x01020304;
		a.tsecr = ((__u32)(tai_ns() / 1000000) & SO_TS_TIME_MASK) |
			  (__u32)cur_key_id() << SO_TS_KEY_SHIFT | 0x5a;
	}
	if (pkt_build(&a, &f))
		return 0;
	return median_ns(&f);
}

void measure_cost(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };

	printf("# forged ACK, ns in the XDP program (median of %d x %d BPF_PROG_RUN):\n", RUNS,
	       REPEAT);
	printf("# keys  ts:ids-apart  ts:one-id  no-ts  (IPv4)  ts:one-id  no-ts  (IPv6)\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		__u32 apart4, same4, nots4, same6, nots6;

		cost_ring(sizes[i], false);
		apart4 = forged_ns(true, 4);
		cost_ring(sizes[i], true);
		same4 = forged_ns(true, 4);
		nots4 = forged_ns(false, 4);
		same6 = forged_ns(true, 6);
		nots6 = forged_ns(false, 6);
		printf("# %4u  %12u  %9u  %5u          %9u  %5u\n", sizes[i], apart4, same4, nots4,
		       same6, nots6);
	}
	reset_maps();
}
