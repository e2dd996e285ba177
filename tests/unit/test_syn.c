// SPDX-License-Identifier: GPL-2.0
/*
 * test_syn.c - SYNs to protected ports: each must come back as a SYN-ACK
 * (XDP_TX) whose every byte is checked by check_synack(), counted as
 * syn_seen + synack_sent.
 *
 * MSS tables (include/shakeoff.h): v4 536 1200 1300 1360 1400 1440 1460 8960,
 *                                  v6 1220 1280 1340 1380 1400 1420 1440 8940.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include "cases.h"
#include "harness.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct syn_case {
	const char *name;
	struct pkt_spec in;
	struct synack_exp exp;          /* { mss_idx, R_* in the reply, client ws } */
	const struct so_config *cfg;    /* NULL: default_cfg */
	__u32 verdict;                  /* 0: XDP_TX */
};

static const __u8 tfo_opts[] = {
	2, 4, 0x05, 0xb4,                                   /* MSS 1460 */
	4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,                /* SACK-perm, TS 0x01020304 */
	1, 3, 3, 7,                                         /* NOP, WS 7 */
	34, 10, 0xc0, 0x0c, 0x1e, 0x5a, 0x11, 0x22, 0x33, 0x44, /* TFO cookie */
};
/* TCP Fast Open (RFC 7413): a cookie request (option 34, no cookie), as
 * net.ipv4.tcp_fastopen=1 sends before it has a cookie; and data without
 * the option (tcp_fastopen=5). The SYN-ACK acknowledges the SYN only
 * (check_synack: ack = seq + 1), never the data, and offers no cookie:
 * the client sends the data again, once, after the handshake. */
static const __u8 tfo_req_opts[] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
	1, 3, 3, 7, 34, 2, 1, 1,                            /* NOP WS 7, TFO request */
};
static const __u8 eol_opts[] = {
	2, 4, 0x05, 0xb4, 0, 0, 0, 0,                       /* MSS 1460, EOL */
	8, 10, 1, 2, 3, 4, 0, 0, 0, 0,                      /* TS after EOL: not an option */
};
static const __u8 unknown_opts[] = {
	30, 4, 0xaa, 0xbb,                                  /* an unknown kind */
	2, 4, 0x05, 0x78,                                   /* MSS 1400 */
	1, 1, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,                /* NOP NOP TS */
};

static const __u8 nops_mss_ts[40] = {
	[0 ... 25] = 1,                                     /* 26 NOPs */
	2, 4, 0x05, 0x78,                                   /* MSS 1400 */
	8, 10, 1, 2, 3, 4, 0, 0, 0, 0,                      /* TS */
};
static const __u8 nops_mss[40] = {
	[0 ... 35] = 1,                                     /* 36 NOPs */
	2, 4, 0x05, 0x78,                                   /* MSS 1400: the 37th option */
};
static const __u8 len0_opts[] = {
	30, 0,                                              /* length 0: the walk stops */
	2, 4, 0x05, 0xb4,                                   /* so MSS is never read */
};
static const __u8 past_end_opts[] = {
	2, 4, 0x05, 0x78,                                   /* MSS 1400 */
	8, 10, 1, 2, 3, 4,                                  /* TS cut short by the header end */
};

static const struct so_config cfg_no_opts = { .mss4 = 1460, .mss6 = 1440, .wscale = 7,
					      .ttl = 64, .options = 0 };
static const struct so_config cfg_ts_only = { .mss4 = 1460, .mss6 = 1440, .wscale = 7,
					      .ttl = 64, .options = SO_OPT_TIMESTAMPS };
static const struct so_config cfg_no_sack = { .mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64,
					      .options = SO_OPT_TIMESTAMPS | SO_OPT_WSCALE };
static const struct so_config cfg_other = { .mss4 = 1380, .mss6 = 1300, .wscale = 14, .ttl = 128,
					    .options = SO_OPT_TIMESTAMPS | SO_OPT_SACK |
						       SO_OPT_WSCALE };
