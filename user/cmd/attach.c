// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - `shakeoff attach IFACE --ports LIST ...`
 *
 * First every check, while nothing is touched yet (plan_attach). Then load
 * the programs, fill the maps, pin everything into a tmp directory, create
 * the links (TC first, XDP last, so that no SYN is answered before the TC
 * side can complete its ACK), and rename the tmp directory into place. Any
 * failure undoes it all: nothing stays attached or pinned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cli.h"
#include "compat.h"
#include "features.h"
#include "log.h"
#include "mptcp.h"
#include "multiprog.h"
#include "pins.h"
#include "ports.h"
#include "secret.h"
#include "shakeoff.skel.h"
#include "sys.h"
#include "tc.h"
#include "timewait.h"
#include "tuneopts.h"


enum tx_choice { TX_AUTO, TX_XDP, TX_REDIRECT };

struct attach_args {
	const char *ifname;
	struct tune_args tune;
	int mode; /* enum so_xdp_mode */
	int tx;   /* enum tx_choice */
	struct opt_uint conn_max, events_buffer;
	struct opt_uint synopt_rate;
	const char *secret_file;
	bool multiprog;
	int complete; /* enum so_complete, -1: probe */
	const char *config;
};

static const char *const mode_names[] = { [SO_XDP_NATIVE] = "native", [SO_XDP_SKB] = "skb", NULL };
static const char *const tx_names[] = { [TX_AUTO] = "auto", [TX_XDP] = "xdp",
					[TX_REDIRECT] = "redirect", NULL };
const char *const complete_names[] = { [SO_COMPLETE_KFUNC] = "kfunc",
				       [SO_COMPLETE_KERNEL] = "kernel", NULL };

#define ARG(field) offsetof(struct attach_args, field)

/* --conn-max: 16 Mi entries, about 3 GiB of kernel memory (README: 192.5 B
 * a connection); plan_memory refuses less when the machine cannot hold it. */
#define CONN_MAX_MAX (1ul << 24)
/* --events-buffer, KiB: a BPF ring buffer is a power of two of at least a
 * page (4 KiB on x86); 1 GiB (about 7.8 M events) is far past any reader. */
#define EVENTS_KIB_MIN 4
#define EVENTS_KIB_MAX (1ul << 20)

static const struct opt attach_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface to protect",
	  .type = OPT_IFNAME, .required = true, .positional = true, .offset = ARG(ifname) },
	TUNE_OPTS(struct attach_args, tune, true),
	{ .name = "mode", .short_name = 'm', .help = "XDP mode (default: native)",
	  .type = OPT_ENUM, .choices = mode_names, .offset = ARG(mode) },
	{ .name = "tx", .short_name = 't',
	  .help = "how SYN-ACKs leave (default: auto = redirect on veth, else xdp)",
	  .type = OPT_ENUM, .choices = tx_names, .offset = ARG(tx) },
	{ .name = "secret-file", .short_name = 's', .metavar = "FILE",
	  .help = "cookie key ring: one key of 32 hex digits a line, the first issuing, # "
		  "comments (or 16 raw bytes); default: one random key",
	  .type = OPT_STRING, .offset = ARG(secret_file) },
	{ .name = "conn-max",
	  .help = "size of the connection table (default: 65536); ~190 bytes of locked "
		  "kernel memory an entry: a size the host cannot give is refused",
	  .type = OPT_UINT, .min = 1, .max = CONN_MAX_MAX, .offset = ARG(conn_max) },
	{ .name = "events-buffer", .metavar = "KIB",
	  .help = "size of the ring of connection events, KiB, a power of two (default: 1024)",
	  .type = OPT_UINT, .min = EVENTS_KIB_MIN, .max = EVENTS_KIB_MAX, .offset = ARG(events_buffer) },
	{ .name = "complete",
	  .help = "how a cookie ACK becomes a socket: kfunc (shakeoff's cookies, "
		  "bpf_sk_assign_tcp_reqsk, Linux 6.9+) or kernel (the kernel's own cookies and "
		  "check, 6.0+; see the README) (default: kfunc where the kernel has it)",
	  .type = OPT_ENUM, .choices = complete_names, .offset = ARG(complete) },
	{ .name = "synopt-rate", .metavar = "N",
	  .help = "SYNs without timestamps per second, all CPUs, whose SACK and window scale "
		  "are kept for their ACK; past it, MSS only (default: "
		  TUNE_STR(SO_SYNOPT_RATE) "; 0: MSS only always, like the kernel's cookies)",
	  .type = OPT_UINT, .min = 0, .max = RATE_MAX, .offset = ARG(synopt_rate) },
	{ .name = "multiprog",
	  .help = "share the interface with other XDP programs through libxdp's dispatcher "
		  "(needs freplace: see the manual)",
	  .type = OPT_FLAG, .offset = ARG(multiprog) },
	{ .name = "config", .short_name = 'c',
	  .help = "read more options from FILE, one per line (\"ports 80,443\"); the command "
		  "line wins",
	  .type = OPT_CONFIG, .offset = ARG(config) },
	OPT_END
};

