// SPDX-License-Identifier: GPL-2.0
/*
 * test_track.c - the connection table's state machine (bpf/track.h) under
 * BPF_PROG_RUN.
 *
 * tc_ingress inserts entries only after the kfunc made a socket, which a test
 * run cannot reach (it needs a real TC ingress skb and a listener's request
 * queue); so each sequence starts from an entry written into "conns"
 * directly, as tc_ingress would have left it. Then client segments go through
 * xdp_shakeoff, server segments through tc_egress, and after every step the
 * entry (state, flags, closed_by, both FIN sequence numbers, packets and bytes
 * each way, t_last), the XDP verdict and every counter are checked.
 *
 * Every sequence runs twice, IPv4 (track4_*) and IPv6 (track6_*).
 *
 * Not here: the sweeper (time_wait linger, idle timeout). It runs from a BPF
 * timer that tc_ingress arms when the kfunc created a socket, which a test
 * run never does; the namespace tests cover expiry with real connections.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "cases.h"
#include "harness.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define CLIENT_PORT 40000
#define SERVER_PORT PORT_OPEN
#define DEFAULT_CBASE 0x10000000u /* client ISN: its first data byte is +1 */
#define DEFAULT_SBASE 0x80000000u /* server ISN */

/* The server socket's state after a step; T_GONE: no entry. T_SYN_RCVD is
 * an entry whose socket was assigned but not yet seen: established with
 * SO_CF_UNCONFIRMED (model_set() spells it out). */
enum {
	T_SYN_RCVD = SO_ST_SYN_RECEIVED,
	T_EST = SO_ST_ESTABLISHED,
	T_CLOSE_WAIT = SO_ST_CLOSE_WAIT,
	T_LAST_ACK = SO_ST_LAST_ACK,
	T_FIN_WAIT_1 = SO_ST_FIN_WAIT_1,
	T_FIN_WAIT_2 = SO_ST_FIN_WAIT_2,
	T_CLOSING = SO_ST_CLOSING,
	T_TIME_WAIT = SO_ST_TIME_WAIT,
	T_GONE = 0xff,
};

/* so_conn.flags, short */
#define CF SO_CF_CLIENT_FIN
#define CA SO_CF_CLIENT_FIN_ACKED
#define SF SO_CF_SERVER_FIN
#define SA SO_CF_SERVER_FIN_ACKED

#define FA (F_FIN | F_ACK)
#define PA (F_PSH | F_ACK)
#define FPA (F_FIN | F_PSH | F_ACK)
#define RA (F_RST | F_ACK)

/* The verdict counter of a client segment that belongs to an entry. */
#define PT C(PASSED_TRACKED)

struct step {
	char dir;       /* 'C': client->server through xdp_shakeoff; 'S': server->client
			 * through tc_egress */
	__u8 flags;     /* F_* */
	__u32 seq;      /* relative to the sender's ISN */
	__u32 ack;      /* relative to the receiver's ISN */
	__u16 len;      /* payload bytes */
	/* after the step */
	__u8 state;     /* T_* */
	__u8 cflags;    /* SO_CF_* */
	__u8 closed_by; /* 'c', 's' or 0 */
	__u32 fin_c;    /* relative, when CF is set (0 otherwise) */
	__u32 fin_s;    /* relative, when SF is set */
	__u64 counters; /* every counter that rises by one in this step */
	__u32 verdict;  /* of a client step; 0: XDP_PASS */
	bool untouched; /* a SYN: handed to the kernel, the entry left as it was
			 * (no packet counted, t_last unchanged) */
};

/* A client or a server segment: direction, flags, seq, ack, payload length. */
#define CL(fl, s, a, n) 'C', (fl), (s), (a), (n)
#define SV(fl, s, a, n) 'S', (fl), (s), (a), (n)
/* What the entry must look like after it, and the counters that rose. */
#define E(st, fl, by, fc, fs, ctr) T_##st, (fl), (by), (fc), (fs), (ctr)

#define MAX_STEPS 12

struct seq_case {
	const char *name;
	__u8 initial;     /* T_EST, T_SYN_RCVD, or T_GONE (no entry at all) */
	__u32 cbase, sbase; /* ISNs; 0: the defaults */
	struct step steps[MAX_STEPS];
};

