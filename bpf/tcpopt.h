/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpopt.h - TCP option parsing (RFC 9293 3.2, RFC 7323, RFC 2018).
 *
 * The options (at most 40 bytes) are copied to a 64-byte stack buffer and
 * walked with indices masked by 63: the verifier then needs no packet bounds
 * proof per option, and the loop verifies in well under the instruction
 * limit. A per-iteration counter (instead of the strictly growing index)
 * made the verifier's state explode: don't add one.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8
#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCP_MAX_WSCALE 14 /* RFC 7323 2.3: larger shifts are treated as 14 */
#define TCPOPT_BUF 64

struct tcp_opts {
	__u16 mss;      /* 0 = not present */
	__u8 wscale;    /* valid if has_ws, clamped to 14 */
	__u8 has_ws;
	__u8 has_sack;
	__u8 has_ts;
	__u8 pad[2];
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
	case TCPOPT_TIMESTAMP:
		if (len == TCPOLEN_TIMESTAMP) {
			o->has_ts = 1;
			o->tsval = opt_be32(b, i + 2);
			o->tsecr = opt_be32(b, i + 6);
		}
		break;
	}
}

/**
 * tcpopt_parse - read MSS, window scale, SACK-permitted and timestamps
 * @ctx: the XDP context
 * @p: the parsed packet (l4_off and doff_len)
 * @o: zeroed on entry by the caller
 *
 * Malformed option lists stop the walk; what was read before stays (the
 * kernel's tcp_parse_options() behaves the same way).
 */
static __always_inline void tcpopt_parse(struct xdp_md *ctx, const struct pkt *p,
					 struct tcp_opts *o)
{
	__u8 b[TCPOPT_BUF] = {};
	__u32 len = p->doff_len - sizeof(struct tcphdr);
	__u32 i = 0;

	if (len == 0 || len > 40)
		return;
	if (bpf_xdp_load_bytes(ctx, p->l4_off + sizeof(struct tcphdr), b, len))
		return;

#pragma clang loop unroll(disable)
	while (i < len) {
		__u8 kind = b[i & 63], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = b[(i + 1) & 63];
		if (olen < 2 || i + olen > len)
			break;
		tcpopt_one(b, i, kind, olen, o);
		i += olen;
	}
}
