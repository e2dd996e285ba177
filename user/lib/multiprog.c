// SPDX-License-Identifier: GPL-2.0
/*
 * multiprog.c - attach --multiprog: shakeoff's XDP program in libxdp's
 * dispatcher, next to other XDP programs (xdp-filter, xdp-loader's, ...).
 *
 * libxdp runs each program as an freplace (BPF_PROG_TYPE_EXT) of one slot of
 * a dispatcher program, in the order of their priorities; a program's
 * XDP_PASS goes on to the next one. shakeoff's program passes what is not
 * its own (other ports, non-TCP), so it can sit anywhere in the chain. The
 * dispatcher is attached by libxdp and pinned under /sys/fs/bpf/xdp; shakeoff
 * pins no XDP link of its own then, only its program (PIN_PROG_XDP), which
 * is how status, detach and the orphan reclaim find it in the dispatcher.
 * The TC side is attached as without --multiprog.
 *
 * libxdp's messages go through shakeoff's log: only with -v.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "multiprog.h"
#include "pins.h"
#include "shakeoff.h"

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char buf[512];

	/* its warnings too only with -v: shakeoff's own message says what failed */
	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	pr_debug("%s", buf); /* libxdp says "libxdp: " itself */
	return 0;
}

/* The verifier's refusal of an freplace program that changes packet data
 * (bpf_xdp_adjust_head/_meta/_tail: shakeoff's does, to answer SYNs and to
 * hand ACKs' options to TC) in a slot that does not: a check of Linux 6.13,
 * also in Debian's 6.12 (6.12.118), not in its 6.1 (6.1.192). libxdp 1.3's
 * dispatcher (Debian 12's) has such slots: xdp-loader fails there the same
 * way. Seen in libbpf's log of the load, which goes on as before. */
static libbpf_print_fn_t print_before;
static bool pkt_data_refused;

static int watch_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char msg[1 << 16]; /* a verifier log comes as one message */
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	if (strstr(msg, "Extension program changes packet data"))
		pkt_data_refused = true;
	return print_before ? print_before(level, fmt, ap) : 0;
}

bool multiprog_supported(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_EXT, NULL) == 1;
}

static const char *attach_hint(int err)
{
	switch (err) {
	case -EBUSY:
	case -EEXIST:
		return " (the interface has an XDP program that was not attached through libxdp's "
		       "dispatcher: detach it, or attach it again with xdp-loader)";
	case -EOPNOTSUPP:
		return " (the kernel cannot run libxdp's dispatcher here; with -v libxdp says why)";
	case -E2BIG:
		return " (the dispatcher is full: it holds at most 10 programs)";
	default:
		return "";
	}
}

int multiprog_attach(struct bpf_object *obj, const char *prog_name, int ifindex, bool skb,
		     const char *ifname)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = obj, .prog_name = prog_name);
	struct xdp_program *xp;
	char msg[256];
	int err;

	libxdp_set_print(libxdp_print);
	xp = xdp_program__create(&opts);
	err = libxdp_get_error(xp);
	if (err) {
		libxdp_strerror(err, msg, sizeof(msg));
		pr_err("cannot hand the XDP program to libxdp: %s", msg);
		return -1;
	}
	/* loads the whole object: the XDP program as an freplace of the slot */
	print_before = libbpf_set_print(watch_libbpf);
	err = xdp_program__attach(xp, ifindex, skb ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
	libbpf_set_print(print_before);
	if (err && pkt_data_refused) {
		pr_err("cannot attach to %s through libxdp's dispatcher: this kernel refuses "
		       "freplace programs that change packet data (shakeoff's does, to answer SYNs) "
		       "in slots that do not, as this libxdp's dispatcher's do", ifname);
	} else if (err) {
		libxdp_strerror(err, msg, sizeof(msg));
		pr_err("cannot attach to %s through libxdp's dispatcher: %s%s", ifname, msg,
		       attach_hint(err));
	}
	xdp_program__close(xp); /* the object stays the caller's */
	return err ? -1 : 0;
}

/* Our program's id, and the ifindex of our config map. */
static int pinned_ids(const char *dir, __u32 *prog_id, int *ifindex)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct so_config cfg;
	int fd = pins_open(dir, PIN_PROG_XDP), err = 0;

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	*prog_id = info.id;
	fd = pins_open(dir, "config");
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		err = -errno;
	close(fd);
	*ifindex = (int)cfg.ifindex;
	return err;
}

/* ifindex's dispatcher and, in *mine, our program in it (NULL if absent). */
static struct xdp_multiprog *find(int ifindex, __u32 prog_id, struct xdp_program **mine)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	libxdp_set_print(libxdp_print);
	*mine = NULL;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return NULL;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == prog_id)
			*mine = p;
	return mp;
}

int multiprog_ifindex(const char *dir)
{
	struct xdp_multiprog *mp;
	struct xdp_program *mine;
	__u32 id;
	int ifindex, err = pinned_ids(dir, &id, &ifindex);

	if (err)
		return err;
	mp = find(ifindex, id, &mine);
	xdp_multiprog__close(mp);
	return mine ? ifindex : 0;
}

int multiprog_detach_id(__u32 prog_id, int ifindex)
{
	struct xdp_multiprog *mp;
	struct xdp_program *mine;
	int err;

	mp = find(ifindex, prog_id, &mine);
	if (!mine)
		err = -ENOENT;
	else
		err = xdp_program__detach(mine, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return err;
}

int multiprog_detach(const char *dir)
{
	__u32 id;
	int ifindex, err = pinned_ids(dir, &id, &ifindex);

	return err ? err : multiprog_detach_id(id, ifindex);
}
