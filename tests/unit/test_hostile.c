// SPDX-License-Identifier: GPL-2.0
/*
 * test_hostile.c - hostile input (issue 4): no bypass, no reflection, no
 * amplification, the SYN-ACK budget, no forged connection.
 *
 *   no bypass      SYNs in 802.1Q and QinQ frames and IPv6 SYNs behind
 *                  extension headers are answered like plain ones (rows of
 *                  the SYN table, test_syn.c), deeper nesting than shakeoff
 *                  walks is dropped, not passed (rows of the drop table,
 *                  test_drop.c); their third ACKs pass with metadata (here).
 *   reflection     no reply to a source that cannot have sent a SYN (rows
 *                  of the drop table).
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

static void encap_ack(const struct encap_ack_case *c)
{
	static struct xdp_result r;
	struct synack_seen seen;
	struct pkt_spec a;
	struct frame f;

	if (build_frame(&c->syn, &f) || run_xdp(&f, 0, &r))
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
	if (build_frame(&a, &f) || run_xdp(&f, 0, &r))
		return;
	check_xdp(&r, XDP_PASS, C(ACK_COOKIE_VALID) | C_META_MAP);
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

static void run_encap_ack_case(const struct encap_ack_case *c)
{
	encap_ack(c);
	reset_maps();
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
		if (build_frame(&s, &f))
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

/* BPF_PROG_RUN runs on the calling CPU: pinned, one budget is ours. */
static int budget_cpu;

static void run_budget_case(const struct fn_case *c)
{
	if (budget_cpu < 0 || pin_to(budget_cpu)) {
		case_fail("cannot pin to CPU %d: %s", budget_cpu, strerror(errno));
		return;
	}
	c->fn();
	reset_maps();
	budget_reset();
	signed_budget_reset();
}

static void test_budget(void)
{
	static const struct fn_case cases[] = {
		{ "synack_rate_burst_from_full_budget", budget_burst },
		{ "synack_rate_refills", budget_refill },
		{ "synack_rate_per_cpu", budget_per_cpu },
		{ "synack_rate_0_unlimited", budget_unlimited },
		{ "synack_rate_below_one_per_cpu", budget_below_one_per_cpu },
		{ "signed_rate_burst_from_full_budget", signed_burst },
		{ "signed_rate_0_none", signed_none },
	};
	cpu_set_t old;
	bool saved = sched_getaffinity(0, sizeof(old), &old) == 0;

	budget_cpu = sched_getcpu();
	RUN_TABLE(cases, run_budget_case);
	if (saved)
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
		if (build_frame(&s, &t[i].f))
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
		if (valid && o.retval == XDP_PASS &&
		    ctx_out.data == (env_xdp_meta ? sizeof(struct so_meta) : 0)) {
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
			     : k == SO_C_ACK_META_MAP	  ? (env_xdp_meta ? 0 : chance)
							  : 0;
		char what[80];

		snprintf(what, sizeof(what), "counter %s change", counter_name(k));
		check_u64(after[k] - before[k], want, what);
	}
}

void test_hostile(void)
{
	RUN_TABLE(encap_ack_cases, run_encap_ack_case);
	test_budget();
	if (case_begin("forged_acks_10m")) {
		forged_acks();
		case_end();
	}
}
