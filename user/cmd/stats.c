// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - `shakeoff stats IFACE [-j] [--watch S]` and `stats [IFACE]
 * --prometheus`: the figures of sample.h as a table (with rates), as JSON or
 * in the Prometheus text format (prom.c). Counter names and help come from
 * SO_COUNTERS in shakeoff.h, never from a list kept here.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "pins.h"
#include "prom.h"
#include "sample.h"
#include "spark.h"
#include "stop.h"
#include "sys.h"
#include "tuneopts.h"

struct stats_args {
	const char *ifname;
	bool json;
	bool prometheus;
	double watch; /* seconds; 0: print once */
};

static const struct opt stats_opts[] = {
	{ .name = "iface", .metavar = "IFACE",
	  .help = "the interface (--prometheus without it: every attachment)", .type = OPT_IFNAME,
	  .positional = true, .offset = offsetof(struct stats_args, ifname) },
	{ .name = "json", .short_name = 'j', .help = "print JSON, one object per sample",
	  .type = OPT_FLAG, .offset = offsetof(struct stats_args, json) },
	{ .name = "prometheus", .short_name = 'P',
	  .help = "print the Prometheus text format (node_exporter's textfile collector reads it)",
	  .type = OPT_FLAG, .offset = offsetof(struct stats_args, prometheus) },
	{ .name = "watch", .short_name = 'w',
	  .help = "repeat every S seconds until interrupted, with rates",
	  .type = OPT_SECONDS, .offset = offsetof(struct stats_args, watch) },
	OPT_END
};

static const char *complete_str(__u8 complete)
{
	return complete <= SO_COMPLETE_KERNEL ? complete_names[complete] : "unknown";
}

static void print_json(const char *ifname, const struct sample *s)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_str(&j, "ifname", ifname);
	for (int c = 0; c < SO_C_MAX; c++)
		json_kv_uint(&j, counter_key[c], s->counter[c]);
	json_kv_uint(&j, "conn_active", s->conn_active);
	json_kv_uint(&j, "conn_half_closed", s->conn_half_closed);
	json_kv_bool(&j, "armed", s->armed);
	json_kv_str(&j, "complete", complete_str(s->complete));
	json_object_end(&j);
	putchar('\n');
}

/* A line of a figure that is not a counter: no rate. */
static void print_figure(const char *key, unsigned long long v, bool rates, int pad,
			 const char *help)
{
	printf("  %-22s %14llu%s%*s  %s\n", key, v, rates ? "              " : "", pad, "", help);
}

/* Totals; with a previous sample, per-second rates too, and with sparks
 * (a terminal) each rate's recent history as a graph after it. */
static void print_human(const char *ifname, const struct sample *s, const struct sample *prev,
			struct spark *sparks)
{
	double secs = prev ? (s->t_ns - prev->t_ns) / 1e9 : 0;
	char graph[SPARK_BUF];
	int pad;

	printf("%s (completion %s):\n", ifname, complete_str(s->complete));
	for (int c = 0; c < SO_C_MAX; c++) {
		double rate = prev && secs > 0 ? (s->counter[c] - prev->counter[c]) / secs : 0;

		printf("  %-22s %14llu", counter_key[c], (unsigned long long)s->counter[c]);
		if (prev)
			printf(" %12.1f/s", rate);
		if (prev && sparks) {
			spark_push(&sparks[c], rate);
			printf(" %s", spark_render(&sparks[c], graph));
		}
		printf("  %s\n", counter_help[c]);
	}
	/* the figures: no rate, and blank where the graph would be */
	pad = prev && sparks ? SPARK_LEN + 1 : 0;
	print_figure("conn_active", s->conn_active, prev, pad, "connections in the table now");
	print_figure("conn_half_closed", s->conn_half_closed, prev, pad,
		     "... in close_wait, fin_wait_1 or fin_wait_2");
	printf("  %-22s %14s%s%*s  %s\n", "armed", s->armed ? "yes" : "no",
	       prev ? "              " : "", pad, "", "SYNs to protected ports answered in XDP now");
}

static void sleep_until(unsigned long long deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000ull,
			       .tv_nsec = deadline_ns % 1000000000ull };

	while (!stop_requested && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Print samples of one attachment, once or every a->watch seconds. */
static int watch(const struct stats_args *a)
{
	struct sample_maps maps = SAMPLE_MAPS_INIT;
	struct sample s[2];
	struct spark sparks[SO_C_MAX] = {};
	bool graphs = !a->json && a->watch && spark_wanted();
	unsigned long long period_ns = a->watch * 1e9, next_ns;
	int err, n = 0;

	err = sample_maps_open(a->ifname, &maps);
	for (next_ns = clock_ns(CLOCK_MONOTONIC); !err && !stop_requested; n++) {
		struct sample *cur = &s[n & 1], *prev = n ? &s[(n + 1) & 1] : NULL;

		err = sample_read(&maps, cur);
		if (err)
			break;
		if (a->json)
			print_json(a->ifname, cur);
		else
			print_human(a->ifname, cur, prev, graphs ? sparks : NULL);
		fflush(stdout);
		if (!a->watch)
			break;
		next_ns += period_ns;
		sleep_until(next_ns);
		if (!a->json && !stop_requested)
			putchar('\n');
	}
	sample_maps_close(&maps);
	return err;
}

static int run_stats(void *args)
{
	struct stats_args *a = args;

	if (!a->ifname && !a->prometheus) {
		pr_err("missing IFACE (only --prometheus covers every attachment); see "
		       "'shakeoff stats --help'");
		return RC_USAGE;
	}
	if (a->prometheus && (a->json || a->watch)) {
		pr_err("--prometheus prints one scrape: it takes neither -j nor --watch");
		return RC_USAGE;
	}
	stop_on_signals();
	pins_clean_stale();
	if (a->prometheus)
		return prom_write(stdout, a->ifname) ? RC_FAIL : RC_OK;
	return watch(a) ? RC_FAIL : RC_OK;
}

static struct stats_args stats_args;

const struct cmd cmd_stats = {
	.name = "stats",
	.summary = "show the counters of an attachment",
	.description = "Show the counters of IFACE's attachment, summed over all CPUs, the\n"
		       "connections in its table (conn_active, conn_half_closed) and whether SYNs\n"
		       "are answered in XDP now (armed). Each exit from the table has its counter:\n"
		       "expired_idle counts idle expiries only, evicted the entries pushed out of\n"
		       "the full table (counted by housekeeping; on kernels before 6.6 inferred as\n"
		       "conn_created minus the entries and every other exit). With -j: one flat JSON\n"
		       "object per sample, keyed by counter name, and \"complete\" (kfunc or\n"
		       "kernel: how cookie ACKs become sockets). With --prometheus: the\n"
		       "Prometheus text format, for IFACE or for every attachment of the network\n"
		       "namespace; counters are named shakeoff_<counter>_total{ifname=\"...\"}.\n"
		       "With --watch on a terminal, each rate is followed by a graph of its\n"
		       "recent history.",
	.opts = stats_opts,
	.args = &stats_args,
	.needs_root = true,
	.run = run_stats,
};
