// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff.bpf.c - TCP handshake offload: the entry points and the stages.
 *
 *   xdp_shakeoff  (XDP, ingress)  answers SYNs to protected ports with a
 *                 cookie SYN-ACK; validates the cookie of the third ACK and
 *                 hands the decoded options to TC in the frame's metadata.
 *   tc_ingress    (TC ingress)    turns such an ACK into a request socket of
 *                 the listener (bpf_sk_assign_tcp_reqsk, kernel 6.9+); the
 *                 kernel completes it into a socket that accept() returns.
 *   tc_egress     (TC egress)     follows the server's side of connections
 *                 that shakeoff created.
 *
 * Kernel floor: 6.9 (bpf_sk_assign_tcp_reqsk) for completion mode "kfunc";
 * completion mode "kernel" (kcookie.h: the kernel's own cookies, no
 * tc_ingress) runs from 6.0 (bpf_tcp_raw_check_syncookie_*). TC programs
 * attach as TCX links (6.6) or, before, as clsact filters.
 *
 * A frame's way, and where each step lives:
 *   xdp_main       parse (parse.h), classify: a protected port? a SYN?
 *   handle_syn     syn_screen: policy (policy.h), TIME-WAIT (twgate.h),
 *                  checksums (syncsum.h), options (tcpopt.h), the budget;
 *                  syn_answer: options granted (options.h), the cookie
 *                  (cookie.h, clock.h), synopts (synopt.h), the SYN-ACK
 *                  (synack.h); kernel mode: kcookie.h
 *   handle_segment a tracked connection's segment (track.h), or
 *                  handle_untracked: a socket's, a cookie ACK (handle_ack,
 *                  meta.h), the kernel's cookie (handover.h)
 *   to_xdp         the verdict, and the drop samples (events.h)
 *   tc_ingress     the request socket (reqsk.h), the new entry (newconn.h)
 *   tc_egress      the server's side of a tracked connection (track.h)
 * The maps are in maps.h, the helpers every stage uses in common.h, the
 * table's housekeeping in sweeper.h and twnote.h.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "shakeoff.h"
#include "parse.h"
#include "maps.h"
#include "common.h"
#include "events.h"
#include "policy.h"
#include "handover.h"
#include "twgate.h"
#include "syncsum.h"
#include "tcpopt.h"
#include "options.h"
#include "cookie.h"
#include "clock.h"
#include "synopt.h"
#include "synack.h"
#include "meta.h"
#include "track.h"
#include "kcookie.h"
#include "reqsk.h"

char LICENSE[] SEC("license") = "GPL";

/* --- XDP: the SYN ------------------------------------------------------ */

/* Everything a SYN must pass before it costs a cookie, cheapest first.
 * w gets the TCP header copy the checksum and the options are read from,
 * and the options parsed. */
static __always_inline enum so_result syn_screen(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg,
						 struct tcpopt_walk *w)
{
	top_count(cfg, p, TOP_SYN);
	if (list_hit(cfg, p, LIST_DENY))
		return verdict(SO_C_DROP_DENIED, SO_DROP);
	if (list_hit(cfg, p, LIST_ALLOW))
		return hand_over(SO_C_PASSED_ALLOWED);
	/* The kfunc refuses MPTCP listeners; the kernel's own cookies serve
	 * them (RFC 8684 MP_CAPABLE), and kernel_cookie_ok() their ACKs. */
	if (cfg->kernel_ports && port_in(&kports, p->tcp->dest))
		return hand_over(SO_C_PASSED_MPTCP);
	if ((cfg->arm == SO_ARM_AUTO || cfg->speak_first) && !arm_auto_syn(cfg)) {
		if (cfg->arm == SO_ARM_AUTO)
			return hand_over(SO_C_PASSED_UNARMED);
		if (speaks_first(p))
			return hand_over(SO_C_PASSED_SPEAK_FIRST);
	}
	if (p->tcp->fin || p->tcp->rst)
		return verdict(SO_C_DROP_SYN_FLAGS, SO_DROP);
	if (!source_ok(p))
		return verdict(SO_C_DROP_BAD_SOURCE, SO_DROP);
	if (tw_gate_syn(p, cfg))
		return hand_over(SO_C_PASSED_TIME_WAIT);
	if (p->tcp_len > SYN_MAX_LEN)
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (!ip_csum_ok(ctx, p))
		return verdict(SO_C_DROP_IP_CSUM, SO_DROP);
	if (tcpopt_load(ctx, p, w) || !tcp_csum_ok(ctx, p, w))
		return verdict(SO_C_DROP_TCP_CSUM, SO_DROP);
	tcpopt_parse(w);
	if (w->o.signed_by)
		return syn_signed(cfg);
	if (!budget_ok(cfg))
		return verdict(SO_C_DROP_RATE_LIMITED, SO_DROP);
	return SO_CONTINUE;
}

