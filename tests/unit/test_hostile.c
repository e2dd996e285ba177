// SPDX-License-Identifier: GPL-2.0
/*
 * test_hostile.c - hostile input (issue 4): no bypass, no reflection, no
 * amplification, the SYN-ACK budget, no forged connection.
 *
 *   no bypass      SYNs in 802.1Q and QinQ frames and IPv6 SYNs behind
 *                  extension headers are answered like plain ones; deeper
 *                  nesting than shakeoff walks is dropped, not passed.
 *   reflection     no reply to a source that cannot have sent a SYN.
 *   amplification  checked on every SYN-ACK of every group by check_synack()
 *                  (synack_check.c): reply IP packet <= SYN IP packet + 4.
 *   budget         --synack-rate: GCRA per CPU, a burst of one second's worth.
 *   forged         ten million random ACKs: none passes with metadata unless
 *                  the reference cookie (ref.c) says it is valid by chance.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "cases.h"
#include "harness.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define V4(...) { .family = 4, __VA_ARGS__ }
#define V6(...) { .family = 6, __VA_ARGS__ }
#define LINUX(m, w) .opts = O_LINUX, .mss = (m), .wscale = (w)
#define ALL (R_TS | R_SACK | R_WS)

/* VLAN tags: 802.1Q (C-tag) and 802.1ad (S-tag), outermost first. */
#define DOT1Q(tci) { 0x8100, (tci) }
#define DOT1AD(tci) { 0x88a8, (tci) }
#define TAGS(...) .nvlans = sizeof((struct vlan_spec[]){ __VA_ARGS__ }) / sizeof(struct vlan_spec), \
		  .vlan = { __VA_ARGS__ }
#define QINQ TAGS(DOT1AD(0x00c8), DOT1Q(0x0064))

/* IPv6 extension headers, in order; hdrlen n means 8 * (n + 1) bytes. */
#define HOP(n) { IPPROTO_HOPOPTS, (n) }
#define RT(n) { IPPROTO_ROUTING, (n) }
#define DST(n) { IPPROTO_DSTOPTS, (n) }
#define FRAG(off, m) { IPPROTO_FRAGMENT, 0, (off) << 3 | (m) }
#define EXT(...) .n_ext = sizeof((struct ext_spec[]){ __VA_ARGS__ }) / sizeof(struct ext_spec), \
		 .ext = { __VA_ARGS__ }

/* --- SYNs that must be answered ------------------------------------------ */

/*
 * IPv6: the SYN-ACK carries no extension headers, whatever the SYN had. This
 * is the design: hop-by-hop and destination options are for the path and the
 * receiver (the reply needs none of them), and a routing header with no
 * segments left names no route back. check_synack() checks the reply at
 * fixed offsets after the IPv6 header and its TCP checksum over the pseudo-
 * header of the reply's own addresses; the SYN's checksum (pktbuild) covers
 * its TCP segment only, so a SYN whose extension headers were summed in by
 * mistake would be dropped as drop_bad_tcp_csum, not answered.
 */
struct syn_case {
	const char *name;
	struct pkt_spec in;
	struct synack_exp exp; /* { mss_idx, R_* in the reply, client ws } */
};

