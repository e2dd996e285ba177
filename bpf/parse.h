/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - Ethernet (with up to two VLAN tags), IPv4, IPv6 (with extension
 * headers) and TCP header parsing, shared by the XDP and the TC programs.
 *
 * The parser fills a struct pkt with pointers into the packet and the facts
 * that the later stages classify on. Every access is bounds-checked against
 * data_end; anything that does not fit is "malformed". Headers nested deeper
 * than we parse are reported, not passed: a SYN hidden behind them would
 * otherwise bypass the protection. Byte order lives in the types: header
 * fields stay __be*, host-order copies say so in their name.
 */
#pragma once

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_endian.h>
#include "shakeoff.h"
#include "bound.h"

/* IPv4 flags and fragment offset (RFC 791); the kernel keeps these out of UAPI. */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define VLAN_MAX_DEPTH 2  /* 802.1Q, and 802.1ad + 802.1Q (QinQ) */
#define IPV6_EXT_MAX 6    /* extension headers walked before TCP */

enum parse_result {
	PARSE_OK = 0,        /* a TCP segment, headers complete */
	PARSE_NOT_TCP,       /* not IPv4/IPv6 TCP, or a non-first fragment: not ours */
	PARSE_MALFORMED,     /* truncated or inconsistent headers */
	PARSE_FRAGMENT,      /* first fragment of a TCP segment (TCP header parsed) */
	PARSE_TOO_DEEP,      /* more VLAN tags or IPv6 extension headers than we walk */
};

struct pkt {
	void *data;
	void *data_end;      /* of the linear part, where every header must be */
	__u32 frame_len;     /* of the whole frame, fragments of a multi-buffer one too */
	struct ethhdr *eth;
	struct iphdr *ip4;   /* exactly one of ip4/ip6 is set, as family says */
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	__u32 l3_off;        /* offsets from data */
	__u32 l4_off;
	__u32 tcp_len;       /* TCP header + payload, from the IP length fields */
	__u32 doff_len;      /* TCP header with options, bytes */
	__u8 family;         /* enum so_family */
	__u8 vlans;          /* VLAN tags in the frame */
	__u8 fragment;       /* a first fragment: the TCP header is whole, the payload not */
	__u8 pad;
};

/* The scalar part of a struct pkt: what crosses into a global function,
 * where the pointers are derived again (see pkt_from_off). */
struct pkt_off {
	__u32 l3_off;
	__u32 l4_off;
	__u32 tcp_len;
	__u32 doff_len;
	__u32 frame_len; /* bpf_xdp_get_buff_len() is a helper call: once */
	__u8 family;
	__u8 vlans;
	__u8 fragment;
	__u8 pad;
};

#define PKT_L4_OFF_MAX 4096 /* no frame shakeoff sees is larger than a page */

/* An 802.1Q/802.1ad tag as it follows the MAC addresses (not in UAPI). */
struct vlan_tag {
	__be16 tci;
	__be16 proto; /* the next EtherType */
};

/* An IPv6 extension header's first two bytes (RFC 8200 4.2-4.6); the
 * fragment header (4.5) has the same start and is 8 bytes long. */
struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-octet units, not counting the first 8 */
	__be16 frag_off; /* fragment header only: offset << 3 | M flag */
};

static __always_inline bool eth_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Skip the VLAN tags; *proto becomes the EtherType inside them. */
static __always_inline enum parse_result parse_vlans(struct pkt *p, __be16 *proto)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_tag *t = p->data + p->l3_off;

		if (!eth_is_vlan(*proto))
			return PARSE_OK;
		if ((void *)(t + 1) > p->data_end)
			return PARSE_MALFORMED;
		*proto = t->proto;
		p->l3_off += sizeof(*t);
		p->vlans++;
	}
	return eth_is_vlan(*proto) ? PARSE_TOO_DEEP : PARSE_OK;
}

/* Kernel floor note: fragments. An IPv4 first fragment (MF set, offset 0) of
 * TCP would reassemble into a segment we never saw, so it is reported; later
 * fragments carry no TCP header and are not ours. */
static __always_inline enum parse_result parse_ipv4(struct pkt *p, void *l3)
{
	struct iphdr *ip = l3;
	__u32 ihl_len, tot_len;

	if ((void *)(ip + 1) > p->data_end)
		return PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return PARSE_MALFORMED;
	if (ip->protocol != IPPROTO_TCP)
		return PARSE_NOT_TCP;
	if (ip->frag_off & bpf_htons(IP_OFFSET)) /* offset != 0 */
		return PARSE_NOT_TCP;
	ihl_len = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < ihl_len + sizeof(struct tcphdr) || p->l3_off + tot_len > p->frame_len)
		return PARSE_MALFORMED;
	p->ip4 = ip;
	p->family = SO_AF_INET;
	p->l4_off = p->l3_off + ihl_len;
	p->tcp_len = tot_len - ihl_len;
	return ip->frag_off & bpf_htons(IP_MF) ? PARSE_FRAGMENT : PARSE_OK;
}

/* Walk hop-by-hop, routing, destination options and fragment headers up to
 * TCP. A non-first fragment carries no TCP header: not ours. */
