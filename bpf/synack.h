/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synack.h - turn a SYN into its SYN-ACK, in place.
 *
 * The reply's L3 and L4 headers are built in a stack buffer (IPv4 options
 * are dropped, so the reply never grows beyond the SYN plus the MSS option),
 * checksummed there, and written over the SYN after the frame was resized.
 * The L2 header stays where it is; only its addresses are swapped.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.h"
#include "csum.h"
#include "tcpopt.h"
#include "cookie.h"
#include "common.h"

#define TCP_FLAG_SYN_ACK 0x012
#define TCP_FLAG_ECE 0x040

struct synack_tcp {
	struct tcphdr th;
	__be32 opt[5]; /* MSS, [SACK-perm|NOP NOP] TS val ecr, NOP WS;
			* without TS: MSS, [NOP NOP SACK-perm], [NOP WS] */
};

struct synack4 {
	struct iphdr ip;
	struct synack_tcp tcp;
};

struct synack6 {
	struct ipv6hdr ip;
	struct synack_tcp tcp;
};

/* One buffer for either: two would each take stack of the SYN path, which
 * shares the 512 bytes with the program's entry and a bpf_loop step. */
union synack_buf {
	struct synack4 v4;
	struct synack6 v6;
};

/* What goes into the SYN-ACK besides the swapped addresses. */
struct synack_params {
	__u32 isn;
	__u32 tsval;   /* ours; timestamp mode only */
	__u32 tsecr;   /* the client's TSval */
	__u16 mss;     /* the MSS we advertise */
	__u16 window;  /* 0: the largest multiple of mss up to 65535 */
	__u8 ts;
	__u8 sack;
	__u8 ws;       /* 1: send our window scale */
	__u8 wscale;
	__u8 ttl;
	__u8 ece;      /* 1: an ECN-setup SYN-ACK (ECE, not CWR: RFC 3168 6.1.1) */
	__u8 pad[2];
};

/* Fill the TCP header and options; returns the TCP header length. */
static __always_inline __u32 synack_fill_tcp(struct synack_tcp *t, const struct tcphdr *syn,
					     const struct synack_params *sp)
{
	__u32 optlen = 4;
	/* a multiple of our MSS, like Linux; kernel mode: the kernel's own */
	__u16 win = sp->window ? sp->window : 65535 - 65535 % sp->mss;

	t->th.source = syn->dest;
	t->th.dest = syn->source;
	t->th.seq = bpf_htonl(sp->isn);
	t->th.ack_seq = bpf_htonl(bpf_ntohl(syn->seq) + 1);
	t->th.window = bpf_htons(win);
	t->opt[0] = bpf_htonl(TCPOPT_MSS << 24 | TCPOLEN_MSS << 16 | sp->mss);
	if (sp->ts) {
		/* RFC 7323 appendix A layout; SACK-permitted takes the NOPs' place. */
		t->opt[1] = bpf_htonl((sp->sack ? TCPOPT_SACK_PERM << 24 | TCPOLEN_SACK_PERM << 16
						: TCPOPT_NOP << 24 | TCPOPT_NOP << 16) |
				      TCPOPT_TIMESTAMP << 8 | TCPOLEN_TIMESTAMP);
		t->opt[2] = bpf_htonl(sp->tsval);
		t->opt[3] = bpf_htonl(sp->tsecr);
		optlen += TCPOLEN_TSTAMP_ALIGNED;
		if (sp->ws) {
			t->opt[4] = bpf_htonl(TCPOPT_NOP << 24 | TCPOPT_WINDOW << 16 |
					      TCPOLEN_WINDOW << 8 | sp->wscale);
			optlen += 4;
		}
	} else if (sp->sack || sp->ws) {
		/* no timestamps (options kept in synopts): Linux's order, NOP NOP
		 * SACK-permitted, then NOP window scale */
		__be32 sack = bpf_htonl(TCPOPT_NOP << 24 | TCPOPT_NOP << 16 |
					TCPOPT_SACK_PERM << 8 | TCPOLEN_SACK_PERM);
		__be32 ws = bpf_htonl(TCPOPT_NOP << 24 | TCPOPT_WINDOW << 16 |
				      TCPOLEN_WINDOW << 8 | sp->wscale);

		t->opt[1] = sp->sack ? sack : ws;
		optlen += 4;
		if (sp->sack && sp->ws) {
			t->opt[2] = ws;
			optlen += 4;
		}
	}
	/* data offset and flags: the 16-bit word after ack_seq */
	((__be16 *)&t->th)[6] = bpf_htons((sizeof(t->th) + optlen) / 4 << 12 | TCP_FLAG_SYN_ACK |
					  (sp->ece ? TCP_FLAG_ECE : 0));
	return sizeof(t->th) + optlen;
}

