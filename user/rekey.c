// SPDX-License-Identifier: GPL-2.0
/*
 * rekey.c - `shakeoff rekey IFACE [--secret-file F]`
 *
 * Two map updates, in this order: the new key goes into the inactive slot
 * (the programs do not read it yet), then the generation moves on and the
 * old key stays valid for a grace period, so handshakes in flight survive.
 * There are two slots, so a second rekey within that grace period would
 * drop the key before last while its cookies may still be in flight: it is
 * refused, unless --force says that is meant (a key thought compromised).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "log.h"
#include "pins.h"
#include "shakeoff.h"
#include "secret.h"
#include "sys.h"

/* Cookies live at most ~137 s (two 68.7 s periods without timestamps, 120 s
 * plus skew with them); keep the old key a little longer. */
#define GRACE_NS (140ull * 1000000000ull)

struct rekey_args {
	const char *ifname;
	const char *secret_file;
	bool force;
};

static const struct opt rekey_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct rekey_args, ifname) },
	{ .name = "secret-file", .short_name = 's', .metavar = "FILE",
	  .help = "new key: 16 raw bytes or 32 hex digits (default: random)",
	  .type = OPT_STRING, .offset = offsetof(struct rekey_args, secret_file) },
	{ .name = "force", .short_name = 'f',
	  .help = "rekey even while the previous key is in its grace period (its cookies "
		  "then fail at once)",
	  .type = OPT_FLAG, .offset = offsetof(struct rekey_args, force) },
	OPT_END
};

static int write_secret(int fd, const char *ifname, const struct so_secret *s)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(fd, &zero, s, BPF_EXIST)) {
		pr_err("cannot rekey %s: cannot write the secret map: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

static int rekey(int fd, const char *ifname, const __u64 key[2], bool force, __u32 *gen)
{
	struct so_secret s;
	__u64 now = clock_ns(CLOCK_TAI);
	__u32 zero = 0;
	int err = -1;

	if (bpf_map_lookup_elem(fd, &zero, &s)) {
		pr_err("cannot rekey %s: cannot read the secret map: %s", ifname, strerror(errno));
		return -1;
	}
	if (!force && s.grace_until_tai_ns > now) {
		pr_err("not rekeying %s: the previous key is still accepted for %llu s, and its "
		       "handshakes in flight would fail; try again then, or use --force",
		       ifname, (unsigned long long)(s.grace_until_tai_ns - now + 999999999) / 1000000000);
		explicit_bzero(&s, sizeof(s));
		return -1;
	}
	memcpy(s.key[(s.gen + 1) & 1], key, sizeof(s.key[0]));
	if (write_secret(fd, ifname, &s) == 0) { /* the inactive slot: unused until gen moves */
		s.gen++;
		s.grace_until_tai_ns = now + GRACE_NS;
		err = write_secret(fd, ifname, &s);
	}
	*gen = s.gen;
	explicit_bzero(&s, sizeof(s));
	return err;
}

/* Completion mode kernel uses the kernel's cookies: no key of ours. */
static bool kernel_mode(const char *dir, const char *ifname)
{
	struct so_config cfg = {};
	__u32 zero = 0;
	int fd = pins_open(dir, "config");
	bool kernel = fd >= 0 && bpf_map_lookup_elem(fd, &zero, &cfg) == 0 &&
		      cfg.complete == SO_COMPLETE_KERNEL;

	if (fd >= 0)
		close(fd);
	if (kernel)
		pr_err("cannot rekey %s: it runs --complete kernel, whose cookies are the kernel's "
		       "own, under the kernel's secret, which no one can rekey", ifname);
	return kernel;
}

static int run_rekey(void *args)
{
	struct rekey_args *a = args;
	char dir[PATH_MAX];
	__u64 key[2];
	__u32 gen;
	int fd, err;

	pins_clean_stale();
	if (pins_find(a->ifname, dir, sizeof(dir)) || kernel_mode(dir, a->ifname) ||
	    secret_load(a->secret_file, key))
		return RC_FAIL;
	fd = pins_open(dir, "secret");
	if (fd < 0) {
		pr_err("cannot rekey %s: cannot open %s/secret: %s", a->ifname, dir, strerror(-fd));
		return RC_FAIL;
	}
	err = rekey(fd, a->ifname, key, a->force, &gen);
	explicit_bzero(key, sizeof(key));
	close(fd);
	if (err)
		return RC_FAIL;
	printf("shakeoff: rekeyed %s (generation %u)\n", a->ifname, gen);
	return RC_OK;
}

static struct rekey_args rekey_args;

const struct cmd cmd_rekey = {
	.name = "rekey",
	.summary = "replace the cookie secret without breaking handshakes in flight",
	.description = "Install a new cookie key (random, or from --secret-file) for IFACE's\n"
		       "attachment. Cookies made under the previous key stay valid for 140 s;\n"
		       "another rekey within that time is refused unless --force is given.",
	.opts = rekey_opts,
	.args = &rekey_args,
	.needs_root = true,
	.run = run_rekey,
};
