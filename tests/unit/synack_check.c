// SPDX-License-Identifier: GPL-2.0
/*
 * synack_check.c - byte-by-byte check of a SYN-ACK against the SYN it answers.
 *
 * Everything is read from the raw bytes at fixed offsets behind the SYN's own
 * L2 header (the reply keeps the SYN's VLAN tags and has no IP options or IPv6
 * extension headers), and the cookie is recomputed with the reference in ref.c.
 *
 * Amplification bound, checked on every SYN-ACK of every case: the reply's IP
 * packet is never longer than the SYN's IP packet + 4 bytes. The reply drops
 * the SYN's payload, IP options and extension headers; of the TCP options it
 * echoes only those the client sent (timestamps, SACK-permitted, window
 * scale), each in no more bytes than the client's; it adds only MSS (4 bytes).
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

struct reply {
	const __u8 *b;   /* the frame (after any metadata) */
	__u32 len;
	__u32 l3;        /* offset of the IP header: the SYN's */
	__u32 l4;        /* offset of the TCP header */
	int family;
	__u8 sa[16], da[16]; /* the SYN's addresses */
};

static void ref_flow_addrs(const struct pkt_spec *s, struct ref_flow *f)
{
	spec_addrs(s, f->saddr, f->daddr);
	f->family = s->family == 6 ? 6 : 4;
}

void ref_flow_of(const struct pkt_spec *s, __u32 client_isn, struct ref_flow *f)
{
	memset(f, 0, sizeof(*f));
	ref_flow_addrs(s, f);
	put16(f->sport, spec_sport(s));
	put16(f->dport, spec_dport(s));
	f->client_isn = client_isn;
}

static void check_eth(const struct reply *p, const struct frame *syn)
{
	check_bytes(p->b, syn->b + 6, 6, "Ethernet destination (the SYN's source)");
	check_bytes(p->b + 6, syn->b, 6, "Ethernet source (the SYN's destination)");
	check_bytes(p->b + 12, syn->b + 12, p->l3 - 12,
		    "VLAN tags (TPIDs, TCIs) and EtherType (the SYN's)");
}

static void check_ip4(const struct reply *p)
{
	const __u8 *ip = p->b + p->l3;

	check_hex(ip[0], 0x45, "IPv4 version/IHL");
	check_hex(ip[1], 0, "IPv4 TOS");
	check_u64(get16(ip + 2), p->len - p->l3, "IPv4 total length (frame - L2 header)");
	check_hex(get16(ip + 4), 0, "IPv4 id");
	check_hex(get16(ip + 6), 0x4000, "IPv4 flags/fragment offset (DF)");
	check_u64(ip[8], cur_cfg.ttl, "IPv4 TTL");
	check_u64(ip[9], 6, "IPv4 protocol");
	check_hex(csum_fold(csum_partial(ip, 20, 0)), 0, "IPv4 header checksum (folded sum)");
	check_bytes(ip + 12, p->da, 4, "IPv4 source (the SYN's destination)");
	check_bytes(ip + 16, p->sa, 4, "IPv4 destination (the SYN's source)");
}

static void check_ip6(const struct reply *p)
{
	const __u8 *ip = p->b + p->l3;

	check_hex(get32(ip), 0x60000000, "IPv6 version/class/flow");
	check_u64(get16(ip + 4), p->len - p->l3 - 40, "IPv6 payload length (frame - L2 - 40)");
	check_u64(ip[6], 6, "IPv6 next header");
	check_u64(ip[7], cur_cfg.ttl, "IPv6 hop limit");
	check_bytes(ip + 8, p->da, 16, "IPv6 source (the SYN's destination)");
	check_bytes(ip + 24, p->sa, 16, "IPv6 destination (the SYN's source)");
}

static __u16 our_mss(int family)
{
	return family == 6 ? cur_cfg.mss6 : cur_cfg.mss4;
}

