// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - `shakeoff status [IFACE] [-j]`: the attachments of this network
 * namespace, read back from their pinned maps and links.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "pins.h"
#include "ports.h"
#include "secret.h"
#include "sys.h"
#include "tuneopts.h"

struct status_args {
	const char *ifname;
	bool json;
};

static const struct opt status_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "only this interface",
	  .type = OPT_IFNAME, .positional = true, .offset = offsetof(struct status_args, ifname) },
	{ .name = "json", .short_name = 'j', .help = "print JSON",
	  .type = OPT_FLAG, .offset = offsetof(struct status_args, json) },
	OPT_END
};

/* One attachment, as its pins describe it. */
struct attachment {
	const char *ifname;
	char dir[PATH_MAX];
	unsigned long netns;
	struct so_config cfg;
	struct so_ports ports;
	struct so_ports kports; /* of those, MPTCP listeners': SYNs to the kernel */
	char *kports_s;
	struct so_ports speak_first; /* read only when cfg.speak_first */
	struct so_secret secret;
	bool attached; /* the XDP link still has an interface */
	bool tcx;      /* the TC programs are TCX links; else clsact filters */
};

static int read_pinned(const char *dir, const char *map, void *value)
{
	__u32 zero = 0;
	int fd = pins_open(dir, map), err = 0;

	if (fd < 0) {
		pr_err("cannot open %s/%s: %s", dir, map, strerror(-fd));
		return -1;
	}
	if (bpf_map_lookup_elem(fd, &zero, value)) {
		err = -1;
		pr_err("cannot read %s/%s: %s", dir, map, strerror(errno));
	}
	close(fd);
	return err;
}


static int attachment_read(const char *ifname, struct attachment *at)
{
	memset(at, 0, sizeof(*at));
	at->ifname = ifname;
	if (netns_inode(&at->netns) || pins_find(ifname, at->dir, sizeof(at->dir)))
		return -1;
	if (read_pinned(at->dir, "config", &at->cfg) || read_pinned(at->dir, "ports", &at->ports) ||
	    read_pinned(at->dir, "secret", &at->secret) || read_pinned(at->dir, "kports", &at->kports) ||
	    (at->cfg.speak_first && read_pinned(at->dir, "speakfirst", &at->speak_first)))
		return -1;
	at->kports_s = ports_format(&at->kports);
	if (!at->kports_s) {
		pr_err("out of memory");
		return -1;
	}
	at->attached = pins_xdp_ifindex(at->dir) > 0;
	at->tcx = pins_tc_is_tcx(at->dir);
	return 0;
}

static const char *mode_name(const struct so_config *cfg)
{
	return cfg->xdp_mode == SO_XDP_SKB ? "skb" : "native";
}

static const char *tx_name(const struct so_config *cfg)
{
	return cfg->tx_mode == SO_TX_REDIRECT ? "redirect" : "xdp";
}

static const char *complete_name(const struct so_config *cfg)
{
	return cfg->complete <= SO_COMPLETE_KERNEL ? complete_names[cfg->complete] : "unknown";
}

static void json_options(struct json *j, __u32 options)
{
	json_key(j, "options");
	json_object_begin(j);
	json_kv_bool(j, "timestamps", options & SO_OPT_TIMESTAMPS);
	json_kv_bool(j, "sack", options & SO_OPT_SACK);
	json_kv_bool(j, "window_scaling", options & SO_OPT_WSCALE);
	json_kv_bool(j, "ecn", options & SO_OPT_ECN);
	json_object_end(j);
}

/* "speak_first": the ports whose SYNs the kernel answers while no flood is
 * on, "" for none. */
static void json_speak_first(struct json *j, const struct attachment *at)
{
	char *list = at->cfg.speak_first ? ports_format(&at->speak_first) : NULL;

	json_kv_str(j, "speak_first", list ? list : "");
	free(list);
}

/* A key's role in the ring: the first issues, the others validate, a key
 * kept after a random rekey retires (and is gone, to the programs, once
 * its time is up). In completion mode kernel every key is unused: the
 * cookies are the kernel's own, under its secret. */
static const char *key_role(const struct so_config *c, const struct so_key *k,
			    unsigned int slot, __u64 now)
{
	if (c->complete == SO_COMPLETE_KERNEL)
		return "unused";
	if (slot == 0)
		return "issuing";
	if (k->retire_tai_ns == 0)
		return "validating";
	return k->retire_tai_ns > now ? "retiring" : "retired";
}

/*
 * The host's clock, as adjtimex(2) says: timestamp cookies carry CLOCK_TAI,
 * so hosts sharing keys must agree on it within SO_COOKIE_SKEW_MS (and on
 * TAI's offset from UTC, which only a time daemon sets). Synchronised: a
 * daemon (chrony, ntpd, ptp4l via phc2sys) cleared STA_UNSYNC and the state
 * is not TIME_ERROR.
 */
