/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frame.h - the benchmark's frames, built once and varied per send.
 *
 * Two kinds (and a third: a SYN with a fake TCP-MD5 option, frame_sign_md5), both IPv4 from a random flood source (198.18.128.0/17, random
 * port) to one server address and port:
 *   SYN  what Linux sends: MSS 1460, SACK-permitted, timestamps, NOP,
 *        window scale 7 (40-byte TCP header, 74-byte frame);
 *   ACK  a third ACK with NOP NOP and timestamps (66-byte frame) whose
 *        ack_seq is random: a forged cookie.
 * frame_vary() gives a frame a new source address, port, ISN and timestamps
 * and valid checksums: the sums of the constant words are taken once at
 * init, and only the words that vary are added per frame.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#include "bench.h"

#define FRAME_MAX 128

/* Offsets in the frame (Ethernet, 20-byte IPv4 header, TCP). */
#define OFF_IP 14
#define OFF_IP_CSUM (OFF_IP + 10)
#define OFF_SADDR (OFF_IP + 12)
#define OFF_TCP (OFF_IP + 20)
#define OFF_SPORT (OFF_TCP + 0)
#define OFF_SEQ (OFF_TCP + 4)
#define OFF_ACK (OFF_TCP + 8)
#define OFF_TCP_CSUM (OFF_TCP + 16)
#define OFF_OPT (OFF_TCP + 20)

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
	uint32_t tcp_len;
	uint32_t off_tsval; /* of the timestamp option's TSval */
	bool ack;           /* an ACK with a forged cookie, not a SYN */
	uint32_t ip_base;   /* complement sums of the constant words */
	uint32_t tcp_base;
};

/* splitmix64: fast, and good enough to spread addresses and ports. */
static inline uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void st32be(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* Complement sum of n bytes (n even) in memory order (RFC 1071). */
static inline uint32_t sum16(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i += 2)
		s += ld16(p + i);
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The words frame_vary() writes, as offsets into the frame. */
static inline uint32_t frame_var_sum(const struct frame *f)
{
	const uint8_t *b = f->b;

	return ld16(b + OFF_SPORT) + ld16(b + OFF_SEQ) + ld16(b + OFF_SEQ + 2) +
	       ld16(b + OFF_ACK) + ld16(b + OFF_ACK + 2) + ld16(b + f->off_tsval) +
	       ld16(b + f->off_tsval + 2) + ld16(b + f->off_tsval + 4) +
	       ld16(b + f->off_tsval + 6);
}

/*
 * frame_init - build the constant part of a frame
 * @daddr, @dport: the server's, network order
 */
static inline void frame_init(struct frame *f, bool ack, const uint8_t smac[ETH_ALEN],
			      const uint8_t dmac[ETH_ALEN], uint32_t daddr, uint16_t dport)
{
	uint8_t *b = f->b;
	struct ethhdr *eth = (struct ethhdr *)b;
	struct iphdr ip = {};
	struct tcphdr tcp = {};
	uint8_t pseudo[8];
	uint8_t *o = b + OFF_OPT;

	memset(f, 0, sizeof(*f));
	f->ack = ack;
	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);

	if (ack) {
		/* NOP NOP TS: what Linux puts in an ACK */
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		f->off_tsval = OFF_OPT + 4;
		f->tcp_len = 32;
	} else {
		/* MSS 1460, SACK-permitted, TS, NOP, WS 7: a Linux SYN */
		o[0] = 2;
		o[1] = 4;
		st16(o + 2, htons(1460));
		o[4] = 4;
		o[5] = 2;
		o[6] = 8;
		o[7] = 10;
		o[16] = 1;
		o[17] = 3;
		o[18] = 3;
		o[19] = 7;
		f->off_tsval = OFF_OPT + 8;
		f->tcp_len = 40;
	}
	f->len = OFF_TCP + f->tcp_len;

	ip.version = 4;
	ip.ihl = 5;
	ip.tot_len = htons(20 + f->tcp_len);
	ip.frag_off = htons(0x4000); /* DF */
	ip.ttl = 64;
	ip.protocol = IPPROTO_TCP;
	ip.daddr = daddr;
	memcpy(b + OFF_IP, &ip, sizeof(ip));

	tcp.dest = dport;
	tcp.doff = f->tcp_len / 4;
	if (ack) {
		tcp.ack = 1;
		tcp.window = htons(502);
	} else {
		tcp.syn = 1;
		tcp.window = htons(64240);
	}
	memcpy(b + OFF_TCP, &tcp, sizeof(tcp));

	/* Constant sums: saddr, checksums and the varied words are zero now.
	 * The pseudo header's saddr varies; daddr, protocol and length don't. */
	f->ip_base = sum16(b + OFF_IP, 20);
	memcpy(pseudo, &daddr, 4);
	st16(pseudo + 4, htons(IPPROTO_TCP));
	st16(pseudo + 6, htons(f->tcp_len));
	f->tcp_base = sum16(pseudo, 8) + sum16(b + OFF_TCP, f->tcp_len);
}