static __u32 reply_hdr_len(const struct synack_exp *e)
{
	if (!(e->reply & R_TS)) /* SACK-permitted then takes a word of its own */
		return 20 + 4 + (e->reply & R_SACK ? 4 : 0) + (e->reply & R_WS ? 4 : 0);
	return 20 + 4 + 12 + (e->reply & R_WS ? 4 : 0);
}

static void check_tcp_hdr(const struct reply *p, const struct pkt_spec *s,
			  const struct synack_exp *e)
{
	const __u8 *t = p->b + p->l4;
	__u16 mss = our_mss(p->family);
	__u32 tcp_len = p->len - p->l4;

	check_u64(get16(t), spec_dport(s), "TCP source port (the SYN's destination)");
	check_u64(get16(t + 2), spec_sport(s), "TCP destination port (the SYN's source)");
	check_hex(get32(t + 8), spec_seq(s) + 1, "TCP ack (SYN seq + 1)");
	check_u64(t[12] >> 4, reply_hdr_len(e) / 4, "TCP data offset");
	check_hex(t[12] & 0x0f, 0, "TCP reserved bits");
	if (e->reply & R_ECE)
		check_hex(t[13], 0x52, "TCP flags (exactly SYN|ACK|ECE: an ECN-setup SYN-ACK)");
	else
		check_hex(t[13], 0x12, "TCP flags (exactly SYN|ACK)");
	check_u64(get16(t + 14), 65535 - 65535 % mss, "TCP window (65535 - 65535 % our MSS)");
	check_hex(get16(t + 18), 0, "TCP urgent pointer");
	check_hex(csum_fold(csum_partial(t, tcp_len, pseudo_sum(p->family, p->da, p->sa, tcp_len,
								6))),
		  0, "TCP checksum (folded sum with pseudo-header)");
}

/* The option bytes the reply must have; TSval copied from the reply (it is
 * checked on its own in check_cookie). */
static int expected_opts(const struct reply *p, const struct pkt_spec *s,
			 const struct synack_exp *e, __u8 *o)
{
	const __u8 *got = p->b + p->l4 + 20;
	int n = 0;

	o[n++] = 2, o[n++] = 4;
	put16(o + n, our_mss(p->family)), n += 2;
	if (e->reply & R_TS) {
		o[n++] = e->reply & R_SACK ? 4 : 1;
		o[n++] = e->reply & R_SACK ? 2 : 1;
		o[n++] = 8, o[n++] = 10;
		memcpy(o + n, got + n, 4), n += 4;
		put32(o + n, spec_tsval(s)), n += 4;
		if (e->reply & R_WS)
			o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = cur_cfg.wscale;
		return n;
	}
	/* without timestamps (the options kept in synopts): Linux's order */
	if (e->reply & R_SACK)
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	if (e->reply & R_WS)
		o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = cur_cfg.wscale;
	return n;
}

static void check_tcp_opts(const struct reply *p, const struct pkt_spec *s,
			   const struct synack_exp *e)
{
	__u8 want[40];
	int n = expected_opts(p, s, e, want);

	if (p->l4 + 20 + n > p->len) {
		case_fail("TCP options: expected %d bytes, the frame ends after %u", n,
			  p->len - p->l4 - 20);
		return;
	}
	check_bytes(p->b + p->l4 + 20, want, n, "TCP options");
}

/* TSval: the time of issue within the run's CLOCK_TAI window, the cookie's
 * options in the low bits. */
static void check_tsval(const struct xdp_result *r, __u32 tsval, const struct synack_exp *e)
{
	__u32 t0 = (__u32)(r->tai0 / 1000000) & SO_TS_TIME_MASK;
	__u32 t1 = (__u32)(r->tai1 / 1000000);
	__u8 ws = e->reply & R_WS ? e->ws : SO_WS_NONE;
	char what[120];

	check_hex(tsval & SO_TS_OPT_MASK,
		  ref_ts_tsval(0, e->mss_idx, ws, !!(e->reply & R_SACK), !!(e->reply & R_ECE),
			       cur_key_id()),
		  "TSval option bits (mss_idx | wscale << 3 | sack << 7 | ecn << 8 | key id << 9)");
	snprintf(what, sizeof(what), "TSval time part 0x%x within the run's CLOCK_TAI ms [0x%x, 0x%x]",
		 tsval & SO_TS_TIME_MASK, t0, t1);
	check_true((__u32)((tsval & SO_TS_TIME_MASK) - t0) <= (__u32)(t1 - t0), what);
}

