// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_xdp.c - libFuzzer target: arbitrary frames through xdp_shakeoff,
 * tc_ingress and tc_egress (BPF_PROG_RUN), with invariants checked on every
 * run. Built with clang -fsanitize=fuzzer,address over the unit tests'
 * environment (tests/unit/env.c: own network namespace, the skeleton loaded,
 * the test configuration: ports 80 and 8000-8100 protected).
 *
 * Input: one mode byte, then the Ethernet frame.
 *   bits 0-1  configuration: 0 the tests' default, 1 tx mode redirect,
 *             2 no TCP options allowed, 3 a SYN-ACK budget of 2 per second
 *   bit 2     tracked: before the runs, the frame's flow is put into "conns"
 *             both ways (as a client and as a server segment), in the state
 *             of bits 3-5
 *   bit 6     cookie: if the frame is an ACK, its ack number (and TSecr's
 *             time, if it has a timestamp option) are rewritten by the
 *             reference (ref.c) into a cookie valid now, so that the valid
 *             path is fuzzed at any time, not only while the seeds' cookies
 *             are fresh
 *
 * Invariants (a violation prints "INVARIANT: ..." and aborts, which libFuzzer
 * records as a crash):
 *   - xdp_shakeoff never returns XDP_ABORTED, nor XDP_TX in redirect mode or
 *     XDP_REDIRECT in XDP_TX mode;
 *   - exactly one verdict counter (kind V) rose, by one; syn_seen rose iff
 *     the frame is a SYN (no ACK) to a protected port; synack_sent iff the
 *     frame came back as a SYN-ACK; ack_cookie_valid iff it passed with
 *     metadata (or, where XDP has none: env_xdp_meta, an ackmeta entry);
 *   - XDP_TX/XDP_REDIRECT for exactly the SYNs without ACK, RST and FIN to a
 *     protected port, from a sane source, with good checksums, at most 1536
 *     bytes of TCP (no bypass, whatever the encapsulation); the frame
 *     that comes out is a well-formed SYN-ACK that answers it: same L2 header
 *     with the MACs swapped, addresses and ports swapped, valid IPv4 header
 *     and TCP checksums, flags exactly SYN|ACK, ack = seq + 1, lengths
 *     consistent, MSS first, its IP packet no longer than the SYN's + 4;
 *   - metadata (or an ackmeta entry) only on XDP_PASS of an ACK (no SYN, no
 *     RST) to a protected port, the magic right and the frame behind it
 *     unchanged; XDP_PASS
 *     without metadata leaves the frame unchanged;
 *   - tracked and confirmed, any non-SYN segment to a protected port passes
 *     as passed_tracked; a SYN of a 4-tuple in time_wait passes to the
 *     kernel (passed_time_wait) and ends the entry; the table never grows; entries stay
 *     well-formed;
 *   - tc_ingress and tc_egress return TC_ACT_OK; tc_ingress (no metadata can
 *     be given to it) changes no counter; tc_egress changes no verdict counter.
 *
 * The frame is parsed here by a parser of its own (rp_parse), written from the
 * RFCs and shakeoff's documented limits (two VLAN tags, six IPv6 extension
 * headers), not from bpf/parse.h. libFuzzer sees no coverage of BPF code, so
 * what the programs did is fed back as extra counters (feature()): verdict x
 * configuration x tracked state, the other counters that rose, the table
 * entry's state before and after, the reply's length, the frame's structure.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include "env.h"
#include "pktbuild.h"
#include "ref.h"

/* --- the reference parser ------------------------------------------------ */

enum rp_result { RP_OK, RP_NOT_TCP, RP_MALFORMED, RP_FRAGMENT, RP_TOO_DEEP };

struct rp {
	const __u8 *b;
	__u32 len;
	__u32 l3, l4;
	__u32 ip_len;   /* the IP packet, from its length fields */
	__u32 tcp_len;  /* TCP header + payload */
	__u32 doff_len;
	int family;     /* 4 or 6 once the IP header was read */
	int vlans;
	int exts;
};