struct clock_sync {
	bool synchronised;
	long max_error_us; /* the kernel's bound on the error (maxerror) */
	long est_error_us;
	int tai_offset_s;  /* CLOCK_TAI - CLOCK_REALTIME */
};

static void clock_sync_read(struct clock_sync *c)
{
	struct timex tx = { .modes = 0 };
	int state = adjtimex(&tx);

	c->synchronised = state >= 0 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
	c->max_error_us = tx.maxerror;
	c->est_error_us = tx.esterror;
	c->tai_offset_s = tx.tai;
}

static void json_clock(struct json *j)
{
	struct clock_sync c;

	clock_sync_read(&c);
	json_key(j, "clock");
	json_object_begin(j);
	json_kv_bool(j, "synchronised", c.synchronised);
	json_kv_uint(j, "max_error_us", c.max_error_us < 0 ? 0 : c.max_error_us);
	json_kv_uint(j, "est_error_us", c.est_error_us < 0 ? 0 : c.est_error_us);
	json_kv_uint(j, "tai_offset_s", c.tai_offset_s < 0 ? 0 : c.tai_offset_s);
	json_object_end(j);
}

static void print_clock(void)
{
	struct clock_sync c;

	clock_sync_read(&c);
	if (c.synchronised)
		printf("clock: synchronised, max error %ld us, TAI-UTC %d s\n", c.max_error_us,
		       c.tai_offset_s);
	else
		printf("clock: NOT synchronised (adjtimex: STA_UNSYNC or TIME_ERROR), max error "
		       "%ld us, TAI-UTC %d s: hosts sharing keys need chrony or PTP\n",
		       c.max_error_us, c.tai_offset_s);
}

static void json_keys(struct json *j, const struct so_config *c, const struct so_ring *r)
{
	__u64 now = clock_ns(CLOCK_TAI);
	char fp[16];

	json_key(j, "keys");
	json_array_begin(j);
	for (unsigned int i = 0; i < r->nkeys && i < SO_KEYS_MAX; i++) {
		const struct so_key *k = &r->key[i];

		snprintf(fp, sizeof(fp), "%08x", k->fp);
		json_object_begin(j);
		json_kv_str(j, "fingerprint", fp);
		json_kv_uint(j, "id", k->fp & SO_KEY_ID_MASK);
		json_kv_str(j, "role", key_role(c, k, i, now));
		json_kv_uint(j, "needed_s", key_needed_s(k, i, now));
		json_kv_uint(j, "retire_in_s", k->retire_tai_ns > now ?
			     (k->retire_tai_ns - now + 999999999) / 1000000000 : 0);
		json_object_end(j);
	}
	json_array_end(j);
}

static void print_keys(const struct attachment *at)
{
	const struct so_ring *r = &at->secret.ring[at->secret.gen & 1];
	__u64 now = clock_ns(CLOCK_TAI);

	for (unsigned int i = 0; i < r->nkeys && i < SO_KEYS_MAX; i++) {
		const struct so_key *k = &r->key[i];
		__u64 left = key_needed_s(k, i, now);

		printf("  key %08x %-10s", k->fp, key_role(&at->cfg, k, i, now));
		if (left)
			printf(" (its cookies may live %llu s more)", (unsigned long long)left);
		putchar('\n');
	}
}

static void print_json(struct json *j, const struct attachment *at, const char *ports)
{
	const struct so_config *c = &at->cfg;

	json_object_begin(j);
	json_kv_str(j, "ifname", at->ifname);
	json_kv_uint(j, "ifindex", c->ifindex);
	json_kv_uint(j, "netns", at->netns);
	json_kv_str(j, "pin_dir", at->dir);
	json_kv_str(j, "ports", ports);
	/* served by the kernel, not in XDP: their listener is MPTCP */
	json_kv_str(j, "mptcp_ports", at->kports_s);
	json_kv_str(j, "mode", mode_name(c));
	json_kv_str(j, "tx", tx_name(c));
	json_kv_str(j, "complete", complete_name(c));
	json_kv_str(j, "tc", at->tcx ? "tcx" : "clsact");
	json_kv_uint(j, "mss4", c->mss4);
	json_kv_uint(j, "mss6", c->mss6);
	json_kv_uint(j, "wscale", c->wscale);
	json_kv_uint(j, "ttl", c->ttl);
	json_options(j, c->options);
	json_kv_uint(j, "conn_max", c->conn_max);
	json_kv_uint(j, "synack_rate", c->synack_rate);
	json_kv_uint(j, "signed_rate", c->signed_rate);
	json_kv_str(j, "arm", c->arm <= SO_ARM_AUTO ? arm_names[c->arm] : "unknown");
	json_kv_uint(j, "threshold", c->arm_threshold);
	json_speak_first(j, at);
	json_kv_uint(j, "time_wait_s", c->time_wait_s);
	json_kv_uint(j, "idle_timeout_s", c->idle_timeout_s);
	json_kv_uint(j, "secret_gen", at->secret.gen);
	json_keys(j, c, &at->secret.ring[at->secret.gen & 1]);
	json_clock(j);
	json_kv_uint(j, "attached_at", c->attached_ns / 1000000000ull);
	json_kv_bool(j, "attached", at->attached);
	json_object_end(j);
}

