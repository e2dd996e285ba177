/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcookie.h - completion mode "kernel": sockets from the kernel's own SYN
 * cookie check, for kernels without bpf_sk_assign_tcp_reqsk (6.0 to 6.8).
 *
 *   SYN  the listener's cookie from bpf_tcp_gen_syncookie (the kernel's
 *        format and secret, its four MSS values), in a SYN-ACK built as the
 *        kernel builds its own cookie SYN-ACK: options in its order, its
 *        window, its window scale (computed by the CLI from the namespace's
 *        sysctls), its TSval encoding.
 *   ACK  bpf_tcp_raw_check_syncookie_ipv4/6: an invalid cookie is dropped
 *        here (ack_cookie_invalid); a valid one gets its conns entry and
 *        goes on to the kernel, which checks it again and makes the socket
 *        (cookie_v4_check, cookie_v6_check). Teardown is tracked as in kfunc
 *        mode; tc_ingress is not loaded.
 *
 * The kernel takes a cookie ACK only while the listener has "overflowed"
 * within the last two minutes (tcp_synq_no_recent_overflow); otherwise it
 * resets the client without a word. Hence bpf_tcp_gen_syncookie with the
 * listener, not the raw helper, for the SYN: it stamps the listener itself
 * (tcp_get_syncookie_mss -> tcp_synq_overflow, at most one write a second)
 * for every cookie it makes. So every cookie out there has a stamp at most
 * a second older than itself, which lasts the 120 s a cookie can live:
 * from the very first SYN of a listener just opened (or reopened, or a new
 * member of a reuseport group), and after any quiet, however long. The raw
 * helper stamps nothing; keeping listeners stamped beside it (one SYN per
 * port to the kernel now and then) leaves a listener opened between two of
 * them unstamped, and resets its first clients. The price is a listener
 * lookup per SYN (README: "Completion without the kfunc", measured there),
 * and each SYN counts in the kernel's TCPReqQFullDoCookies.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "shakeoff.h"
#include "kfuncs.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "tcpopt.h"
#include "options.h"
#include "synack.h"
#include "newconn.h"
#include "ktsval.h"

/* const volatile, as all rodata the CLI sets before load: clang may not
 * fold the default in, and the verifier reads the loaded value as a
 * constant, so it prunes the other mode's code. */
const volatile __u8 so_complete = SO_COMPLETE_KFUNC;
/* The listener's receive space the kernel sizes its SYN-ACK window from
 * (tcp_full_space: half of tcp_rmem[1] with the defaults), from the CLI. */
const volatile __u32 so_rcv_space = 65536;

static __always_inline bool kernel_mode(void)
{
	return so_complete == SO_COMPLETE_KERNEL;
}

/*
 * 6.1's verifier (to 6.6) walks a bpf_loop() callback once: an option flag
 * that starts as the constant 0 is then 1 on no path where another flag is
 * 1 too, and `if (sack)` after `if (ts)` is dead code to it, removed: 6.1
 * sent SYN-ACKs without SACK and window scale. Flags that start from a map
 * value it cannot predict (handover.zero, always 0) keep both branches.
 */
static __always_inline void kc_seed_opts(struct tcp_opts *o)
{
	struct so_handover *h = singleton(&handover);
	__u8 z = h ? (__u8)h->zero : 0;

	o->has_ts = z;
	o->has_sack = z;
	o->has_ws = z;
}

/* The listener's cookie for this SYN (ISN in the low 32 bits), or < 0 with
 * the counter of the verdict in *why: no listener, a socket that is not one
 * (the kernel answers a SYN for it), or the helper refused (tcp_syncookies
 * switched off, a v6-only listener for an IPv4 SYN). w holds the header. */
static __always_inline __s64 kc_cookie(struct xdp_md *ctx, const struct pkt *p,
				       struct tcpopt_walk *w, enum so_counter *why)
{
	struct bpf_sock_tuple t = {};
	__u32 sz = sock_tuple(&t, p), th_len = p->doff_len;
	struct bpf_sock *sk = bpf_skc_lookup_tcp(ctx, &t, sz, BPF_F_CURRENT_NETNS, 0);
	__s64 cookie = -1;

	*why = SO_C_PASSED_NO_LISTENER;
	if (!sk)
		return -1;
	*why = SO_C_PASSED_SOCKET;
	if (sk->state == BPF_TCP_LISTEN && th_len >= sizeof(struct tcphdr) &&
	    th_len <= TCP_HDR_MAX) {
		/* The same value (20..60), rebuilt by a mask that gives the
		 * verifier both bounds at once. Tests alone would not do: clang
		 * merges them into one unsigned test of th_len - 20 in another
		 * register, or reloads th_len from the stack between them, and
		 * 6.1's verifier carries neither back ("invalid zero-sized
		 * read", clang 19). barrier_var keeps clang from folding it. */
		barrier_var(th_len);
		th_len = ((th_len - sizeof(struct tcphdr)) & 63) + sizeof(struct tcphdr);
		*why = SO_C_PASSED_COOKIE_REFUSED;
		if (p->family == SO_AF_INET)
			cookie = bpf_tcp_gen_syncookie(sk, p->ip4, sizeof(*p->ip4),
						       (struct tcphdr *)w->b, th_len);
		else
			cookie = bpf_tcp_gen_syncookie(sk, p->ip6, sizeof(*p->ip6),
						       (struct tcphdr *)w->b, th_len);
	}
	bpf_sk_release(sk);
	return cookie;
}

