// SPDX-License-Identifier: GPL-2.0
/*
 * benchctl.c - the benchmark's BPF chores, each printing one JSON object.
 *
 *   benchctl attach IFACE PROG   load PROG of bench.bpf.o (xdp_count, xdp_drop,
 *                                xdp_reflect, xdp_pass_frags), attach it in native mode
 *   benchctl detach IFACE        detach a bench program (never anyone else's)
 *   benchctl read IFACE          the XDP program on IFACE: its name, run stats
 *                                and, for a bench program, the per-CPU sums of
 *                                its "counts" map (shakeoff's counters come from
 *                                `shakeoff stats -j`, whatever their layout)
 *   benchctl runstat IFACE SECS  BPF run-time statistics of the program on
 *                                IFACE over SECS seconds of live traffic
 *   benchctl cost [-n N]         ns per packet with BPF_PROG_RUN, a fresh packet
 *                                each run (see cmd_cost)
 *   benchctl tables [-n N] SIZE...  the same at connection tables of SIZE
 *                                entries: SYN, forged ACK, and a segment of a
 *                                tracked connection picked at random (cmd_tables)
 *   benchctl lines IFACE         sample addresses (hex, one per line, as
 *                                `perf script -F ip` prints them) on stdin, by
 *                                source line of the XDP program on IFACE
 *
 * Run it in the interface's namespace (nsenter --net=...). Exit status: 0,
 * 1 (error), 2 (usage).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "shakeoff.h"
#include "bench.h"
#include "frame.h"
#include "bench.skel.h"
#include "shakeoff.skel.h"

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || getenv("BENCHCTL_QUIET"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int ifindex_of(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		fprintf(stderr, "benchctl: no interface %s in this namespace\n", ifname);
	return ifindex;
}

static bool is_bench_prog(const char *name)
{
	return !strcmp(name, "xdp_count") || !strcmp(name, "xdp_drop") ||
	       !strcmp(name, "xdp_reflect") || !strcmp(name, "xdp_pass_frags");
}

static int cmd_attach(const char *ifname, const char *prog)
{
	struct bench *skel;
	struct bpf_program *p;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ifindex = ifindex_of(ifname), fd = -1, err;

	if (!ifindex)
		return 1;
	if (!is_bench_prog(prog)) {
		fprintf(stderr, "benchctl: no program %s (xdp_count, xdp_drop, xdp_reflect, "
			"xdp_pass_frags)\n", prog);
		return 2;
	}
	skel = bench__open();
	if (!skel) {
		fprintf(stderr, "benchctl: cannot open the bench object\n");
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), prog));
	err = bench__load(skel);
	if (!err) {
		bpf_object__for_each_program(p, skel->obj)
			if (!strcmp(bpf_program__name(p), prog))
				fd = bpf_program__fd(p);
		/* Netlink attachment: it outlives this process, like ip link's. */
		err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
				     NULL);
	}
	if (err) {
		fprintf(stderr, "benchctl: attach %s to %s failed: %s\n", prog, ifname, strerror(-err));
		bench__destroy(skel);
		return 1;
	}
	bpf_obj_get_info_by_fd(fd, &info, &len);
	printf("{\"iface\":\"%s\",\"prog\":\"%s\",\"prog_id\":%u}\n", ifname, prog, info.id);
	bench__destroy(skel);
	return 0;
}