static bool is_tpid(__u16 p)
{
	return p == 0x8100 || p == 0x88a8;
}

static enum rp_result rp_ip4(struct rp *p)
{
	const __u8 *ip = p->b + p->l3;
	__u32 ihl, tot;

	if (p->l3 + 20 > p->len)
		return RP_MALFORMED;
	if (ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
		return RP_MALFORMED;
	if (ip[9] != IPPROTO_TCP)
		return RP_NOT_TCP;
	if (get16(ip + 6) & 0x1fff) /* a later fragment: no TCP header */
		return RP_NOT_TCP;
	ihl = (ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if (tot < ihl + 20 || p->l3 + tot > p->len)
		return RP_MALFORMED;
	p->family = 4;
	p->ip_len = tot;
	p->l4 = p->l3 + ihl;
	p->tcp_len = tot - ihl;
	return get16(ip + 6) & 0x2000 ? RP_FRAGMENT : RP_OK;
}

static enum rp_result rp_ip6(struct rp *p)
{
	const __u8 *ip = p->b + p->l3;
	__u32 off = p->l3 + 40, plen, ext;
	enum rp_result r = RP_OK;
	__u8 nh;

	if (p->l3 + 40 > p->len)
		return RP_MALFORMED;
	if (ip[0] >> 4 != 6)
		return RP_MALFORMED;
	nh = ip[6];
	for (p->exts = 0; nh != IPPROTO_TCP; p->exts++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT)
			return RP_NOT_TCP;
		if (p->exts == 6)
			return RP_TOO_DEEP;
		if (off + 4 > p->len)
			return RP_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			if (get16(p->b + off + 2) & 0xfff8)
				return RP_NOT_TCP;
			r = RP_FRAGMENT;
			nh = p->b[off];
			off += 8;
		} else {
			nh = p->b[off];
			off += (p->b[off + 1] + 1) * 8;
		}
	}
	plen = get16(ip + 4);
	ext = off - p->l3 - 40;
	if (ext + 20 > plen || p->l3 + 40 + plen > p->len)
		return RP_MALFORMED;
	p->family = 6;
	p->ip_len = 40 + plen;
	p->l4 = off;
	p->tcp_len = plen - ext;
	return r;
}

static enum rp_result rp_parse(struct rp *p, const __u8 *b, __u32 len)
{
	enum rp_result r;
	__u32 off = 12;
	__u16 proto;

	memset(p, 0, sizeof(*p));
	p->b = b;
	p->len = len;
	if (len < 14)
		return RP_MALFORMED;
	proto = get16(b + off);
	while (is_tpid(proto)) {
		if (p->vlans == 2)
			return RP_TOO_DEEP;
		if (off + 6 > len)
			return RP_MALFORMED;
		off += 4;
		proto = get16(b + off);
		p->vlans++;
	}
	p->l3 = off + 2;
	if (proto == 0x0800)
		r = rp_ip4(p);
	else if (proto == 0x86dd)
		r = rp_ip6(p);
	else
		return RP_NOT_TCP;
	if (r != RP_OK && r != RP_FRAGMENT)
		return r;
	if (p->l4 + 20 > len)
		return RP_MALFORMED;
	p->doff_len = (b[p->l4 + 12] >> 4) * 4;
	if (p->doff_len < 20 || p->doff_len > p->tcp_len)
		return RP_MALFORMED;
	return r;
}

static const __u8 *rp_saddr(const struct rp *p)
{
	return p->b + p->l3 + (p->family == 6 ? 8 : 12);
}

static const __u8 *rp_daddr(const struct rp *p)
{
	return p->b + p->l3 + (p->family == 6 ? 24 : 16);
}

static int alen(const struct rp *p)
{
	return p->family == 6 ? 16 : 4;
}

