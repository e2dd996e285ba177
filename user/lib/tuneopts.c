// SPDX-License-Identifier: GPL-2.0
/* tuneopts.c - see tuneopts.h. */
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "ports.h"
#include "tuneopts.h"

const char *const arm_names[] = { [SO_ARM_ALWAYS] = "always", [SO_ARM_MONITOR] = "monitor",
				  [SO_ARM_AUTO] = "auto", NULL };

static unsigned long online_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 0 ? cpus : 1;
}

bool tune_has_port_bits(const struct so_ports *ports)
{
	for (size_t i = 0; i < sizeof(ports->bits) / sizeof(ports->bits[0]); i++)
		if (ports->bits[i])
			return true;
	return false;
}

bool tune_has_ports(const struct tune_args *t)
{
	return tune_has_port_bits(&t->ports);
}

/* The BPF side keeps its budgets per CPU (GCRA, one event per interval):
 * the rate is spread evenly over the CPUs that may run it. Rate 0:
 * interval 0 (--synack-rate: no budget; --signed-rate: none passes). */
static __u64 plan_interval(unsigned long rate)
{
	return rate ? (online_cpus() * 1000000000ull + rate - 1) / rate : 0;
}

int tune_speak_first(const struct tune_args *t, struct so_ports *out)
{
	memset(out, 0, sizeof(*out));
	if (!t->speak_first)
		return 0;
	if (!strcmp(t->speak_first, "none"))
		return 1;
	if (ports_parse_opt("speak-first", t->speak_first, out))
		return -1;
	for (size_t i = 0; i < sizeof(out->bits) / sizeof(out->bits[0]); i++) {
		if (out->bits[i] & ~t->ports.bits[i] && tune_has_ports(t)) {
			pr_err("invalid --speak-first '%s': every port in it must be in --ports",
			       t->speak_first);
			return -1;
		}
	}
	return 1;
}

/* The mode and threshold this command ends with, checked together: both
 * --arm auto and --speak-first judge the SYN rate against the threshold. */
static int plan_arm(const struct tune_args *t, bool attach, struct so_config *cfg)
{
	int arm = t->arm >= 0 ? t->arm : attach ? SO_ARM_ALWAYS : cfg->arm;
	unsigned long threshold = t->threshold.set ? t->threshold.val
				  : attach	    ? 0
						    : cfg->arm_threshold;
	struct so_ports sf;
	int given = tune_speak_first(t, &sf);

	if (given < 0)
		return RC_USAGE;
	if (given)
		cfg->speak_first = tune_has_port_bits(&sf);
	else if (attach)
		cfg->speak_first = 0;
	if (arm == SO_ARM_AUTO && threshold == 0) {
		pr_err("--arm auto needs --threshold N, the SYNs per second above which XDP "
		       "answers them");
		return RC_USAGE;
	}
	if (cfg->speak_first && arm == SO_ARM_ALWAYS && threshold == 0) {
		pr_err("--speak-first needs --threshold N, the SYNs per second above which XDP "
		       "answers those ports' SYNs too");
		return RC_USAGE;
	}
	if (t->threshold.set && arm != SO_ARM_AUTO && !cfg->speak_first) {
		pr_err("--threshold applies only to --arm auto and --speak-first (the mode is %s)",
		       arm_names[arm]);
		return RC_USAGE;
	}
	cfg->arm = arm;
	cfg->arm_threshold = threshold;
	return 0;
}

/* set: only what was given changes. */
static void apply_given(const struct tune_args *t, struct so_config *cfg)
{
	if (t->mss4.set)
		cfg->mss4 = t->mss4.val;
	if (t->mss6.set)
		cfg->mss6 = t->mss6.val;
	if (t->wscale.set)
		cfg->wscale = t->wscale.val;
	if (t->ttl.set)
		cfg->ttl = t->ttl.val;
}

int tune_apply(const struct tune_args *t, const char *ifname, bool attach, struct so_config *cfg)
{
	struct netdefaults_req req = {
		.ifname = ifname, .mss4 = t->mss4, .mss6 = t->mss6,
		.wscale = t->wscale, .ttl = t->ttl,
	};
	int rc = plan_arm(t, attach, cfg);

	if (rc)
		return rc;
	if (attach && netdefaults_plan(&req, cfg))
		return RC_FAIL;
	if (!attach)
		apply_given(t, cfg);
	if (attach || t->synack_rate.set) {
		cfg->synack_rate = t->synack_rate.val;
		cfg->synack_interval_ns = plan_interval(t->synack_rate.val);
	}
	if (attach || t->signed_rate.set) {
		cfg->signed_rate = t->signed_rate.set ? t->signed_rate.val : SIGNED_RATE_DEFAULT;
		cfg->signed_interval_ns = plan_interval(cfg->signed_rate);
	}
	if (attach || t->time_wait.set)
		cfg->time_wait_s = t->time_wait.set ? t->time_wait.val : SO_TIME_WAIT_DEFAULT_S;
	if (attach || t->idle_timeout.set)
		cfg->idle_timeout_s =
			t->idle_timeout.set ? t->idle_timeout.val : SO_IDLE_TIMEOUT_DEFAULT_S;
	return 0;
}

void tune_describe_arm(const struct so_config *cfg, char *buf, size_t len)
{
	const char *name = cfg->arm <= SO_ARM_AUTO ? arm_names[cfg->arm] : "unknown";

	if (cfg->arm == SO_ARM_AUTO)
		snprintf(buf, len, "%s (threshold %u SYN/s)", name, cfg->arm_threshold);
	else
		snprintf(buf, len, "%s", name);
}
