/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ref.h - reference SipHash-2-4 and a reference of the cookie layout that
 * include/shakeoff.h specifies. Written from the SipHash paper and the header
 * comment, byte-oriented, independent of bpf/cookie.h (which is not included).
 */
#pragma once

#include <stddef.h>
#include <linux/types.h>

#include "shakeoff.h"

/* SipHash-2-4 of any message under a 16-byte key (the paper's byte order). */
__u64 ref_siphash(const __u8 key[16], const void *msg, size_t len);

/* The 16-byte key of one slot of struct so_secret: the two __u64 words as the
 * map holds them on this (little-endian) host. */
void ref_key_bytes(const __u64 key[2], __u8 out[16]);

/* What a cookie is computed over: the client->server 4-tuple and client ISN.
 * Addresses and ports in packet byte order. */
struct ref_flow {
	int family; /* 4 or 6 */
	__u8 saddr[16], daddr[16];
	__u8 sport[2], dport[2];
	__u32 client_isn;
};

/* MAC of a flow under a key with the given aux word (the layout's message). */
__u64 ref_cookie_mac(const __u64 key[2], const struct ref_flow *f, __u64 aux);

/* The TSval of a timestamp-mode SYN-ACK issued at tai_ms, and its ISN. */
__u32 ref_ts_tsval(__u32 tai_ms, __u8 mss_idx, __u8 wscale, __u8 sack, __u8 ecn, __u8 key_id);
__u32 ref_ts_isn(const __u64 key[2], const struct ref_flow *f, __u32 tsval);

/* The ISN of a non-timestamp SYN-ACK issued in period (TAI ns >> 36). */
__u32 ref_nots_isn(const __u64 key[2], const struct ref_flow *f, __u64 period, __u8 mss_idx);

/* Index of the largest table entry not above the client's MSS (0 if none,
 * and for a SYN without MSS). */
__u8 ref_mss_idx(int family, __u16 client_mss);
__u16 ref_mss_of_idx(int family, __u8 idx);

/* CLOCK_TAI now, in ns. */
__u64 tai_ns(void);
