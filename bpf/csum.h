/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h - Internet checksums (RFC 1071), summed inline.
 *
 * Sums are of 32-bit words of raw memory, added into 64 bits, so they stay
 * in "memory order": a checksum folded from them is stored into the header
 * as is, and the pseudo-header terms are built as the bytes would lie in
 * memory. Every buffer here has a size fixed at compile time, so the sum is
 * a row of loads and adds: bpf_csum_diff() did the same at the price of a
 * helper call each, and the four of a SYN's path cost it ~35 ns per SYN
 * under flood (make bench, in-program time).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

/* Fold a 64-bit accumulator to the 16-bit one's complement checksum. */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Pseudo-header sum (RFC 9293 3.1, RFC 8200 8.1) for a TCP segment of tcp_len
 * bytes. Addresses are taken as they lie in the packet. */
static __always_inline __u64 pseudo_sum4(__be32 saddr, __be32 daddr, __u32 tcp_len)
{
	return (__u64)saddr + daddr + bpf_htonl((IPPROTO_TCP << 16) | tcp_len);
}

static __always_inline __u64 pseudo_sum6(const __be32 *saddr, const __be32 *daddr, __u32 tcp_len)
{
	__u64 sum = bpf_htonl(tcp_len) + (__u64)bpf_htonl(IPPROTO_TCP);

#pragma clang loop unroll(full)
	for (int i = 0; i < 4; i++)
		sum += (__u64)saddr[i] + daddr[i];
	return sum;
}

/* Sum the n 32-bit words at p; the caller adds a seed and folds. n is a
 * constant at every call, so the loop unrolls once inlined. p may be a
 * packet pointer checked for 4 * n bytes; any alignment does (x86 and
 * arm64 load unaligned words). */
static __always_inline __u64 csum_words(const void *p, const int n)
{
	const __u32 *w = p;
	__u64 sum = 0;

#pragma clang loop unroll(full)
	for (int i = 0; i < n; i++)
		sum += w[i];
	return sum;
}