/* The synopts write budget of each CPU, one write per this many ns:
 * --synopt-rate shared by the online CPUs, as --synack-rate is
 * (bpf/synopt.h); 0: never. */
static __u64 synopt_interval(unsigned long rate)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (rate == 0)
		return SO_SYNOPT_NEVER;
	return ((cpus > 0 ? cpus : 1) * 1000000000ULL + rate - 1) / rate;
}

/* Everything decided before anything is touched. */
struct attach_plan {
	const char *ifname;
	struct so_config cfg;
	struct so_secret secret;
	struct features feat;
	__u32 rcv_space;    /* kernel mode: the listener's receive space */
	__u64 synopt_interval_ns; /* bpf/synopt.h */
	char dir[PATH_MAX]; /* where the pins end up */
	char tmp[PATH_MAX]; /* where they are made */
	__u32 events_bytes; /* the "events" ring */
	__u64 table_bytes;  /* kernel memory of the connection table (table_bytes()) */
	bool multiprog;     /* XDP through libxdp's dispatcher (multiprog.c) */
};

enum { LINK_TC_EGRESS, LINK_TC_INGRESS, LINK_XDP, LINK_COUNT };

/* What has been done so far, for the undo. */
struct attach_state {
	struct shakeoff *skel;
	struct bpf_program *xdp; /* xdp_shakeoff, or its skb-mode variant */
	int link_fd[LINK_COUNT];
	bool tc_filter[LINK_COUNT]; /* clsact filters made (no TCX) */
	bool qdisc_made;
	bool tmp_made;
	bool in_dispatcher; /* --multiprog: the XDP program runs in libxdp's dispatcher */
};

static int plan_iface(const struct attach_args *a, struct attach_plan *p)
{
	p->cfg.ifindex = if_nametoindex(a->ifname);
	if (!p->cfg.ifindex) {
		pr_err("cannot attach to %s: %s (no interface of that name in this network "
		       "namespace)", a->ifname, strerror(errno));
		return -1;
	}
	return 0;
}

static int plan_secret(const struct attach_args *a, struct attach_plan *p)
{
	if (secret_load(a->secret_file, &p->secret.ring[0]))
		return -1;
	p->secret.gen = 0;
	p->secret.ring[0].key[0].issued_tai_ns = clock_ns(CLOCK_TAI);
	return 0;
}

static int plan_dirs(const struct attach_args *a, struct attach_plan *p)
{
	struct stat st;
	int err = pins_iface_dir(a->ifname, p->dir, sizeof(p->dir));

	if (!err)
		err = pins_tmp_dir(a->ifname, p->tmp, sizeof(p->tmp));
	if (err) {
		pr_err("cannot name the pin directory of %s: %s", a->ifname, strerror(-err));
		return -1;
	}
	if (stat(p->dir, &st) == 0) {
		pr_err("%s already has shakeoff attached (pinned in %s); detach it first",
		       a->ifname, p->dir);
		return -1;
	}
	return 0;
}

/*
 * libxdp's dispatcher runs each program as an freplace (BPF_PROG_TYPE_EXT)
 * of one of its slots. Where the kernel refuses those (no BPF trampolines,
 * lockdown, an LSM), the dispatcher cannot work: a probe, before anything.
 */
