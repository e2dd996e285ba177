// SPDX-License-Identifier: GPL-2.0
/*
 * test_drop.c - what XDP must not answer: malformed headers, bad checksums,
 * SYNs with FIN or RST, fragments (dropped and counted by reason), and traffic
 * that is not shakeoff's (passed, the frame unchanged byte for byte).
 */
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "cases.h"
#include "harness.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MALFORMED XDP_DROP, C(DROP_MALFORMED)
#define PASSED XDP_PASS, C(PASSED), true
#define SYN_DROP(reason) XDP_DROP, C(SYN_SEEN) | C(reason)
#define BAD_SOURCE SYN_DROP(DROP_BAD_SOURCE)

static const __u8 mac_mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const __u8 mac_mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Signed SYNs: NOP NOP MD5 (RFC 2385: kind 19, 16 bytes of digest) or
 * TCP-AO (RFC 5925: kind 29, KeyID, RNextKeyID, a 12-byte MAC) before the
 * options of a Linux SYN, as Linux sends them. */
static const __u8 md5_opts[] = {
	1, 1, 19, 18, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
	0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,           /* NOP NOP MD5 */
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,      /* MSS SACK TS */
};
static const __u8 ao_opts[] = {
	29, 16, 1, 1, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab,                                   /* AO, KeyIDs 1 1 */
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,      /* MSS SACK TS */
	1, 3, 3, 7,                                               /* NOP WS 7 */
};
/* A signature after the walk's first options, and one with a bad length. */
static const __u8 md5_last_opts[] = {
	2, 4, 0x05, 0xb4, 1, 1, 19, 18, 0, 1, 2, 3, 4, 5, 6, 7,
	8, 9, 10, 11, 12, 13, 14, 15,
};
static const __u8 md5_short_opts[] = { 2, 4, 0x05, 0xb4, 19, 2, 1, 1 };
#define SIGNED XDP_PASS, C(SYN_SEEN) | C(PASSED_SIGNED), true

struct drop_case {
	const char *name;
	struct pkt_spec in;
	__u32 verdict;
	__u64 counters;
	bool same;       /* the frame must come out unchanged */
	__u32 meta_len;  /* metadata before the frame: BPF_PROG_RUN refuses data
			  * shorter than an Ethernet header, not a shorter frame
			  * behind metadata */
	int kports;      /* 1: the SYN's port is an MPTCP listener's (kports and
			  * config.kernel_ports); -1: in kports, not counted */
};

#define MPTCP XDP_PASS, C(SYN_SEEN) | C(PASSED_MPTCP), true, 0, 1

