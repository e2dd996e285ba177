/* SPDX-License-Identifier: GPL-2.0 */
/*
 * newconn.h - a connection enters the table: its entry when the kernel was
 * given a socket from a cookie (tc_ingress in kfunc mode, kc_ack in kernel
 * mode), and its confirmation once the kernel's socket shows itself.
 */
#pragma once

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "events.h"
#include "track.h"
#include "sweeper.h"

/* A request socket was assigned: a new connection, or another try at one
 * whose first socket the kernel has not completed: its accept queue was
 * full, so the client sent its ACK or data again; or the third ACK and the
 * first data segment came in on two receive queues and met TC on two CPUs
 * at once, microseconds apart (seen on a two-queue veth: ~0.5% of a
 * churn's connections). The kernel resolves the second: the child it
 * builds finds the first in the established hash and hands the segment to
 * it (tcp_v4_syn_recv_sock, "found_dup_sk", the syncookie case).
 * For the open event: m, our cookie's options; else kts, the kernel's
 * cookie's third ACK (kernel mode); or neither: unknown (ev_open). */
static __always_inline void conn_insert(const struct pkt *p, const struct so_meta *m,
					const struct kts_echo *kts)
{
	struct so_flow_key k = {};
	struct so_conn c = {}, *old;

	flow_key(&k, p, false);
	old = conn_lookup(&k);
	if (old && (old->flags & SO_CF_UNCONFIRMED)) {
		conn_touch(old, bpf_ktime_get_ns());
		count(SO_C_CONN_RETRIED);
		return;
	}
	/* The kernel gave this 4-tuple a new socket, so an old entry's
	 * connection is gone. */
	if (old)
		track_exit(&k, SO_C_CONN_REPLACED, SO_CLOSER_NONE);
	c.state = SO_ST_ESTABLISHED;
	c.flags = SO_CF_UNCONFIRMED;
	c.t_established = c.t_last = bpf_ktime_get_ns();
	c.tsec = so_wheel_unit(c.t_last); /* the wheel's unit: see conn_counted_in() */
	c.pkts_in = 1;
	c.bytes_in = p->tcp_len - p->doff_len;
	conn_seq_start(&c, p);
	/* NOEXIST: the other CPU of the race above may have inserted it since
	 * the lookup. Any other failure leaves the connection untracked; the
	 * CLI then counts it as evicted. */
	if (bpf_map_update_elem(&conns, &k, &c, BPF_NOEXIST) == -EEXIST) {
		count(SO_C_CONN_RETRIED);
		return;
	}
	conn_counted_in(&c);
	count(SO_C_CONN_CREATED);
	ev_open(&k, m, kts);
	sweeper_start();
}

/* The kernel has the socket: later segments skip the cookie check. */
static __always_inline void conn_confirm(const struct pkt *p)
{
	struct so_flow_key k = {};
	struct so_conn *c;

	flow_key(&k, p, false);
	c = conn_lookup(&k);
	if (c)
		c->flags &= ~SO_CF_UNCONFIRMED;
}