/* TSval as cookie_init_timestamp() makes it (ktsval.h), never ahead of
 * now. tcp_timestamps=2 keeps the kernel from adding a per-connection
 * offset to the TSecr it decodes and to later TSvals. */
static __always_inline __u32 kc_tsval(const struct cookie_opts *co)
{
	__u64 ms = bpf_ktime_get_ns() / 1000000;
	__u64 ts = (ms & ~(__u64)KTS_OPT_MASK) | co->wscale | (co->sack ? KTS_SACK : 0) |
		   (co->ecn ? KTS_ECN : 0);

	if (ts > ms)
		ts -= 1u << KTS_OPT_BITS;
	return ts;
}

/* The window of the kernel's SYN-ACK (tcp_openreq_init_rwin,
 * tcp_select_initial_window): the listener's receive space rounded down to
 * the MSS less the timestamp option, at most 65535 (never scaled in a SYN). */
static __always_inline __u16 kc_window(__u32 mss, bool ts)
{
	__u32 m = mss - (ts ? TCPOLEN_TSTAMP_ALIGNED : 0), space = so_rcv_space;

	if (space > m)
		space -= space % m;
	return space < 65535 ? space : 65535;
}

/* Answer the SYN with the listener's cookie, or hand it to the kernel. */
static __always_inline enum so_result kc_syn_answer(struct xdp_md *ctx, const struct pkt *p,
						    const struct so_config *cfg,
						    struct tcpopt_walk *w)
{
	struct synack_params sp = {};
	struct cookie_opts co = {};
	enum so_counter why;
	__s64 cookie = kc_cookie(ctx, p, w, &why);

	if (cookie < 0)
		return verdict(why, SO_PASS);
	choose_options(p, &w->o, cfg, &co);
	/* the kernel's cookie carries options in TSval only (without it: MSS
	 * only, no synopts map); ECN as the kernel offers it in its own cookie
	 * SYN-ACK (tcp_ecn_create_request), only with timestamps */
	if (!co.ts) {
		co.sack = 0;
		co.wscale = SO_WS_NONE;
	}
	sp.isn = cookie;
	sp.mss = synack_mss(p, cfg);
	sp.ts = co.ts;
	sp.sack = co.sack;
	sp.ws = co.wscale != SO_WS_NONE;
	sp.wscale = cfg->wscale;
	sp.ttl = cfg->ttl;
	sp.ece = co.ecn;
	if (co.ts) {
		sp.tsval = kc_tsval(&co);
		sp.tsecr = w->o.tsval;
	}
	sp.window = kc_window(sp.mss, co.ts);
	return synack_send(ctx, p, cfg, &sp);
}

/* The third ACK's TSecr, read only while someone reads the events: 0 with
 * it in *echo, or -1 (options unknown) if the header could not be read. */
static __always_inline int kc_ack_echo(struct xdp_md *ctx, const struct pkt *p,
				       struct kts_echo *echo)
{
	struct tcpopt_walk w = {};

	kc_seed_opts(&w.o); /* the ACK's options go through bpf_loop() too */
	if (tcpopt_load(ctx, p, &w))
		return -1;
	tcpopt_parse(&w);
	echo->has_ts = w.o.has_ts;
	echo->tsecr = w.o.tsecr;
	return 0;
}

/* An ACK of no connection in the table, or of one not yet confirmed: does
 * it return a cookie valid under the kernel's secret, now? Then it gets its
 * entry (conn_insert) and the kernel makes the socket. */
static __always_inline enum so_result kc_ack(struct xdp_md *ctx, const struct pkt *p)
{
	struct kts_echo echo = {};
	bool known = false;
	long err;

	if (p->family == SO_AF_INET)
		err = bpf_tcp_raw_check_syncookie_ipv4(p->ip4, p->tcp);
	else
		err = bpf_tcp_raw_check_syncookie_ipv6(p->ip6, p->tcp);
	if (err)
		return SO_CONTINUE;
	if (listening(SO_LISTEN_EVENTS))
		known = kc_ack_echo(ctx, p, &echo) == 0;
	conn_insert(p, NULL, known ? &echo : NULL);
	return verdict(SO_C_ACK_COOKIE_VALID, SO_PASS);
}

/* An ACK of an entry not confirmed yet: the client's first data before
 * the server said a word, or the third ACK again (the accept queue was
 * full). Once the kernel has the socket the entry is confirmed, as
 * tc_ingress does in kfunc mode; until then the ACK is checked again. */
static __always_inline enum so_result kc_unconfirmed(struct xdp_md *ctx, const struct pkt *p)
{
	enum so_result r;

	if (socket_state(ctx, p)) {
		count(SO_C_CONN_EXISTS);
		conn_confirm(p);
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	}
	r = kc_ack(ctx, p);
	return r != SO_CONTINUE ? r : verdict(SO_C_PASSED_TRACKED, SO_PASS);
}