static const struct drop_case drop_cases[] = {
	/* truncated or inconsistent headers */
	{ "trunc_eth_10",            V4(.truncate = 10),                   MALFORMED, false, 8 },
	{ "trunc_ip4_eth_only",      V4(.truncate = ETH_LEN),                   MALFORMED },
	{ "trunc_ip4_hdr",           V4(.truncate = ETH_LEN + 12),              MALFORMED },
	{ "trunc_ip6_hdr",           V6(.truncate = ETH_LEN + 30),              MALFORMED },
	{ "trunc_tcp4_hdr",          V4(.truncate = ETH_LEN + IP4_LEN + 10),         MALFORMED },
	{ "trunc_tcp6_hdr",          V6(.truncate = ETH_LEN + IP6_LEN + 10),         MALFORMED },
	{ "trunc_tcp4_opts",         V4(LINUX(1460, 7), .truncate = ETH_LEN + IP4_LEN + 30), MALFORMED },
	{ "ip4_tot_len_short",       V4(.len_delta = -10),                 MALFORMED },
	{ "ip4_tot_len_long",        V4(.len_delta = 10),                  MALFORMED },
	{ "ip6_payload_len_short",   V6(.len_delta = -10),                 MALFORMED },
	{ "ip6_payload_len_long",    V6(.len_delta = 10),                  MALFORMED },
	{ "ip4_ihl_4",               V4(.ihl = 4),                         MALFORMED },
	{ "ip4_ihl_15_no_options",   V4(.ihl = 15),                        MALFORMED },
	{ "tcp4_doff_15",            V4(.doff = 15),                       MALFORMED },
	{ "tcp4_doff_4",             V4(.doff = 4),                        MALFORMED },
	{ "tcp6_doff_15",            V6(.doff = 15),                       MALFORMED },
	/* bad checksums, bad flags */
	{ "syn4_bad_ip_csum",        V4(LINUX(1460, 7), .bad_ip_csum = true),  SYN_DROP(DROP_IP_CSUM) },
	{ "syn4_ip_options_bad_ip_csum", V4(.ipopt_len = 8, .bad_ip_csum = true), SYN_DROP(DROP_IP_CSUM) },
	{ "syn4_bad_tcp_csum",       V4(LINUX(1460, 7), .bad_tcp_csum = true), SYN_DROP(DROP_TCP_CSUM) },
	{ "syn4_payload_bad_tcp_csum", V4(.payload_len = 7, .bad_tcp_csum = true), SYN_DROP(DROP_TCP_CSUM) },
	{ "syn6_bad_tcp_csum",       V6(LINUX(1440, 7), .bad_tcp_csum = true), SYN_DROP(DROP_TCP_CSUM) },
	{ "syn4_fin",                V4(.flags = F_SYN | F_FIN),           SYN_DROP(DROP_SYN_FLAGS) },
	{ "syn4_rst",                V4(.flags = F_SYN | F_RST),           SYN_DROP(DROP_SYN_FLAGS) },
	{ "syn6_fin",                V6(.flags = F_SYN | F_FIN),           SYN_DROP(DROP_SYN_FLAGS) },
	{ "syn6_rst",                V6(.flags = F_SYN | F_RST),           SYN_DROP(DROP_SYN_FLAGS) },
	/* signed SYNs (TCP-MD5, TCP-AO): to the kernel, untouched */
	{ "syn4_md5",                V4(RAW(md5_opts)),                    SIGNED },
	{ "syn6_md5",                V6(RAW(md5_opts)),                    SIGNED },
	{ "syn4_md5_after_mss",      V4(RAW(md5_last_opts)),               SIGNED },
	{ "syn4_md5_odd_length",     V4(RAW(md5_short_opts)),              SIGNED },
	{ "syn4_md5_payload",        V4(RAW(md5_opts), .payload_len = 100), SIGNED },
	{ "syn4_ao",                 V4(RAW(ao_opts)),                     SIGNED },
	{ "syn6_ao",                 V6(RAW(ao_opts)),                     SIGNED },
	{ "syn4_md5_bad_tcp_csum",   V4(RAW(md5_opts), .bad_tcp_csum = true), SYN_DROP(DROP_TCP_CSUM) },
	{ "syn6_ao_fin",             V6(RAW(ao_opts), .flags = F_SYN | F_FIN), SYN_DROP(DROP_SYN_FLAGS) },
	/* SYNs to a port whose listener is MPTCP: to the kernel, untouched */
	{ "syn4_mptcp_port",         V4(LINUX(1460, 7), .dport = 8000),    MPTCP },
	{ "syn6_mptcp_port",         V6(LINUX(1440, 7), .dport = 8100),    MPTCP },
	{ "syn4_mptcp_port_md5",     V4(RAW(md5_opts), .dport = 8000),     MPTCP },
	{ "syn4_mptcp_fin",          V4(.flags = F_SYN | F_FIN, .dport = 8000), XDP_PASS,
	  C(SYN_SEEN) | C(PASSED_MPTCP), true, 0, 1 },
	/* in kports but not counted in config: the map is not read */
	{ "syn4_kports_uncounted",   V4(LINUX(1460, 7), .dport = 8000),    XDP_TX,
	  C(SYN_SEEN) | C(SYNACK_SENT), false, 0, -1 },
	/* neither SYN nor ACK, and no socket */
	{ "rst4_no_socket",          V4(.flags = F_RST),                   XDP_DROP, C(DROP_NO_SOCKET) },
	{ "fin4_no_socket",          V4(.flags = F_FIN),                   XDP_DROP, C(DROP_NO_SOCKET) },
	{ "rst6_no_socket",          V6(.flags = F_RST),                   XDP_DROP, C(DROP_NO_SOCKET) },
	{ "fin6_no_socket",          V6(.flags = F_FIN, .dport = 8000),    XDP_DROP, C(DROP_NO_SOCKET) },
	/* IPv4 fragments */
	{ "frag4_first_protected",   V4(LINUX(1460, 7), .frag = IP_MF),    XDP_DROP, C(DROP_FRAGMENT) },
	{ "frag4_first_unprotected", V4(.frag = IP_MF, .dport = 81),       PASSED },
	{ "frag4_later_protected",   V4(.frag = IP_MF | 100),              PASSED },
	{ "frag4_last_protected",    V4(.frag = 100),                      PASSED },
	/* a first fragment of a segment of no connection (no socket either) */
	{ "frag4_first_ack_no_conn", V4(.flags = F_ACK, .ack = 1, .frag = IP_MF, .payload_len = 64),
	  XDP_DROP, C(DROP_FRAGMENT) },
	{ "frag4_first_fin_no_conn", V4(.flags = F_ACK | F_FIN, .ack = 1, .frag = IP_MF),
	  XDP_DROP, C(DROP_FRAGMENT) },
	/* not shakeoff's: passed untouched */
	{ "syn4_unprotected_81",     V4(LINUX(1460, 7), .dport = 81),      PASSED },
	{ "syn4_unprotected_7999",   V4(LINUX(1460, 7), .dport = 7999),    PASSED },
	{ "syn4_unprotected_8101",   V4(LINUX(1460, 7), .dport = 8101),    PASSED },
	{ "syn4_unprotected_bad_csum", V4(.dport = 81, .bad_ip_csum = true, .bad_tcp_csum = true), PASSED },
	{ "syn6_unprotected_81",     V6(LINUX(1440, 7), .dport = 81),      PASSED },
	{ "ack4_unprotected_81",     V4(.flags = F_ACK, .ack = 1, .dport = 81), PASSED },
	{ "rst6_unprotected_81",     V6(.flags = F_RST, .dport = 81),      PASSED },
	{ "udp4_port_80",            V4(.l4 = IPPROTO_UDP, .payload_len = 20), PASSED },
	{ "udp6_port_80",            V6(.l4 = IPPROTO_UDP, .payload_len = 20), PASSED },
	{ "arp_request",             V4(.eth_proto = ETH_P_ARP),           PASSED },
	{ "ethertype_unknown",       V4(.eth_proto = 0x88b5),              PASSED },
	/* nested deeper than shakeoff walks: dropped, never passed unseen */
	{ "syn4_vlan_3_tags",        V4(LINUX(1460, 7), TAGS(DOT1AD(1), DOT1Q(2), DOT1Q(3))), XDP_DROP, C(DROP_TOO_DEEP) },
	{ "syn6_vlan_3_tags",        V6(LINUX(1440, 7), TAGS(DOT1Q(1), DOT1Q(2), DOT1Q(3))),  XDP_DROP, C(DROP_TOO_DEEP) },
	{ "syn6_ext_chain_7",        V6(LINUX(1440, 7), EXT(HOP(0), DST(0), RT(0), DST(0), DST(0), DST(0), DST(0))), XDP_DROP, C(DROP_TOO_DEEP) },
	/* truncated inside the headers */
	{ "vlan_tag_truncated",      V4(TAGS(DOT1Q(1), DOT1Q(2)), .truncate = 16),     XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_past_end",       V6(LINUX(1440, 7), EXT({ IPPROTO_HOPOPTS, 0, 0, 200 })), XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_past_end_2nd",   V6(EXT(HOP(0), { IPPROTO_DSTOPTS, 0, 0, 255 })), XDP_DROP, C(DROP_MALFORMED) },
	{ "syn6_ext_truncated",      V6(EXT(HOP(0), DST(2)), .truncate = ETH_LEN + IP6_LEN + 8 + 4), XDP_DROP, C(DROP_MALFORMED) },
	/* no SYN is that long: one byte past SYN_TCP_MAX of TCP */
	{ "syn4_tcp_1537_bytes",     V4(.opts = O_MSS, .mss = 1460, .payload_len = SYN_TCP_MAX + 1 - TCP_LEN - MSS_OPT_LEN), SYN_DROP(DROP_MALFORMED) },
	{ "syn6_tcp_1537_bytes",     V6(.opts = O_MSS, .mss = 1440, .payload_len = SYN_TCP_MAX + 1 - TCP_LEN - MSS_OPT_LEN), SYN_DROP(DROP_MALFORMED) },
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
	{ "frag4_first_vlan",        V4(LINUX(1460, 7), TAGS(DOT1Q(5)), .frag = IP_MF), XDP_DROP, C(DROP_FRAGMENT) },
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

	if (build_frame(&c->in, &f))
		return;
	if (f.len < ETH_LEN && !xdp_runs_short_frames()) {
		case_skip("this kernel's BPF_PROG_RUN refuses XDP frames shorter than 14 bytes "
			  "(EINVAL), even behind metadata");
		return;
	}
	if (c->verdict == XDP_TX && !env_kfunc) {
		case_skip("a SYN answered with shakeoff's own cookie (kfunc mode); kernel mode "
			  "answers with a live listener's cookie only (test_kcookie)");
		return;
	}
	if (c->kports) {
		struct so_config cfg = default_cfg;

		cfg.kernel_ports = c->kports > 0;
		if (set_kports(spec_dport(&c->in)) || set_config(&cfg)) {
			case_fail("cannot write kports or config: %s", strerror(errno));
			return;
		}
	}
	if (run_xdp(&f, c->meta_len, &r) == 0)
		check_xdp(&r, c->verdict, c->counters);
	if (c->kports) {
		set_kports(0);
		reset_maps();
	}
	if (r.err)
		return;
	if (c->same && check_u64(r.meta_len, c->meta_len, "metadata bytes") &&
	    check_u64(r.out_len - r.meta_len, f.len, "frame length (unchanged)"))
		check_bytes(r.out + r.meta_len, f.b, f.len, "frame (unchanged)");
	if (case_failed()) {
		dump("in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
}

void test_drop(void)
{
	RUN_TABLE(drop_cases, run_drop_case);
}
