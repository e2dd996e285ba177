// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - `shakeoff stats IFACE [-j] [--watch S]`: the per-CPU counters of
 * the pinned map "stats", summed, and the number of connections in "conns".
 * Counter names and help come from SO_COUNTERS in shakeoff.h, never from a
 * list kept here.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "pins.h"
#include "shakeoff.h"
#include "sys.h"

struct stats_args {
	const char *ifname;
	bool json;
	double watch; /* seconds; 0: print once */
};

static const struct opt stats_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct stats_args, ifname) },
	{ .name = "json", .short_name = 'j', .help = "print JSON, one object per sample",
	  .type = OPT_FLAG, .offset = offsetof(struct stats_args, json) },
	{ .name = "watch", .short_name = 'w',
	  .help = "repeat every S seconds until interrupted, with rates",
	  .type = OPT_SECONDS, .offset = offsetof(struct stats_args, watch) },
	OPT_END
};

static const char *const counter_key[SO_C_MAX] = {
#define SO_X_KEY(id, key, kind, help) [SO_C_##id] = #key,
	SO_COUNTERS(SO_X_KEY)
#undef SO_X_KEY
};

static const char *const counter_help[SO_C_MAX] = {
#define SO_X_HELP(id, key, kind, help) [SO_C_##id] = help,
	SO_COUNTERS(SO_X_HELP)
#undef SO_X_HELP
};

struct sample {
	__u64 counter[SO_C_MAX];
	__u64 conn_active;
	unsigned long long t_ns; /* CLOCK_MONOTONIC */
};

/* The pinned maps, and a buffer for one per-CPU value. */
struct source {
	int stats_fd;
	int conns_fd;
	int ncpus;
	__u64 *percpu;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int source_open(const char *ifname, struct source *src)
{
	char dir[PATH_MAX];

	if (pins_find(ifname, dir, sizeof(dir)))
		return -1;
	src->stats_fd = pins_open(dir, "stats");
	src->conns_fd = pins_open(dir, "conns");
	src->ncpus = libbpf_num_possible_cpus();
	if (src->stats_fd < 0 || src->conns_fd < 0 || src->ncpus <= 0) {
		int err = src->stats_fd < 0 ? src->stats_fd
			  : src->conns_fd < 0 ? src->conns_fd
					      : src->ncpus;

		pr_err("cannot open the maps pinned in %s: %s", dir, strerror(-err));
		return -1;
	}
	src->percpu = calloc(src->ncpus, sizeof(*src->percpu));
	if (!src->percpu) {
		pr_err("out of memory");
		return -1;
	}
	return 0;
}

static void source_close(struct source *src)
{
	if (src->stats_fd >= 0)
		close(src->stats_fd);
	if (src->conns_fd >= 0)
		close(src->conns_fd);
	free(src->percpu);
}

static __u64 count_entries(int fd)
{
	struct so_flow_key key, next;
	void *prev = NULL;
	__u64 n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

static int read_sample(const struct source *src, struct sample *s)
{
	for (__u32 c = 0; c < SO_C_MAX; c++) {
		if (bpf_map_lookup_elem(src->stats_fd, &c, src->percpu)) {
			pr_err("cannot read counter %s: %s", counter_key[c], strerror(errno));
			return -1;
		}
		s->counter[c] = 0;
		for (int cpu = 0; cpu < src->ncpus; cpu++)
			s->counter[c] += src->percpu[cpu];
	}
	s->conn_active = count_entries(src->conns_fd);
	s->t_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
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
	json_object_end(&j);
	putchar('\n');
}

/* Totals; with a previous sample, per-second rates too. */
static void print_human(const char *ifname, const struct sample *s, const struct sample *prev)
{
	double secs = prev ? (s->t_ns - prev->t_ns) / 1e9 : 0;

	printf("%s:\n", ifname);
	for (int c = 0; c < SO_C_MAX; c++) {
		printf("  %-22s %14llu", counter_key[c], (unsigned long long)s->counter[c]);
		if (prev)
			printf(" %12.1f/s", secs > 0 ? (s->counter[c] - prev->counter[c]) / secs : 0);
		printf("  %s\n", counter_help[c]);
	}
	printf("  %-22s %14llu%s  %s\n", "conn_active", (unsigned long long)s->conn_active,
	       prev ? "              " : "", "connections in the table now");
}

static void sleep_until(unsigned long long deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000ull,
			       .tv_nsec = deadline_ns % 1000000000ull };

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake the sleep */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int run_stats(void *args)
{
	struct stats_args *a = args;
	struct source src = { .stats_fd = -1, .conns_fd = -1 };
	struct sample s[2];
	unsigned long long period_ns = a->watch * 1e9, next_ns;
	int err, n = 0;

	catch_signals();
	err = source_open(a->ifname, &src);
	for (next_ns = clock_ns(CLOCK_MONOTONIC); !err && !stop; n++) {
		struct sample *cur = &s[n & 1], *prev = n ? &s[(n + 1) & 1] : NULL;

		err = read_sample(&src, cur);
		if (err)
			break;
		if (a->json)
			print_json(a->ifname, cur);
		else
			print_human(a->ifname, cur, prev);
		fflush(stdout);
		if (!a->watch)
			break;
		next_ns += period_ns;
		sleep_until(next_ns);
		if (!a->json && !stop)
			putchar('\n');
	}
	source_close(&src);
	return err ? RC_FAIL : RC_OK;
}

static struct stats_args stats_args;

const struct cmd cmd_stats = {
	.name = "stats",
	.summary = "show the counters of an attachment",
	.description = "Show the counters of IFACE's attachment, summed over all CPUs, and the\n"
		       "number of connections in its table. With -j: one flat JSON object per\n"
		       "sample, keyed by counter name.",
	.opts = stats_opts,
	.args = &stats_args,
	.needs_root = true,
	.run = run_stats,
};