static __u8 tcp_flags(const struct rp *p)
{
	return p->b[p->l4 + 13];
}

/* Is the segment of in its entry's own, as conn_own_segment() judges (the
 * entry as the fuzzer puts it: no FIN, nothing sent; its spaces starting at
 * in's numbers, or with elsewhere at 0)? Only an ACK can be anything else. */
static bool own_segment(const struct rp *in, bool elsewhere)
{
	__u32 seq = get32(in->b + in->l4 + 4), ack = get32(in->b + in->l4 + 8);

	if ((tcp_flags(in) & (F_ACK | F_RST | F_SYN)) != F_ACK || !elsewhere)
		return true;
	return seq + 1 <= 1 && ack <= 1;
}

static bool protected_port(__u16 port)
{
	return port == PORT_OPEN || (port >= PORT_RANGE_LO && port <= PORT_RANGE_HI);
}

/* RFC 1122 3.2.1.3, RFC 4291 2.5.2, 2.5.5.2, 2.7: nobody we may answer. */
static bool sane_source(const struct rp *p)
{
	const __u8 *s = rp_saddr(p), *d = rp_daddr(p);
	static const __u8 zero[16], v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (get16(p->b + p->l4) == 0 || (p->b[6] & 1))
		return false;
	if (!memcmp(s, d, alen(p)))
		return false;
	if (p->family == 4)
		return s[0] != 0 && s[0] != 127 && s[0] < 224;
	if (s[0] == 0xff || !memcmp(s, v4mapped, 12))
		return false;
	return memcmp(s, zero, 15) || (s[15] != 0 && s[15] != 1);
}

static bool tcp_csum_ok(const struct rp *p, const __u8 *sa, const __u8 *da)
{
	const __u8 *t = p->b + p->l4;

	return csum_fold(csum_partial(t, p->tcp_len, pseudo_sum(p->family, sa, da, p->tcp_len,
								   IPPROTO_TCP))) == 0;
}

/* --- invariants ---------------------------------------------------------- */

static const __u8 *cur_input;
static size_t cur_input_len;

static void dump_input(void)
{
	fprintf(stderr, "INVARIANT: input (%zu bytes):", cur_input_len);
	for (size_t i = 0; i < cur_input_len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", cur_input[i]);
	fprintf(stderr, "\n");
}

#define INVARIANT(cond, ...)                                           \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "INVARIANT: " __VA_ARGS__);    \
			fprintf(stderr, "\n");                         \
			dump_input();                                  \
			abort();                                       \
		}                                                      \
	} while (0)

static const char ckind[SO_C_MAX] = {
#define SO_X_KIND(id, key, kind, help) [SO_C_##id] = #kind[0],
	SO_COUNTERS(SO_X_KIND)
#undef SO_X_KIND
};

/* One branch per verdict counter: libFuzzer sees which verdict a frame got as
 * coverage, so it keeps inputs that reach new verdicts. */
static int verdict_of(const __s64 d[SO_C_MAX])
{
	int which = -1;

	for (int k = 0; k < SO_C_MAX; k++) {
		if (ckind[k] != 'V' || d[k] == 0)
			continue;
		INVARIANT(d[k] == 1 && which < 0, "verdict counters: %s %+lld, more than one +1",
			  counter_name(k), (long long)d[k]);
		which = k;
	}
	INVARIANT(which >= 0, "verdict counters: none rose");
	switch (which) {
#define SO_X_CASE(id, key, kind, help) \
	case SO_C_##id:                \
		return SO_C_##id;
		SO_COUNTERS(SO_X_CASE)
#undef SO_X_CASE
	}
	return which;
}

