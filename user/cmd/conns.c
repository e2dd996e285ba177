// SPDX-License-Identifier: GPL-2.0
/*
 * conns.c - `shakeoff conns IFACE [--state S] [--port P] [--client PREFIX]
 * [--count] [-j]`: the connection table (pinned map "conns", read in
 * batches), one row per connection, sorted by server port, client address,
 * client port; or the number per state. Entries the idle timeout has taken
 * (so_conn_dead(): the data path deletes them when it meets them) are not
 * shown. State names come from SO_CONN_STATES in shakeoff.h, never from a
 * list kept here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "endpoint.h"
#include "json.h"
#include "log.h"
#include "mapwalk.h"
#include "pins.h"
#include "ports.h"
#include "prefix.h"
#include "shakeoff.h"
#include "sys.h"

static const char *const state_names[] = {
#define SO_X_NAME(id, name) [SO_ST_##id] = #name,
	SO_CONN_STATES(SO_X_NAME)
#undef SO_X_NAME
	NULL
};

static const char *const closer_names[] = { [SO_CLOSER_NONE] = NULL,
					    [SO_CLOSER_CLIENT] = "client",
					    [SO_CLOSER_SERVER] = "server" };

struct conns_args {
	const char *ifname;
	int state; /* enum so_conn_state, -1: all */
	struct opt_uint port;
	const char *client;
	bool count;
	bool json;
};

static const struct opt conns_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = offsetof(struct conns_args, ifname) },
	{ .name = "state", .short_name = 's', .metavar = "STATE", .help = "only the connections in this state",
	  .type = OPT_ENUM, .choices = state_names, .offset = offsetof(struct conns_args, state) },
	{ .name = "port", .short_name = 'p', .metavar = "PORT", .help = "only the connections to this server port",
	  .type = OPT_UINT, .min = 1, .max = PORT_MAX, .offset = offsetof(struct conns_args, port) },
	{ .name = "client", .short_name = 'c', .metavar = "PREFIX",
	  .help = "only the connections from clients in PREFIX (a.b.c.d/len, IPv6/len, or one address)",
	  .type = OPT_STRING, .offset = offsetof(struct conns_args, client) },
	{ .name = "count", .help = "print the number of connections per state instead (-j: an object)",
	  .type = OPT_FLAG, .offset = offsetof(struct conns_args, count) },
	{ .name = "json", .short_name = 'j', .help = "print a JSON array of objects",
	  .type = OPT_FLAG, .offset = offsetof(struct conns_args, json) },
	OPT_END
};

/* 112 bytes a row: a million rows fit in 112 MB (the text is made as it
 * is printed). */
struct row {
	struct so_flow_key key;
	struct so_conn conn;
};

struct rows {
	struct row *v;
	size_t n, cap;
	int state;   /* filter, -1: none */
	__u16 port;  /* filter (host order), 0: none */
	bool client; /* filter by prefix */
	struct prefix prefix;
	__u32 w_dead; /* the idle wheel: entries expired and counted up to here */
	bool count;  /* count per state, keep no rows */
	__u64 counts[SO_ST_MAX];
};

static bool in_prefix(const struct so_flow_key *k, const struct prefix *p)
{
	const __u8 *a = (const __u8 *)k->saddr;
	unsigned int full = p->len / 8, rest = p->len % 8;

	if ((k->family == SO_AF_INET6) != (p->v6 != 0))
		return false;
	if (memcmp(a, p->addr, full))
		return false;
	return !rest || ((a[full] ^ p->addr[full]) & (0xff00 >> rest)) == 0;
}

static bool row_wanted(const struct rows *rows, const struct so_flow_key *k,
		       const struct so_conn *c)
{
	if (so_conn_dead(c, rows->w_dead))
		return false;
	if (rows->state >= 0 && c->state != rows->state)
		return false;
	if (rows->port && ntohs(k->dport) != rows->port)
		return false;
	return !rows->client || in_prefix(k, &rows->prefix);
}

static int add_row(const void *key, const void *value, void *ctx)
{
	const struct so_conn *c = value;
	struct rows *rows = ctx;

	if (!row_wanted(rows, key, c))
		return 0;
	if (rows->count) {
		rows->counts[c->state < SO_ST_MAX ? c->state : 0]++;
		return 0;
	}
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 256;
		struct row *v = realloc(rows->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rows->v = v;
		rows->cap = cap;
	}
	memcpy(&rows->v[rows->n].key, key, sizeof(struct so_flow_key));
	rows->v[rows->n++].conn = *c;
	return 0;
}

/* Server port, then client family and address, then client port. */
static int cmp_rows(const void *a, const void *b)
{
	const struct so_flow_key *x = &((const struct row *)a)->key;
	const struct so_flow_key *y = &((const struct row *)b)->key;
	int d = (int)ntohs(x->dport) - (int)ntohs(y->dport);

	if (!d)
		d = (int)x->family - (int)y->family;
	if (!d)
		d = memcmp(x->saddr, y->saddr, sizeof(x->saddr));
	if (!d)
		d = (int)ntohs(x->sport) - (int)ntohs(y->sport);
	return d;
}

