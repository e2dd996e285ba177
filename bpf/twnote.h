/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twnote.h - the server's TIME-WAIT sockets that no conns entry stands for
 * (map "timewait"): the connection closed before attach, the kernel made
 * it, its entry left the table early, or its entry's linger ended before
 * the kernel's TIME-WAIT. A SYN of such a 4-tuple goes to the kernel
 * (twgate.h); the sweeper expires the notes (sweeper.h).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "maps.h"
#include "track.h"

/* Note the server's TIME-WAIT socket of 4-tuple k, gone by until: a new
 * note, or a later end for a known one. The sweeper expires notes: a
 * caller outside it starts the sweeper too (sweeper_start(), sweeper.h;
 * not from the sweeper's own callback, which the verifier would take for a
 * loop). */
static __always_inline void tw_orphan_note(struct so_flow_key *k, __u64 until, __u8 source)
{
	struct so_sweeper *s = singleton(&sweeper);
	struct so_tw v = { .until_ns = until, .source = source, .filtered = 1 }, *old;

	if (!s)
		return;
	if (bpf_map_update_elem(&timewait, k, &v, BPF_NOEXIST) == 0) {
		__sync_fetch_and_add(&s->tw_inserts, 1);
		__sync_fetch_and_add(&s->tw_orphans, 1);
		twf_add(k, 1);
		return;
	}
	old = bpf_map_lookup_elem(&timewait, k);
	if (old && old->until_ns < until)
		old->until_ns = until;
}

static __always_inline void tw_orphan_forget(struct so_flow_key *k)
{
	struct so_sweeper *s = singleton(&sweeper);
	struct so_tw *v = bpf_map_lookup_elem(&timewait, k);
	bool filtered = v && v->filtered;

	if (s && bpf_map_delete_elem(&timewait, k) == 0) {
		__sync_fetch_and_add(&s->tw_orphans, -1);
		if (filtered)
			twf_add(k, -1);
	}
}

/* attach's and set's notes into the filter (they write the map, the
 * programs own the filter). */
static long twf_take_one(void *map, struct so_flow_key *k, struct so_tw *v, void *unused)
{
	if (!v->filtered) {
		v->filtered = 1;
		twf_add(k, 1);
	}
	return 0;
}

/* Count in what attach and set put in the map; true if there was any
 * (the caller then starts the sweeper, which expires the notes). Two CPUs
 * may both count the same: the gauge may stay above the truth, never
 * below. */
static __always_inline bool tw_cli_merge(struct so_sweeper *s, const struct so_config *cfg)
{
	__u64 added = cfg->tw_cli_added, seen = s->tw_cli_seen;

	if (added == seen)
		return false;
	s->tw_cli_seen = added;
	__sync_fetch_and_add(&s->tw_orphans, (__u32)(added - seen));
	/* once per attach or set: a walk over the map (SO_TW_MAX at most) */
	bpf_for_each_map_elem(&timewait, twf_take_one, NULL, 0);
	return true;
}
