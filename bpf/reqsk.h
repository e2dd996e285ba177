/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reqsk.h - the TC side of completion mode "kfunc": give the listener of a
 * valid cookie ACK a request socket built from the options XDP decoded
 * (meta.h), with bpf_sk_assign_tcp_reqsk (6.9+); the kernel completes it
 * into the socket accept() returns. Its errors are counted by errno, and
 * an MPTCP listener that the kfunc refuses is learnt (kports).
 */
#pragma once

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "shakeoff.h"
#include "bound.h"
#include "kfuncs.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "newconn.h"

static __always_inline void count_kfunc_error(int err)
{
	count(SO_C_CONN_CREATE_FAILED);
	if (err == -EINVAL)
		count(SO_C_CONN_ERR_EINVAL);
	else if (err == -ENETUNREACH)
		count(SO_C_CONN_ERR_ENETUNREACH);
	else if (err == -ENOMEM)
		count(SO_C_CONN_ERR_ENOMEM);
	else
		count(SO_C_CONN_ERR_OTHER);
}

/* Is the listener MPTCP's? Only an MPTCP kernel has the field. */
static __always_inline bool listener_is_mptcp(struct tcp_sock *tp)
{
	struct tcp_sock___so *t = (void *)tp;

	if (!bpf_core_field_exists(t->is_mptcp))
		return false;
	return t->is_mptcp;
}

/*
 * The kfunc refused an MPTCP listener: one that attach and set did not see
 * (it started since, or turned MPTCP). Its port joins kports, so the next
 * SYNs go to the kernel without any userspace process running; this
 * client is reset. The next set re-reads the listeners and writes both.
 */
static __always_inline void mptcp_learn(__be16 port)
{
	struct so_ports *kp = singleton(&kports);
	struct so_config *cfg = singleton(&config);
	__u32 p = bpf_ntohs(port), i = masked(p >> 6, 1023); /* as port_in() */
	__u64 bit = 1ULL << (p & 63);

	/* already known: another ACK of the same handshake, or of one that
	 * was on its way (ACKs never look at kports) */
	if (!kp || !cfg || (kp->bits[i] & bit))
		return;
	__sync_fetch_and_or(&kp->bits[i], bit);
	__sync_fetch_and_add(&cfg->kernel_ports, 1);
	count(SO_C_MPTCP_LEARNED);
}

/* Give the listener a request socket built from the cookie's options. */
static __always_inline void assign_reqsk(struct __sk_buff *skb, const struct pkt *p,
					 struct so_meta *m)
{
	struct bpf_sock_tuple t = {};
	__u32 sz = sock_tuple(&t, p);
	struct bpf_sock *skc = bpf_skc_lookup_tcp(skb, &t, sz, BPF_F_CURRENT_NETNS, 0);
	struct tcp_sock *tp;
	bool mptcp;
	int err;

	if (!skc) {
		count(SO_C_CONN_NO_LISTENER);
		return;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		/* A retransmitted third ACK, or the client's first data before
		 * the server said anything: the socket exists, so the entry is
		 * confirmed and later segments skip the cookie check. */
		bpf_sk_release(skc);
		count(SO_C_CONN_EXISTS);
		conn_confirm(p);
		return;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		count(SO_C_CONN_NO_LISTENER);
		return;
	}
	err = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &m->attrs, sizeof(m->attrs));
	mptcp = err == -EINVAL && listener_is_mptcp(tp);
	bpf_sk_release(skc);
	if (err) {
		/* TC_ACT_OK all the same: the kernel then resets the client at
		 * once instead of letting it retransmit into a void. */
		count_kfunc_error(err);
		if (mptcp)
			mptcp_learn(p->tcp->dest);
		return;
	}
	conn_insert(p, m, NULL);
}
