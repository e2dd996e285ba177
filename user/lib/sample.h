/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sample.h - one reading of an attachment's figures: the per-CPU counters
 * of map "stats" summed, the gauges of the connection table (kept by the
 * data path: no walk, the same cost at any table size), the arming state.
 * Shared by `stats` (table, JSON, Prometheus) and `exporter`.
 */
#pragma once

#include <stdbool.h>

#include "shakeoff.h"

/* Counter names and help, from SO_COUNTERS. */
extern const char *const counter_key[SO_C_MAX];
extern const char *const counter_help[SO_C_MAX];

struct sample {
	__u64 counter[SO_C_MAX];
	__u64 conn_active;      /* entries in conns */
	__u64 conn_half_closed; /* ... in close_wait, fin_wait_1 or fin_wait_2 */
	__u64 evicted;          /* counter[SO_C_EVICTED], or inferred: see sample_read */
	__u64 state[SO_ST_MAX]; /* entries per state (conns --count) */
	__u8 arm;               /* enum so_arm */
	__u8 complete;          /* enum so_complete */
	bool armed;             /* answering SYNs in XDP now */
	unsigned long long t_ns; /* CLOCK_MONOTONIC */
};

/* The pinned maps of one attachment, and buffers for per-CPU values. */
struct sample_maps {
	int stats_fd, gauges_fd, config_fd, armed_fd;
	int ncpus;
	struct so_stats *percpu; /* the stats map's value, one per possible CPU */
};

#define SAMPLE_MAPS_INIT { .stats_fd = -1, .gauges_fd = -1, .config_fd = -1, .armed_fd = -1 }

/* 0, or -1 after one sentence. */
int sample_maps_open(const char *ifname, struct sample_maps *maps);
void sample_maps_close(struct sample_maps *maps);
int sample_read(const struct sample_maps *maps, struct sample *s);
