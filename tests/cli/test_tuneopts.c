// SPDX-License-Identifier: GPL-2.0
/*
 * test_tuneopts.c - the options attach and set share (user/lib/tuneopts.h,
 * TUNE_OPTS, the real table): each number's bounds as the manual states
 * them, taken at the edge and refused one past it; --arm's values; and
 * set's rules (tune_apply on a running config: only what is given changes,
 * --arm auto and --speak-first need a threshold, --speak-first's ports
 * are protected ones).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "tuneopts.h"

struct tt_args {
	const char *ifname;
	struct tune_args tune;
};

static const struct opt tt_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "h", .type = OPT_IFNAME, .required = true,
	  .positional = true, .offset = offsetof(struct tt_args, ifname) },
	TUNE_OPTS(struct tt_args, tune, false),
	OPT_END
};

/* The bounds the manual and README give each number. */
static const struct bound_row {
	const char *name;
	unsigned long min, max;
} bounds[] = {
	{ "mss4", 536, 65495 },		{ "mss6", 1220, 65475 },
	{ "wscale", 0, 14 },		{ "ttl", 1, 255 },
	{ "synack-rate", 0, 100000000 }, { "signed-rate", 0, 100000000 },
	{ "threshold", 1, 1000000000 },	{ "time-wait", 0, 86400 },
	{ "idle-timeout", 1, 64800 },
};

static enum opt_result tt_parse(struct tt_args *a, const char *const *words, char **err)
{
	char *argv[16];
	int argc = 0;
	enum opt_result r;

	memset(a, 0, sizeof(*a));
	a->tune.arm = -1;
	argv[argc++] = "set";
	argv[argc++] = "eth0";
	while (*words && argc < 15)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	capture_begin();
	r = opts_parse("set", tt_opts, a, argc, argv, false, NULL);
	*err = capture_end();
	return r;
}

/* --NAME VALUE: taken (and stored) or refused with the bounds named. */
static void bound_case(const struct bound_row *b, unsigned long v, bool taken, const char *edge)
{
	char val[32], want[160], name[64];
	const char *words[] = { NULL, val, NULL };
	char opt[40];
	struct tt_args a;
	enum opt_result r;
	char *err;

	snprintf(opt, sizeof(opt), "--%s", b->name);
	snprintf(val, sizeof(val), "%lu", v);
	words[0] = opt;
	r = tt_parse(&a, words, &err);
	snprintf(name, sizeof(name), "tuneopts.%s", b->name);
	snprintf(want, sizeof(want), "shakeoff: invalid --%s '%lu': expected a number from %lu to %lu\n",
		 b->name, v, b->min, b->max);
	check_long(check_name(name, edge, "result"), taken ? OPTS_OK : OPTS_ERROR, r);
	check_str(check_name(name, edge, "stderr"), taken ? "" : want, err);
	free(err);
}

static void bounds_cases(void)
{
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		const struct bound_row *b = &bounds[i];

		if (b->min > 0)
			bound_case(b, b->min - 1, false, "below_min");
		bound_case(b, b->min, true, "min");
		bound_case(b, b->max, true, "max");
		bound_case(b, b->max + 1, false, "above_max");
	}
}

