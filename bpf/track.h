/* SPDX-License-Identifier: GPL-2.0 */
/*
 * track.h - teardown tracking: follow each connection shakeoff created until
 * it is gone, in the "conns" table.
 *
 * The state is the server socket's (RFC 9293 3.3.2), as the wire shows it:
 * XDP sees the client's segments, TC egress the server's. A FIN counts as
 * acknowledged only by an ACK whose number passes the FIN's sequence number
 * (RFC 9293 3.10.7.4); a transition caused by the client's FIN happens when
 * the server acknowledges it, i.e. when the server's socket has taken it.
 *
 * Exits are counted where the entry leaves the table: RST at once, a
 * completed close after the time_wait linger (closed at once), an idle entry
 * after the idle timeout (by the sweeper, a BPF timer: no userspace process
 * needs to run). Every exit goes through track_exit() or conn_drop_dead(),
 * which also make the close event (close_event(), events.h); but for LRU
 * evictions, which the kernel makes silently: housekeeping counts them
 * (sweep_evictions(), bpf/sweeper.h).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "shakeoff.h"
#include "parse.h"
#include "bound.h"
#include "maps.h"
#include "common.h"
#include "events.h"

/* RFC 9293 sequence arithmetic: is a after b? */
static __always_inline bool seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* Sequence number a FIN in this segment occupies: after the payload. */
static __always_inline __u32 fin_seq(const struct pkt *p)
{
	return bpf_ntohl(p->tcp->seq) + (p->tcp_len - p->doff_len);
}

/* Does this segment acknowledge the FIN at fin? (ack covers fin + 1) */
static __always_inline bool acks_fin(const struct pkt *p, __u32 fin)
{
	return p->tcp->ack && seq_after(bpf_ntohl(p->tcp->ack_seq), fin);
}

/* The time_wait gauge (struct so_sweeper): entries come and go on any CPU. */
static __always_inline void time_wait_add(int n)
{
	struct so_sweeper *s = singleton(&sweeper);

	if (s)
		__sync_fetch_and_add(&s->time_wait, n);
}

/* The TIME-WAIT filter's count for key k (struct so_twfilter). */
static __always_inline void twf_add(const struct so_flow_key *k, int n)
{
	struct so_twfilter *f = singleton(&twfilter);

	if (f)
		__sync_fetch_and_add(&f->count[so_twf_slot(k) & (SO_TWF_SLOTS - 1)], n);
}

/* --- the gauges and the idle wheel (include/shakeoff.h) ----------------- */

static __always_inline void gauge_add(__u8 state, int n)
{
	struct so_gauges *g = singleton(&gauges);

	if (g && within(state, 0, SO_ST_MAX - 1))
		__sync_fetch_and_add(&g->state[state], n);
}

static __always_inline void wheel_add(__u32 unit, __u8 state, int n)
{
	__u32 i = unit & (SO_WHEEL_SLOTS - 1);
	struct so_wheel_slot *w;

	if (unit == SO_TSEC_OFF || unit == SO_TSEC_GONE)
		return;
	w = bpf_map_lookup_elem(&wheel, &i);
	/* the bound right at the access (bound.h): tested before the lookup,
	 * state was spilled across it, and 6.1's verifier lost the bound */
	if (w && within(state, 0, SO_ST_MAX - 1))
		__sync_fetch_and_add(&w->n[state], n);
}

/* A state change, in the gauges and on the wheel.
 * XXX: the client's and the server's segments may change one entry on
 * two CPUs at once; a column may then be off by one (the sum is not). */
static __always_inline void conn_set_state(struct so_conn *c, __u8 state)
{
	__u32 t = c->tsec;

	wheel_add(t, c->state, -1);
	wheel_add(t, state, 1);
	gauge_add(c->state, -1);
	gauge_add(state, 1);
	c->state = state;
}

/* A packet at now: once per wheel unit, the entry moves to now's slot.
 * The exchange decides between CPUs; entries off the wheel stay off. */
