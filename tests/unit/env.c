// SPDX-License-Identifier: GPL-2.0
/* env.c - see env.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "env.h"
#include "keyfile.h"
#include "harness.h"
#include "ref.h"
#include "shakeoff.skel.h"
#include "xdpmeta.h"

const struct so_config default_cfg = {
	.mss4 = 1460,
	.mss6 = 1440,
	.wscale = 7,
	.ttl = 64,
	.tx_mode = SO_TX_XDP,
	.options = SO_OPT_TIMESTAMPS | SO_OPT_SACK | SO_OPT_WSCALE | SO_OPT_ECN,
	.conn_max = SO_CONN_MAX_DEFAULT,
	.time_wait_s = SO_TIME_WAIT_DEFAULT_S,
	.idle_timeout_s = SO_IDLE_TIMEOUT_DEFAULT_S,
	.signed_rate = 1000,
	.signed_interval_ns = 1000000, /* 1000/s per CPU: the rows never exhaust it */
};

/* Ring 0 in force (gen 0), one key (set_secret adds the fingerprints). */
const struct so_secret default_secret = {
	.ring = { { .key = { { .k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL } } },
		    .nkeys = 1 } },
};

struct so_secret cur_secret;
struct so_config cur_cfg;
int verdict_runs, verdict_bad_runs;
char verdict_bad_names[512];

static struct shakeoff *skel, *kfunc_skel, *kernel_skel;
static int ncpus;

static const char *const cnames[SO_C_MAX] = {
#define SO_X_NAME(id, key, kind, help) [SO_C_##id] = #key,
	SO_COUNTERS(SO_X_NAME)
#undef SO_X_NAME
};

static const char ckinds[SO_C_MAX] = {
#define SO_X_KIND(id, key, kind, help) [SO_C_##id] = #kind[0],
	SO_COUNTERS(SO_X_KIND)
#undef SO_X_KIND
};

const char *counter_name(int c)
{
	return c >= 0 && c < SO_C_MAX ? cnames[c] : "?";
}

const char *xdp_verdict_name(__u32 v)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					 "XDP_REDIRECT" };

	return v < 5 ? n[v] : "XDP_?";
}

/* A namespace of our own, so that socket lookups see only our sockets. */
static int enter_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "test_unit: cannot enter a new network namespace: %s\n",
			strerror(errno));
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (err)
		fprintf(stderr, "test_unit: cannot bring lo up: %s\n", strerror(errno));
	close(fd);
	return err;
}

static bool sock_addrs_ok;

/* The socket addresses on lo of our namespace; nodad: usable at once. */
static void add_sock_addrs(void)
{
	sock_addrs_ok = system("ip addr add " SOCK_CLIENT4 "/32 dev lo && "
			       "ip addr add " SOCK_SERVER4 "/32 dev lo && "
			       "ip -6 addr add " SOCK_CLIENT6 "/128 dev lo nodad && "
			       "ip -6 addr add " SOCK_SERVER6 "/128 dev lo nodad") == 0;
	if (!sock_addrs_ok)
		fprintf(stderr, "test_unit: cannot add the socket addresses to lo\n");
}

bool env_sock_addrs_ok(void)
{
	return sock_addrs_ok;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (!harness.verbose && level == LIBBPF_INFO))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int set_ports(void)
{
	static struct so_ports p;
	__u32 zero = 0;

	memset(&p, 0, sizeof(p));
	p.bits[PORT_OPEN / 64] |= 1ULL << (PORT_OPEN % 64);
	for (int port = PORT_RANGE_LO; port <= PORT_RANGE_HI; port++)
		p.bits[port / 64] |= 1ULL << (port % 64);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.ports), &zero, &p, BPF_ANY);
}

/* Only this port (0: none) in a port bitmap map (struct so_ports). */
static int set_port_bitmap(struct bpf_map *map, unsigned int port)
{
	static struct so_ports p;
	__u32 zero = 0;

	memset(&p, 0, sizeof(p));
	if (port)
		p.bits[port / 64] |= 1ULL << (port % 64);
	return bpf_map_update_elem(bpf_map__fd(map), &zero, &p, BPF_ANY);
}

int set_kports(unsigned int port)
{
	return set_port_bitmap(skel->maps.kports, port);
}

int set_config(const struct so_config *cfg)
{
	__u32 zero = 0;

	cur_cfg = *cfg;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, cfg, BPF_ANY);
}

