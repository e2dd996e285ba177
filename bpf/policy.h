/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - which SYNs get a cookie: allow and deny lists by source
 * prefix, the arming mode (always, monitor, auto), the sources never
 * answered, the rates (--synack-rate, --signed-rate), the servers that
 * speak first; and the per-source counters that `shakeoff top` reads.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "shakeoff.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "handover.h"

enum list_kind {
	LIST_ALLOW,
	LIST_DENY,
};

/* Does the packet's source hit a prefix of the list? The hit is counted (the
 * list's hits column), so this is a step, not a bare predicate. */
static __always_inline bool list_hit(const struct so_config *cfg, const struct pkt *p,
				     enum list_kind kind)
{
	struct so_lpm_val *v = NULL;

	if (p->family == SO_AF_INET) {
		struct so_lpm4 k = { .prefixlen = 32, .addr = p->ip4->saddr };

		if (!(cfg->lists & (kind == LIST_DENY ? SO_LIST_DENY4 : SO_LIST_ALLOW4)))
			return false;
		v = bpf_map_lookup_elem(kind == LIST_DENY ? (void *)&deny4 : (void *)&allow4, &k);
	} else {
		struct so_lpm6 k = { .prefixlen = 128 };

		if (!(cfg->lists & (kind == LIST_DENY ? SO_LIST_DENY6 : SO_LIST_ALLOW6)))
			return false;
		__builtin_memcpy(k.addr, &p->ip6->saddr, sizeof(k.addr));
		v = bpf_map_lookup_elem(kind == LIST_DENY ? (void *)&deny6 : (void *)&allow6, &k);
	}
	if (!v)
		return false;
	v->hits++;
	return true;
}

/* Sum the rates of every CPU's latest window, where still fresh. */
struct arm_sum {
	__u64 now;
	__u64 total;
};

static long arm_add_cpu(__u32 cpu, struct arm_sum *sum)
{
	__u32 zero = 0;
	struct so_arm_state *a = bpf_map_lookup_percpu_elem(&armstate, &zero, cpu);

	if (!a)
		return 1; /* past the last possible CPU */
	if ((__s64)(sum->now - a->window_end) < (__s64)SO_ARM_FRESH_NS)
		sum->total += a->rate;
	return 0;
}

/* At the end of a window: judge the total rate for all CPUs. Armed above
 * the threshold; while armed, a total above half of it keeps it so; below
 * that it disarms SO_ARM_HOLD_NS after the last judgement that kept it
 * armed (hysteresis, so a flood at the threshold does not flap). The sum,
 * not each CPU's share, is judged: a flood need not spread evenly over the
 * receive queues. Plain stores: two CPUs judging at once reach the same
 * verdict from nearly the same sums. */
static __always_inline void arm_judge(const struct so_config *cfg, struct so_armed *g,
				      __u64 now)
{
	struct arm_sum sum = { .now = now };
	bool active = so_arm_active(g, now);

	bpf_loop(SO_ARM_MAX_CPUS, arm_add_cpu, &sum, 0);
	g->syn_rate = sum.total > 0xffffffff ? 0xffffffff : sum.total;
	if (sum.total > cfg->arm_threshold || (active && sum.total >= cfg->arm_threshold / 2)) {
		g->last_above = now;
		if (!g->armed)
			g->armed = 1;
	} else if (!active && g->armed) {
		g->armed = 0;
	}
}

/*
 * --arm auto: count this CPU's SYNs to protected ports in windows of
 * SO_ARM_WINDOW_NS; at each window's end, judge (arm_judge). Between
 * judgements a SYN costs a per-CPU increment and a read of the shared
 * decision, which is written only when it changes or is renewed.
 */
static __always_inline bool arm_auto_syn(const struct so_config *cfg)
{
	struct so_arm_state *a = singleton(&armstate);
	struct so_armed *g = singleton(&armed);
	__u64 now = bpf_ktime_get_ns(), elapsed;

	if (!a || !g)
		return true;
	a->syns++;
	elapsed = now - a->window_start;
	if (elapsed >= SO_ARM_WINDOW_NS) {
		a->rate = a->syns * NSEC_PER_SEC / elapsed;
		a->window_end = now;
		a->window_start = now;
		a->syns = 0;
		arm_judge(cfg, g, now);
	}
	return so_arm_active(g, now);
}

