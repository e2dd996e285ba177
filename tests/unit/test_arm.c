// SPDX-License-Identifier: GPL-2.0
/*
 * test_arm.c - --arm auto under BPF_PROG_RUN: the SYN rate of all CPUs
 * together decides, for all of them, and the decision lapses a hold time
 * after the flood whether or not a SYN comes to judge by.
 *
 * BPF_PROG_RUN runs on the calling CPU, so each step pins the test to the
 * CPU it plays. Rates come from real time (100 ms windows): the bursts and
 * pauses below keep every rate that must stay under a threshold under it
 * whatever the machine's speed (a pause only lowers a rate), and leave a
 * margin of half again for those that must pass one.
 *
 * --speak-first uses the same judgement under --arm always: its ports'
 * SYNs go to the kernel while no flood is on, the others' are answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "cases.h"
#include "env.h"
#include "harness.h"

#define WINDOW_US (SO_ARM_WINDOW_NS / 1000)

static __u16 next_sport = 30000;

static __u16 syn_dport = PORT_OPEN;

/* One Linux-style IPv4 SYN to the protected port from a fresh port. */
static __u32 syn(struct xdp_result *r)
{
	struct pkt_spec s = { .family = 4, .opts = O_LINUX, .mss = 1460, .wscale = 7,
			      .sport = next_sport++, .dport = syn_dport };
	struct frame f;

	if (next_sport < 30000)
		next_sport = 30000;
	if (build_frame(&s, &f) || run_xdp(&f, 0, r)) {
		case_fail("cannot run a SYN: %s", strerror(errno));
		return ~0u;
	}
	return r->verdict;
}

/* n SYNs; how many were answered. */
static int syns(int n)
{
	struct xdp_result r;
	int tx = 0;

	for (int i = 0; i < n; i++) {
		__u32 v = syn(&r);

		if (v == ~0u)
			return -1;
		tx += v == XDP_TX;
	}
	return tx;
}

/* --arm auto, or (speak_first) --arm always with --speak-first PORT_OPEN. */
static bool arm_config_as(__u32 threshold, bool speak_first)
{
	struct so_config cfg = default_cfg;

	cfg.arm = speak_first ? SO_ARM_ALWAYS : SO_ARM_AUTO;
	cfg.arm_threshold = threshold;
	cfg.speak_first = speak_first;
	if (set_config(&cfg) || arm_reset() || set_speak_first(speak_first ? PORT_OPEN : 0)) {
		case_fail("cannot write the config or arming maps: %s", strerror(errno));
		return false;
	}
	return true;
}

static bool arm_config(__u32 threshold)
{
	return arm_config_as(threshold, false);
}

/* The verdict of one SYN on cpu, checked with its counters. */
static void syn_on(int cpu, __u32 verdict, __u64 counters, const char *step)
{
	struct xdp_result r;

	case_context("%s (CPU %d)", step, cpu);
	if (pin_to(cpu)) {
		case_fail("cannot move to CPU %d: %s", cpu, strerror(errno));
		return;
	}
	if (syn(&r) != ~0u)
		check_xdp(&r, verdict, counters);
	case_context(NULL);
}

#define ANSWERED (C(SYN_SEEN) | C(SYNACK_SENT))
#define UNARMED (C(SYN_SEEN) | C(PASSED_UNARMED))

/* Idle: the kernel answers. */
static void arm_idle(int a, int b)
{
	(void)b;
	if (!arm_config(1000))
		return;
	syn_on(a, XDP_PASS, UNARMED, "first SYN");
	syn_on(a, XDP_PASS, UNARMED, "second SYN");
}

/* A flood of 300 SYNs on CPU a at a threshold of 1000/s: the window's
 * first SYN passes, the one that closes it is answered (>= 301 SYNs in at
 * least 110 ms and at most a second: > 1000/s). False if it could not run. */
static bool flood_one_cpu(int a)
{
	if (!arm_config(1000))
		return false;
	syn_on(a, XDP_PASS, UNARMED, "window opens");
	pin_to(a);
	if (syns(300) < 0)
		return false;
	usleep(WINDOW_US + 10000);
	syn_on(a, XDP_TX, ANSWERED, "window closes above the threshold");
	return true;
}

/* A flood on one CPU arms every CPU: the other one answers too, from its
 * first SYN on (each CPU judging its own share would pass it). */
static void arm_flood_arms_all(int a, int b)
{
	if (flood_one_cpu(a))
		syn_on(b, XDP_TX, ANSWERED, "the other CPU, no SYN of its own before");
}