static const struct syn_case syn_cases[] = {
	{ "syn4_vlan_8021q",        V4(LINUX(1460, 7), TAGS(DOT1Q(0x0064))),          { 6, ALL, 7 } },
	{ "syn4_vlan_pcp_dei",      V4(LINUX(1460, 7), TAGS(DOT1Q(0xf064))),          { 6, ALL, 7 } },
	{ "syn4_vlan_8021ad_only",  V4(LINUX(1460, 7), TAGS(DOT1AD(0x0fff))),         { 6, ALL, 7 } },
	{ "syn4_qinq",              V4(LINUX(1460, 7), QINQ),                         { 6, ALL, 7 } },
	{ "syn4_qinq_no_opts",      V4(QINQ),                                         { 0, 0 } },
	{ "syn4_double_8021q",      V4(LINUX(1460, 7), TAGS(DOT1Q(0x0001), DOT1Q(0x0002))), { 6, ALL, 7 } },
	{ "syn4_qinq_ip_options",   V4(LINUX(1460, 7), QINQ, .ipopt_len = 12),        { 6, ALL, 7 } },
	{ "syn4_qinq_payload",      V4(.opts = O_MSS, .mss = 1460, QINQ, .payload_len = 33), { 6, 0 } },
	{ "syn6_vlan_8021q",        V6(LINUX(1440, 7), TAGS(DOT1Q(0x0064))),          { 6, ALL, 7 } },
	{ "syn6_qinq",              V6(LINUX(1440, 7), QINQ),                         { 6, ALL, 7 } },
	{ "syn6_ext_hopopts",       V6(LINUX(1440, 7), EXT(HOP(0))),                  { 6, ALL, 7 } },
	{ "syn6_ext_routing",       V6(LINUX(1440, 7), EXT(RT(2))),                   { 6, ALL, 7 } },
	{ "syn6_ext_dstopts",       V6(LINUX(1440, 7), EXT(DST(0))),                  { 6, ALL, 7 } },
	{ "syn6_ext_dstopts_long",  V6(LINUX(1440, 7), EXT(DST(30))),                 { 6, ALL, 7 } },
	{ "syn6_ext_chain_4",       V6(LINUX(1440, 7), EXT(HOP(0), DST(1), RT(2), DST(0))), { 6, ALL, 7 } },
	{ "syn6_ext_chain_6_max",   V6(LINUX(1440, 7), EXT(HOP(0), DST(0), RT(0), DST(0), DST(0), DST(0))), { 6, ALL, 7 } },
	{ "syn6_ext_chain_no_opts", V6(EXT(HOP(0), RT(0), DST(0))),                  { 0, 0 } },
	{ "syn6_ext_payload_odd",   V6(.opts = O_MSS, .mss = 1440, EXT(HOP(1)), .payload_len = 7), { 6, 0 } },
	{ "syn6_qinq_ext_chain",    V6(LINUX(1440, 7), QINQ, EXT(HOP(0), DST(0))),    { 6, ALL, 7 } },
	/* the longest SYN shakeoff answers: 1536 bytes of TCP (SYN_MAX_LEN) */
	{ "syn4_tcp_1536_bytes",    V4(.opts = O_MSS, .mss = 1460, .payload_len = 1536 - 24), { 6, 0 } },
	{ "syn6_tcp_1536_bytes",    V6(.opts = O_MSS, .mss = 1440, .payload_len = 1536 - 24), { 6, 0 } },
};

