/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twgate.h - SYNs of a 4-tuple in TIME-WAIT belong to the kernel, and the
 * client segments that show such a socket of the server's.
 *
 * A SYN for a 4-tuple in time_wait belongs to the kernel: a client reusing
 * its port while the server holds the old connection in TIME-WAIT (RFC
 * 6191). Only the kernel can retire the TIME-WAIT socket, which it does
 * when it takes the SYN; a cookie ACK would meet the TIME-WAIT socket and
 * be reset.
 *
 * Entries in other states do not matter here: a SYN for a live
 * connection's 4-tuple comes only from a client that lost its socket, and
 * gets a cookie like any other SYN. Under a flood of random 4-tuples the
 * lookup is a cache miss per SYN (11% of a SYN's path on one core, perf in
 * make bench), so the TIME-WAIT filter comes first (tw_gate_syn).
 * If the server's socket is gone too (its RST never left, say), that
 * SYN's ACK meets the old entry: handle_segment() tells it from the
 * old connection's segments by its sequence numbers, and its cookie
 * replaces the entry (close "replaced"), with no lookup on the SYN path.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "track.h"
#include "twnote.h"
#include "sweeper.h"

/* Is k's entry in time_wait? (conn_lookup() removes an entry the idle
 * timeout took, as every lookup of the table does.) */
static __always_inline bool tracked_in_time_wait(struct so_flow_key *k)
{
	struct so_conn *c = conn_lookup(k);

	return c && c->state == SO_ST_TIME_WAIT;
}

/*
 * Is k noted as a TIME-WAIT socket that no entry stands for (map
 * "timewait")? The connection closed before attach, the kernel made it,
 * its entry left the table early. A cookie SYN-ACK would lead the
 * client's ACKs to that socket, and the new connection would hang. The
 * note stays after a hit: the kernel may refuse the SYN (an old sequence
 * number), and then its retransmission must reach it too.
 */
static __always_inline bool syn_of_orphan(struct so_flow_key *k)
{
	struct so_tw *tw = bpf_map_lookup_elem(&timewait, k);

	return tw && (__s64)(tw->until_ns - bpf_ktime_get_ns()) > 0;
}

/*
 * The TIME-WAIT gate of a SYN: true when it goes to the kernel, its
 * 4-tuple's socket being in TIME-WAIT. While there is none at all (the
 * gauges are 0) a SYN reads three words for it; else the filter's slot of
 * its key, and only if that is not 0 the hash lookups. On the way it
 * merges in what attach and set noted, and ends the 4-tuple's entry in
 * time_wait: the kernel retires the socket as it takes the SYN, so the
 * entry's connection is over.
 * XXX: an LRU eviction of an entry in time_wait is silent and not noted;
 * size --conn-max above the connections open and in time_wait at once.
 */
static __always_inline bool tw_gate_syn(const struct pkt *p, const struct so_config *cfg)
{
	struct so_sweeper *s = singleton(&sweeper);
	struct so_flow_key k = {};
	struct so_twfilter *f;

	if (!s || (s->time_wait == 0 && s->tw_orphans == 0 && cfg->tw_cli_added == s->tw_cli_seen))
		return false;
	if (tw_cli_merge(s, cfg))
		sweeper_start(); /* the notes expire by the sweeper */
	flow_key(&k, p, false);
	f = singleton(&twfilter);
	if (f && f->count[so_twf_slot(&k) & (SO_TWF_SLOTS - 1)] == 0)
		return false;
	if (s->time_wait && tracked_in_time_wait(&k)) {
		track_exit(&k, SO_C_CLOSED_GRACEFUL, SO_CLOSER_NONE);
		return true;
	}
	return s->tw_orphans && syn_of_orphan(&k);
}

/* A client's segment met the server's socket of its 4-tuple (no entry)
 * closing first, or closed: it is in TIME-WAIT, or will be once the
 * client's FIN is acknowledged (RFC 9293 3.6). */
static __always_inline void tw_note_socket(const struct pkt *p, int state)
{
	struct so_flow_key k = {};

	if (state != BPF_TCP_FIN_WAIT1 && state != BPF_TCP_FIN_WAIT2 &&
	    state != BPF_TCP_CLOSING && state != BPF_TCP_TIME_WAIT)
		return;
	flow_key(&k, p, false);
	tw_orphan_note(&k, bpf_ktime_get_ns() + SO_KERNEL_TW_NS, SO_TW_CLOSING);
	sweeper_start();
}
