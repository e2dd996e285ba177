// SPDX-License-Identifier: GPL-2.0
/*
 * test_events.c - what `shakeoff events` reads: samples of dropped frames
 * (ring "drops") and connection events (ring "events"). Nothing while the
 * listen flag is off; with it, one sample per drop with the right reason,
 * length and bytes, only the reasons asked for, no more than the budget;
 * and a close or fin event with the entry's figures when a tracked
 * connection ends or a side sends its first FIN.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>

#include "cases.h"
#include "harness.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define FAST 1000 /* ns between samples per CPU: no budget to speak of */

struct sample_case {
	const char *name;
	struct pkt_spec in;
	__u8 listen;
	__u64 reasons;      /* evconf.drop_reasons[0]; 0: all */
	__u64 counters;     /* of the run */
	int reason;         /* of the sample, -1: none expected */
};

#define BIT(id) (1ULL << SO_C_##id)

static const struct sample_case sample_cases[] = {
	{ "drop_sample_none_while_unheard", V4(LINUX(1460, 7), .bad_tcp_csum = true), 0, 0,
	  C(SYN_SEEN) | C(DROP_TCP_CSUM), -1 },
	{ "drop_sample_none_for_events_only", V4(LINUX(1460, 7), .bad_tcp_csum = true), SO_LISTEN_EVENTS, 0,
	  C(SYN_SEEN) | C(DROP_TCP_CSUM), -1 },
	{ "drop_sample_bad_tcp_csum4", V4(LINUX(1460, 7), .bad_tcp_csum = true), SO_LISTEN_DROPS, 0,
	  C(SYN_SEEN) | C(DROP_TCP_CSUM) | C(DROP_SAMPLED), SO_C_DROP_TCP_CSUM },
	{ "drop_sample_bad_tcp_csum6", V6(LINUX(1440, 7), .bad_tcp_csum = true), SO_LISTEN_DROPS, 0,
	  C(SYN_SEEN) | C(DROP_TCP_CSUM) | C(DROP_SAMPLED), SO_C_DROP_TCP_CSUM },
	{ "drop_sample_bad_ip_csum", V4(LINUX(1460, 7), .bad_ip_csum = true), SO_LISTEN_DROPS, 0,
	  C(SYN_SEEN) | C(DROP_IP_CSUM) | C(DROP_SAMPLED), SO_C_DROP_IP_CSUM },
	{ "drop_sample_syn_fin", V4(LINUX(1460, 7), .flags = F_SYN | F_FIN), SO_LISTEN_DROPS, 0,
	  C(SYN_SEEN) | C(DROP_SYN_FLAGS) | C(DROP_SAMPLED), SO_C_DROP_SYN_FLAGS },
	{ "drop_sample_forged_ack", V4(.flags = F_ACK, .ack = 0x5348414b),
	  SO_LISTEN_DROPS, 0, C(ACK_COOKIE_INVALID) | C(DROP_SAMPLED), SO_C_ACK_COOKIE_INVALID },
	{ "drop_sample_malformed", V4(.truncate = ETH_LEN + 12), SO_LISTEN_DROPS, 0,
	  C(DROP_MALFORMED) | C(DROP_SAMPLED), SO_C_DROP_MALFORMED },
	{ "drop_sample_long_frame_cut", V4(.flags = F_FIN, .payload_len = 600),
	  SO_LISTEN_DROPS, 0, C(DROP_NO_SOCKET) | C(DROP_SAMPLED), SO_C_DROP_NO_SOCKET },
	{ "drop_sample_reason_wanted", V4(LINUX(1460, 7), .flags = F_SYN | F_FIN), SO_LISTEN_DROPS,
	  BIT(DROP_SYN_FLAGS) | BIT(DROP_IP_CSUM),
	  C(SYN_SEEN) | C(DROP_SYN_FLAGS) | C(DROP_SAMPLED), SO_C_DROP_SYN_FLAGS },
	{ "drop_sample_reason_not_wanted", V4(LINUX(1460, 7), .bad_tcp_csum = true), SO_LISTEN_DROPS,
	  BIT(DROP_SYN_FLAGS) | BIT(DROP_IP_CSUM), C(SYN_SEEN) | C(DROP_TCP_CSUM), -1 },
	{ "drop_sample_not_for_a_pass", V4(.dport = 81), SO_LISTEN_DROPS, 0,
	  C(PASSED), -1 },
};

