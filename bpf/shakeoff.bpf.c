// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff.bpf.c - TCP handshake offload.
 *
 *   xdp_shakeoff  (XDP, ingress)  answers SYNs to protected ports with a
 *                 cookie SYN-ACK; validates the cookie of the third ACK and
 *                 hands the decoded options to TC in the frame's metadata.
 *   tc_ingress    (TC ingress)    turns such an ACK into a request socket of
 *                 the listener (bpf_sk_assign_tcp_reqsk, kernel 6.9+); the
 *                 kernel completes it into a socket that accept() returns.
 *   tc_egress     (TC egress)     follows the server's side of connections
 *                 that shakeoff created.
 *
 * Kernel floor: 6.9 (bpf_sk_assign_tcp_reqsk) for completion mode "kfunc";
 * completion mode "kernel" (kcookie.h: the kernel's own cookies, no
 * tc_ingress) runs from 6.0 (bpf_tcp_raw_check_syncookie_*). TC programs
 * attach as TCX links (6.6) or, before, as clsact filters.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "shakeoff.h"
#include "bound.h"
#include "kfuncs.h"
#include "parse.h"
#include "csum.h"
#include "tcpopt.h"
#include "cookie.h"
#include "clock.h"
#include "synack.h"

char LICENSE[] SEC("license") = "GPL";

/* A map of one entry: configuration, or state kept per CPU. */
#define SINGLETON_MAP(maptype, name, valtype)     \
	struct {                                  \
		__uint(type, maptype);            \
		__uint(max_entries, 1);           \
		__type(key, __u32);               \
		__type(value, valtype);           \
	} name SEC(".maps")

static __always_inline void *singleton(void *map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map, &zero);
}

/* Live configuration, written by the CLI. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, config, struct so_config);

/* Protected ports, one bit each; and those whose servers speak first. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, ports, struct so_ports);
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, speakfirst, struct so_ports);

/* Of those, the ports whose listener is MPTCP: SYNs to the kernel. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, kports, struct so_ports);

/* The cookie secret: the key rings (include/shakeoff.h). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, secret, struct so_secret);

/* One counter per reason (enum so_counter), per CPU. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, stats, struct so_stats);

/* Connections shakeoff created; the CLI sets the size (--conn-max). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SO_CONN_MAX_DEFAULT);
	__type(key, struct so_flow_key);
	__type(value, struct so_conn);
} conns SEC(".maps");

/* Housekeeping (include/shakeoff.h): the idle wheel, the time_wait queue
 * (sized at attach; the mask with it). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_WHEEL_SLOTS);
	__type(key, __u32);
	__type(value, struct so_wheel_slot);
} wheel SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_TWQ_MIN);
	__type(key, __u32);
	__type(value, struct so_twq_slot);
} twq SEC(".maps");

const volatile __u32 twq_mask = SO_TWQ_MIN - 1;

/* The server's TIME-WAIT sockets that no conns entry stands for. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SO_TW_MAX);
	__type(key, struct so_flow_key);
	__type(value, struct so_tw);
} timewait SEC(".maps");

/* Which 4-tuples may be in TIME-WAIT, counted by hash (struct so_twfilter). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, twfilter, struct so_twfilter);

/* The SYN-ACK budget's state, per CPU (--synack-rate). */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, budget, struct so_budget);

/* The budget of signed SYNs handed to the kernel, per CPU (--signed-rate). */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, signed_budget, struct so_budget);

/* The SYN options of clients without timestamps, and the write budget of
 * that map, per CPU (struct so_synopt, bpf/synopt.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_SYNOPT_MAX);
	__type(key, __u32);
	__type(value, struct so_synopt);
} synopts SEC(".maps");
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, synoptbudget, struct so_budget);

/* Allow and deny lists by source prefix. */
#define LPM_MAP(name, keytype)                                   \
	struct {                                                 \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);             \
		__uint(max_entries, SO_LIST_MAX);                \
		__uint(map_flags, BPF_F_NO_PREALLOC);            \
		__type(key, keytype);                            \
		__type(value, struct so_lpm_val);                \
	} name SEC(".maps")

LPM_MAP(allow4, struct so_lpm4);
LPM_MAP(allow6, struct so_lpm6);
LPM_MAP(deny4, struct so_lpm4);
LPM_MAP(deny6, struct so_lpm6);

/* --arm auto: the SYN rate per CPU, and the decision all CPUs share. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, armstate, struct so_arm_state);
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, armed, struct so_armed);

/* The cookies' clock: TAI's offset from the coarse clock, per CPU. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, clock, struct so_clock);

/* Busiest sources of SYNs and invalid ACKs, while shakeoff top runs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SO_SOURCES_MAX);
	__type(key, struct so_src_key);
	__type(value, struct so_src_val);
} sources SEC(".maps");

/* When a SYN to a protected port was last handed to the kernel, which may
 * have answered it with a cookie of its own (kernel_cookie_ok). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, handover, struct so_handover);

/* The connection table's sweeper timer. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, sweeper, struct so_sweeper);

/* shakeoff events (events.h): connection events and drop samples, their
 * settings and the samples' budget per CPU. The CLI sizes "events"
 * (attach --events-buffer). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SO_EVENTS_RING_DEFAULT);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SO_DROPS_RING_BYTES);
} drops SEC(".maps");

SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, evconf, struct so_evconf);
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, dropbudget, struct so_budget);

/* The connection table's gauges. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, gauges, struct so_gauges);

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

/* --synack-rate and the drop samples: GCRA (ITU-T I.371) per CPU, one
 * event per interval, bursts of one second's worth. */