/* The header and the rows, column for column. */
#define HEAD_FMT "%-15s %7s %-8s %-6s %-8s %-8s %-6s %-7s %5s %5s %6s %3s %-15s %8s %4s  %s\n"
#define ROW_FMT "%-15s %7u %-8s %-6s %-8s %-8s %-6s %-7s %5u %5u %6u %3u %-15s %8u %4u  %s\n"

static void print_header(void)
{
	printf(HEAD_FMT, "IFACE", "IFINDEX", "ATTACHED", "MODE", "TX", "COMPLETE", "TC", "ARM", "MSS4", "MSS6", "WSCALE",
	       "TTL", "OPTIONS", "CONN_MAX", "GEN", "PORTS");
}

static void print_row(const struct attachment *at, const char *ports)
{
	const struct so_config *c = &at->cfg;
	char opts[32];

	snprintf(opts, sizeof(opts), "%s%s%s%s", c->options & SO_OPT_TIMESTAMPS ? ",ts" : "",
		 c->options & SO_OPT_SACK ? ",sack" : "", c->options & SO_OPT_WSCALE ? ",wscale" : "",
		 c->options & SO_OPT_ECN ? ",ecn" : "");
	printf(ROW_FMT, at->ifname, c->ifindex, at->attached ? "yes" : "NO", mode_name(c),
	       tx_name(c), complete_name(c), at->tcx ? "tcx" : "clsact", c->arm <= SO_ARM_AUTO ? arm_names[c->arm] : "?", c->mss4, c->mss6, c->wscale, c->ttl, opts[0] ? opts + 1 : "none",
	       c->conn_max, at->secret.gen, ports);
	if (at->kports_s[0])
		printf("%-15s MPTCP listeners, SYNs to the kernel: %s\n", "", at->kports_s);
}

static void print_all(const struct attachment *at, char **ports, size_t count, bool json,
		      bool array)
{
	struct json j;

	json_init(&j, stdout);
	if (!json && count == 0)
		printf("no shakeoff attachment in this network namespace\n");
	else if (!json)
		print_header();
	if (json && array)
		json_array_begin(&j);
	for (size_t i = 0; i < count; i++) {
		if (json)
			print_json(&j, &at[i], ports[i]);
		else
			print_row(&at[i], ports[i]);
	}
	if (!json && count) /* the table, then a blank line, then the keys and the clock */
		putchar('\n');
	for (size_t i = 0; !json && i < count; i++) {
		printf("%s keys:\n", at[i].ifname);
		print_keys(&at[i]);
	}
	if (!json && count)
		print_clock();
	if (json && array)
		json_array_end(&j);
	if (json)
		putchar('\n');
}

/* Read every attachment first: on an error, print nothing but the error. */
static int show(char **names, size_t count, bool json, bool array)
{
	struct attachment *at = calloc(count ? count : 1, sizeof(*at));
	char **ports = calloc(count ? count : 1, sizeof(*ports));
	int err = at && ports ? 0 : -1;

	if (err)
		pr_err("out of memory");
	for (size_t i = 0; i < count && !err; i++) {
		err = attachment_read(names[i], &at[i]);
		if (!err && !(ports[i] = ports_format(&at[i].ports))) {
			pr_err("out of memory");
			err = -1;
		}
	}
	if (!err)
		print_all(at, ports, count, json, array);
	for (size_t i = 0; ports && i < count; i++)
		free(ports[i]);
	for (size_t i = 0; at && i < count; i++)
		free(at[i].kports_s);
	free(ports);
	free(at);
	return err;
}

static int run_status(void *args)
{
	struct status_args *a = args;
	char **names = NULL;
	size_t count = 0;
	int err;

	pins_clean_stale();
	if (a->ifname)
		return show((char **)&a->ifname, 1, a->json, false) ? RC_FAIL : RC_OK;
	err = pins_list(&names, &count);
	if (err)
		pr_err("cannot list the attachments of this network namespace: %s", strerror(-err));
	else
		err = show(names, count, a->json, true);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return err ? RC_FAIL : RC_OK;
}

static struct status_args status_args;

const struct cmd cmd_status = {
	.name = "status",
	.summary = "show the attachments of this network namespace",
	.description = "Show every attachment of this network namespace, or only IFACE's, as\n"
		       "read back from the pinned maps, then each one's cookie keys: their\n"
		       "fingerprints (a hash, never the key) and roles (issuing, validating,\n"
		       "retiring; unused in completion mode kernel), and whether the host's clock is synchronised (adjtimex(2):\n"
		       "cookies carry CLOCK_TAI), and the ports whose SYNs go to the kernel\n"
		       "because their listener is MPTCP. With -j: a JSON array of objects (one\n"
		       "object with IFACE; those ports in mptcp_ports).",
	.opts = status_opts,
	.args = &status_args,
	.needs_root = true,
	.run = run_status,
};