int set_secret(const struct so_secret *sec)
{
	__u32 zero = 0;

	cur_secret = *sec;
	for (int r = 0; r < 2; r++) /* the CLI's fingerprints: their low bits are key ids */
		for (unsigned int i = 0; i < sec->ring[r].nkeys && i < SO_KEYS_MAX; i++)
			cur_secret.ring[r].key[i].fp = key_fingerprint(sec->ring[r].key[i].k);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.secret), &zero, &cur_secret, BPF_ANY);
}

void reset_maps(void)
{
	if (set_config(&default_cfg) || set_secret(&default_secret))
		case_fail("cannot reset the config/secret maps: %s", strerror(errno));
	synopts_clear();
}

/* Whether XDP may call bpf_xdp_adjust_meta here (attach's probe, features.c):
 * else a valid cookie's options go to TC in the map ackmeta. */
bool env_xdp_meta;

/* The object as attach loads it for a completion mode (rodata so_complete;
 * tc_ingress only in kfunc mode; so_xdp_meta as attach probes it). */
static struct shakeoff *load_mode(int complete)
{
	struct shakeoff *s = shakeoff__open();

	if (!s)
		return NULL;
	s->rodata->so_complete = complete;
	s->rodata->so_xdp_meta = env_xdp_meta;
	if (bpf_program__set_autoload(s->progs.tc_ingress, complete == SO_COMPLETE_KFUNC) ||
	    shakeoff__load(s)) {
		shakeoff__destroy(s);
		return NULL;
	}
	return s;
}

static int fill_maps(void)
{
	return set_ports() || set_config(&default_cfg) || set_secret(&default_secret) ? -1 : 0;
}

int env_kernel_mode(bool on)
{
	if (!on && !kfunc_skel)
		return -1; /* kernel mode only (env_kfunc) */
	if (on && !kernel_skel) {
		kernel_skel = load_mode(SO_COMPLETE_KERNEL);
		if (!kernel_skel)
			return -1;
		skel = kernel_skel;
		if (fill_maps())
			return -1;
	}
	skel = on ? kernel_skel : kfunc_skel;
	return 0;
}

bool env_in_kernel_mode(void)
{
	return skel && skel == kernel_skel;
}

/* A feature probe, not a version check: the kernel's BTF has the kfunc or not. */
static bool kfunc_missing(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool missing = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC) < 0;

	btf__free(vmlinux);
	return missing;
}

bool env_kfunc;