/* Answer the SYN: cookie, then the SYN-ACK in place of the SYN. */
static __always_inline enum so_result syn_answer(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg,
						 const struct tcp_opts *o)
{
	struct cookie_opts co = {};
	struct cookie_flow f = {};
	struct synack_params sp = {};
	struct so_secret *sec = singleton(&secret);
	struct tai_now now;

	if (!sec)
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	choose_options(p, o, cfg, &co);
	cookie_flow_init(&f, p, bpf_ntohl(p->tcp->seq));
	clock_tai(singleton(&clock), &now);
	/* the ring in force's first key issues */
	sp.isn = cookie_make(&sec->ring[sec->gen & 1].key[0], &f, &co, &now, &sp.tsval);
	sp.tsecr = o->tsval;
	sp.ts = co.ts;
	sp.sack = co.sack;
	sp.ws = co.wscale != SO_WS_NONE;
	sp.ece = co.ecn;
	sp.wscale = cfg->wscale;
	sp.ttl = cfg->ttl;
	sp.mss = synack_mss(p, cfg);
	/* --arm monitor saves nothing: synack_send() only counts it */
	if (cfg->arm != SO_ARM_MONITOR && !co.ts && (co.sack || sp.ws) &&
	    !synopt_save(p, &co, sp.isn))
		sp.sack = sp.ws = 0; /* MSS only, as the kernel's own cookies */
	return synack_send(ctx, p, cfg, &sp);
}

/* kmode: kernel_mode(), a constant here: see xdp_syn(). */
static __always_inline enum so_result handle_syn(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg, const bool kmode)
{
	struct tcpopt_walk w = {};
	enum so_result r;

	count(SO_C_SYN_SEEN);
	if (kmode) /* before syn_screen() parses the options: see kc_seed_opts() */
		kc_seed_opts(&w.o);
	r = syn_screen(ctx, p, cfg, &w);
	if (r != SO_CONTINUE)
		return r;
	if (kmode)
		return kc_syn_answer(ctx, p, cfg, &w);
	return syn_answer(ctx, p, cfg, &w.o);
}

/* --- XDP: the ACK and every other segment ------------------------------ */

/* An ACK without a table entry (or of a connection not yet confirmed):
 * does it return one of our cookies? */
static __always_inline enum so_result handle_ack(struct xdp_md *ctx, const struct pkt *p,
						 const struct so_config *cfg)
{
	struct tcpopt_walk w = {};
	struct cookie_opts co = {};
	struct cookie_flow f = {};
	struct tai_now now;
	struct so_secret *sec;
	int slot;

	sec = singleton(&secret);
	if (!sec)
		return SO_CONTINUE;
	if (tcpopt_load(ctx, p, &w))
		return SO_CONTINUE;
	tcpopt_parse(&w);
	cookie_flow_init(&f, p, bpf_ntohl(p->tcp->seq) - 1);
	clock_tai(singleton(&clock), &now);
	if (cookie_check(&sec->ring[sec->gen & 1], &f, bpf_ntohl(p->tcp->ack_seq) - 1, &w.o, &co,
			 &now, &slot) != COOKIE_VALID)
		return SO_CONTINUE;
	if (!co.ts)
		synopt_restore(p, bpf_ntohl(p->tcp->ack_seq) - 1, &co);
	if (slot > 0) /* a rotation, or a cookie of another host's ring */
		count(SO_C_ACK_COOKIE_OTHER_KEY);
	if (pass_meta(ctx, p, &co, &w.o, cfg, &now))
		return verdict(SO_C_DROP_NO_ROOM, SO_DROP);
	return verdict(SO_C_ACK_COOKIE_VALID, SO_PASS);
}

