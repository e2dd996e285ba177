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

static int open_maps(const char *dir, struct sample_maps *maps)
{
	static const char *const names[] = { "stats", "gauges", "config", "armed" };
	int *fds[] = { &maps->stats_fd, &maps->gauges_fd, &maps->config_fd, &maps->armed_fd };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*fds[i] = pins_open(dir, names[i]);
		if (*fds[i] < 0) {
			pr_err("cannot open %s/%s: %s", dir, names[i], strerror(-*fds[i]));
			return -1;
		}
	}
	return 0;
}

int sample_maps_open(const char *ifname, struct sample_maps *maps)
{
	char dir[PATH_MAX];

	if (pins_find(ifname, dir, sizeof(dir)) || open_maps(dir, maps))
		return -1;
	maps->ncpus = libbpf_num_possible_cpus();
	if (maps->ncpus <= 0) {
		pr_err("cannot count the possible CPUs: %s", strerror(-maps->ncpus));
		return -1;
	}
	maps->percpu = calloc(maps->ncpus, sizeof(*maps->percpu));
	if (!maps->percpu) {
		pr_err("out of memory");
		return -1;
	}
	return 0;
}

void sample_maps_close(struct sample_maps *maps)
{
	int fds[] = { maps->stats_fd, maps->gauges_fd, maps->config_fd, maps->armed_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(maps->percpu);
}

/*
 * The table's figures from the gauges the data path keeps (struct
 * so_sweeper): one lookup, whatever the table's size. An entry the LRU
 * evicts from a full table stays in its state's gauge until its idle
 * timeout, but not in the table's count of its elements: conn_active is
 * the smaller of the two.
 */
static int read_gauges(const struct sample_maps *maps, struct sample *s)
{
	struct so_gauges sw;
	__u64 sum = 0, entries;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(maps->gauges_fd, &zero, &sw)) {
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

static int read_counters(const struct sample_maps *maps, struct sample *s)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(maps->stats_fd, &zero, maps->percpu)) {
		pr_err("cannot read the counters: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < SO_C_MAX; c++) {
		s->counter[c] = 0;
		for (int cpu = 0; cpu < maps->ncpus; cpu++)
			s->counter[c] += *so_stats_slot(&maps->percpu[cpu], c);
	}
	return 0;
}

/* always: armed; monitor: never; auto: as the shared decision says. */
static int read_arming(const struct sample_maps *maps, struct sample *s)
{
	struct so_config cfg;
	struct so_armed g;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(maps->config_fd, &zero, &cfg) ||
	    bpf_map_lookup_elem(maps->armed_fd, &zero, &g)) {
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
 * Evictions: housekeeping counts them (evicted, bpf/sweeper.h) where the
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

int sample_read(const struct sample_maps *maps, struct sample *s)
{
	memset(s, 0, sizeof(*s));
	if (read_gauges(maps, s) || read_counters(maps, s) || read_arming(maps, s))
		return -1;
	s->evicted = s->counter[SO_C_EVICTED] = infer_evicted(s);
	s->t_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
}
