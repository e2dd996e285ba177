/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cookie.h - shakeoff's own SYN cookies (RFC 4987 3.6), layout in
 * include/shakeoff.h.
 *
 * XXX: clients without timestamps get no ECN, and their SACK and window
 * scale only while synopts keeps them (bpf/synopt.h, include/shakeoff.h);
 * hosts sharing a key must keep CLOCK_TAI within SO_COOKIE_SKEW_MS.
 *
 * The MAC is SipHash-2-4 (Aumasson and Bernstein) under a 128-bit secret
 * from the "secret" map, over the full 4-tuple (whole IPv6 addresses), the
 * client's ISN and an aux word that binds the time and the options. The
 * cookie expires on its own: the time of issue is part of it, no userspace
 * process needs to run.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "kfuncs.h"
#include "parse.h"
#include "tcpopt.h"
#include "clock.h"

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	__u64 v0, v1, v2, v3;
};

static __always_inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = SIP_ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = SIP_ROTL(s->v2, 32);
}

static __always_inline void sip_init(struct sip *s, const __u64 key[2])
{
	s->v0 = key[0] ^ 0x736f6d6570736575ULL;
	s->v1 = key[1] ^ 0x646f72616e646f6dULL;
	s->v2 = key[0] ^ 0x6c7967656e657261ULL;
	s->v3 = key[1] ^ 0x7465646279746573ULL;
}

