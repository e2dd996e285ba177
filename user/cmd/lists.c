// SPDX-License-Identifier: GPL-2.0
/*
 * lists.c - `shakeoff allow|deny IFACE add|del|list [PREFIX]`
 *
 * The allow and deny lists are LPM tries by source prefix, one per family
 * (maps allow4 allow6 deny4 deny6, value: the packets that matched). The
 * config's lists bits tell the programs which tries have entries, so an
 * empty one costs no lookup: a bit is set once its trie has an entry and
 * cleared when the trie is empty again, all under the attachment's lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "pins.h"
#include "prefix.h"

enum action { ACT_ADD, ACT_DEL, ACT_LIST };

static const char *const action_names[] = { [ACT_ADD] = "add", [ACT_DEL] = "del",
					    [ACT_LIST] = "list", NULL };

struct lists_args {
	const char *ifname;
	int action;
	const char *prefix;
	bool json;
};

static const struct opt lists_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct lists_args, ifname) },
	{ .name = "action", .metavar = "ACTION",
	  .help = "add or delete PREFIX, or list the prefixes and their hits", .type = OPT_ENUM,
	  .choices = action_names, .required = true, .positional = true,
	  .offset = offsetof(struct lists_args, action) },
	{ .name = "prefix", .metavar = "PREFIX",
	  .help = "a.b.c.d/len or IPv6-address/len; a bare address is /32 or /128",
	  .type = OPT_STRING, .positional = true, .offset = offsetof(struct lists_args, prefix) },
	{ .name = "json", .short_name = 'j', .help = "list: print a JSON array of {prefix, hits}",
	  .type = OPT_FLAG, .offset = offsetof(struct lists_args, json) },
	OPT_END
};

/* One list: its name, and per family (0: IPv4, 1: IPv6) its trie and bit. */
struct list_kind {
	const char *name;
	const char *map[2];
	__u8 bit[2];
};

static const struct list_kind allow_list = { "allow", { "allow4", "allow6" },
					     { SO_LIST_ALLOW4, SO_LIST_ALLOW6 } };
static const struct list_kind deny_list = { "deny", { "deny4", "deny6" },
					    { SO_LIST_DENY4, SO_LIST_DENY6 } };

/* The trie's key: so_lpm4 or so_lpm6, built in buf; its size. */
static size_t lpm_key(const struct prefix *p, void *buf)
{
	struct so_lpm4 *k4 = buf;
	struct so_lpm6 *k6 = buf;

	if (!p->v6) {
		k4->prefixlen = p->len;
		memcpy(&k4->addr, p->addr, 4);
		return sizeof(*k4);
	}
	k6->prefixlen = p->len;
	memcpy(k6->addr, p->addr, 16);
	return sizeof(*k6);
}

static void prefix_str(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->v6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

static int open_trie(const struct live *l, const struct list_kind *k, int v6)
{
	int fd = pins_open(l->dir, k->map[v6]);

	if (fd < 0)
		pr_err("cannot open %s/%s: %s", l->dir, k->map[v6], strerror(-fd));
	return fd;
}

/* Set or clear the trie's bit in the config, as its emptiness says. */
static int sync_bit(const struct live *l, const struct list_kind *k, int v6, int fd)
{
	struct so_lpm6 first; /* room for either key */
	struct so_config cfg;
	bool empty = bpf_map_get_next_key(fd, NULL, &first) != 0;
	__u8 want;

	if (live_read(l, "config", &cfg))
		return -1;
	want = empty ? cfg.lists & ~k->bit[v6] : cfg.lists | k->bit[v6];
	if (want == cfg.lists)
		return 0;
	cfg.lists = want;
	return live_write(l, "config", &cfg);
}

static int change(const struct live *l, const struct list_kind *k, const struct prefix *p,
		  bool add)
{
	struct so_lpm_val zero = {};
	char key[sizeof(struct so_lpm6)], str[64];
	int fd = open_trie(l, k, p->v6), err;

	if (fd < 0)
		return -1;
	lpm_key(p, key);
	err = add ? bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST) : bpf_map_delete_elem(fd, key);
	err = err ? -errno : 0;
	prefix_str(p, str, sizeof(str));
	if (err == -EEXIST || err == -ENOENT)
		pr_err("%s is %s on the %s list of %s", str, add ? "already" : "not", k->name,
		       l->ifname);
	else if (err)
		pr_err("cannot %s %s %s the %s list of %s: %s", add ? "add" : "delete", str,
		       add ? "to" : "from", k->name, l->ifname,
		       err == -ENOSPC || err == -E2BIG ? "the list is full" : strerror(-err));
	if (!err)
		err = sync_bit(l, k, p->v6, fd);
	close(fd);
	if (!err)
		printf("shakeoff: %s %s %s the %s list of %s\n", add ? "added" : "deleted", str,
		       add ? "to" : "from", k->name, l->ifname);
	return err ? -1 : 0;
}

struct entry {
	struct prefix p;
	__u64 hits;
};

struct entries {
	struct entry *v;
	size_t n;
};