/* The frame that came out is a SYN-ACK answering the SYN in p. */
static void check_synack_out(const struct rp *in, const __u8 *out, __u32 out_len)
{
	struct rp o;
	const __u8 *t;
	__u32 seq = get32(in->b + in->l4 + 4);

	INVARIANT(rp_parse(&o, out, out_len) == RP_OK, "the SYN-ACK does not parse as TCP");
	INVARIANT(o.l3 == in->l3 && !memcmp(out + 12, in->b + 12, in->l3 - 12),
		  "SYN-ACK L2 header: tags or EtherType changed");
	INVARIANT(!memcmp(out, in->b + 6, 6) && !memcmp(out + 6, in->b, 6),
		  "SYN-ACK MACs not swapped");
	INVARIANT(o.family == in->family, "SYN-ACK family %d for a family %d SYN", o.family,
		  in->family);
	INVARIANT(!memcmp(rp_saddr(&o), rp_daddr(in), alen(in)) &&
			  !memcmp(rp_daddr(&o), rp_saddr(in), alen(in)),
		  "SYN-ACK addresses not the SYN's swapped");
	INVARIANT(o.l3 + o.ip_len == out_len, "SYN-ACK IP length %u, frame %u after L2", o.ip_len,
		  out_len - o.l3);
	if (o.family == 4) {
		INVARIANT(csum_fold(csum_partial(out + o.l3, (out[o.l3] & 15) * 4, 0)) == 0,
			  "SYN-ACK IPv4 header checksum");
		INVARIANT((get16(out + o.l3 + 6) & 0x3fff) == 0, "SYN-ACK is a fragment");
	} else {
		INVARIANT(o.exts == 0, "SYN-ACK with %d extension headers", o.exts);
	}
	t = out + o.l4;
	INVARIANT(get16(t) == get16(in->b + in->l4 + 2) && get16(t + 2) == get16(in->b + in->l4),
		  "SYN-ACK ports not the SYN's swapped");
	/* ECE only for an ECN-setup SYN (ECE and CWR), never CWR (RFC 3168 6.1.1) */
	INVARIANT((t[12] & 15) == 0 &&
			  (t[13] == 0x12 || (t[13] == 0x52 && (tcp_flags(in) & 0xc0) == 0xc0)),
		  "SYN-ACK flags 0x%x%02x, expected 0x012 (0x052 for an ECN-setup SYN)", t[12] & 15,
		  t[13]);
	INVARIANT(get32(t + 8) == seq + 1, "SYN-ACK ack 0x%x, expected SYN seq + 1 = 0x%x",
		  get32(t + 8), seq + 1);
	INVARIANT(o.doff_len == o.tcp_len, "SYN-ACK carries %u bytes of payload",
		  o.tcp_len - o.doff_len);
	INVARIANT(o.doff_len >= 24 && t[20] == 2 && t[21] == 4, "SYN-ACK without MSS first");
	INVARIANT(tcp_csum_ok(&o, rp_saddr(&o), rp_daddr(&o)), "SYN-ACK TCP checksum");
	INVARIANT(o.ip_len <= in->ip_len + 4, "SYN-ACK IP packet %u bytes, SYN's %u + 4",
		  o.ip_len, in->ip_len);
}

/* Why the input is not a SYN shakeoff must answer (NULL: it is one): a SYN
 * without ACK, RST and FIN to a protected port, from a sane source, with good
 * checksums, of a size a SYN can have (SYN_MAX_LEN, bpf/syncsum.h). */
/* Offset in the TCP header of the first option of this kind (and length,
 * unless 0), walked as the XDP program walks them; 0 if none. */
static __u32 option_at(const struct rp *p, __u8 want, __u8 want_len)
{
	const __u8 *t = p->b + p->l4;
	__u32 i = 20;

	while (i < p->doff_len) {
		__u8 kind = t[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= p->doff_len)
			break;
		olen = t[i + 1];
		if (olen < 2 || i + olen > p->doff_len)
			break;
		if (kind == want && (!want_len || olen == want_len))
			return i;
		i += olen;
	}
	return 0;
}