static void run_syn_case(const struct syn_case *c)
{
	static struct xdp_result r;
	struct frame f;

	if (pkt_build(&c->in, &f)) {
		case_fail("cannot build the SYN");
		return;
	}
	if (run_xdp(&f, 0, &r) == 0) {
		check_xdp(&r, XDP_TX, C(SYN_SEEN) | C(SYNACK_SENT));
		if (r.verdict == XDP_TX)
			check_synack(&c->in, &f, &r, &c->exp);
	}
	if (case_failed()) {
		dump("SYN in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
}

/* --- frames that must be dropped or passed -------------------------------- */

#define SYN_DROP(reason) XDP_DROP, C(SYN_SEEN) | C(reason)
#define BAD_SOURCE SYN_DROP(DROP_BAD_SOURCE)
#define PASSED XDP_PASS, C(PASSED), true

static const __u8 mac_mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const __u8 mac_mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct drop_case {
	const char *name;
	struct pkt_spec in;
	__u32 verdict;
	__u64 counters;
	bool same; /* the frame must come out unchanged */
};

static const struct drop_case drop_cases[] = {
	/* nested deeper than shakeoff walks: dropped, never passed unseen */
	{ "syn4_vlan_3_tags",        V4(LINUX(1460, 7), TAGS(DOT1AD(1), DOT1Q(2), DOT1Q(3))), XDP_DROP, C(DROP_TOO_DEEP) },
	{ "syn6_vlan_3_tags",        V6(LINUX(1440, 7), TAGS(DOT1Q(1), DOT1Q(2), DOT1Q(3))),  XDP_DROP, C(DROP_TOO_DEEP) },
	{ "syn6_ext_chain_7",        V6(LINUX(1440, 7), EXT(HOP(0), DST(0), RT(0), DST(0), DST(0), DST(0), DST(0))), XDP_DROP, C(DROP_TOO_DEEP) },
	/* truncated inside the headers */
	{ "vlan_tag_truncated",      V4(TAGS(DOT1Q(1), DOT1Q(2)), .truncate = 16),     XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_past_end",       V6(LINUX(1440, 7), EXT({ IPPROTO_HOPOPTS, 0, 0, 200 })), XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_past_end_2nd",   V6(EXT(HOP(0), { IPPROTO_DSTOPTS, 0, 0, 255 })), XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_truncated",      V6(EXT(HOP(0), DST(2)), .truncate = 14 + 40 + 8 + 4), XDP_DROP, C(DROP_MALFORMED) },
	/* no SYN is that long: 1537 bytes of TCP */
	{ "syn4_tcp_1537_bytes",     V4(.opts = O_MSS, .mss = 1460, .payload_len = 1537 - 24), SYN_DROP(DROP_MALFORMED) },
	{ "syn6_tcp_1537_bytes",     V6(.opts = O_MSS, .mss = 1440, .payload_len = 1537 - 24), SYN_DROP(DROP_MALFORMED) },
	/* a SYN-ACK to the server's port (backscatter of a spoofed SYN): no socket */
	{ "synack4_to_protected",    V4(.flags = F_SYN | F_ACK, .ack = 0x1000),       XDP_DROP, C(DROP_NO_SOCKET) },
	{ "synack6_to_protected",    V6(.flags = F_SYN | F_ACK, .ack = 0x1000),       XDP_DROP, C(DROP_NO_SOCKET) },
	/* IPv6 fragments: a first fragment to a protected port is never a SYN we answer */
	{ "frag6_first_protected",   V6(LINUX(1440, 7), EXT(FRAG(0, 1))),             XDP_DROP, C(DROP_FRAGMENT) },
	{ "frag6_atomic_protected",  V6(LINUX(1440, 7), EXT(FRAG(0, 0))),             XDP_DROP, C(DROP_FRAGMENT) },
	{ "frag6_first_behind_hop",  V6(LINUX(1440, 7), EXT(HOP(0), FRAG(0, 1))),     XDP_DROP, C(DROP_FRAGMENT) },
	{ "frag6_first_unprotected", V6(EXT(FRAG(0, 1)), .dport = 81),                PASSED },
	{ "frag6_later_protected",   V6(EXT(FRAG(100, 1))),                           PASSED },
	{ "frag6_last_protected",    V6(EXT(FRAG(100, 0))),                           PASSED },
	{ "frag4_first_vlan",        V4(LINUX(1460, 7), TAGS(DOT1Q(5)), .frag = 0x2000), XDP_DROP, C(DROP_FRAGMENT) },
	/* not shakeoff's, behind tags or extension headers: passed unchanged */
	{ "syn4_qinq_unprotected",   V4(LINUX(1460, 7), QINQ, .dport = 81),           PASSED },
	{ "syn6_ext_unprotected",    V6(LINUX(1440, 7), EXT(HOP(0)), .dport = 81),    PASSED },
	{ "arp_in_qinq",             V4(.eth_proto = ETH_P_ARP, QINQ),                PASSED },
	{ "ip6_ext_no_next_header",  V6(EXT(HOP(0)), .next_hdr = 59),                 PASSED },
	{ "udp6_behind_dstopts",     V6(.l4 = IPPROTO_UDP, EXT(DST(0)), .payload_len = 20), PASSED },
	/* reflection: IPv4 sources that cannot have sent a SYN */
	{ "syn4_src_unspecified",    V4(LINUX(1460, 7), .saddr = "0.0.0.0"),          BAD_SOURCE },
	{ "syn4_src_this_network",   V4(LINUX(1460, 7), .saddr = "0.1.2.3"),          BAD_SOURCE },
	{ "syn4_src_loopback",       V4(LINUX(1460, 7), .saddr = "127.0.0.1"),        BAD_SOURCE },
	{ "syn4_src_loopback_other", V4(LINUX(1460, 7), .saddr = "127.1.2.3"),        BAD_SOURCE },
	{ "syn4_src_multicast",      V4(LINUX(1460, 7), .saddr = "224.0.0.1"),        BAD_SOURCE },
	{ "syn4_src_multicast_high", V4(LINUX(1460, 7), .saddr = "239.255.255.250"),  BAD_SOURCE },
	{ "syn4_src_reserved",       V4(LINUX(1460, 7), .saddr = "240.0.0.1"),        BAD_SOURCE },
	{ "syn4_src_broadcast",      V4(LINUX(1460, 7), .saddr = "255.255.255.255"),  BAD_SOURCE },
	{ "syn4_src_is_dst",         V4(LINUX(1460, 7), .saddr = "198.18.0.2"),       BAD_SOURCE },
	{ "syn4_sport_0",            V4(LINUX(1460, 7), .zero_sport = true),        BAD_SOURCE },
	{ "syn4_src_mac_multicast",  V4(LINUX(1460, 7), .src_mac = mac_mcast4),       BAD_SOURCE },
	{ "syn4_src_mac_broadcast",  V4(LINUX(1460, 7), .src_mac = mac_bcast),        BAD_SOURCE },
	{ "syn4_qinq_src_loopback",  V4(LINUX(1460, 7), QINQ, .saddr = "127.0.0.1"),  BAD_SOURCE },
	/* reflection: IPv6 */
	{ "syn6_src_unspecified",    V6(LINUX(1440, 7), .saddr = "::"),               BAD_SOURCE },
	{ "syn6_src_loopback",       V6(LINUX(1440, 7), .saddr = "::1"),              BAD_SOURCE },
	{ "syn6_src_multicast",      V6(LINUX(1440, 7), .saddr = "ff02::1"),          BAD_SOURCE },
	{ "syn6_src_multicast_site", V6(LINUX(1440, 7), .saddr = "ff05::2"),          BAD_SOURCE },
	{ "syn6_src_v4_mapped",      V6(LINUX(1440, 7), .saddr = "::ffff:198.18.0.1"), BAD_SOURCE },
	{ "syn6_src_is_dst",         V6(LINUX(1440, 7), .saddr = "2001:2::2"),        BAD_SOURCE },
	{ "syn6_sport_0",            V6(LINUX(1440, 7), .zero_sport = true),        BAD_SOURCE },
	{ "syn6_src_mac_multicast",  V6(LINUX(1440, 7), .src_mac = mac_mcast6),       BAD_SOURCE },
	{ "syn6_ext_src_loopback",   V6(LINUX(1440, 7), EXT(HOP(0)), .saddr = "::1"), BAD_SOURCE },
};

static void run_drop_case(const struct drop_case *c)
{
	static struct xdp_result r;
	struct frame f;

	if (pkt_build(&c->in, &f)) {
		case_fail("cannot build the frame");
		return;
	}
	if (run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, c->verdict, c->counters);
	if (c->same && check_u64(r.out_len, f.len, "frame length (unchanged)"))
		check_bytes(r.out, f.b, f.len, "frame (unchanged)");
	if (case_failed()) {
		dump("in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
}

/* --- third ACKs in the same encapsulation as their SYN ------------------- */

struct encap_ack_case {
	const char *name;
	struct pkt_spec syn;
	struct meta_exp meta;
};

static const struct encap_ack_case encap_ack_cases[] = {
	{ "ack4_vlan_8021q_third",  V4(LINUX(1460, 9), TAGS(DOT1Q(0x0064))), { 1460, 1, 9, 7, 1, 1 } },
	{ "ack4_qinq_third",        V4(LINUX(1460, 9), QINQ),                { 1460, 1, 9, 7, 1, 1 } },
	{ "ack4_qinq_third_no_ts",  V4(.opts = O_MSS, .mss = 1400, QINQ),    { 1400, 0, 0, 0, 0, 0 } },
	{ "ack6_vlan_8021q_third",  V6(LINUX(1440, 9), TAGS(DOT1Q(0x0064))), { 1440, 1, 9, 7, 1, 1 } },
	{ "ack6_qinq_third",        V6(LINUX(1440, 9), QINQ),                { 1440, 1, 9, 7, 1, 1 } },
	{ "ack6_ext_chain_third",   V6(LINUX(1440, 9), EXT(HOP(0), DST(1))), { 1440, 1, 9, 7, 1, 1 } },
	{ "ack6_qinq_ext_third",    V6(LINUX(1440, 9), QINQ, EXT(RT(2))),    { 1440, 1, 9, 7, 1, 1 } },
};

static void run_encap_ack_case(const struct encap_ack_case *c)
{
	static struct xdp_result r;
	struct synack_seen seen;
	struct pkt_spec a;
	struct frame f;

	if (pkt_build(&c->syn, &f) || run_xdp(&f, 0, &r))
		return;
	if (!check_u64(r.verdict, XDP_TX, "the SYN's verdict (XDP_TX)"))
		return;
	synack_read(&r, c->syn.family, &seen);
	a = c->syn;
	a.seq = spec_seq(&c->syn) + 1;
	a.ack = seen.isn + 1;
	a.flags = F_ACK;
	a.window = 502;
	a.opts = seen.ts ? O_TS : 0;
	a.mss = a.wscale = 0;
	a.tsval = spec_tsval(&c->syn) + 7;
	a.tsecr = seen.tsval;
	a.payload_len = 0;
	if (pkt_build(&a, &f) || run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, XDP_PASS, C(ACK_COOKIE_VALID));
	if (r.verdict == XDP_PASS) {
		check_meta(&r, &c->meta, &a);
		if (check_u64(r.out_len - r.meta_len, f.len, "frame length after the metadata"))
			check_bytes(r.out + r.meta_len, f.b, f.len,
				    "frame after the metadata (unchanged, tags and all)");
	}
	if (case_failed()) {
		dump("ACK in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
}

/* --- the SYN-ACK budget (--synack-rate) ------------------------------------ */

#define RATE 100                          /* SYN-ACKs per second per CPU */
#define RATE_INTERVAL (1000000000u / RATE) /* synack_interval_ns */

/* n SYNs like base from distinct ports, as fast as BPF_PROG_RUN goes (no
 * counter reads in between); returns how many came back with verdict want,
 * and in *first_drop the index of the first that did not (n if none). */
static int burst_of(const struct pkt_spec *base, __u32 want, int n, int *first_drop,
		    bool *tx_after_drop, __u64 *ns)
{
	struct pkt_spec s = *base;
	static __u8 out[PKT_MAX];
	struct frame f;
	int tx = 0;
	__u64 t0;

	*first_drop = n;
	*tx_after_drop = false;
	t0 = mono_ns();
	for (int i = 0; i < n; i++) {
		struct xdp_md ctx = { .data = 0 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);

		s.sport = 20000 + i;
		if (pkt_build(&s, &f))
			return -1;
		o.data_size_in = f.len;
		ctx.data_end = f.len;
		if (bpf_prog_test_run_opts(xdp_prog_fd(), &o)) {
			case_fail("BPF_PROG_RUN: %s", strerror(errno));
			return -1;
		}
		if (o.retval == want) {
			tx++;
			if (*first_drop < n)
				*tx_after_drop = true;
		} else if (*first_drop == n) {
			*first_drop = i;
		}
	}
	*ns = mono_ns() - t0;
	return tx;
}

static int syn_burst(int n, int *first_drop, bool *tx_after_drop, __u64 *ns)
{
	struct pkt_spec s = V4(LINUX(1460, 7));

	return burst_of(&s, XDP_TX, n, first_drop, tx_after_drop, ns);
}

static bool budget_config(__u64 interval)
{
	struct so_config cfg = default_cfg;

	cfg.synack_rate = interval ? (__u32)(libbpf_num_possible_cpus() * 1000000000ULL / interval) : 0;
	cfg.synack_interval_ns = interval;
	if (set_config(&cfg) || budget_reset()) {
		case_fail("cannot write the config or budget map: %s", strerror(errno));
		return false;
	}
	return true;
}

/* A burst from a full budget: RATE SYN-ACKs, then drop_rate_limited. */
static void budget_burst(void)
{
	__u64 before[SO_C_MAX], after[SO_C_MAX], ns;
	int n = RATE + 50, first_drop, tx;
	bool late_tx;

	if (!budget_config(RATE_INTERVAL))
		return;
	read_counters(before);
	tx = syn_burst(n, &first_drop, &late_tx, &ns);
	read_counters(after);
	if (tx < 0)
		return;
	if (ns >= RATE_INTERVAL) {
		case_skip("the burst took %llu ns, longer than one interval (%u ns): the budget "
			  "refilled during it", (unsigned long long)ns, RATE_INTERVAL);
		return;
	}
	check_u64(tx, RATE, "SYN-ACKs of a burst from a full budget");
	check_u64(first_drop, RATE, "index of the first SYN over the budget");
	check_true(!late_tx, "no SYN-ACK after the first drop within the burst");
	check_u64(after[SO_C_SYN_SEEN] - before[SO_C_SYN_SEEN], n, "syn_seen");
	check_u64(after[SO_C_SYNACK_SENT] - before[SO_C_SYNACK_SENT], RATE, "synack_sent");
	check_u64(after[SO_C_DROP_RATE_LIMITED] - before[SO_C_DROP_RATE_LIMITED], n - RATE,
		  "drop_rate_limited");
}

/* The budget refills at RATE per second: after a pause, about pause/interval
 * more (one either way for the timing of the pause's ends). */
static void budget_refill(void)
{
	int first_drop, tx;
	bool late_tx;
	__u64 ns, t0, pause;
	char what[120];

	if (!budget_config(RATE_INTERVAL))
		return;
	if (syn_burst(RATE + 20, &first_drop, &late_tx, &ns) < 0)
		return;
	t0 = mono_ns();
	usleep(50000);
	pause = mono_ns() - t0;
	tx = syn_burst(40, &first_drop, &late_tx, &ns);
	if (tx < 0)
		return;
	snprintf(what, sizeof(what),
		 "SYN-ACKs after a pause of %llu us: %d, expected %llu +- 1",
		 (unsigned long long)pause / 1000, tx,
		 (unsigned long long)(pause / RATE_INTERVAL));
	check_true(tx + 1 >= (int)(pause / RATE_INTERVAL) &&
			   tx <= (int)((pause + ns) / RATE_INTERVAL) + 1,
		   what);
}

/* Per CPU: a budget spent on one CPU leaves another's full. */
static void budget_per_cpu(void)
{
	int first_drop, tx, other;
	bool late_tx;
	__u64 ns;

	if (libbpf_num_possible_cpus() < 2 || sched_getcpu() < 0) {
		case_skip("one CPU only");
		return;
	}
	other = sched_getcpu() == 0 ? 1 : 0;
	if (!budget_config(RATE_INTERVAL))
		return;
	if (syn_burst(RATE + 10, &first_drop, &late_tx, &ns) < 0)
		return;
	if (pin_to(other)) {
		case_skip("cannot move to CPU %d: %s", other, strerror(errno));
		return;
	}
	tx = syn_burst(RATE + 10, &first_drop, &late_tx, &ns);
	if (tx >= 0 && ns < RATE_INTERVAL)
		check_u64(tx, RATE, "SYN-ACKs on the other CPU (its own full budget)");
}

/* Less than one SYN-ACK a second per CPU (--synack-rate 1 on two CPUs: an
 * interval of 2 s): one, then nothing, however long the burst; the
 * tolerance must not wrap around into "unlimited". */
static void budget_below_one_per_cpu(void)
{
	int first_drop, tx;
	bool late_tx;
	__u64 ns;

	if (!budget_config(2000000000ULL))
		return;
	tx = syn_burst(50, &first_drop, &late_tx, &ns);
	if (tx < 0)
		return;
	if (ns >= 2000000000ULL) {
		case_skip("the burst took %llu ns, longer than one interval", (unsigned long long)ns);
		return;
	}
	check_u64(tx, 1, "SYN-ACKs of a burst at one per 2 s per CPU");
	check_u64(first_drop, 1, "index of the first SYN over the budget");
}

/* synack_interval_ns 0: no budget at all. */
static void budget_unlimited(void)
{
	int first_drop, tx, n = 20 * RATE;
	bool late_tx;
	__u64 ns;

	if (!budget_config(0))
		return;
	tx = syn_burst(n, &first_drop, &late_tx, &ns);
	if (tx >= 0)
		check_u64(tx, n, "SYN-ACKs without a budget");
}

/* --signed-rate: signed SYNs (TCP-MD5 here) go to the kernel within their
 * own budget, then are dropped; the SYN-ACK budget is not touched, and an
 * allowed source skips the budget. Interval 0: none passes. */
static const __u8 md5_syn_opts[] = {
	1, 1, 19, 18, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
};

static bool signed_config(__u64 interval)
{
	struct so_config cfg = default_cfg;

	cfg.signed_interval_ns = interval;
	cfg.synack_interval_ns = RATE_INTERVAL; /* a SYN-ACK budget too: not spent */
	if (set_config(&cfg) || budget_reset() || signed_budget_reset()) {
		case_fail("cannot write the config or budget maps: %s", strerror(errno));
		return false;
	}
	return true;
}

static void signed_burst(void)
{
	struct pkt_spec s = V4(.raw_opts = md5_syn_opts, .raw_len = sizeof(md5_syn_opts));
	__u64 before[SO_C_MAX], after[SO_C_MAX], ns;
	int n = RATE + 50, first_drop, passed;
	bool late;

	if (!signed_config(RATE_INTERVAL))
		return;
	read_counters(before);
	passed = burst_of(&s, XDP_PASS, n, &first_drop, &late, &ns);
	read_counters(after);
	if (passed < 0)
		return;
	if (ns >= RATE_INTERVAL) {
		case_skip("the burst took %llu ns, longer than one interval", (unsigned long long)ns);
		return;
	}
	check_u64(passed, RATE, "signed SYNs passed from a full budget");
	check_u64(first_drop, RATE, "index of the first signed SYN over the budget");
	check_true(!late, "none passed after the first drop within the burst");
	check_u64(after[SO_C_PASSED_SIGNED] - before[SO_C_PASSED_SIGNED], RATE, "passed_signed");
	check_u64(after[SO_C_DROP_SIGNED_RATE] - before[SO_C_DROP_SIGNED_RATE], n - RATE,
		  "drop_signed_rate");
	check_u64(after[SO_C_DROP_RATE_LIMITED] - before[SO_C_DROP_RATE_LIMITED], 0,
		  "drop_rate_limited (the SYN-ACK budget is not theirs)");
	/* plain SYNs still get their own full budget */
	s = (struct pkt_spec)V4(LINUX(1460, 7));
	passed = burst_of(&s, XDP_TX, 10, &first_drop, &late, &ns);
	check_u64(passed, 10, "plain SYNs answered after the signed budget ran out");
}

static void signed_none(void)
{
	struct pkt_spec s = V4(.raw_opts = md5_syn_opts, .raw_len = sizeof(md5_syn_opts));
	int first_drop, passed;
	bool late;
	__u64 ns;

	if (!signed_config(0))
		return;
	passed = burst_of(&s, XDP_PASS, 20, &first_drop, &late, &ns);
	check_u64(passed, 0, "signed SYNs passed with --signed-rate 0");
}

static void test_budget(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "synack_rate_burst_from_full_budget", budget_burst },
		{ "synack_rate_refills", budget_refill },
		{ "synack_rate_per_cpu", budget_per_cpu },
		{ "synack_rate_0_unlimited", budget_unlimited },
		{ "synack_rate_below_one_per_cpu", budget_below_one_per_cpu },
		{ "signed_rate_burst_from_full_budget", signed_burst },
		{ "signed_rate_0_none", signed_none },
	};
	cpu_set_t old;
	int cpu = sched_getcpu();

	/* BPF_PROG_RUN runs on the calling CPU: pinned, one budget is ours */
	if (sched_getaffinity(0, sizeof(old), &old) || cpu < 0 || pin_to(cpu)) {
		fprintf(stderr, "test_unit: cannot pin to a CPU: %s\n", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!case_begin(cases[i].name))
			continue;
		pin_to(cpu);
		cases[i].fn();
		reset_maps();
		budget_reset();
		signed_budget_reset();
		case_end();
	}
	sched_setaffinity(0, sizeof(old), &old);
}

/* --- ten million forged ACKs ---------------------------------------------- */

#define FORGED_N 10000000
#define FORGED_SEED 0x5eedf00dcafe1234ULL

static __u64 rng_state;

/* xorshift64*: fast, and the same sequence on every run */
static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* The four shapes of ACK: IPv4/IPv6, with and without timestamps. */
struct forged_tpl {
	struct frame f;
	int family;
	bool ts;
};

/* Would the reference (ref.c) accept this ACK's cookie at CLOCK_TAI tai? A
 * random ACK is valid by chance with odds 2^-28 without timestamps (28 MAC
 * bits; the four low bits decode to some MSS and period), so ten million of
 * them hold a genuine cookie in about 2% of runs: such an ACK may pass, with
 * metadata (it is asked only of the ACKs that were not dropped, before and
 * after the run, for a period that may have turned in between). */
static bool ref_accepts(const struct forged_tpl *t, __u64 tai)
{
	const __u8 *ip = t->f.b + t->f.l3, *tcp = t->f.b + t->f.l4;
	__u32 cookie = get32(tcp + 8) - 1;
	struct ref_flow fl = { .family = t->family };
	int alen = t->family == 6 ? 16 : 4;

	memcpy(fl.saddr, ip + (t->family == 6 ? 8 : 12), alen);
	memcpy(fl.daddr, ip + (t->family == 6 ? 24 : 16), alen);
	memcpy(fl.sport, tcp, 2);
	memcpy(fl.dport, tcp + 2, 2);
	fl.client_isn = get32(tcp + 4) - 1;
	if (t->ts) {
		__u32 tsecr = get32(tcp + 28);
		__s32 age = (__s32)((__u32)(tai / 1000000) - (tsecr & SO_TS_TIME_MASK));

		if (age > SO_COOKIE_TS_MAX_AGE_MS || age < -SO_COOKIE_SKEW_MS)
			return false;
		if (((tsecr >> SO_TS_KEY_SHIFT) & SO_KEY_ID_MASK) != cur_key_id())
			return false; /* only keys of the id it names are tried */
		return ref_ts_isn(cur_key(), &fl, tsecr) == cookie;
	}
	__u64 period = tai >> SO_NOTS_PERIOD_SHIFT;

	if ((period & 1) != (cookie & 1))
		period--;
	return ref_nots_isn(cur_key(), &fl, period, (cookie >> 1) & SO_MSS_IDX_MASK) == cookie;
}

/* tai_ms: the TSecr's time part is that of a cookie issued now, so that
 * every timestamp-mode ACK passes the age check and costs the full MAC
 * (a random time part would be refused as too old before it, and the MAC
 * would hardly be tried); its option bits stay random. */
static void forged_randomize(struct forged_tpl *t, __u32 tai_ms)
{
	__u8 *ip = t->f.b + t->f.l3, *tcp = t->f.b + t->f.l4;
	__u64 a = rnd(), b = rnd(), c = rnd();
	__u16 dport = (a >> 48) % 102; /* 80 and 8000-8100: all protected */

	if (t->family == 6) {
		/* 2001:2:0:xxxx:xxxx:xxxx:xxxx:xxxx, both ends */
		put16(ip + 8 + 6, b >> 48), put32(ip + 8 + 8, b), put32(ip + 8 + 12, b >> 16);
		put16(ip + 24 + 6, c >> 48), put32(ip + 24 + 8, c), put32(ip + 24 + 12, c >> 16);
	} else {
		/* 198.18.0.0/15, both ends */
		put32(ip + 12, 0xc6120000 | (b & 0x1ffff));
		put32(ip + 16, 0xc6120000 | (c & 0x1ffff));
	}
	put16(tcp, (a & 0xffff) | 1);
	put16(tcp + 2, dport == 0 ? PORT_OPEN : PORT_RANGE_LO + dport - 1);
	put32(tcp + 4, a >> 16);
	put32(tcp + 8, rnd());
	if (t->ts) {
		__u64 d = rnd();

		put32(tcp + 24, d);
		/* TSecr: the cookie's time (fresh) and options (random) */
		put32(tcp + 28, (tai_ms & SO_TS_TIME_MASK) | ((__u32)(d >> 32) & SO_TS_OPT_MASK));
	}
	frame_fix_csums(&t->f, t->family);
}

static int forged_templates(struct forged_tpl t[4])
{
	for (int i = 0; i < 4; i++) {
		struct pkt_spec s = { .family = i & 1 ? 6 : 4, .flags = F_ACK, .ack = 1,
				      .window = 502, .opts = i & 2 ? O_TS : 0 };

		t[i].family = s.family;
		t[i].ts = i & 2;
		if (pkt_build(&s, &t[i].f))
			return -1;
	}
	return 0;
}

static void forged_acks(void)
{
	static struct forged_tpl tpl[4];
	__u64 before[SO_C_MAX], after[SO_C_MAX], t0, tai;
	long long bad = 0, chance = 0, first_bad = -1;
	__u32 first_bad_ret = 0, first_bad_meta = 0, tai_ms = 0;

	if (corpus_dir) {
		case_skip("not while writing a corpus");
		return;
	}
	if (forged_templates(tpl)) {
		case_fail("cannot build the ACK templates");
		return;
	}
	rng_state = FORGED_SEED;
	read_counters(before);
	t0 = mono_ns();
	for (long long i = 0; i < FORGED_N; i++) {
		/* IPv6 one time in four, timestamps one in two (bit 0: IPv6, bit 1: TS) */
		__u64 shape = rnd() >> 60;
		struct forged_tpl *t = &tpl[((shape & 3) == 0) | (shape & 4) >> 1];
		struct xdp_md ctx = { .data = 0 }, ctx_out = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->f.b, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
			    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
		bool valid;

		if ((i & 1023) == 0)
			tai_ms = (__u32)(tai_ns() / 1000000); /* fresh enough: 1024 ACKs */
		forged_randomize(t, tai_ms);
		o.data_size_in = t->f.len;
		ctx.data_end = t->f.len;
		tai = tai_ns();
		if (bpf_prog_test_run_opts(xdp_prog_fd(), &o)) {
			case_fail("BPF_PROG_RUN of ACK %lld: %s", i, strerror(errno));
			return;
		}
		if (o.retval == XDP_DROP && ctx_out.data == 0)
			continue;
		/* only a cookie the reference accepts may pass, with metadata */
		valid = ref_accepts(t, tai) || ref_accepts(t, tai_ns());
		if (valid && o.retval == XDP_PASS && ctx_out.data == sizeof(struct so_meta)) {
			chance++;
			continue;
		}
		if (bad++ == 0) {
			first_bad = i;
			first_bad_ret = o.retval;
			first_bad_meta = ctx_out.data;
			dump("first ACK with the wrong verdict", t->f.b, t->f.len);
		}
	}
	read_counters(after);
	printf("# forged_acks_10m: %d ACKs in %.1f s, %lld passed as valid by chance "
	       "(the reference agrees)\n",
	       FORGED_N, (mono_ns() - t0) / 1e9, chance);
	if (bad)
		case_fail("ACKs not dropped without metadata, nor valid by the reference: expected "
			  "0, got %lld (the first: #%lld, %s with %u bytes of metadata)",
			  bad, first_bad, xdp_verdict_name(first_bad_ret), first_bad_meta);
	for (int k = 0; k < SO_C_MAX; k++) {
		__u64 want = k == SO_C_ACK_COOKIE_INVALID ? FORGED_N - chance
			     : k == SO_C_ACK_COOKIE_VALID ? chance
							  : 0;
		char what[80];

		snprintf(what, sizeof(what), "counter %s change", counter_name(k));
		check_u64(after[k] - before[k], want, what);
	}
}

void test_hostile(void)
{
	for (size_t i = 0; i < sizeof(syn_cases) / sizeof(syn_cases[0]); i++) {
		if (!case_begin(syn_cases[i].name))
			continue;
		run_syn_case(&syn_cases[i]);
		case_end();
	}
	for (size_t i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]); i++) {
		if (!case_begin(drop_cases[i].name))
			continue;
		run_drop_case(&drop_cases[i]);
		case_end();
	}
	for (size_t i = 0; i < sizeof(encap_ack_cases) / sizeof(encap_ack_cases[0]); i++) {
		if (!case_begin(encap_ack_cases[i].name))
			continue;
		run_encap_ack_case(&encap_ack_cases[i]);
		reset_maps();
		case_end();
	}
	test_budget();
	if (case_begin("forged_acks_10m")) {
		forged_acks();
		case_end();
	}
}