/* A segment of no connection in the table. A socket's (one that existed
 * before attach, one the kernel made, one whose entry left the table) goes
 * to the kernel without a cookie check, so established traffic never pays
 * for one; else it must return a cookie, ours or the kernel's. */
static __always_inline enum so_result handle_untracked(struct xdp_md *ctx, const struct pkt *p,
						       const struct so_config *cfg, bool is_ack,
						       const bool kmode)
{
	enum so_result r;
	int state = socket_state(ctx, p);

	if (state) {
		tw_note_socket(p, state);
		return verdict(SO_C_PASSED_SOCKET, SO_PASS);
	}
	if (is_ack) {
		r = kmode ? kc_ack(ctx, p) : handle_ack(ctx, p, cfg);
		if (r != SO_CONTINUE)
			return r;
	}
	/* Idle in auto mode, the kernel answered the SYNs: let it judge too. */
	if (!armed_now(cfg))
		return verdict(SO_C_PASSED_UNARMED, SO_PASS);
	if (!is_ack)
		return verdict(SO_C_DROP_NO_SOCKET, SO_DROP);
	if (!kmode && kernel_cookie_ok(p)) { /* kernel mode: kc_ack() said no */
		if (listening(SO_LISTEN_EVENTS)) {
			struct so_flow_key k = {};

			flow_key(&k, p, false);
			ev_open(&k, NULL, NULL);
		}
		return verdict(SO_C_PASSED_KERNEL_COOKIE, SO_PASS);
	}
	top_count(cfg, p, TOP_BAD_ACK);
	return verdict(SO_C_ACK_COOKIE_INVALID, SO_DROP);
}

/* The first fragment of a segment: its TCP header is whole, its payload is
 * not, and the kernel reassembles only after TC. So it is neither tracked
 * (a FIN's sequence number needs the whole segment) nor taken for a cookie
 * ACK; a fragment of a tracked or existing connection passes, any other
 * is dropped (a first fragment of a SYN never gets here). */
static __always_inline enum so_result handle_fragment(struct xdp_md *ctx, const struct pkt *p,
						      bool tracked)
{
	if (tracked)
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	if (socket_state(ctx, p))
		return verdict(SO_C_PASSED_SOCKET, SO_PASS);
	return verdict(SO_C_DROP_FRAGMENT, SO_DROP);
}

/*
 * A segment of an entry whose socket has not shown itself, past the third
 * ACK's sequence number, so that no cookie checks out for it. If the
 * kernel has made the socket since, the segment is the socket's. If not,
 * the kernel dropped the child (a full accept queue, ListenOverflows) and
 * would answer this segment with a reset (an ACK to a listener); nor can
 * it make the socket, which would then start past bytes the server never
 * got. Dropped: the client retransmits from its first unacknowledged
 * byte, the third ACK's sequence number, whose cookie makes the socket
 * once the server accepts again (test_servers' full accept queue).
 */
static __always_inline enum so_result unconfirmed_later(struct xdp_md *ctx, const struct pkt *p,
							struct so_conn *c)
{
	if (socket_state(ctx, p)) {
		c->flags &= ~SO_CF_UNCONFIRMED;
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	}
	return verdict(SO_C_DROP_UNCONFIRMED, SO_DROP);
}

/*
 * Any segment but a SYN, to a protected port. kmode: as for handle_syn().
 *
 * An ACK of a tracked 4-tuple outside the entry's sequence spaces
 * (conn_own_segment) is no segment of that entry's connection: the third
 * ACK of a new connection, whose client lost its socket and whose server's
 * socket is gone too (the RSTs never got through), or a forged or stray
 * segment. It takes the way of a segment with no entry: a socket of the
 * 4-tuple (the old connection alive after all) gets it; else a valid
 * cookie makes it the new connection's (kfunc mode: TC's conn_insert()
 * ends the old entry as "replaced" once the kfunc made the socket; kernel
 * mode's kc_ack() at once); else it is dropped as ack_cookie_invalid,
 * and the entry stays as it was. No way around the cookie check, and a
 * forged ACK costs what it costs for an untracked 4-tuple (README,
 * "Security model"). The same call site as for no entry, reached with c
 * NULL: each site of the cookie check is another walk of it for the
 * verifier and more stack in a stage near its 512 bytes, and with c kept
 * the verifier told the two ways in apart and walked it twice (+30% of the
 * program's instructions).
 */
