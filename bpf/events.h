/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - what `shakeoff events` reads: connection events (ring
 * "events": open, fin, close) and samples of dropped packets (ring
 * "drops").
 *
 * Nothing is produced while no one listens: so_config.listen, which the
 * programs read anyway, has a bit per ring that `shakeoff events` sets while
 * it runs. A flag in the config rather than, say, a consumer's heartbeat
 * with a clock read: the check is one load from a value already in hand, and
 * the drop path under a flood must stay as cheap as XDP_DROP itself.
 *
 * The data path never waits: a full ring makes bpf_ringbuf_reserve() fail,
 * and the record is lost and counted (event_lost, drop_sample_lost); the
 * reader reports it.
 *
 * Nor does it wake the reader for each record: a wakeup is an irq_work, a
 * self-IPI, and in a VM an exit (~5 us per record on this VM, make bench).
 * The reader looks every 100 ms by itself and is woken only when a ring
 * passes a quarter full, so that a burst cannot overflow it while it
 * sleeps.
 *
 * A close event is made by close_event() (track.h) for every exit from the
 * table, before the entry is deleted, and sent only if this CPU's delete
 * is the one that removed it: exactly one close per entry.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "maps.h"
#include "common.h"
#include "ktsval.h"

static __always_inline bool listening(__u8 what)
{
	struct so_config *cfg = singleton(&config);

	return cfg && (cfg->listen & what);
}

/* A zeroed event of this type for key k, or NULL (counted as lost). */
static __always_inline struct so_event *ev_reserve(__u8 type, const struct so_flow_key *k)
{
	struct so_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(SO_C_EVENT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->t_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&e->key, k, sizeof(*k));
	return e;
}

/* Wake the reader only when this record (rec bytes in the ring, with its
 * 8-byte header) takes the ring past a quarter full: once, not for every
 * record after it while a slow reader leaves the ring fuller (each a wakeup:
 * ~5 us here, make bench). Two CPUs crossing together may both skip it;
 * the reader's own look every 100 ms covers that. */
static __always_inline __u64 ring_wakeup(void *ring, __u64 rec)
{
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 quarter = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / 4;

	rec = (rec + 8 + 7) & ~7ULL;
	return avail >= quarter && avail < quarter + rec ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void ev_submit(struct so_event *e)
{
	bpf_ringbuf_submit(e, ring_wakeup(&events, sizeof(*e)));
	count(SO_C_EVENT_SENT);
}

/*
 * Handshake completed: with our cookie (m: what the socket was given), or
 * with the kernel's: kts, the third ACK's TSecr, which the kernel decodes
 * (kernel mode: our SYN-ACK carried the kernel's TSval), or NULL when the
 * options are unknown (an ACK with the kernel's cookie that kfunc mode lets
 * pass: its TSecr may hold the kernel's per-connection offset).
 * XXX: that connection (kfunc mode, a kernel cookie) has no entry: no fin
 * or close follows.
 */
static __always_inline void ev_open(const struct so_flow_key *k, const struct so_meta *m,
				    const struct kts_echo *kts)
{
	struct so_config *cfg = singleton(&config);
	struct so_event *e;

	if (!cfg || !(cfg->listen & SO_LISTEN_EVENTS))
		return;
	e = ev_reserve(SO_EV_OPEN, k);
	if (!e)
		return;
	e->state = SO_ST_ESTABLISHED;
	e->cookie = m ? SO_COOKIE_OURS : SO_COOKIE_KERNEL;
	e->snd_wscale = e->rcv_wscale = SO_WS_NONE;
	e->cookie_age_ms = SO_AGE_UNKNOWN;
	if (m) {
		e->opts_known = 1;
		e->mss = m->attrs.mss;
		if (m->attrs.wscale_ok) {
			e->snd_wscale = m->attrs.snd_wscale;
			e->rcv_wscale = m->attrs.rcv_wscale;
		}
		e->sack = m->attrs.sack_ok;
		e->tstamp = m->attrs.tstamp_ok;
		e->ecn = m->attrs.ecn_ok;
		e->cookie_age_ms = m->cookie_age_ms;
	} else if (kts) {
		e->opts_known = 1;
		kts_decode(kts, cfg, e);
	}
	ev_submit(e);
}

/* --- drop samples ------------------------------------------------------- */

static __always_inline bool drop_wanted(const struct so_evconf *ec, __u32 reason)
{
	__u64 any = ec->drop_reasons[0] | ec->drop_reasons[1];

	return !any || (ec->drop_reasons[(reason >> 6) & 1] >> (reason & 63)) & 1;
}

/*
 * A sample of a frame the XDP program drops, while `events --drops` runs:
 * its first SO_DROP_SNAP bytes and the reason, in a ring buffer rather
 * than through bpf_xdp_output(): the reason travels in the same record as
 * the bytes, every CPU writes one ring that one reader polls (a perf
 * buffer is one ring per CPU, each to be mapped and read), and the record
 * is reserved before anything is copied, so a full ring costs nothing. A
 * global function, verified once for all of to_xdp()'s call sites.
 */
__noinline int drop_sample(struct xdp_md *ctx, __u32 reason)
{
	struct so_evconf *ec = singleton(&evconf);
	struct so_budget *b = singleton(&dropbudget);
	struct so_drop *d;
	__u32 len;

	if (!ctx || !ec || !b || reason >= SO_C_MAX || !drop_wanted(ec, reason) ||
	    !gcra_take(b, ec->drop_interval_ns))
		return 0;
	d = bpf_ringbuf_reserve(&drops, sizeof(*d), 0);
	if (!d) {
		count(SO_C_DROP_SAMPLE_LOST);
		return 0;
	}
	d->t_ns = bpf_ktime_get_ns();
	d->reason = reason;
	d->len = bpf_xdp_get_buff_len(ctx);
	d->ifindex = ctx->ingress_ifindex;
	len = d->len < SO_DROP_SNAP ? d->len : SO_DROP_SNAP;
	if (len == 0 || bpf_xdp_load_bytes(ctx, 0, d->data, sized(len, SO_DROP_SNAP)))
		len = 0;
	d->caplen = len;
	bpf_ringbuf_submit(d, ring_wakeup(&drops, sizeof(*d)));
	count(SO_C_DROP_SAMPLED);
	return 0;
}