static void addr_str(__u8 family, const __be32 *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == SO_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
}

/* How far the idle timeout has reached, as counted in expired_idle
 * (struct so_sweeper.w_counted: one tick behind w_dead, which the data
 * path goes by), so that an entry leaves conns as stats counts it. */
static int read_w_dead(const char *dir, __u32 *w_dead)
{
	struct so_sweeper s;
	__u32 zero = 0;
	int fd = pins_open(dir, "sweeper");

	if (fd < 0) {
		pr_err("cannot open %s/sweeper: %s", dir, strerror(-fd));
		return -1;
	}
	if (bpf_map_lookup_elem(fd, &zero, &s)) {
		pr_err("cannot read %s/sweeper: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	*w_dead = s.w_counted;
	return 0;
}

static int read_rows(const char *ifname, struct rows *rows)
{
	char dir[PATH_MAX];
	int fd, err;

	if (pins_find(ifname, dir, sizeof(dir)) || read_w_dead(dir, &rows->w_dead))
		return -1;
	fd = pins_open(dir, "conns");
	if (fd < 0) {
		pr_err("cannot open %s/conns: %s", dir, strerror(-fd));
		return -1;
	}
	err = mapwalk(fd, sizeof(struct so_flow_key), sizeof(struct so_conn), add_row, rows);
	close(fd);
	if (err) {
		pr_err("cannot read the connection table of %s: %s", ifname, strerror(-err));
		return -1;
	}
	qsort(rows->v, rows->n, sizeof(*rows->v), cmp_rows);
	return 0;
}

static unsigned long long since_ms(unsigned long long now, __u64 t)
{
	return now > t ? (now - t) / 1000000 : 0;
}

static void json_fin_seq(struct json *j, const char *key, bool seen, __u32 seq)
{
	if (seen)
		json_kv_uint(j, key, seq);
	else
		json_kv_null(j, key);
}

static void print_json_row(struct json *j, const struct row *r, unsigned long long now)
{
	const struct so_conn *c = &r->conn;
	const char *closer = c->closed_by <= SO_CLOSER_SERVER ? closer_names[c->closed_by] : NULL;
	char a[INET6_ADDRSTRLEN];

	json_object_begin(j);
	addr_str(r->key.family, r->key.saddr, a, sizeof(a));
	json_kv_str(j, "saddr", a);
	addr_str(r->key.family, r->key.daddr, a, sizeof(a));
	json_kv_str(j, "daddr", a);
	json_kv_uint(j, "sport", ntohs(r->key.sport));
	json_kv_uint(j, "dport", ntohs(r->key.dport));
	json_kv_uint(j, "family", r->key.family);
	json_kv_str(j, "state", c->state < SO_ST_MAX ? state_names[c->state] : "unknown");
	if (closer)
		json_kv_str(j, "closed_by", closer);
	else
		json_kv_null(j, "closed_by");
	/* false until the server's socket has shown itself (a segment from
	 * it, or found by a later cookie ACK): see SO_CF_UNCONFIRMED */
	json_kv_bool(j, "socket_seen", !(c->flags & SO_CF_UNCONFIRMED));
	json_kv_uint(j, "age_ms", since_ms(now, c->t_established));
	json_kv_uint(j, "idle_ms", since_ms(now, c->t_last));
	if (c->closed_by != SO_CLOSER_NONE)
		json_kv_uint(j, "first_fin_ms", since_ms(now, c->t_first_fin));
	else
		json_kv_null(j, "first_fin_ms");
	json_fin_seq(j, "fin_seq_client", c->flags & SO_CF_CLIENT_FIN, c->fin_seq_client);
	json_fin_seq(j, "fin_seq_server", c->flags & SO_CF_SERVER_FIN, c->fin_seq_server);
	json_kv_uint(j, "pkts_in", c->pkts_in);
	json_kv_uint(j, "pkts_out", c->pkts_out);
	json_kv_uint(j, "bytes_in", c->bytes_in);
	json_kv_uint(j, "bytes_out", c->bytes_out);
	json_object_end(j);
}

/* "12.3s", "5m03s", "2h07m", "3d04h" */
static void age_str(unsigned long long ms, char *buf, size_t len)
{
	unsigned long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llu.%llus", s, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, s % 86400 / 3600);
}

/* "198.18.0.1:40000", "[2001:2::1]:40000" */
static void row_ends(const struct row *r, char *client, char *server, size_t len)
{
	endpoint_format(r->key.family == SO_AF_INET6, r->key.saddr, ntohs(r->key.sport), client, len);
	endpoint_format(r->key.family == SO_AF_INET6, r->key.daddr, ntohs(r->key.dport), server, len);
}

static void print_table(const struct rows *rows, unsigned long long now)
{
	int cw = 6, sw = 6; /* "CLIENT", "SERVER" */
	char client[64], server[64];

	for (size_t i = 0; i < rows->n; i++) {
		row_ends(&rows->v[i], client, server, sizeof(client));
		cw = (int)strlen(client) > cw ? (int)strlen(client) : cw;
		sw = (int)strlen(server) > sw ? (int)strlen(server) : sw;
	}
	printf("%-*s  %-*s  %-12s %7s %-6s %8s %8s %10s %10s\n", cw, "CLIENT", sw, "SERVER",
	       "STATE", "AGE", "CLOSED", "PKTS_IN", "PKTS_OUT", "BYTES_IN", "BYTES_OUT");
	for (size_t i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		const struct so_conn *c = &r->conn;
		const char *closer = c->closed_by <= SO_CLOSER_SERVER ? closer_names[c->closed_by]
								      : "?";
		char age[16];

		row_ends(r, client, server, sizeof(client));
		age_str(since_ms(now, c->t_established), age, sizeof(age));
		printf("%-*s  %-*s  %-12s %7s %-6s %8llu %8llu %10llu %10llu\n", cw, client, sw,
		       server, c->state < SO_ST_MAX ? state_names[c->state] : "unknown", age,
		       closer ? closer : "-", (unsigned long long)c->pkts_in,
		       (unsigned long long)c->pkts_out, (unsigned long long)c->bytes_in,
		       (unsigned long long)c->bytes_out);
	}
}

static void print_rows(const struct conns_args *a, const struct rows *rows)
{
	unsigned long long now = clock_ns(CLOCK_MONOTONIC); /* = bpf_ktime_get_ns() */
	struct json j;

	if (!a->json && rows->n == 0) {
		printf("no connections%s%s in the table of %s\n", a->state >= 0 ? " in state " : "",
		       a->state >= 0 ? state_names[a->state] : "", a->ifname);
		return;
	}
	if (!a->json) {
		print_table(rows, now);
		return;
	}
	json_init(&j, stdout);
	json_array_begin(&j);
	for (size_t i = 0; i < rows->n; i++)
		print_json_row(&j, &rows->v[i], now);
	json_array_end(&j);
	putchar('\n');
}

/* conns --count: every state, then the total. */
static void print_counts(const struct conns_args *a, const struct rows *rows)
{
	__u64 total = 0;
	struct json j;

	if (a->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
	}
	for (int i = 0; i < SO_ST_MAX; i++) {
		total += rows->counts[i];
		if (a->json)
			json_kv_uint(&j, state_names[i], rows->counts[i]);
		else
			printf("%-12s %llu\n", state_names[i], (unsigned long long)rows->counts[i]);
	}
	if (a->json) {
		json_kv_uint(&j, "total", total);
		json_object_end(&j);
		putchar('\n');
	} else {
		printf("%-12s %llu\n", "total", (unsigned long long)total);
	}
}

static int run_conns(void *args)
{
	struct conns_args *a = args;
	struct rows rows = { .state = a->state, .count = a->count,
			     .port = a->port.set ? a->port.val : 0 };
	int err;

	if (a->client) {
		if (parse_prefix(a->client, &rows.prefix))
			return RC_USAGE;
		rows.client = true;
	}
	err = read_rows(a->ifname, &rows);
	if (!err && a->count)
		print_counts(a, &rows);
	else if (!err)
		print_rows(a, &rows);
	free(rows.v);
	return err ? RC_FAIL : RC_OK;
}

static struct conns_args conns_args = { .state = -1 };

const struct cmd cmd_conns = {
	.name = "conns",
	.summary = "list the connections shakeoff follows",
	.description = "List the connection table of IFACE's attachment: every connection shakeoff\n"
		       "created, from the handshake to its close, with its state as the server's\n"
		       "socket sees it (RFC 9293 names), its age, who sent the first FIN, and\n"
		       "packets and bytes in (client to server) and out. Sorted by server port,\n"
		       "client address and client port. With -j: an array of objects with the\n"
		       "keys saddr, daddr, sport, dport, family, state, closed_by, socket_seen\n"
		       "(whether the server's socket has shown itself yet), age_ms, idle_ms,\n"
		       "first_fin_ms (since the first FIN, or null), fin_seq_client,\n"
		       "fin_seq_server, pkts_in, pkts_out, bytes_in, bytes_out. Packets are\n"
		       "counted as the stack sees them: a GRO aggregate or a GSO send is one.\n"
		       "--state, --port and --client filter; --count prints the number of\n"
		       "connections per state and the total instead (-j: one object keyed by\n"
		       "state name, and total). The table is read in batches: a million\n"
		       "entries take about a second.",
	.opts = conns_opts,
	.args = &conns_args,
	.needs_root = true,
	.run = run_conns,
};