static int plan_multiprog(const struct attach_args *a, struct attach_plan *p)
{
	p->multiprog = a->multiprog;
	if (a->multiprog && !multiprog_supported()) {
		pr_err("--multiprog needs libxdp's dispatcher, which runs programs as freplace "
		       "(BPF_PROG_TYPE_EXT) programs, and this kernel refuses to load them; attach "
		       "without --multiprog to an interface with no other XDP program");
		return -1;
	}
	return 0;
}

/* Completion mode kernel: the kernel's own cookies, under its secret, with
 * its window scale (which it recomputes from the sysctls: --wscale would
 * garble the connections). Then the sysctls it needs. */
static int plan_kernel_mode(const struct attach_args *a, struct attach_plan *p)
{
	const char *given = a->tune.wscale.set ? "--wscale" : a->secret_file ? "--secret-file" : NULL;

	if (given) {
		pr_err("%s does not apply to --complete kernel: the kernel's own cookies use its "
		       "own secret and window scale", given);
		return RC_USAGE;
	}
	return netdefaults_kernel_mode(&p->rcv_space) ? RC_FAIL : RC_OK;
}

static int plan_memory(struct attach_plan *p);

/* Every check, in the order a user would fix them; nothing is touched.
 * Returns RC_OK, or RC_USAGE/RC_FAIL after one sentence. */
static int plan_attach(const struct attach_args *a, struct attach_plan *p)
{
	int rc;

	p->ifname = a->ifname;
	if (plan_multiprog(a, p))
		return RC_FAIL;
	p->events_bytes = a->events_buffer.set ? a->events_buffer.val << 10 : SO_EVENTS_RING_DEFAULT;
	if (p->events_bytes & (p->events_bytes - 1) ||
	    p->events_bytes < (__u32)sysconf(_SC_PAGESIZE)) {
		pr_err("--events-buffer %lu: not a power of two of at least a page (%ld KiB)",
		       a->events_buffer.val, sysconf(_SC_PAGESIZE) >> 10);
		return RC_USAGE;
	}
	/* the interface first: tune_apply() reads its MTU */
	if (plan_iface(a, p))
		return RC_FAIL;
	rc = tune_apply(&a->tune, a->ifname, true, &p->cfg);
	if (rc)
		return rc;
	if (features_check(a->complete, &p->feat))
		return RC_FAIL;
	p->cfg.complete = p->feat.complete;
	rc = p->cfg.complete == SO_COMPLETE_KERNEL ? plan_kernel_mode(a, p) : RC_OK;
	if (rc)
		return rc;
	if (plan_secret(a, p) || plan_dirs(a, p))
		return RC_FAIL;
	p->cfg.xdp_mode = a->mode;
	p->cfg.tx_mode = a->tx == TX_REDIRECT || (a->tx == TX_AUTO && netdefaults_is_veth(a->ifname))
				 ? SO_TX_REDIRECT
				 : SO_TX_XDP;
	p->cfg.conn_max = a->conn_max.set ? a->conn_max.val : SO_CONN_MAX_DEFAULT;
	p->synopt_interval_ns = synopt_interval(a->synopt_rate.set ? a->synopt_rate.val
								   : SO_SYNOPT_RATE);
	return plan_memory(p) ? RC_FAIL : RC_OK;
}

/* The time_wait queue's size for a table of n: a power of two. */
static __u32 twq_size(__u32 n)
{
	__u32 q = SO_TWQ_MIN;

	while (q < n / SO_TWQ_PER_CONN)
		q <<= 1;
	return q;
}

/* Kernel memory the connection table and its housekeeping take for n
 * entries (include/shakeoff.h, so_conn_bytes()): the hash table's buckets
 * are a power of two. */
static __u64 table_bytes(__u32 n)
{
	__u64 buckets = 1;

	while (buckets < n)
		buckets <<= 1;
	return (__u64)n * (so_conn_bytes() - SO_HTAB_BUCKET - sizeof(struct so_twq_slot) /
							   SO_TWQ_PER_CONN) +
	       buckets * SO_HTAB_BUCKET + (__u64)twq_size(n) * sizeof(struct so_twq_slot) +
	       (__u64)SO_WHEEL_SLOTS * sizeof(struct so_wheel_slot);
}