static const char *not_answerable(const struct rp *in, enum rp_result r)
{
	if (r != RP_OK)
		return "not a whole TCP segment";
	if ((tcp_flags(in) & (F_SYN | F_ACK | F_RST | F_FIN)) != F_SYN)
		return "not a SYN without ACK, RST and FIN";
	if (!protected_port(get16(in->b + in->l4 + 2)))
		return "to an unprotected port";
	if (!sane_source(in))
		return "from a source that cannot have sent it";
	if (in->tcp_len > 1536)
		return "longer than any SYN";
	if (in->family == 4 && csum_fold(csum_partial(in->b + in->l3, (in->b[in->l3] & 15) * 4, 0)))
		return "with a bad IPv4 header checksum";
	if (!tcp_csum_ok(in, rp_saddr(in), rp_daddr(in)))
		return "with a bad TCP checksum";
	if (option_at(in, 19, 0) || option_at(in, 29, 0))
		return "signed (TCP-MD5 or TCP-AO): the kernel's";
	return NULL;
}

/* --- valid cookies on demand (mode bit 6) --------------------------------- */

/* Offset of the timestamp option's TSval in the TCP header, or 0. */
static __u32 ts_option(const struct rp *p)
{
	__u32 i = option_at(p, 8, 10);

	return i ? i + 2 : 0;
}

/* Make the ACK in p (writable) carry a cookie the current key accepts now. */
static void forge_cookie(struct rp *p, __u8 *b)
{
	__u8 *t = b + p->l4;
	struct ref_flow f = { .family = p->family };
	__u32 ts = ts_option(p), isn;
	__u64 tai = tai_ns();

	memcpy(f.saddr, rp_saddr(p), alen(p));
	memcpy(f.daddr, rp_daddr(p), alen(p));
	memcpy(f.sport, t, 2);
	memcpy(f.dport, t + 2, 2);
	f.client_isn = get32(t + 4) - 1;
	if (ts) {
		__u32 tsecr = get32(t + ts + 4);

		tsecr = ref_ts_tsval(tai / 1000000, tsecr & 7, (tsecr >> 3) & 15, (tsecr >> 7) & 1,
				     (tsecr >> 8) & 1, cur_key_id());
		put32(t + ts + 4, tsecr);
		isn = ref_ts_isn(cur_key(), &f, tsecr);
	} else {
		isn = ref_nots_isn(cur_key(), &f,
				   tai >> SO_NOTS_PERIOD_SHIFT, ((get32(t + 8) - 1) >> 1) & 7);
	}
	put32(t + 8, isn + 1);
}

/* --- what the BPF side did, as coverage ------------------------------------ */

/* libFuzzer's extra counters: zeroed before each run, read after it. */
static volatile __u8 extra_counters[1 << 14]
	__attribute__((used, section("__libfuzzer_extra_counters")));

static void feature(__u32 a, __u32 b, __u32 c, __u32 d)
{
	__u32 h = 2166136261u;
	__u32 w[4] = { a, b, c, d };

	for (int i = 0; i < 4; i++)
		h = (h ^ w[i]) * 16777619u;
	extra_counters[h % sizeof(extra_counters)] = 1;
}

/* --- the runs ------------------------------------------------------------ */

static int cur_mode = -1;
static bool verbose; /* FUZZ_XDP_VERBOSE=1: one line per run on stderr */

static void set_mode(int mode)
{
	struct so_config cfg = default_cfg;

	if (mode == cur_mode)
		return;
	if (mode == 1)
		cfg.tx_mode = SO_TX_REDIRECT;
	else if (mode == 2)
		cfg.options = 0;
	else if (mode == 3)
		cfg.synack_rate = 2, cfg.synack_interval_ns = 500000000;
	if (set_config(&cfg)) {
		fprintf(stderr, "fuzz_xdp: cannot write the config map\n");
		abort();
	}
	cur_mode = mode;
}

