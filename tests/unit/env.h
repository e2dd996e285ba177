/* SPDX-License-Identifier: GPL-2.0 */
/*
 * env.h - the world the tests run in: a fresh network namespace, the loaded
 * skeleton, its maps filled with a known configuration, and wrappers around
 * BPF_PROG_RUN that also record what the counters did.
 */
#pragma once

#include <stdbool.h>
#include <linux/types.h>

#include "shakeoff.h"
#include "pktbuild.h"

/* Bit of a counter in an expected-counters mask: C(SYN_SEEN) | C(SYNACK_SENT). */
#define C(id) (1ULL << SO_C_##id)

/* Protected ports of the test configuration: 80 and 8000-8100; 81 is not. */
#define PORT_OPEN 80
#define PORT_RANGE_LO 8000
#define PORT_RANGE_HI 8100
#define PORT_UNPROT 81

/* Addresses of the real sockets some cases open in the test's namespace: on
 * lo, a /24 and a /112 apart from the crafted packets' defaults (198.18.0.1,
 * 2001:2::1 -> .2, ::2) so that no crafted segment can meet one of their
 * sockets (or its TIME-WAIT) by a port that happens to match. */
#define SOCK_CLIENT4 "198.18.1.1"
#define SOCK_SERVER4 "198.18.1.2"
#define SOCK_CLIENT6 "2001:2::1:1"
#define SOCK_SERVER6 "2001:2::1:2"

extern const struct so_config default_cfg;
extern const struct so_secret default_secret;

/* The secret the maps hold now (the reference cookies use it). */
extern struct so_secret cur_secret;

/* The key the BPF program signs with now (the ring in force's first). */
static inline const __u64 *cur_key(void)
{
	return cur_secret.ring[cur_secret.gen & 1].key[0].k;
}

/* Its key id, which timestamp cookies carry in the TSval. */
static inline __u8 cur_key_id(void)
{
	return cur_secret.ring[cur_secret.gen & 1].key[0].fp & SO_KEY_ID_MASK;
}
extern struct so_config cur_cfg;

/* 0: ready; -1: error. */
int env_setup(void);
/* Whether the object loaded for completion mode kfunc, the default. Not
 * where the kernel lacks the kfunc (Debian 12's 6.1), nor with
 * SHAKEOFF_TEST_COMPLETE=kernel: then the object for kernel mode is the
 * default (what attach loads there), and the cases about kfunc mode alone
 * (shakeoff's own cookies, tc_ingress) skip, saying so. */
extern bool env_kfunc;
/* Run the object loaded for completion mode kernel (on) or kfunc (off,
 * the default) from now on; each has its own maps. 0, or -1 (also for
 * kfunc mode without env_kfunc). */
int env_kernel_mode(bool on);
/* Whether the object in use now is kernel mode's. */
bool env_in_kernel_mode(void);
/* Whether the socket addresses could be put on lo (env_setup tries). */
bool env_sock_addrs_ok(void);
void env_teardown(void);

int set_config(const struct so_config *cfg);
/* Only this port (0: none) in kports, the ports of MPTCP listeners. */
int set_kports(unsigned int port);
int set_secret(const struct so_secret *sec);
/* Back to default_cfg / default_secret. */
void reset_maps(void);

/* One XDP run: the frame that came out (metadata first), its verdict, the
 * CLOCK_TAI window around the run and what every counter did. */
struct xdp_result {
	int err;            /* of bpf_prog_test_run_opts, -errno */
	__u32 verdict;
	__u8 out[4096];
	__u32 out_len;      /* metadata + frame */
	__u32 meta_len;     /* ctx_out.data: bytes of metadata before the frame */
	__u64 tai0, tai1;   /* CLOCK_TAI ns just before (less the lag the program's
			     * coarse clock may have, bpf/clock.h) and just after */
	__s64 delta[SO_C_MAX];
	bool meta_in_map;   /* the run left a decoded cookie in ackmeta: */
	struct so_meta map_meta;
	struct so_flow_key map_meta_key;
};

/* Whether XDP has bpf_xdp_adjust_meta here; else valid cookie ACKs leave
 * their options in the map ackmeta, counted (C_META_MAP in a mask). */
extern bool env_xdp_meta;
#define C_META_MAP (env_xdp_meta ? 0 : C(ACK_META_MAP))

/* Run xdp_shakeoff on a frame; meta_len bytes of zeroed metadata go before it
 * (a multiple of 4, at most 32; 0 for a plain frame). */
int run_xdp(const struct frame *f, __u32 meta_len, struct xdp_result *r);
/* BPF_PROG_RUN of xdp_shakeoff, repeat times: the mean ns per run (the
 * kernel's own timing, in-program), no counters read. */
