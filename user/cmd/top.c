// SPDX-License-Identifier: GPL-2.0
/*
 * top.c - `shakeoff top IFACE [--interval S] [-n N] [--count N] [-j]`: the
 * busiest sources of SYNs and of invalid ACKs, with their rates over each
 * interval and their totals.
 *
 * The XDP program counts per source (map "sources", an LRU per-CPU hash)
 * only while so_config.top is set, so that nobody pays for it otherwise.
 * Every running top holds a shared flock of /run/shakeoff/top-<netns>-<ifindex>;
 * the first one clears the old counts and sets the flag, and the last one
 * to leave (it gets the lock exclusively) clears the flag again, on SIGINT
 * and SIGTERM too. A top killed outright leaves the flag on until the next
 * top ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "mapwalk.h"
#include "pins.h"
#include "spark.h"
#include "stop.h"
#include "sys.h"

#define TOP_LOCK_DIR "/run/shakeoff"

struct top_args {
	const char *ifname;
	double interval;
	struct opt_uint number, count;
	bool json;
};

static const struct opt top_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct top_args, ifname) },
	{ .name = "interval", .short_name = 'i', .help = "seconds between samples (default: 1)",
	  .type = OPT_SECONDS, .offset = offsetof(struct top_args, interval) },
	{ .name = "number", .short_name = 'n', .help = "sources shown per list (default: 10)",
	  .type = OPT_UINT, .min = 1, .max = 4096, .offset = offsetof(struct top_args, number) },
	{ .name = "count", .help = "stop after N samples (default: run until interrupted)",
	  .type = OPT_UINT, .min = 1, .max = 1000000, .offset = offsetof(struct top_args, count) },
	{ .name = "json", .short_name = 'j', .help = "print JSON, one object per sample",
	  .type = OPT_FLAG, .offset = offsetof(struct top_args, json) },
	OPT_END
};

/* One source: its totals (all CPUs) and its rates over the last interval. */
struct source_rate {
	struct so_src_key key;
	__u64 syns, bad_acks;
	double syn_rate, ack_rate;
};

struct snapshot {
	struct source_rate *v;
	size_t n, cap;
	int ncpus;
};

static int add_src(const void *key, const void *value, void *ctx)
{
	const struct so_src_val *pcpu = value; /* 16 bytes per CPU: no padding */
	struct snapshot *s = ctx;
	struct source_rate *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct source_rate *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	memcpy(&e->key, key, sizeof(e->key));
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		e->syns += pcpu[cpu].syns;
		e->bad_acks += pcpu[cpu].bad_acks;
	}
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct source_rate *)a)->key, &((const struct source_rate *)b)->key,
		      sizeof(struct so_src_key));
}

static int read_snapshot(int fd, struct snapshot *s)
{
	int err;

	s->n = 0;
	err = mapwalk(fd, sizeof(struct so_src_key), s->ncpus * sizeof(struct so_src_val),
		      add_src, s);
	if (err) {
		pr_err("cannot read the sources map: %s", strerror(-err));
		return -1;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_key);
	return 0;
}

/* Rates from the previous snapshot (a source new to it started at 0). */
static void compute_rates(struct snapshot *cur, const struct snapshot *prev, double secs)
{
	for (size_t i = 0; i < cur->n; i++) {
		struct source_rate *e = &cur->v[i];
		const struct source_rate *p = bsearch(e, prev->v, prev->n, sizeof(*e), cmp_key);
		__u64 syns = p && p->syns <= e->syns ? e->syns - p->syns : p ? 0 : e->syns;
		__u64 acks = p && p->bad_acks <= e->bad_acks ? e->bad_acks - p->bad_acks
						: p ? 0 : e->bad_acks;

		e->syn_rate = secs > 0 ? syns / secs : 0;
		e->ack_rate = secs > 0 ? acks / secs : 0;
	}
}

static int by_syns(const void *a, const void *b)
{
	const struct source_rate *x = a, *y = b;

	if (x->syn_rate != y->syn_rate)
		return x->syn_rate < y->syn_rate ? 1 : -1;
	return x->syns < y->syns ? 1 : x->syns > y->syns ? -1 : 0;
}

