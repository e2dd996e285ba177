/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pktbuild.h - a small Ethernet / IPv4 / IPv6 / TCP / UDP / ARP frame builder.
 *
 * A struct pkt_spec describes the frame; zero fields take the defaults below,
 * so a fixture names only what makes it special. Checksums are right unless a
 * knob breaks them; the malformation knobs are applied before the checksums,
 * so a malformed frame is wrong only in the way it says.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* TCP flags, as in byte 13 of the header. */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_ECE 0x40
#define F_CWR 0x80

/* TCP options to emit, in Linux's order: MSS, SACK-perm + TS (04 02 08 0a),
 * or NOP NOP TS, or NOP NOP SACK-perm; then NOP WS. */
#define O_MSS 0x1
#define O_SACK 0x2
#define O_TS 0x4
#define O_WS 0x8
#define O_LINUX (O_MSS | O_SACK | O_TS | O_WS)

#define PKT_MAX 2048
#define PKT_VLANS_MAX 3
#define PKT_EXT_MAX 8

/* An 802.1Q / 802.1ad tag between the MAC addresses and the EtherType. */
struct vlan_spec {
	__u16 tpid; /* 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
	__u16 tci;  /* PCP, DEI, VLAN id */
};

/* An IPv6 extension header before the TCP/UDP header (in order). */
struct ext_spec {
	__u8 type;      /* IPPROTO_HOPOPTS, _ROUTING, _DSTOPTS or _FRAGMENT */
	__u8 hdrlen;    /* 8-octet units after the first 8 (not for fragments) */
	__u16 frag;     /* fragment header: offset in 8-byte units << 3 | M (1) */
	__u8 claim;     /* if nonzero, the hdrlen field says this instead */
};

struct pkt_spec {
	int family;         /* 4 (default) or 6 */
	const __u8 *src_mac; /* default 02:00:00:00:00:01 (client) */
	const __u8 *dst_mac; /* default 02:00:00:00:00:02 (server) */
	__u8 nvlans;        /* tags, outermost first */
	struct vlan_spec vlan[PKT_VLANS_MAX];
	__u8 next_hdr;      /* IPv6: override the last header's next header */
	__u16 eth_proto;    /* override the EtherType; ETH_P_ARP builds an ARP request */
	__u8 l4;            /* IPPROTO_TCP (default) or IPPROTO_UDP */
	const char *saddr;  /* client; default 198.18.0.1 / 2001:2::1 */
	const char *daddr;  /* server; default 198.18.0.2 / 2001:2::2 */
	__u16 sport;        /* default 40000 */
	bool zero_sport;    /* sport is 0, not the default */
	__u16 dport;        /* default 80 */
	__u32 seq;          /* default 0x11223344 */
	bool zero_seq;      /* seq is 0, not the default */
	__u32 ack;
	__u8 flags;         /* F_*; default F_SYN */
	__u16 window;       /* default 64240 */
	/* TCP options */
	unsigned opts;      /* O_* */
	__u16 mss;
	__u8 wscale;
	__u32 tsval;        /* default 0x01020304 when O_TS */
	__u32 tsecr;
	const __u8 *raw_opts; /* instead of opts: these bytes (padded with EOL) */
	__u8 raw_len;
	__u16 payload_len;  /* bytes of 0xa5.. after the TCP/UDP header */
	/* IP */
	__u8 tos;           /* IPv4 TOS, IPv6 traffic class */
	__u32 flow;         /* IPv6 flow label */
	__u8 ipopt_len;     /* Router Alert + NOPs, a multiple of 4, <= 40 */
	bool no_df;
	__u16 frag;         /* IP_MF and/or offset in 8-byte units */
	__u8 n_ext;         /* IPv6 extension headers */
	struct ext_spec ext[PKT_EXT_MAX];
	/* breakage */
	bool bad_ip_csum;
	bool bad_tcp_csum;
	__u8 ihl;           /* override the IPv4 IHL */
	__u8 doff;          /* override the TCP data offset */
	int len_delta;      /* added to IPv4 tot_len / IPv6 payload_len */
	__u16 truncate;     /* cut the frame to this many bytes */
	__u8 eth_pad;       /* zero bytes after the IP packet (Ethernet padding) */
};

struct frame {
	__u8 b[PKT_MAX];
	__u32 len;
	__u32 l3, l4;       /* offsets of the IP and TCP/UDP headers */
};

/* Length of the IP packet a frame carries, from its length fields (IPv4
 * total length, IPv6 40 + payload length): padding and truncation aside. */
__u32 frame_ip_len(const struct frame *f, int family);
/* Recompute the IPv4 header checksum and the TCP checksum of a frame made by
 * pkt_build (no extension headers) after its bytes were changed in place. */
void frame_fix_csums(struct frame *f, int family);

/* The default addresses, in the byte order of the packet. */
void spec_addrs(const struct pkt_spec *s, __u8 saddr[16], __u8 daddr[16]);
/* Build the frame; -1 if the spec is impossible, pkt_build_error() says why.
 * Test cases call build_frame() (cases.h), which fails the case. */
int pkt_build(const struct pkt_spec *s, struct frame *f);
const char *pkt_build_error(void);
/* The fields of a spec that are not zero, "family=6 flags=0x12 ...": a
 * fixture row as a FAIL line shows it. */
void spec_describe(const struct pkt_spec *s, char *buf, size_t n);

/* RFC 1071 sum helpers, shared with the checkers. */
__u32 csum_partial(const void *p, size_t n, __u32 sum);
__u16 csum_fold(__u32 sum);
/* Sum of the pseudo-header (family 4 or 6), addresses in packet order. */
__u32 pseudo_sum(int family, const __u8 *saddr, const __u8 *daddr, __u32 len, __u8 proto);

static inline __u16 get16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

static inline __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* The values a spec stands for once its defaults are applied. */
static inline __u32 spec_seq(const struct pkt_spec *s)
{
	return s->seq || s->zero_seq ? s->seq : 0x11223344;
}

static inline __u16 spec_sport(const struct pkt_spec *s)
{
	return s->sport || s->zero_sport ? s->sport : 40000;
}

static inline __u16 spec_dport(const struct pkt_spec *s)
{
	return s->dport ? s->dport : 80;
}

static inline __u32 spec_tsval(const struct pkt_spec *s)
{
	return s->tsval ? s->tsval : 0x01020304;
}