/* "3.1 GiB", "762 MiB", "64 KiB" */
static const char *fmt_bytes(__u64 b, char *buf, size_t len)
{
	if (b >= 1ull << 30)
		snprintf(buf, len, "%.1f GiB", b / (double)(1ull << 30));
	else if (b >= 1ull << 20)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)((b + 1023) >> 10));
	return buf;
}

/* The refusal, from the pre-check (avail: what sys_mem_room() found) or
 * from the kernel (avail NULL: it refused the maps with ENOMEM). */
static void say_no_memory(const struct attach_plan *p, const struct sys_mem *avail)
{
	char need[32], room[32];

	if (avail)
		fmt_bytes(avail->bytes, room, sizeof(room));
	fmt_bytes(p->table_bytes, need, sizeof(need));
	if (!avail)
		pr_err("--conn-max %u needs %s of locked kernel memory for the connection table; "
		       "the kernel could not give it (%s: a memory cgroup's limit or the host's "
		       "memory)", p->cfg.conn_max, need, strerror(ENOMEM));
	else if (p->table_bytes <= avail->bytes) /* the event ring tips it */
		pr_err("--conn-max %u and --events-buffer %u need %s of locked kernel memory for "
		       "the connection table and the event ring; this host can give %s (%s)",
		       p->cfg.conn_max, p->events_bytes >> 10,
		       fmt_bytes(p->table_bytes + p->events_bytes, need, sizeof(need)), room,
		       avail->bound);
	else
		pr_err("--conn-max %u needs %s of locked kernel memory for the connection table; "
		       "this host can give %s (%s)", p->cfg.conn_max, need, room, avail->bound);
}

/* A table the machine cannot hold is refused before anything is loaded:
 * the maps are allocated whole when they are made (the LRU hash
 * preallocates its elements), cannot be swapped, and are charged to this
 * process's memory cgroup. "Cannot hold": more than MemAvailable, or than
 * the room a memory cgroup on the way up leaves. The event ring counts
 * too, but a table that fits is what --conn-max is about. */
static int plan_memory(struct attach_plan *p)
{
	struct sys_mem avail;

	p->table_bytes = table_bytes(p->cfg.conn_max);
	if (sys_mem_room(&avail))
		return 0; /* nothing to go by: the kernel decides (load()) */
	if (p->table_bytes + p->events_bytes > avail.bytes) {
		say_no_memory(p, &avail);
		return -1;
	}
	return 0;
}

/* bpffs mounted, stale tmp dirs gone. */
static int prepare_bpffs(void)
{
	int err = bpffs_ensure();

	if (err) {
		pr_err("cannot mount bpffs on /sys/fs/bpf: %s", strerror(-err));
		return -1;
	}
	pins_clean_stale();
	return 0;
}