static void check_cookie(const struct reply *p, const struct pkt_spec *s,
			 const struct xdp_result *r, const struct synack_exp *e)
{
	const __u8 *t = p->b + p->l4;
	__u32 isn = get32(t + 4), want;
	struct ref_flow f;

	ref_flow_of(s, spec_seq(s), &f);
	if (e->reply & R_TS) {
		__u32 tsval = get32(t + 20 + 8);

		check_tsval(r, tsval, e);
		check_hex(isn, ref_ts_isn(cur_key(), &f, tsval), "ISN (reference TS-mode cookie)");
		return;
	}
	want = ref_nots_isn(cur_key(), &f, r->tai0 >> SO_NOTS_PERIOD_SHIFT, e->mss_idx);
	if (isn != want && (r->tai1 >> SO_NOTS_PERIOD_SHIFT) != (r->tai0 >> SO_NOTS_PERIOD_SHIFT))
		want = ref_nots_isn(cur_key(), &f, r->tai1 >> SO_NOTS_PERIOD_SHIFT, e->mss_idx);
	check_hex((isn >> 1) & SO_MSS_IDX_MASK, e->mss_idx, "ISN mss_idx bits");
	check_hex(isn, want, "ISN (reference non-TS cookie)");
}

bool check_synack(const struct pkt_spec *s, const struct frame *syn,
		  const struct xdp_result *r, const struct synack_exp *e)
{
	struct reply p = { .b = r->out + r->meta_len, .len = r->out_len - r->meta_len };
	__u32 want_len, syn_ip_len;
	char what[120];

	p.family = s->family == 6 ? 6 : 4;
	p.l3 = syn->l3;
	p.l4 = p.l3 + (p.family == 6 ? 40 : 20);
	spec_addrs(s, p.sa, p.da);
	want_len = p.l4 + reply_hdr_len(e);
	check_u64(r->meta_len, 0, "metadata bytes before the SYN-ACK");
	if (!check_u64(p.len, want_len, "SYN-ACK frame length (exactly its headers)") &&
	    p.len < want_len)
		return false;
	/* the amplification bound (see the top of this file) */
	syn_ip_len = frame_ip_len(syn, p.family);
	snprintf(what, sizeof(what), "SYN-ACK IP packet of %u bytes <= the SYN's %u + 4",
		 p.len - p.l3, syn_ip_len);
	check_true(p.len - p.l3 <= syn_ip_len + 4, what);
	check_eth(&p, syn);
	if (p.family == 6)
		check_ip6(&p);
	else
		check_ip4(&p);
	check_tcp_hdr(&p, s, e);
	check_tcp_opts(&p, s, e);
	check_cookie(&p, s, r, e);
	return !case_failed();
}

/* Offset of the IP header: after the MACs, the VLAN tags and the EtherType. */
static __u32 l3_of(const __u8 *b, __u32 len)
{
	__u32 off = 12;

	while (off + 4 <= len && (get16(b + off) == 0x8100 || get16(b + off) == 0x88a8))
		off += 4;
	return off + 2;
}

void synack_read(const struct xdp_result *r, int family, struct synack_seen *out)
{
	const __u8 *b = r->out + r->meta_len;
	const __u8 *t = b + l3_of(b, r->out_len - r->meta_len) + (family == 6 ? 40 : 20);
	__u32 hlen = (t[12] >> 4) * 4;

	memset(out, 0, sizeof(*out));
	out->isn = get32(t + 4);
	/* the TS option, where the reply puts it: after MSS, behind two bytes */
	if (hlen >= 36 && t[26] == 8 && t[27] == 10) {
		out->ts = true;
		out->tsval = get32(t + 28);
	}
}