/* The XDP program on ifindex: an fd and its info, with map ids. */
static int attached_prog(int ifindex, struct bpf_prog_info *info, __u32 *map_ids, __u32 nmaps)
{
	__u32 id = 0, len = sizeof(*info);
	int fd;

	if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = nmaps;
	info->map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* attached_prog() of an interface by name, saying what is missing. */
static int iface_prog(const char *ifname, struct bpf_prog_info *info, __u32 *map_ids,
		      __u32 nmaps)
{
	int ifindex = ifindex_of(ifname), fd;

	if (!ifindex)
		return -1;
	fd = attached_prog(ifindex, info, map_ids, nmaps);
	if (fd < 0)
		fprintf(stderr, "benchctl: no XDP program on %s\n", ifname);
	return fd;
}

static int cmd_detach(const char *ifname)
{
	struct bpf_prog_info info;
	__u32 maps[16];
	int ifindex = ifindex_of(ifname), fd, err;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);

	if (!ifindex)
		return 1;
	fd = attached_prog(ifindex, &info, maps, 16);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "benchctl: %s: %s\n", ifname, strerror(-fd));
		return 1;
	}
	if (!is_bench_prog(info.name)) {
		fprintf(stderr, "benchctl: %s runs %s, not a bench program: left alone\n", ifname,
			info.name);
		close(fd);
		return 1;
	}
	opts.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
	close(fd);
	if (err) {
		fprintf(stderr, "benchctl: detach from %s failed: %s\n", ifname, strerror(-err));
		return 1;
	}
	return 0;
}

/* Per-CPU sums of a PERCPU_ARRAY map, into sums[0..n). */
static int percpu_sums(int map_fd, __u32 n, __u64 *sums)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		sums[k] = 0;
		if (bpf_map_lookup_elem(map_fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sums[k] += vals[c];
	}
	free(vals);
	return 0;
}

static int cmd_read(const char *ifname)
{
	struct bpf_prog_info info;
	__u32 maps[16];
	int fd = iface_prog(ifname, &info, maps, 16);

	if (fd < 0)
		return 1;
	printf("{\"iface\":\"%s\",\"prog\":\"%s\",\"prog_id\":%u,\"run_time_ns\":%llu,"
	       "\"run_cnt\":%llu", ifname, info.name, info.id,
	       (unsigned long long)info.run_time_ns, (unsigned long long)info.run_cnt);
	for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		__u64 sums[BC_MAX];
		int mfd = bpf_map_get_fd_by_id(maps[i]);

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &len) || mi.type != BPF_MAP_TYPE_PERCPU_ARRAY) {
			close(mfd);
			continue;
		}
		if (!strcmp(mi.name, "counts") && mi.max_entries == BC_MAX &&
		    !percpu_sums(mfd, BC_MAX, sums))
			printf(",\"hit\":%llu,\"other\":%llu", (unsigned long long)sums[BC_HIT],
			       (unsigned long long)sums[BC_OTHER]);
		close(mfd);
	}
	printf("}\n");
	close(fd);
	return 0;
}

static int cmd_runstat(const char *ifname, double secs)
{
	struct bpf_prog_info a, b;
	__u32 maps[16];
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (time_t)secs) * 1e9) };
	int ifindex = ifindex_of(ifname), fd, sfd;
	__u32 len = sizeof(b);
	__u64 cnt, ns;

	if (!ifindex)
		return 1;
	/* Held by this fd only: the statistics switch off again when it closes,
	 * even if we are killed, and whoever else enabled them keeps them. */
	sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (sfd < 0) {
		fprintf(stderr, "benchctl: cannot enable BPF run-time statistics: %s\n",
			strerror(errno));
		return 1;
	}
	fd = attached_prog(ifindex, &a, maps, 16);
	if (fd < 0) {
		fprintf(stderr, "benchctl: no XDP program on %s\n", ifname);
		close(sfd);
		return 1;
	}
	nanosleep(&ts, NULL);
	memset(&b, 0, sizeof(b));
	bpf_obj_get_info_by_fd(fd, &b, &len);
	close(sfd);
	close(fd);
	cnt = b.run_cnt - a.run_cnt;
	ns = b.run_time_ns - a.run_time_ns;
	printf("{\"iface\":\"%s\",\"prog\":\"%s\",\"secs\":%.3f,\"run_cnt\":%llu,"
	       "\"run_time_ns\":%llu,\"ns_per_run\":%.1f}\n",
	       ifname, b.name, secs, (unsigned long long)cnt, (unsigned long long)ns,
	       cnt ? (double)ns / cnt : 0.0);
	return 0;
}

/* --- samples by source line ----------------------------------------------- */