static __always_inline enum so_result handle_segment(struct xdp_md *ctx, const struct pkt *p,
						     const struct so_config *cfg, const bool kmode)
{
	struct so_flow_key k = {};
	struct so_conn *c;
	bool is_ack = p->tcp->ack && !p->tcp->rst && !p->tcp->syn, confirmed;
	enum so_result r;

	if (list_hit(cfg, p, LIST_DENY))
		return verdict(SO_C_DROP_DENIED, SO_DROP);
	flow_key(&k, p, false);
	c = conn_lookup(&k);
	if (p->fragment)
		return handle_fragment(ctx, p, c != NULL);
	if (c && is_ack && !(c->flags & SO_CF_UNCONFIRMED) && !conn_own_segment(c, p))
		c = NULL; /* not the entry's: as if there were none (above) */
	if (!c)
		return handle_untracked(ctx, p, cfg, is_ack, kmode);
	confirmed = !(c->flags & SO_CF_UNCONFIRMED);
	track_apply(&k, track_client(c, p, &k), SO_CLOSER_CLIENT);
	if (confirmed || !is_ack)
		return verdict(SO_C_PASSED_TRACKED, SO_PASS);
	/* Not confirmed yet (the accept queue may have been full): a cookie
	 * ACK goes through TC again; kernel mode looks for the socket here. */
	if (kmode)
		return kc_unconfirmed(ctx, p);
	r = handle_ack(ctx, p, cfg);
	return r != SO_CONTINUE ? r : unconfirmed_later(ctx, p, c);
}

/* --- XDP: the entry points --------------------------------------------- */

/*
 * The stages proper run as global functions: the verifier checks each once
 * with the packet offsets as unknown scalars, instead of once per path
 * through the parser (which cost it 400k instructions and seconds per load).
 * Each asks for the completion mode once, and hands it on as a constant:
 * the compiler makes a copy of the stage per mode, and the verifier walks
 * only the loaded mode's (the other is dead code to it), so kernel mode
 * costs kfunc mode three instructions per stage.
 */
__noinline int xdp_syn(struct xdp_md *ctx, struct pkt_off *o)
{
	struct pkt p = {};
	struct so_config *cfg = singleton(&config);

	if (!o || !cfg)
		return SO_PASS;
	if (pkt_from_off(&p, (void *)(long)ctx->data, (void *)(long)ctx->data_end, o))
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (kernel_mode())
		return handle_syn(ctx, &p, cfg, true);
	return handle_syn(ctx, &p, cfg, false);
}

__noinline int xdp_segment(struct xdp_md *ctx, struct pkt_off *o)
{
	struct pkt p = {};
	struct so_config *cfg = singleton(&config);

	if (!o || !cfg)
		return SO_PASS;
	if (pkt_from_off(&p, (void *)(long)ctx->data, (void *)(long)ctx->data_end, o))
		return verdict(SO_C_DROP_MALFORMED, SO_DROP);
	if (kernel_mode())
		return handle_segment(ctx, &p, cfg, true);
	return handle_segment(ctx, &p, cfg, false);
}

