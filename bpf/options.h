/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - what a SYN-ACK grants: the MSS (a table index the cookie
 * carries, and the MSS the SYN-ACK advertises), timestamps, window scale,
 * SACK and ECN, from what the SYN offered and what the namespace allows.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "parse.h"
#include "tcpopt.h"
#include "cookie.h"

/* volatile keeps the tables in .rodata: as plain consts, clang 14 puts
 * them in the mergeable .rodata.cst16, and the kernel then refuses the
 * object's BTF (EINVAL) and with it the programs (tried). */
static const volatile __u16 mss4_table[8] = SO_MSS4_TABLE;
static const volatile __u16 mss6_table[8] = SO_MSS6_TABLE;

/* Index of the largest table MSS not above the client's; a missing MSS option
 * means 536 (IPv4) or 1220 (IPv6), RFC 9293 3.7.1 and RFC 8200 5. */
static __always_inline __u8 mss_index(__u8 family, __u16 client_mss)
{
	__u32 idx = 0;

	/* Branch-free (the table ascends): each branch here would multiply the
	 * verifier's states. (m - 1 - mss) >> 31 is 1 exactly when mss >= m. */
#pragma clang loop unroll(full)
	for (int i = 1; i < 8; i++) {
		__u32 m = family == SO_AF_INET ? mss4_table[i] : mss6_table[i];

		idx += (m - 1 - client_mss) >> 31;
	}
	return idx;
}

static __always_inline __u16 mss_of_index(__u8 family, __u8 idx)
{
	idx &= SO_MSS_IDX_MASK;
	return family == SO_AF_INET ? mss4_table[idx] : mss6_table[idx];
}

/*
 * An ECN-setup SYN (RFC 3168 6.1.1): ECE and CWR. As the kernel decides
 * (tcp_ecn_create_request), not one whose IP header is already ECN-capable
 * (RFC 3168 6.1.1: SYNs are Not-ECT), unless a reserved bit (AccECN's AE,
 * RFC 9768) says the sender knows better.
 */
static __always_inline bool ecn_setup_syn(const struct pkt *p)
{
	__u8 ect = p->family == SO_AF_INET ? p->ip4->tos & 3 : p->ip6->flow_lbl[0] >> 4 & 3;

	return p->tcp->ece && p->tcp->cwr && (ect == 0 || p->tcp->res1);
}

/* Which options the cookie carries: timestamps only if the client offered
 * them and the namespace allows them; window scale and SACK in the TSval
 * with them, else only if synopts keeps them (syn_answer); ECN needs
 * timestamps (its bit is in the TSval). ECN when the namespace's tcp_ecn is not 0,
 * as for the kernel's own SYN-ACKs; the kernel's cookie check ANDs ecn_ok
 * with the same sysctl or the route's `features ecn` (cookie_ecn_ok).
 * XXX: with tcp_ecn=0, a route's `features ecn` is not seen (XDP's FIB
 * lookup returns no route metrics): those clients get no ECN. */
static __always_inline void choose_options(const struct pkt *p, const struct tcp_opts *o,
					   const struct so_config *cfg, struct cookie_opts *co)
{
	co->mss_idx = mss_index(p->family, o->mss);
	co->ts = o->has_ts && (cfg->options & SO_OPT_TIMESTAMPS);
	co->sack = o->has_sack && (cfg->options & SO_OPT_SACK);
	co->wscale = o->has_ws && (cfg->options & SO_OPT_WSCALE) ? o->wscale : SO_WS_NONE;
	co->ecn = co->ts && (cfg->options & SO_OPT_ECN) && ecn_setup_syn(p);
}

/* The least MSS a SYN-ACK advertises: IPv4's default (RFC 9293 3.7.1),
 * which every host takes. */
#define SYNACK_MSS_MIN 536

/* The MSS our SYN-ACKs advertise (so_config.mss4, mss6). */
static __always_inline __u16 synack_mss(const struct pkt *p, const struct so_config *cfg)
{
	__u16 mss = p->family == SO_AF_INET ? cfg->mss4 : cfg->mss6;

	return mss < SYNACK_MSS_MIN ? SYNACK_MSS_MIN : mss;
}
