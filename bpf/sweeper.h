/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweeper.h - housekeeping of the connection table without userspace: the
 * time_wait linger, the idle timeout and the expiry of the timewait notes,
 * by a BPF timer (map "sweeper") that the first connection starts.
 */
#pragma once

#include <linux/bpf.h>
#include <linux/time.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "kfuncs.h"
#include "maps.h"
#include "common.h"
#include "track.h"
#include "twnote.h"

/*
 * Housekeeping, a BPF timer every SO_SWEEP_INTERVAL_NS. Each tick does a
 * bounded amount of work, whatever the table's size (README, "Housekeeping
 * at scale"): it counts at most SWEEP_WHEEL_SLOTS slots of the idle wheel,
 * takes at most SWEEP_TWQ_MAX entries off the time_wait queue, and walks
 * the timewait notes (SO_TW_MAX at most) once a second while there are any.
 */
#define SWEEP_WHEEL_SLOTS 8192
#define SWEEP_TWQ_MAX 4096

/* The one place where housekeeping deletes an entry (a close event goes
 * here): the end of the time_wait linger, or the idle timeout of an entry
 * in time_wait. A linger or an idle timeout shorter than the kernel's
 * TIME-WAIT: the socket outlasts its entry, and is noted. */
static __always_inline void conn_expire(struct so_flow_key *k, struct so_conn *c, __u64 now,
					enum so_counter why)
{
	__u64 until = c->t_last + SO_KERNEL_TW_NS;
	bool time_wait = c->state == SO_ST_TIME_WAIT;
	struct so_sweeper *s;

	track_exit(k, why, SO_CLOSER_NONE);
	if (time_wait && (__s64)(until - now) > 0)
		tw_orphan_note(k, until, SO_TW_LINGER);
	/* this is the queue's own slot of the entry: what track_exit() (here
	 * or on another CPU) counted in tw_left for it is done with */
	s = singleton(&sweeper);
	if (s && time_wait && s->tw_left)
		__sync_fetch_and_add(&s->tw_left, -1);
}

/*
 * A time_wait queue slot whose entry is gone (or another connection's of
 * the 4-tuple since). Either the data path deleted it (an RST, a SYN that
 * retired it, a replacement: counted in tw_left) or the LRU evicted it.
 * An eviction's entry leaves the time_wait gauges here (the filter keeps
 * its count: above the truth costs a lookup, below it a hung connection),
 * and its close event says "evicted" with the 4-tuple alone: the figures
 * went with the entry. The server's socket may still be in TIME-WAIT: a
 * note, as for a linger shorter than the kernel's.
 * XXX: a deletion and an eviction whose slots come in the other order than
 * they happened swap their 4-tuples here; the counts hold.
 */
static __always_inline void twq_gone(struct so_sweeper *s, struct so_flow_key *k, __u64 t,
				     __u64 now)
{
	struct so_event *e;

	if (s->tw_left) {
		__sync_fetch_and_add(&s->tw_left, -1);
		return;
	}
	gauge_add(SO_ST_TIME_WAIT, -1);
	time_wait_add(-1);
	s->ghosts--; /* not on the wheel: none of its expiries is this one's */
	if ((__s64)(t + SO_KERNEL_TW_NS - now) > 0)
		tw_orphan_note(k, t + SO_KERNEL_TW_NS, SO_TW_LINGER);
	if (!listening(SO_LISTEN_EVENTS))
		return;
	e = ev_reserve(SO_EV_CLOSE, k);
	if (!e)
		return;
	e->reason = SO_END_EVICTED;
	e->state = SO_ST_TIME_WAIT;
	ev_submit(e);
}

struct wheel_ctx {
	struct so_sweeper *s;
	__u32 limit;  /* count units up to this one */
	__s64 sum[SO_ST_MAX];
};

