/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - every map of the programs, and the read-only configuration that
 * more than one topic reads. The value types, their sizes and the CLI's
 * view of them are in include/shakeoff.h; the CLI finds the maps by these
 * names (the skeleton).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"

/* A map of one entry: configuration, or state kept per CPU. */
#define SINGLETON_MAP(maptype, name, valtype)     \
	struct {                                  \
		__uint(type, maptype);            \
		__uint(max_entries, 1);           \
		__type(key, __u32);               \
		__type(value, valtype);           \
	} name SEC(".maps")

/* The one entry of a SINGLETON_MAP, or NULL (never, once loaded: the
 * verifier wants the check). */
static __always_inline void *singleton(void *map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map, &zero);
}

/* Live configuration, written by the CLI. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, config, struct so_config);

/* Protected ports, one bit each; and those whose servers speak first. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, ports, struct so_ports);
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, speakfirst, struct so_ports);

/* Of those, the ports whose listener is MPTCP: SYNs to the kernel. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, kports, struct so_ports);

/* The cookie secret: the key rings (include/shakeoff.h). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, secret, struct so_secret);

/* One counter per reason (enum so_counter), per CPU. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, stats, struct so_stats);

/* Connections shakeoff created; the CLI sets the size (--conn-max). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SO_CONN_MAX_DEFAULT);
	__type(key, struct so_flow_key);
	__type(value, struct so_conn);
} conns SEC(".maps");

/* Housekeeping (include/shakeoff.h): the idle wheel, the time_wait queue
 * (sized at attach; the mask with it). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_WHEEL_SLOTS);
	__type(key, __u32);
	__type(value, struct so_wheel_slot);
} wheel SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_TWQ_MIN);
	__type(key, __u32);
	__type(value, struct so_twq_slot);
} twq SEC(".maps");

/* const volatile: rodata the CLI sets before load (twq's size less one),
 * which the verifier then knows as a constant; a plain const would be
 * folded by clang into the default. */
const volatile __u32 twq_mask = SO_TWQ_MIN - 1;

/* The server's TIME-WAIT sockets that no conns entry stands for. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SO_TW_MAX);
	__type(key, struct so_flow_key);
	__type(value, struct so_tw);
} timewait SEC(".maps");

/* Which 4-tuples may be in TIME-WAIT, counted by hash (struct so_twfilter). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, twfilter, struct so_twfilter);

/* The SYN-ACK budget's state, per CPU (--synack-rate). */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, budget, struct so_budget);

/* The budget of signed SYNs handed to the kernel, per CPU (--signed-rate). */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, signed_budget, struct so_budget);

/* The SYN options of clients without timestamps, and the write budget of
 * that map, per CPU (struct so_synopt, bpf/synopt.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SO_SYNOPT_MAX);
	__type(key, __u32);
	__type(value, struct so_synopt);
} synopts SEC(".maps");
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, synoptbudget, struct so_budget);

/* Allow and deny lists by source prefix. */
#define LPM_MAP(name, keytype)                                   \
	struct {                                                 \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);             \
		__uint(max_entries, SO_LIST_MAX);                \
		__uint(map_flags, BPF_F_NO_PREALLOC);            \
		__type(key, keytype);                            \
		__type(value, struct so_lpm_val);                \
	} name SEC(".maps")

LPM_MAP(allow4, struct so_lpm4);
LPM_MAP(allow6, struct so_lpm6);
LPM_MAP(deny4, struct so_lpm4);
LPM_MAP(deny6, struct so_lpm6);

/* --arm auto: the SYN rate per CPU, and the decision all CPUs share. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, armstate, struct so_arm_state);
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, armed, struct so_armed);

/* The cookies' clock: TAI's offset from the coarse clock, per CPU. */
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, clock, struct so_clock);

/* Busiest sources of SYNs and invalid ACKs, while shakeoff top runs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SO_SOURCES_MAX);
	__type(key, struct so_src_key);
	__type(value, struct so_src_val);
} sources SEC(".maps");

/* When a SYN to a protected port was last handed to the kernel, which may
 * have answered it with a cookie of its own (kernel_cookie_ok, handover.h). */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, handover, struct so_handover);

/* The connection table's sweeper timer. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, sweeper, struct so_sweeper);

/* shakeoff events (events.h): connection events and drop samples, their
 * settings and the samples' budget per CPU. The CLI sizes "events"
 * (attach --events-buffer). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SO_EVENTS_RING_DEFAULT);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SO_DROPS_RING_BYTES);
} drops SEC(".maps");

SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, evconf, struct so_evconf);
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, dropbudget, struct so_budget);

/* The decoded cookie of a valid ACK, XDP to tc_ingress, by 4-tuple, where
 * the frame cannot carry it as metadata (meta.h). An entry lives from XDP
 * to TC of one segment; LRU, so that one whose segment never reached TC
 * goes by itself. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SO_ACKMETA_MAX);
	__type(key, struct so_flow_key);
	__type(value, struct so_meta);
} ackmeta SEC(".maps");
SINGLETON_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, ackmeta_scratch, struct so_ackmeta_scratch);

/* The connection table's gauges. */
SINGLETON_MAP(BPF_MAP_TYPE_ARRAY, gauges, struct so_gauges);
