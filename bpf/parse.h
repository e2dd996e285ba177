/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - Ethernet, IPv4, IPv6 and TCP header parsing.
 *
 * The parser fills a struct pkt with pointers into the packet and the facts
 * that the later stages classify on. Every access is bounds-checked against
 * data_end; anything that does not fit is "malformed". Byte order lives in
 * the types: header fields stay __be*, host-order copies say so in their name.
 */
#pragma once

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

/* IPv4 flags and fragment offset (RFC 791); the kernel keeps these out of UAPI. */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

enum parse_result {
	PARSE_OK = 0,        /* a TCP segment, headers complete */
	PARSE_NOT_TCP,       /* not IPv4/IPv6 TCP, or a non-first fragment: not ours */
	PARSE_MALFORMED,     /* truncated or inconsistent headers */
	PARSE_FRAGMENT,      /* first fragment of a TCP segment (TCP header parsed) */
};

struct pkt {
	void *data;
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip4;   /* exactly one of ip4/ip6 is set, as family says */
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	__u32 l3_off;        /* offsets from data */
	__u32 l4_off;
	__u32 tcp_len;       /* TCP header + payload, from the IP length fields */
	__u32 doff_len;      /* TCP header with options, bytes */
	__u8 family;         /* enum so_family */
	__u8 pad[3];
};

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
	if (tot_len < ihl_len + sizeof(struct tcphdr) ||
	    l3 + tot_len > p->data_end)
		return PARSE_MALFORMED;
	p->ip4 = ip;
	p->family = SO_AF_INET;
	p->l4_off = p->l3_off + ihl_len;
	p->tcp_len = tot_len - ihl_len;
	return ip->frag_off & bpf_htons(IP_MF) ? PARSE_FRAGMENT : PARSE_OK;
}

/* XXX: IPv6 extension headers are not walked yet; a SYN behind one passes to
 * the kernel unprotected. */
static __always_inline enum parse_result parse_ipv6(struct pkt *p, void *l3)
{
	struct ipv6hdr *ip6 = l3;
	__u32 plen;

	if ((void *)(ip6 + 1) > p->data_end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	if (ip6->nexthdr != IPPROTO_TCP)
		return PARSE_NOT_TCP;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen < sizeof(struct tcphdr) || (void *)(ip6 + 1) + plen > p->data_end)
		return PARSE_MALFORMED;
	p->ip6 = ip6;
	p->family = SO_AF_INET6;
	p->l4_off = p->l3_off + sizeof(*ip6);
	p->tcp_len = plen;
	return PARSE_OK;
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
 * @p: data and data_end set; everything else is filled in
 */
static __always_inline enum parse_result parse_packet(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	enum parse_result r;

	if ((void *)(eth + 1) > p->data_end)
		return PARSE_MALFORMED;
	p->eth = eth;
	p->l3_off = sizeof(*eth);
	/* XXX: 802.1Q/802.1ad tagged frames are not parsed yet: they pass. */
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(p, p->data + p->l3_off);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(p, p->data + p->l3_off);
	else
		return PARSE_NOT_TCP;
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return r;
	if (parse_tcp(p) != PARSE_OK)
		return PARSE_MALFORMED;
	return r; /* a first fragment has its TCP header parsed too */
}
