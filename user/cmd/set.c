// SPDX-License-Identifier: GPL-2.0
/*
 * set.c - `shakeoff set IFACE [--ports LIST] [--mss4 N] ... [--arm MODE]`
 *
 * Changes a running attachment in place: the ports map and the config map,
 * each with one update of its whole value (the config read, changed and
 * written back under the attachment's lock). An array map's update is a
 * plain copy, so a packet that meets it may see some fields old and some
 * new; every such mix is one the data path handles (each field is checked
 * or clamped on its own). Every set also re-reads the namespace's TCP
 * sysctls, so that options switched off since attach are no longer
 * offered. Programs, links, counters and the connection table stay.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "live.h"
#include "log.h"
#include "mptcp.h"
#include "pins.h"
#include "ports.h"
#include "timewait.h"
#include "netdefaults.h"
#include "tuneopts.h"

struct set_args {
	const char *ifname;
	struct tune_args tune;
	const char *config;
	const char *fixed; /* the options refused below point here; never read */
};

#define FIXED_AT_ATTACH(n, s, mv, why)                                                  \
	{ .name = n, .short_name = s, .metavar = mv, .help = "fixed at attach: " why,     \
	  .type = OPT_STRING, .offset = offsetof(struct set_args, fixed),                 \
	  .refuse = "cannot change while attached (" why "); detach and attach again" }

static const struct opt set_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct set_args, ifname) },
	TUNE_OPTS(struct set_args, tune, false),
	{ .name = "config", .short_name = 'c',
	  .help = "read more options from FILE, as attach does; the options fixed at attach are "
		  "ignored there",
	  .type = OPT_CONFIG, .offset = offsetof(struct set_args, config) },
	FIXED_AT_ATTACH("mode", 'm', "MODE", "the XDP mode is the link's"),
	FIXED_AT_ATTACH("tx", 't', "TX", "the way SYN-ACKs leave is chosen with the mode"),
	FIXED_AT_ATTACH("secret-file", 's', "FILE", "use 'shakeoff rekey' for a new key"),
	FIXED_AT_ATTACH("conn-max", 0, "N", "it sizes the connection table"),
	FIXED_AT_ATTACH("complete", 0, "MODE", "the programs were loaded for it"),
	FIXED_AT_ATTACH("synopt-rate", 0, "N", "it is part of the loaded program"),
	{ .name = "multiprog", .help = "fixed at attach: how the XDP program is attached",
	  .type = OPT_FLAG, .offset = offsetof(struct set_args, fixed),
	  .refuse = "cannot change while attached (it is how the XDP program is attached); "
		    "detach and attach again" },
	OPT_END
};

static void print_set(const struct live *l, const struct so_config *c, const struct so_ports *p)
{
	char *ports = ports_format(p), arm[64];

	tune_describe_arm(c, arm, sizeof(arm));
	printf("shakeoff: %s now: ports %s, mss4 %u, mss6 %u, wscale %u, ttl %u, synack-rate %u, "
	       "signed-rate %u, arm %s, time-wait %u s, idle-timeout %u s\n",
	       l->ifname, ports ? ports : "?", c->mss4, c->mss6, c->wscale, c->ttl, c->synack_rate,
	       c->signed_rate, arm, c->time_wait_s, c->idle_timeout_s);
	free(ports);
}

/* TIME-WAIT sockets on the protected ports into the timewait map: how
 * many are new, or -1 after one sentence. */
static int note_time_wait(const struct live *l, const struct so_ports *ports)
{
	int fd = pins_open(l->dir, "timewait"), n;

	if (fd == -ENOENT)
		return 0; /* attached by a shakeoff without the map */
	if (fd < 0) {
		pr_err("cannot open %s/timewait: %s", l->dir, strerror(-fd));
		return -1;
	}
	n = timewait_scan(fd, ports);
	close(fd);
	return n;
}

