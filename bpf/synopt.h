/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synopt.h - window scale and SACK for clients without timestamps.
 *
 * Their cookie (the ISN alone) has no room for these options next to a
 * strong MAC, so the SYN's are kept in the "synopts" table, in the slot
 * the ISN's MAC bits pick (struct so_synopt, include/shakeoff.h). One
 * table for all CPUs: the third ACK may arrive on another receive queue
 * than its SYN. An LRU hash keyed by the 4-tuple cost 0.75 us a write here
 * (allocation, locks and eviction in a 7 MB table); one 8-byte store does
 * not. Writes are bounded (SO_SYNOPT_RATE a second): a flood of
 * SYNs without timestamps spends the budget, not the table, and the SYNs
 * past it get MSS only, as the kernel's own cookies give every such client.
 * The entry is only ever a hint: the cookie alone decides the ACK's
 * validity, and a lost or overwritten entry means MSS only.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "cookie.h"

/* ns between two writes, per CPU: attach sets it before load from
 * --synopt-rate shared by the online CPUs (SO_SYNOPT_NEVER: none); this
 * default, SO_SYNOPT_RATE on 2 CPUs, is for the unit tests. */
const volatile __u64 synopt_interval_ns = 2 * NSEC_PER_SEC / SO_SYNOPT_RATE;

/* The --synack-rate budget's GCRA (gcra_take(), common.h): bursts of one
 * second's budget; with less than one write a second per CPU, no burst. */
static __always_inline bool synopt_budget_ok(void)
{
	struct so_budget *b = singleton(&synoptbudget);
	__u64 interval = synopt_interval_ns;

	return b && interval != SO_SYNOPT_NEVER && gcra_take(b, interval);
}

union synopt_word {
	struct so_synopt e;
	__u64 w;
};

/*
 * Keep the options of a SYN without timestamps (co: what choose_options()
 * granted) for its ACK, in the slot of its ISN; false when they cannot be
 * kept, and the SYN-ACK must offer MSS only. Only when co has SACK or
 * window scale.
 */
static __always_inline bool synopt_save(const struct pkt *p, const struct cookie_opts *co,
					__u32 isn)
{
	union synopt_word v = { .e = { .isn = isn, .sport = p->tcp->source,
				       .wscale = co->wscale, .sack = co->sack } };
	__u32 slot = SO_SYNOPT_SLOT(isn);
	__u64 *e;

	if (!synopt_budget_ok()) {
		count(SO_C_SYNOPT_OVER_BUDGET);
		return false;
	}
	e = bpf_map_lookup_elem(&synopts, &slot);
	if (!e)
		return false;
	*(volatile __u64 *)e = v.w; /* one store: never half an entry */
	count(SO_C_SYNOPT_SAVED);
	return true;
}

/* The options kept for a valid cookie without timestamps (the ACK's
 * ack_seq - 1): into co, if its slot holds this cookie of this port. */
static __always_inline void synopt_restore(const struct pkt *p, __u32 cookie,
					   struct cookie_opts *co)
{
	__u32 slot = SO_SYNOPT_SLOT(cookie);
	union synopt_word v;
	__u64 *e = bpf_map_lookup_elem(&synopts, &slot);

	if (!e)
		return;
	v.w = *(volatile __u64 *)e; /* one load: the entry as one store left it */
	if (v.e.isn != cookie || v.e.sport != p->tcp->source)
		return;
	co->wscale = v.e.wscale;
	co->sack = v.e.sack;
	count(SO_C_SYNOPT_RESTORED);
}