/* tcp_ecn on, tcp_timestamps off: no ECN (its bit lives in the TSval) */
static const struct so_config cfg_ecn_no_ts = { .mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64,
						.options = SO_OPT_SACK | SO_OPT_WSCALE | SO_OPT_ECN };
static const struct so_config cfg_no_ts_no_sack = { .mss4 = 1460, .mss6 = 1440, .wscale = 7,
						    .ttl = 64, .options = SO_OPT_WSCALE };
static const struct so_config cfg_redirect = { .mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64,
					       .tx_mode = SO_TX_REDIRECT,
					       .options = SO_OPT_TIMESTAMPS | SO_OPT_SACK |
							  SO_OPT_WSCALE };

static const struct syn_case syn_cases[] = {
	/* IPv4, option mixes */
	{ "syn4_no_opts",         V4(),                                       { 0, 0 } },
	{ "syn4_mss_only",        V4(.opts = O_MSS, .mss = 1460),             { 6, 0 } },
	{ "syn4_linux",           V4(LINUX(1460, 7)),                         { 6, ALL, 7 } },
	{ "syn4_linux_ws0",       V4(LINUX(1460, 0)),                         { 6, ALL, 0 } },
	{ "syn4_ts_only",         V4(.opts = O_TS, .tsval = 0xdeadbeef),      { 0, R_TS } },
	{ "syn4_mss_ts",          V4(.opts = O_MSS | O_TS, .mss = 1400),      { 4, R_TS } },
	{ "syn4_sack_ts",         V4(.opts = O_MSS | O_SACK | O_TS, .mss = 1460), { 6, R_TS | R_SACK } },
	{ "syn4_ts_ws",           V4(.opts = O_MSS | O_TS | O_WS, .mss = 1460, .wscale = 2), { 6, R_TS | R_WS, 2 } },
	/* without timestamps: SACK and window scale kept in synopts */
	{ "syn4_ws_no_ts",        V4(.opts = O_MSS | O_WS, .mss = 1460, .wscale = 7), { 6, R_WS, 7 } },
	{ "syn4_sack_no_ts",      V4(.opts = O_MSS | O_SACK, .mss = 1460),    { 6, R_SACK } },
	{ "syn4_sack_ws_no_ts",   V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 7), { 6, R_SACK | R_WS, 7 } },
	{ "syn4_sack_ws_no_mss_no_ts", V4(.opts = O_SACK | O_WS, .wscale = 14), { 0, R_SACK | R_WS, 14 } },
	{ "syn4_ws15_no_ts_clamped", V4(.opts = O_MSS | O_WS, .mss = 1460, .wscale = 15), { 6, R_WS, 14 } },
	/* IPv4, client MSS against the table */
	{ "syn4_mss_1399",        V4(LINUX(1399, 7)),                         { 3, ALL, 7 } },
	{ "syn4_mss_1400",        V4(LINUX(1400, 7)),                         { 4, ALL, 7 } },
	{ "syn4_mss_1201_no_ts",  V4(.opts = O_MSS, .mss = 1201),             { 1, 0 } },
	{ "syn4_mss_536",         V4(.opts = O_MSS, .mss = 536),              { 0, 0 } },
	{ "syn4_mss_500_below_min", V4(.opts = O_MSS, .mss = 500),            { 0, 0 } },
	{ "syn4_mss_8959",        V4(LINUX(8959, 7)),                         { 6, ALL, 7 } },
	{ "syn4_mss_8960",        V4(LINUX(8960, 7)),                         { 7, ALL, 7 } },
	{ "syn4_mss_65535_huge",  V4(LINUX(65535, 7)),                        { 7, ALL, 7 } },
	/* IPv4, window scale clamped to 14 (RFC 7323 2.3) */
	{ "syn4_ws14",            V4(LINUX(1460, 14)),                        { 6, ALL, 14 } },
	{ "syn4_ws15_clamped",    V4(LINUX(1460, 15)),                        { 6, ALL, 14 } },
	{ "syn4_ws255_clamped",   V4(LINUX(1460, 255)),                       { 6, ALL, 14 } },
	/* IPv4 header variants and payload */
	{ "syn4_ip_options_4",    V4(LINUX(1460, 7), .ipopt_len = 4),         { 6, ALL, 7 } },
	{ "syn4_ip_options_40",   V4(LINUX(1460, 7), .ipopt_len = 40),        { 6, ALL, 7 } },
	{ "syn4_no_df",           V4(LINUX(1460, 7), .no_df = true),          { 6, ALL, 7 } },
	{ "syn4_payload_tfo",     V4(.raw_opts = tfo_opts, .raw_len = sizeof(tfo_opts), .payload_len = 100), { 6, ALL, 7 } },
	{ "syn4_payload_odd",     V4(.opts = O_MSS, .mss = 1460, .payload_len = 7), { 6, 0 } },
	{ "syn4_tfo_cookie_request", V4(.raw_opts = tfo_req_opts, .raw_len = sizeof(tfo_req_opts)), { 6, ALL, 7 } },
	{ "syn4_tfo_request_data", V4(.raw_opts = tfo_req_opts, .raw_len = sizeof(tfo_req_opts), .payload_len = 12), { 6, ALL, 7 } },
	{ "syn4_payload_no_tfo_opt", V4(LINUX(1460, 7), .payload_len = 12), { 6, ALL, 7 } },
	{ "syn4_payload_1400",    V4(LINUX(1460, 7), .payload_len = 1400), { 6, ALL, 7 } },
	{ "syn4_eth_padding",     V4(.eth_pad = 6),                           { 0, 0 } },
	{ "syn4_opts_after_eol",  V4(.raw_opts = eol_opts, .raw_len = sizeof(eol_opts)), { 6, 0 } },
	{ "syn4_unknown_opt",     V4(.raw_opts = unknown_opts, .raw_len = sizeof(unknown_opts)), { 4, R_TS } },
	{ "syn4_opts_26_nops",    V4(.raw_opts = nops_mss_ts, .raw_len = sizeof(nops_mss_ts)), { 4, R_TS } },
	{ "syn4_opts_36_nops",    V4(.raw_opts = nops_mss, .raw_len = sizeof(nops_mss)), { 4, 0 } },
	{ "syn4_opt_len_0",       V4(.raw_opts = len0_opts, .raw_len = sizeof(len0_opts)), { 0, 0 } },
	{ "syn4_opt_past_end",    V4(.raw_opts = past_end_opts, .raw_len = sizeof(past_end_opts)), { 4, 0 } },
	/* ECN (RFC 3168 6.1.1): an ECN-setup SYN (ECE and CWR, Not-ECT) with
	 * timestamps gets an ECN-setup SYN-ACK (ECE, not CWR); nothing else does */
	{ "syn4_ecn_setup",       V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR), { 6, ALL | R_ECE, 7 } },
	{ "syn4_ecn_setup_dscp",  V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR, .tos = 0xb8), { 6, ALL | R_ECE, 7 } },
	{ "syn4_ecn_setup_ts_only", V4(.opts = O_TS, .flags = F_SYN | F_ECE | F_CWR), { 0, R_TS | R_ECE } },
	{ "syn4_ecn_setup_no_ts", V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .flags = F_SYN | F_ECE | F_CWR), { 6, R_SACK | R_WS } },
	{ "syn4_ecn_ece_only",    V4(LINUX(1460, 7), .flags = F_SYN | F_ECE), { 6, ALL, 7 } },
	{ "syn4_ecn_cwr_only",    V4(LINUX(1460, 7), .flags = F_SYN | F_CWR), { 6, ALL, 7 } },
	{ "syn4_ecn_setup_ect0",  V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR, .tos = 0x02), { 6, ALL, 7 } },
	{ "syn4_ecn_setup_ce",    V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR, .tos = 0x03), { 6, ALL, 7 } },
	{ "syn4_tos",             V4(LINUX(1460, 7), .tos = 0xb8),            { 6, ALL, 7 } },
	{ "syn4_port_8000",       V4(LINUX(1460, 7), .dport = 8000),          { 6, ALL, 7 } },
	{ "syn4_port_8100",       V4(LINUX(1460, 7), .dport = 8100),          { 6, ALL, 7 } },
	{ "syn4_seq_ffffffff",    V4(LINUX(1460, 7), .seq = 0xffffffff),      { 6, ALL, 7 } },
	/* IPv4, what the namespace allows, and the configuration */
	{ "syn4_cfg_no_opts",     V4(LINUX(1460, 7)),                         { 6, 0 }, &cfg_no_opts },
	{ "syn4_cfg_ts_only",     V4(LINUX(1460, 7)),                         { 6, R_TS }, &cfg_ts_only },
	{ "syn4_cfg_no_sack",     V4(LINUX(1460, 7)),                         { 6, R_TS | R_WS, 7 }, &cfg_no_sack },
	{ "syn4_cfg_mss_ws_ttl",  V4(LINUX(1460, 7)),                         { 6, ALL, 7 }, &cfg_other },
	{ "syn4_cfg_redirect",    V4(LINUX(1460, 7)),                         { 6, ALL, 7 }, &cfg_redirect, XDP_REDIRECT },
	{ "syn4_cfg_no_ecn",      V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR), { 6, ALL, 7 }, &cfg_other },
	{ "syn4_cfg_ecn_no_ts",   V4(LINUX(1460, 7), .flags = F_SYN | F_ECE | F_CWR), { 6, R_SACK | R_WS, 7 }, &cfg_ecn_no_ts },
	{ "syn4_cfg_no_ts_no_sack", V4(LINUX(1460, 7)),                       { 6, R_WS, 7 }, &cfg_no_ts_no_sack },
	/* IPv6 */
	{ "syn6_no_opts",         V6(),                                       { 0, 0 } },
	{ "syn6_mss_only",        V6(.opts = O_MSS, .mss = 1440),             { 6, 0 } },
	{ "syn6_linux",           V6(LINUX(1440, 7)),                         { 6, ALL, 7 } },
	{ "syn6_ts_only",         V6(.opts = O_TS),                           { 0, R_TS } },
	{ "syn6_sack_ts",         V6(.opts = O_MSS | O_SACK | O_TS, .mss = 1440), { 6, R_TS | R_SACK } },
	{ "syn6_ws_no_ts",        V6(.opts = O_MSS | O_WS, .mss = 1440, .wscale = 7), { 6, R_WS, 7 } },
	{ "syn6_sack_no_ts",      V6(.opts = O_MSS | O_SACK, .mss = 1440),    { 6, R_SACK } },
	{ "syn6_sack_ws_no_ts",   V6(.opts = O_MSS | O_SACK | O_WS, .mss = 1440, .wscale = 8), { 6, R_SACK | R_WS, 8 } },
	{ "syn6_mss_1419",        V6(LINUX(1419, 7)),                         { 4, ALL, 7 } },
	{ "syn6_mss_1281_no_ts",  V6(.opts = O_MSS, .mss = 1281),             { 1, 0 } },
	{ "syn6_mss_1000_below_min", V6(LINUX(1000, 7)),                      { 0, ALL, 7 } },
	{ "syn6_mss_65535_huge",  V6(LINUX(65535, 7)),                        { 7, ALL, 7 } },
	{ "syn6_ws15_clamped",    V6(LINUX(1440, 15)),                        { 6, ALL, 14 } },
	{ "syn6_tclass_flow",     V6(LINUX(1440, 7), .tos = 0xb8, .flow = 0x12345), { 6, ALL, 7 } },
	{ "syn6_trailing_bytes",  V6(.eth_pad = 4),                           { 0, 0 } },
	{ "syn6_ecn_setup",       V6(LINUX(1440, 7), .flags = F_SYN | F_ECE | F_CWR), { 6, ALL | R_ECE, 7 } },
	{ "syn6_ecn_setup_no_ts", V6(.opts = O_MSS, .mss = 1440, .flags = F_SYN | F_ECE | F_CWR), { 6, 0 } },
	{ "syn6_ecn_setup_ect1",  V6(LINUX(1440, 7), .flags = F_SYN | F_ECE | F_CWR, .tos = 0x01), { 6, ALL, 7 } },
	{ "syn6_ecn_setup_cfg_no_ecn", V6(LINUX(1440, 7), .flags = F_SYN | F_ECE | F_CWR), { 6, ALL, 7 }, &cfg_other },
	{ "syn6_payload_tfo",     V6(.raw_opts = tfo_opts, .raw_len = sizeof(tfo_opts), .payload_len = 100), { 6, ALL, 7 } },
	{ "syn6_payload_odd",     V6(.opts = O_MSS, .mss = 1440, .payload_len = 7), { 6, 0 } },
	{ "syn6_tfo_cookie_request", V6(.raw_opts = tfo_req_opts, .raw_len = sizeof(tfo_req_opts)), { 6, ALL, 7 } },
	{ "syn6_payload_no_tfo_opt", V6(LINUX(1440, 7), .payload_len = 12), { 6, ALL, 7 } },
	{ "syn6_cfg_no_opts",     V6(LINUX(1440, 7)),                         { 6, 0 }, &cfg_no_opts },
	{ "syn6_cfg_mss_ws_ttl",  V6(LINUX(1440, 7)),                         { 6, ALL, 7 }, &cfg_other },
	{ "syn6_cfg_redirect",    V6(LINUX(1440, 7)),                         { 6, ALL, 7 }, &cfg_redirect, XDP_REDIRECT },
	/* no bypass: SYNs in 802.1Q and QinQ frames and IPv6 SYNs behind
	 * extension headers are answered like plain ones.
	 *
	 * IPv6: the SYN-ACK carries no extension headers, whatever the SYN had. This
	 * is the design: hop-by-hop and destination options are for the path and the
	 * receiver (the reply needs none of them), and a routing header with no
	 * segments left names no route back. check_synack() checks the reply at
	 * fixed offsets after the IPv6 header and its TCP checksum over the pseudo-
	 * header of the reply's own addresses; the SYN's checksum (pktbuild) covers
	 * its TCP segment only, so a SYN whose extension headers were summed in by
	 * mistake would be dropped as drop_bad_tcp_csum, not answered.
	 */
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
	/* the longest SYN shakeoff answers: SYN_TCP_MAX bytes of TCP */
	{ "syn4_tcp_1536_bytes",    V4(.opts = O_MSS, .mss = 1460, .payload_len = SYN_TCP_MAX - TCP_LEN - MSS_OPT_LEN), { 6, 0 } },
	{ "syn6_tcp_1536_bytes",    V6(.opts = O_MSS, .mss = 1440, .payload_len = SYN_TCP_MAX - TCP_LEN - MSS_OPT_LEN), { 6, 0 } },
};