static int push_entry(struct entries *e, const struct prefix *p, __u64 hits)
{
	struct entry *v = realloc(e->v, (e->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	e->v = v;
	v[e->n++] = (struct entry){ .p = *p, .hits = hits };
	return 0;
}

/* The trie's key in buf back into a prefix. */
static void key_prefix(int v6, const void *buf, struct prefix *p)
{
	const struct so_lpm4 *k4 = buf;
	const struct so_lpm6 *k6 = buf;

	memset(p, 0, sizeof(*p));
	p->v6 = v6;
	p->len = v6 ? k6->prefixlen : k4->prefixlen;
	memcpy(p->addr, v6 ? (const void *)k6->addr : (const void *)&k4->addr, v6 ? 16 : 4);
}

static int read_trie(const struct live *l, const struct list_kind *k, int v6, struct entries *e)
{
	char key[sizeof(struct so_lpm6)], next[sizeof(struct so_lpm6)];
	struct so_lpm_val val;
	struct prefix p;
	int fd = open_trie(l, k, v6), err = 0;
	bool first = true;

	if (fd < 0)
		return -1;
	while (!err && bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		memcpy(key, next, sizeof(key));
		first = false;
		if (bpf_map_lookup_elem(fd, key, &val))
			continue; /* deleted meanwhile */
		key_prefix(v6, key, &p);
		err = push_entry(e, &p, val.hits);
	}
	close(fd);
	if (err)
		pr_err("out of memory");
	return err ? -1 : 0;
}

/* IPv4 first, then by address and length. */
static int cmp_entries(const void *a, const void *b)
{
	const struct prefix *x = &((const struct entry *)a)->p, *y = &((const struct entry *)b)->p;
	int d = x->v6 - y->v6;

	if (!d)
		d = memcmp(x->addr, y->addr, sizeof(x->addr));
	return d ? d : (int)x->len - (int)y->len;
}

static void print_entries(const struct live *l, const struct list_kind *k,
			  const struct entries *e, bool as_json)
{
	char str[64];
	struct json j;

	if (!as_json && e->n == 0)
		printf("the %s list of %s is empty\n", k->name, l->ifname);
	else if (!as_json)
		printf("%-44s %12s\n", "PREFIX", "HITS");
	json_init(&j, stdout);
	if (as_json)
		json_array_begin(&j);
	for (size_t i = 0; i < e->n; i++) {
		prefix_str(&e->v[i].p, str, sizeof(str));
		if (!as_json) {
			printf("%-44s %12llu\n", str, (unsigned long long)e->v[i].hits);
			continue;
		}
		json_object_begin(&j);
		json_kv_str(&j, "prefix", str);
		json_kv_uint(&j, "hits", e->v[i].hits);
		json_object_end(&j);
	}
	if (as_json) {
		json_array_end(&j);
		putchar('\n');
	}
}

static int list(const struct live *l, const struct list_kind *k, bool as_json)
{
	struct entries e = {};
	int err = read_trie(l, k, 0, &e) || read_trie(l, k, 1, &e);

	if (!err) {
		qsort(e.v, e.n, sizeof(*e.v), cmp_entries);
		print_entries(l, k, &e, as_json);
	}
	free(e.v);
	return err;
}

/* The command line's checks: PREFIX with add and del only. */
static int check_args(const struct lists_args *a, const char *cmd, struct prefix *p)
{
	if (a->action != ACT_LIST && !a->prefix) {
		pr_err("missing PREFIX; see 'shakeoff %s --help'", cmd);
		return RC_USAGE;
	}
	if (a->action == ACT_LIST && a->prefix) {
		pr_err("unexpected argument '%s': list takes no PREFIX", a->prefix);
		return RC_USAGE;
	}
	return a->prefix && parse_prefix(a->prefix, p) ? RC_USAGE : RC_OK;
}

static int run_list_cmd(const struct lists_args *a, const struct list_kind *k)
{
	struct prefix p;
	struct live l;
	int rc = check_args(a, k->name, &p);

	if (rc)
		return rc;
	if (live_lock(a->ifname, &l))
		rc = RC_FAIL;
	else if (a->action == ACT_LIST)
		rc = list(&l, k, a->json) ? RC_FAIL : RC_OK;
	else
		rc = change(&l, k, &p, a->action == ACT_ADD) ? RC_FAIL : RC_OK;
	live_unlock(&l);
	return rc;
}

static int run_allow(void *args)
{
	return run_list_cmd(args, &allow_list);
}

static int run_deny(void *args)
{
	return run_list_cmd(args, &deny_list);
}

static struct lists_args allow_args, deny_args;

const struct cmd cmd_allow = {
	.name = "allow",
	.summary = "manage the allow list: sources whose SYNs go to the kernel",
	.description = "Add, delete or list the source prefixes of IFACE's allow list. SYNs from\n"
		       "an allowed source skip the cookie path and go to the kernel, which\n"
		       "answers them with its full TCP options (counted in passed_allowed; the\n"
		       "deny list comes first). list shows each prefix with its hits.",
	.opts = lists_opts,
	.args = &allow_args,
	.needs_root = true,
	.run = run_allow,
};

const struct cmd cmd_deny = {
	.name = "deny",
	.summary = "manage the deny list: sources whose packets are dropped",
	.description = "Add, delete or list the source prefixes of IFACE's deny list. Packets from\n"
		       "a denied source to a protected port are dropped in XDP (counted in\n"
		       "drop_denied). list shows each prefix with its hits.",
	.opts = lists_opts,
	.args = &deny_args,
	.needs_root = true,
	.run = run_deny,
};
