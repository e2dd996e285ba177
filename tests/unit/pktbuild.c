// SPDX-License-Identifier: GPL-2.0
/* pktbuild.c - see pktbuild.h. Written byte by byte, in network order, without
 * the kernel's header structs, so that it shares no layout code with bpf/. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "pktbuild.h"

static const __u8 mac_client[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_server[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

__u32 csum_partial(const void *p, size_t n, __u32 sum)
{
	const __u8 *b = p;
	__u64 s = sum;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(b + i);
	if (n & 1)
		s += (__u32)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u32)s;
}

__u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u32 pseudo_sum(int family, const __u8 *saddr, const __u8 *daddr, __u32 len, __u8 proto)
{
	int alen = family == 6 ? 16 : 4;
	__u8 tail[8] = { 0 };
	__u32 sum;

	sum = csum_partial(saddr, alen, 0);
	sum = csum_partial(daddr, alen, sum);
	put32(tail, len); /* IPv4: 0, proto, len16 sums the same as len32, 0, proto */
	tail[7] = proto;
	return csum_partial(tail, sizeof(tail), sum);
}

void spec_addrs(const struct pkt_spec *s, __u8 saddr[16], __u8 daddr[16])
{
	int af = s->family == 6 ? AF_INET6 : AF_INET;
	const char *sa = s->saddr ? s->saddr : af == AF_INET6 ? "2001:2::1" : "198.18.0.1";
	const char *da = s->daddr ? s->daddr : af == AF_INET6 ? "2001:2::2" : "198.18.0.2";

	memset(saddr, 0, 16);
	memset(daddr, 0, 16);
	if (inet_pton(af, sa, saddr) != 1 || inet_pton(af, da, daddr) != 1)
		fprintf(stderr, "pktbuild: bad address %s or %s\n", sa, da);
}

/* The option bytes of a TCP header; returns their length (a multiple of 4). */
static int tcp_opts(const struct pkt_spec *s, __u8 *o)
{
	int n = 0;

	if (s->raw_opts) {
		memcpy(o, s->raw_opts, s->raw_len);
		n = s->raw_len;
		while (n % 4)
			o[n++] = 0; /* EOL */
		return n;
	}
	if (s->opts & O_MSS) {
		o[n++] = 2, o[n++] = 4;
		put16(o + n, s->mss), n += 2;
	}
	if (s->opts & O_TS) {
		if (s->opts & O_SACK)
			o[n++] = 4, o[n++] = 2;
		else
			o[n++] = 1, o[n++] = 1;
		o[n++] = 8, o[n++] = 10;
		put32(o + n, spec_tsval(s)), n += 4;
		put32(o + n, s->tsecr), n += 4;
	} else if (s->opts & O_SACK) {
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	}
	if (s->opts & O_WS)
		o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = s->wscale;
	return n;
}

static __u32 build_tcp(const struct pkt_spec *s, __u8 *t)
{
	int optlen = tcp_opts(s, t + 20);
	__u32 hlen = 20 + optlen;

	put16(t, spec_sport(s));
	put16(t + 2, spec_dport(s));
	put32(t + 4, spec_seq(s));
	put32(t + 8, s->ack);
	t[12] = (s->doff ? s->doff : hlen / 4) << 4;
	t[13] = s->flags ? s->flags : F_SYN;
	put16(t + 14, s->window ? s->window : 64240);
	put16(t + 16, 0); /* checksum, later */
	put16(t + 18, 0);
	for (int i = 0; i < s->payload_len; i++)
		t[hlen + i] = 0xa5 + i;
	return hlen + s->payload_len;
}

static __u32 build_udp(const struct pkt_spec *s, __u8 *u)
{
	__u32 len = 8 + s->payload_len;

	put16(u, spec_sport(s));
	put16(u + 2, spec_dport(s));
	put16(u + 4, len);
	put16(u + 6, 0);
	for (int i = 0; i < s->payload_len; i++)
		u[8 + i] = 0xa5 + i;
	return len;
}