static void arm_cases(void)
{
	static const struct { const char *value; int arm; } rows[] = {
		{ "always", SO_ARM_ALWAYS }, { "monitor", SO_ARM_MONITOR }, { "auto", SO_ARM_AUTO },
		{ "on", -1 }, { "Auto", -1 }, { "", -1 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *words[] = { "--arm", rows[i].value, NULL };
		char want[128], row[32];
		struct tt_args a;
		enum opt_result r;
		char *err;

		snprintf(row, sizeof(row), "%s", rows[i].value[0] ? rows[i].value : "empty");
		snprintf(want, sizeof(want), "shakeoff: invalid --arm '%s': expected one of "
			 "always|monitor|auto\n", rows[i].value);
		r = tt_parse(&a, words, &err);
		check_long(check_name("tuneopts.arm", row, "result"),
			   rows[i].arm >= 0 ? OPTS_OK : OPTS_ERROR, r);
		check_str(check_name("tuneopts.arm", row, "stderr"), rows[i].arm >= 0 ? "" : want, err);
		if (rows[i].arm >= 0)
			check_long(check_name("tuneopts.arm", row, "value"), rows[i].arm, a.tune.arm);
		free(err);
	}
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define THRESHOLD_NEEDED "shakeoff: --arm auto needs --threshold N, the SYNs per second above " \
			 "which XDP answers them\n"
#define SF_THRESHOLD_NEEDED "shakeoff: --speak-first needs --threshold N, the SYNs per second " \
			    "above which XDP answers those ports' SYNs too\n"

/* set on a running config (arm always, no threshold, no speak-first): the
 * result, what it said, and the config after it. */
static const struct apply_row {
	const char *name;
	const char *const *words;
	int rc;
	const char *err;
	const char *cfg; /* describe(), rc 0 */
} apply_rows[] = {
	{ "nothing", W("--ttl", "64"), 0, "",
	  "arm=always thr=0 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=64 tw=60 idle=3600 synack=0 signed=1000" },
	{ "mss_only", W("--mss4", "1400"), 0, "",
	  "arm=always thr=0 sf=0 mss4=1400 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=0 signed=1000" },
	{ "timeouts", W("--time-wait", "0", "--idle-timeout", "5"), 0, "",
	  "arm=always thr=0 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=0 idle=5 synack=0 signed=1000" },
	{ "rates", W("--synack-rate", "1000", "--signed-rate", "0"), 0, "",
	  "arm=always thr=0 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=1000 signed=0" },
	{ "auto", W("--arm", "auto", "--threshold", "5000"), 0, "",
	  "arm=auto thr=5000 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=0 signed=1000" },
	{ "monitor", W("--arm", "monitor"), 0, "",
	  "arm=monitor thr=0 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=0 signed=1000" },
	{ "speak_first", W("--speak-first", "25", "--threshold", "100"), 0, "",
	  "arm=always thr=100 sf=1 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=0 signed=1000" },
	{ "speak_first_none", W("--speak-first", "none"), 0, "",
	  "arm=always thr=0 sf=0 mss4=1460 mss6=1440 wscale=7 ttl=32 tw=60 idle=3600 synack=0 signed=1000" },
	{ "auto_without_threshold", W("--arm", "auto"), RC_USAGE, THRESHOLD_NEEDED },
	{ "speak_first_without_threshold", W("--speak-first", "25"), RC_USAGE, SF_THRESHOLD_NEEDED },
	{ "threshold_alone", W("--threshold", "5000"), RC_USAGE,
	  "shakeoff: --threshold applies only to --arm auto and --speak-first (the mode is always)\n" },
	{ "threshold_monitor", W("--arm", "monitor", "--threshold", "5"), RC_USAGE,
	  "shakeoff: --threshold applies only to --arm auto and --speak-first (the mode is monitor)\n" },
	{ "speak_first_unprotected", W("--ports", "80", "--speak-first", "25", "--threshold", "9"),
	  RC_USAGE, "shakeoff: invalid --speak-first '25': every port in it must be in --ports\n" },
	{ "speak_first_bad_list", W("--speak-first", "25,x", "--threshold", "9"), RC_USAGE,
	  "shakeoff: invalid --speak-first item 'x': expected a port or a range FIRST-LAST\n" },
};

static const char *describe(const struct so_config *c)
{
	static char buf[256];
	static const char *const arms[] = { "always", "monitor", "auto" };

	snprintf(buf, sizeof(buf),
		 "arm=%s thr=%u sf=%u mss4=%u mss6=%u wscale=%u ttl=%u tw=%u idle=%u synack=%u signed=%u",
		 c->arm <= SO_ARM_AUTO ? arms[c->arm] : "?", c->arm_threshold, c->speak_first,
		 c->mss4, c->mss6, c->wscale, c->ttl, c->time_wait_s, c->idle_timeout_s,
		 c->synack_rate, c->signed_rate);
	return buf;
}

static void apply_case(const struct apply_row *r)
{
	struct so_config cfg = { .arm = SO_ARM_ALWAYS, .mss4 = 1460, .mss6 = 1440, .wscale = 7,
				 .ttl = 32, .time_wait_s = 60, .idle_timeout_s = 3600,
				 .signed_rate = 1000 };
	struct tt_args a;
	char *err, *err2;
	enum opt_result parsed = tt_parse(&a, r->words, &err);
	int rc;

	if (parsed != OPTS_OK) {
		fail(check_name("tuneopts.set", r->name, "parses"), "the words did not parse: %s", err);
		free(err);
		return;
	}
	capture_begin();
	rc = tune_apply(&a.tune, "eth0", false, &cfg);
	err2 = capture_end();
	check_long(check_name("tuneopts.set", r->name, "result"), r->rc, rc);
	check_str(check_name("tuneopts.set", r->name, "stderr"), r->err, err2);
	if (r->rc == 0)
		check_str(check_name("tuneopts.set", r->name, "config"), r->cfg, describe(&cfg));
	free(err);
	free(err2);
}

/* The budgets' interval: the rate spread over the online CPUs. */
static void interval_case(void)
{
	struct so_config cfg = { 0 };
	struct tt_args a;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *err;

	tt_parse(&a, W("--synack-rate", "1000", "--signed-rate", "3"), &err);
	free(err);
	capture_begin();
	tune_apply(&a.tune, "eth0", false, &cfg);
	err = capture_end();
	free(err);
	cpus = cpus > 0 ? cpus : 1;
	check_long("tuneopts.interval.synack_ns", cpus * 1000000, (long)cfg.synack_interval_ns);
	check_long("tuneopts.interval.signed_ns_rounded_up", (cpus * 1000000000 + 2) / 3,
		   (long)cfg.signed_interval_ns);
}

void test_tuneopts(void)
{
	bounds_cases();
	arm_cases();
	for (size_t i = 0; i < sizeof(apply_rows) / sizeof(apply_rows[0]); i++)
		apply_case(&apply_rows[i]);
	interval_case();
}