/* 0: ready; -1: the harness cannot run. */
int env_setup(void)
{
	bool forced;

	libbpf_set_print(libbpf_quiet);
	if (enter_netns())
		return -1;
	add_sock_addrs();
	ncpus = libbpf_num_possible_cpus();
	env_xdp_meta = probe_xdp_meta();
	if (!env_xdp_meta)
		printf("# this kernel refuses bpf_xdp_adjust_meta to XDP: cookie options go to TC "
		       "in the map ackmeta, and the cases check it there\n");
	/* completion mode kernel only where the kernel lacks the kfunc (as
	 * attach picks it there), or when tests/lib.sh's switch forces it */
	forced = getenv("SHAKEOFF_TEST_COMPLETE") && !strcmp(getenv("SHAKEOFF_TEST_COMPLETE"), "kernel");
	if (!forced)
		kfunc_skel = load_mode(SO_COMPLETE_KFUNC);
	env_kfunc = kfunc_skel != NULL;
	if (!env_kfunc && (forced || kfunc_missing())) {
		printf("# %s: the object runs in completion mode kernel, and the cases about kfunc "
		       "mode alone skip, saying so\n",
		       forced ? "SHAKEOFF_TEST_COMPLETE=kernel"
			      : "this kernel lacks the kfunc bpf_sk_assign_tcp_reqsk (its BTF has "
				"no such function)");
		kernel_skel = load_mode(SO_COMPLETE_KERNEL);
	}
	skel = env_kfunc ? kfunc_skel : kernel_skel;
	if (!skel) {
		fprintf(stderr, "test_unit: cannot load the BPF object: %s\n", strerror(errno));
		return -1;
	}
	if (fill_maps()) {
		fprintf(stderr, "test_unit: cannot fill the maps: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

void env_teardown(void)
{
	shakeoff__destroy(kernel_skel);
	shakeoff__destroy(kfunc_skel);
}

/* All counters summed over the CPUs: the stats map is one per-CPU struct. */
void read_counters(__u64 sum[SO_C_MAX])
{
	int n = ncpus > 0 ? ncpus : 1;
	struct so_stats v[n];
	__u32 zero = 0;

	memset(sum, 0, sizeof(__u64) * SO_C_MAX);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &zero, v))
		return;
	for (int k = 0; k < SO_C_MAX; k++)
		for (int c = 0; c < n; c++)
			sum[k] += *so_stats_slot(&v[c], k);
}

static void tally_verdicts(const __s64 delta[SO_C_MAX])
{
	size_t n = strlen(verdict_bad_names);

	verdict_runs++;
	if (verdicts_add_up(delta))
		return;
	verdict_bad_runs++;
	if (n + strlen(case_name()) + 3 < sizeof(verdict_bad_names))
		snprintf(verdict_bad_names + n, sizeof(verdict_bad_names) - n, "%s%s",
			 n ? ", " : "", case_name());
}

static void corpus_write(const struct frame *f);

/* How far behind CLOCK_TAI the program's clock may be (bpf/clock.h): the
 * coarse clock lags by up to a tick, and more when a tick comes late (seen:
 * 5.8 ms at HZ=250 in this VM); 50 ms of slack still leaves the check
 * sharp against the cookies' 1.024 s time unit. */
__u64 coarse_slack_ns(void)
{
	struct timespec res = { 0, 10000000 }; /* 10 ms if unknown */

	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	return (__u64)res.tv_sec * 1000000000ULL + res.tv_nsec + 50000000;
}

bool ackmeta_pop(struct so_flow_key *k, struct so_meta *m)
{
	int fd = bpf_map__fd(skel->maps.ackmeta);

	if (bpf_map_get_next_key(fd, NULL, k) || bpf_map_lookup_elem(fd, k, m))
		return false;
	bpf_map_delete_elem(fd, k);
	return true;
}

int run_xdp(const struct frame *f, __u32 meta_len, struct xdp_result *r)
{
	__u8 in[PKT_MAX + 32] = { 0 };
	struct xdp_md ctx_in = { .data = meta_len, .data_end = meta_len + f->len }, ctx_out;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = meta_len + f->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	__u64 before[SO_C_MAX], after[SO_C_MAX];

	memcpy(in + meta_len, f->b, f->len);
	memset(r, 0, sizeof(*r));
	if (corpus_dir && meta_len == 0)
		corpus_write(f);
	read_counters(before);
	r->tai0 = tai_ns() - coarse_slack_ns();
	r->err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_shakeoff), &o) ? -errno
										       : 0;
	r->tai1 = tai_ns();
	read_counters(after);
	for (int k = 0; k < SO_C_MAX; k++)
		r->delta[k] = (__s64)(after[k] - before[k]);
	r->verdict = o.retval;
	r->out_len = o.data_size_out;
	r->meta_len = ctx_out.data;
	r->meta_in_map = ackmeta_pop(&r->map_meta_key, &r->map_meta);
	if (r->err)
		case_fail("BPF_PROG_RUN of xdp_shakeoff failed: %s", strerror(-r->err));
	else
		tally_verdicts(r->delta);
	return r->err;
}

int xdp_run_time(const struct frame *f, __u32 repeat, __u32 *ns)
{
	__u8 out[PKT_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_shakeoff), &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

bool xdp_runs_short_frames(void)
{
	static int known = -1;
	__u8 in[18] = { 0 }, out[64];
	struct xdp_md ctx = { .data = 8, .data_end = sizeof(in) };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (known < 0)
		known = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_shakeoff), &o) == 0 ||
			errno != EINVAL;
	return known;
}

int run_tc(bool ingress, const struct frame *f, __u32 *ret, __s64 delta[SO_C_MAX])
{
	static __u8 out[4096];
	struct bpf_program *prog = ingress ? skel->progs.tc_ingress : skel->progs.tc_egress;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	__u64 before[SO_C_MAX], after[SO_C_MAX];
	int err;

	if (corpus_dir)
		corpus_write(f);
	read_counters(before);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o) ? -errno : 0;
	read_counters(after);
	for (int k = 0; k < SO_C_MAX; k++)
		delta[k] = (__s64)(after[k] - before[k]);
	*ret = o.retval;
	if (err)
		case_fail("BPF_PROG_RUN of %s failed: %s", bpf_program__name(prog), strerror(-err));
	return err;
}

bool verdicts_add_up(const __s64 delta[SO_C_MAX])
{
	int rose = 0, other = 0;

	for (int k = 0; k < SO_C_MAX; k++) {
		if (ckinds[k] != 'V' || delta[k] == 0)
			continue;
		if (delta[k] == 1)
			rose++;
		else
			other++;
	}
	return rose == 1 && other == 0;
}