/* The program's line info as the JIT placed it: jited[i] is the address of
 * the code of line[i] (bpftool prog dump jited would say the same, but
 * Debian's bpftool has no disassembler, and perf cannot annotate JIT-ed
 * BPF without libopcodes). */
struct jit_lines {
	__u32 n, rec;
	struct bpf_line_info *line;
	__u64 *jited;
	unsigned long *hits;
	struct btf *btf;
};

static int jit_lines_load(int fd, struct jit_lines *jl)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.nr_jited_line_info ||
	    info.nr_jited_line_info != info.nr_line_info)
		return -1;
	jl->n = info.nr_line_info;
	jl->rec = info.line_info_rec_size;
	jl->line = calloc(jl->n, jl->rec);
	jl->jited = calloc(jl->n, sizeof(__u64));
	jl->hits = calloc(jl->n, sizeof(unsigned long));
	jl->btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!jl->line || !jl->jited || !jl->hits || !jl->btf)
		return -1;
	memset(&info, 0, sizeof(info));
	info.nr_line_info = jl->n;
	info.line_info_rec_size = jl->rec;
	info.line_info = (unsigned long)jl->line;
	info.nr_jited_line_info = jl->n;
	info.jited_line_info_rec_size = sizeof(__u64);
	info.jited_line_info = (unsigned long)jl->jited;
	len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len);
}

/* The line whose code starts closest below ip, within a page. */
static long jit_line_of(const struct jit_lines *jl, __u64 ip)
{
	__u64 best_d = 4096;
	long best = -1;

	for (__u32 i = 0; i < jl->n; i++)
		if (jl->jited[i] <= ip && ip - jl->jited[i] < best_d) {
			best_d = ip - jl->jited[i];
			best = i;
		}
	return best;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			putchar(' ');
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmd_lines(const char *ifname)
{
	struct bpf_prog_info info;
	struct jit_lines jl = {};
	unsigned long long ip, total = 0, in_prog = 0;
	__u32 maps[16];
	int fd = iface_prog(ifname, &info, maps, 16);
	bool first = true;

	if (fd < 0)
		return 1;
	if (jit_lines_load(fd, &jl)) {
		fprintf(stderr, "benchctl: no JIT line info for %s: %s\n", info.name,
			strerror(errno));
		close(fd);
		return 1;
	}
	while (scanf("%llx", &ip) == 1) {
		long i = jit_line_of(&jl, ip);

		total++;
		if (i >= 0) {
			jl.hits[i]++;
			in_prog++;
		}
	}
	printf("{\"prog\":\"%s\",\"samples\":%llu,\"in_prog\":%llu,\"lines\":[", info.name, total,
	       in_prog);
	for (__u32 i = 0; i < jl.n; i++) {
		struct bpf_line_info *l = (void *)((char *)jl.line + (size_t)i * jl.rec);
		const char *file = btf__name_by_offset(jl.btf, l->file_name_off);
		const char *base = file ? strrchr(file, '/') : NULL;

		if (!jl.hits[i])
			continue;
		printf("%s{\"samples\":%lu,\"file\":", first ? "" : ",", jl.hits[i]);
		json_str(base ? base + 1 : file);
		printf(",\"line\":%u,\"src\":", BPF_LINE_INFO_LINE_NUM(l->line_col));
		json_str(btf__name_by_offset(jl.btf, l->line_off));
		putchar('}');
		first = false;
	}
	printf("]}\n");
	btf__free(jl.btf);
	free(jl.line);
	free(jl.jited);
	free(jl.hits);
	close(fd);
	return 0;
}

/* --- BPF_PROG_RUN cost ---------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

struct cost {
	double median, mean; /* ns per run as the kernel timed it */
	double wall_ns;      /* per bpf_prog_test_run_opts() call, from user space */
	__u32 bad;           /* runs that did not return the expected action */
};

/*
 * Run prog n times, each on a fresh frame (new source, ISN, checksums), with
 * repeat = 1: with repeat > 1 an XDP test run would feed the program its own
 * output, a SYN-ACK from the second run on. The kernel times each run with
 * two ktime reads around it; that fixed cost, and the loop's, is what
 * xdp_empty measures, to be subtracted.
 */