/* IPv4 header with options at f->l3, for an L4 part of l4len bytes. */
static void build_ip4(const struct pkt_spec *s, struct frame *f, __u32 l4len, __u8 proto)
{
	__u8 *ip = f->b + f->l3, sa[16], da[16];
	__u32 hlen = 20 + s->ipopt_len;

	spec_addrs(s, sa, da);
	ip[0] = 0x40 | (s->ihl ? s->ihl : hlen / 4);
	ip[1] = s->tos;
	put16(ip + 2, hlen + l4len + s->len_delta);
	put16(ip + 4, 0x1234);
	put16(ip + 6, (s->no_df ? 0 : 0x4000) | s->frag);
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, sa, 4);
	memcpy(ip + 16, da, 4);
	if (s->ipopt_len) {
		const __u8 ra[4] = { 0x94, 0x04, 0x00, 0x00 }; /* Router Alert, RFC 2113 */

		memcpy(ip + 20, ra, 4);
		memset(ip + 24, 1, s->ipopt_len - 4); /* NOPs */
	}
	put16(ip + 10, csum_fold(csum_partial(ip, hlen, 0)));
}

/* Bytes of the extension headers of a spec. */
static __u32 ext_len(const struct pkt_spec *s)
{
	__u32 n = 0;

	for (int i = 0; i < s->n_ext; i++)
		n += s->ext[i].type == IPPROTO_FRAGMENT ? 8 : (s->ext[i].hdrlen + 1) * 8;
	return n;
}

/* The extension headers at p: options headers hold one PadN option, the
 * routing header is of the experimental type 253 (RFC 4727) with no
 * segments left, so a receiver skips it (RFC 8200 4.4). */
static void build_ext(const struct pkt_spec *s, __u8 *p, __u8 proto)
{
	for (int i = 0; i < s->n_ext; i++) {
		const struct ext_spec *e = &s->ext[i];
		__u32 len = e->type == IPPROTO_FRAGMENT ? 8 : (e->hdrlen + 1) * 8;

		memset(p, 0, len);
		p[0] = i + 1 < s->n_ext ? s->ext[i + 1].type : proto;
		if (i + 1 == s->n_ext && s->next_hdr)
			p[0] = s->next_hdr;
		if (e->type == IPPROTO_FRAGMENT) {
			put16(p + 2, e->frag);
			put32(p + 4, 0x5eed0001); /* identification */
		} else if (e->type == IPPROTO_ROUTING) {
			p[1] = e->hdrlen;
			p[2] = 253;
			p[3] = 0;
		} else {
			p[1] = e->hdrlen;
			p[2] = 1; /* PadN */
			p[3] = len - 4;
		}
		if (e->claim)
			p[1] = e->claim;
		p += len;
	}
}

static void build_ip6(const struct pkt_spec *s, struct frame *f, __u32 l4len, __u8 proto)
{
	__u8 *ip = f->b + f->l3;
	__u32 elen = ext_len(s);

	put32(ip, 0x60000000 | (__u32)s->tos << 20 | (s->flow & 0xfffff));
	put16(ip + 4, elen + l4len + s->len_delta);
	ip[6] = s->n_ext ? s->ext[0].type : s->next_hdr ? s->next_hdr : proto;
	ip[7] = 64;
	spec_addrs(s, ip + 8, ip + 24);
	build_ext(s, ip + 40, proto);
}

static void build_arp(struct frame *f)
{
	static const __u8 arp[28] = {
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,     /* Ethernet, IPv4, request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198, 18, 0, 1, /* sender */
		0, 0, 0, 0, 0, 0, 198, 18, 0, 2,                  /* target */
	};

	memcpy(f->b + f->l3, arp, sizeof(arp));
	f->len = f->l3 + sizeof(arp);
}