/* A SYN-ACK without timestamps that offers SACK or window scale: its
 * options are in synopts. */
static bool synopt_kept(const struct synack_exp *e)
{
	return !(e->reply & R_TS) && (e->reply & (R_SACK | R_WS));
}

/* The synopts entry of the SYN, in its ISN's slot: the ISN, the client's
 * port and options. */
static void check_synopt(const struct pkt_spec *s, const struct xdp_result *r,
			 const struct synack_exp *e)
{
	struct synack_seen seen;
	struct so_synopt v;

	synack_read(r, s->family == 6 ? 6 : 4, &seen);
	if (synopt_read(seen.isn, &v)) {
		case_fail("cannot read the synopts slot of ISN 0x%x", seen.isn);
		return;
	}
	check_hex(v.isn, seen.isn, "synopts isn (the SYN-ACK's)");
	check_u64(ntohs(v.sport), spec_sport(s), "synopts sport (the client's)");
	check_u64(v.wscale, e->reply & R_WS ? e->ws : SO_WS_NONE, "synopts wscale (the client's)");
	check_u64(v.sack, !!(e->reply & R_SACK), "synopts sack");
}

static void run_syn_case(const struct syn_case *c)
{
	static struct xdp_result r;
	__u32 want = c->verdict ? c->verdict : XDP_TX;
	struct frame f;

	if (c->cfg && set_config(c->cfg)) {
		case_fail("cannot write the config map");
		return;
	}
	if (build_frame(&c->in, &f))
		return;
	synopts_clear();
	if (run_xdp(&f, 0, &r) == 0) {
		check_xdp(&r, want, C(SYN_SEEN) | C(SYNACK_SENT) | (synopt_kept(&c->exp) ? C(SYNOPT_SAVED) : 0));
		if (r.verdict == want && synopt_kept(&c->exp))
			check_synopt(&c->in, &r, &c->exp);
		if (r.verdict == want)
			check_synack(&c->in, &f, &r, &c->exp);
	}
	if (case_failed()) {
		dump("SYN in", f.b, f.len);
		dump("out", r.out, r.out_len);
	}
	if (c->cfg)
		reset_maps();
}

