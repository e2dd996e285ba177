/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpopt.h - TCP option parsing (RFC 9293 3.2, RFC 7323, RFC 2018).
 *
 * The TCP header with its options (at most 60 bytes) is copied to a 64-byte
 * stack buffer; the layouts Linux sends are read at fixed offsets, anything
 * else is walked with indices masked by 63, one option per bpf_loop() step (5.17):
 * the verifier then needs no packet bounds proof per option and checks the
 * step once. An unrolled or bounded loop here cost ~400k verifier
 * instructions and seconds of load time.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"
#include "bound.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8
#define TCPOPT_MD5SIG 19 /* RFC 2385 */
#define TCPOPT_AO 29     /* RFC 5925 */
#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOLEN_TSTAMP_ALIGNED 12 /* with two NOPs, as Linux sends it */
#define TCP_HDR_MAX 60            /* data offset 15 */
#define TCPOPT_MAX_LEN 40         /* the options of the longest header */
#define TCP_MAX_WSCALE 14 /* RFC 7323 2.3: larger shifts are treated as 14 */
#define TCPOPT_BUF 64

struct tcp_opts {
	__u16 mss;      /* 0 = not present */
	__u8 wscale;    /* valid if has_ws, clamped to 14 */
	__u8 has_ws;
	__u8 has_sack;
	__u8 has_ts;
	__u8 signed_by; /* TCPOPT_MD5SIG or TCPOPT_AO: the segment is signed */
	__u8 pad;
	__u32 tsval;    /* host order */
	__u32 tsecr;
};

static __always_inline __u32 opt_be32(const __u8 *b, __u32 i)
{
	return (__u32)b[i & 63] << 24 | (__u32)b[(i + 1) & 63] << 16 |
	       (__u32)b[(i + 2) & 63] << 8 | b[(i + 3) & 63];
}

static __always_inline void tcpopt_one(const __u8 *b, __u32 i, __u8 kind, __u8 len,
				       struct tcp_opts *o)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (len == TCPOLEN_MSS)
			o->mss = (__u16)b[(i + 2) & 63] << 8 | b[(i + 3) & 63];
		break;
	case TCPOPT_WINDOW:
		if (len == TCPOLEN_WINDOW) {
			__u8 ws = b[(i + 2) & 63];

			o->has_ws = 1;
			o->wscale = ws > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : ws;
		}
		break;
	case TCPOPT_SACK_PERM:
		if (len == TCPOLEN_SACK_PERM)
			o->has_sack = 1;
		break;
	case TCPOPT_MD5SIG:
	case TCPOPT_AO:
		/* any length: a signature we cannot check or make either way */
		o->signed_by = kind;
		break;
	case TCPOPT_TIMESTAMP:
		if (len == TCPOLEN_TIMESTAMP) {
			o->has_ts = 1;
			o->tsval = opt_be32(b, i + 2);
			o->tsecr = opt_be32(b, i + 6);
		}
		break;
	}
}

struct tcpopt_walk {
	/* the TCP header, then its options: walked as opt[i & 63], which stays
	 * inside the buffer for every i, so the verifier needs no bound on i */
	union {
		__u8 b[sizeof(struct tcphdr) + TCPOPT_BUF];
		struct {
			__u8 hdr[sizeof(struct tcphdr)];
			__u8 opt[TCPOPT_BUF];
		};
	};
	__u32 i;   /* into opt[]; starts at 0, so the verifier sees it grow by
		    * unknown amounts and the step's states converge */
	__u32 len; /* bytes of options */
	struct tcp_opts o;
};

/* One option per bpf_loop() step: the verifier checks the step once instead
 * of every path through 40 unrolled iterations. */
static long tcpopt_step(__u32 unused, struct tcpopt_walk *w)
{
	__u32 i = w->i;
	__u8 kind, olen;

	if (i >= w->len)
		return 1;
	kind = w->opt[i & 63];
	if (kind == TCPOPT_EOL)
		return 1;
	if (kind == TCPOPT_NOP) {
		w->i = i + 1;
		return 0;
	}
	if (i + 1 >= w->len)
		return 1;
	olen = w->opt[(i + 1) & 63];
	if (olen < 2 || i + olen > w->len)
		return 1;
	tcpopt_one(w->opt, i, kind, olen, &w->o);
	w->i = i + olen;
	return 0;
}

/* Copy the TCP header with its options to w->b, and the payload too while
 * the whole segment fits (then the SYN's checksum is summed from the copy).
 * Sets up the walk over the options. */
static __always_inline int tcpopt_load(struct xdp_md *ctx, const struct pkt *p,
				       struct tcpopt_walk *w)
{
	__u32 n = p->tcp_len <= TCPOPT_BUF ? p->tcp_len : p->doff_len;

	/* within(): a plain || is merged into a test 6.12 loses (bound.h) */
	if (!within(n, sizeof(struct tcphdr), TCPOPT_BUF))
		return -1;
	w->len = p->doff_len - sizeof(struct tcphdr);
	/* The header of a Linux SYN (MSS, SACK-permitted, timestamps, window
	 * scale: 40 bytes) or of its third ACK (32) without payload, in the
	 * linear part: copied without the helper, which costs a call and
	 * its checks for every SYN of a flood. */
	if (n == p->doff_len && n == 40 && (void *)p->tcp + 40 <= p->data_end) {
		__builtin_memcpy(w->b, p->tcp, 40);
		return 0;
	}
	if (n == p->doff_len && n == 32 && (void *)p->tcp + 32 <= p->data_end) {
		__builtin_memcpy(w->b, p->tcp, 32);
		return 0;
	}
	return bpf_xdp_load_bytes(ctx, p->l4_off, w->b, n) ? -1 : 0;
}

/* The layouts Linux sends, read without a walk: a SYN's MSS, SACK-permitted,
 * timestamps, NOP, window scale; an ACK's NOP, NOP, timestamps. */
static __always_inline bool tcpopt_linux(struct tcpopt_walk *w)
{
	const __be32 *o = (const __be32 *)w->opt;

	if (w->len == 20 && (o[0] & bpf_htonl(0xffff0000)) == bpf_htonl(0x02040000) &&
	    o[1] == bpf_htonl(0x0402080a) && (o[4] & bpf_htonl(0xffffff00)) == bpf_htonl(0x01030300)) {
		__u8 ws = w->opt[19];

		w->o.mss = bpf_ntohl(o[0]) & 0xffff;
		w->o.has_sack = 1;
		w->o.has_ts = 1;
		w->o.tsval = bpf_ntohl(o[2]);
		w->o.tsecr = bpf_ntohl(o[3]);
		w->o.has_ws = 1;
		w->o.wscale = ws > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : ws;
		return true;
	}
	if (w->len == 12 && o[0] == bpf_htonl(0x0101080a)) {
		w->o.has_ts = 1;
		w->o.tsval = bpf_ntohl(o[1]);
		w->o.tsecr = bpf_ntohl(o[2]);
		return true;
	}
	return false;
}

/**
 * tcpopt_parse - read MSS, window scale, SACK-permitted, timestamps and
 * whether a TCP-MD5 or TCP-AO option signs the segment
 * @w: loaded by tcpopt_load(); the result is in w->o (zero where absent)
 *
 * Malformed option lists stop the walk; what was read before stays (the
 * kernel's tcp_parse_options() behaves the same way).
 */
static __always_inline void tcpopt_parse(struct tcpopt_walk *w)
{
	if (w->len && !tcpopt_linux(w))
		bpf_loop(TCPOPT_MAX_LEN, tcpopt_step, w, 0); /* a byte a step at least */
}
