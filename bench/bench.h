/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the benchmark's BPF programs (bench.bpf.c), its generator
 * (flood.c) and its control tool (benchctl.c) agree on.
 *
 * The flood comes from random sources in 198.18.128.0/17 (RFC 2544's
 * benchmarking range), so the programs can tell it from the real client's
 * traffic (198.18.0.1) by address alone.
 */
#pragma once

#include <linux/types.h>

#define BENCH_FLOOD_NET 0xc6128000u  /* 198.18.128.0, host order */
#define BENCH_FLOOD_MASK 0xffff8000u /* /17 */
#define BENCH_FLOOD_HOSTS 0x8000u

/* The reflector's fixed ISN: it answers without computing anything. */
#define BENCH_REFLECT_ISN 0x5eed5eedu

/* Indexes of the "counts" per-CPU array of every bench program. */
enum bench_counter {
	BC_HIT = 0, /* xdp_count: SYN-ACKs; xdp_drop: drops; xdp_reflect: SYN-ACKs sent */
	BC_OTHER,   /* xdp_count: other TCP to flood addresses (RSTs, ...), dropped too */
	BC_MAX,
};
