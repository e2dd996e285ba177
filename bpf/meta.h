/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta.h - the decoded cookie of a valid ACK, from XDP to tc_ingress in the
 * frame's metadata (struct so_meta, include/shakeoff.h): what the kernel's
 * request socket is built from (bpf_sk_assign_tcp_reqsk, reqsk.h).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "tcpopt.h"
#include "cookie.h"
#include "clock.h"
#include "options.h"

/* Hand the decoded cookie to tc_ingress in the frame's metadata. */
static __always_inline int pass_meta(struct xdp_md *ctx, const struct cookie_opts *co,
				     const struct tcp_opts *o, const struct so_config *cfg,
				     __u8 family, const struct tai_now *now)
{
	__s32 age = (__s32)(now->ms - (o->tsecr & SO_TS_TIME_MASK));
	struct so_meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return -1;
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return -1;
	__builtin_memset(m, 0, sizeof(*m));
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
	return 0;
}