static long wheel_count_one(__u64 i, struct wheel_ctx *w)
{
	__u32 u = w->s->w_counted + 1, idx = u & (SO_WHEEL_SLOTS - 1);
	struct so_wheel_slot *slot;

	if ((__s32)(u - w->limit) > 0)
		return 1;
	w->s->w_counted = u;
	slot = bpf_map_lookup_elem(&wheel, &idx);
	if (!slot)
		return 1;
	for (int st = 0; st < SO_ST_MAX; st++)
		if (slot->n[st])
			w->sum[st] += __sync_lock_test_and_set(&slot->n[st], 0);
	return 0;
}

/* Take the units expired at the last tick out of the gauges and into
 * expired_idle; then declare the units idle now, for the next tick. */
static __always_inline void sweep_wheel(struct so_sweeper *s, const struct so_config *cfg,
					__u64 now)
{
	struct wheel_ctx w = { .s = s, .limit = s->w_dead };
	__u32 unit = so_wheel_unit(now), idle, dead;
	struct so_stats *st = singleton(&stats);
	struct so_gauges *g = singleton(&gauges);
	__s64 total = 0;

	/* the wheel's slots below unit - SO_WHEEL_SLOTS are unit's own */
	if ((__s32)(unit - SO_WHEEL_SLOTS - s->w_counted) > 0)
		s->w_counted = unit - SO_WHEEL_SLOTS;
	bpf_loop(SWEEP_WHEEL_SLOTS, wheel_count_one, &w, 0);
	for (int i = 0; i < SO_ST_MAX; i++) {
		if (!w.sum[i])
			continue;
		if (g)
			__sync_fetch_and_add(&g->state[i], -w.sum[i]);
		total += w.sum[i];
	}
	/* evicted entries' counts leave the gauges with their units: not as
	 * idle expiries, the evictions are counted (sweep_evictions) */
	if (total > 0 && s->ghosts > 0) {
		__s64 ghosts = s->ghosts < total ? s->ghosts : total;

		s->ghosts -= ghosts;
		total -= ghosts;
	}
	if (st && total > 0) {
		*so_stats_slot(st, SO_C_EXPIRED_IDLE) += total;
		__sync_fetch_and_add(&s->dead, total); /* in the table until met or evicted */
	}
	/* An entry last active in unit u has been idle idle_timeout_s once
	 * unit - idle - 1 >= u (idle: the timeout in units, rounded up). */
	idle = ((__u64)cfg->idle_timeout_s * NSEC_PER_SEC + (1ULL << SO_WHEEL_SHIFT) - 1) >>
	       SO_WHEEL_SHIFT;
	dead = unit - idle - 1;
	if (unit > idle + 1 && (__s32)(dead - s->w_dead) > 0)
		s->w_dead = dead;
}

struct twq_ctx {
	struct so_sweeper *s;
	__u64 now;
	__u64 linger_ns;
	enum so_counter why;
};

/* The head of the time_wait queue: done with, or not due yet (stop). */
static long twq_one(__u64 i, struct twq_ctx *x)
{
	struct so_sweeper *s = x->s;
	__u64 h = s->twq_head, seq;
	__u32 idx = h & twq_mask;
	struct so_twq_slot *q;
	struct so_flow_key k;
	struct so_conn *c;

	if (h == s->twq_tail || !(q = bpf_map_lookup_elem(&twq, &idx)))
		return 1;
	seq = q->seq;
	if (seq < h + 1)
		return 1; /* taken, not written yet */
	if (seq == h + 1 && (__s64)(x->now - q->t) < (__s64)x->linger_ns)
		return 1;
	s->twq_head = h + 1;
	if (seq != h + 1)
		return 0; /* overwritten by a producer a lap ahead: lost */
	k = q->key;
	c = bpf_map_lookup_elem(&conns, &k);
	if (!c || c->state != SO_ST_TIME_WAIT || c->tsec != SO_TSEC_OFF) {
		twq_gone(s, &k, q->t, x->now); /* gone, or a new connection of that 4-tuple */
		return 0;
	}
	if ((__s64)(x->now - c->t_last) < (__s64)x->linger_ns) {
		/* a segment since (a retransmitted FIN): again, from then */
		if (!twq_push(&k, c->t_last))
			conn_expire(&k, c, x->now, x->why);
		return 0;
	}
	conn_expire(&k, c, x->now, x->why);
	return 0;
}