#define POOL_SEED 0x7a11ull

/* Frame of the pool's entry i: the same source every time. */
static void frame_of_entry(struct frame *f, __u64 i)
{
	uint64_t seed = POOL_SEED + i;

	frame_vary(f, &seed, 0);
}

/* With pool > 0, each run's frame is that of an entry picked at random
 * among the first pool ones of frame_of_entry(), not a fresh source. */
static int prog_cost_pool(int prog_fd, struct frame *f, int n, __u32 expect, __u32 pool,
			  struct cost *c);

static int prog_cost(int prog_fd, struct frame *f, int n, __u32 expect, struct cost *c)
{
	return prog_cost_pool(prog_fd, f, n, expect, 0, c);
}

static int prog_cost_pool(int prog_fd, struct frame *f, int n, __u32 expect, __u32 pool,
			  struct cost *c)
{
	__u8 out[FRAME_MAX + 256];
	__u32 *d = calloc(n, sizeof(*d));
	uint64_t rng = 0x5eed, t0 = 0, t1;
	struct timespec ts;
	double sum = 0;
	int warm = n / 10;
	__u32 tsecr = 0;

	if (!d)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	for (int i = -warm; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		/* A forged ACK with a fresh TSecr costs the full MAC (flood.c). */
		if (f->ack) {
			clock_gettime(CLOCK_TAI, &ts);
			tsecr = (__u32)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000) & ~0x3ffu;
			tsecr |= (__u32)rnd_next(&rng) & 0x3ff;
		}
		if (pool)
			frame_of_entry(f, rnd_next(&rng) % pool);
		else
			frame_vary(f, &rng, tsecr);
		if (i == 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			t0 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		}
		if (bpf_prog_test_run_opts(prog_fd, &opts)) {
			free(d);
			return -errno;
		}
		if (i < 0)
			continue;
		d[i] = opts.duration;
		sum += opts.duration;
		if (opts.retval != expect)
			c->bad++;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	qsort(d, n, sizeof(*d), cmp_u32);
	c->median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
	c->mean = sum / n;
	c->wall_ns = (double)(t1 - t0) / n;
	free(d);
	return 0;
}

/* shakeoff's XDP program alone, before load: the TC programs need a real
 * device. Returns it, or NULL if the object has none. */
static struct bpf_program *xdp_only(struct shakeoff *so)
{
	struct bpf_program *p, *xdp_prog = NULL;

	bpf_object__for_each_program(p, so->obj) {
		bool xdp = bpf_program__type(p) == BPF_PROG_TYPE_XDP;

		bpf_program__set_autoload(p, xdp);
		if (xdp)
			xdp_prog = p;
	}
	return xdp_prog;
}