bool check_counters(const __s64 delta[SO_C_MAX], __u64 mask)
{
	bool ok = true;
	char what[80];

	for (int k = 0; k < SO_C_MAX; k++) {
		__s64 want = (mask >> k) & 1;

		if (delta[k] == want)
			continue;
		snprintf(what, sizeof(what), "counter %s change", cnames[k]);
		case_fail("%s: expected %+lld, got %+lld", what, (long long)want,
			  (long long)delta[k]);
		ok = false;
	}
	return ok;
}

bool check_xdp(const struct xdp_result *r, __u32 verdict, __u64 mask)
{
	bool ok = true;

	if (r->err)
		return false;
	if (r->verdict != verdict) {
		case_fail("verdict: expected %s, got %s (%u)", xdp_verdict_name(verdict),
			  xdp_verdict_name(r->verdict), r->verdict);
		ok = false;
	}
	if (!verdicts_add_up(r->delta)) {
		case_fail("verdict counters: expected exactly one kind-V counter +1");
		ok = false;
	}
	return check_counters(r->delta, mask) && ok;
}

/* --- the connection table and the budget, set up and read directly ------ */

/* Put an entry as the data path would: one in time_wait also raises the
 * sweeper's time_wait gauge (it may stay above the truth, never below),
 * without which SYNs skip the table. */
int ackmeta_put(const struct so_flow_key *k, const struct so_meta *m)
{
	return bpf_map_update_elem(bpf_map__fd(skel->maps.ackmeta), k, m, BPF_ANY) ? -errno : 0;
}

bool ackmeta_take(const struct so_flow_key *k)
{
	return !bpf_map_lookup_and_delete_elem(bpf_map__fd(skel->maps.ackmeta), k, &(struct so_meta){});
}

void ackmeta_on(bool on)
{
	skel->bss->ackmeta_used = on;
}

int conn_put(const struct so_flow_key *k, const struct so_conn *c)
{
	struct so_sweeper s;
	__u32 zero = 0;
	int fd = bpf_map__fd(skel->maps.sweeper);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.conns), k, c, BPF_ANY))
		return -errno;
	if (c->state != SO_ST_TIME_WAIT)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &s))
		return -errno;
	s.time_wait++;
	if (bpf_map_update_elem(fd, &zero, &s, BPF_ANY))
		return -errno;
	return twf_add(k, 1);
}

/* The TIME-WAIT filter's slot of k, raised as enter_time_wait() does. */
int twf_add(const struct so_flow_key *k, int n)
{
	static struct so_twfilter f;
	int fd = bpf_map__fd(skel->maps.twfilter);
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &f))
		return -errno;
	f.count[so_twf_slot(k)] += n;
	return bpf_map_update_elem(fd, &zero, &f, BPF_ANY) ? -errno : 0;
}

int twf_count(const struct so_flow_key *k)
{
	static struct so_twfilter f;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.twfilter), &zero, &f))
		return -1;
	return f.count[so_twf_slot(k)];
}

int sweeper_read(struct so_sweeper *s)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.sweeper), &zero, s) ? -errno : 0;
}

int sweeper_tw_reset(void)
{
	static const struct so_twfilter empty;
	int tw = bpf_map__fd(skel->maps.timewait);
	struct so_flow_key k;
	struct so_sweeper s;
	__u32 zero = 0;

	while (bpf_map_get_next_key(tw, NULL, &k) == 0)
		if (bpf_map_delete_elem(tw, &k))
			return -errno;
	if (sweeper_read(&s))
		return -errno;
	s.tw_orphans = s.tw_inserts = 0;
	s.tw_cli_seen = 0;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.twfilter), &zero, &empty, BPF_ANY))
		return -errno;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.sweeper), &zero, &s, BPF_ANY) ? -errno
											 : 0;
}

int timewait_put(const struct so_flow_key *k, const struct so_tw *v)
{
	return bpf_map_update_elem(bpf_map__fd(skel->maps.timewait), k, v, BPF_NOEXIST) ? -errno : 0;
}

bool timewait_get(const struct so_flow_key *k, struct so_tw *v)
{
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.timewait), k, v) == 0;
}

bool conn_get(const struct so_flow_key *k, struct so_conn *c)
{
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.conns), k, c) == 0;
}