/* The protected ports whose listener is MPTCP, looked for again (one may
 * have started since): into kports, written before the count in config
 * that makes the programs read it. How many, or -1 after one sentence. */
static int note_mptcp(const struct live *l, const struct so_ports *ports)
{
	struct so_ports kports, old;
	int n = mptcp_listen_ports(ports, &kports);

	if (n < 0)
		return -1;
	if (live_read(l, "kports", &old))
		return -1;
	if (memcmp(&kports, &old, sizeof(old)) && live_write(l, "kports", &kports))
		return -1;
	return n;
}

/* Under the lock: read, change, write back what changed. */
static int update(const struct live *l, const struct tune_args *t)
{
	struct so_config cfg, old;
	struct so_ports ports, speak_first;
	int rc, n;

	if (live_read(l, "config", &old) || live_read(l, "ports", &ports))
		return RC_FAIL;
	cfg = old;
	if (old.complete == SO_COMPLETE_KERNEL && t->wscale.set) {
		pr_err("--wscale does not apply to --complete kernel: the kernel's own cookies use "
		       "its own window scale");
		return RC_USAGE;
	}
	rc = tune_apply(t, l->ifname, false, &cfg);
	if (rc)
		return rc; /* nothing written */
	if (netdefaults_options(&cfg))
		return RC_FAIL;
	if (cfg.options != old.options)
		pr_info("%s: the namespace's TCP options changed since attach; offering now: "
			"%s%s%s%s", l->ifname, cfg.options & SO_OPT_TIMESTAMPS ? "timestamps " : "",
			cfg.options & SO_OPT_SACK ? "sack " : "",
			cfg.options & SO_OPT_WSCALE ? "window-scaling " : "",
			cfg.options & SO_OPT_ECN ? "ecn" : "");
	if (tune_has_ports(t)) {
		ports = t->ports;
		if (live_write(l, "ports", &ports))
			return RC_FAIL;
	}
	n = note_mptcp(l, &ports);
	if (n < 0)
		return RC_FAIL;
	cfg.kernel_ports = n;
	if (tune_speak_first(t, &speak_first) > 0 && live_write(l, "speakfirst", &speak_first))
		return RC_FAIL;
	/* after the ports: TIME-WAIT sockets on newly protected ones */
	n = note_time_wait(l, &ports);
	if (n < 0)
		return RC_FAIL;
	cfg.tw_cli_added += n;
	if (memcmp(&cfg, &old, sizeof(cfg)) && live_write(l, "config", &cfg))
		return RC_FAIL;
	print_set(l, &cfg, &ports);
	return RC_OK;
}

static int run_set(void *args)
{
	struct set_args *a = args;
	struct live l;
	int rc;

	rc = live_lock(a->ifname, &l) ? RC_FAIL : update(&l, &a->tune);
	live_unlock(&l);
	return rc;
}

static struct set_args set_args = { .tune.arm = -1 };

const struct cmd cmd_set = {
	.name = "set",
	.summary = "change ports, MSS, TTL, budget or arming mode without re-attaching",
	.description = "Change the settings of IFACE's attachment while it runs: the options\n"
		       "have the names and meaning they have for attach, and only those given\n"
		       "change; with none, set only re-reads the namespace's TCP sysctls\n"
		       "(timestamps, SACK, window scaling, ECN: options switched off since attach are\n"
		       "no longer offered) and notes the TIME-WAIT sockets on the protected ports\n"
		       "(their clients' SYNs go to the kernel) and the MPTCP listeners on them\n"
		       "(their SYNs go to the kernel too), which every set does, like attach.\n"
		       "Each map is written with one update; a packet that meets it may see some\n"
		       "fields old and some new, all safe. Programs, counters and the connection\n"
		       "table stay. The XDP mode, the SYN-ACK path, the table size and the secret\n"
		       "are fixed at attach.",
	.opts = set_opts,
	.args = &set_args,
	.needs_root = true,
	.run = run_set,
};