/* Are SYNs answered in XDP now (auto mode); always true otherwise. */
static __always_inline bool armed_now(const struct so_config *cfg)
{
	struct so_armed *g;

	if (cfg->arm != SO_ARM_AUTO)
		return true;
	g = singleton(&armed);
	return !g || so_arm_active(g, bpf_ktime_get_ns());
}

enum top_what {
	TOP_SYN,
	TOP_BAD_ACK,
};

/* Count a SYN or an invalid ACK of this source while shakeoff top runs. */
static __always_inline void top_count(const struct so_config *cfg, const struct pkt *p,
				      enum top_what what)
{
	struct so_src_key k = { .family = p->family };
	struct so_src_val *v, init = {};

	if (!cfg->top)
		return;
	if (p->family == SO_AF_INET)
		k.addr[0] = p->ip4->saddr;
	else
		__builtin_memcpy(k.addr, &p->ip6->saddr, sizeof(k.addr));
	v = bpf_map_lookup_elem(&sources, &k);
	if (!v) {
		bpf_map_update_elem(&sources, &k, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&sources, &k);
		if (!v)
			return;
	}
	if (what == TOP_SYN)
		v->syns++;
	else
		v->bad_acks++;
}

/* Never answer a source that cannot have sent a SYN, or whose answer would
 * go to many hosts or back to ourselves (RFC 1122 3.2.1.3, RFC 4291 2.5.2,
 * 2.7): a reflection or amplification vector otherwise. */
static __always_inline bool source_ok(const struct pkt *p)
{
	if (p->tcp->source == 0 || (p->eth->h_source[0] & 1))
		return false;
	if (p->family == SO_AF_INET) {
		__u32 s = bpf_ntohl(p->ip4->saddr);
		__u8 top = s >> 24;

		/* 0/8 "this network", 127/8 loopback, 224/4 and up multicast
		 * and reserved */
		return top != 0 && top != 127 && top < 224 && p->ip4->saddr != p->ip4->daddr;
	}
	const __u32 *s6 = p->ip6->saddr.in6_u.u6_addr32;
	const __u32 *d6 = p->ip6->daddr.in6_u.u6_addr32;

	if (p->ip6->saddr.in6_u.u6_addr8[0] == 0xff) /* multicast */
		return false;
	if (s6[0] == 0 && s6[1] == 0 &&
	    (s6[2] == bpf_htonl(0xffff) || (s6[2] == 0 && (s6[3] == 0 || s6[3] == bpf_htonl(1)))))
		return false; /* ::, ::1, v4-mapped */
	return s6[0] != d6[0] || s6[1] != d6[1] || s6[2] != d6[2] || s6[3] != d6[3];
}

/* --synack-rate: GCRA per CPU (gcra_take), bursts of one second's budget. */
static __always_inline bool budget_ok(const struct so_config *cfg)
{
	__u64 interval = cfg->synack_interval_ns;
	struct so_budget *b;

	if (!interval)
		return true;
	b = singleton(&budget);
	return b && gcra_take(b, interval);
}

/*
 * A SYN signed with TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925): only the
 * kernel holds the keys to check it and to sign the SYN-ACK, so it goes
 * there (a SYN-ACK of ours, unsigned, would be dropped by the client).
 * Allowed sources have passed before this; the rest get --signed-rate, so
 * that a flood of SYNs with a fake signature costs the kernel at most that
 * (the kernel drops them after its full receive path and a key lookup, or
 * an MD5 over the segment for a source that has a key).
 */
static __always_inline enum so_result syn_signed(const struct so_config *cfg)
{
	struct so_budget *b = singleton(&signed_budget);

	if (!cfg->signed_interval_ns || !b || !gcra_take(b, cfg->signed_interval_ns))
		return verdict(SO_C_DROP_SIGNED_RATE, SO_DROP);
	return hand_over(SO_C_PASSED_SIGNED);
}

/*
 * A server that speaks first (SMTP, MySQL, FTP: --speak-first) waits for
 * nothing from its client, so a lost third ACK leaves both waiting: only
 * the kernel's retransmitted SYN-ACK draws the ACK again, and a cookie
 * SYN-ACK from XDP is never retransmitted. While no flood is on (the SYN
 * rate of --arm auto's judgement below --threshold), such a port's SYNs go
 * to the kernel, which keeps a request socket and retransmits. Under a
 * flood they get cookies like any other, and a lost third ACK then hangs
 * the connection until the client gives up, as with the kernel's own
 * cookies.
 */
static __always_inline bool speaks_first(const struct pkt *p)
{
	return port_in(&speakfirst, p->tcp->dest);
}
