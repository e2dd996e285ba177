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

/*
 * --arm auto: count this CPU's SYNs to protected ports in windows of
 * SO_ARM_WINDOW_NS and judge at each window's end. Armed above the
 * threshold; while armed, a rate above half of it keeps it so; below that
 * it disarms SO_ARM_HOLD_NS after the last window that kept it armed
 * (hysteresis, so a flood at the threshold does not flap), see
 * so_arm_active(). Per CPU and lock-free: each CPU judges its own share of
 * the threshold.
 */
static __always_inline bool arm_auto_syn(const struct so_config *cfg)
{
	struct so_arm_state *a = singleton(&armstate);
	__u64 now = bpf_ktime_get_ns(), elapsed, rate;

	if (!a)
		return true;
	a->syns++;
	elapsed = now - a->window_start;
	if (elapsed < SO_ARM_WINDOW_NS)
		return so_arm_active(a, now);
	rate = a->syns * 1000000000ULL / elapsed;
	if (rate > cfg->arm_threshold_pcpu ||
	    (so_arm_active(a, now) && rate >= cfg->arm_threshold_pcpu / 2)) {
		a->armed = 1;
		a->last_above = now;
	} else if (!so_arm_active(a, now)) {
		a->armed = 0;
	}
	a->window_start = now;
	a->syns = 0;
	return so_arm_active(a, now);
}

/* Is this CPU answering SYNs now (auto mode); always true otherwise. */
static __always_inline bool armed_now(const struct so_config *cfg)
{
	struct so_arm_state *a;

	if (cfg->arm != SO_ARM_AUTO)
		return true;
	a = singleton(&armstate);
	return !a || so_arm_active(a, bpf_ktime_get_ns());
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