/*
 * frame_sign_md5 - make a SYN of frame_init() one with a TCP-MD5 option
 * (RFC 2385: NOP NOP, kind 19, 16 bytes of digest, here made up) after
 * its Linux options, as a flood of fake signed SYNs sends (94-byte frame).
 * Before any frame_vary(): the varied words are still zero, so the sums of
 * the constant ones are taken again over the whole headers.
 */
static inline void frame_sign_md5(struct frame *f)
{
	uint8_t *b = f->b, *o = b + OFF_OPT + 20, pseudo[8];

	o[0] = 1;
	o[1] = 1;
	o[2] = 19;
	o[3] = 18;
	for (int i = 0; i < 16; i++)
		o[4 + i] = (uint8_t)(0xa5 ^ i);
	f->tcp_len = 60;
	f->len = OFF_TCP + f->tcp_len;
	st16(b + OFF_IP + 2, htons(20 + f->tcp_len));
	b[OFF_TCP + 12] = (uint8_t)(f->tcp_len / 4 << 4);
	st16(b + OFF_IP_CSUM, 0);
	st16(b + OFF_TCP_CSUM, 0);
	f->ip_base = sum16(b + OFF_IP, 20);
	memcpy(pseudo, b + OFF_IP + 16, 4);
	st16(pseudo + 4, htons(IPPROTO_TCP));
	st16(pseudo + 6, htons(f->tcp_len));
	f->tcp_base = sum16(pseudo, 8) + sum16(b + OFF_TCP, f->tcp_len);
}

/*
 * frame_vary - a new flood source, ISN and timestamps; valid checksums
 * @tsecr: the TSecr of an ACK (ignored for a SYN, whose TSecr is 0)
 */
static inline void frame_vary(struct frame *f, uint64_t *rng, uint32_t tsecr)
{
	uint8_t *b = f->b;
	uint64_t r = rnd_next(rng), r2 = rnd_next(rng);
	uint32_t saddr = htonl(BENCH_FLOOD_NET | (uint32_t)(r & (BENCH_FLOOD_HOSTS - 1)));
	uint32_t s_sum;

	memcpy(b + OFF_SADDR, &saddr, 4);
	st16(b + OFF_SPORT, htons((uint16_t)(1024 + (r >> 16) % 64512)));
	st32be(b + OFF_SEQ, (uint32_t)(r >> 32));
	st32be(b + f->off_tsval, (uint32_t)r2);
	if (f->ack) {
		st32be(b + OFF_ACK, (uint32_t)(r2 >> 32));
		st32be(b + f->off_tsval + 4, tsecr);
	}
	s_sum = ld16(b + OFF_SADDR) + ld16(b + OFF_SADDR + 2);
	st16(b + OFF_IP_CSUM, fold(f->ip_base + s_sum));
	st16(b + OFF_TCP_CSUM, fold(f->tcp_base + s_sum + frame_var_sum(f)));
}