/* Write the reply headers over the SYN's. The common reply, every option
 * of a Linux SYN answered, fills its whole buffer; when the frame holds it
 * in its linear part it is stored directly, else with the helper (any
 * other size, or a multi-buffer frame). */
static __always_inline int synack_store(struct xdp_md *ctx, __u32 l3_off, const void *hdrs,
					__u32 len, const __u32 full)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	void *dst = data + l3_off;

	if (len == full && l3_off <= PKT_L4_OFF_MAX && dst + full <= data_end) {
		if (full == sizeof(struct synack4))
			__builtin_memcpy(dst, hdrs, sizeof(struct synack4));
		else
			__builtin_memcpy(dst, hdrs, sizeof(struct synack6));
		return 0;
	}
	return bpf_xdp_store_bytes(ctx, l3_off, (void *)hdrs, len) ? -1 : 0;
}

/* Resize the frame to the reply, swap MACs, write the reply headers. The
 * helpers cost: resizing and storing were ~90 ns of a SYN's ~230 in the
 * program (make bench), so a SYN-ACK as long as its SYN (a Linux SYN's)
 * is not resized, and the common one is stored without a helper. */
static __always_inline int synack_emit(struct xdp_md *ctx, const struct pkt *p, const void *hdrs,
				       __u32 len, const __u32 full)
{
	void *data, *data_end;
	struct ethhdr *eth;
	__u8 mac[ETH_ALEN];
	int delta = (int)(p->l3_off + len) - (int)p->frame_len;

	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return synack_store(ctx, p->l3_off, hdrs, len, full);
}

/* The SYN-ACK of an IPv4 SYN, built in *r (zeroed here) and written out. */
static __always_inline int synack_build4(struct xdp_md *ctx, const struct pkt *p,
					 const struct synack_params *sp, struct synack4 *r)
{
	__u32 tcp_len;

	__builtin_memset(r, 0, sizeof(*r));
	tcp_len = synack_fill_tcp(&r->tcp, p->tcp, sp);
	r->ip.version = 4;
	r->ip.ihl = 5;
	r->ip.tot_len = bpf_htons(sizeof(r->ip) + tcp_len);
	r->ip.frag_off = bpf_htons(IP_DF);
	r->ip.ttl = sp->ttl;
	r->ip.protocol = IPPROTO_TCP;
	r->ip.saddr = p->ip4->daddr;
	r->ip.daddr = p->ip4->saddr;
	r->ip.check = csum_fold64(csum_words(&r->ip, sizeof(r->ip) / 4));
	/* all of r->tcp: the option words not sent are zero and add nothing */
	r->tcp.th.check = csum_fold64(csum_words(&r->tcp, sizeof(r->tcp) / 4) +
				      pseudo_sum4(r->ip.saddr, r->ip.daddr, tcp_len));
	return synack_emit(ctx, p, r, sizeof(r->ip) + tcp_len, sizeof(*r));
}

static __always_inline int synack_build6(struct xdp_md *ctx, const struct pkt *p,
					 const struct synack_params *sp, struct synack6 *r)
{
	__u32 tcp_len;

	__builtin_memset(r, 0, sizeof(*r));
	tcp_len = synack_fill_tcp(&r->tcp, p->tcp, sp);
	*(__be32 *)&r->ip = bpf_htonl(0x60000000); /* version 6, class 0, flow 0 */
	r->ip.payload_len = bpf_htons(tcp_len);
	r->ip.nexthdr = IPPROTO_TCP;
	r->ip.hop_limit = sp->ttl;
	__builtin_memcpy(&r->ip.saddr, &p->ip6->daddr, sizeof(r->ip.saddr));
	__builtin_memcpy(&r->ip.daddr, &p->ip6->saddr, sizeof(r->ip.daddr));
	r->tcp.th.check = csum_fold64(csum_words(&r->tcp, sizeof(r->tcp) / 4) +
				      pseudo_sum6(r->ip.saddr.in6_u.u6_addr32,
						  r->ip.daddr.in6_u.u6_addr32, tcp_len));
	return synack_emit(ctx, p, r, sizeof(r->ip) + tcp_len, sizeof(*r));
}

/* The SYN-ACK of sp in place of the SYN; --arm monitor only counts it. */
static __always_inline enum so_result synack_send(struct xdp_md *ctx, const struct pkt *p,
						  const struct so_config *cfg,
						  const struct synack_params *sp)
{
	union synack_buf buf;
	int err;

	if (cfg->arm == SO_ARM_MONITOR) /* would answer; to_xdp() passes it */
		return verdict(SO_C_SYNACK_SENT, SO_TX);

	if (p->family == SO_AF_INET)
		err = synack_build4(ctx, p, sp, &buf.v4);
	else
		err = synack_build6(ctx, p, sp, &buf.v6);
	if (err)
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	return verdict(SO_C_SYNACK_SENT, SO_TX);
}