int xdp_run_time(const struct frame *f, __u32 repeat, __u32 *ns);
/* Whether BPF_PROG_RUN takes an XDP frame shorter than an Ethernet header
 * (behind metadata, since the data itself must be 14 bytes at least). */
bool xdp_runs_short_frames(void);
/* Run a TC program (tc_ingress or tc_egress); verdict in *ret. */
int run_tc(bool ingress, const struct frame *f, __u32 *ret, __s64 delta[SO_C_MAX]);

/* Record a mismatch unless every counter in mask rose by exactly one and all
 * others stayed unchanged. */
bool check_counters(const __s64 delta[SO_C_MAX], __u64 mask);
/* The XDP verdict (named) and the counters of a run, with check_counters. */
bool check_xdp(const struct xdp_result *r, __u32 verdict, __u64 mask);

/* Every XDP run is tallied: did exactly one verdict counter (kind V) rise, by
 * exactly one? The names of the runs that broke the rule are kept. */
extern int verdict_runs, verdict_bad_runs;
extern char verdict_bad_names[512];
/* Whether exactly one kind-V counter rose by one in this delta. */
bool verdicts_add_up(const __s64 delta[SO_C_MAX]);

const char *counter_name(int c);
const char *xdp_verdict_name(__u32 v);

/* Every counter now, summed over the CPUs. */
void read_counters(__u64 sum[SO_C_MAX]);

/* The connection table ("conns"), written and read directly: BPF_PROG_RUN
 * cannot reach the kfunc that makes tc_ingress insert entries. */
/* The map ackmeta (XDP to tc_ingress where metadata is missing): an entry
 * put; an entry taken out (whether there was one); tc_ingress made to look
 * there (its .bss ackmeta_used, as after XDP's first use of the map) or not. */
int ackmeta_put(const struct so_flow_key *k, const struct so_meta *m);
bool ackmeta_take(const struct so_flow_key *k);
void ackmeta_on(bool on);
/* The entry an XDP run left in ackmeta, taken out (one at most: run_xdp
 * and the fuzzer take each after its run); false when there is none. */
bool ackmeta_pop(struct so_flow_key *k, struct so_meta *m);

int conn_put(const struct so_flow_key *k, const struct so_conn *c);
bool conn_get(const struct so_flow_key *k, struct so_conn *c);
int conns_count(void);
void conns_clear(void);
/* Empty the synopts map and refill each CPU's write budget of it. */
void synopts_clear(void);
/* The synopts slot of a SYN-ACK's ISN. */
int synopt_read(__u32 isn, struct so_synopt *v);
/* Write an entry into the slot of its ISN. */
int synopt_write(const struct so_synopt *v);
/* The sweeper's state as the data path left it; the record of TIME-WAIT
 * sockets that no entry stands for (map "timewait", its gauges) emptied. */
int sweeper_read(struct so_sweeper *s);
int sweeper_tw_reset(void);
/* The TIME-WAIT filter's count in the slot of k: raised by n (as the data
 * path does for an entry entering time_wait), read (-1: cannot). */
int twf_add(const struct so_flow_key *k, int n);
int twf_count(const struct so_flow_key *k);
/* A note in the timewait map, written (as attach does) and read. */
int timewait_put(const struct so_flow_key *k, const struct so_tw *v);
bool timewait_get(const struct so_flow_key *k, struct so_tw *v);
/* The --synack-rate budget of every CPU back to full (tat 0). */
int budget_reset(void);
/* The same for the signed SYNs' budget (--signed-rate). */
int signed_budget_reset(void);

/* shakeoff events: so_config.listen (on top of cur_cfg), the drop
 * samples' settings, their budget back to full on every CPU. */
int events_setup(__u8 listen, const struct so_evconf *ec);
/* Empty a ring ("drops" or "events"): how many records it held (or
 * -errno); the first is copied into first (size bytes at most). */
int ring_take(bool drops, void *first, size_t size);

/* --arm auto's state: every CPU's window and the shared decision back to
 * zero (never armed); the decision as the data path left it. */
int arm_reset(void);
/* The "speakfirst" map: only port (0: none). */
int set_speak_first(unsigned int port);
int arm_read(struct so_armed *g);

/* How far behind the precise clock the cookies' TAI may be (bpf/clock.h). */
__u64 coarse_slack_ns(void);

/* CLOCK_MONOTONIC (bpf_ktime_get_ns()'s clock) in ns. */
__u64 mono_ns(void);
/* Run on this CPU only from now on (BPF_PROG_RUN runs on the caller's). */
int pin_to(int cpu);

/* Program fds, for loops that call BPF_PROG_RUN themselves. */
int xdp_prog_fd(void);
int tc_prog_fd(bool ingress);

/* Set (test_unit --write-corpus DIR): every frame run through XDP or
 * tc_ingress is also written there, as a seed for the fuzzer. */
extern const char *corpus_dir;