static __always_inline void conn_touch(struct so_conn *c, __u64 now)
{
	__u32 u = so_wheel_unit(now), old = c->tsec;

	c->t_last = now;
	if (old == u || old == SO_TSEC_OFF || old == SO_TSEC_GONE)
		return;
	if (__sync_val_compare_and_swap(&c->tsec, old, u) != old)
		return;
	wheel_add(old, c->state, -1);
	wheel_add(u, c->state, 1);
}

/* Slots of the time_wait queue kept free: CPUs that pass the check of a
 * nearly full queue at once each take one. */
#define TWQ_SLACK 64

/* Queue an entry that enters time_wait (map "twq"). Full: false. */
static __always_inline bool twq_push(const struct so_flow_key *k, __u64 t)
{
	struct so_sweeper *s = singleton(&sweeper);
	struct so_twq_slot *q;
	__u64 idx;
	__u32 i;

	if (!s || s->twq_tail - s->twq_head + TWQ_SLACK > (__u64)twq_mask + 1)
		return false;
	idx = __sync_fetch_and_add(&s->twq_tail, 1);
	i = idx & twq_mask;
	q = bpf_map_lookup_elem(&twq, &i);
	if (!q)
		return false; /* cannot happen: i <= twq_mask */
	q->key = *k;
	q->t = t;
	__sync_lock_test_and_set(&q->seq, idx + 1); /* published last */
	return true;
}

/* The state is set before the entry is queued: with --time-wait 0 the
 * sweeper may take it off the queue at once. */
static __always_inline void enter_time_wait(struct so_conn *c, const struct so_flow_key *k)
{
	__u8 was = c->state;
	__u32 t = __sync_lock_test_and_set(&c->tsec, SO_TSEC_OFF);

	gauge_add(was, -1);
	gauge_add(SO_ST_TIME_WAIT, 1);
	c->state = SO_ST_TIME_WAIT;
	wheel_add(t, was, -1);
	if (t == SO_TSEC_GONE) {
		c->tsec = t; /* another CPU removes it */
	} else if (!twq_push(k, c->t_last)) {
		/* XXX: the queue is full: the entry stays on the wheel and
		 * leaves at the idle timeout (expired_idle), unnoted. */
		wheel_add(t, SO_ST_TIME_WAIT, 1);
		c->tsec = t;
	}
	time_wait_add(1);
	twf_add(k, 1);
}

/* --- what the events say of an entry (events.h) ------------------------ */

/* The entry's figures, into an event: the one place that reads them for
 * the events, so that a change of struct so_conn's layout is made here. */
static __always_inline void conn_figures(struct so_event *e, const struct so_conn *c)
{
	e->state = c->state;
	e->closed_by = c->closed_by;
	e->t_established = c->t_established;
	e->t_first_fin = c->t_first_fin;
	e->t_last = c->t_last;
	e->pkts_in = c->pkts_in;
	e->pkts_out = c->pkts_out;
	e->bytes_in = c->bytes_in;
	e->bytes_out = c->bytes_out;
}

/* A side's first FIN (side: enum so_closer). */
static __always_inline void ev_fin(const struct so_flow_key *k, const struct so_conn *c, __u8 side)
{
	struct so_event *e;

	if (!listening(SO_LISTEN_EVENTS))
		return;
	e = ev_reserve(SO_EV_FIN, k);
	if (!e)
		return;
	conn_figures(e, c);
	e->side = side;
	ev_submit(e);
}

static __always_inline __u8 end_reason(enum so_counter why)
{
	switch (why) {
	case SO_C_CLOSED_RESET:
		return SO_END_RESET;
	case SO_C_EXPIRED_IDLE:
		return SO_END_IDLE;
	case SO_C_CONN_REPLACED:
		return SO_END_REPLACED;
	default:
		return SO_END_GRACEFUL;
	}
}

/*
 * The close event of entry c of key k (why: its counter; side: who sent the
 * RST of a reset), reserved before the entry is deleted, filled from it:
 * sent by conn_end() only if this CPU's delete removed the entry
 * (another CPU may have ended it meanwhile). NULL while no one listens.
 */