int conns_count(void)
{
	int fd = bpf_map__fd(skel->maps.conns), n = 0;
	struct so_flow_key k, next;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

void conns_clear(void)
{
	int fd = bpf_map__fd(skel->maps.conns);
	struct so_flow_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			break;
}

void synopts_clear(void)
{
	static __u32 keys[SO_SYNOPT_MAX];
	static struct so_synopt zeros[SO_SYNOPT_MAX];
	__u32 count = SO_SYNOPT_MAX, zero = 0;
	int n = ncpus > 0 ? ncpus : 1;
	struct so_budget b[n];

	for (__u32 i = 0; i < SO_SYNOPT_MAX; i++)
		keys[i] = i;
	if (bpf_map_update_batch(bpf_map__fd(skel->maps.synopts), keys, zeros, &count, NULL))
		case_fail("cannot clear the synopts map: %s", strerror(errno));
	memset(b, 0, sizeof(b));
	bpf_map_update_elem(bpf_map__fd(skel->maps.synoptbudget), &zero, b, BPF_ANY);
}

int synopt_read(__u32 isn, struct so_synopt *v)
{
	__u32 slot = SO_SYNOPT_SLOT(isn);

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.synopts), &slot, v) ? -1 : 0;
}

int synopt_write(const struct so_synopt *v)
{
	__u32 slot = SO_SYNOPT_SLOT(v->isn);

	return bpf_map_update_elem(bpf_map__fd(skel->maps.synopts), &slot, v, BPF_ANY) ? -errno : 0;
}

int budget_reset(void)
{
	int n = ncpus > 0 ? ncpus : 1;
	struct so_budget b[n];
	__u32 zero = 0;

	memset(b, 0, sizeof(b));
	return bpf_map_update_elem(bpf_map__fd(skel->maps.budget), &zero, b, BPF_ANY) ? -errno : 0;
}

int signed_budget_reset(void)
{
	int n = ncpus > 0 ? ncpus : 1;
	struct so_budget b[n];
	__u32 zero = 0;

	memset(b, 0, sizeof(b));
	return bpf_map_update_elem(bpf_map__fd(skel->maps.signed_budget), &zero, b, BPF_ANY) ?
		       -errno : 0;
}

int events_setup(__u8 listen, const struct so_evconf *ec)
{
	int n = ncpus > 0 ? ncpus : 1;
	struct so_config cfg = cur_cfg;
	struct so_budget b[n];
	__u32 zero = 0;

	memset(b, 0, sizeof(b));
	cfg.listen = listen;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.evconf), &zero, ec, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.dropbudget), &zero, b, BPF_ANY))
		return -errno;
	return set_config(&cfg) ? -errno : 0;
}

struct ring_take {
	void *buf;
	size_t size, n;
};

static int take_one(void *ctx, void *data, size_t size)
{
	struct ring_take *t = ctx;

	if (t->n++ == 0)
		memcpy(t->buf, data, size < t->size ? size : t->size);
	return 0;
}

int ring_take(bool drops, void *first, size_t size)
{
	struct bpf_map *m = drops ? skel->maps.drops : skel->maps.events;
	struct ring_take t = { .buf = first, .size = size };
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(m), take_one, &t, NULL);
	int err;

	if (!rb)
		return -errno;
	err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return err < 0 ? err : (int)t.n;
}

int set_speak_first(unsigned int port)
{
	return set_port_bitmap(skel->maps.speakfirst, port);
}

int arm_reset(void)
{
	int n = ncpus > 0 ? ncpus : 1;
	struct so_arm_state a[n];
	struct so_armed g = {};
	__u32 zero = 0;

	memset(a, 0, sizeof(a));
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.armstate), &zero, a, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.armed), &zero, &g, BPF_ANY))
		return -errno;
	return 0;
}

int arm_read(struct so_armed *g)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.armed), &zero, g) ? -errno : 0;
}

__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int xdp_prog_fd(void)
{
	return bpf_program__fd(skel->progs.xdp_shakeoff);
}

int tc_prog_fd(bool ingress)
{
	return bpf_program__fd(ingress ? skel->progs.tc_ingress : skel->progs.tc_egress);
}

/* --- seed corpus for the fuzzer ---------------------------------------- */

const char *corpus_dir;

/* One file per frame: a mode byte (0: the default configuration), then the
 * frame, named after the case and a running number. */
static void corpus_write(const struct frame *f)
{
	static int seq;
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s-%d", corpus_dir, case_name(), seq++);
	fp = fopen(path, "w");
	if (!fp)
		return;
	fputc(0, fp);
	fwrite(f->b, 1, f->len, fp);
	fclose(fp);
}
