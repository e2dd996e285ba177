/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cases.h - the groups of test cases, and the SYN-ACK checker that the SYN and
 * ACK groups share.
 */
#pragma once

#include <stdbool.h>
#include <linux/types.h>

#include "env.h"
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
void test_tally(void);
void measure_cost(void); /* cost.c: test_unit --cost, the key ring's cost per forged ACK */   /* test_tc.c: verdict counters added up over every run */

/* Options a SYN-ACK carries after MSS. */
#define R_TS 0x1   /* timestamps (the cookie is in timestamp mode) */
#define R_SACK 0x2 /* SACK-permitted in place of the first two NOPs */
#define R_WS 0x4   /* NOP + window scale */
#define R_ECE 0x8  /* an ECN-setup SYN-ACK: ECE in the flags, the cookie's ECN bit */

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

