/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syncsum.h - the checksums a SYN must carry right before it costs a
 * cookie: its IPv4 header's and its TCP segment's (csum.h sums them).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bound.h"
#include "parse.h"
#include "csum.h"
#include "tcpopt.h"

static __always_inline bool ip_csum_ok(struct xdp_md *ctx, const struct pkt *p)
{
	__u8 buf[60] = {}; /* the longest IPv4 header: IHL 15 */
	__u32 len;

	if (p->family != SO_AF_INET)
		return true; /* IPv6 has no header checksum */
	if (p->ip4->ihl == 5)
		return csum_fold64(csum_words(p->ip4, sizeof(struct iphdr) / 4)) == 0;
	len = p->ip4->ihl * 4;
	if (!within(len, sizeof(struct iphdr), sizeof(buf)) ||
	    bpf_xdp_load_bytes(ctx, p->l3_off, buf, len))
		return false;
	return csum_fold64(csum_words(buf, sizeof(buf) / 4)) == 0;
}

/* A SYN carries at most a 60-byte header and, with TCP Fast Open, a segment
 * of data; anything longer than this is not a SYN we answer.
 * XXX: a TFO SYN with more data (jumbo frames) is dropped, not answered. */
#define SYN_MAX_LEN 1536
#define CSUM_CHUNK 64

struct csum_walk {
	struct xdp_md *ctx;
	__u64 sum;
	__u32 off; /* of the next chunk, from the packet start */
	__u32 left;
	__u8 buf[CSUM_CHUNK];
};

/* Sum one chunk per bpf_loop() step; an odd tail is zero-padded (RFC 1071). */
static long csum_step(__u32 unused, struct csum_walk *w)
{
	__u32 n = w->left;

	if (n == 0)
		return 1;
	if (n < CSUM_CHUNK)
		__builtin_memset(w->buf, 0, sizeof(w->buf));
	else
		n = CSUM_CHUNK;
	/* n is 1..64 here, but 6.1's verifier learns nothing from n != 0 and
	 * took the load for a zero-sized read: the same value, by a mask it
	 * reads as 1..64 (barrier_var keeps clang from folding it away). */
	barrier_var(n);
	n = ((n - 1) & (CSUM_CHUNK - 1)) + 1;
	if (bpf_xdp_load_bytes(w->ctx, w->off, w->buf, n)) {
		w->sum = 0; /* never a valid sum: fails the check */
		return 1;
	}
	/* the helper, not csum_words(): its unrolled sum would spill past the
	 * 512-byte stack of the call chain; this path is for rare long SYNs */
	w->sum += (__u32)bpf_csum_diff(0, 0, (void *)w->buf, sizeof(w->buf), 0);
	w->off += n;
	w->left -= n;
	return 0;
}

/* The SYN's TCP checksum: from the copy tcpopt_load() made when the whole
 * segment fit in it (zero padding sums to nothing), else chunk by chunk. */
static __always_inline bool tcp_csum_ok(struct xdp_md *ctx, const struct pkt *p,
					struct tcpopt_walk *copy)
{
	struct csum_walk w = { .ctx = ctx, .off = p->l4_off, .left = p->tcp_len };

	if (p->family == SO_AF_INET)
		w.sum = pseudo_sum4(p->ip4->saddr, p->ip4->daddr, p->tcp_len);
	else
		w.sum = pseudo_sum6(p->ip6->saddr.in6_u.u6_addr32, p->ip6->daddr.in6_u.u6_addr32,
				    p->tcp_len);
	if (p->tcp_len <= TCPOPT_BUF)
		return csum_fold64(csum_words(copy->b, TCPOPT_BUF / 4) + w.sum) == 0;
	bpf_loop(SYN_MAX_LEN / CSUM_CHUNK, csum_step, &w, 0);
	return w.left == 0 && csum_fold64(w.sum) == 0;
}