static __always_inline struct so_event *close_event(struct so_flow_key *k, const struct so_conn *c,
						    enum so_counter why, __u8 side)
{
	struct so_event *e;

	if (!listening(SO_LISTEN_EVENTS))
		return NULL;
	e = ev_reserve(SO_EV_CLOSE, k);
	if (e) {
		conn_figures(e, c);
		e->reason = end_reason(why);
		e->side = side;
	}
	return e;
}

/* The table's own count of its elements (struct so_sweeper.entries): an
 * insert into a full table evicts one. */
static __always_inline void entries_add(int n)
{
	struct so_gauges *g = singleton(&gauges);
	struct so_config *cfg = singleton(&config);

	if (!g || !cfg)
		return;
	if (n > 0 && g->entries >= cfg->conn_max)
		return;
	__sync_fetch_and_add(&g->entries, n);
}

/* The data path's own count of its entries (so_gauges.tracked): an insert
 * counted after it is made, a delete before, so that the count is never
 * above the kernel's but by the evictions (sweep_evictions). */
static __always_inline void tracked_add(int n)
{
	struct so_gauges *g = singleton(&gauges);

	if (g)
		__sync_fetch_and_add(&g->tracked, n);
}

/* An idle-expired entry (counted by the wheel) is deleted: one fewer for
 * the LRU to evict (struct so_sweeper.dead). */
static __always_inline void dead_deleted(void)
{
	struct so_sweeper *s = singleton(&sweeper);

	if (s)
		__sync_fetch_and_add(&s->dead, -1);
}

/* A new entry c (tsec set to its unit) is in the table: in the gauges and
 * on the wheel. Whoever inserts into conns calls this once it succeeded. */
static __always_inline void conn_counted_in(const struct so_conn *c)
{
	tracked_add(1);
	entries_add(1);
	wheel_add(c->tsec, c->state, 1);
	gauge_add(c->state, 1);
}

/* Delete an entry; true if this CPU did. An entry in time_wait leaves
 * the time_wait gauge and the filter with it. */
static __always_inline bool conn_delete(struct so_flow_key *k, __u8 state)
{
	tracked_add(-1);
	if (bpf_map_delete_elem(&conns, k)) {
		tracked_add(1); /* gone already: evicted */
		return false;
	}
	entries_add(-1);
	if (state == SO_ST_TIME_WAIT) {
		time_wait_add(-1);
		twf_add(k, -1);
	}
	return true;
}

/*
 * Delete entry c (in state) of key k with its close event (see
 * close_event()); true if this CPU's delete removed it. The event's
 * pointer is tested once: 6.1's verifier does not take a ring-buffer
 * record it has seen non-NULL for non-NULL when tested again (its
 * is_branch_taken() ignores MEM_ALLOC pointers), so a second test reads
 * as a path that leaks the record ("Unreleased reference"). Both paths
 * begin with the same delete, which clang hoists above the test and then
 * tests e again after it: opaque(e) first keeps the paths apart.
 */
static __always_inline bool conn_end(struct so_flow_key *k, const struct so_conn *c, __u8 state,
				     enum so_counter why, __u8 side)
{
	struct so_event *e = close_event(k, c, why, side);

	if (!e)
		return conn_delete(k, state);
	opaque(e);
	if (!conn_delete(k, state)) {
		bpf_ringbuf_discard(e, 0);
		return false;
	}
	ev_submit(e);
	return true;
}

/* An idle-expired entry met again: the sweeper has counted it (or will,
 * from the wheel), so it only goes, with its close event (idle): the
 * wheel expires entries without visiting them, so this is the first time
 * one is seen again, later than its expiry; one the LRU evicts first, or
 * never met, has no close event. */
static __always_inline void conn_drop_dead(struct so_flow_key *k, struct so_conn *c)
{
	if (__sync_lock_test_and_set(&c->tsec, SO_TSEC_GONE) == SO_TSEC_GONE)
		return;
	if (conn_end(k, c, c->state, SO_C_EXPIRED_IDLE, SO_CLOSER_NONE))
		dead_deleted();
}