static void flow_key(const struct rp *p, bool reverse, struct so_flow_key *k)
{
	const __u8 *t = p->b + p->l4;

	memset(k, 0, sizeof(*k));
	k->family = p->family == 6 ? SO_AF_INET6 : SO_AF_INET;
	memcpy(&k->sport, t + (reverse ? 2 : 0), 2);
	memcpy(&k->dport, t + (reverse ? 0 : 2), 2);
	memcpy(k->saddr, reverse ? rp_daddr(p) : rp_saddr(p), alen(p));
	memcpy(k->daddr, reverse ? rp_saddr(p) : rp_daddr(p), alen(p));
}

static void check_entry(const struct so_flow_key *k)
{
	struct so_conn c;

	if (!conn_get(k, &c))
		return;
	INVARIANT(c.state < SO_ST_CLOSED, "entry in state %u", c.state);
	INVARIANT(c.closed_by <= SO_CLOSER_SERVER, "entry closed_by %u", c.closed_by);
	INVARIANT(!(c.flags & ~(SO_CF_CLIENT_FIN | SO_CF_CLIENT_FIN_ACKED | SO_CF_SERVER_FIN |
			     SO_CF_SERVER_FIN_ACKED | SO_CF_UNCONFIRMED)),
		  "entry flags 0x%x", c.flags);
	INVARIANT(!(c.flags & SO_CF_CLIENT_FIN_ACKED) || (c.flags & SO_CF_CLIENT_FIN),
		  "client FIN acked, never seen");
	INVARIANT(!(c.flags & SO_CF_SERVER_FIN_ACKED) || (c.flags & SO_CF_SERVER_FIN),
		  "server FIN acked, never seen");
}