static int load(const struct attach_plan *p, struct attach_state *st)
{
	int err;

	st->skel = shakeoff__open();
	if (!st->skel) {
		pr_err("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	err = bpf_map__set_max_entries(st->skel->maps.conns, p->cfg.conn_max) ?:
	      bpf_map__set_max_entries(st->skel->maps.events, p->events_bytes) ?:
	      bpf_map__set_max_entries(st->skel->maps.twq, twq_size(p->cfg.conn_max));
	st->skel->rodata->twq_mask = twq_size(p->cfg.conn_max) - 1;
	st->skel->rodata->synopt_interval_ns = p->synopt_interval_ns;
	/* Generic (skb) XDP loses the frame's metadata for a multi-buffer
	 * program, and the cookie ACK then reaches TC without its options:
	 * there the variant without xdp.frags is loaded instead. */
	st->xdp = p->cfg.xdp_mode == SO_XDP_SKB ? st->skel->progs.xdp_shakeoff_skb
						 : st->skel->progs.xdp_shakeoff;
	if (!err)
		err = bpf_program__set_autoload(st->skel->progs.xdp_shakeoff, false) ?:
		      bpf_program__set_autoload(st->xdp, true);
	/* kernel mode: no tc_ingress, whose kfunc may not exist here (kfuncs.h) */
	if (!err)
		err = bpf_program__set_autoload(
			bpf_object__find_program_by_name(st->skel->obj, SO_PROG_KFUNC_ONLY),
			p->cfg.complete == SO_COMPLETE_KFUNC);
	st->skel->rodata->so_complete = p->cfg.complete;
	st->skel->rodata->so_rcv_space = p->rcv_space;
	st->skel->rodata->so_xdp_meta = p->feat.xdp_meta;
	if (err)
		goto fail;
	if (!p->multiprog) {
		err = shakeoff__load(st->skel);
		goto fail;
	}
	/* libxdp loads the object (the XDP program as an freplace) and puts it
	 * in the dispatcher at once: it runs from here on, but protects no
	 * port until fill_ports() */
	if (multiprog_attach(st->skel->obj, bpf_program__name(st->xdp), p->cfg.ifindex,
			     p->cfg.xdp_mode == SO_XDP_SKB, p->ifname))
		return -1;
	st->in_dispatcher = true;
	return 0;
fail:
	if (err == -ENOMEM) {
		/* the pre-check saw room (or no figure: a cgroup namespace, or
		 * /sys/fs/cgroup not mounted here) that the kernel did not give */
		say_no_memory(p, NULL);
		return -1;
	}
	if (err) {
		pr_err("cannot load the BPF programs into the kernel: %s (run with -v to see why)",
		       strerror(-err));
		return -1;
	}
	return 0;
}

static int update_map(struct bpf_map *map, const void *value)
{
	__u32 zero = 0;

	if (bpf_map__update_elem(map, &zero, sizeof(zero), value, bpf_map__value_size(map),
				 BPF_ANY)) {
		pr_err("cannot write map %s: %s", bpf_map__name(map), strerror(errno));
		return -1;
	}
	return 0;
}

static int fill_maps(const struct tune_args *t, struct attach_plan *p, struct attach_state *st)
{
	struct so_ports speak_first, kports;
	int n = mptcp_listen_ports(&t->ports, &kports);

	if (n < 0)
		return -1;
	p->cfg.kernel_ports = n;
	p->cfg.attached_ns = clock_ns(CLOCK_REALTIME);
	/* before any link exists: the programs never see an empty map (with
	 * --multiprog XDP runs already: its ports come once TC is attached) */
	if (tune_speak_first(t, &speak_first) < 0 || update_map(st->skel->maps.config, &p->cfg) ||
	    (!p->multiprog && update_map(st->skel->maps.ports, &t->ports)) ||
	    update_map(st->skel->maps.speakfirst, &speak_first) ||
	    update_map(st->skel->maps.kports, &kports) ||
	    update_map(st->skel->maps.secret, &p->secret))
		return -1;
	return 0;
}

/* --multiprog: the ports, now that TC completes what XDP answers. */
static int fill_ports(const struct so_ports *ports, const struct attach_plan *p,
		      struct attach_state *st)
{
	return p->multiprog ? update_map(st->skel->maps.ports, ports) : 0;
}

/* TIME-WAIT sockets on the protected ports, looked for once the links
 * exist (the programs note the ones that come after): their SYNs go to
 * the kernel while they may last. */
static int note_time_wait(const struct so_ports *ports, struct attach_plan *p,
			  struct attach_state *st)
{
	int n = timewait_scan(bpf_map__fd(st->skel->maps.timewait), ports);

	if (n < 0)
		return -1;
	p->cfg.tw_cli_added = n;
	return n && update_map(st->skel->maps.config, &p->cfg) ? -1 : 0;
}

static int pin_fd(const char *dir, const char *name, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path)) {
		pr_err("cannot pin %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The namespace's directory is made again here: a detach of the last other
 * attachment in this namespace may have removed it while we were loading. */
static int make_tmp_dir(const struct attach_plan *p)
{
	int err = 0;

	for (int tries = 0; tries < 3; tries++) {
		err = pins_make_ns_dir();
		if (!err)
			err = mkdir(p->tmp, 0700) ? -errno : 0;
		if (err != -ENOENT)
			break;
	}
	if (err)
		pr_err("cannot create %s: %s", p->tmp, strerror(-err));
	return err;
}

/* Every map under its own name (config ports secret stats conns ...; the
 * sweeper's timer, too, lives only as long as its map is held), then the
 * programs. */
static int pin_objects(struct attach_plan *p, struct attach_state *st)
{
	const struct shakeoff *s = st->skel;
	const struct { const char *name; const struct bpf_program *prog; } progs[] = {
		{ PIN_PROG_XDP, st->xdp },
		{ PIN_PROG_TC_INGRESS, s->progs.tc_ingress },
		{ PIN_PROG_TC_EGRESS, s->progs.tc_egress },
	};
	struct bpf_map *map;

	if (make_tmp_dir(p))
		return -1;
	st->tmp_made = true;
	bpf_object__for_each_map(map, s->obj)
		if (!bpf_map__is_internal(map) &&
		    pin_fd(p->tmp, bpf_map__name(map), bpf_map__fd(map)))
			return -1;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (bpf_program__fd(progs[i].prog) >= 0 && /* not loaded: kernel mode's tc_ingress */
		    pin_fd(p->tmp, progs[i].name, bpf_program__fd(progs[i].prog)))
			return -1;
	return 0;
}

static const char *link_hint(int link, int err)
{
	if (link == LINK_XDP && (err == EBUSY || err == EEXIST))
		return " (another XDP program is attached)";
	if (link == LINK_XDP && err == EOPNOTSUPP)
		return " (the driver has no native XDP; try --mode skb)";
	return "";
}

/* A TC program as a clsact filter (no TCX on this kernel): there is no
 * link to pin; the pinned program stands for it (tc.h). */
static int create_filter(const struct attach_plan *p, struct attach_state *st, int link,
			 int prog_fd)
{
	int err = tc_clsact_attach(p->cfg.ifindex, link == LINK_TC_INGRESS, prog_fd,
				   &st->qdisc_made);

	if (err) {
		pr_err("cannot attach the TC %s filter to %s: %s%s", link == LINK_TC_INGRESS ?
		       "ingress" : "egress", p->ifname, strerror(-err), err == -EEXIST ?
		       " (another filter holds shakeoff's handle and priority)" : "");
		return -1;
	}
	st->tc_filter[link] = true;
	return 0;
}

static int create_link(const struct attach_plan *p, struct attach_state *st, int link)
{
	static const char *const pin[] = { [LINK_TC_EGRESS] = PIN_LINK_TC_EGRESS,
					   [LINK_TC_INGRESS] = PIN_LINK_TC_INGRESS,
					   [LINK_XDP] = PIN_LINK_XDP };
	LIBBPF_OPTS(bpf_link_create_opts, xdp_opts,
		    .flags = p->cfg.xdp_mode == SO_XDP_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	const struct shakeoff *s = st->skel;
	int fd, tc_fd = bpf_program__fd(link == LINK_TC_INGRESS ? s->progs.tc_ingress
								: s->progs.tc_egress);

	if (link == LINK_TC_INGRESS && p->cfg.complete == SO_COMPLETE_KERNEL)
		return 0; /* the kernel makes the socket; XDP makes the entry */
	if (link != LINK_XDP && !p->feat.tcx)
		return create_filter(p, st, link, tc_fd);
	if (link == LINK_XDP)
		fd = bpf_link_create(bpf_program__fd(st->xdp), p->cfg.ifindex,
				     BPF_XDP, &xdp_opts);
	else
		fd = bpf_link_create(tc_fd, p->cfg.ifindex, link == LINK_TC_INGRESS ?
				     SO_BPF_TCX_INGRESS : SO_BPF_TCX_EGRESS, NULL);
	if (fd < 0) {
		pr_err("cannot attach to %s: %s%s", p->ifname, strerror(errno), link_hint(link, errno));
		return -1;
	}
	st->link_fd[link] = fd;
	return pin_fd(p->tmp, pin[link], fd);
}

/* TC first, XDP last: no SYN is answered before an ACK can be completed
 * (with --multiprog, libxdp attached XDP at load: no XDP link here). */
static int create_links(const struct attach_plan *p, struct attach_state *st)
{
	for (int link = 0; link < LINK_COUNT; link++)
		if ((link != LINK_XDP || !p->multiprog) && create_link(p, st, link))
			return -1;
	return 0;
}

/* One rename makes the attachment visible, complete. */
static int publish(const struct attach_plan *p)
{
	if (renameat2(AT_FDCWD, p->tmp, AT_FDCWD, p->dir, RENAME_NOREPLACE)) {
		pr_err("cannot move %s to %s: %s", p->tmp, p->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void print_attached(const struct so_ports *ports, const struct attach_plan *p)
{
	char *list = ports_format(ports), arm[64];

	tune_describe_arm(&p->cfg, arm, sizeof(arm));
	printf("shakeoff: attached to %s (%s XDP%s, SYN-ACKs via %s, completion %s, TC %s), ports %s, "
	       "arm %s; pinned in %s\n",
	       p->ifname, p->cfg.xdp_mode == SO_XDP_SKB ? "skb" : "native",
	       p->multiprog ? " in libxdp's dispatcher" : "",
	       p->cfg.tx_mode == SO_TX_REDIRECT ? "redirect" : "XDP_TX",
	       complete_names[p->cfg.complete], p->feat.tcx ? "tcx" : "clsact", list ? list : "?",
	       arm, p->dir);
	free(list);
}

/* After a failure: detach what was attached, unpin what was pinned. */
static void undo(const struct attach_plan *p, struct attach_state *st)
{
	if (st->in_dispatcher) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(st->xdp), &info, &len))
			multiprog_detach_id(info.id, p->cfg.ifindex);
	}
	for (int link = LINK_COUNT - 1; link >= 0; link--) {
		if (st->link_fd[link] >= 0)
			bpf_link_detach(st->link_fd[link]);
		if (st->tc_filter[link])
			tc_clsact_detach(p->cfg.ifindex, link == LINK_TC_INGRESS,
					 bpf_program__fd(link == LINK_TC_INGRESS ?
							 st->skel->progs.tc_ingress :
							 st->skel->progs.tc_egress));
	}
	if (st->qdisc_made)
		tc_clsact_destroy(p->cfg.ifindex);
	if (st->tmp_made)
		pins_teardown(p->tmp);
	pins_remove_empty_dirs();
}

static void cleanup(struct attach_state *st)
{
	for (int link = 0; link < LINK_COUNT; link++)
		if (st->link_fd[link] >= 0)
			close(st->link_fd[link]);
	shakeoff__destroy(st->skel);
}

static int run_attach(void *args)
{
	struct attach_args *a = args;
	struct attach_plan plan = {};
	struct attach_state st = { .link_fd = { -1, -1, -1 } };
	int err;

	err = plan_attach(a, &plan);
	if (err)
		return err; /* nothing touched */
	err = prepare_bpffs();
	if (!err)
		err = load(&plan, &st);
	if (!err)
		err = fill_maps(&a->tune, &plan, &st);
	if (!err)
		err = pin_objects(&plan, &st);
	if (!err)
		err = create_links(&plan, &st);
	if (!err)
		err = fill_ports(&a->tune.ports, &plan, &st);
	if (!err)
		err = note_time_wait(&a->tune.ports, &plan, &st);
	if (!err)
		err = publish(&plan);
	if (err)
		undo(&plan, &st);
	else
		print_attached(&a->tune.ports, &plan);
	cleanup(&st);
	explicit_bzero(&plan.secret, sizeof(plan.secret));
	return err ? RC_FAIL : RC_OK;
}

static struct attach_args attach_args = {
	.tune.arm = -1,
	.complete = -1,
	.mode = SO_XDP_NATIVE,
	.tx = TX_AUTO,
};

const char *attach_secret_file(void)
{
	return attach_args.secret_file;
}

const struct cmd cmd_attach = {
	.name = "attach",
	.summary = "attach the offload to an interface and pin it",
	.description = "Answer SYNs to the given ports on IFACE with SYN cookies in XDP, and turn\n"
		       "valid cookie ACKs into sockets of the local listeners (TC). Programs, maps\n"
		       "and links are pinned under /sys/fs/bpf/shakeoff, so the offload stays\n"
		       "after this command exits; `shakeoff detach IFACE` removes it. SYNs to a\n"
		       "port whose listener is MPTCP, which the kfunc cannot serve, go to the\n"
		       "kernel, as do signed SYNs (TCP-MD5, TCP-AO) within --signed-rate.",
	.opts = attach_opts,
	.args = &attach_args,
	.needs_root = true,
	.run = run_attach,
};