static int by_acks(const void *a, const void *b)
{
	const struct source_rate *x = a, *y = b;

	if (x->ack_rate != y->ack_rate)
		return x->ack_rate < y->ack_rate ? 1 : -1;
	return x->bad_acks < y->bad_acks ? 1 : x->bad_acks > y->bad_acks ? -1 : 0;
}

static void src_addr(const struct source_rate *e, char *buf, size_t len)
{
	if (!inet_ntop(e->key.family == SO_AF_INET6 ? AF_INET6 : AF_INET, e->key.addr, buf, len))
		snprintf(buf, len, "?");
}

/* One list, busiest first: sources with a count of that kind only. */
static void print_list(struct snapshot *s, bool syns, unsigned long n, struct json *j)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned long shown = 0;

	qsort(s->v, s->n, sizeof(*s->v), syns ? by_syns : by_acks);
	if (j)
		json_array_begin(j);
	else
		printf("  %-40s %12s %14s\n", syns ? "SYNs from" : "invalid ACKs from", "/s", "total");
	for (size_t i = 0; i < s->n && shown < n; i++) {
		const struct source_rate *e = &s->v[i];

		if (!(syns ? e->syns : e->bad_acks))
			continue;
		shown++;
		src_addr(e, addr, sizeof(addr));
		if (!j) {
			printf("  %-40s %12.1f %14llu\n", addr, syns ? e->syn_rate : e->ack_rate,
			       (unsigned long long)(syns ? e->syns : e->bad_acks));
			continue;
		}
		json_object_begin(j);
		json_kv_str(j, "addr", addr);
		json_kv_uint(j, "family", e->key.family);
		json_kv_double(j, "rate", syns ? e->syn_rate : e->ack_rate);
		json_kv_uint(j, "total", syns ? e->syns : e->bad_acks);
		json_object_end(j);
	}
	if (j)
		json_array_end(j);
	else if (!shown)
		printf("  (none)\n");
}

/* On a terminal: the rates of all sources together, and their recent
 * history as a graph (sparks[0] SYNs, sparks[1] invalid ACKs). */
static void print_totals(const struct snapshot *s, struct spark *sparks)
{
	double rate[2] = { 0, 0 };
	char graph[SPARK_BUF];

	for (size_t i = 0; i < s->n; i++) {
		rate[0] += s->v[i].syn_rate;
		rate[1] += s->v[i].ack_rate;
	}
	for (int k = 0; k < 2; k++) {
		spark_push(&sparks[k], rate[k]);
		printf("  %-40s %12.1f %s\n", k ? "all invalid ACKs, /s" : "all SYNs, /s", rate[k],
		       spark_render(&sparks[k], graph));
	}
}

static void print_sample(const struct top_args *a, struct snapshot *s, double secs,
			 struct spark *sparks)
{
	unsigned long n = a->number.set ? a->number.val : 10;
	struct json j;

