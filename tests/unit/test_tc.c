// SPDX-License-Identifier: GPL-2.0
/*
 * test_tc.c - the TC programs on what they must leave alone, and the tally of
 * every XDP run made by the other groups.
 *
 * tc_ingress acts only on frames that carry shakeoff's metadata; BPF_PROG_RUN
 * of a TC program cannot pass metadata in, so only the "no metadata" side is
 * testable here (the namespace tests cover the other).
 */
#include <netinet/in.h>
#include <linux/pkt_cls.h>

#include "cases.h"
#include "harness.h"


struct tc_case {
	const char *name;
	bool ingress;
	struct pkt_spec in;
};

static const struct tc_case tc_cases[] = {
	{ "tc_ingress_ack4_no_meta", true,  V4(.flags = F_ACK, .seq = 0x11223345, .ack = 0x5000) },
	{ "tc_ingress_ack6_no_meta", true,  V6(.flags = F_ACK, .seq = 0x11223345, .ack = 0x5000) },
	{ "tc_ingress_syn4_no_meta", true,  V4(LINUX(1460, 7)) },
	{ "tc_ingress_udp4",         true,  V4(.l4 = IPPROTO_UDP, .payload_len = 20) },
	{ "tc_egress_udp4",          false, V4(.l4 = IPPROTO_UDP, .payload_len = 20) },
	{ "tc_egress_tcp4_untracked", false, V4(.flags = F_ACK | F_PSH, .sport = 80, .dport = 40000, .ack = 1, .payload_len = 100) },
	{ "tc_egress_tcp6_untracked", false, V6(.flags = F_ACK, .sport = 8000, .dport = 40000, .ack = 1) },
	{ "tc_egress_tcp4_unprotected", false, V4(.flags = F_ACK, .sport = 81, .dport = 40000, .ack = 1) },
};

static void run_tc_case(const struct tc_case *c)
{
	__s64 delta[SO_C_MAX];
	struct frame f;
	__u32 ret;

	if (build_frame(&c->in, &f))
		return;
	if (run_tc(c->ingress, &f, &ret, delta))
		return;
	check_u64(ret, TC_ACT_OK, "TC verdict (TC_ACT_OK)");
	check_counters(delta, 0);
	if (case_failed())
		dump("in", f.b, f.len);
}

void test_tc(void)
{
	RUN_TABLE(tc_cases, run_tc_case);
}

/* Every XDP run of this binary ends in exactly one verdict counter (kind V
 * in SO_COUNTERS), raised by exactly one. */
void test_tally(void)
{
	if (!case_begin("xdp_verdicts_add_up"))
		return;
	if (verdict_runs == 0)
		case_skip("no XDP run matched -t");
	else if (verdict_bad_runs)
		case_fail("runs with exactly one verdict counter +1: expected %d of %d, got %d (%s)",
			  verdict_runs, verdict_runs, verdict_runs - verdict_bad_runs,
			  verdict_bad_names);
	case_end();
}
