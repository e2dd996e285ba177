/* SPDX-License-Identifier: GPL-2.0 */
/*
 * handover.h - SYNs handed to the kernel (an allowed source, --arm auto
 * while idle, a --speak-first port, an MPTCP listener, a signed SYN, a
 * 4-tuple in TIME-WAIT), and the kernel's own cookies they may have got,
 * which the ACK then returns.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "kfuncs.h"
#include "parse.h"
#include "maps.h"
#include "common.h"

/* The kernel's own SYN cookies last two minutes (MAX_SYNCOOKIE_AGE). */
#define KERNEL_COOKIE_NS (130 * NSEC_PER_SEC)

/* Hand a SYN to the kernel, noting when for kernel_cookie_ok(): at most
 * once a second, as every CPU writes the same line. */
static __always_inline enum so_result hand_over(enum so_counter c)
{
	struct so_handover *h = singleton(&handover);
	__u64 now = bpf_ktime_get_ns();

	if (h && (__s64)(now - h->last_syn_ns) > (__s64)NSEC_PER_SEC)
		h->last_syn_ns = now;
	return verdict(c, SO_PASS);
}

/* Does the ACK return one of the kernel's own cookies? Only a SYN shakeoff
 * handed to the kernel (hand_over) can have got one, when the listener's
 * SYN queue was full or tcp_syncookies is 2; so the check, a SipHash in
 * the kernel, is made only within a kernel cookie's lifetime of such a
 * SYN, and forged ACK floods do not pay for it otherwise. */
static __always_inline bool kernel_cookie_ok(const struct pkt *p)
{
	struct so_handover *h = singleton(&handover);

	if (!h || h->last_syn_ns == 0 ||
	    (__s64)(bpf_ktime_get_ns() - h->last_syn_ns) > (__s64)KERNEL_COOKIE_NS)
		return false;
	if (p->family == SO_AF_INET)
		return bpf_tcp_raw_check_syncookie_ipv4(p->ip4, p->tcp) == 0;
	return bpf_tcp_raw_check_syncookie_ipv6(p->ip6, p->tcp) == 0;
}
