// SPDX-License-Identifier: GPL-2.0
/*
 * bench.bpf.c - the benchmark's reference XDP programs (make bench).
 *
 *   xdp_count    client side: counts the SYN-ACKs sent to flood sources and
 *                drops them (and any other TCP to those addresses), so the
 *                client's stack never answers them. Everything else, the
 *                real client's traffic included, passes.
 *   xdp_drop     server side: counts the flood and drops it. The ceiling of
 *                the generator: no responder can answer more SYNs than this.
 *   xdp_reflect  server side: turns a flood SYN into a SYN-ACK with a fixed
 *                ISN, swapping addresses and ports and updating the TCP
 *                checksum for the three words that change; no option work,
 *                no cookie. The speed of light for any XDP responder.
 *   xdp_empty    returns XDP_PASS: the fixed cost of one BPF_PROG_RUN.
 *   xdp_pass_frags  returns XDP_PASS, multi-buffer frames allowed: what any
 *                XDP program costs a veth (bulk.sh's floor).
 *
 * IPv4 without IP options only: that is all the generator sends.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void bump(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		*v += 1;
}

static __always_inline bool in_flood(__be32 addr)
{
	return (bpf_ntohl(addr) & BENCH_FLOOD_MASK) == BENCH_FLOOD_NET;
}

/* The TCP header of an IPv4 frame without IP options, or NULL. */
static __always_inline struct tcphdr *tcp4(struct xdp_md *ctx, struct ethhdr **ethp,
					   struct iphdr **ipp)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return NULL;
	*ethp = eth;
	*ipp = ip;
	return tcp;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *tcp = tcp4(ctx, &eth, &ip);

	if (!tcp || !in_flood(ip->daddr))
		return XDP_PASS;
	bump(tcp->syn && tcp->ack ? BC_HIT : BC_OTHER);
	return XDP_DROP;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *tcp = tcp4(ctx, &eth, &ip);

	if (!tcp || !in_flood(ip->saddr))
		return XDP_PASS;
	bump(BC_HIT);
	return XDP_DROP;
}

/* RFC 1624 eqn. 3 for one 16-bit word: sum is the running complement sum. */
static __always_inline __u32 csum_replace16(__u32 sum, __u16 old, __u16 new)
{
	return sum + (__u16)~old + new;
}

static __always_inline __u32 csum_replace32(__u32 sum, __u32 old, __u32 new)
{
	sum = csum_replace16(sum, old >> 16, new >> 16);
	return csum_replace16(sum, old & 0xffff, new & 0xffff);
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *tcp = tcp4(ctx, &eth, &ip);
	unsigned char mac[ETH_ALEN];
	__be32 addr, seq, ack;
	__u16 old_flags, new_flags;
	__be16 port;
	__u32 sum;

	if (!tcp || !tcp->syn || tcp->ack || tcp->rst || !in_flood(ip->saddr))
		return XDP_PASS;

	/* Swapping addresses and ports leaves both checksums as they are. */
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	port = tcp->source;
	tcp->source = tcp->dest;
	tcp->dest = port;

	/* The flags word (data offset and flags), seq and ack_seq change. */
	old_flags = ((__u16 *)tcp)[6];
	tcp->ack = 1;
	new_flags = ((__u16 *)tcp)[6];
	seq = bpf_htonl(BENCH_REFLECT_ISN);
	ack = bpf_htonl(bpf_ntohl(tcp->seq) + 1);
	sum = (__u16)~tcp->check;
	sum = csum_replace16(sum, old_flags, new_flags);
	sum = csum_replace32(sum, tcp->seq, seq);
	sum = csum_replace32(sum, tcp->ack_seq, ack);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->check = (__u16)~sum;
	tcp->seq = seq;
	tcp->ack_seq = ack;

	bump(BC_HIT);
	return XDP_TX;
}

SEC("xdp")
int xdp_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* bulk.sh's floor: any native XDP program on a veth makes it copy each
 * frame into page-pool memory before the program runs; this one does
 * nothing else, with multi-buffer frames allowed as shakeoff's are. */
SEC("xdp.frags")
int xdp_pass_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}
