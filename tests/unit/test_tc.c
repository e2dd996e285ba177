// SPDX-License-Identifier: GPL-2.0
/*
 * test_tc.c - the TC programs on what they must leave alone, and the tally of
 * every XDP run made by the other groups.
 *
 * tc_ingress acts only on frames that carry shakeoff's metadata, or whose
 * decoded cookie XDP left in the map ackmeta; BPF_PROG_RUN of a TC program
 * cannot pass metadata in, so of the first only the "no metadata" side is
 * testable here (the namespace tests cover the other); the map is.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
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

/* tc_ingress and the map ackmeta: an entry for the frame's 4-tuple is put
 * first, and tc_ingress made to look there. A cookie ACK's entry is taken
 * and a socket asked for (no listener here); a SYN, or a port not
 * protected, leave it. */
struct ackmeta_case {
	const char *name;
	struct pkt_spec in;
	bool taken;     /* tc_ingress must take the entry out */
	__u64 counters; /* the counters that rise by one (C(...)) */
};

static const struct ackmeta_case ackmeta_cases[] = {
	{ "tc_ingress_ack4_ackmeta", V4(.flags = F_ACK, .seq = 0x11223345, .ack = 0x5000), true,
	  C(CONN_NO_LISTENER) },
	{ "tc_ingress_ack6_ackmeta",
	  V6(.flags = F_ACK | F_PSH, .seq = 0x11223345, .ack = 0x5000, .payload_len = 10), true,
	  C(CONN_NO_LISTENER) },
	{ "tc_ingress_syn4_ackmeta_left", V4(LINUX(1460, 7)), false, 0 },
	{ "tc_ingress_ack4_ackmeta_unprotected",
	  V4(.flags = F_ACK, .dport = 81, .seq = 0x11223345, .ack = 0x5000), false, 0 },
};

/* The ackmeta key of a client->server spec, from pktbuild's own defaults. */
static void key_of(const struct pkt_spec *s, struct so_flow_key *k)
{
	__u8 saddr[16], daddr[16];
	size_t alen = s->family == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	spec_addrs(s, saddr, daddr);
	k->family = s->family == 6 ? SO_AF_INET6 : SO_AF_INET;
	k->sport = htons(spec_sport(s));
	k->dport = htons(spec_dport(s));
	memcpy(k->saddr, saddr, alen);
	memcpy(k->daddr, daddr, alen);
}

/* Kernel mode loads no tc_ingress: the kernel makes the socket itself. */
#define NO_TC_INGRESS "completion mode kernel loads no tc_ingress (the kernel's own cookie check makes the socket)"

static void run_tc_case(const struct tc_case *c)
{
	__s64 delta[SO_C_MAX];
	struct frame f;
	__u32 ret;

	if (c->ingress && !env_kfunc) {
		case_skip(NO_TC_INGRESS);
		return;
	}
	if (build_frame(&c->in, &f))
		return;
	if (run_tc(c->ingress, &f, &ret, delta))
		return;
	check_u64(ret, TC_ACT_OK, "TC verdict (TC_ACT_OK)");
	check_counters(delta, 0);
	if (case_failed())
		dump("in", f.b, f.len);
}

static void run_ackmeta_case(const struct ackmeta_case *c)
{
	const struct so_meta m = { .magic = SO_META_MAGIC, .attrs = { .mss = 1460 } };
	struct so_flow_key k;
	__s64 delta[SO_C_MAX];
	struct frame f;
	__u32 ret;
	int err;

	if (!env_kfunc) {
		case_skip(NO_TC_INGRESS);
		return;
	}
	if (build_frame(&c->in, &f))
		return;
	key_of(&c->in, &k);
	err = ackmeta_put(&k, &m);
	if (err) {
		case_fail("cannot write the ackmeta entry: %s", strerror(-err));
		return;
	}
	ackmeta_on(true);
	if (run_tc(true, &f, &ret, delta) == 0) {
		check_u64(ret, TC_ACT_OK, "TC verdict (TC_ACT_OK)");
		check_counters(delta, c->counters);
	}
	ackmeta_on(false);
	check_u64(!ackmeta_take(&k), c->taken, "ackmeta entry taken out by tc_ingress");
	if (case_failed())
		dump("in", f.b, f.len);
}

void test_tc(void)
{
	RUN_TABLE(tc_cases, run_tc_case);
	RUN_TABLE(ackmeta_cases, run_ackmeta_case);
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
