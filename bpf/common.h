/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - the small helpers every stage uses: counting a reason and
 * returning a verdict, the rate limiter behind every budget, the protected
 * ports, and a segment's keys: its conns key, its socket lookup tuple, and
 * the state of the socket that holds its 4-tuple.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "shakeoff.h"
#include "bound.h"
#include "parse.h"
#include "maps.h"

#define NSEC_PER_SEC 1000000000ULL

static __always_inline void count(enum so_counter c)
{
	struct so_stats *s = singleton(&stats);

	if (s)
		*so_stats_slot(s, c) += 1;
}

/* A drop's result carries its reason (the counter) above the low byte, for
 * the drop samples (to_xdp); the other results are the plain values. */
#define SO_RESULT_MASK 0xff
#define SO_REASON_SHIFT 8

/* Count the verdict and return it. */
static __always_inline enum so_result verdict(enum so_counter c, enum so_result r)
{
	count(c);
	return r == SO_DROP ? (enum so_result)(SO_DROP | c << SO_REASON_SHIFT) : r;
}

/* Every budget (--synack-rate, --signed-rate, the synopts writes, the drop
 * samples): GCRA (ITU-T I.371) per CPU, one event per interval, bursts of
 * one second's worth. True: within the budget, and the event is taken
 * from it. */
static __always_inline bool gcra_take(struct so_budget *b, __u64 interval)
{
	__u64 now = bpf_ktime_get_ns(), tolerance;

	if (b->tat < now)
		b->tat = now;
	/* a burst of one second's budget: tolerance (burst - 1) * interval;
	 * with less than one a second per CPU, no burst at all */
	tolerance = interval < NSEC_PER_SEC ? NSEC_PER_SEC - interval : 0;
	if (b->tat - now > tolerance)
		return false;
	b->tat += interval;
	return true;
}

/* Is port in the port set of map (ports, speakfirst, kports)? */
static __always_inline bool port_in(void *map, __be16 port)
{
	__u32 p = bpf_ntohs(port);
	struct so_ports *pm = singleton(map);

	/* 64 ports a word, 1024 words; masked(): clang folds a plain & 1023
	 * away after the swap (bound.h) */
	return pm && (pm->bits[masked(p >> 6, 1023)] >> (p & 63)) & 1;
}

static __always_inline bool port_protected(__be16 port)
{
	return port_in(&ports, port);
}

/* The connection table key of a segment; reverse for server->client. */
static __always_inline void flow_key(struct so_flow_key *k, const struct pkt *p, bool reverse)
{
	const struct tcphdr *tcp = p->tcp;

	k->family = p->family;
	k->sport = reverse ? tcp->dest : tcp->source;
	k->dport = reverse ? tcp->source : tcp->dest;
	if (p->family == SO_AF_INET) {
		k->saddr[0] = reverse ? p->ip4->daddr : p->ip4->saddr;
		k->daddr[0] = reverse ? p->ip4->saddr : p->ip4->daddr;
	} else if (reverse) {
		__builtin_memcpy(k->saddr, &p->ip6->daddr, 16);
		__builtin_memcpy(k->daddr, &p->ip6->saddr, 16);
	} else {
		__builtin_memcpy(k->saddr, &p->ip6->saddr, 16);
		__builtin_memcpy(k->daddr, &p->ip6->daddr, 16);
	}
}

/* The lookup tuple of a client->server segment, as the socket sees it. */
static __always_inline __u32 sock_tuple(struct bpf_sock_tuple *t, const struct pkt *p)
{
	if (p->family == SO_AF_INET) {
		t->ipv4.saddr = p->ip4->saddr;
		t->ipv4.daddr = p->ip4->daddr;
		t->ipv4.sport = p->tcp->source;
		t->ipv4.dport = p->tcp->dest;
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, &p->ip6->saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, &p->ip6->daddr, 16);
	t->ipv6.sport = p->tcp->source;
	t->ipv6.dport = p->tcp->dest;
	return sizeof(t->ipv6);
}

/* The state (BPF_TCP_*) of the socket, not a listener, that holds this
 * segment's 4-tuple, or 0: a connection that existed before attach, one
 * the kernel made, one whose table entry left; a TIME-WAIT one too. */
static __always_inline int socket_state(struct xdp_md *ctx, const struct pkt *p)
{
	struct bpf_sock_tuple t = {};
	__u32 sz = sock_tuple(&t, p);
	struct bpf_sock *sk = bpf_skc_lookup_tcp(ctx, &t, sz, BPF_F_CURRENT_NETNS, 0);
	int state;

	if (!sk)
		return 0;
	state = sk->state == BPF_TCP_LISTEN ? 0 : sk->state;
	bpf_sk_release(sk);
	return state;
}
