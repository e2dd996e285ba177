/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cases.h - the groups of test cases, what their tables share (fixture
 * macros, the table runner, build_frame), and the SYN-ACK checker that the
 * SYN and ACK groups share.
 */
#pragma once

#include <stdbool.h>
#include <linux/types.h>
#include <netinet/in.h>

#include "env.h"
#include "harness.h"
#include "pktbuild.h"
#include "ref.h"

void test_ref(void);     /* test_ref.c: the reference SipHash itself */
void test_keyfile(void); /* test_keyfile.c: the key file's format, fingerprints (no root) */
void test_syn(void);     /* test_syn.c: SYN in, SYN-ACK out */
void test_drop(void);    /* test_drop.c: everything XDP drops or passes untouched */
void test_ack(void);     /* test_ack.c: cookie ACKs, metadata, existing sockets */
void test_tc(void);      /* test_tc.c: the TC programs */
void test_track(void);   /* test_track.c: the connection table's state machine */
void test_hostile(void); /* test_hostile.c: no bypass, reflection, amplification, budget,
			  * forged ACKs */
void test_arm(void);     /* test_arm.c: --arm auto, judged over all CPUs */
void test_events(void);  /* test_events.c: drop samples and connection events */
void test_kcookie(void); /* test_kcookie.c: completion mode kernel, the kernel's cookies */
void test_tally(void);   /* test_tc.c: verdict counters added up over every run */
void measure_cost(void); /* cost.c: test_unit --cost, the key ring's cost per forged ACK */

/* --- fixture rows ---------------------------------------------------------- */

/* A client->server frame of one family; the fields not named take
 * pktbuild's defaults. Fixture rows leave their trailing fields zero on
 * purpose: a file with tables says so with
 * #pragma GCC diagnostic ignored "-Wmissing-field-initializers". */
#define V4(...) { .family = 4, __VA_ARGS__ }
#define V6(...) { .family = 6, __VA_ARGS__ }
/* The options of a Linux SYN: MSS, SACK-permitted, timestamps, window scale. */
#define LINUX(m, w) .opts = O_LINUX, .mss = (m), .wscale = (w)
/* raw_opts from a byte array. */
#define RAW(o) .raw_opts = (o), .raw_len = sizeof(o)

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

/* IPv4's More Fragments flag, in the fragment field (pkt_spec.frag). */
#define IP_MF 0x2000

/* Header lengths without options, for truncation points. */
#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define MSS_OPT_LEN 4 /* kind, length, the MSS */
/* The longest TCP segment of a SYN that shakeoff answers: SYN_MAX_LEN in
 * bpf/syncsum.h (the checksum walk's bound); the tests at it and one
 * past it say so when the two disagree. */
#define SYN_TCP_MAX 1536

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The table runner: one case per row of the array rows (whose rows begin
 * with `const char *name`), run(&row) between case_begin and case_end. */
#define RUN_TABLE(rows, run)                                         \
	do {                                                         \
		for (size_t row_ = 0; row_ < ARRAY_LEN(rows); row_++) { \
			if (!case_begin((rows)[row_].name))          \
				continue;                            \
			run(&(rows)[row_]);                          \
			case_end();                                  \
		}                                                    \
	} while (0)

/* A row of a table of cases that are each a function. */
struct fn_case {
	const char *name;
	void (*fn)(void);
};
void run_fn_case(const struct fn_case *c); /* c->fn() */

/* pkt_build for a case: a spec that does not build fails the case, naming
 * why and the row's fields; -1 then. */
int build_frame(const struct pkt_spec *s, struct frame *f);

/* --- SYN-ACKs ----------------------------------------------------------------- */

/* Options a SYN-ACK carries after MSS. */
#define R_TS 0x1   /* timestamps (the cookie is in timestamp mode) */
#define R_SACK 0x2 /* SACK-permitted in place of the first two NOPs */
#define R_WS 0x4   /* NOP + window scale */
#define R_ECE 0x8  /* an ECN-setup SYN-ACK: ECE in the flags, the cookie's ECN bit */
/* Every option a Linux SYN gets back when the configuration allows them all. */
#define ALL (R_TS | R_SACK | R_WS)

/* What a SYN-ACK must carry beyond what follows from the SYN. */
struct synack_exp {
	__u8 mss_idx; /* the cookie's MSS index */
	__u8 reply;   /* R_* */
	__u8 ws;      /* the client's window scale as the cookie holds it (if R_WS) */
};

/* Check every byte of the SYN-ACK in r against the SYN spec s and frame syn,
 * under cur_cfg and cur_secret; records mismatches. */
bool check_synack(const struct pkt_spec *s, const struct frame *syn,
		  const struct xdp_result *r, const struct synack_exp *e);

/* The ISN and TSval a SYN-ACK carries (tsval 0 without timestamps). */
struct synack_seen {
	__u32 isn;
	__u32 tsval;
	bool ts;
};
void synack_read(const struct xdp_result *r, int family, struct synack_seen *out);

/* The metadata a valid cookie ACK carries to TC (struct so_req_attrs fields). */
struct meta_exp {
	__u16 mss;
	__u8 wscale_ok, snd_wscale, rcv_wscale, sack_ok, tstamp_ok, ecn_ok;
};

/* Check the so_meta in front of r's frame against e, for the ACK spec a
 * (whose TSval and TSecr it must echo). */
void check_meta(const struct xdp_result *r, const struct meta_exp *e, const struct pkt_spec *a);

/* The cookie input of a client->server spec, with the given client ISN. */
void ref_flow_of(const struct pkt_spec *s, __u32 client_isn, struct ref_flow *f);