static __always_inline void sip_word(struct sip *s, __u64 m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/* The last block, the message's final bytes (fewer than 8) and its length
 * in the top byte, then the finalisation. */
static __always_inline __u64 sip_final(struct sip *s, __u64 len, __u64 tail)
{
	sip_word(s, len << 56 | tail);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* The connection a cookie belongs to, as words ready for the MAC. */
struct cookie_flow {
	__u64 w[5];   /* IPv4: w[0]; IPv6: w[0..3]; then the ports/seq word */
	__u32 nwords; /* 2 (IPv4) or 5 (IPv6), aux not counted */
	__u32 family;
};

/**
 * cookie_flow_init - the MAC input of a client->server segment
 * @client_isn: the client's initial sequence number (SYN seq, or ACK seq - 1)
 */
static __always_inline void cookie_flow_init(struct cookie_flow *f, const struct pkt *p,
					     __u32 client_isn)
{
	const struct tcphdr *tcp = p->tcp;
	__u64 ports = (__u64)tcp->source | (__u64)tcp->dest << 16 | (__u64)client_isn << 32;

	f->family = p->family;
	if (p->family == SO_AF_INET) {
		f->w[0] = (__u64)p->ip4->saddr | (__u64)p->ip4->daddr << 32;
		f->w[1] = ports;
		f->nwords = 2;
	} else {
		const __u64 *s = (const __u64 *)&p->ip6->saddr;
		const __u64 *d = (const __u64 *)&p->ip6->daddr;

		f->w[0] = s[0];
		f->w[1] = s[1];
		f->w[2] = d[0];
		f->w[3] = d[1];
		f->w[4] = ports;
		f->nwords = 5;
	}
}

/* aux (56 bits) rides in the last block with the length: a 23- or 47-byte
 * message costs one compression less than a 24- or 48-byte one. */
static __always_inline __u64 cookie_mac(const __u64 key[2], const struct cookie_flow *f, __u64 aux)
{
	struct sip s;

	sip_init(&s, key);
	if (f->nwords == 2) {
		sip_word(&s, f->w[0]);
		sip_word(&s, f->w[1]);
		return sip_final(&s, 23, aux);
	}
	sip_word(&s, f->w[0]);
	sip_word(&s, f->w[1]);
	sip_word(&s, f->w[2]);
	sip_word(&s, f->w[3]);
	sip_word(&s, f->w[4]);
	return sip_final(&s, 47, aux);
}

/* What a cookie carries. */
struct cookie_opts {
	__u8 mss_idx;
	__u8 wscale;  /* client's, or SO_WS_NONE */
	__u8 sack;
	__u8 ts;      /* timestamp mode */
	__u8 ecn;     /* ECN-setup SYN-ACK sent (timestamp mode only) */
	__u8 key_id;  /* the key id an ACK's TSecr names (the SYN path takes the key's) */
};

static __always_inline __u32 ts_cookie_tsval(const struct cookie_opts *co, __u32 now_ms)
{
	return (now_ms & SO_TS_TIME_MASK) | (__u32)co->ecn << SO_TS_ECN_SHIFT |
	       (__u32)co->sack << SO_TS_SACK_SHIFT |
	       (__u32)co->wscale << SO_TS_WS_SHIFT | (__u32)co->mss_idx << SO_TS_MSS_SHIFT;
}

static __always_inline __u64 ts_cookie_aux(__u32 tsval)
{
	return (__u64)tsval | SO_AUX_TS_MODE;
}

static __always_inline __u64 nots_cookie_aux(__u64 period, __u8 mss_idx)
{
	return (__u32)period | (__u64)mss_idx << 32;
}

/**
 * cookie_make - the ISN (and TSval, in timestamp mode) of a SYN-ACK
 * @key: the issuing key (its id goes into the TSval)
 * @co: options to carry; co->ts selects the mode
 * @now: CLOCK_TAI now (clock.h)
 * @tsval: out, the TSval to send (timestamp mode only)
 */
static __always_inline __u32 cookie_make(const struct so_key *key, const struct cookie_flow *f,
					 const struct cookie_opts *co, const struct tai_now *now,
					 __u32 *tsval)
{
	__u64 period;

	if (co->ts) {
		*tsval = ts_cookie_tsval(co, now->ms) |
			 (key->fp & SO_KEY_ID_MASK) << SO_TS_KEY_SHIFT;
		return (__u32)cookie_mac(key->k, f, ts_cookie_aux(*tsval));
	}
	period = now->ns >> SO_NOTS_PERIOD_SHIFT;
	return (__u32)(cookie_mac(key->k, f, nots_cookie_aux(period, co->mss_idx))
		       << SO_NOTS_MAC_SHIFT) |
	       (__u32)co->mss_idx << 1 | (__u32)(period & 1);
}

enum cookie_verdict {
	COOKIE_VALID = 0,
	COOKIE_BAD,     /* MAC mismatch: forged, or other secret, or other tuple */
	COOKIE_EXPIRED, /* timestamp mode: too old, or from the future */
};

/* One key's try: timestamp mode compares all 32 bits, the other mode 28. */
static __always_inline bool cookie_try(const __u64 key[2], const struct cookie_flow *f,
				       __u32 cookie, __u64 aux, bool ts)
{
	__u64 mac = cookie_mac(key, f, aux);

	if (ts)
		return (__u32)mac == cookie;
	return ((__u32)(mac << SO_NOTS_MAC_SHIFT) | (cookie & 0xf)) == cookie;
}

/* Is this key of the ring one to try? In timestamp mode, only those of
 * the id the cookie names; retiring keys until their time is up. */
static __always_inline bool key_wanted(const struct so_key *k, const struct cookie_opts *co,
				       const struct tai_now *now)
{
	if (co->ts && (k->fp & SO_KEY_ID_MASK) != co->key_id)
		return false;
	return k->retire_tai_ns == 0 || k->retire_tai_ns > now->ns;
}

/* Each key of the ring in turn, the issuing key first: a bounded loop
 * (kernels 5.3+), not unrolled, so that SO_KEYS_MAX copies of the MAC do not
 * bloat the program. The slot that took the cookie, or -1. */
static __always_inline int ring_try(const struct so_ring *ring, const struct cookie_flow *f,
				    __u32 cookie, __u64 aux, const struct cookie_opts *co,
				    const struct tai_now *now)
{
	__u32 n = ring->nkeys;

#pragma clang loop unroll(disable)
	for (int i = 0; i < SO_KEYS_MAX; i++) {
		const struct so_key *k = &ring->key[i];

		if (i >= n)
			break;
		if (key_wanted(k, co, now) && cookie_try(k->k, f, cookie, aux, co->ts))
			return i;
	}
	return -1;
}

/**
 * cookie_check - validate the cookie an ACK returns and decode its options
 * @ring: the key ring in force
 * @cookie: ACK's ack_seq - 1
 * @o: the ACK's options (timestamp mode if o->has_ts)
 * @now: CLOCK_TAI now (clock.h)
 * @slot: out, the ring slot of the key that took it (0: the issuing key)
 */
static __always_inline enum cookie_verdict cookie_check(const struct so_ring *ring,
							const struct cookie_flow *f, __u32 cookie,
							const struct tcp_opts *o,
							struct cookie_opts *co,
							const struct tai_now *now, int *slot)
{
	__u64 aux;

	if (o->has_ts) {
		__s32 age = (__s32)(now->ms - (o->tsecr & SO_TS_TIME_MASK));

		if (age > SO_COOKIE_TS_MAX_AGE_MS || age < -SO_COOKIE_SKEW_MS)
			return COOKIE_EXPIRED;
		aux = ts_cookie_aux(o->tsecr);
		co->ts = 1;
		co->mss_idx = (o->tsecr >> SO_TS_MSS_SHIFT) & SO_MSS_IDX_MASK;
		co->wscale = (o->tsecr >> SO_TS_WS_SHIFT) & 0xf;
		co->sack = (o->tsecr >> SO_TS_SACK_SHIFT) & 1;
		co->ecn = (o->tsecr >> SO_TS_ECN_SHIFT) & 1;
		co->key_id = (o->tsecr >> SO_TS_KEY_SHIFT) & SO_KEY_ID_MASK;
	} else {
		__u64 period = now->ns >> SO_NOTS_PERIOD_SHIFT;

		if ((period & 1) != (cookie & 1))
			period--;
		co->ts = 0;
		co->mss_idx = (cookie >> 1) & SO_MSS_IDX_MASK;
		co->wscale = SO_WS_NONE;
		co->sack = 0;
		co->ecn = 0;
		aux = nots_cookie_aux(period, co->mss_idx);
	}
	*slot = ring_try(ring, f, cookie, aux, co, now);
	return *slot < 0 ? COOKIE_BAD : COOKIE_VALID;
}