static const struct seq_case seq_cases[] = {
	{ "client_closes_first", T_EST, 0, 0, {
		{ CL(PA, 1, 1, 100),   E(EST, 0, 0, 0, 0, PT) },
		{ CL(FA, 101, 1, 0),   E(EST, CF, 'c', 101, 0, PT | C(FIN_IN)) },
		/* ack == the FIN's sequence number does not pass it */
		{ SV(F_ACK, 1, 101, 0), E(EST, CF, 'c', 101, 0, 0) },
		{ SV(F_ACK, 1, 102, 0), E(CLOSE_WAIT, CF | CA, 'c', 101, 0, 0) },
		{ SV(FA, 1, 102, 0),   E(LAST_ACK, CF | CA | SF, 'c', 101, 1, C(FIN_OUT)) },
		{ CL(F_ACK, 102, 1, 0), E(LAST_ACK, CF | CA | SF, 'c', 101, 1, PT) },
		{ CL(F_ACK, 102, 2, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	/* the server's FIN carries the ACK of the client's */
	{ "client_closes_first_fin_acks_fin", T_EST, 0, 0, {
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT | C(FIN_IN)) },
		{ SV(FA, 1, 2, 0),     E(LAST_ACK, CF | CA | SF, 'c', 1, 1, C(FIN_OUT)) },
		{ CL(F_ACK, 2, 2, 0),  E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	{ "server_closes_first", T_EST, 0, 0, {
		{ SV(PA, 1, 1, 200),   E(EST, 0, 0, 0, 0, 0) },
		{ SV(FA, 201, 1, 0),   E(FIN_WAIT_1, SF, 's', 0, 201, C(FIN_OUT)) },
		{ CL(F_ACK, 1, 201, 0), E(FIN_WAIT_1, SF, 's', 0, 201, PT) },
		{ CL(F_ACK, 1, 202, 0), E(FIN_WAIT_2, SF | SA, 's', 0, 201, PT) },
		{ CL(FA, 1, 202, 0),   E(FIN_WAIT_2, SF | SA | CF, 's', 1, 201, PT | C(FIN_IN)) },
		{ SV(F_ACK, 202, 2, 0), E(TIME_WAIT, SF | SA | CF | CA, 's', 1, 201, 0) },
		/* the entry lingers in time_wait (the sweeper removes it) */
		{ CL(F_ACK, 2, 202, 0), E(TIME_WAIT, SF | SA | CF | CA, 's', 1, 201, PT) },
	} },
	/* both FINs cross: each side sent its FIN before it saw the other's */
	{ "simultaneous_close", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(FA, 1, 1, 0),     E(FIN_WAIT_1, SF | CF, 's', 1, 1, PT | C(FIN_IN)) },
		{ SV(F_ACK, 2, 2, 0),  E(CLOSING, SF | CF | CA, 's', 1, 1, 0) },
		{ CL(F_ACK, 2, 2, 0),  E(TIME_WAIT, SF | CF | CA | SA, 's', 1, 1, PT) },
	} },
	{ "simultaneous_close_client_fin_first", T_EST, 0, 0, {
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT | C(FIN_IN)) },
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, CF | SF, 'c', 1, 1, C(FIN_OUT)) },
		{ SV(F_ACK, 2, 2, 0),  E(CLOSING, CF | SF | CA, 'c', 1, 1, 0) },
		{ CL(F_ACK, 2, 2, 0),  E(TIME_WAIT, CF | SF | CA | SA, 'c', 1, 1, PT) },
	} },
	/* the client's ACK of the server's FIN is seen before the server's ACK */
	{ "simultaneous_close_acks_reordered", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(FA, 1, 1, 0),     E(FIN_WAIT_1, SF | CF, 's', 1, 1, PT | C(FIN_IN)) },
		{ CL(F_ACK, 2, 2, 0),  E(FIN_WAIT_2, SF | CF | SA, 's', 1, 1, PT) },
		{ SV(F_ACK, 2, 2, 0),  E(TIME_WAIT, SF | CF | SA | CA, 's', 1, 1, 0) },
	} },
	/* client shuts down its write side; the server goes on sending */
	{ "half_close_server_sends", T_EST, 0, 0, {
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT | C(FIN_IN)) },
		{ SV(F_ACK, 1, 2, 0),  E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ SV(PA, 1, 2, 1000),  E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ CL(F_ACK, 2, 1001, 0), E(CLOSE_WAIT, CF | CA, 'c', 1, 0, PT) },
		{ SV(PA, 1001, 2, 1000), E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ SV(PA, 2001, 2, 1000), E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ CL(F_ACK, 2, 3001, 0), E(CLOSE_WAIT, CF | CA, 'c', 1, 0, PT) },
		{ SV(FA, 3001, 2, 0),  E(LAST_ACK, CF | CA | SF, 'c', 1, 3001, C(FIN_OUT)) },
		{ CL(F_ACK, 2, 3002, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	/* server shuts down its write side; the client goes on sending */
	{ "half_close_client_sends", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(F_ACK, 1, 2, 0),  E(FIN_WAIT_2, SF | SA, 's', 0, 1, PT) },
		{ CL(PA, 1, 2, 500),   E(FIN_WAIT_2, SF | SA, 's', 0, 1, PT) },
		{ CL(PA, 501, 2, 500), E(FIN_WAIT_2, SF | SA, 's', 0, 1, PT) },
		{ SV(F_ACK, 2, 1001, 0), E(FIN_WAIT_2, SF | SA, 's', 0, 1, 0) },
		{ CL(FA, 1001, 2, 0),  E(FIN_WAIT_2, SF | SA | CF, 's', 1001, 1, PT | C(FIN_IN)) },
		{ SV(F_ACK, 2, 1002, 0), E(TIME_WAIT, SF | SA | CF | CA, 's', 1001, 1, 0) },
	} },
	{ "rst_from_client", T_EST, 0, 0, {
		{ CL(PA, 1, 1, 100),   E(EST, 0, 0, 0, 0, PT) },
		{ CL(F_RST, 101, 0, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_RESET)) },
	} },
	{ "rst_ack_from_client", T_EST, 0, 0, {
		{ CL(RA, 1, 1, 0),     E(GONE, 0, 0, 0, 0, PT | C(CLOSED_RESET)) },
	} },
	{ "rst_from_server", T_EST, 0, 0, {
		{ SV(PA, 1, 1, 100),   E(EST, 0, 0, 0, 0, 0) },
		{ SV(RA, 101, 1, 0),   E(GONE, 0, 0, 0, 0, C(CLOSED_RESET)) },
	} },
	{ "rst_from_server_in_close_wait", T_EST, 0, 0, {
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT | C(FIN_IN)) },
		{ SV(F_ACK, 1, 2, 0),  E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ SV(F_RST, 1, 0, 0),  E(GONE, 0, 0, 0, 0, C(CLOSED_RESET)) },
	} },
	{ "rst_from_client_in_fin_wait_2", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(F_ACK, 1, 2, 0),  E(FIN_WAIT_2, SF | SA, 's', 0, 1, PT) },
		{ CL(F_RST, 1, 0, 0),  E(GONE, 0, 0, 0, 0, PT | C(CLOSED_RESET)) },
	} },
	{ "rst_from_client_in_time_wait", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(FA, 1, 2, 0),     E(FIN_WAIT_2, SF | SA | CF, 's', 1, 1, PT | C(FIN_IN)) },
		{ SV(F_ACK, 2, 2, 0),  E(TIME_WAIT, SF | SA | CF | CA, 's', 1, 1, 0) },
		{ CL(F_RST, 2, 0, 0),  E(GONE, 0, 0, 0, 0, PT | C(CLOSED_RESET)) },
	} },
	/* fin_in and fin_seq_client only once, acked or not */
	{ "retransmitted_fin_client", T_EST, 0, 0, {
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT | C(FIN_IN)) },
		{ CL(FA, 1, 1, 0),     E(EST, CF, 'c', 1, 0, PT) },
		/* a FIN at another sequence number (forged or stale) moves nothing */
		{ CL(FA, 5, 1, 0),     E(EST, CF, 'c', 1, 0, PT) },
		{ SV(F_ACK, 1, 2, 0),  E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
		{ CL(FA, 1, 1, 0),     E(CLOSE_WAIT, CF | CA, 'c', 1, 0, PT) },
		{ SV(F_ACK, 1, 2, 0),  E(CLOSE_WAIT, CF | CA, 'c', 1, 0, 0) },
	} },
	{ "retransmitted_fin_server", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, 0) },
		{ SV(FA, 9, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, 0) },
		{ CL(F_ACK, 1, 2, 0),  E(FIN_WAIT_2, SF | SA, 's', 0, 1, PT) },
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_2, SF | SA, 's', 0, 1, 0) },
	} },
	/* only an ACK past the FIN moves the state; late and old ACKs never do */
	{ "out_of_order_acks", T_EST, 0, 0, {
		{ CL(FPA, 1, 1, 10),   E(EST, CF, 'c', 11, 0, PT | C(FIN_IN)) },
		{ SV(F_ACK, 1, 5, 0),  E(EST, CF, 'c', 11, 0, 0) },
		{ SV(F_ACK, 1, 11, 0), E(EST, CF, 'c', 11, 0, 0) },
		/* 2^31 + 1 ahead is behind, in sequence arithmetic */
		{ SV(F_ACK, 1, 11 + 0x80000001u, 0), E(EST, CF, 'c', 11, 0, 0) },
		{ SV(F_ACK, 1, 12, 0), E(CLOSE_WAIT, CF | CA, 'c', 11, 0, 0) },
		{ SV(F_ACK, 1, 11, 0), E(CLOSE_WAIT, CF | CA, 'c', 11, 0, 0) },
		{ SV(FA, 1, 12, 0),    E(LAST_ACK, CF | CA | SF, 'c', 11, 1, C(FIN_OUT)) },
		{ CL(F_ACK, 12, 0, 0), E(LAST_ACK, CF | CA | SF, 'c', 11, 1, PT) },
		{ CL(F_ACK, 12, 1, 0), E(LAST_ACK, CF | CA | SF, 'c', 11, 1, PT) },
		{ CL(F_ACK, 12, 2, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	/* a FIN without the ACK flag carries no acknowledgment */
	{ "fin_without_ack_flag", T_EST, 0, 0, {
		{ SV(F_FIN, 1, 1, 0),  E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(F_FIN, 1, 2, 0),  E(FIN_WAIT_1, SF | CF, 's', 1, 1, PT | C(FIN_IN)) },
		{ SV(F_ACK, 2, 2, 0),  E(CLOSING, SF | CF | CA, 's', 1, 1, 0) },
	} },
	/* the FIN occupies the sequence number after the payload */
	{ "fin_with_payload", T_EST, 0, 0, {
		{ CL(FPA, 1, 1, 100),  E(EST, CF, 'c', 101, 0, PT | C(FIN_IN)) },
		{ SV(F_ACK, 1, 101, 0), E(EST, CF, 'c', 101, 0, 0) },
		{ SV(F_ACK, 1, 102, 0), E(CLOSE_WAIT, CF | CA, 'c', 101, 0, 0) },
		{ SV(FPA, 1, 102, 50), E(LAST_ACK, CF | CA | SF, 'c', 101, 51, C(FIN_OUT)) },
		{ CL(F_ACK, 102, 51, 0), E(LAST_ACK, CF | CA | SF, 'c', 101, 51, PT) },
		{ CL(F_ACK, 102, 52, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	/* the FINs at 0xffffffff: their ACK numbers wrap to 0 */
	{ "seq_wraparound", T_EST, 0xfffffff0u, 0xffffffe0u, {
		{ CL(FPA, 1, 1, 14),   E(EST, CF, 'c', 15, 0, PT | C(FIN_IN)) },
		{ SV(F_ACK, 1, 15, 0), E(EST, CF, 'c', 15, 0, 0) },
		{ SV(F_ACK, 1, 16, 0), E(CLOSE_WAIT, CF | CA, 'c', 15, 0, 0) },
		{ SV(FPA, 1, 16, 30),  E(LAST_ACK, CF | CA | SF, 'c', 15, 31, C(FIN_OUT)) },
		{ CL(F_ACK, 15, 31, 0), E(LAST_ACK, CF | CA | SF, 'c', 15, 31, PT) },
		{ CL(F_ACK, 15, 32, 0), E(GONE, 0, 0, 0, 0, PT | C(CLOSED_GRACEFUL)) },
	} },
	/* an established entry's ACKs within its sequence spaces are not
	 * cookie-checked (none of these numbers is a cookie): a keepalive
	 * probe one byte below too; the server's data widens the window of
	 * the client's acks (cookie_ack_case: the ACKs outside) */
	{ "confirmed_acks_not_cookie_checked", T_EST, 0, 0, {
		{ CL(F_ACK, 1, 1, 0), E(EST, 0, 0, 0, 0, PT) },
		{ CL(PA, 1, 1, 100), E(EST, 0, 0, 0, 0, PT) },
		{ CL(F_ACK, 100, 1, 0), E(EST, 0, 0, 0, 0, PT) },
		{ SV(PA, 1, 101, 500), E(EST, 0, 0, 0, 0, 0) },
		{ CL(F_ACK, 101, 501, 0), E(EST, 0, 0, 0, 0, PT) },
		{ CL(F_ACK, 101, 301, 0), E(EST, 0, 0, 0, 0, PT) },
	} },
	/* the socket was assigned; the server's first segment confirms it */
	{ "syn_received_to_established", T_SYN_RCVD, 0, 0, {
		/* not confirmed: an ACK is cookie-checked again, and fails here;
		 * no socket either (the kernel dropped the child: a full accept
		 * queue), so it is dropped, not reset by the kernel: the client
		 * sends it again */
		{ CL(PA, 1, 1, 100),   E(SYN_RCVD, 0, 0, 0, 0, C(DROP_UNCONFIRMED)), XDP_DROP },
		{ CL(PA, 101, 1, 100), E(SYN_RCVD, 0, 0, 0, 0, C(DROP_UNCONFIRMED)), XDP_DROP },
		{ SV(F_ACK, 1, 101, 0), E(EST, 0, 0, 0, 0, 0) },
		{ CL(F_ACK, 101, 1, 0), E(EST, 0, 0, 0, 0, PT) },
	} },
	{ "syn_received_server_fin_first", T_SYN_RCVD, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
	} },
	{ "syn_received_rst_from_client", T_SYN_RCVD, 0, 0, {
		{ CL(F_RST, 1, 0, 0),  E(GONE, 0, 0, 0, 0, PT | C(CLOSED_RESET)) },
	} },
	/* a SYN for an established 4-tuple (a client that lost its socket) is
	 * answered with a cookie like any other; the entry is left as it was */
	{ "syn_for_tracked_tuple", T_EST, 0, 0, {
		{ CL(PA, 1, 1, 10),    E(EST, 0, 0, 0, 0, PT) },
		{ CL(F_SYN, 0, 0, 0),  E(EST, 0, 0, 0, 0, C(SYN_SEEN) | C(SYNACK_SENT)), XDP_TX, true },
		{ CL(F_ACK, 11, 1, 0), E(EST, 0, 0, 0, 0, PT) },
	} },
	/* ... and in time_wait, the client reuses its port (RFC 6191): the kernel
	 * retires its TIME-WAIT socket as it takes the SYN, so the entry's
	 * connection is over (closed gracefully) */
	{ "syn_reuses_time_wait_tuple", T_EST, 0, 0, {
		{ SV(FA, 1, 1, 0),     E(FIN_WAIT_1, SF, 's', 0, 1, C(FIN_OUT)) },
		{ CL(FA, 1, 2, 0),     E(FIN_WAIT_2, SF | SA | CF, 's', 1, 1, PT | C(FIN_IN)) },
		{ SV(F_ACK, 2, 2, 0),  E(TIME_WAIT, SF | SA | CF | CA, 's', 1, 1, 0) },
		{ CL(F_SYN, 0x10000, 0, 0), E(GONE, 0, 0, 0, 0, C(SYN_SEEN) | C(PASSED_TIME_WAIT) | C(CLOSED_GRACEFUL)) },
	} },
	/* no handshake seen, no socket: nothing is inserted, nothing passes */
	{ "fin_before_handshake", T_GONE, 0, 0, {
		{ CL(F_FIN, 1, 0, 0),  E(GONE, 0, 0, 0, 0, C(DROP_NO_SOCKET)), XDP_DROP },
		{ CL(FA, 1, 1, 0),     E(GONE, 0, 0, 0, 0, C(ACK_COOKIE_INVALID)), XDP_DROP },
		{ SV(FA, 1, 1, 0),     E(GONE, 0, 0, 0, 0, 0) },
		{ SV(F_ACK, 1, 2, 0),  E(GONE, 0, 0, 0, 0, 0) },
		{ CL(F_RST, 1, 0, 0),  E(GONE, 0, 0, 0, 0, C(DROP_NO_SOCKET)), XDP_DROP },
	} },
};

struct track_run {
	int family;
	__u32 cbase, sbase;
	struct so_flow_key key;
	struct so_conn model; /* what the entry must hold now */
	bool present;
	__u64 t_established;
	__u64 t_last;         /* as the entry held it after the last step */
};

static const char *caddr(int family)
{
	return family == 6 ? "2001:2::1" : "198.18.0.1";
}

static const char *saddr_of_server(int family)
{
	return family == 6 ? "2001:2::2" : "198.18.0.2";
}

static void flow_key_of(int family, struct so_flow_key *k)
{
	int af = family == 6 ? AF_INET6 : AF_INET;

	memset(k, 0, sizeof(*k));
	k->family = family == 6 ? SO_AF_INET6 : SO_AF_INET;
	k->sport = htons(CLIENT_PORT);
	k->dport = htons(SERVER_PORT);
	inet_pton(af, caddr(family), k->saddr);
	inet_pton(af, saddr_of_server(family), k->daddr);
}

static const char *state_name(int st)
{
	static const char *const n[] = {
#define SO_X_NAME(id, name) [SO_ST_##id] = #name,
		SO_CONN_STATES(SO_X_NAME)
#undef SO_X_NAME
	};

	if (st == T_GONE)
		return "(no entry)";
	return st >= 0 && st < SO_ST_MAX ? n[st] : "?";
}

static void step_spec(const struct track_run *t, const struct step *s, struct pkt_spec *p)
{
	bool client = s->dir == 'C';
	__u32 seq = (client ? t->cbase : t->sbase) + s->seq;

	memset(p, 0, sizeof(*p));
	p->family = t->family;
	p->saddr = client ? caddr(t->family) : saddr_of_server(t->family);
	p->daddr = client ? saddr_of_server(t->family) : caddr(t->family);
	p->sport = client ? CLIENT_PORT : SERVER_PORT;
	p->dport = client ? SERVER_PORT : CLIENT_PORT;
	p->seq = seq;
	p->zero_seq = seq == 0;
	p->ack = s->flags & F_ACK ? (client ? t->sbase : t->cbase) + s->ack : 0;
	p->flags = s->flags;
	p->window = 502;
	p->payload_len = s->len;
}

/* The entry a T_* state and the SO_CF_* flags of a row stand for. */
static void model_set(struct so_conn *m, __u8 state, __u8 cflags)
{
	m->state = state == T_SYN_RCVD ? SO_ST_ESTABLISHED : state;
	m->flags = cflags | (state == T_SYN_RCVD ? SO_CF_UNCONFIRMED : 0);
}

/* The model of the entry after a step that did not remove it. */
static void model_step(struct track_run *t, const struct step *s)
{
	struct so_conn *m = &t->model;

	if (s->untouched)
		return;
	if (s->dir == 'C') {
		m->pkts_in++;
		m->bytes_in += s->len;
	} else {
		m->pkts_out++;
		m->bytes_out += s->len;
	}
	model_set(m, s->state, s->cflags);
	m->closed_by = s->closed_by == 'c' ? SO_CLOSER_CLIENT
		       : s->closed_by == 's' ? SO_CLOSER_SERVER
					     : SO_CLOSER_NONE;
	/* until its FIN, a side's field holds where its sequence space starts
	 * (conn_seq_start()): ISN + 1 */
	m->fin_seq_client = s->cflags & CF ? t->cbase + s->fin_c : t->cbase + 1;
	m->fin_seq_server = s->cflags & SF ? t->sbase + s->fin_s : t->sbase + 1;
}

static void check_entry(struct track_run *t, const struct step *s, __u64 t0, __u64 t1)
{
	const struct so_conn *m = &t->model;
	struct so_conn c;
	bool there = conn_get(&t->key, &c);
	char what[96];

	if (s->state == T_GONE) {
		if (there)
			case_fail("entry: expected none, got one in state %s", state_name(c.state));
		t->present = false;
		return;
	}
	if (!there) {
		case_fail("entry: expected one in state %s, got none", state_name(s->state));
		t->present = false;
		return;
	}
	if (c.state != m->state)
		case_fail("state: expected %s, got %s", state_name(m->state), state_name(c.state));
	check_hex(c.flags, m->flags, "flags (SO_CF_*)");
	check_u64(c.closed_by, m->closed_by, "closed_by (1 client, 2 server)");
	check_hex(c.fin_seq_client, m->fin_seq_client, "fin_seq_client");
	check_hex(c.fin_seq_server, m->fin_seq_server, "fin_seq_server");
	check_u64(c.pkts_in, m->pkts_in, "pkts_in");
	check_u64(c.pkts_out, m->pkts_out, "pkts_out");
	check_u64(c.bytes_in, m->bytes_in, "bytes_in");
	check_u64(c.bytes_out, m->bytes_out, "bytes_out");
	check_u64(c.t_established, t->t_established, "t_established (unchanged)");
	if (s->untouched) {
		check_u64(c.t_last, t->t_last, "t_last (unchanged)");
	} else {
		snprintf(what, sizeof(what), "t_last %llu within the step [%llu, %llu]",
			 (unsigned long long)c.t_last, (unsigned long long)t0,
			 (unsigned long long)t1);
		check_true(c.t_last >= t0 && c.t_last <= t1, what);
	}
	t->t_last = c.t_last;
	if (m->closed_by == SO_CLOSER_NONE)
		check_u64(c.t_first_fin, 0, "t_first_fin (no FIN yet)");
	else
		check_true(c.t_first_fin >= t->t_established && c.t_first_fin <= c.t_last,
			   "t_first_fin set, between t_established and t_last");
}

static void run_step(struct track_run *t, const struct step *s, int i)
{
	static struct xdp_result r;
	__s64 delta[SO_C_MAX];
	struct pkt_spec p;
	struct frame f;
	__u64 t0, t1;
	__u32 ret;

	case_context("step %d (%s, flags 0x%02x, seq +%u, ack +%u, %u bytes)", i + 1,
		     s->dir == 'C' ? "client" : "server", s->flags, s->seq, s->ack, s->len);
	step_spec(t, s, &p);
	if (build_frame(&p, &f))
		return;
	t0 = mono_ns();
	if (s->dir == 'C') {
		if (run_xdp(&f, 0, &r))
			return;
		t1 = mono_ns();
		if (env_in_kernel_mode() && s->counters & C(DROP_UNCONFIRMED))
			/* kernel mode: no socket for an unconfirmed entry, and
			 * no valid cookie: the kernel's own check judges the
			 * segment (kc_unconfirmed), kfunc mode drops it */
			check_xdp(&r, XDP_PASS, (s->counters & ~C(DROP_UNCONFIRMED)) | PT);
		else
			check_xdp(&r, s->verdict ? s->verdict : XDP_PASS, s->counters);
		check_u64(r.meta_len, 0, "metadata bytes (no cookie ACK here)");
	} else {
		if (run_tc(false, &f, &ret, delta))
			return;
		t1 = mono_ns();
		check_u64(ret, TC_ACT_OK, "tc_egress verdict (TC_ACT_OK)");
		check_counters(delta, s->counters);
	}
	if (t->present && s->state != T_GONE)
		model_step(t, s);
	else if (s->state != T_GONE)
		case_fail("the fixture expects an entry that does not exist");
	check_entry(t, s, t0, t1);
	if (s->state == T_GONE)
		check_u64(conns_count(), 0, "entries in the table");
	if (case_failed())
		dump("segment", f.b, f.len);
	case_context(NULL);
}

static void run_seq_case(const struct seq_case *c, int family)
{
	struct track_run t = {
		.family = family,
		.cbase = c->cbase ? c->cbase : DEFAULT_CBASE,
		.sbase = c->sbase ? c->sbase : DEFAULT_SBASE,
	};

	conns_clear();
	flow_key_of(family, &t.key);
	if (c->initial != T_GONE) {
		t.t_established = mono_ns();
		model_set(&t.model, c->initial, 0);
		t.model.fin_seq_client = t.cbase + 1; /* as conn_seq_start() */
		t.model.fin_seq_server = t.sbase + 1;
		t.model.t_established = t.model.t_last = t.t_established;
		t.t_last = t.t_established;
		if (conn_put(&t.key, &t.model)) {
			case_fail("cannot write the entry into conns");
			return;
		}
		t.present = true;
	}
	for (int i = 0; i < MAX_STEPS && c->steps[i].dir; i++) {
		run_step(&t, &c->steps[i], i);
		if (case_failed())
			break;
	}
	conns_clear();
}

/* --- a tracked connection's cookie ACK, confirmed or not ----------------- */

enum cookie_entry {
	CE_ELSEWHERE, /* the entry's sequence spaces are another connection's */
	CE_OWN,       /* they start at this ACK's numbers: the entry's own third ACK */
	CE_FIN,       /* elsewhere, and the client's FIN seen */
};

struct cookie_case {
	const char *name;
	__u8 initial;          /* T_SYN_RCVD or T_EST */
	enum cookie_entry entry;
	bool forged;           /* an ack number no SYN-ACK carried: dropped, ack_cookie_invalid,
				* the entry untouched */
	bool new_connection;   /* XDP_PASS with metadata, ack_cookie_valid, the entry untouched */
};

/* A SYN through XDP for the tracked 4-tuple gives a real cookie. Its third
 * ACK passes with metadata while the entry is syn_received (the accept
 * queue may have been full: TC tries again). Once the entry is
 * established, an ACK within its sequence spaces is its segment (no cookie
 * check, no metadata); one outside them is a new connection's if its cookie
 * is valid (a client that lost its socket, the server's socket gone too:
 * TC's conn_insert() then replaces the entry), else no connection's: with no
 * socket of the 4-tuple, dropped as any forged ACK, and the entry stays. */
static const struct cookie_case cookie_cases[] = {
	{ "cookie_ack_syn_received_revalidated", T_SYN_RCVD, CE_ELSEWHERE, false, true },
	{ "cookie_ack_established_own_not_checked", T_EST, CE_OWN },
	{ "cookie_ack_established_new_connection", T_EST, CE_ELSEWHERE, false, true },
	{ "forged_ack_established_dropped_entry_stays", T_EST, CE_ELSEWHERE, true },
	{ "cookie_ack_after_fin_stays_tracked", T_EST, CE_FIN },
};

static void cookie_ack_case(int family, const struct cookie_case *cc)
{
	static struct xdp_result r;
	struct pkt_spec syn = { .family = family, .sport = CLIENT_PORT, .dport = SERVER_PORT,
				.opts = O_LINUX, .mss = 1460, .wscale = 7 }, a;
	struct synack_seen seen;
	struct so_flow_key k;
	struct so_conn c = {}, got;
	struct frame f;

	model_set(&c, cc->initial, cc->entry == CE_FIN ? CF : 0);
	conns_clear();
	if (build_frame(&syn, &f) || run_xdp(&f, 0, &r))
		return;
	if (!check_u64(r.verdict, XDP_TX, "the SYN's verdict (XDP_TX)"))
		return;
	synack_read(&r, family, &seen);
	flow_key_of(family, &k);
	c.t_established = c.t_last = mono_ns();
	a = (struct pkt_spec){ .family = family, .sport = CLIENT_PORT, .dport = SERVER_PORT,
			       .seq = spec_seq(&syn) + 1, .ack = seen.isn + 1, .flags = F_ACK,
			       .window = 502, .opts = O_TS, .tsval = spec_tsval(&syn) + 1,
			       .tsecr = seen.tsval };
	if (cc->forged)
		a.ack = seen.isn + 0x5eed;
	/* the old connection's spaces: 1 MB of it each way ends 2^20 below */
	c.fin_seq_client = a.seq - 0x200000;
	c.fin_seq_server = a.ack - 0x200000;
	c.bytes_in = c.bytes_out = 0x100000;
	if (cc->entry == CE_OWN) {
		c.fin_seq_client = a.seq;
		c.fin_seq_server = a.ack;
	}
	if (conn_put(&k, &c)) {
		case_fail("cannot write the entry into conns");
		return;
	}
	if (build_frame(&a, &f) || run_xdp(&f, 0, &r))
		return;
	if (cc->new_connection) {
		check_xdp(&r, XDP_PASS, C(ACK_COOKIE_VALID) | C_META_MAP);
		check_u64(r.meta_len + r.meta_in_map * sizeof(struct so_meta), sizeof(struct so_meta),
			  "metadata bytes, or an ackmeta entry (cookie valid)");
	} else if (cc->forged) {
		check_xdp(&r, XDP_DROP, C(ACK_COOKIE_INVALID));
	} else {
		check_xdp(&r, XDP_PASS, C(PASSED_TRACKED));
		check_u64(r.meta_len, 0, "metadata bytes (the entry's segment: none)");
	}
	if (check_true(conn_get(&k, &got), "the entry is still there")) {
		check_u64(got.state, c.state, "state (unchanged by an ACK)");
		check_hex(got.flags, c.flags, "flags (unchanged by an ACK)");
		/* a new connection's ACK is not the old entry's: TC replaces it */
		check_u64(got.pkts_in,
			  (cc->new_connection && cc->initial != T_SYN_RCVD) || cc->forged ? 0 : 1,
			  "pkts_in");
	}
	if (case_failed())
		dump("ACK", f.b, f.len);
	conns_clear();
}

/* A first fragment of a tracked connection's segment passes as tracked but
 * moves nothing: its payload is not all there, so its FIN (and length)
 * cannot be judged; the kernel reassembles it. */
static void fragment_case(int family)
{
	static struct xdp_result r;
	struct pkt_spec s = { .family = family, .sport = CLIENT_PORT, .dport = SERVER_PORT,
			      .seq = 1000, .ack = 2000, .flags = F_ACK | F_FIN, .payload_len = 64 };
	struct so_flow_key k;
	struct so_conn c = {}, got;
	struct frame f;

	if (family == 6) {
		s.n_ext = 1;
		s.ext[0] = (struct ext_spec){ .type = IPPROTO_FRAGMENT, .frag = 1 };
	} else {
		s.frag = IP_MF; /* offset 0 */
	}
	model_set(&c, T_EST, 0);
	conns_clear();
	flow_key_of(family, &k);
	c.t_established = c.t_last = mono_ns();
	if (conn_put(&k, &c)) {
		case_fail("cannot write the entry into conns");
		return;
	}
	if (build_frame(&s, &f) || run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, XDP_PASS, C(PASSED_TRACKED));
	if (check_true(conn_get(&k, &got), "the entry is still there"))
		check_bytes(&got, &c, sizeof(c), "the entry (unchanged: no FIN taken from a fragment)");
	if (case_failed())
		dump("fragment", f.b, f.len);
	conns_clear();
}

/* Whether a step of the case is a SYN that XDP answers. */
static bool answers_syn(const struct seq_case *c)
{
	for (int i = 0; i < MAX_STEPS && c->steps[i].dir; i++)
		if (c->steps[i].verdict == XDP_TX)
			return true;
	return false;
}

void test_track(void)
{
	static char names[2][sizeof(seq_cases) / sizeof(seq_cases[0])][96];
	enum { NC = sizeof(cookie_cases) / sizeof(cookie_cases[0]) };
	static char cnames[2][NC][96];

	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? 6 : 4;

		for (size_t i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
			snprintf(names[fam][i], sizeof(names[fam][i]), "track%d_%s", family,
				 seq_cases[i].name);
			if (!case_begin(names[fam][i]))
				continue;
			if (!env_kfunc && answers_syn(&seq_cases[i]))
				case_skip("a SYN answered with shakeoff's own cookie (kfunc mode); "
					  "kernel mode answers with a live listener's cookie only");
			else
				run_seq_case(&seq_cases[i], family);
			case_end();
		}
		for (size_t i = 0; i < NC; i++) {
			snprintf(cnames[fam][i], sizeof(cnames[fam][i]), "track%d_%s", family,
				 cookie_cases[i].name);
			if (!case_begin(cnames[fam][i]))
				continue;
			if (!env_kfunc)
				case_skip("the ACK returns a cookie of shakeoff's own, from a SYN "
					  "through XDP (kfunc mode)");
			else
				cookie_ack_case(family, &cookie_cases[i]);
			case_end();
		}
		if (case_begin(family == 4 ? "track4_first_fragment_passes_untracked"
					   : "track6_first_fragment_passes_untracked")) {
			fragment_case(family);
			case_end();
		}
	}
}
