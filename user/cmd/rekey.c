// SPDX-License-Identifier: GPL-2.0
/*
 * rekey.c - `shakeoff rekey IFACE [--secret-file F]`
 *
 * The new ring goes into the ring not in force (the programs do not read it
 * yet), then the generation moves on: two map writes, so a reader never sees
 * a half-written ring.
 *
 * With --secret-file, the ring becomes the file's keys (the first issues,
 * every one validates), and each key keeps when it last issued cookies.
 * Without, a random key issues and the one that issued before is kept,
 * retiring, for SO_COOKIE_LIFETIME_S, so handshakes in flight survive.
 *
 * The rule: a rekey that would drop a key that issued cookies within
 * SO_COOKIE_LIFETIME_S is refused, unless --force says that is meant (a key
 * thought compromised): those cookies' handshakes would fail.
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
#include "options.h"
#include "pins.h"
#include "shakeoff.h"
#include "secret.h"
#include "sys.h"

#define LIFETIME_NS KEY_LIFETIME_NS

struct rekey_args {
	const char *ifname;
	const char *secret_file;
	const char *config;
	bool force;
};

static const struct opt rekey_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct rekey_args, ifname) },
	{ .name = "secret-file", .short_name = 's', .metavar = "FILE",
	  .help = "the key ring: one key of 32 hex digits a line, the first issuing (or 16 raw "
		  "bytes); default: one random key, the previous one retiring",
	  .type = OPT_STRING, .offset = offsetof(struct rekey_args, secret_file) },
	{ .name = "config", .short_name = 'c', .metavar = "FILE",
	  .help = "take the key file from FILE's secret-file line (attach's option file, as "
		  "the systemd unit's reload does); none there: the keys stay",
	  .type = OPT_STRING, .offset = offsetof(struct rekey_args, config) },
	{ .name = "force", .short_name = 'f',
	  .help = "drop keys even if they issued cookies within the cookie lifetime (those "
		  "cookies then fail at once)",
	  .type = OPT_FLAG, .offset = offsetof(struct rekey_args, force) },
	OPT_END
};

/* The next ring from the file's keys: what each key knew stays. */
static void next_of_file(const struct so_ring *cur, struct so_ring *next, __u64 now)
{
	for (unsigned int i = 0; i < next->nkeys; i++) {
		int j = ring_find(cur, next->key[i].k);

		if (j == 0)
			next->key[i].issued_tai_ns = now; /* it issued until now */
		else if (j > 0)
			next->key[i].issued_tai_ns = cur->key[j].issued_tai_ns;
	}
}

/* The next ring of a random key: the issuing key goes on, retiring. */
static void next_of_random(const struct so_ring *cur, struct so_ring *next, __u64 now)
{
	next->key[1] = cur->key[0];
	next->key[1].issued_tai_ns = now;
	next->key[1].retire_tai_ns = now + LIFETIME_NS;
	next->nkeys = 2;
}

/* The rule: no key dropped whose cookies may be in flight, unless forced. */
static int check_drops(const char *ifname, const struct so_ring *cur, const struct so_ring *next,
		       __u64 now)
{
	for (unsigned int i = 0; i < cur->nkeys && i < SO_KEYS_MAX; i++) {
		const struct so_key *k = &cur->key[i];
		__u64 left = key_needed_s(k, i, now);

		if (left == 0 || ring_find(next, k->k) >= 0)
			continue;
		if (i == 0)
			pr_err("not rekeying %s: that drops key %08x, which issues its cookies now, "
			       "and their handshakes in flight would fail; keep it in the file, "
			       "second, for %d s more, or use --force",
			       ifname, k->fp, SO_COOKIE_LIFETIME_S);
		else
			pr_err("not rekeying %s: that drops key %08x, which issued cookies %llu s "
			       "ago, and their handshakes in flight would fail; keep it for %llu s "
			       "more, or use --force", ifname, k->fp,
			       (unsigned long long)(now - k->issued_tai_ns) / 1000000000,
			       (unsigned long long)left);
		return -1;
	}
	return 0;
}

static int write_secret(int fd, const char *ifname, const struct so_secret *s)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(fd, &zero, s, BPF_EXIST)) {
		pr_err("cannot rekey %s: cannot write the secret map: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

/* next: the keys loaded (from the file, or one random key). */
static int rekey(int fd, const struct rekey_args *a, struct so_ring *next, struct so_secret *s)
{
	__u64 now = clock_ns(CLOCK_TAI);
	const struct so_ring *cur;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, s)) {
		pr_err("cannot rekey %s: cannot read the secret map: %s", a->ifname,
		       strerror(errno));
		return -1;
	}
	cur = &s->ring[s->gen & 1];
	if (a->secret_file)
		next_of_file(cur, next, now);
	else
		next_of_random(cur, next, now);
	next->key[0].issued_tai_ns = now;
	if (!a->force && check_drops(a->ifname, cur, next, now))
		return -1;
	s->ring[(s->gen + 1) & 1] = *next;
	if (write_secret(fd, a->ifname, s)) /* the ring not in force: unused until gen moves */
		return -1;
	s->gen++;
	return write_secret(fd, a->ifname, s);
}

/* --config: the secret-file of attach's option file, parsed as attach does. */
static int secret_file_of_config(struct rekey_args *a)
{
	char *argv[] = { "attach", (char *)a->ifname, "--config", (char *)a->config, NULL };

	if (a->secret_file) {
		pr_err("cannot rekey %s: --secret-file and --config both name a key file; give one",
		       a->ifname);
		return -1;
	}
	if (opts_parse("attach", cmd_attach.opts, cmd_attach.args, 4, argv, false, NULL) !=
	    OPTS_OK)
		return -1;
	a->secret_file = attach_secret_file();
	return 0;
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
	struct so_secret s;
	struct so_ring next;
	char dir[PATH_MAX];
	int fd, err;

	if (a->config) {
		if (secret_file_of_config(a))
			return RC_FAIL;
		if (!a->secret_file) {
			printf("shakeoff: %s names no secret-file: the keys of %s stay\n", a->config,
			       a->ifname);
			return RC_OK;
		}
	}
	pins_clean_stale();
	if (pins_find(a->ifname, dir, sizeof(dir)) || kernel_mode(dir, a->ifname) ||
	    secret_load(a->secret_file, &next))
		return RC_FAIL;
	fd = pins_open(dir, "secret");
	if (fd < 0) {
		pr_err("cannot rekey %s: cannot open %s/secret: %s", a->ifname, dir, strerror(-fd));
		explicit_bzero(&next, sizeof(next));
		return RC_FAIL;
	}
	err = rekey(fd, a, &next, &s);
	close(fd);
	if (!err)
		printf("shakeoff: rekeyed %s (generation %u): %u keys, %08x issuing\n", a->ifname,
		       s.gen, next.nkeys, next.key[0].fp);
	explicit_bzero(&next, sizeof(next));
	explicit_bzero(&s, sizeof(s));
	return err ? RC_FAIL : RC_OK;
}

static struct rekey_args rekey_args;

const struct cmd cmd_rekey = {
	.name = "rekey",
	.summary = "replace the cookie keys without breaking handshakes in flight",
	.description = "Load IFACE's key ring again from --secret-file (the first key issues\n"
		       "cookies, every key validates them), or install one random key and keep\n"
		       "the previous one, retiring, for 140 s. A rekey that would drop a key\n"
		       "that issued cookies within the last 140 s (a cookie's lifetime) is\n"
		       "refused unless --force is given.",
	.opts = rekey_opts,
	.args = &rekey_args,
	.needs_root = true,
	.run = run_rekey,
};