static int shakeoff_setup(struct shakeoff *so, __u16 port)
{
	static struct so_ports ports;
	struct so_config cfg = {
		.mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64, .tx_mode = SO_TX_XDP,
		.options = SO_OPT_TIMESTAMPS | SO_OPT_SACK | SO_OPT_WSCALE,
		.conn_max = SO_CONN_MAX_DEFAULT, .time_wait_s = SO_TIME_WAIT_DEFAULT_S,
		.idle_timeout_s = SO_IDLE_TIMEOUT_DEFAULT_S,
	};
	struct so_secret sec = {};
	__u32 zero = 0;

	/* one key in the current ring (the key ring of include/shakeoff.h) */
	sec.ring[0].nkeys = 1;
	if (getrandom(sec.ring[0].key[0].k, sizeof(sec.ring[0].key[0].k), 0) !=
	    sizeof(sec.ring[0].key[0].k))
		return -EIO;
	ports.bits[port >> 6] |= 1ull << (port & 63);
	if (bpf_map_update_elem(bpf_map__fd(so->maps.config), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(so->maps.ports), &zero, &ports, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(so->maps.secret), &zero, &sec, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * The forged ACK again with `shakeoff events --drops` listening: every drop
 * sampled (a budget without limit; few enough runs that the ring, which
 * nobody reads here, holds them all), and every drop over the budget (one
 * sample in ten seconds): what a listener costs the drop path under a
 * flood.
 */
static int drop_sample_cost(struct shakeoff *so, int prog_fd, struct frame *ack, int n,
			    struct cost *sampled, struct cost *over)
{
	int ncpus = libbpf_num_possible_cpus(), fits = SO_DROPS_RING_BYTES / 512, err;
	struct so_evconf ec = { .drop_interval_ns = 1 };
	struct so_config cfg;
	__u32 zero = 0;

	if (ncpus <= 0 ||
	    bpf_map_lookup_elem(bpf_map__fd(so->maps.config), &zero, &cfg))
		return -1;
	cfg.listen = SO_LISTEN_DROPS;
	if (bpf_map_update_elem(bpf_map__fd(so->maps.config), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(so->maps.evconf), &zero, &ec, BPF_ANY))
		return -1;
	err = prog_cost(prog_fd, ack, n < fits ? n : fits, XDP_DROP, sampled);
	ec.drop_interval_ns = 10000000000ull * ncpus;
	if (!err) {
		struct so_budget b[ncpus];

		/* spent: the next sample is due in ten seconds on every CPU */
		for (int i = 0; i < ncpus; i++)
			b[i].tat = 1ull << 62;
		err = bpf_map_update_elem(bpf_map__fd(so->maps.evconf), &zero, &ec, BPF_ANY) ||
		      bpf_map_update_elem(bpf_map__fd(so->maps.dropbudget), &zero, b, BPF_ANY) ||
		      prog_cost(prog_fd, ack, n, XDP_DROP, over);
	}
	cfg.listen = 0;
	bpf_map_update_elem(bpf_map__fd(so->maps.config), &zero, &cfg, BPF_ANY);
	return err;
}

static void print_cost(const char *name, const char *packet, const struct cost *c,
		       const struct cost *base, bool *first)
{
	printf("%s{\"prog\":\"%s\",\"packet\":\"%s\",\"median_ns\":%.1f,\"mean_ns\":%.1f,"
	       "\"net_ns\":%.1f,\"syscall_ns\":%.0f,\"unexpected_verdicts\":%u}",
	       *first ? "" : ",", name, packet, c->median, c->mean,
	       base ? c->median - base->median : 0.0, c->wall_ns, c->bad);
	*first = false;
}

static int cmd_cost(int n)
{
	const uint8_t smac[ETH_ALEN] = { 2, 0, 0, 0, 0, 1 }, dmac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
	const __u16 port = 8080;
	struct bench *bs = NULL;
	struct shakeoff *so = NULL;
	struct bpf_program *so_xdp;
	struct frame syn, ack;
	struct cost empty, refl, drop, so_syn, so_ack, drop_ack, so_sampled, so_over;
	bool first = true;
	int err;

	frame_init(&syn, false, smac, dmac, htonl(0xc6120002), htons(port));
	frame_init(&ack, true, smac, dmac, htonl(0xc6120002), htons(port));

	bs = bench__open_and_load();
	if (!bs) {
		fprintf(stderr, "benchctl: cannot load the bench programs\n");
		return 1;
	}
	/* shakeoff's XDP program alone: the TC programs need a real device. */
	so = shakeoff__open();
	if (!so) {
		fprintf(stderr, "benchctl: cannot open shakeoff's object\n");
		err = 1;
		goto out;
	}
	so_xdp = xdp_only(so);
	if (!so_xdp || shakeoff__load(so) || shakeoff_setup(so, port)) {
		fprintf(stderr, "benchctl: cannot load shakeoff's XDP program\n");
		err = 1;
		goto out;
	}

	err = prog_cost(bpf_program__fd(bs->progs.xdp_empty), &syn, n, XDP_PASS, &empty) ||
	      prog_cost(bpf_program__fd(bs->progs.xdp_reflect), &syn, n, XDP_TX, &refl) ||
	      prog_cost(bpf_program__fd(bs->progs.xdp_drop), &syn, n, XDP_DROP, &drop) ||
	      prog_cost(bpf_program__fd(so_xdp), &syn, n, XDP_TX, &so_syn) ||
	      prog_cost(bpf_program__fd(bs->progs.xdp_drop), &ack, n, XDP_DROP, &drop_ack) ||
	      prog_cost(bpf_program__fd(so_xdp), &ack, n, XDP_DROP, &so_ack) ||
	      drop_sample_cost(so, bpf_program__fd(so_xdp), &ack, n, &so_sampled, &so_over);
	if (err) {
		fprintf(stderr, "benchctl: BPF_PROG_RUN failed: %s\n", strerror(errno));
		err = 1;
		goto out;
	}
	printf("{\"runs\":%d,\"method\":\"BPF_PROG_RUN, repeat=1, a fresh frame per run; "
	       "net_ns = median - median of xdp_empty\",\"results\":[", n);
	print_cost("xdp_empty", "syn", &empty, NULL, &first);
	print_cost("xdp_drop", "syn", &drop, &empty, &first);
	print_cost("xdp_reflect", "syn", &refl, &empty, &first);
	print_cost("xdp_shakeoff", "syn", &so_syn, &empty, &first);
	print_cost("xdp_drop", "ack_forged", &drop_ack, &empty, &first);
	print_cost("xdp_shakeoff", "ack_forged", &so_ack, &empty, &first);
	print_cost("xdp_shakeoff", "ack_sampled", &so_sampled, &empty, &first);
	print_cost("xdp_shakeoff", "ack_over_rate", &so_over, &empty, &first);
	printf("]}\n");
out:
	shakeoff__destroy(so);
	bench__destroy(bs);
	return err;
}

/* --- the cost at table sizes -------------------------------------------- */

/* conns's key of a frame (client first). */
static void frame_key(const struct frame *f, struct so_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = SO_AF_INET;
	memcpy(&k->saddr[0], f->b + OFF_SADDR, 4);
	memcpy(&k->daddr[0], f->b + OFF_SADDR + 4, 4);
	memcpy(&k->sport, f->b + OFF_SPORT, 2);
	memcpy(&k->dport, f->b + OFF_SPORT + 2, 2);
}

/* Entries from..to-1 of the pool into conns, established, in batches. */
static int fill_pool(int fd, struct frame *f, __u32 from, __u32 to)
{
	enum { B = 4096 };
	static struct so_flow_key keys[B];
	static struct so_conn vals[B];
	struct timespec ts;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	while (from < to) {
		__u32 m = to - from > B ? B : to - from;

		for (__u32 i = 0; i < m; i++) {
			__u32 seq, ack;

			frame_of_entry(f, from + i);
			frame_key(f, &keys[i]);
			/* the entry's sequence spaces start at its frame's numbers
			 * (conn_seq_start()): the frame is its own segment */
			memcpy(&seq, f->b + OFF_SEQ, 4);
			memcpy(&ack, f->b + OFF_ACK, 4);
			vals[i] = (struct so_conn){ .state = SO_ST_ESTABLISHED, .t_established = now,
						    .t_last = now, .tsec = so_wheel_unit(now),
						    .fin_seq_client = ntohl(seq),
						    .fin_seq_server = ntohl(ack) };
		}
		if (bpf_map_update_batch(fd, keys, vals, &m, NULL))
			return -errno;
		from += m;
	}
	return 0;
}

/*
 * For each SIZE (ascending): the table filled to SIZE entries (at least
 * one), then a SYN and a forged ACK from fresh sources (a miss in the
 * table) and the segment of a tracked connection picked at random among
 * the SIZE (a hit: with a big table, a cache miss more), against
 * xdp_empty's fixed cost in the same moment.
 */
static int cmd_tables(int n, int nsizes, char **sizes)
{
	const uint8_t smac[ETH_ALEN] = { 2, 0, 0, 0, 0, 1 }, dmac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
	const __u16 port = 8080;
	struct bench *bs = NULL;
	struct shakeoff *so = NULL;
	struct bpf_program *so_xdp;
	struct frame syn, ack, est;
	__u32 max = 1, filled = 0;
	int err = 1;

	for (int i = 0; i < nsizes; i++)
		if ((__u32)atol(sizes[i]) > max)
			max = atol(sizes[i]);
	frame_init(&syn, false, smac, dmac, htonl(0xc6120002), htons(port));
	frame_init(&ack, true, smac, dmac, htonl(0xc6120002), htons(port));
	frame_init(&est, true, smac, dmac, htonl(0xc6120002), htons(port));
	bs = bench__open_and_load();
	so = shakeoff__open();
	if (!bs || !so) {
		fprintf(stderr, "benchctl: cannot open the BPF objects\n");
		goto out;
	}
	so_xdp = xdp_only(so);
	if (!so_xdp || bpf_map__set_max_entries(so->maps.conns, max + max / 8) ||
	    shakeoff__load(so) || shakeoff_setup(so, port)) {
		fprintf(stderr, "benchctl: cannot load shakeoff's XDP program\n");
		goto out;
	}
	printf("{\"runs\":%d,\"method\":\"BPF_PROG_RUN, repeat=1; net_ns = median - median of "
	       "xdp_empty\",\"tables\":[", n);
	for (int i = 0; i < nsizes; i++) {
		__u32 size = atol(sizes[i]), pool = size ? size : 1;
		struct cost empty, so_syn, so_ack, so_est;

		if (pool > filled) {
			if (fill_pool(bpf_map__fd(so->maps.conns), &est, filled, pool)) {
				fprintf(stderr, "benchctl: cannot fill the table: %s\n", strerror(errno));
				goto out;
			}
			filled = pool;
		}
		if (prog_cost(bpf_program__fd(bs->progs.xdp_empty), &syn, n, XDP_PASS, &empty) ||
		    prog_cost(bpf_program__fd(so_xdp), &syn, n, XDP_TX, &so_syn) ||
		    prog_cost(bpf_program__fd(so_xdp), &ack, n, XDP_DROP, &so_ack) ||
		    prog_cost_pool(bpf_program__fd(so_xdp), &est, n, XDP_PASS, pool, &so_est)) {
			fprintf(stderr, "benchctl: BPF_PROG_RUN failed: %s\n", strerror(errno));
			goto out;
		}
		printf("%s{\"entries\":%u,\"empty_ns\":%.1f,\"syn_ns\":%.1f,\"ack_forged_ns\":%.1f,"
		       "\"established_ns\":%.1f,\"unexpected_verdicts\":%u}",
		       i ? "," : "", pool, empty.median, so_syn.median - empty.median,
		       so_ack.median - empty.median, so_est.median - empty.median,
		       so_syn.bad + so_ack.bad + so_est.bad);
	}
	printf("]}\n");
	err = 0;
out:
	shakeoff__destroy(so);
	bench__destroy(bs);
	return err;
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "Usage: benchctl attach IFACE PROG | detach IFACE | read IFACE |\n"
		   "                runstat IFACE SECS | cost [-n RUNS] | lines IFACE |\n"
		   "                tables [-n RUNS] SIZE...\n");
	return rc;
}

int main(int argc, char **argv)
{
	libbpf_set_print(libbpf_quiet);
	if (argc == 4 && !strcmp(argv[1], "attach"))
		return cmd_attach(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return cmd_detach(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "runstat") && atof(argv[3]) > 0)
		return cmd_runstat(argv[2], atof(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "lines"))
		return cmd_lines(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "cost"))
		return cmd_cost(50000);
	if (argc == 4 && !strcmp(argv[1], "cost") && !strcmp(argv[2], "-n") && atoi(argv[3]) > 0)
		return cmd_cost(atoi(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "tables") && !strcmp(argv[2], "-n") && atoi(argv[3]) > 0)
		return cmd_tables(atoi(argv[3]), argc - 4, argv + 4);
	if (argc >= 3 && !strcmp(argv[1], "tables") && strcmp(argv[2], "-n"))
		return cmd_tables(20000, argc - 2, argv + 2);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	return usage(stderr, 2);
}