static __always_inline int to_xdp(struct xdp_md *ctx, enum so_result r, const struct so_config *cfg)
{
	if (cfg->arm == SO_ARM_MONITOR && r != SO_PASS) {
		count(SO_C_PASSED_MONITOR);
		return XDP_PASS;
	}
	/* the drop path's one check while no shakeoff events --drops runs */
	if ((r & SO_RESULT_MASK) == SO_DROP && (cfg->listen & SO_LISTEN_DROPS))
		drop_sample(ctx, (__u32)r >> SO_REASON_SHIFT);
	switch (r & SO_RESULT_MASK) {
	case SO_TX:
		if (cfg->tx_mode == SO_TX_REDIRECT)
			return bpf_redirect(ctx->ingress_ifindex, 0);
		return XDP_TX;
	case SO_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

/* Which stage a parsed TCP segment to a protected port goes to. A first
 * fragment is never a SYN we answer; the first fragments of other segments
 * go on to handle_segment() (handle_fragment()). */
static __always_inline enum so_result classify(struct xdp_md *ctx, struct pkt *p, bool fragment,
						struct pkt_off *off)
{
	bool syn;

	if (!port_protected(p->tcp->dest))
		return verdict(SO_C_PASSED, SO_PASS);
	if (fragment && p->tcp->syn)
		return verdict(SO_C_DROP_FRAGMENT, SO_DROP);
	syn = p->tcp->syn && !p->tcp->ack;
	p->fragment = fragment;
	pkt_to_off(p, off);
	return syn ? xdp_syn(ctx, off) : xdp_segment(ctx, off);
}

static __always_inline int xdp_main(struct xdp_md *ctx)
{
	struct pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.frame_len = bpf_xdp_get_buff_len(ctx),
	};
	struct so_config *cfg = singleton(&config);
	struct pkt_off off = {};

	if (!cfg)
		return XDP_PASS;
	/* a call of classify() per result, each with a constant: one call
	 * with a variable cost this frame 8 bytes of stack (clang 14), and
	 * its chain with xdp_segment() is near the verifier's 512 */
	switch (parse_packet(&p)) {
	case PARSE_OK:
		return to_xdp(ctx, classify(ctx, &p, false, &off), cfg);
	case PARSE_FRAGMENT:
		return to_xdp(ctx, classify(ctx, &p, true, &off), cfg);
	case PARSE_NOT_TCP:
		return to_xdp(ctx, verdict(SO_C_PASSED, SO_PASS), cfg);
	case PARSE_TOO_DEEP:
		return to_xdp(ctx, verdict(SO_C_DROP_TOO_DEEP, SO_DROP), cfg);
	default:
		return to_xdp(ctx, verdict(SO_C_DROP_MALFORMED, SO_DROP), cfg);
	}
}

/* xdp.frags: multi-buffer frames are welcome (only headers are read from
 * the linear part). Without it, veth linearises every frame for XDP and
 * drops the peer's GSO: bulk uploads ran at 0.59 of the speed without
 * shakeoff on a veth pair; with it, within the noise (bench/bulk.sh). */
SEC("xdp.frags")
int xdp_shakeoff(struct xdp_md *ctx)
{
	return xdp_main(ctx);
}

/* The same for generic (skb-mode) XDP, which loses the metadata of a
 * multi-buffer program's frame, so that cookie ACKs reached TC without
 * their options. Loaded instead of xdp_shakeoff by attach --mode skb. */
SEC("?xdp")
int xdp_shakeoff_skb(struct xdp_md *ctx)
{
	return xdp_main(ctx);
}

/* --- TC ---------------------------------------------------------------- */

/* Kfunc mode only: "?tc" keeps it out of the load unless the CLI asks,
 * as on a kernel without the kfunc its call cannot be resolved. */
SEC("?tc")
int tc_ingress(struct __sk_buff *skb)
{
	struct pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.frame_len = skb->len,
	};
	struct so_meta meta;
	bool framed = meta_in_frame(skb, &meta);

	/* the fast exit of every segment but a cookie ACK's: no metadata */
	if (!framed && !ackmeta_on())
		return TC_ACT_OK;
	if (parse_packet(&p) != PARSE_OK)
		return TC_ACT_OK;
	if (!framed && !meta_in_map(&p, &meta))
		return TC_ACT_OK;
	assign_reqsk(skb, &p, &meta);
	return TC_ACT_OK;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct pkt p = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.frame_len = skb->len,
	};
	struct so_flow_key k = {};
	struct so_conn *c;

	if (parse_packet(&p) != PARSE_OK || !port_protected(p.tcp->source))
		return TC_ACT_OK;
	flow_key(&k, &p, true);
	c = conn_lookup(&k);
	if (c)
		track_apply(&k, track_server(c, &p, &k), SO_CLOSER_SERVER);
	return TC_ACT_OK;
}
