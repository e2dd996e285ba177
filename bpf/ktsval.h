/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktsval.h - the TSval of the kernel's cookie SYN-ACK (cookie_init_timestamp,
 * net/ipv4/syncookies.c): ms of CLOCK_MONOTONIC (tcp_clock_ns) whose low six
 * bits carry the options the cookie cannot: the client's window scale (0xf:
 * none), SACK in bit 4, ECN in bit 5. Kernel mode sends it (kc_tsval); the
 * client echoes it in the third ACK's TSecr, which the kernel decodes into
 * the socket's options (cookie_timestamp_decode, cookie_ecn_ok), and so
 * does the open event here (kts_decode).
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"

#define KTS_OPT_BITS 6
#define KTS_OPT_MASK ((1u << KTS_OPT_BITS) - 1)
#define KTS_WS_MASK 0xfu /* 0xf: no window scale */
#define KTS_SACK (1u << 4)
#define KTS_ECN (1u << 5)
_Static_assert(SO_WS_NONE == KTS_WS_MASK, "no window scale: the same value in TSval");

/* The longest a kernel cookie lives: its minute counter may be one behind
 * (MAX_SYNCOOKIE_AGE), and a SYN-ACK's TSval is up to 64 ms older than the
 * SYN-ACK. An older age in a TSecr is the client's invention. */
#define KTS_AGE_MAX_MS (120000 + (1u << KTS_OPT_BITS))

/* What the third ACK brought back (has_ts 0: no timestamp option). */
struct kts_echo {
	__u32 tsecr;
	__u8 has_ts;
	__u8 pad[3];
};

/*
 * The options the kernel gives the socket it makes from its cookie, as it
 * decodes them, into the open event e. Without timestamps it clears every
 * option (tcp_clear_options): no window scale, SACK or ECN, and no age.
 * rcv_wscale is the window scale our SYN-ACK announced (the CLI computed it
 * as the kernel does; XXX: a listener with SO_RCVBUF or a window clamp gets
 * a smaller one from the kernel, which XDP cannot see). The MSS stays 0,
 * unknown: its index is in the ISN, under the kernel's secret. The age:
 * the SYN-ACK went out within 64 ms after its TSval, so now - TSecr is at
 * most 63 ms more than the real age.
 */
static __always_inline void kts_decode(const struct kts_echo *kts, const struct so_config *cfg,
				       struct so_event *e)
{
	__u32 opts = kts->tsecr & KTS_OPT_MASK;
	__s32 age = (__s32)((__u32)(bpf_ktime_get_ns() / 1000000) - kts->tsecr);

	if (!kts->has_ts)
		return;
	e->tstamp = 1;
	e->sack = !!(opts & KTS_SACK);
	/* the kernel ANDs the bit with its tcp_ecn, which SO_OPT_ECN mirrors */
	e->ecn = (opts & KTS_ECN) && (cfg->options & SO_OPT_ECN);
	if ((opts & KTS_WS_MASK) != KTS_WS_MASK) {
		e->snd_wscale = opts & KTS_WS_MASK;
		e->rcv_wscale = cfg->wscale;
	}
	if (age >= 0 && age <= KTS_AGE_MAX_MS)
		e->cookie_age_ms = age;
}
