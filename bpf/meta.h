/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta.h - the decoded cookie of a valid ACK, from XDP to tc_ingress (struct
 * so_meta, include/shakeoff.h): what the kernel's request socket is built
 * from (bpf_sk_assign_tcp_reqsk, reqsk.h). It travels in the frame's
 * metadata where the driver and the kernel have it (bpf_xdp_adjust_meta),
 * else in the map ackmeta under the segment's 4-tuple.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "tcpopt.h"
#include "cookie.h"
#include "clock.h"
#include "options.h"
#include "common.h"
#include "maps.h"

/* const volatile: the CLI's probe (features.c) says whether XDP programs
 * may call bpf_xdp_adjust_meta at all: some kernels refuse the helper, and
 * the verifier then rejects the program unless the call is dead code. */
const volatile __u8 so_xdp_meta = 1;

/* Set once a cookie went by the map (a driver without XDP metadata refuses
 * bpf_xdp_adjust_meta at run time): tc_ingress looks there from then on. */
__u32 ackmeta_used;

/* The decoded cookie: what the kernel's request socket is built from. */
static __always_inline void meta_fill(struct so_meta *m, const struct cookie_opts *co,
				      const struct tcp_opts *o, const struct so_config *cfg,
				      __u8 family, const struct tai_now *now)
{
	__s32 age = (__s32)(now->ms - (o->tsecr & SO_TS_TIME_MASK));

	m->magic = SO_META_MAGIC;
	m->attrs.mss = mss_of_index(family, co->mss_idx);
	m->attrs.tstamp_ok = co->ts;
	m->attrs.rcv_tsval = o->tsval;
	m->attrs.rcv_tsecr = o->tsecr;
	m->attrs.sack_ok = co->sack;
	m->attrs.ecn_ok = co->ecn;
	/* XXX: rcv_wscale is today's --wscale; a `shakeoff set --wscale` between
	 * a SYN-ACK and its ACK gives that socket the new value (no cookie bit
	 * is left to carry ours). */
	if (co->wscale != SO_WS_NONE) {
		m->attrs.wscale_ok = 1;
		m->attrs.snd_wscale = co->wscale;
		m->attrs.rcv_wscale = cfg->wscale;
	}
	/* the open event's: TSval's time of issue (1.024 s steps); without
	 * timestamps only the 68.7 s period is known */
	m->cookie_age_ms = !co->ts ? SO_AGE_UNKNOWN : age > 0 ? age : 0;
}

/* Hand the decoded cookie to tc_ingress: in the frame's metadata, or in
 * ackmeta. -1: neither had room. */
static __always_inline int pass_meta(struct xdp_md *ctx, const struct pkt *p,
				     const struct cookie_opts *co, const struct tcp_opts *o,
				     const struct so_config *cfg, const struct tai_now *now)
{
	struct so_ackmeta_scratch *s = singleton(&ackmeta_scratch);
	void *mp;

	if (!s)
		return -1;
	__builtin_memset(s, 0, sizeof(*s));
	meta_fill(&s->meta, co, o, cfg, p->family, now);
	flow_key(&s->key, p, false); /* before the helper voids p's pointers */
	if (so_xdp_meta && !bpf_xdp_adjust_meta(ctx, -(int)sizeof(s->meta))) {
		mp = (void *)(long)ctx->data_meta;
		if (mp + sizeof(s->meta) > (void *)(long)ctx->data)
			return -1;
		__builtin_memcpy(mp, &s->meta, sizeof(s->meta));
		return 0;
	}
	if (bpf_map_update_elem(&ackmeta, &s->key, &s->meta, BPF_ANY))
		return -1;
	if (!ackmeta_used)
		ackmeta_used = 1;
	count(SO_C_ACK_META_MAP);
	return 0;
}

/* tc_ingress: the decoded cookie XDP put in this frame's metadata? */
static __always_inline bool meta_in_frame(struct __sk_buff *skb, struct so_meta *out)
{
	struct so_meta *m = (void *)(long)skb->data_meta;

	if ((void *)(m + 1) > (void *)(long)skb->data || m->magic != SO_META_MAGIC)
		return false;
	__builtin_memcpy(out, m, sizeof(*out));
	return true;
}

/* May a decoded cookie be waiting in ackmeta? Not while every one so far
 * went in the metadata: then segments without it pay no lookup. */
static __always_inline bool ackmeta_on(void)
{
	return !so_xdp_meta || ackmeta_used;
}

/* tc_ingress: the decoded cookie XDP left in ackmeta for this segment, taken
 * out. Only an ACK to a protected port may have one. */
static __always_inline bool meta_in_map(const struct pkt *p, struct so_meta *out)
{
	struct so_flow_key k = {};
	struct so_meta *m;

	if (!port_protected(p->tcp->dest) || p->tcp->syn || !p->tcp->ack)
		return false;
	flow_key(&k, p, false);
	m = bpf_map_lookup_elem(&ackmeta, &k);
	if (!m)
		return false;
	__builtin_memcpy(out, m, sizeof(*out));
	bpf_map_delete_elem(&ackmeta, &k);
	return out->magic == SO_META_MAGIC;
}