static __always_inline enum parse_result parse_ipv6_ext(struct pkt *p, __u8 nexthdr,
							 __u32 *off)
{
	enum parse_result r = PARSE_OK;

#pragma clang loop unroll(full)
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		struct ipv6_ext *h = p->data + *off;

		if (nexthdr == IPPROTO_TCP)
			return r;
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_FRAGMENT)
			return PARSE_NOT_TCP;
		if ((void *)(h + 1) > p->data_end)
			return PARSE_MALFORMED;
		if (nexthdr == IPPROTO_FRAGMENT) {
			if (h->frag_off & bpf_htons(0xfff8))
				return PARSE_NOT_TCP;
			r = PARSE_FRAGMENT;
			*off += 8;
		} else {
			*off += (h->hdrlen + 1) * 8;
		}
		nexthdr = h->nexthdr;
	}
	return nexthdr == IPPROTO_TCP ? r : PARSE_TOO_DEEP;
}

static __always_inline enum parse_result parse_ipv6(struct pkt *p, void *l3)
{
	struct ipv6hdr *ip6 = l3;
	__u32 off = p->l3_off + sizeof(*ip6), plen;
	enum parse_result r;

	if ((void *)(ip6 + 1) > p->data_end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	r = parse_ipv6_ext(p, ip6->nexthdr, &off);
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return r;
	plen = bpf_ntohs(ip6->payload_len);
	if (off > 0xffff || off - p->l3_off - sizeof(*ip6) + sizeof(struct tcphdr) > plen ||
	    p->l3_off + sizeof(*ip6) + plen > p->frame_len)
		return PARSE_MALFORMED;
	p->ip6 = ip6;
	p->family = SO_AF_INET6;
	p->tcp_len = plen - (off - p->l3_off - sizeof(*ip6));
	p->l4_off = off;
	return r;
}

static __always_inline enum parse_result parse_tcp(struct pkt *p)
{
	struct tcphdr *tcp = p->data + p->l4_off;
	__u32 doff_len;

	if ((void *)(tcp + 1) > p->data_end)
		return PARSE_MALFORMED;
	doff_len = tcp->doff * 4;
	if (doff_len < sizeof(*tcp) || doff_len > p->tcp_len)
		return PARSE_MALFORMED;
	p->tcp = tcp;
	p->doff_len = doff_len;
	return PARSE_OK;
}

/**
 * parse_packet - find the TCP segment in an Ethernet frame
 * @p: data, data_end and frame_len set; everything else is filled in
 *
 * Headers must lie in the linear part; the payload may run on into the
 * fragments of a multi-buffer frame (the program is xdp.frags, so that veth
 * and NICs keep large frames and GRO for established traffic).
 */
static __always_inline enum parse_result parse_packet(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	enum parse_result r;
	__be16 proto;

	if ((void *)(eth + 1) > p->data_end)
		return PARSE_MALFORMED;
	p->eth = eth;
	p->l3_off = sizeof(*eth);
	proto = eth->h_proto;
	r = parse_vlans(p, &proto);
	if (r != PARSE_OK)
		return r;
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(p, p->data + p->l3_off);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(p, p->data + p->l3_off);
	else
		return PARSE_NOT_TCP;
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return r;
	if (parse_tcp(p) != PARSE_OK)
		return PARSE_MALFORMED;
	return r; /* a first fragment has its TCP header parsed too */
}

static __always_inline void pkt_to_off(const struct pkt *p, struct pkt_off *o)
{
	o->l3_off = p->l3_off;
	o->l4_off = p->l4_off;
	o->tcp_len = p->tcp_len;
	o->doff_len = p->doff_len;
	o->frame_len = p->frame_len;
	o->family = p->family;
	o->vlans = p->vlans;
	o->fragment = p->fragment;
}

/**
 * pkt_from_off - derive a struct pkt again from its offsets
 *
 * Inside a global function the verifier knows the offsets only as bounded
 * scalars, so every pointer is checked against data_end once more. This is
 * what lets the XDP program's stages be verified once, not once per parse
 * path (VLAN depth x IPv4 options x IPv6 extension headers).
 */
static __always_inline int pkt_from_off(struct pkt *p, void *data, void *data_end,
					const struct pkt_off *o)
{
	__u32 l3 = o->l3_off, l4 = o->l4_off;

	p->data = data;
	p->data_end = data_end;
	p->frame_len = o->frame_len;
	p->eth = data;
	if ((void *)(p->eth + 1) > data_end || l3 > PKT_L4_OFF_MAX || l4 > PKT_L4_OFF_MAX)
		return -1;
	/* Linux 6.1: clang tested a copy of l3 and added the unbounded spill
	 * to data, a pointer no range check could then cover ("R1 offset is
	 * outside of the packet"). The no-op masks keep the bound in the
	 * registers that are added (bound.h). */
	l3 = masked(l3, 2 * PKT_L4_OFF_MAX - 1);
	l4 = masked(l4, 2 * PKT_L4_OFF_MAX - 1);
	/* Both pointers are set and both are valid: an IPv4 TCP segment has
	 * 40 bytes from its IP header on too. The verifier cannot tie a later
	 * branch on family to which pointer was set (clang spills family as
	 * loaded), so there is nothing for it to tie. */
	p->ip4 = data + l3;
	p->ip6 = data + l3;
	if ((void *)(p->ip6 + 1) > data_end)
		return -1;
	p->family = o->family;
	p->tcp = data + l4;
	if ((void *)(p->tcp + 1) > data_end)
		return -1;
	p->l3_off = l3;
	p->l4_off = l4;
	p->tcp_len = o->tcp_len;
	p->doff_len = o->doff_len;
	p->vlans = o->vlans;
	p->fragment = o->fragment;
	return 0;
}