/* L4 checksum over the real L4 bytes, whatever the length fields claim. */
static void l4_checksum(const struct pkt_spec *s, struct frame *f, __u32 l4len, __u8 proto)
{
	__u8 sa[16], da[16], *l4 = f->b + f->l4;
	int coff = proto == IPPROTO_TCP ? 16 : 6;
	__u16 c;

	spec_addrs(s, sa, da);
	c = csum_fold(csum_partial(l4, l4len, pseudo_sum(s->family == 6 ? 6 : 4, sa, da, l4len,
							     proto)));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	put16(l4 + coff, c);
	if (s->bad_tcp_csum)
		put16(l4 + coff, c ^ 0x0100);
}

static char build_err[160];

const char *pkt_build_error(void)
{
	return build_err;
}

/* Why the spec is impossible (into build_err), or 0 if it builds: every
 * length fits the header fields and the frame fits PKT_MAX. */
static int spec_check(const struct pkt_spec *s)
{
	int af = s->family == 6 ? AF_INET6 : AF_INET;
	__u8 a[16];
	__u32 len;

	build_err[0] = 0;
	if (s->family && s->family != 4 && s->family != 6)
		snprintf(build_err, sizeof(build_err), "family %d (4, 6 or 0 for 4)", s->family);
	else if (s->ipopt_len % 4 || s->ipopt_len > 40 || (s->ipopt_len && s->ipopt_len < 4))
		snprintf(build_err, sizeof(build_err), "ipopt_len %u (a multiple of 4, 4 to 40)",
			 s->ipopt_len);
	else if (s->nvlans > PKT_VLANS_MAX || s->n_ext > PKT_EXT_MAX || (s->n_ext && s->family != 6))
		snprintf(build_err, sizeof(build_err),
			 "%u VLAN tags (at most %d), %u extension headers (at most %d, IPv6 only)",
			 s->nvlans, PKT_VLANS_MAX, s->n_ext, PKT_EXT_MAX);
	else if (s->raw_opts ? s->raw_len > 40 : s->raw_len != 0)
		snprintf(build_err, sizeof(build_err), "raw_len %u (at most 40, with raw_opts)",
			 s->raw_len);
	else if ((s->saddr && inet_pton(af, s->saddr, a) != 1) ||
		 (s->daddr && inet_pton(af, s->daddr, a) != 1))
		snprintf(build_err, sizeof(build_err), "address %s or %s is not IPv%d",
			 s->saddr ? s->saddr : "(default)", s->daddr ? s->daddr : "(default)",
			 af == AF_INET6 ? 6 : 4);
	if (build_err[0])
		return -1;
	len = 14 + 4 * s->nvlans + (s->family == 6 ? 40 + ext_len(s) : 20u + s->ipopt_len) +
	      60 + s->payload_len + s->eth_pad;
	if (len > PKT_MAX) {
		snprintf(build_err, sizeof(build_err), "up to %u bytes (more than PKT_MAX, %d)", len,
			 PKT_MAX);
		return -1;
	}
	return 0;
}

int pkt_build(const struct pkt_spec *s, struct frame *f)
{
	__u8 proto = s->l4 ? s->l4 : IPPROTO_TCP;
	__u16 ethp = s->eth_proto ? s->eth_proto : s->family == 6 ? ETH_P_IPV6 : ETH_P_IP;
	__u32 l4len;

	if (spec_check(s))
		return -1;
	memset(f, 0, sizeof(*f));
	memcpy(f->b, s->dst_mac ? s->dst_mac : mac_server, 6);
	memcpy(f->b + 6, s->src_mac ? s->src_mac : mac_client, 6);
	f->l3 = 12;
	for (int i = 0; i < s->nvlans; i++) {
		put16(f->b + f->l3, s->vlan[i].tpid);
		put16(f->b + f->l3 + 2, s->vlan[i].tci);
		f->l3 += 4;
	}
	put16(f->b + f->l3, ethp);
	f->l3 += 2;
	if (ethp == ETH_P_ARP) {
		build_arp(f);
		return 0;
	}
	f->l4 = f->l3 + (s->family == 6 ? 40 + ext_len(s) : 20u + s->ipopt_len);
	l4len = proto == IPPROTO_TCP ? build_tcp(s, f->b + f->l4) : build_udp(s, f->b + f->l4);
	l4_checksum(s, f, l4len, proto);
	if (s->family == 6) {
		build_ip6(s, f, l4len, proto);
	} else {
		build_ip4(s, f, l4len, proto);
		if (s->bad_ip_csum)
			f->b[f->l3 + 11] ^= 0x01;
	}
	f->len = f->l4 + l4len + s->eth_pad;
	if (s->truncate && s->truncate < f->len)
		f->len = s->truncate;
	return 0;
}

