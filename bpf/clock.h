/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - CLOCK_TAI for the cookies, cheaply.
 *
 * Cookies carry CLOCK_TAI (hosts sharing a secret share that clock), and
 * bpf_ktime_get_tai_ns() reads it precisely: a timekeeper read through the
 * clocksource, ~30 ns of a SYN's path under flood here (make bench,
 * in-program time, TSC clocksource). The coarse monotonic clock is the
 * timekeeper's last tick, a few ns to read; TAI is that plus TAI's offset
 * from the monotonic clock, which changes only when the clock is stepped.
 * So each CPU takes the offset again with the precise clocks once a
 * second and otherwise adds it to the coarse clock.
 *
 * The result is never ahead of CLOCK_TAI and behind it by the coarse
 * clock's lag: a tick (4 ms at HZ=250), more when a tick comes late (5.8 ms
 * seen in this VM); a step of the clock reaches every CPU within a second.
 * The cookies' time fields count 1.024 s (timestamp mode) and 68.7 s units,
 * and accept SO_COOKIE_SKEW_MS of skew: neither notices. (The connection
 * table keeps the precise clock: its times are shown to the millisecond.)
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"

#define CLOCK_REFRESH_NS 1000000000ULL

/* TAI now, and its ms (low 32 bits) for the timestamp cookies. */
struct tai_now {
	__u64 ns;
	__u32 ms;
};

/* Take TAI's offset again, and the ms it is at then: one division a
 * second, so that reads divide only what has passed since, which is below
 * 2^32 ns (clock_tai refreshes after CLOCK_REFRESH_NS). */
static __always_inline void clock_refresh(struct so_clock *c, __u64 mono)
{
	/* TAI first: the offset comes out low, never high */
	__u64 tai = bpf_ktime_get_tai_ns(), at;

	c->tai_offset = tai - bpf_ktime_get_ns();
	c->mono_at = mono;
	at = mono + c->tai_offset;
	c->ms_at = at / 1000000;
	c->ns_past_ms = at - c->ms_at * 1000000;
}

/* TAI now, from this CPU's cached offset c (NULL: the precise read). */
static __always_inline void clock_tai(struct so_clock *c, struct tai_now *t)
{
	__u64 mono, since;

	if (!c) {
		t->ns = bpf_ktime_get_tai_ns();
		t->ms = t->ns / 1000000;
		return;
	}
	mono = bpf_ktime_get_coarse_ns();
	since = mono - c->mono_at;
	if (since >= CLOCK_REFRESH_NS) {
		clock_refresh(c, mono);
		since = 0;
	}
	t->ns = mono + c->tai_offset;
	/* ns_past_ms + since < 10^6 + 10^9: a 32-bit dividend */
	t->ms = (__u32)c->ms_at + so_u32_div_1e6(c->ns_past_ms + (__u32)since);
}
