/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h - Internet checksums (RFC 1071) with bpf_csum_diff.
 *
 * bpf_csum_diff() sums 32-bit words of raw memory, so sums stay in "memory
 * order": a checksum folded from them is stored into the header as is, and
 * the pseudo-header terms are built as the bytes would lie in memory.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
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

/* Sum a buffer whose size is a multiple of 4; returns the 32-bit partial sum
 * added to seed (already folded to 32 bits by the helper). */
static __always_inline __u64 csum_add_buf(void *buf, __u32 size, __u64 seed)
{
	__s64 r = bpf_csum_diff(0, 0, buf, size, 0);

	return seed + (__u32)r;
}