/* The entry of k, unless the idle timeout took it. Every lookup of conns
 * on the packet path goes through here. */
static __always_inline struct so_conn *conn_lookup(struct so_flow_key *k)
{
	struct so_conn *c = bpf_map_lookup_elem(&conns, k);
	struct so_sweeper *s;

	if (!c)
		return NULL;
	s = singleton(&sweeper);
	if (s && so_conn_dead(c, s->w_dead)) {
		conn_drop_dead(k, c);
		return NULL;
	}
	return c;
}

/*
 * Where the connection's sequence spaces start: the third ACK's sequence
 * number (the client's ISN + 1) and acknowledgment number (the server's).
 * Until a side's FIN, its fin_seq_* field holds this; conns -j shows those
 * fields only once the FIN is seen.
 */
static __always_inline void conn_seq_start(struct so_conn *c, const struct pkt *p)
{
	c->fin_seq_client = bpf_ntohl(p->tcp->seq);
	c->fin_seq_server = bpf_ntohl(p->tcp->ack_seq);
}

/*
 * Is this client segment one of the entry's connection, by its numbers?
 * Its sequence number lies within what the client has sent since the start
 * (bytes_in counts retransmissions too, so it is never short; a keepalive
 * probe sits one below) and its acknowledgment within what the server has
 * sent. Once a FIN is seen the start is gone: every segment is the
 * entry's, as it is for a connection past 4 GB (the test always passes).
 * Two compares on the tracked path, and no cookie check for the entry's
 * own segments; a new connection's ACK has a new client ISN and our
 * cookie, which land in both windows by chance only (1 in 2^32 / window).
 * XXX: past a FIN, or 4 GB, a new connection's ACK passes as the entry's
 * and the kernel resets it: the client's next try connects.
 */
static __always_inline bool conn_own_segment(const struct so_conn *c, const struct pkt *p)
{
	__u32 ds = bpf_ntohl(p->tcp->seq) - c->fin_seq_client + 1;
	__u32 da = bpf_ntohl(p->tcp->ack_seq) - c->fin_seq_server;

	if (c->flags & (SO_CF_CLIENT_FIN | SO_CF_SERVER_FIN))
		return true;
	return ds <= c->bytes_in + 1 && da <= c->bytes_out + 1;
}

enum track_result {
	TRACK_KEEP = 0,
	TRACK_RESET,  /* RST: remove now */
	TRACK_CLOSED, /* both FINs acked, server socket gone: remove now */
};

/* A client->server segment.
 * XXX: an RST ends the entry without checking its sequence number against
 * the window as the kernel does (RFC 5961); a blind RST the kernel ignores
 * thus ends the record early. The connection itself is unharmed: its later
 * segments pass by socket lookup (passed_socket). */
static __always_inline enum track_result track_client(struct so_conn *c, const struct pkt *p,
						       const struct so_flow_key *k)
{
	if (p->tcp->rst)
		return TRACK_RESET;
	c->pkts_in++;
	c->bytes_in += p->tcp_len - p->doff_len;
	conn_touch(c, bpf_ktime_get_ns());
	if ((c->flags & (SO_CF_SERVER_FIN | SO_CF_SERVER_FIN_ACKED)) == SO_CF_SERVER_FIN &&
	    acks_fin(p, c->fin_seq_server)) {
		c->flags |= SO_CF_SERVER_FIN_ACKED;
		if (c->state == SO_ST_FIN_WAIT_1)
			conn_set_state(c, SO_ST_FIN_WAIT_2);
		else if (c->state == SO_ST_CLOSING)
			enter_time_wait(c, k);
		else if (c->state == SO_ST_LAST_ACK)
			conn_set_state(c, SO_ST_CLOSED);
	}
	if (p->tcp->fin && !(c->flags & SO_CF_CLIENT_FIN)) {
		c->flags |= SO_CF_CLIENT_FIN;
		c->fin_seq_client = fin_seq(p);
		if (c->closed_by == SO_CLOSER_NONE) {
			c->closed_by = SO_CLOSER_CLIENT;
			c->t_first_fin = c->t_last;
		}
		count(SO_C_FIN_IN);
		ev_fin(k, c, SO_CLOSER_CLIENT);
	}
	return c->state == SO_ST_CLOSED ? TRACK_CLOSED : TRACK_KEEP;
}