static __always_inline bool gcra_ok(struct so_budget *b, __u64 interval)
{
	__u64 now = bpf_ktime_get_ns(), tolerance;

	if (b->tat < now)
		b->tat = now;
	/* a burst of one second's budget: tolerance (burst - 1) * interval;
	 * with less than one a second per CPU, no burst at all */
	tolerance = interval < 1000000000ULL ? 1000000000ULL - interval : 0;
	if (b->tat - now > tolerance)
		return false;
	b->tat += interval;
	return true;
}

#include "events.h"
#include "track.h"
#include "policy.h"

static __always_inline bool port_in(void *map, __be16 port)
{
	__u32 p = bpf_ntohs(port);
	struct so_ports *pm = singleton(map);

	/* masked(): clang folds a plain & 1023 away after the swap (bound.h) */
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

/* Never answer a source that cannot have sent a SYN, or whose answer would
 * go to many hosts or back to ourselves (RFC 1122 3.2.1.3, RFC 4291 2.5.2,
 * 2.7): a reflection or amplification vector otherwise. */
static __always_inline bool source_ok(const struct pkt *p)
{
	if (p->tcp->source == 0 || (p->eth->h_source[0] & 1))
		return false;
	if (p->family == SO_AF_INET) {
		__u32 s = bpf_ntohl(p->ip4->saddr);
		__u8 top = s >> 24;

		return top != 0 && top != 127 && top < 224 && p->ip4->saddr != p->ip4->daddr;
	}
	const __u32 *s6 = p->ip6->saddr.in6_u.u6_addr32;
	const __u32 *d6 = p->ip6->daddr.in6_u.u6_addr32;

	if (p->ip6->saddr.in6_u.u6_addr8[0] == 0xff) /* multicast */
		return false;
	if (s6[0] == 0 && s6[1] == 0 &&
	    (s6[2] == bpf_htonl(0xffff) || (s6[2] == 0 && (s6[3] == 0 || s6[3] == bpf_htonl(1)))))
		return false; /* ::, ::1, v4-mapped */
	return s6[0] != d6[0] || s6[1] != d6[1] || s6[2] != d6[2] || s6[3] != d6[3];
}

/* --synack-rate: GCRA per CPU (gcra_ok), bursts of one second's budget. */
static __always_inline bool budget_ok(const struct so_config *cfg)
{
	__u64 interval = cfg->synack_interval_ns;
	struct so_budget *b;

	if (!interval)
		return true;
	b = singleton(&budget);
	return b && gcra_ok(b, interval);
}


static __always_inline bool ip_csum_ok(struct xdp_md *ctx, const struct pkt *p)
{
	__u8 buf[60] = {};
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

static const volatile __u16 mss4_table[8] = SO_MSS4_TABLE;
static const volatile __u16 mss6_table[8] = SO_MSS6_TABLE;

/* Index of the largest table MSS not above the client's; a missing MSS option
 * means 536 (IPv4) or 1220 (IPv6), RFC 9293 3.7.1 and RFC 8200 5. */
static __always_inline __u8 mss_index(__u8 family, __u16 client_mss)
{
	__u32 idx = 0;

	/* Branch-free (the table ascends): each branch here would multiply the
	 * verifier's states. (m - 1 - mss) >> 31 is 1 exactly when mss >= m. */
#pragma clang loop unroll(full)
	for (int i = 1; i < 8; i++) {
		__u32 m = family == SO_AF_INET ? mss4_table[i] : mss6_table[i];

		idx += (m - 1 - client_mss) >> 31;
	}
	return idx;
}

static __always_inline __u16 mss_of_index(__u8 family, __u8 idx)
{
	idx &= SO_MSS_IDX_MASK;
	return family == SO_AF_INET ? mss4_table[idx] : mss6_table[idx];
}

/*
 * An ECN-setup SYN (RFC 3168 6.1.1): ECE and CWR. As the kernel decides
 * (tcp_ecn_create_request), not one whose IP header is already ECN-capable
 * (RFC 3168 6.1.1: SYNs are Not-ECT), unless a reserved bit (AccECN's AE,
 * RFC 9768) says the sender knows better.
 */
static __always_inline bool ecn_setup_syn(const struct pkt *p)
{
	__u8 ect = p->family == SO_AF_INET ? p->ip4->tos & 3 : p->ip6->flow_lbl[0] >> 4 & 3;

	return p->tcp->ece && p->tcp->cwr && (ect == 0 || p->tcp->res1);
}

#include "synopt.h"

/* Which options the cookie carries: timestamps only if the client offered
 * them and the namespace allows them; window scale and SACK in the TSval
 * with them, else only if synopts keeps them (syn_answer); ECN needs
 * timestamps (its bit is in the TSval). ECN when the namespace's tcp_ecn is not 0,
 * as for the kernel's own SYN-ACKs; the kernel's cookie check ANDs ecn_ok
 * with the same sysctl or the route's `features ecn` (cookie_ecn_ok).
 * XXX: with tcp_ecn=0, a route's `features ecn` is not seen (XDP's FIB
 * lookup returns no route metrics): those clients get no ECN. */
static __always_inline void choose_options(const struct pkt *p, const struct tcp_opts *o,
					   const struct so_config *cfg, struct cookie_opts *co)
{
	co->mss_idx = mss_index(p->family, o->mss);
	co->ts = o->has_ts && (cfg->options & SO_OPT_TIMESTAMPS);
	co->sack = o->has_sack && (cfg->options & SO_OPT_SACK);
	co->wscale = o->has_ws && (cfg->options & SO_OPT_WSCALE) ? o->wscale : SO_WS_NONE;
	co->ecn = co->ts && (cfg->options & SO_OPT_ECN) && ecn_setup_syn(p);
}

/*
 * A SYN for a 4-tuple in time_wait belongs to the kernel: a client reusing
 * its port while the server holds the old connection in TIME-WAIT (RFC
 * 6191). Only the kernel can
 * retire the TIME-WAIT socket, which it does when it takes the SYN; a
 * cookie ACK would meet the TIME-WAIT socket and be reset. The entry's
 * connection is over then.
 *
 * Entries in other states do not matter here: a SYN for a live
 * connection's 4-tuple comes only from a client that lost its socket, and
 * gets a cookie like any other SYN. Under a flood of random 4-tuples the
 * lookup is a cache miss per SYN (11% of a SYN's path on one core, perf in
 * make bench), so the TIME-WAIT filter comes first (syn_of_time_wait).
 * If the server's socket is gone too (its RST never left, say), that
 * SYN's ACK meets the old entry: handle_segment() tells it from the
 * old connection's segments by its sequence numbers, and its cookie
 * replaces the entry (close "replaced"), with no lookup on the SYN path.
 */
static __always_inline bool syn_of_tracked(struct so_flow_key *k)
{
	struct so_conn *c = conn_lookup(k);

	if (!c || c->state != SO_ST_TIME_WAIT)
		return false;
	track_exit(k, SO_C_CLOSED_GRACEFUL, SO_CLOSER_NONE);
	return true;
}

/*
 * The same for a TIME-WAIT socket that no entry stands for (map
 * "timewait"): the connection closed before attach, the kernel made it,
 * its entry left the table early. A cookie SYN-ACK would lead the
 * client's ACKs to that socket, and the new connection would hang. The
 * note stays after a hit: the kernel may refuse the SYN (an old sequence
 * number), and then its retransmission must reach it too.
 */
static __always_inline bool syn_of_orphan(struct so_flow_key *k)
{
	struct so_tw *tw = bpf_map_lookup_elem(&timewait, k);

	return tw && (__s64)(tw->until_ns - bpf_ktime_get_ns()) > 0;
}

/*
 * Does this SYN's 4-tuple belong to a TIME-WAIT socket? While there is
 * none at all (the gauges are 0) a SYN reads three words for it; else the
 * filter's slot of its key, and only if that is not 0 the hash lookups.
 * XXX: an LRU eviction of an entry in time_wait is silent and not noted;
 * size --conn-max above the connections open and in time_wait at once.
 */
static __always_inline bool syn_of_time_wait(const struct pkt *p, const struct so_config *cfg)
{
	struct so_sweeper *s = singleton(&sweeper);
	struct so_flow_key k = {};
	struct so_twfilter *f;

	if (!s || (s->time_wait == 0 && s->tw_orphans == 0 && cfg->tw_cli_added == s->tw_cli_seen))
		return false;
	tw_cli_merge(s, cfg);
	flow_key(&k, p, false);
	f = singleton(&twfilter);
	if (f && f->count[so_twf_slot(&k) & (SO_TWF_SLOTS - 1)] == 0)
		return false;
	if (s->time_wait && syn_of_tracked(&k))
		return true;
	return s->tw_orphans && syn_of_orphan(&k);
}

/* A client's segment met the server's socket of its 4-tuple (no entry)
 * closing first, or closed: it is in TIME-WAIT, or will be once the
 * client's FIN is acknowledged (RFC 9293 3.6). */
static __always_inline void tw_note_socket(const struct pkt *p, int state)
{
	struct so_flow_key k = {};

	if (state != BPF_TCP_FIN_WAIT1 && state != BPF_TCP_FIN_WAIT2 &&
	    state != BPF_TCP_CLOSING && state != BPF_TCP_TIME_WAIT)
		return;
	flow_key(&k, p, false);
	tw_orphan_note(&k, bpf_ktime_get_ns() + SO_KERNEL_TW_NS, SO_TW_CLOSING);
	sweeper_arm();
}

/* Hand a SYN to the kernel, noting when for kernel_cookie_ok(): at most
 * once a second, as every CPU writes the same line. */
static __always_inline enum so_result hand_over(enum so_counter c)
{
	struct so_handover *h = singleton(&handover);
	__u64 now = bpf_ktime_get_ns();

	if (h && (__s64)(now - h->last_syn_ns) > 1000000000LL)
		h->last_syn_ns = now;
	return verdict(c, SO_PASS);
}

/*
 * A SYN signed with TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925): only the
 * kernel holds the keys to check it and to sign the SYN-ACK, so it goes
 * there (a SYN-ACK of ours, unsigned, would be dropped by the client).
 * Allowed sources have passed before this; the rest get --signed-rate, so
 * that a flood of SYNs with a fake signature costs the kernel at most that
 * (the kernel drops them after its full receive path and a key lookup, or
 * an MD5 over the segment for a source that has a key).
 */
static __always_inline enum so_result syn_signed(const struct so_config *cfg)
{
	struct so_budget *b = singleton(&signed_budget);

	if (!cfg->signed_interval_ns || !b || !gcra_ok(b, cfg->signed_interval_ns))
		return verdict(SO_C_DROP_SIGNED_RATE, SO_DROP);
	return hand_over(SO_C_PASSED_SIGNED);
}

/*
 * A server that speaks first (SMTP, MySQL, FTP: --speak-first) waits for
 * nothing from its client, so a lost third ACK leaves both waiting: only
 * the kernel's retransmitted SYN-ACK draws the ACK again, and a cookie
 * SYN-ACK from XDP is never retransmitted. While no flood is on (the SYN
 * rate of --arm auto's judgement below --threshold), such a port's SYNs go
 * to the kernel, which keeps a request socket and retransmits. Under a
 * flood they get cookies like any other, and a lost third ACK then hangs
 * the connection until the client gives up, as with the kernel's own
 * cookies.
 */
static __always_inline bool speaks_first(const struct pkt *p)
{
	return port_in(&speakfirst, p->tcp->dest);
}

/* Everything a SYN must pass before it costs a cookie, cheapest first.
 * w gets the TCP header copy the checksum and the options are read from,
 * and the options parsed. */
static __always_inline enum so_result syn_screen(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg,
						 struct tcpopt_walk *w)
{
	top_count(cfg, p, TOP_SYN);
	if (list_match(cfg, p, LIST_DENY))
		return verdict(SO_C_DROP_DENIED, SO_DROP);
	if (list_match(cfg, p, LIST_ALLOW))
		return hand_over(SO_C_PASSED_ALLOWED);
	/* The kfunc refuses MPTCP listeners; the kernel's own cookies serve
	 * them (RFC 8684 MP_CAPABLE), and kernel_cookie_ok() their ACKs. */
	if (cfg->kernel_ports && port_in(&kports, p->tcp->dest))
		return hand_over(SO_C_PASSED_MPTCP);
	if ((cfg->arm == SO_ARM_AUTO || cfg->speak_first) && !arm_auto_syn(cfg)) {
		if (cfg->arm == SO_ARM_AUTO)
			return hand_over(SO_C_PASSED_UNARMED);
		if (speaks_first(p))
			return hand_over(SO_C_PASSED_SPEAK_FIRST);
	}
	if (p->tcp->fin || p->tcp->rst)
		return verdict(SO_C_DROP_SYN_FLAGS, SO_DROP);
	if (!source_ok(p))
		return verdict(SO_C_DROP_BAD_SOURCE, SO_DROP);
	if (syn_of_time_wait(p, cfg))
		return hand_over(SO_C_PASSED_TIME_WAIT);
	if (p->tcp_len > SYN_MAX_LEN)
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (!ip_csum_ok(ctx, p))
		return verdict(SO_C_DROP_IP_CSUM, SO_DROP);
	if (tcpopt_load(ctx, p, w) || !tcp_csum_ok(ctx, p, w))
		return verdict(SO_C_DROP_TCP_CSUM, SO_DROP);
	tcpopt_parse(w);
	if (w->o.signed_by)
		return syn_signed(cfg);
	if (!budget_ok(cfg))
		return verdict(SO_C_DROP_RATE_LIMITED, SO_DROP);
	return SO_CONTINUE;
}

/* The MSS our SYN-ACKs advertise. */
static __always_inline __u16 synack_mss(const struct pkt *p, const struct so_config *cfg)
{
	__u16 mss = p->family == SO_AF_INET ? cfg->mss4 : cfg->mss6;

	return mss < 536 ? 536 : mss;
}

/* The SYN-ACK of sp in place of the SYN; --arm monitor only counts it. */
static __always_inline enum so_result synack_send(struct xdp_md *ctx, const struct pkt *p,
						  const struct so_config *cfg,
						  const struct synack_params *sp)
{
	union synack_buf buf;
	int err;

	if (cfg->arm == SO_ARM_MONITOR) /* would answer; to_xdp() passes it */
		return verdict(SO_C_SYNACK_SENT, SO_TX);

	if (p->family == SO_AF_INET)
		err = synack_build4(ctx, p, sp, &buf.v4);
	else
		err = synack_build6(ctx, p, sp, &buf.v6);
	if (err)
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	return verdict(SO_C_SYNACK_SENT, SO_TX);
}

/* Answer the SYN: cookie, then the SYN-ACK in place of the SYN. */
static __always_inline enum so_result syn_answer(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg,
						 const struct tcp_opts *o)
{
	struct cookie_opts co = {};
	struct cookie_flow f = {};
	struct synack_params sp = {};
	struct so_secret *sec = singleton(&secret);
	struct tai_now now;

	if (!sec)
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	choose_options(p, o, cfg, &co);
	cookie_flow_init(&f, p, bpf_ntohl(p->tcp->seq));
	clock_tai(singleton(&clock), &now);
	/* the ring in force's first key issues */
	sp.isn = cookie_make(&sec->ring[sec->gen & 1].key[0], &f, &co, &now, &sp.tsval);
	sp.tsecr = o->tsval;
	sp.ts = co.ts;
	sp.sack = co.sack;
	sp.ws = co.wscale != SO_WS_NONE;
	sp.ece = co.ecn;
	sp.wscale = cfg->wscale;
	sp.ttl = cfg->ttl;
	sp.mss = synack_mss(p, cfg);
	/* --arm monitor saves nothing: synack_send() only counts it */
	if (cfg->arm != SO_ARM_MONITOR && !co.ts && (co.sack || sp.ws) &&
	    !synopt_save(p, &co, sp.isn))
		sp.sack = sp.ws = 0; /* MSS only, as the kernel's own cookies */
	return synack_send(ctx, p, cfg, &sp);
}

static __always_inline void conn_insert(const struct pkt *p, const struct so_meta *m);
static __always_inline void conn_confirm(const struct pkt *p);

#include "kcookie.h"

/* kmode: kernel_mode(), a constant here: see xdp_syn(). */
static __always_inline enum so_result handle_syn(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg, const bool kmode)
{
	struct tcpopt_walk w = {};
	enum so_result r;

	count(SO_C_SYN_SEEN);
	if (kmode) /* before syn_screen() parses the options: see kc_seed_opts() */
		kc_seed_opts(&w.o);
	r = syn_screen(ctx, p, cfg, &w);
	if (r != SO_CONTINUE)
		return r;
	if (kmode)
		return kc_syn_answer(ctx, p, cfg, &w);
	return syn_answer(ctx, p, cfg, &w.o);
}

/* Hand the decoded cookie to tc_ingress in the frame's metadata. */
static __always_inline int pass_meta(struct xdp_md *ctx, const struct cookie_opts *co,
				     const struct tcp_opts *o, const struct so_config *cfg,
				     __u8 family, const struct tai_now *now)
{
	__s32 age = (__s32)(now->ms - (o->tsecr & SO_TS_TIME_MASK));
	struct so_meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return -1;
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return -1;
	__builtin_memset(m, 0, sizeof(*m));
	m->magic = SO_META_MAGIC;
	m->attrs.mss = mss_of_index(family, co->mss_idx);
	m->attrs.tstamp_ok = co->ts;
	m->attrs.rcv_tsval = o->tsval;
	m->attrs.rcv_tsecr = o->tsecr;
	m->attrs.sack_ok = co->sack;
	m->attrs.ecn_ok = co->ecn;
	/* XXX: rcv_wscale is today's --wscale; a `shakeoff set --wscale` between
	 * a SYN-ACK and its ACK gives that socket the new value (no cookie bit
	 * is left to carry ours). */
	if (co->wscale != SO_WS_NONE) {
		m->attrs.wscale_ok = 1;
		m->attrs.snd_wscale = co->wscale;
		m->attrs.rcv_wscale = cfg->wscale;
	}
	/* the open event's: TSval's time of issue (1.024 s steps); without
	 * timestamps only the 68.7 s period is known */
	m->cookie_age_ms = !co->ts ? SO_AGE_UNKNOWN : age > 0 ? age : 0;
	return 0;
}

/* An ACK without a table entry (or of a connection not yet confirmed):
 * does it return one of our cookies? */
static __always_inline enum so_result handle_ack(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg)
{
	struct tcpopt_walk w = {};
	struct cookie_opts co = {};
	struct cookie_flow f = {};
	struct tai_now now;
	struct so_secret *sec;
	int slot;

	sec = singleton(&secret);
	if (!sec)
		return SO_CONTINUE;
	if (tcpopt_load(ctx, p, &w))
		return SO_CONTINUE;
	tcpopt_parse(&w);
	cookie_flow_init(&f, p, bpf_ntohl(p->tcp->seq) - 1);
	clock_tai(singleton(&clock), &now);
	if (cookie_check(&sec->ring[sec->gen & 1], &f, bpf_ntohl(p->tcp->ack_seq) - 1, &w.o, &co,
			 &now, &slot) != COOKIE_VALID)
		return SO_CONTINUE;
	if (!co.ts)
		synopt_restore(p, bpf_ntohl(p->tcp->ack_seq) - 1, &co);
	if (slot > 0) /* a rotation, or a cookie of another host's ring */
		count(SO_C_ACK_COOKIE_OTHER_KEY);
	if (pass_meta(ctx, &co, &w.o, cfg, p->family, &now))
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	return verdict(SO_C_ACK_COOKIE_VALID, SO_PASS);
}

/* The kernel's own SYN cookies last two minutes (MAX_SYNCOOKIE_AGE). */
#define KERNEL_COOKIE_NS (130 * 1000000000ULL)

/* Does the ACK return one of the kernel's own cookies? Only a SYN shakeoff
 * handed to the kernel (an allowed source, --arm auto while idle, a
 * --speak-first port, a 4-tuple in time_wait) can have got one, when the listener's SYN queue was full or
 * tcp_syncookies is 2; so the check, a SipHash in the kernel, is made only
 * within a kernel cookie's lifetime of such a SYN, and forged ACK floods
 * do not pay for it otherwise. */
static __always_inline bool kernel_cookie_ok(const struct pkt *p)
{
	struct so_handover *h = singleton(&handover);

	if (!h || h->last_syn_ns == 0 ||
	    (__s64)(bpf_ktime_get_ns() - h->last_syn_ns) > (__s64)KERNEL_COOKIE_NS)
		return false;
	if (p->family == SO_AF_INET)
		return bpf_tcp_raw_check_syncookie_ipv4(p->ip4, p->tcp) == 0;
	return bpf_tcp_raw_check_syncookie_ipv6(p->ip6, p->tcp) == 0;
}

/* A segment of no connection in the table. A socket's (one that existed
 * before attach, one the kernel made, one whose entry left the table) goes
 * to the kernel without a cookie check, so established traffic never pays
 * for one; else it must return a cookie, ours or the kernel's. */
static __always_inline enum so_result handle_untracked(struct xdp_md *ctx, const struct pkt *p,
						       const struct so_config *cfg, bool is_ack,
						       const bool kmode)
{
	enum so_result r;
	int state = socket_state(ctx, p);

	if (state) {
		tw_note_socket(p, state);
		return verdict(SO_C_PASSED_SOCKET, SO_PASS);
	}
	if (is_ack) {
		r = kmode ? kc_ack(p) : handle_ack(ctx, p, cfg);
		if (r != SO_CONTINUE)
			return r;
	}
	/* Idle in auto mode, the kernel answered the SYNs: let it judge too. */
	if (!armed_now(cfg))
		return verdict(SO_C_PASSED_UNARMED, SO_PASS);
	if (!is_ack)
		return verdict(SO_C_DROP_NO_SOCKET, SO_DROP);
	if (!kmode && kernel_cookie_ok(p)) { /* kernel mode: kc_ack() said no */
		if (listening(SO_LISTEN_EVENTS)) {
			struct so_flow_key k = {};

			flow_key(&k, p, false);
			ev_open(&k, NULL);
		}
		return verdict(SO_C_PASSED_KERNEL_COOKIE, SO_PASS);
	}
	top_count(cfg, p, TOP_BAD_ACK);
	return verdict(SO_C_ACK_COOKIE_INVALID, SO_DROP);
}

/* The first fragment of a segment: its TCP header is whole, its payload is
 * not, and the kernel reassembles only after TC. So it is neither tracked
 * (a FIN's sequence number needs the whole segment) nor taken for a cookie
 * ACK; a fragment of a tracked or existing connection passes, any other
 * is dropped (a first fragment of a SYN never gets here). */
static __always_inline enum so_result handle_fragment(struct xdp_md *ctx, const struct pkt *p,
						      bool tracked)
{
	if (tracked)
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	if (socket_state(ctx, p))
		return verdict(SO_C_PASSED_SOCKET, SO_PASS);
	return verdict(SO_C_DROP_FRAGMENT, SO_DROP);
}

/*
 * A segment of an entry whose socket has not shown itself, past the third
 * ACK's sequence number, so that no cookie checks out for it. If the
 * kernel has made the socket since, the segment is the socket's. If not,
 * the kernel dropped the child (a full accept queue, ListenOverflows) and
 * would answer this segment with a reset (an ACK to a listener); nor can
 * it make the socket, which would then start past bytes the server never
 * got. Dropped: the client retransmits from its first unacknowledged
 * byte, the third ACK's sequence number, whose cookie makes the socket
 * once the server accepts again (test_servers' full accept queue).
 */
static __always_inline enum so_result unconfirmed_later(struct xdp_md *ctx, const struct pkt *p,
							struct so_conn *c)
{
	if (socket_state(ctx, p)) {
		c->flags &= ~SO_CF_UNCONFIRMED;
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	}
	return verdict(SO_C_DROP_UNCONFIRMED, SO_DROP);
}

/*
 * Any segment but a SYN, to a protected port. kmode: as for handle_syn().
 *
 * An ACK of a tracked 4-tuple outside the entry's sequence spaces
 * (conn_own_segment) is no segment of that entry's connection: the third
 * ACK of a new connection, whose client lost its socket and whose server's
 * socket is gone too (the RSTs never got through), or a forged or stray
 * segment. It takes the way of a segment with no entry: a socket of the
 * 4-tuple (the old connection alive after all) gets it; else a valid
 * cookie makes it the new connection's (kfunc mode: TC's conn_insert()
 * ends the old entry as "replaced" once the kfunc made the socket; kernel
 * mode's kc_ack() at once); else it is dropped as ack_cookie_invalid,
 * and the entry stays as it was. No way around the cookie check, and a
 * forged ACK costs what it costs for an untracked 4-tuple (README,
 * "Security model"). The same call site as for no entry, reached with c
 * NULL: each site of the cookie check is another walk of it for the
 * verifier and more stack in a stage near its 512 bytes, and with c kept
 * the verifier told the two ways in apart and walked it twice (+30% of the
 * program's instructions).
 */
static __always_inline enum so_result handle_segment(struct xdp_md *ctx, const struct pkt *p,
						     const struct so_config *cfg, const bool kmode)
{
	struct so_flow_key k = {};
	struct so_conn *c;
	bool is_ack = p->tcp->ack && !p->tcp->rst && !p->tcp->syn, confirmed;
	enum so_result r;

	if (list_match(cfg, p, LIST_DENY))
		return verdict(SO_C_DROP_DENIED, SO_DROP);
	flow_key(&k, p, false);
	c = conn_lookup(&k);
	if (p->fragment)
		return handle_fragment(ctx, p, c != NULL);
	if (c && is_ack && !(c->flags & SO_CF_UNCONFIRMED) && !conn_own_segment(c, p))
		c = NULL; /* not the entry's: as if there were none (above) */
	if (!c)
		return handle_untracked(ctx, p, cfg, is_ack, kmode);
	confirmed = !(c->flags & SO_CF_UNCONFIRMED);
	track_apply(&k, track_client(c, p, &k), SO_CLOSER_CLIENT);
	if (confirmed || !is_ack)
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	/* Not confirmed yet (the accept queue may have been full): a cookie
	 * ACK goes through TC again; kernel mode looks for the socket here. */
	if (kmode)
		return kc_unconfirmed(ctx, p);
	r = handle_ack(ctx, p, cfg);
	return r != SO_CONTINUE ? r : unconfirmed_later(ctx, p, c);
}

/*
 * The stages proper run as global functions: the verifier checks each once
 * with the packet offsets as unknown scalars, instead of once per path
 * through the parser (which cost it 400k instructions and seconds per load).
 * Each asks for the completion mode once, and hands it on as a constant:
 * the compiler makes a copy of the stage per mode, and the verifier walks
 * only the loaded mode's (the other is dead code to it), so kernel mode
 * costs kfunc mode three instructions per stage.
 */
__noinline int xdp_syn(struct xdp_md *ctx, struct pkt_off *o)
{
	struct pkt p = {};
	struct so_config *cfg = singleton(&config);

	if (!o || !cfg)
		return SO_PASS;
	if (pkt_from_off(&p, (void *)(long)ctx->data, (void *)(long)ctx->data_end, o))
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (kernel_mode())
		return handle_syn(ctx, &p, cfg, true);
	return handle_syn(ctx, &p, cfg, false);
}

__noinline int xdp_segment(struct xdp_md *ctx, struct pkt_off *o)
{
	struct pkt p = {};
	struct so_config *cfg = singleton(&config);

	if (!o || !cfg)
		return SO_PASS;
	if (pkt_from_off(&p, (void *)(long)ctx->data, (void *)(long)ctx->data_end, o))
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (kernel_mode())
		return handle_segment(ctx, &p, cfg, true);
	return handle_segment(ctx, &p, cfg, false);
}

static __always_inline int to_xdp(struct xdp_md *ctx, enum so_result r, const struct so_config *cfg)
{
	if (cfg->arm == SO_ARM_MONITOR && r != SO_PASS) {
		count(SO_C_PASSED_MONITOR);
		return XDP_PASS;
	}
	/* the drop path's one check while no shakeoff events --drops runs */
	if ((r & SO_RESULT_MASK) == SO_DROP && (cfg->listen & SO_LISTEN_DROPS))
		drop_sample(ctx, (__u32)r >> SO_REASON_SHIFT);
	switch (r & SO_RESULT_MASK) {
	case SO_TX:
		if (cfg->tx_mode == SO_TX_REDIRECT)
			return bpf_redirect(ctx->ingress_ifindex, 0);
		return XDP_TX;
	case SO_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

static __always_inline int xdp_main(struct xdp_md *ctx)
{
	struct pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.frame_len = bpf_xdp_get_buff_len(ctx),
	};
	struct so_config *cfg = singleton(&config);
	struct pkt_off off = {};
	enum so_result r;

	if (!cfg)
		return XDP_PASS;

	/* parse */
	switch (parse_packet(&p)) {
	case PARSE_OK:
		break;
	case PARSE_NOT_TCP:
		return to_xdp(ctx, verdict(SO_C_PASSED, SO_PASS), cfg);
	case PARSE_FRAGMENT:
		/* never a SYN we answer; other segments' fragments: see
		 * handle_fragment() */
		if (!port_protected(p.tcp->dest))
			return to_xdp(ctx, verdict(SO_C_PASSED, SO_PASS), cfg);
		if (p.tcp->syn)
			return to_xdp(ctx, verdict(SO_C_DROP_FRAGMENT, SO_DROP), cfg);
		p.fragment = 1;
		pkt_to_off(&p, &off);
		return to_xdp(ctx, xdp_segment(ctx, &off), cfg);
	case PARSE_TOO_DEEP:
		return to_xdp(ctx, verdict(SO_C_DROP_TOO_DEEP, SO_DROP), cfg);
	default:
		return to_xdp(ctx, verdict(SO_C_DROP_MALFORMED, SO_DROP), cfg);
	}

	/* classify and act */
	if (!port_protected(p.tcp->dest))
		return to_xdp(ctx, verdict(SO_C_PASSED, SO_PASS), cfg);
	pkt_to_off(&p, &off);
	if (p.tcp->syn && !p.tcp->ack)
		r = xdp_syn(ctx, &off);
	else
		r = xdp_segment(ctx, &off);
	return to_xdp(ctx, r, cfg);
}

/* xdp.frags: multi-buffer frames are welcome (only headers are read from
 * the linear part). Without it, veth linearises every frame for XDP and
 * drops the peer's GSO: bulk uploads ran at 0.59 of the speed without
 * shakeoff on a veth pair; with it, within the noise (bench/bulk.sh). */
SEC("xdp.frags")
int xdp_shakeoff(struct xdp_md *ctx)
{
	return xdp_main(ctx);
}

/* The same for generic (skb-mode) XDP, which loses the metadata of a
 * multi-buffer program's frame, so that cookie ACKs reached TC without
 * their options. Loaded instead of xdp_shakeoff by attach --mode skb. */
SEC("?xdp")
int xdp_shakeoff_skb(struct xdp_md *ctx)
{
	return xdp_main(ctx);
}

/* --- TC ---------------------------------------------------------------- */

static __always_inline void count_kfunc_error(int err)
{
	count(SO_C_CONN_CREATE_FAILED);
	if (err == -22) /* EINVAL */
		count(SO_C_CONN_ERR_EINVAL);
	else if (err == -101) /* ENETUNREACH */
		count(SO_C_CONN_ERR_ENETUNREACH);
	else if (err == -12) /* ENOMEM */
		count(SO_C_CONN_ERR_ENOMEM);
	else
		count(SO_C_CONN_ERR_OTHER);
}

/* A request socket was assigned: a new connection, or another try at one
 * whose first socket the kernel has not completed: its accept queue was
 * full, so the client sent its ACK or data again; or the third ACK and the
 * first data segment came in on two receive queues and met TC on two CPUs
 * at once, microseconds apart (seen on a two-queue veth: ~0.5% of a
 * churn's connections). The kernel resolves the second: the child it
 * builds finds the first in the established hash and hands the segment to
 * it (tcp_v4_syn_recv_sock, "found_dup_sk", the syncookie case). */
static __always_inline void conn_insert(const struct pkt *p, const struct so_meta *m)
{
	struct so_flow_key k = {};
	struct so_conn c = {}, *old;

	flow_key(&k, p, false);
	old = conn_lookup(&k);
	if (old && (old->flags & SO_CF_UNCONFIRMED)) {
		conn_touch(old, bpf_ktime_get_ns());
		count(SO_C_CONN_RETRIED);
		return;
	}
	/* The kernel gave this 4-tuple a new socket, so an old entry's
	 * connection is gone. */
	if (old)
		track_exit(&k, SO_C_CONN_REPLACED, SO_CLOSER_NONE);
	c.state = SO_ST_ESTABLISHED;
	c.flags = SO_CF_UNCONFIRMED;
	c.t_established = c.t_last = bpf_ktime_get_ns();
	c.tsec = so_wheel_unit(c.t_last); /* the wheel's unit: see conn_counted_in() */
	c.pkts_in = 1;
	c.bytes_in = p->tcp_len - p->doff_len;
	conn_seq_start(&c, p);
	/* NOEXIST: the other CPU of the race above may have inserted it since
	 * the lookup. Any other failure leaves the connection untracked; the
	 * CLI then counts it as evicted. */
	if (bpf_map_update_elem(&conns, &k, &c, BPF_NOEXIST) == -17 /* EEXIST */) {
		count(SO_C_CONN_RETRIED);
		return;
	}
	conn_counted_in(&c);
	count(SO_C_CONN_CREATED);
	ev_open(&k, m);
	sweeper_arm();
}

static __always_inline void conn_confirm(const struct pkt *p)
{
	struct so_flow_key k = {};
	struct so_conn *c;

	flow_key(&k, p, false);
	c = conn_lookup(&k);
	if (c)
		c->flags &= ~SO_CF_UNCONFIRMED;
}

/* Is the listener MPTCP's? Only an MPTCP kernel has the field. */
static __always_inline bool listener_is_mptcp(struct tcp_sock *tp)
{
	struct tcp_sock___so *t = (void *)tp;

	if (!bpf_core_field_exists(t->is_mptcp))
		return false;
	return t->is_mptcp;
}

/*
 * The kfunc refused an MPTCP listener: one that attach and set did not see
 * (it started since, or turned MPTCP). Its port joins kports, so the next
 * SYNs go to the kernel without any userspace process running; this
 * client is reset. The next set re-reads the listeners and writes both.
 */
static __always_inline void mptcp_learn(__be16 port)
{
	struct so_ports *kp = singleton(&kports);
	struct so_config *cfg = singleton(&config);
	__u32 p = bpf_ntohs(port), i = masked(p >> 6, 1023); /* bound.h */
	__u64 bit = 1ULL << (p & 63);

	/* already known: another ACK of the same handshake, or of one that
	 * was on its way (ACKs never look at kports) */
	if (!kp || !cfg || (kp->bits[i] & bit))
		return;
	__sync_fetch_and_or(&kp->bits[i], bit);
	__sync_fetch_and_add(&cfg->kernel_ports, 1);
	count(SO_C_MPTCP_LEARNED);
}

/* Give the listener a request socket built from the cookie's options. */
static __always_inline void assign_reqsk(struct __sk_buff *skb, const struct pkt *p,
					 struct so_meta *m)
{
	struct bpf_sock_tuple t = {};
	__u32 sz = sock_tuple(&t, p);
	struct bpf_sock *skc = bpf_skc_lookup_tcp(skb, &t, sz, BPF_F_CURRENT_NETNS, 0);
	struct tcp_sock *tp;
	bool mptcp;
	int err;

	if (!skc) {
		count(SO_C_CONN_NO_LISTENER);
		return;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* A retransmitted third ACK, or the client's first data before
		 * the server said anything: the socket exists, so the entry is
		 * confirmed and later segments skip the cookie check. */
		bpf_sk_release(skc);
		count(SO_C_CONN_EXISTS);
		conn_confirm(p);
		return;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		count(SO_C_CONN_NO_LISTENER);
		return;
	}
	err = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &m->attrs, sizeof(m->attrs));
	mptcp = err == -22 /* EINVAL */ && listener_is_mptcp(tp);
	bpf_sk_release(skc);
	if (err) {
		/* TC_ACT_OK all the same: the kernel then resets the client at
		 * once instead of letting it retransmit into a void. */
		count_kfunc_error(err);
		if (mptcp)
			mptcp_learn(p->tcp->dest);
		return;
	}
	conn_insert(p, m);
}

/* Kfunc mode only: "?tc" keeps it out of the load unless the CLI asks,
 * as on a kernel without the kfunc its call cannot be resolved. */
SEC("?tc")
int tc_ingress(struct __sk_buff *skb)
{
	struct so_meta *m = (void *)(long)skb->data_meta;
	struct pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.frame_len = skb->len,
	};
	struct so_meta meta;

	if ((void *)(m + 1) > p.data || m->magic != SO_META_MAGIC)
		return TC_ACT_OK;
	__builtin_memcpy(&meta, m, sizeof(meta));
	if (parse_packet(&p) != PARSE_OK)
		return TC_ACT_OK;
	assign_reqsk(skb, &p, &meta);
	return TC_ACT_OK;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.frame_len = skb->len,
	};
	struct so_flow_key k = {};
	struct so_conn *c;

	if (parse_packet(&p) != PARSE_OK || !port_protected(p.tcp->source))
		return TC_ACT_OK;
	flow_key(&k, &p, true);
	c = conn_lookup(&k);
	if (c)
		track_apply(&k, track_server(c, &p, &k), SO_CLOSER_SERVER);
	return TC_ACT_OK;
}
