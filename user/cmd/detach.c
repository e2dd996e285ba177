// SPDX-License-Identifier: GPL-2.0
/*
 * detach.c - `shakeoff detach IFACE`
 *
 * Renames the attachment's directory to a tmp name first, so that a detach
 * killed half-way leaves a stale tmp directory (cleaned by the next command)
 * rather than a half-empty attachment. Established connections are not
 * touched: the kernel owns their sockets.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "pins.h"

struct detach_args {
	const char *ifname;
};

static const struct opt detach_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface to detach from",
	  .type = OPT_IFNAME, .required = true, .positional = true,
	  .offset = offsetof(struct detach_args, ifname) },
	OPT_END
};

static int run_detach(void *args)
{
	struct detach_args *a = args;
	char dir[PATH_MAX], tmp[PATH_MAX];
	int err;

	pins_clean_stale();
	if (pins_find(a->ifname, dir, sizeof(dir)))
		return RC_FAIL;
	err = pins_tmp_dir(a->ifname, tmp, sizeof(tmp));
	if (!err && rename(dir, tmp))
		err = -errno;
	if (err) {
		pr_err("cannot detach from %s: cannot move %s aside: %s", a->ifname, dir,
		       strerror(-err));
		return RC_FAIL;
	}
	err = pins_teardown(tmp);
	pins_remove_empty_dirs();
	if (err) {
		pr_err("detached from %s, but not cleanly: %s", a->ifname, strerror(-err));
		return RC_FAIL;
	}
	printf("shakeoff: detached from %s\n", a->ifname);
	return RC_OK;
}

static struct detach_args detach_args;

const struct cmd cmd_detach = {
	.name = "detach",
	.summary = "detach the offload from an interface and remove its pins",
	.description = "Detach the XDP and TC programs from IFACE and remove everything pinned\n"
		       "for it. Connections already established are not affected.",
	.opts = detach_opts,
	.args = &detach_args,
	.needs_root = true,
	.run = run_detach,
};