/* A server->client segment. */
static __always_inline enum track_result track_server(struct so_conn *c, const struct pkt *p,
						       const struct so_flow_key *k)
{
	if (p->tcp->rst)
		return TRACK_RESET;
	c->pkts_out++;
	c->bytes_out += p->tcp_len - p->doff_len;
	conn_touch(c, bpf_ktime_get_ns());
	c->flags &= ~SO_CF_UNCONFIRMED; /* the server's socket exists */
	if ((c->flags & (SO_CF_CLIENT_FIN | SO_CF_CLIENT_FIN_ACKED)) == SO_CF_CLIENT_FIN &&
	    acks_fin(p, c->fin_seq_client)) {
		c->flags |= SO_CF_CLIENT_FIN_ACKED;
		if (c->state == SO_ST_ESTABLISHED)
			conn_set_state(c, SO_ST_CLOSE_WAIT);
		else if (c->state == SO_ST_FIN_WAIT_1)
			conn_set_state(c, SO_ST_CLOSING);
		else if (c->state == SO_ST_FIN_WAIT_2)
			enter_time_wait(c, k);
	}
	if (p->tcp->fin && !(c->flags & SO_CF_SERVER_FIN)) {
		c->flags |= SO_CF_SERVER_FIN;
		c->fin_seq_server = fin_seq(p);
		if (c->closed_by == SO_CLOSER_NONE) {
			c->closed_by = SO_CLOSER_SERVER;
			c->t_first_fin = c->t_last;
		}
		if (c->state == SO_ST_ESTABLISHED)
			conn_set_state(c, SO_ST_FIN_WAIT_1);
		else if (c->state == SO_ST_CLOSE_WAIT)
			conn_set_state(c, SO_ST_LAST_ACK);
		count(SO_C_FIN_OUT);
		ev_fin(k, c, SO_CLOSER_SERVER);
	}
	return TRACK_KEEP;
}

/* Remove an entry whose connection ended, counting how, with its close
 * event (side: who sent the RST of a reset): every exit but the idle
 * timeout's (the wheel counts those) comes through here. */
static __always_inline void track_exit(struct so_flow_key *k, enum so_counter why, __u8 side)
{
	struct so_conn *c = bpf_map_lookup_elem(&conns, k);
	struct so_sweeper *s = singleton(&sweeper);
	__u32 t;
	__u8 state;

	if (!c || !s)
		return;
	t = __sync_lock_test_and_set(&c->tsec, SO_TSEC_GONE);
	if (t == SO_TSEC_GONE)
		return; /* another CPU removes it */
	state = c->state;
	/* queued for its linger: the queue's slot will find it gone, and must
	 * not take it for an eviction (twq_gone); counted before the delete */
	if (t == SO_TSEC_OFF && state == SO_ST_TIME_WAIT)
		__sync_fetch_and_add(&s->tw_left, 1);
	if (t != SO_TSEC_OFF && t <= s->w_dead) {
		/* expired already: counted by the wheel */
		if (conn_end(k, c, state, SO_C_EXPIRED_IDLE, SO_CLOSER_NONE))
			dead_deleted();
		return;
	}
	if (conn_end(k, c, state, why, side)) {
		count(why);
		gauge_add(state, -1);
		wheel_add(t, state, -1);
	}
}

/* side: who sent the segment (enum so_closer). */
static __always_inline void track_apply(struct so_flow_key *k, enum track_result r, __u8 side)
{
	if (r == TRACK_RESET)
		track_exit(k, SO_C_CLOSED_RESET, side);
	else if (r == TRACK_CLOSED)
		track_exit(k, SO_C_CLOSED_GRACEFUL, SO_CLOSER_NONE);
}