/*
 * A flood of SYNs without timestamps: the first second's budget of synopts
 * writes (SO_SYNOPT_RATE shared by the CPUs the object was loaded for: 2 in
 * the tests, 8192 a CPU) keeps SACK and window scale; past it, MSS only,
 * counted, and the SYN still answered.
 */
static void syn_no_ts_over_budget(void)
{
	static struct xdp_result r;
	struct pkt_spec s = V4(.opts = O_MSS | O_SACK | O_WS, .mss = 1460, .wscale = 7);
	const struct synack_exp mss_only = { 6, 0 };
	const char *corpus = corpus_dir;
	int kept = 0, i;
	struct frame f;
	char what[96];

	if (pin_to(0)) {
		case_fail("cannot move to CPU 0");
		return;
	}
	synopts_clear();
	corpus_dir = NULL; /* thousands of one frame: no seeds for the fuzzer */
	for (i = 0; i < 20000; i++) {
		s.sport = 10000 + i;
		if (build_frame(&s, &f) || run_xdp(&f, 0, &r) || r.verdict != XDP_TX) {
			corpus_dir = corpus;
			case_fail("SYN %d: not answered", i);
			return;
		}
		if (!r.delta[SO_C_SYNOPT_SAVED])
			break;
		kept++;
	}
	corpus_dir = corpus;
	snprintf(what, sizeof(what), "%d SYNs kept their options before the budget ran out", kept);
	check_true(kept >= 8000 && kept < 20000, what);
	check_xdp(&r, XDP_TX, C(SYN_SEEN) | C(SYNACK_SENT) | C(SYNOPT_OVER_BUDGET));
	check_synack(&s, &f, &r, &mss_only);
	synopts_clear();
}

void test_syn(void)
{
	RUN_TABLE(syn_cases, run_syn_case);
	if (case_begin("syn4_no_ts_over_budget_mss_only")) {
		cpu_set_t old;

		if (sched_getaffinity(0, sizeof(old), &old) == 0) {
			syn_no_ts_over_budget();
			sched_setaffinity(0, sizeof(old), &old);
		} else {
			case_fail("cannot read this thread's CPU affinity: %s", strerror(errno));
		}
		case_end();
	}
}