	if (!a->json) {
		printf("%s: busiest sources over %.1f s\n", a->ifname, secs);
		if (sparks)
			print_totals(s, sparks);
		print_list(s, true, n, NULL);
		print_list(s, false, n, NULL);
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_str(&j, "ifname", a->ifname);
	json_kv_double(&j, "interval_s", secs);
	json_key(&j, "syn");
	print_list(s, true, n, &j);
	json_key(&j, "bad_ack");
	print_list(s, false, n, &j);
	json_object_end(&j);
	putchar('\n');
}

/* --- the flag and the lock ------------------------------------------------------- */

static int set_top_flag(const char *ifname, __u8 on)
{
	struct so_config cfg;
	struct live l;
	int err = live_lock(ifname, &l) || live_read(&l, "config", &cfg);

	if (!err && cfg.top != on) {
		cfg.top = on;
		err = live_write(&l, "config", &cfg);
	}
	live_unlock(&l);
	return err ? -1 : 0;
}

static void clear_sources(int fd)
{
	struct so_src_key key;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			break;
}

static int open_lock(const char *ifname)
{
	char path[PATH_MAX];
	unsigned long ino = 0;
	int fd = -1;

	netns_inode(&ino);
	snprintf(path, sizeof(path), TOP_LOCK_DIR "/top-%lu-%u.lock", ino, if_nametoindex(ifname));
	if (mkdir(TOP_LOCK_DIR, 0700) == 0 || errno == EEXIST)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		pr_err("cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Join the running tops (the first one starts the counts afresh), then
 * make sure the counting is on: a top that is ending has turned it off
 * before it let go of the lock. */
static int top_begin(const char *ifname, int sources_fd, int *lock_fd)
{
	*lock_fd = open_lock(ifname);
	if (*lock_fd < 0)
		return -1;
	if (flock(*lock_fd, LOCK_EX | LOCK_NB) == 0)
		clear_sources(sources_fd);
	if (flock(*lock_fd, LOCK_SH)) {
		pr_err("cannot lock the top lock file: %s", strerror(errno));
		return -1;
	}
	return set_top_flag(ifname, 1);
}

/* The last one to leave turns the counting off. */
static void top_end(const char *ifname, int lock_fd)
{
	if (lock_fd < 0)
		return;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0)
		set_top_flag(ifname, 0);
	close(lock_fd);
}

/* --- the loop ------------------------------------------------------------------------- */

static void sleep_for(double secs)
{
	unsigned long long deadline = clock_ns(CLOCK_MONOTONIC) + secs * 1e9;
	struct timespec ts = { .tv_sec = deadline / 1000000000ull,
			       .tv_nsec = deadline % 1000000000ull };

	while (!stop_requested && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int loop(const struct top_args *a, int fd, int ncpus)
{
	struct snapshot s[2] = { { .ncpus = ncpus }, { .ncpus = ncpus } };
	struct spark sparks[2] = {};
	bool graphs = !a->json && spark_wanted();
	double interval = a->interval > 0 ? a->interval : 1;
	unsigned long long t0 = clock_ns(CLOCK_MONOTONIC), t1;
	int err = read_snapshot(fd, &s[0]);

	for (unsigned long n = 0; !err && !stop_requested && (!a->count.set || n < a->count.val); n++) {
		struct snapshot *cur = &s[(n + 1) & 1], *prev = &s[n & 1];

		sleep_for(interval);
		if (stop_requested)
			break;
		err = read_snapshot(fd, cur);
		t1 = clock_ns(CLOCK_MONOTONIC);
		if (err)
			break;
		qsort(prev->v, prev->n, sizeof(*prev->v), cmp_key); /* printing reordered it */
		compute_rates(cur, prev, (t1 - t0) / 1e9);
		print_sample(a, cur, (t1 - t0) / 1e9, graphs ? sparks : NULL);
		fflush(stdout);
		qsort(cur->v, cur->n, sizeof(*cur->v), cmp_key);
		t0 = t1;
	}
	free(s[0].v);
	free(s[1].v);
	return err;
}

static int run_top(void *args)
{
	struct top_args *a = args;
	char dir[PATH_MAX];
	int fd, lock_fd = -1, err, ncpus = libbpf_num_possible_cpus();

	stop_on_signals();
	if (pins_find(a->ifname, dir, sizeof(dir)))
		return RC_FAIL;
	fd = pins_open(dir, "sources");
	if (fd < 0 || ncpus <= 0) {
		pr_err("cannot open %s/sources: %s", dir, strerror(fd < 0 ? -fd : -ncpus));
		return RC_FAIL;
	}
	err = top_begin(a->ifname, fd, &lock_fd);
	if (!err)
		err = loop(a, fd, ncpus);
	top_end(a->ifname, lock_fd);
	close(fd);
	return err ? RC_FAIL : RC_OK;
}

static struct top_args top_args;

const struct cmd cmd_top = {
	.name = "top",
	.summary = "show the busiest sources of SYNs and of invalid ACKs",
	.description = "Show, every interval, the sources that sent IFACE's protected ports the\n"
		       "most SYNs and the most ACKs with an invalid cookie: their rates over the\n"
		       "interval and their totals since the first running top began. The XDP\n"
		       "program counts per source only while a top runs. With -j: one JSON object\n"
		       "per sample with the keys ifname, interval_s, syn and bad_ack (arrays of\n"
		       "{addr, family, rate, total}). On a terminal, the rates of all sources\n"
		       "together come first, with their recent history as a graph.",
	.opts = top_opts,
	.args = &top_args,
	.needs_root = true,
	.run = run_top,
};
