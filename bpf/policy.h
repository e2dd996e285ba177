/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - what the operator decides: allow and deny lists by source
 * prefix, the arming mode (always, monitor, auto) and the per-source
 * counters that `shakeoff top` reads.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

enum list_kind {
	LIST_ALLOW,
	LIST_DENY,
};

/* Does the packet's source match a prefix of the list? Counts the hit. */
static __always_inline bool list_match(const struct so_config *cfg, const struct pkt *p,
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
		a->rate = a->syns * 1000000000ULL / elapsed;
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
