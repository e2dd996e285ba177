// SPDX-License-Identifier: GPL-2.0
/* sample.c - see sample.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "mapwalk.h"
#include "pins.h"
#include "sample.h"
#include "sys.h"

const char *const counter_key[SO_C_MAX] = {
#define SO_X_KEY(id, key, kind, help) [SO_C_##id] = #key,
	SO_COUNTERS(SO_X_KEY)
#undef SO_X_KEY
};

const char *const counter_help[SO_C_MAX] = {
#define SO_X_HELP(id, key, kind, help) [SO_C_##id] = help,
	SO_COUNTERS(SO_X_HELP)
#undef SO_X_HELP
};

static int open_maps(const char *dir, struct source *src)
{
	static const char *const names[] = { "stats", "gauges", "config", "armed" };
	int *fds[] = { &src->stats_fd, &src->gauges_fd, &src->config_fd, &src->armed_fd };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*fds[i] = pins_open(dir, names[i]);
		if (*fds[i] < 0) {
			pr_err("cannot open %s/%s: %s", dir, names[i], strerror(-*fds[i]));
			return -1;
		}
	}
	return 0;
}

int source_open(const char *ifname, struct source *src)
{
	char dir[PATH_MAX];

	if (pins_find(ifname, dir, sizeof(dir)) || open_maps(dir, src))
		return -1;
	src->ncpus = libbpf_num_possible_cpus();
	if (src->ncpus <= 0) {
		pr_err("cannot count the possible CPUs: %s", strerror(-src->ncpus));
		return -1;
	}
	src->percpu = calloc(src->ncpus, sizeof(*src->percpu));
	if (!src->percpu) {
		pr_err("out of memory");
		return -1;
	}
	return 0;
}

void source_close(struct source *src)
{
	int fds[] = { src->stats_fd, src->gauges_fd, src->config_fd, src->armed_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(src->percpu);
}

/*
 * The table's figures from the gauges the data path keeps (struct
 * so_sweeper): one lookup, whatever the table's size. An entry the LRU
 * evicts from a full table stays in its state's gauge until its idle
 * timeout, but not in the table's count of its elements: conn_active is
 * the smaller of the two.
 */
static int read_gauges(const struct source *src, struct sample *s)
{
	struct so_gauges sw;
	__u64 sum = 0, entries;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(src->gauges_fd, &zero, &sw)) {
		pr_err("cannot read the connection gauges: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < SO_ST_MAX; i++) {
		s->state[i] = sw.state[i] > 0 ? sw.state[i] : 0;
		sum += s->state[i];
	}
	entries = sw.entries > 0 ? sw.entries : 0;
	s->conn_active = sum < entries ? sum : entries;
	s->conn_half_closed = s->state[SO_ST_CLOSE_WAIT] + s->state[SO_ST_FIN_WAIT_1] +
			      s->state[SO_ST_FIN_WAIT_2];
	if (s->conn_half_closed > s->conn_active)
		s->conn_half_closed = s->conn_active;
	return 0;
}

static int read_counters(const struct source *src, struct sample *s)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(src->stats_fd, &zero, src->percpu)) {
		pr_err("cannot read the counters: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < SO_C_MAX; c++) {
		s->counter[c] = 0;
		for (int cpu = 0; cpu < src->ncpus; cpu++)
			s->counter[c] += *so_stats_slot(&src->percpu[cpu], c);
	}
	return 0;
}

/* always: armed; monitor: never; auto: as the shared decision says. */
static int read_arming(const struct source *src, struct sample *s)
{
	struct so_config cfg;
	struct so_armed g;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(src->config_fd, &zero, &cfg) ||
	    bpf_map_lookup_elem(src->armed_fd, &zero, &g)) {
		pr_err("cannot read the arming state: %s", strerror(errno));
		return -1;
	}
	s->arm = cfg.arm;
	s->complete = cfg.complete;
	s->armed = cfg.arm == SO_ARM_ALWAYS;
	if (cfg.arm == SO_ARM_AUTO) /* CLOCK_MONOTONIC: bpf_ktime_get_ns()'s clock */
		s->armed = so_arm_active(&g, clock_ns(CLOCK_MONOTONIC));
	return 0;
}

/*
 * Evictions: housekeeping counts them (evicted, bpf/track.h) where the
 * kernel counts the table's elements (6.6); before, the counter stays 0 and
 * they are what is left of the created connections once the table and
 * every counted exit are taken away. The table and the counters are read at
 * slightly different moments, so while connections come and go the
 * difference can dip below zero: clamped to 0, it is exact whenever the
 * table is quiet (and 0 where the counter counts them all).
 */
static __u64 infer_evicted(const struct sample *s)
{
	__s64 left = s->counter[SO_C_CONN_CREATED] - s->conn_active -
		     s->counter[SO_C_CLOSED_GRACEFUL] - s->counter[SO_C_CLOSED_RESET] -
		     s->counter[SO_C_EXPIRED_IDLE] - s->counter[SO_C_CONN_REPLACED] -
		     s->counter[SO_C_EVICTED];

	return s->counter[SO_C_EVICTED] + (left > 0 ? left : 0);
}

int sample_read(const struct source *src, struct sample *s)
{
	memset(s, 0, sizeof(*s));
	if (read_gauges(src, s) || read_counters(src, s) || read_arming(src, s))
		return -1;
	s->evicted = s->counter[SO_C_EVICTED] = infer_evicted(s);
	s->t_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
}
