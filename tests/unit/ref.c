// SPDX-License-Identifier: GPL-2.0
/* ref.c - see ref.h. */
#include <string.h>
#include <time.h>

#include "ref.h"

static __u64 rotl(__u64 x, int b)
{
	return x << b | x >> (64 - b);
}

static __u64 le64(const __u8 *p)
{
	__u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le64(__u8 *p, __u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static void put_le32(__u8 *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void sipround(__u64 v[4])
{
	v[0] += v[1], v[1] = rotl(v[1], 13), v[1] ^= v[0], v[0] = rotl(v[0], 32);
	v[2] += v[3], v[3] = rotl(v[3], 16), v[3] ^= v[2];
	v[0] += v[3], v[3] = rotl(v[3], 21), v[3] ^= v[0];
	v[2] += v[1], v[1] = rotl(v[1], 17), v[1] ^= v[2], v[2] = rotl(v[2], 32);
}

static void compress(__u64 v[4], __u64 m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

__u64 ref_siphash(const __u8 key[16], const void *msg, size_t len)
{
	const __u8 *in = msg;
	__u64 k0 = le64(key), k1 = le64(key + 8);
	__u64 v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		       k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	__u8 last[8] = { 0 };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		compress(v, le64(in + i));
	memcpy(last, in + i, len - i);
	last[7] = (__u8)len;
	compress(v, le64(last));
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void ref_key_bytes(const __u64 key[2], __u8 out[16])
{
	put_le64(out, key[0]);
	put_le64(out + 8, key[1]);
}

/* The message of include/shakeoff.h: addresses, ports, ISN (little-endian,
 * as the low half of a little-endian word), the 7 low bytes of aux. */
__u64 ref_cookie_mac(const __u64 key[2], const struct ref_flow *f, __u64 aux)
{
	__u8 k[16], m[48], a[8];
	size_t n = 0, alen = f->family == 6 ? 16 : 4;

	ref_key_bytes(key, k);
	memcpy(m + n, f->saddr, alen), n += alen;
	memcpy(m + n, f->daddr, alen), n += alen;
	memcpy(m + n, f->sport, 2), n += 2;
	memcpy(m + n, f->dport, 2), n += 2;
	put_le32(m + n, f->client_isn), n += 4;
	put_le64(a, aux);
	memcpy(m + n, a, 7), n += 7;
	return ref_siphash(k, m, n);
}

__u32 ref_ts_tsval(__u32 tai_ms, __u8 mss_idx, __u8 wscale, __u8 sack, __u8 ecn, __u8 key_id)
{
	return (tai_ms & SO_TS_TIME_MASK) | (__u32)key_id << SO_TS_KEY_SHIFT |
	       (__u32)ecn << SO_TS_ECN_SHIFT |
	       (__u32)sack << SO_TS_SACK_SHIFT |
	       (__u32)wscale << SO_TS_WS_SHIFT | (__u32)mss_idx << SO_TS_MSS_SHIFT;
}

__u32 ref_ts_isn(const __u64 key[2], const struct ref_flow *f, __u32 tsval)
{
	return (__u32)ref_cookie_mac(key, f, (__u64)tsval | 1ULL << 55);
}

__u32 ref_nots_isn(const __u64 key[2], const struct ref_flow *f, __u64 period, __u8 mss_idx)
{
	__u64 mac = ref_cookie_mac(key, f, (period & 0xffffffff) | (__u64)mss_idx << 32);

	return (__u32)(mac & 0x0fffffff) << SO_NOTS_MAC_SHIFT | (__u32)mss_idx << 1 |
	       (__u32)(period & 1);
}

static const __u16 mss4[8] = SO_MSS4_TABLE;
static const __u16 mss6[8] = SO_MSS6_TABLE;

__u8 ref_mss_idx(int family, __u16 client_mss)
{
	const __u16 *t = family == 6 ? mss6 : mss4;
	__u8 idx = 0;

	for (int i = 0; i < 8; i++)
		if (t[i] <= client_mss)
			idx = i;
	return idx;
}

__u16 ref_mss_of_idx(int family, __u8 idx)
{
	return (family == 6 ? mss6 : mss4)[idx & 7];
}

__u64 tai_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