/* An entry in time_wait leaves after the linger, or after the idle
 * timeout if that is shorter (as an idle one). */
static __always_inline void sweep_twq(struct so_sweeper *s, const struct so_config *cfg, __u64 now)
{
	__u64 tw = cfg->time_wait_s * NSEC_PER_SEC, idle = cfg->idle_timeout_s * NSEC_PER_SEC;
	struct twq_ctx x = { .s = s, .now = now, .linger_ns = tw < idle ? tw : idle,
			     .why = tw <= idle ? SO_C_CLOSED_GRACEFUL : SO_C_EXPIRED_IDLE };

	bpf_loop(SWEEP_TWQ_MAX, twq_one, &x, 0);
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

/*
 * Evictions. The LRU evicts silently, inside an insert, and says neither
 * which entry nor when; but the kernel counts the table's elements
 * (bpf_map_sum_elem_count, 6.6) and the data path counts its own inserts
 * and deletes (so_gauges.tracked): the difference is the evictions, exact
 * once no insert or delete is in flight, and never above the truth while
 * one is (tracked_add()). So each tick counts what it grew by since the
 * last, in evicted; the entries it stands for leave the gauges when their
 * wheel units expire (sweep_wheel), or in time_wait when their queue slot
 * finds them gone (twq_gone). Kernels before 6.6 count none here: the CLI
 * infers them from the other exits, as before.
 */
static __always_inline void sweep_evictions(struct so_sweeper *s, struct so_gauges *g, __s64 count)
{
	struct so_stats *st = singleton(&stats);
	__s64 seen = g->tracked - count, n = seen - (__s64)s->evictions, dead;

	if (n <= 0 || !st)
		return;
	s->evictions = seen;
	/* The LRU's victims are the least recently used: idle-expired entries
	 * first, whose exit expired_idle counted already. */
	dead = s->dead > 0 ? (s->dead < n ? s->dead : n) : 0;
	s->dead -= dead;
	n -= dead;
	s->ghosts += n;
	*so_stats_slot(st, SO_C_EVICTED) += n;
}


static int sweep_tick(void *map, __u32 *key, struct so_sweeper *s)
{
	struct so_config *cfg = singleton(&config);
	struct so_gauges *g = singleton(&gauges);
	__u64 now = bpf_ktime_get_ns();

	if (cfg) {
		sweep_wheel(s, cfg, now);
		sweep_twq(s, cfg, now);
	}
	if (s->ticks++ % (NSEC_PER_SEC / SO_SWEEP_INTERVAL_NS) == 0 && s->tw_orphans)
		sweep_tw(s, now);
	/* The kernel's count of the table's elements: evictions included. */
	if (g && bpf_map_sum_elem_count) {
		__s64 count = bpf_map_sum_elem_count((struct bpf_map *)&conns);

		__sync_fetch_and_add(&g->entries, count - g->entries);
		sweep_evictions(s, g, count);
	}
	/* what the bench reads: housekeeping's CPU time and its longest piece */
	now = bpf_ktime_get_ns() - now;
	s->tick_ns += now;
	if (now > s->tick_max_ns)
		s->tick_max_ns = now;
	bpf_timer_start(&s->timer, SO_SWEEP_INTERVAL_NS, 0);
	return 0;
}

/* Start the sweeper once, from the first connection created or the first
 * TIME-WAIT note. */
static __always_inline void sweeper_start(void)
{
	struct so_sweeper *s = singleton(&sweeper);

	if (!s || s->started)
		return;
	s->started = 1;
	if (bpf_timer_init(&s->timer, &sweeper, CLOCK_MONOTONIC) == 0) {
		bpf_timer_set_callback(&s->timer, sweep_tick);
		bpf_timer_start(&s->timer, SO_SWEEP_INTERVAL_NS, 0);
	}
}