/* The decision lapses a hold time after the flood without any SYN to make
 * one; the next SYN, on either CPU, goes to the kernel. */
static void arm_lapses(int a, int b)
{
	struct so_armed g;

	if (!flood_one_cpu(a))
		return;
	if (arm_read(&g) || !check_true(so_arm_active(&g, mono_ns()), "armed after the flood"))
		return;
	usleep(SO_ARM_HOLD_NS / 1000 + 100000);
	if (arm_read(&g))
		return;
	check_true(!so_arm_active(&g, mono_ns()), "disarmed a hold time later, with no SYN since");
	syn_on(b, XDP_PASS, UNARMED, "the other CPU after the hold");
	syn_on(a, XDP_PASS, UNARMED, "the flooded CPU after the hold");
}

#define SPEAK_FIRST (C(SYN_SEEN) | C(PASSED_SPEAK_FIRST))

/* --speak-first, no flood: its port's SYNs go to the kernel, on every CPU;
 * another protected port's are answered. */
static void speak_first_idle(int a, int b)
{
	if (!arm_config_as(1000, true))
		return;
	syn_on(a, XDP_PASS, SPEAK_FIRST, "a SYN to the speak-first port");
	syn_on(b, XDP_PASS, SPEAK_FIRST, "the same on the other CPU");
	syn_dport = PORT_RANGE_LO;
	syn_on(a, XDP_TX, ANSWERED, "a SYN to another protected port");
	syn_dport = PORT_OPEN;
	syn_on(a, XDP_PASS, SPEAK_FIRST, "the speak-first port again");
}

/* --speak-first under a flood (of any protected port): answered in XDP,
 * on both CPUs; a hold time after it, the kernel's again. */
static void speak_first_flood(int a, int b)
{
	if (!arm_config_as(1000, true))
		return;
	syn_on(a, XDP_PASS, SPEAK_FIRST, "window opens");
	pin_to(a);
	syn_dport = PORT_RANGE_LO;
	if (syns(300) < 0)
		return;
	syn_dport = PORT_OPEN;
	usleep(WINDOW_US + 10000);
	syn_on(a, XDP_TX, ANSWERED, "window closes above the threshold");
	syn_on(b, XDP_TX, ANSWERED, "the other CPU, armed too");
	usleep(SO_ARM_HOLD_NS / 1000 + 100000);
	syn_on(b, XDP_PASS, SPEAK_FIRST, "a hold time after the flood");
}

/* Two CPUs each under the threshold, together above it: armed. */
static void arm_sum_of_cpus(int a, int b)
{
	if (!arm_config(4000))
		return;
	syn_on(a, XDP_PASS, UNARMED, "window of CPU a opens");
	syn_on(b, XDP_PASS, UNARMED, "window of CPU b opens");
	pin_to(a);
	if (syns(400) < 0)
		return;
	pin_to(b);
	if (syns(400) < 0)
		return;
	usleep(WINDOW_US + 10000);
	/* a: 401 SYNs in >= 110 ms, < 3650/s; b's latest window had none */
	syn_on(a, XDP_PASS, UNARMED, "CPU a's share alone");
	/* b: the same; with a's fresh rate the sum passes 4000/s while both
	 * windows took under 200 ms */
	syn_on(b, XDP_TX, ANSWERED, "CPU b's share added to a's");
	syn_on(a, XDP_TX, ANSWERED, "CPU a, now armed too");
}

struct arm_case {
	const char *name;
	void (*fn)(int a, int b); /* on CPUs a and b */
};

static void run_arm_case(const struct arm_case *c)
{
	if (libbpf_num_possible_cpus() < 2)
		case_skip("one CPU only: nothing to share");
	else
		c->fn(0, 1);
	reset_maps();
	arm_reset();
	set_speak_first(0);
	syn_dport = PORT_OPEN;
}

void test_arm(void)
{
	static const struct arm_case cases[] = {
		{ "arm_auto_idle_passes", arm_idle },
		{ "arm_auto_flood_arms_every_cpu", arm_flood_arms_all },
		{ "arm_auto_lapses_without_syns", arm_lapses },
		{ "arm_auto_judges_the_sum_of_cpus", arm_sum_of_cpus },
		{ "speak_first_idle_to_kernel", speak_first_idle },
		{ "speak_first_flood_answered", speak_first_flood },
	};
	cpu_set_t old;
	bool saved = sched_getaffinity(0, sizeof(old), &old) == 0;

	RUN_TABLE(cases, run_arm_case);
	if (saved)
		sched_setaffinity(0, sizeof(old), &old);
}