static void run_tc_prog(bool ingress, const __u8 *frame, __u32 len)
{
	static __u8 out[4096];
	__u64 before[SO_C_MAX], after[SO_C_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	int err;

	read_counters(before);
	err = bpf_prog_test_run_opts(tc_prog_fd(ingress), &o) ? errno : 0;
	read_counters(after);
	/* BPF_PROG_RUN refuses some skbs (an IPv4 EtherType with no room for
	 * the header, say): the program never ran, nothing to check */
	if (err == EINVAL)
		return;
	INVARIANT(err == 0, "BPF_PROG_RUN of %s: %s", ingress ? "tc_ingress" : "tc_egress",
		  strerror(err));
	INVARIANT(o.retval == TC_ACT_OK, "%s returned %u, expected TC_ACT_OK",
		  ingress ? "tc_ingress" : "tc_egress", o.retval);
	for (int k = 0; k < SO_C_MAX; k++)
		INVARIANT(after[k] == before[k] || (!ingress && ckind[k] == 'T'),
			  "%s changed counter %s by %lld", ingress ? "tc_ingress" : "tc_egress",
			  counter_name(k), (long long)(after[k] - before[k]));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_XDP_VERBOSE") != NULL;
	if (env_setup()) {
		fprintf(stderr, "fuzz_xdp: cannot set up (root? BPF object?)\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 out[PKT_MAX + 64], buf[PKT_MAX];
	__u64 before[SO_C_MAX], after[SO_C_MAX];
	__s64 d[SO_C_MAX];
	struct xdp_md ctx = { 0 }, ctx_out = { 0 };
	struct so_flow_key kc, ks;
	struct rp in;
	enum rp_result r;
	const __u8 *frame = buf;
	__u32 len = size - 1, meta, flen;
	struct so_flow_key mkey;
	struct so_meta mmap;
	bool in_map;
	int mode, v, tracked = 0, state = 0, entries;
	const char *why;

	if (size < 1 + 14 || size > 1 + PKT_MAX)
		return -1; /* BPF_PROG_RUN takes no frame shorter than Ethernet */
	cur_input = data;
	cur_input_len = size;
	memcpy(buf, data + 1, len);
	mode = data[0] & 3;
	set_mode(mode);
	if (mode == 3)
		budget_reset();
	r = rp_parse(&in, frame, len);
	if ((data[0] & 0x40) && r == RP_OK && (tcp_flags(&in) & (F_SYN | F_ACK | F_RST)) == F_ACK)
		forge_cookie(&in, buf);
	if ((data[0] & 4) && (r == RP_OK || r == RP_FRAGMENT)) {
		struct so_conn c = { .state = (data[0] >> 3) % SO_ST_CLOSED };

		/* the entry's sequence spaces start at this segment's numbers
		 * (its own segment), or with 0x80 elsewhere (0, nothing sent:
		 * an ACK there may be a new connection's, bpf/track.h) */
		if (!(data[0] & 0x80) && r == RP_OK) {
			c.fin_seq_client = get32(in.b + in.l4 + 4);
			c.fin_seq_server = get32(in.b + in.l4 + 8);
		}
		state = c.state;
		if (state == SO_ST_SYN_RECEIVED) { /* assigned, not yet confirmed */
			c.state = SO_ST_ESTABLISHED;
			c.flags = SO_CF_UNCONFIRMED;
		}
		flow_key(&in, false, &kc);
		flow_key(&in, true, &ks);
		if (conn_put(&kc, &c) == 0 && conn_put(&ks, &c) == 0)
			tracked = 1;
	}
	entries = conns_count();

	ctx.data_end = len;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .ctx_out = &ctx_out, .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	read_counters(before);
	INVARIANT(bpf_prog_test_run_opts(xdp_prog_fd(), &o) == 0, "BPF_PROG_RUN of xdp: %s",
		  strerror(errno));
	read_counters(after);
	for (int k = 0; k < SO_C_MAX; k++)
		d[k] = (__s64)(after[k] - before[k]);
	meta = ctx_out.data;
	flen = o.data_size_out - meta;

	INVARIANT(o.retval != XDP_ABORTED, "XDP_ABORTED");
	INVARIANT(o.retval == XDP_DROP || o.retval == XDP_PASS ||
			  o.retval == (mode == 1 ? XDP_REDIRECT : XDP_TX),
		  "verdict %u in tx mode %d", o.retval, mode == 1);
	v = verdict_of(d);
	feature(1, v, mode | (data[0] & 0x40), tracked ? state : 99);
	if (verbose)
		fprintf(stderr, "fuzz_xdp: mode 0x%02x, parse %d, %s, %s, %u bytes of metadata\n",
			data[0], r, xdp_verdict_name(o.retval), counter_name(v), meta);
	feature(6, r, in.vlans << 8 | in.exts, in.family);
	for (int k = 0; k < SO_C_MAX; k++)
		if (d[k] && ckind[k] != 'V')
			feature(2, k, v, 0);
	if (o.retval == XDP_TX || o.retval == XDP_REDIRECT)
		feature(5, flen - in.l3, in.family, 0);
	{
		bool syn = r == RP_OK && (tcp_flags(&in) & (F_SYN | F_ACK)) == F_SYN &&
			   protected_port(get16(in.b + in.l4 + 2));

		INVARIANT(d[SO_C_SYN_SEEN] == syn, "syn_seen %+lld for a frame that is %sa SYN "
			  "to a protected port", (long long)d[SO_C_SYN_SEEN], syn ? "" : "not ");
	}
	if (o.retval == XDP_TX || o.retval == XDP_REDIRECT) {
		INVARIANT(v == SO_C_SYNACK_SENT, "sent, counted as %s", counter_name(v));
		INVARIANT(meta == 0, "a SYN-ACK behind %u bytes of metadata", meta);
		why = not_answerable(&in, r);
		INVARIANT(!why, "answered a frame %s", why);
		check_synack_out(&in, out, flen);
	} else {
		INVARIANT(v != SO_C_SYNACK_SENT, "synack_sent, but %s",
			  o.retval == XDP_PASS ? "XDP_PASS" : "XDP_DROP");
		/* no bypass: every SYN we must answer is answered (one for a
		 * 4-tuple in time_wait is the kernel's, by design) */
		INVARIANT((tracked && state == SO_ST_TIME_WAIT) || not_answerable(&in, r),
			  "a SYN to answer got %s, counted %s",
			  xdp_verdict_name(o.retval), counter_name(v));
	}
	/* the decoded cookie: in front of the frame, or in ackmeta */
	in_map = ackmeta_pop(&mkey, &mmap);
	if (o.retval == XDP_PASS && (meta || in_map)) {
		const struct so_meta *m = in_map ? &mmap : (const void *)out;

		INVARIANT(v == SO_C_ACK_COOKIE_VALID, "metadata, counted as %s", counter_name(v));
		INVARIANT(meta == (env_xdp_meta ? sizeof(struct so_meta) : 0) && in_map == !env_xdp_meta,
			  "%u bytes of metadata, %s ackmeta entry", meta, in_map ? "an" : "no");
		INVARIANT(m->magic == SO_META_MAGIC, "metadata magic 0x%x", m->magic);
		INVARIANT(r == RP_OK && (tcp_flags(&in) & (F_SYN | F_ACK | F_RST)) == F_ACK &&
				  protected_port(get16(in.b + in.l4 + 2)),
			  "metadata for a frame that is no ACK to a protected port");
	} else {
		INVARIANT(v != SO_C_ACK_COOKIE_VALID, "ack_cookie_valid without metadata");
		INVARIANT(!in_map, "an ackmeta entry after %s", xdp_verdict_name(o.retval));
	}
	if (o.retval == XDP_PASS)
		INVARIANT(flen == len && !memcmp(out + meta, frame, len),
			  "XDP_PASS changed the frame");
	if (tracked && r == RP_OK && (tcp_flags(&in) & (F_SYN | F_ACK)) != F_SYN &&
	    protected_port(get16(in.b + in.l4 + 2)) && state != SO_ST_SYN_RECEIVED &&
	    own_segment(&in, data[0] & 0x80))
		INVARIANT(o.retval == XDP_PASS && v == SO_C_PASSED_TRACKED,
			  "a segment of a tracked connection (%d) got %s", state, counter_name(v));
	if (tracked && !not_answerable(&in, r)) {
		struct so_conn c;

		/* a SYN for a 4-tuple in time_wait is the kernel's: the client
		 * reuses the port and the entry's connection is over; in any
		 * other state it is answered like every SYN, the entry kept */
		if (state == SO_ST_TIME_WAIT)
			INVARIANT(o.retval == XDP_PASS && v == SO_C_PASSED_TIME_WAIT,
				  "a SYN of a 4-tuple in time_wait got %s", counter_name(v));
		INVARIANT(conn_get(&kc, &c) == (state != SO_ST_TIME_WAIT) &&
				  d[SO_C_CLOSED_GRACEFUL] == (state == SO_ST_TIME_WAIT),
			  "a SYN of a tracked 4-tuple in state %d: entry %s, closed_graceful %+lld",
			  state, conn_get(&kc, &c) ? "kept" : "gone",
			  (long long)d[SO_C_CLOSED_GRACEFUL]);
	}
	INVARIANT(conns_count() <= entries, "xdp_shakeoff inserted into conns");

	run_tc_prog(true, frame, len);
	run_tc_prog(false, frame, len);
	INVARIANT(conns_count() <= entries, "tc_egress inserted into conns");
	if (tracked) {
		struct so_conn c;

		check_entry(&kc);
		check_entry(&ks);
		feature(4, state, conn_get(&kc, &c) ? c.state << 8 | c.flags : 999, 0);
		feature(4, state, conn_get(&ks, &c) ? c.state << 8 | c.flags : 999, 1);
		conns_clear();
	}
	return 0;
}
