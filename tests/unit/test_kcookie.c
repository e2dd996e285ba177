// SPDX-License-Identifier: GPL-2.0
/*
 * test_kcookie.c - completion mode "kernel" (bpf/kcookie.h): the object
 * loaded with so_complete = kernel, against real listeners on lo.
 *
 *   kc_synack*  a SYN in, the SYN-ACK out, every byte checked: headers and
 *               checksums, the options in the kernel's order, the kernel's
 *               window and its TSval encoding; then the ISN: the ACK that
 *               returns it passes (ack_cookie_valid, conn_created, a conns
 *               entry), one with another minute's cookie is dropped
 *               (ack_cookie_invalid).
 *               The open event of that ACK: the options in force as the
 *               kernel decodes them from the TSecr (window scales, SACK,
 *               timestamps, ECN), the cookie's age from its time bits, the
 *               MSS unknown (0); without timestamps no option and no age.
 *   kc_age_*    a TSecr with the options right but a time the SYN-ACK
 *               never had (ahead of now, older than a kernel cookie
 *               lives): the age is unknown, the options still decoded.
 *               The cookie is the kernel's (bpf_tcp_gen_syncookie); XDP
 *               checks it with bpf_tcp_raw_check_syncookie_*, as the kernel
 *               does with its own secret (the namespace tests show that the
 *               kernel then makes the socket).
 *   kc_no_listener, kc_refused   SYNs the kernel's helper cannot answer:
 *               passed, each under its counter.
 *   kc_syn_cost the program's time per SYN in either mode, printed (the
 *               README's figures; no assertion on time).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "cases.h"
#include "harness.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define KC_PORT 8050      /* protected, with a listener */
#define KC_PORT_NONE 8051 /* protected, no listener */
#define KC_RCV_SPACE 65536 /* the rodata default, as with tcp_rmem[1] = 131072 */

static int write_sysctl(const char *name, const char *val)
{
	char path[128];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fputs(val, f) < 0;
	return fclose(f) || err ? -1 : 0;
}