static void run_sample_case(const struct sample_case *c)
{
	static struct xdp_result r;
	struct so_evconf ec = { .drop_interval_ns = FAST, .drop_reasons = { c->reasons, 0 } };
	struct so_drop d;
	struct frame f;
	__u32 caplen;
	__u64 t0;
	int n;

	if (build_frame(&c->in, &f))
		return;
	if (events_setup(c->listen, &ec) || ring_take(true, &d, sizeof(d)) < 0) {
		case_fail("cannot set the events up");
		return;
	}
	t0 = mono_ns();
	if (run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, c->counters & C(PASSED) ? XDP_PASS : XDP_DROP, c->counters);
	memset(&d, 0, sizeof(d));
	n = ring_take(true, &d, sizeof(d));
	check_u64(n, c->reason < 0 ? 0 : 1, "samples in the drops ring");
	if (n != 1 || c->reason < 0)
		return;
	caplen = f.len < SO_DROP_SNAP ? f.len : SO_DROP_SNAP;
	check_u64(d.reason, c->reason, "the sample's reason");
	check_u64(d.len, f.len, "the sample's len (the whole frame)");
	check_u64(d.caplen, caplen, "the sample's caplen");
	check_bytes(d.data, f.b, caplen, "the sample's bytes");
	check_true(d.t_ns >= t0 && d.t_ns <= mono_ns(), "the sample's time (CLOCK_MONOTONIC)");
}

/* A flood of drops against a budget of 10 a second on one CPU: the GCRA's
 * burst is one second's worth, so 10 samples, 11 if a tenth of a second
 * went by. */
static void run_budget_case(void)
{
	struct pkt_spec s = V4(LINUX(1460, 7), .bad_tcp_csum = true);
	struct so_evconf ec = { .drop_interval_ns = 100000000 };
	static struct xdp_result r;
	__u64 before[SO_C_MAX], after[SO_C_MAX];
	struct so_drop d;
	struct frame f;
	int n;

	if (build_frame(&s, &f) || pin_to(0) || events_setup(SO_LISTEN_DROPS, &ec) ||
	    ring_take(true, &d, sizeof(d)) < 0) {
		case_fail("cannot set the case up");
		return;
	}
	read_counters(before);
	for (int i = 0; i < 200; i++)
		if (run_xdp(&f, 0, &r))
			return;
	read_counters(after);
	n = ring_take(true, &d, sizeof(d));
	check_u64(after[SO_C_DROP_TCP_CSUM] - before[SO_C_DROP_TCP_CSUM], 200, "drops");
	check_true(n >= 10 && n <= 11, "10 or 11 samples in the ring");
	check_u64(after[SO_C_DROP_SAMPLED] - before[SO_C_DROP_SAMPLED], n, "drop_sampled");
}

/* --- connection events --------------------------------------------------------- */

#define CPORT 40100
#define SPORT 80

static void key_of(int family, struct so_flow_key *k)
{
	int af = family == 6 ? AF_INET6 : AF_INET;

	memset(k, 0, sizeof(*k));
	k->family = family == 6 ? SO_AF_INET6 : SO_AF_INET;
	k->sport = htons(CPORT);
	k->dport = htons(SPORT);
	inet_pton(af, family == 6 ? "2001:2::1" : "198.18.0.1", k->saddr);
	inet_pton(af, family == 6 ? "2001:2::2" : "198.18.0.2", k->daddr);
}

struct conn_case {
	const char *name;
	int family;
	__u8 listen;
	__u8 flags;     /* of the client's segment (XDP) */
	__u64 counters;
	int type;       /* of the event, 0: none */
	__u8 reason, side;
};

