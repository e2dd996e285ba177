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
 * needs to run). LRU eviction is silent; the CLI infers it. Every exit goes
 * through conn_end(), which also makes the close event (events.h).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

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

static __always_inline void enter_time_wait(struct so_conn *c, const struct so_flow_key *k)
{
	c->state = SO_ST_TIME_WAIT;
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
	c->t_last = bpf_ktime_get_ns();
	if ((c->flags & (SO_CF_SERVER_FIN | SO_CF_SERVER_FIN_ACKED)) == SO_CF_SERVER_FIN &&
	    acks_fin(p, c->fin_seq_server)) {
		c->flags |= SO_CF_SERVER_FIN_ACKED;
		if (c->state == SO_ST_FIN_WAIT_1)
			c->state = SO_ST_FIN_WAIT_2;
		else if (c->state == SO_ST_CLOSING)
			enter_time_wait(c, k);
		else if (c->state == SO_ST_LAST_ACK)
			c->state = SO_ST_CLOSED;
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
	c->t_last = bpf_ktime_get_ns();
	c->flags &= ~SO_CF_UNCONFIRMED; /* the server's socket exists */
	if ((c->flags & (SO_CF_CLIENT_FIN | SO_CF_CLIENT_FIN_ACKED)) == SO_CF_CLIENT_FIN &&
	    acks_fin(p, c->fin_seq_client)) {
		c->flags |= SO_CF_CLIENT_FIN_ACKED;
		if (c->state == SO_ST_ESTABLISHED)
			c->state = SO_ST_CLOSE_WAIT;
		else if (c->state == SO_ST_FIN_WAIT_1)
			c->state = SO_ST_CLOSING;
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
			c->state = SO_ST_FIN_WAIT_1;
		else if (c->state == SO_ST_CLOSE_WAIT)
			c->state = SO_ST_LAST_ACK;
		count(SO_C_FIN_OUT);
		ev_fin(k, c, SO_CLOSER_SERVER);
	}
	return TRACK_KEEP;
}

/*
 * Remove entry c of key k, whose connection ended: count how (why), keep
 * the time_wait gauges, and make the close event (side: who sent the RST of
 * a reset). The event is reserved before the delete and sent only if this
 * delete removed the entry (another CPU may have ended it meanwhile).
 */
static __always_inline void conn_end(struct so_flow_key *k, const struct so_conn *c,
				     enum so_counter why, __u8 side)
{
	bool time_wait = c->state == SO_ST_TIME_WAIT;
	struct so_event *e = NULL;

	if (listening(SO_LISTEN_EVENTS)) {
		e = ev_reserve(SO_EV_CLOSE, k);
		if (e) {
			conn_figures(e, c);
			e->reason = end_reason(why);
			e->side = side;
		}
	}
	if (bpf_map_delete_elem(&conns, k) == 0) {
		count(why);
		if (time_wait) {
			time_wait_add(-1);
			twf_add(k, -1);
		}
		if (e)
			ev_submit(e);
	} else if (e) {
		bpf_ringbuf_discard(e, 0);
	}
}

/* Remove the entry of k, if there is one (conn_end). */
static __always_inline void track_exit(struct so_flow_key *k, enum so_counter why, __u8 side)
{
	struct so_conn *c = bpf_map_lookup_elem(&conns, k);

	if (c)
		conn_end(k, c, why, side);
}

/* side: who sent the segment (enum so_closer). */
static __always_inline void track_apply(struct so_flow_key *k, enum track_result r, __u8 side)
{
	if (r == TRACK_RESET)
		track_exit(k, SO_C_CLOSED_RESET, side);
	else if (r == TRACK_CLOSED)
		track_exit(k, SO_C_CLOSED_GRACEFUL, SO_CLOSER_NONE);
}

/* --- TIME-WAIT sockets that no entry stands for (map "timewait") ------- */

static __always_inline void sweeper_arm(void);

/* Note the server's TIME-WAIT socket of 4-tuple k, gone by until: a new
 * note, or a later end for a known one. The sweeper expires notes: outside
 * it, sweeper_arm() too (not from the sweeper's own callback, which the
 * verifier would take for a loop). */
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

/* Count in what attach and set put in the map. Two CPUs may both count
 * the same: the gauge may stay above the truth, never below. */
static __always_inline void tw_cli_merge(struct so_sweeper *s, const struct so_config *cfg)
{
	__u64 added = cfg->tw_cli_added, seen = s->tw_cli_seen;

	if (added == seen)
		return;
	s->tw_cli_seen = added;
	__sync_fetch_and_add(&s->tw_orphans, (__u32)(added - seen));
	/* once per attach or set: a walk over the map (SO_TW_MAX at most) */
	bpf_for_each_map_elem(&timewait, twf_take_one, NULL, 0);
	sweeper_arm(); /* the notes expire by the sweeper */
}

/* --- sweeper: time_wait linger and idle timeout ------------------------- */

struct sweep_ctx {
	__u64 now;
	__u64 time_wait_ns;
	__u64 idle_ns;
};

static long sweep_one(void *map, struct so_flow_key *k, struct so_conn *c, struct sweep_ctx *sc)
{
	/* Signed: a packet on another CPU may have stamped t_last after the
	 * sweeper read its clock; unsigned, that entry looked 584 years idle
	 * and busy connections were expired (test_teardown_busy). */
	__s64 since = (__s64)(sc->now - c->t_last);
	__u64 idle = since > 0 ? since : 0, until = c->t_last + SO_KERNEL_TW_NS;
	bool time_wait = c->state == SO_ST_TIME_WAIT;

	if (time_wait && idle >= sc->time_wait_ns)
		conn_end(k, c, SO_C_CLOSED_GRACEFUL, SO_CLOSER_NONE);
	else if (idle >= sc->idle_ns)
		conn_end(k, c, SO_C_EXPIRED_IDLE, SO_CLOSER_NONE);
	else
		return 0;
	/* A linger or an idle timeout shorter than the kernel's TIME-WAIT:
	 * the socket outlasts its entry. */
	if (time_wait && (__s64)(until - sc->now) > 0)
		tw_orphan_note(k, until, SO_TW_LINGER);
	return 0;
}

struct tw_sweep {
	__u64 now;
	__u32 live; /* a flag, not a count: a count the verifier would follow
		     * through every possible iteration of the walk */
};

static long sweep_tw_one(void *map, struct so_flow_key *k, struct so_tw *v, struct tw_sweep *ts)
{
	if ((__s64)(v->until_ns - ts->now) > 0)
		ts->live = 1;
	else
		tw_orphan_forget(k);
	return 0;
}

/* Expire the timewait notes. When none is left and none came during the
 * walk, the gauge is set to the truth, zero: it may have stayed above
 * (LRU evictions, two CPUs counting the same attach), and SYNs then skip
 * the lookup again. */
static __always_inline void sweep_tw(struct so_sweeper *s, __u64 now)
{
	struct tw_sweep ts = { .now = now };
	__u32 inserts = s->tw_inserts, gauge;

	bpf_for_each_map_elem(&timewait, sweep_tw_one, &ts, 0);
	gauge = s->tw_orphans;
	if (ts.live == 0 && gauge && s->tw_inserts == inserts)
		__sync_val_compare_and_swap(&s->tw_orphans, gauge, 0);
}

static int sweep_tick(void *map, __u32 *key, struct so_sweeper *s)
{
	struct so_config *cfg = singleton(&config);
	struct sweep_ctx sc = { .now = bpf_ktime_get_ns() };

	if (cfg) {
		sc.time_wait_ns = cfg->time_wait_s * 1000000000ULL;
		sc.idle_ns = cfg->idle_timeout_s * 1000000000ULL;
		bpf_for_each_map_elem(&conns, sweep_one, &sc, 0);
	}
	sweep_tw(s, sc.now);
	bpf_timer_start(&s->timer, SO_SWEEP_INTERVAL_NS, 0);
	return 0;
}

/* Start the sweeper once, from the first connection created. */
static __always_inline void sweeper_arm(void)
{
	struct so_sweeper *s = singleton(&sweeper);

	if (!s || s->armed)
		return;
	s->armed = 1;
	if (bpf_timer_init(&s->timer, &sweeper, 1 /* CLOCK_MONOTONIC */) == 0) {
		bpf_timer_set_callback(&s->timer, sweep_tick);
		bpf_timer_start(&s->timer, SO_SWEEP_INTERVAL_NS, 0);
	}
}