/* spec_describe: one "name=value" for each field that is set. */
#define DESCRIBE(field, fmt)                                                            \
	do {                                                                            \
		if (s->field && o < n)                                                  \
			o += snprintf(buf + o, n - o, "%s" #field "=" fmt, o ? " " : "",   \
				      s->field);                                        \
	} while (0)

void spec_describe(const struct pkt_spec *s, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = 0;
	DESCRIBE(family, "%d");
	DESCRIBE(nvlans, "%u");
	DESCRIBE(next_hdr, "%u");
	DESCRIBE(eth_proto, "0x%04x");
	DESCRIBE(l4, "%u");
	DESCRIBE(saddr, "%s");
	DESCRIBE(daddr, "%s");
	DESCRIBE(sport, "%u");
	DESCRIBE(zero_sport, "%d");
	DESCRIBE(dport, "%u");
	DESCRIBE(seq, "0x%x");
	DESCRIBE(zero_seq, "%d");
	DESCRIBE(ack, "0x%x");
	DESCRIBE(flags, "0x%02x");
	DESCRIBE(window, "%u");
	DESCRIBE(opts, "0x%x");
	DESCRIBE(mss, "%u");
	DESCRIBE(wscale, "%u");
	DESCRIBE(tsval, "0x%x");
	DESCRIBE(tsecr, "0x%x");
	DESCRIBE(raw_len, "%u");
	DESCRIBE(payload_len, "%u");
	DESCRIBE(tos, "0x%02x");
	DESCRIBE(flow, "0x%x");
	DESCRIBE(ipopt_len, "%u");
	DESCRIBE(no_df, "%d");
	DESCRIBE(frag, "0x%04x");
	DESCRIBE(n_ext, "%u");
	DESCRIBE(bad_ip_csum, "%d");
	DESCRIBE(bad_tcp_csum, "%d");
	DESCRIBE(ihl, "%u");
	DESCRIBE(doff, "%u");
	DESCRIBE(len_delta, "%d");
	DESCRIBE(truncate, "%u");
	DESCRIBE(eth_pad, "%u");
	if (!o)
		snprintf(buf, n, "(all defaults)");
}

__u32 frame_ip_len(const struct frame *f, int family)
{
	const __u8 *ip = f->b + f->l3;

	return family == 6 ? 40 + get16(ip + 4) : get16(ip + 2);
}

void frame_fix_csums(struct frame *f, int family)
{
	__u8 *ip = f->b + f->l3, *t = f->b + f->l4;
	__u32 tcp_len = f->len - f->l4;

	if (family == 6) {
		put16(t + 16, 0);
		put16(t + 16, csum_fold(csum_partial(t, tcp_len, pseudo_sum(6, ip + 8, ip + 24,
									       tcp_len, 6))));
		return;
	}
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_partial(ip, (ip[0] & 15) * 4, 0)));
	put16(t + 16, 0);
	put16(t + 16, csum_fold(csum_partial(t, tcp_len, pseudo_sum(4, ip + 12, ip + 16, tcp_len,
								       6))));
}