static const struct conn_case conn_cases[] = {
	{ "event_none_while_unheard", 4, 0, F_RST, C(PASSED_TRACKED) | C(CLOSED_RESET), 0 },
	{ "event_none_for_drops_only", 4, SO_LISTEN_DROPS, F_RST,
	  C(PASSED_TRACKED) | C(CLOSED_RESET), 0 },
	{ "event_close_reset_by_client4", 4, SO_LISTEN_EVENTS, F_RST,
	  C(PASSED_TRACKED) | C(CLOSED_RESET) | C(EVENT_SENT), SO_EV_CLOSE, SO_END_RESET,
	  SO_CLOSER_CLIENT },
	{ "event_close_reset_by_client6", 6, SO_LISTEN_EVENTS, F_RST | F_ACK,
	  C(PASSED_TRACKED) | C(CLOSED_RESET) | C(EVENT_SENT), SO_EV_CLOSE, SO_END_RESET,
	  SO_CLOSER_CLIENT },
	{ "event_fin_from_client", 4, SO_LISTEN_EVENTS, F_FIN | F_ACK,
	  C(PASSED_TRACKED) | C(FIN_IN) | C(EVENT_SENT), SO_EV_FIN, 0, SO_CLOSER_CLIENT },
	{ "event_none_for_data", 4, SO_LISTEN_EVENTS, F_ACK, C(PASSED_TRACKED), 0 },
};

static void run_conn_case(const struct conn_case *c)
{
	struct so_conn e = { .state = SO_ST_ESTABLISHED, .pkts_in = 7, .pkts_out = 5,
			     .bytes_in = 1234, .bytes_out = 56789 };
	struct pkt_spec s = { .family = c->family, .sport = CPORT, .dport = SPORT,
			      .flags = c->flags, .ack = 1, .seq = 1000 };
	struct so_evconf ec = {};
	static struct xdp_result r;
	struct so_flow_key k;
	struct so_event ev;
	struct frame f;
	int n;

	key_of(c->family, &k);
	e.t_established = mono_ns() - 2000000000ULL;
	e.t_last = e.t_established + 1000;
	conns_clear();
	if (build_frame(&s, &f) || conn_put(&k, &e) || events_setup(c->listen, &ec) ||
	    ring_take(false, &ev, sizeof(ev)) < 0) {
		case_fail("cannot set the case up");
		return;
	}
	if (run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, XDP_PASS, c->counters);
	memset(&ev, 0, sizeof(ev));
	n = ring_take(false, &ev, sizeof(ev));
	check_u64(n, c->type ? 1 : 0, "events in the ring");
	conns_clear();
	if (n != 1 || !c->type)
		return;
	check_u64(ev.type, c->type, "type");
	check_u64(ev.reason, c->reason, "reason");
	check_u64(ev.side, c->side, "side");
	check_bytes(&ev.key, &k, sizeof(k), "key");
	check_u64(ev.t_established, e.t_established, "t_established");
	check_u64(ev.pkts_in, c->type == SO_EV_FIN ? 8 : 7, "pkts_in");
	check_u64(ev.pkts_out, 5, "pkts_out");
	check_u64(ev.bytes_in, 1234, "bytes_in");
	check_u64(ev.bytes_out, 56789, "bytes_out");
	check_true(ev.t_ns > e.t_established && ev.t_ns <= mono_ns(), "t_ns: now");
	if (c->type == SO_EV_FIN)
		check_u64(ev.closed_by, SO_CLOSER_CLIENT, "closed_by");
}

void test_events(void)
{
	struct so_evconf none = {};

	RUN_TABLE(sample_cases, run_sample_case);
	if (case_begin("drop_sample_budget_holds")) {
		run_budget_case();
		case_end();
	}
	RUN_TABLE(conn_cases, run_conn_case);
	events_setup(0, &none);
	reset_maps();
}