static int listen_on(int family)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(KC_PORT) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(KC_PORT) };
	int one = 1, fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, SOCK_SERVER4, &s4.sin_addr);
	inet_pton(AF_INET6, SOCK_SERVER6, &s6.sin6_addr);
	if (family == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((family == 6 ? bind(fd, (struct sockaddr *)&s6, sizeof(s6))
			 : bind(fd, (struct sockaddr *)&s4, sizeof(s4))) ||
	    listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct kc_case {
	const char *name;
	int family;
	unsigned opts; /* O_* of the SYN */
	__u16 mss;     /* the SYN's MSS option */
	__u8 wscale;   /* the SYN's window scale */
	__u8 flags;    /* the SYN's, besides SYN: F_ECE | F_CWR asks for ECN */
};

static const struct kc_case synack_cases[] = {
	{ "kc_synack4_linux", 4, O_LINUX, 1460, 7 },
	{ "kc_synack4_ws14", 4, O_LINUX, 1460, 14 },
	{ "kc_synack4_no_ws", 4, O_MSS | O_SACK | O_TS, 1460, 0 },
	{ "kc_synack4_no_sack", 4, O_MSS | O_TS | O_WS, 1400, 2 },
	{ "kc_synack4_no_ts", 4, O_MSS | O_SACK | O_WS, 1460, 7 }, /* MSS only, like the kernel */
	{ "kc_synack4_no_opts", 4, 0, 0, 0 },
	{ "kc_synack6_linux", 6, O_LINUX, 1440, 7 },
	{ "kc_synack6_no_ts", 6, O_MSS, 1440, 0 },
	{ "kc_synack4_ecn", 4, O_LINUX, 1460, 7, F_ECE | F_CWR },
	{ "kc_synack6_ecn", 6, O_MSS | O_TS, 1440, 0, F_ECE | F_CWR },
	{ "kc_synack4_ecn_no_ts", 4, O_MSS | O_SACK | O_WS, 1460, 7, F_ECE | F_CWR }, /* no ECN */
};

/* ECN offered: an ECN-setup SYN, with timestamps (the bit is in TSval),
 * tcp_ecn not 0 (default_cfg) */
static bool want_ecn(const struct kc_case *c)
{
	return (c->opts & O_TS) && (c->flags & (F_ECE | F_CWR)) == (F_ECE | F_CWR);
}

static struct pkt_spec syn_spec(const struct kc_case *c, __u16 sport)
{
	struct pkt_spec s = {
		.family = c->family, .saddr = c->family == 6 ? SOCK_CLIENT6 : SOCK_CLIENT4,
		.daddr = c->family == 6 ? SOCK_SERVER6 : SOCK_SERVER4, .sport = sport,
		.dport = KC_PORT, .flags = F_SYN | c->flags, .opts = c->opts, .mss = c->mss,
		.wscale = c->wscale, .tsval = 0x01020304,
	};
	return s;
}

/* The options the kernel's own cookie SYN-ACK carries for this SYN (tcp_options_write):
 * MSS; SACK-permitted + TS, or NOP NOP TS; NOP WS; nothing but MSS without TS. */
static __u32 expected_opts(const struct kc_case *c, __u32 tsval, __u8 *o)
{
	__u16 mss = c->family == 6 ? default_cfg.mss6 : default_cfg.mss4;
	__u8 *p = o;

	*p++ = 2, *p++ = 4, *p++ = mss >> 8, *p++ = mss & 0xff;
	if (!(c->opts & O_TS))
		return p - o;
	if (c->opts & O_SACK)
		*p++ = 4, *p++ = 2;
	else
		*p++ = 1, *p++ = 1;
	*p++ = 8, *p++ = 10;
	for (int i = 3; i >= 0; i--)
		*p++ = tsval >> (8 * i);
	for (int i = 3; i >= 0; i--)
		*p++ = 0x01020304u >> (8 * i);
	if (c->opts & O_WS)
		*p++ = 1, *p++ = 3, *p++ = 3, *p++ = default_cfg.wscale;
	return p - o;
}

/* The kernel's SYN-ACK window: its receive space rounded down to the MSS
 * less the timestamp option (tcp_select_initial_window). */
static __u16 expected_window(const struct kc_case *c)
{
	__u32 m = (c->family == 6 ? default_cfg.mss6 : default_cfg.mss4) -
		  (c->opts & O_TS ? 12 : 0);
	__u32 w = KC_RCV_SPACE - KC_RCV_SPACE % m;

	return w > 65535 ? 65535 : w;
}

/* cookie_init_timestamp(): ms with the options in the low six bits. */
static void check_tsval(const struct kc_case *c, __u32 tsval, __u64 ms0, __u64 ms1)
{
	__u32 low = (c->opts & O_WS ? c->wscale : 0xf) | (c->opts & O_SACK ? 0x10 : 0) |
		    (want_ecn(c) ? 0x20 : 0);

	check_hex(tsval & 63, low, "TSval's low six bits (window scale, SACK, ECN)");
	if ((__s32)(tsval - (__u32)ms0) < -64 || (__s32)(tsval - (__u32)ms1) > 0)
		case_fail("TSval %u not within [%llu - 64, %llu] (ms of CLOCK_MONOTONIC)", tsval,
			  (unsigned long long)ms0, (unsigned long long)ms1);
}

static bool csum_ok(int family, const __u8 *l3, const __u8 *l4, __u32 tcp_len)
{
	const __u8 *sa = family == 6 ? l3 + 8 : l3 + 12, *da = family == 6 ? l3 + 24 : l3 + 16;

	if (family == 4 && csum_fold(csum_partial(l3, 20, 0)) != 0)
		return false;
	return csum_fold(csum_partial(l4, tcp_len, pseudo_sum(family, sa, da, tcp_len, 6))) == 0;
}

/* Every byte of the reply; returns its ISN and TSval. */
static void check_reply(const struct kc_case *c, const struct frame *syn,
			const struct xdp_result *r, __u64 ms0, __u64 ms1, __u32 *isn, __u32 *tsval)
{
	const __u8 *b = r->out + r->meta_len, *l3 = b + syn->l3;
	const __u8 *t = l3 + (c->family == 6 ? 40 : 20), *s3 = syn->b + syn->l3;
	__u8 want[40];
	__u32 hlen = (t[12] >> 4) * 4, olen, tcp_len;

	check_bytes(b, syn->b + 6, 6, "destination MAC = the SYN's source");
	check_bytes(b + 6, syn->b, 6, "source MAC = the SYN's destination");
	if (c->family == 4) {
		check_hex(l3[0], 0x45, "IPv4 version and IHL");
		check_hex(get16(l3 + 6), 0x4000, "IPv4 DF, no fragment");
		check_u64(l3[8], default_cfg.ttl, "TTL");
		check_bytes(l3 + 12, s3 + 16, 4, "source address = the SYN's destination");
		check_bytes(l3 + 16, s3 + 12, 4, "destination address = the SYN's source");
		tcp_len = get16(l3 + 2) - 20;
	} else {
		check_hex(get32(l3), 0x60000000, "IPv6 version, class, flow");
		check_u64(l3[7], default_cfg.ttl, "hop limit");
		check_bytes(l3 + 8, s3 + 24, 16, "source address = the SYN's destination");
		check_bytes(l3 + 24, s3 + 8, 16, "destination address = the SYN's source");
		tcp_len = get16(l3 + 4);
	}
	check_u64(tcp_len, hlen, "TCP length: a header, no payload");
	check_true(csum_ok(c->family, l3, t, tcp_len), "IP and TCP checksums");
	check_u64(get16(t), KC_PORT, "source port");
	check_u64(get16(t + 2), 40000 + (c - synack_cases), "destination port");
	check_hex(get32(t + 8), get32(syn->b + syn->l4 + 4) + 1, "ack = the SYN's seq + 1");
	check_hex(t[13], want_ecn(c) ? 0x52 : 0x12, "flags SYN, ACK (and ECE: an ECN-setup SYN-ACK)");
	check_u64(get16(t + 14), expected_window(c), "window (the kernel's SYN-ACK window)");
	check_u64(get16(t + 18), 0, "urgent pointer");
	*isn = get32(t + 4);
	*tsval = c->opts & O_TS && hlen >= 36 ? get32(t + 24 + 2 + 2) : 0;
	if (c->opts & O_TS)
		check_tsval(c, *tsval, ms0, ms1);
	olen = expected_opts(c, *tsval, want);
	check_u64(hlen, 20 + olen, "TCP header length");
	if (hlen == 20 + olen)
		check_bytes(t + 20, want, olen, "options, in the kernel's order");
}

/* The ACK that completes the handshake (ack = isn + 1 + off); -1 (the
 * case failed) if it could not run. */
static int send_ack(const struct kc_case *c, __u16 sport, __u32 isn, __u32 tsval, __u32 off,
		     struct xdp_result *r)
{
	struct pkt_spec a = syn_spec(c, sport);
	struct frame f;

	a.flags = F_ACK;
	a.seq = 0x11223344 + 1;
	a.ack = isn + 1 + off;
	a.opts = c->opts & O_TS;
	a.tsval = 0x01020305;
	a.tsecr = tsval;
	return build_frame(&a, &f) || run_xdp(&f, 0, r) ? -1 : 0;
}

static void conn_key(const struct kc_case *c, __u16 sport, struct so_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = c->family == 6 ? SO_AF_INET6 : SO_AF_INET;
	k->sport = htons(sport);
	k->dport = htons(KC_PORT);
	inet_pton(c->family == 6 ? AF_INET6 : AF_INET, c->family == 6 ? SOCK_CLIENT6 : SOCK_CLIENT4,
		  k->saddr);
	inet_pton(c->family == 6 ? AF_INET6 : AF_INET, c->family == 6 ? SOCK_SERVER6 : SOCK_SERVER4,
		  k->daddr);
}

/* The open event of the ACK that returned this case's cookie, made between
 * ms0 and ms1 (ms of CLOCK_MONOTONIC); age_known: the TSecr's time is the
 * SYN-ACK's. */
static void check_open(const struct kc_case *c, const struct so_flow_key *k, __u32 tsval,
		       __u64 ms0, __u64 ms1, bool age_known)
{
	bool ts = c->opts & O_TS;
	struct so_event ev = {};

	if (!check_u64(ring_take(false, &ev, sizeof(ev)), 1, "events in the ring"))
		return;
	check_u64(ev.type, SO_EV_OPEN, "type open");
	check_u64(ev.cookie, SO_COOKIE_KERNEL, "the kernel's cookie");
	check_bytes(&ev.key, k, sizeof(*k), "key");
	check_u64(ev.opts_known, 1, "options known");
	check_u64(ev.mss, 0, "MSS unknown (its index is under the kernel's secret)");
	check_u64(ev.tstamp, ts, "timestamps");
	check_u64(ev.sack, ts && (c->opts & O_SACK), "SACK");
	check_u64(ev.ecn, want_ecn(c), "ECN");
	check_u64(ev.snd_wscale, ts && (c->opts & O_WS) ? c->wscale : SO_WS_NONE,
		  "snd_wscale (the client's)");
	check_u64(ev.rcv_wscale, ts && (c->opts & O_WS) ? default_cfg.wscale : SO_WS_NONE,
		  "rcv_wscale (the SYN-ACK's)");
	if (!ts || !age_known) {
		check_hex(ev.cookie_age_ms, SO_AGE_UNKNOWN, "cookie age unknown");
		return;
	}
	/* now - TSecr, now in [ms0, ms1] */
	if (ev.cookie_age_ms < (__u32)ms0 - tsval || ev.cookie_age_ms > (__u32)ms1 - tsval)
		case_fail("cookie age %u ms not within [%u, %u]: now - TSecr", ev.cookie_age_ms,
			  (__u32)ms0 - tsval, (__u32)ms1 - tsval);
}

static int events_on(void)
{
	struct so_evconf ec = {};
	struct so_event ev;

	return events_setup(SO_LISTEN_EVENTS, &ec) || ring_take(false, &ev, sizeof(ev)) < 0;
}

static void synack_case(const struct kc_case *c)
{
	__u16 sport = 40000 + (c - synack_cases);
	struct pkt_spec s = syn_spec(c, sport);
	struct so_flow_key k;
	struct so_conn conn;
	struct xdp_result r;
	struct frame f;
	__u32 isn, tsval;
	__u64 ms0, ms1;

	if (build_frame(&s, &f))
		return;
	ms0 = mono_ns() / 1000000;
	if (run_xdp(&f, 0, &r))
		return;
	ms1 = mono_ns() / 1000000;
	if (!check_xdp(&r, XDP_TX, C(SYN_SEEN) | C(SYNACK_SENT)))
		return;
	check_reply(c, &f, &r, ms0, ms1, &isn, &tsval);
	/* another minute's cookie: not the kernel's for this 4-tuple now; dropped
	 * in XDP (one off would not do: the kernel's cookies end in the MSS
	 * index, and the next index is as valid) */
	if (send_ack(c, sport, isn, tsval, 0x80000000, &r))
		return;
	check_xdp(&r, XDP_DROP, C(ACK_COOKIE_INVALID));
	if (events_on()) {
		case_fail("cannot set the events up");
		return;
	}
	ms0 = mono_ns() / 1000000;
	if (send_ack(c, sport, isn, tsval, 0, &r))
		return;
	ms1 = mono_ns() / 1000000;
	check_xdp(&r, XDP_PASS, C(ACK_COOKIE_VALID) | C(CONN_CREATED) | C(EVENT_SENT));
	conn_key(c, sport, &k);
	check_open(c, &k, tsval, ms0, ms1, true);
	if (check_true(conn_get(&k, &conn), "a conns entry for the connection"))
		check_u64(conn.state, SO_ST_ESTABLISHED, "its state");
}

/* A TSecr whose options are the SYN-ACK's and whose time is not: the
 * client's word, which the kernel does not check either. */
static const struct {
	const char *name;
	__s32 shift_ms; /* added to the TSval echoed: a multiple of 64 */
} age_cases[] = {
	{ "kc_age_ahead_of_now", 64 * 1000 },
	{ "kc_age_older_than_a_cookie", -64 * 2000 },
};

static void age_case(size_t i)
{
	const struct kc_case *c = &synack_cases[0]; /* Linux, IPv4 */
	__u16 sport = 40100 + i;
	struct pkt_spec s = syn_spec(c, sport);
	struct so_flow_key k;
	struct xdp_result r;
	struct frame f;
	__u32 tsval;

	if (build_frame(&s, &f) || run_xdp(&f, 0, &r) || !check_xdp(&r, XDP_TX, C(SYN_SEEN) | C(SYNACK_SENT)))
		return;
	tsval = get32(r.out + r.meta_len + f.l4 + 24 + 2 + 2);
	if (events_on()) {
		case_fail("cannot set the events up");
		return;
	}
	if (send_ack(c, sport, get32(r.out + r.meta_len + f.l4 + 4), tsval + age_cases[i].shift_ms,
		     0, &r))
		return;
	check_xdp(&r, XDP_PASS, C(ACK_COOKIE_VALID) | C(CONN_CREATED) | C(EVENT_SENT));
	conn_key(c, sport, &k);
	check_open(c, &k, tsval, 0, 0, false);
}

/* SYNs the helper cannot answer go to the kernel, counted. */
static void pass_case(const char *name, __u16 dport, const char *syncookies, __u64 counter)
{
	struct kc_case c = { name, 4, O_LINUX, 1460, 7 };
	struct pkt_spec s = syn_spec(&c, 41000);
	struct xdp_result r;
	struct frame f;

	if (!case_begin(name))
		return;
	s.dport = dport;
	if (write_sysctl("tcp_syncookies", syncookies))
		case_fail("cannot set tcp_syncookies to %s: %s", syncookies, strerror(errno));
	if (build_frame(&s, &f) == 0 && run_xdp(&f, 0, &r) == 0)
		check_xdp(&r, XDP_PASS, C(SYN_SEEN) | counter);
	write_sysctl("tcp_syncookies", "2");
	case_end();
}

/* The program's own time for one SYN (BPF_PROG_RUN's duration, one run
 * per call: a repeat would run the SYN-ACK the first run left in place),
 * averaged; no assertion on it, only a line for the README's figures. */
static double syn_cost_ns(const struct frame *f, int runs)
{
	__u8 out[PKT_MAX];
	unsigned long long sum = 0;
	int n = 0;

	for (int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(xdp_prog_fd(), &o) == 0 && o.retval == XDP_TX) {
			sum += o.duration;
			n++;
		}
	}
	if (n != runs)
		case_fail("%d of %d SYNs answered", n, runs);
	return n ? (double)sum / n : 0;
}

static void cost_case(void)
{
	struct kc_case c = { "kc_syn_cost", 4, O_LINUX, 1460, 7 };
	struct pkt_spec s = syn_spec(&c, 42000);
	double own, kernel;
	struct frame f;

	if (!case_begin(c.name))
		return;
	if (build_frame(&s, &f)) {
		case_end();
		return;
	}
	/* without the kfunc mode's object (env_kfunc), kernel mode's figure only */
	own = env_kernel_mode(false) ? 0 : syn_cost_ns(&f, 20000);
	env_kernel_mode(true);
	kernel = syn_cost_ns(&f, 20000);
	if (env_kfunc)
		printf("# kc_syn_cost: a Linux SYN costs the XDP program %.0f ns with shakeoff's "
		       "cookies, %.0f ns with the listener's (kernel mode), %.2fx\n", own, kernel,
		       own > 0 ? kernel / own : 0);
	else
		printf("# kc_syn_cost: a Linux SYN costs the XDP program %.0f ns with the "
		       "listener's cookie (kernel mode)\n", kernel);
	case_end();
}

void test_kcookie(void)
{
	int fd4 = -1, fd6 = -1, err_mode, err_sysctl;

	/* set up whatever -t selects: kc_setup reports how it went */
	err_mode = env_kernel_mode(true);
	/* the kernel makes a listener's cookie for XDP only with 2 */
	err_sysctl = write_sysctl("tcp_syncookies", "2") || write_sysctl("tcp_timestamps", "2");
	if (!err_mode && env_sock_addrs_ok()) {
		fd4 = listen_on(4);
		fd6 = fd4 < 0 ? -1 : listen_on(6);
	}
	if (case_begin("kc_setup")) {
		if (err_mode)
			case_fail("cannot load the object for completion mode kernel");
		if (err_sysctl)
			case_fail("cannot set tcp_syncookies and tcp_timestamps to 2");
		if (fd6 < 0)
			case_fail("cannot listen on %s and %s port %d", SOCK_SERVER4, SOCK_SERVER6,
				  KC_PORT);
		case_end();
	}
	if (err_mode)
		return;
	conns_clear();
	for (size_t i = 0; fd6 >= 0 && i < sizeof(synack_cases) / sizeof(synack_cases[0]); i++) {
		if (!case_begin(synack_cases[i].name))
			continue;
		synack_case(&synack_cases[i]);
		case_end();
	}
	for (size_t i = 0; fd6 >= 0 && i < sizeof(age_cases) / sizeof(age_cases[0]); i++) {
		if (!case_begin(age_cases[i].name))
			continue;
		age_case(i);
		case_end();
	}
	events_setup(0, &(struct so_evconf){});
	if (fd6 >= 0)
		cost_case();
	pass_case("kc_no_listener", KC_PORT_NONE, "2", C(PASSED_NO_LISTENER));
	pass_case("kc_refused_syncookies_1", KC_PORT, "1", C(PASSED_COOKIE_REFUSED));
	conns_clear();
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	env_kernel_mode(false); /* back to the default (none to go to without env_kfunc) */
}
