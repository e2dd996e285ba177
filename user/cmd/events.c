// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - `shakeoff events IFACE [-j] [filters]`: connection events
 * (open, fin, close) as they happen, from the ring buffer "events"; with
 * --drops, samples of the packets the XDP program drops, from the ring
 * "drops", optionally written to a pcapng file (-w).
 *
 * While it runs, it sets its bit of so_config.listen (bpf/events.h says
 * why a flag) and clears it on its way out, SIGINT and SIGTERM included;
 * a ring has one reader (its consumer position is shared), so a second
 * events of the same kind on the same interface is refused: each holds an
 * exclusive flock of /run/shakeoff/<kind>-<netns>-<ifindex>.lock. One
 * killed outright leaves the flag on until the next one ends: the programs
 * then find the ring full and count the events as lost.
 *
 * Times: the programs stamp bpf_ktime_get_ns() (CLOCK_MONOTONIC); the
 * output is in ns since the epoch, converted with the offset between the
 * two clocks, read afresh at each wake-up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <netinet/in.h>

#include "cli.h"
#include "endpoint.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "pcapng.h"
#include "pins.h"
#include "ports.h"
#include "prefix.h"
#include "sample.h"
#include "stop.h"
#include "sys.h"

#define LOCK_DIR "/run/shakeoff"
/* The programs wake the reader only when a ring is a quarter full
 * (bpf/events.h): it looks by itself this often. */
#define POLL_MS 100
#define RATE_MAX 1000000

struct events_args {
	const char *ifname;
	bool json, drops;
	struct opt_uint port, rate, count;
	const char *client, *types, *reasons, *write;
};

#define ARG(f) offsetof(struct events_args, f)

static const struct opt events_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "the interface", .type = OPT_IFNAME,
	  .required = true, .positional = true, .offset = ARG(ifname) },
	{ .name = "json", .short_name = 'j', .help = "print one JSON object per line",
	  .type = OPT_FLAG, .offset = ARG(json) },
	{ .name = "port", .help = "only connections (or drops) to this server port",
	  .type = OPT_UINT, .min = 1, .max = PORT_MAX, .offset = ARG(port) },
	{ .name = "client", .metavar = "PREFIX",
	  .help = "only clients (or sources) in PREFIX, e.g. 198.18.0.0/24",
	  .type = OPT_STRING, .offset = ARG(client) },
	{ .name = "type", .metavar = "LIST", .help = "only these events: open,fin,close",
	  .type = OPT_STRING, .offset = ARG(types) },
	{ .name = "count", .help = "stop after N events (default: run until interrupted)",
	  .type = OPT_UINT, .min = 1, .max = 1000000000, .offset = ARG(count) },
	{ .name = "drops", .short_name = 'd',
	  .help = "show samples of the packets XDP drops instead of connection events",
	  .type = OPT_FLAG, .offset = ARG(drops) },
	{ .name = "reason", .metavar = "LIST",
	  .help = "--drops: only these reasons, e.g. drop_bad_tcp_csum,ack_cookie_invalid",
	  .type = OPT_STRING, .offset = ARG(reasons) },
	{ .name = "rate", .help = "--drops: at most N samples per second, all CPUs (default: "
				  "100)", .type = OPT_UINT, .min = 1, .max = RATE_MAX,
	  .offset = ARG(rate) },
	{ .name = "write", .short_name = 'w', .metavar = "FILE",
	  .help = "--drops: also write the samples to FILE, pcapng, the reason in each "
		  "packet's comment",
	  .type = OPT_STRING, .offset = ARG(write) },
	OPT_END
};

static const char *const type_names[] = { [SO_EV_OPEN] = "open", [SO_EV_FIN] = "fin",
					  [SO_EV_CLOSE] = "close" };
static const char *const reason_names[SO_END_MAX] = {
#define SO_X_NAME(id, name) [SO_END_##id] = #name,
	SO_END_REASONS(SO_X_NAME)
#undef SO_X_NAME
};
static const char *const state_names[SO_ST_MAX] = {
#define SO_X_NAME(id, name) [SO_ST_##id] = #name,
	SO_CONN_STATES(SO_X_NAME)
#undef SO_X_NAME
};
static const char *const side_names[] = { [SO_CLOSER_NONE] = NULL,
					  [SO_CLOSER_CLIENT] = "client",
					  [SO_CLOSER_SERVER] = "server" };

/* What the reader needs while records come in. */
struct reader {
	const struct events_args *a;
	__u8 types;       /* bit per enum so_event_type; 0: all */
	__u64 reasons[2]; /* --reason, as in struct so_evconf */
	struct prefix client;
	bool has_client;
	long long offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	unsigned long long shown;
	FILE *pcap;
	int stats_fd, ncpus;
	struct so_stats *percpu;
	__u64 lost_seen; /* the loss counter when last reported */
	enum so_counter lost_counter;
	int err;
};

static const char *name_of(const char *const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : NULL;
}

#define NAME(names, i) name_of(names, sizeof(names) / sizeof(names[0]), i)

static void clock_offset(struct reader *r)
{
	unsigned long long m1 = clock_ns(CLOCK_MONOTONIC), real = clock_ns(CLOCK_REALTIME),
			   m2 = clock_ns(CLOCK_MONOTONIC);

	r->offset_ns = (long long)real - (long long)(m1 + (m2 - m1) / 2);
}

static unsigned long long epoch_ns(const struct reader *r, __u64 mono)
{
	return mono + r->offset_ns;
}

/* "12:34:56.789012", local time. */
static void clock_str(unsigned long long ns, char *buf, size_t len)
{
	time_t s = ns / 1000000000ull;
	struct tm tm;

	localtime_r(&s, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ns % 1000000000ull / 1000);
}

static void json_addr(struct json *j, const char *key, int v6, const void *addr)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(v6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	json_kv_str(j, key, a);
}

static void json_kv_opt_str(struct json *j, const char *key, const char *s)
{
	if (s)
		json_kv_str(j, key, s);
	else
		json_kv_null(j, key);
}

static void json_kv_opt_bool(struct json *j, const char *key, bool known, bool v)
{
	if (known)
		json_kv_bool(j, key, v);
	else
		json_kv_null(j, key);
}

static void json_kv_time(struct json *j, const struct reader *r, const char *key, __u64 mono)
{
	if (mono)
		json_kv_uint(j, key, epoch_ns(r, mono));
	else
		json_kv_null(j, key);
}

/* --- connection events ------------------------------------------------------ */

/* When the connection ended: the RST for a reset, else its last segment. */
static __u64 end_time(const struct so_event *e)
{
	return e->reason == SO_END_RESET || !e->t_last ? e->t_ns : e->t_last;
}

/* Every key in every open event; null for what is not known: the MSS of
 * the kernel's cookie (under its secret), every option of a kernel cookie
 * kfunc mode let pass, the age without timestamps. */
static void open_json(struct json *j, const struct so_event *e)
{
	bool known = e->opts_known;

	json_kv_str(j, "cookie", e->cookie == SO_COOKIE_OURS ? "shakeoff" : "kernel");
	if (e->mss)
		json_kv_uint(j, "mss", e->mss);
	else
		json_kv_null(j, "mss");
	if (known && e->snd_wscale != SO_WS_NONE) {
		json_kv_uint(j, "snd_wscale", e->snd_wscale);
		json_kv_uint(j, "rcv_wscale", e->rcv_wscale);
	} else {
		json_kv_null(j, "snd_wscale");
		json_kv_null(j, "rcv_wscale");
	}
	json_kv_opt_bool(j, "sack", known, e->sack);
	json_kv_opt_bool(j, "timestamps", known, e->tstamp);
	json_kv_opt_bool(j, "ecn", known, e->ecn);
	if (e->cookie_age_ms != SO_AGE_UNKNOWN)
		json_kv_uint(j, "cookie_age_ms", e->cookie_age_ms);
	else
		json_kv_null(j, "cookie_age_ms");
}

static void figures_json(struct json *j, const struct reader *r, const struct so_event *e)
{
	json_kv_opt_str(j, "closed_by", NAME(side_names, e->closed_by));
	json_kv_time(j, r, "established_ns", e->t_established);
	json_kv_time(j, r, "first_fin_ns", e->t_first_fin);
	json_kv_time(j, r, "last_ns", e->t_last);
	json_kv_uint(j, "pkts_in", e->pkts_in);
	json_kv_uint(j, "pkts_out", e->pkts_out);
	json_kv_uint(j, "bytes_in", e->bytes_in);
	json_kv_uint(j, "bytes_out", e->bytes_out);
}

/* An eviction found by housekeeping (bpf/sweeper.h, twq_gone): the 4-tuple
 * alone, the entry's figures went with it. */
static bool figures_gone(const struct so_event *e)
{
	return e->reason == SO_END_EVICTED && !e->t_established;
}

static void gone_json(struct json *j)
{
	static const char *const keys[] = { "duration_ns", "closed_by", "established_ns",
					    "first_fin_ns", "last_ns", "pkts_in", "pkts_out",
					    "bytes_in", "bytes_out" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_kv_null(j, keys[i]);
}

static void event_json(const struct reader *r, const struct so_event *e)
{
	int v6 = e->key.family == SO_AF_INET6;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_str(&j, "type", NAME(type_names, e->type) ?: "unknown");
	json_kv_uint(&j, "time_ns", epoch_ns(r, e->t_ns));
	json_kv_uint(&j, "family", v6 ? 6 : 4);
	json_addr(&j, "saddr", v6, e->key.saddr);
	json_kv_uint(&j, "sport", ntohs(e->key.sport));
	json_addr(&j, "daddr", v6, e->key.daddr);
	json_kv_uint(&j, "dport", ntohs(e->key.dport));
	json_kv_opt_str(&j, "state", NAME(state_names, e->state));
	if (e->type == SO_EV_OPEN) {
		open_json(&j, e);
	} else if (e->type == SO_EV_FIN) {
		json_kv_opt_str(&j, "side", NAME(side_names, e->side));
		figures_json(&j, r, e);
	} else {
		json_kv_opt_str(&j, "reason", NAME(reason_names, e->reason));
		json_kv_opt_str(&j, "reset_by",
				e->reason == SO_END_RESET ? NAME(side_names, e->side) : NULL);
		if (figures_gone(e)) {
			gone_json(&j);
		} else {
			json_kv_uint(&j, "duration_ns", end_time(e) - e->t_established);
			figures_json(&j, r, e);
		}
	}
	json_object_end(&j);
	putchar('\n');
}

static void event_details(const struct so_event *e, char *buf, size_t len)
{
	if (e->type == SO_EV_OPEN && !e->opts_known) {
		snprintf(buf, len, "kernel's cookie, options unknown");
	} else if (e->type == SO_EV_OPEN) {
		char mss[8] = "-", ws[16] = "-", age[24] = "?";

		if (e->mss)
			snprintf(mss, sizeof(mss), "%u", e->mss);
		if (e->snd_wscale != SO_WS_NONE)
			snprintf(ws, sizeof(ws), "%u/%u", e->snd_wscale, e->rcv_wscale);
		if (e->cookie_age_ms != SO_AGE_UNKNOWN)
			snprintf(age, sizeof(age), "%.1fs", e->cookie_age_ms / 1000.0);
		snprintf(buf, len, "%smss %s wscale %s%s%s%s, cookie age %s",
			 e->cookie == SO_COOKIE_OURS ? "" : "kernel's cookie: ", mss, ws,
			 e->sack ? " sack" : "", e->tstamp ? " ts" : "", e->ecn ? " ecn" : "", age);
	} else if (e->type == SO_EV_FIN) {
		snprintf(buf, len, "from the %s", NAME(side_names, e->side) ?: "?");
	} else if (figures_gone(e)) {
		snprintf(buf, len, "evicted (its figures went with the entry)");
	} else {
		const char *by = e->reason == SO_END_RESET ? NAME(side_names, e->side) : NULL;
		const char *first = NAME(side_names, e->closed_by);

		snprintf(buf, len, "%s%s%s%s%s, %.3f s, in %llu pkts %llu B, out %llu pkts %llu B",
			 NAME(reason_names, e->reason) ?: "?", by ? " by the " : "", by ?: "",
			 first ? ", first FIN from the " : "", first ?: "",
			 (end_time(e) - e->t_established) / 1e9, (unsigned long long)e->pkts_in,
			 (unsigned long long)e->bytes_in, (unsigned long long)e->pkts_out,
			 (unsigned long long)e->bytes_out);
	}
}

static void event_human(const struct reader *r, const struct so_event *e)
{
	char t[32], cli[64], srv[64], details[160];
	int v6 = e->key.family == SO_AF_INET6;

	clock_str(epoch_ns(r, e->t_ns), t, sizeof(t));
	endpoint_format(v6, e->key.saddr, ntohs(e->key.sport), cli, sizeof(cli));
	endpoint_format(v6, e->key.daddr, ntohs(e->key.dport), srv, sizeof(srv));
	event_details(e, details, sizeof(details));
	printf("%-15s  %-5s  %-30s  %-26s  %s\n", t, NAME(type_names, e->type) ?: "?", cli, srv,
	       details);
}

static bool event_wanted(const struct reader *r, const struct so_event *e)
{
	const struct events_args *a = r->a;

	if (r->types && (e->type >= 8 * sizeof(r->types) || !(r->types & (1u << e->type))))
		return false;
	if (a->port.set && ntohs(e->key.dport) != a->port.val)
		return false;
	return !r->has_client || prefix_match(&r->client, e->key.family == SO_AF_INET6,
					       e->key.saddr);
}

/* --- drop samples ------------------------------------------------------------- */

/* The byte of the TCP header that holds FIN..CWR (RFC 9293, 3.1). */
#define TCP_FLAGS_OFF 13
/* The 4 bytes a VLAN tag adds (<linux/if_vlan.h> is kernel-internal). */
#define VLAN_HLEN 4

/* What the first bytes of a sample say: a TCP segment's ends, if it is one. */
struct pkt_info {
	bool tcp;
	int v6;
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u8 flags;
};

static void pkt_info(const __u8 *d, __u32 len, struct pkt_info *pi)
{
	__u32 off = offsetof(struct ethhdr, h_proto), l4;
	__u16 proto;

	memset(pi, 0, sizeof(*pi));
	/* up to two VLAN tags (802.1ad outer, 802.1Q inner), as the XDP parser takes */
	for (int tags = 0; tags <= 2; tags++, off += VLAN_HLEN) {
		if (off + sizeof(__be16) > len)
			return;
		proto = d[off] << 8 | d[off + 1];
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
	}
	off += sizeof(__be16);
	if (proto == ETH_P_IP && off + sizeof(struct iphdr) <= len &&
	    d[off + offsetof(struct iphdr, protocol)] == IPPROTO_TCP) {
		memcpy(pi->saddr, d + off + offsetof(struct iphdr, saddr), 4);
		memcpy(pi->daddr, d + off + offsetof(struct iphdr, daddr), 4);
		l4 = off + (d[off] & 0xf) * 4; /* ihl: 32-bit words */
	} else if (proto == ETH_P_IPV6 && off + sizeof(struct ipv6hdr) <= len &&
		   d[off + offsetof(struct ipv6hdr, nexthdr)] == IPPROTO_TCP) {
		pi->v6 = 1;
		memcpy(pi->saddr, d + off + offsetof(struct ipv6hdr, saddr), 16);
		memcpy(pi->daddr, d + off + offsetof(struct ipv6hdr, daddr), 16);
		l4 = off + sizeof(struct ipv6hdr);
	} else {
		return;
	}
	if (l4 + TCP_FLAGS_OFF + 1 > len)
		return;
	pi->tcp = true;
	pi->sport = d[l4] << 8 | d[l4 + 1];
	pi->dport = d[l4 + 2] << 8 | d[l4 + 3];
	pi->flags = d[l4 + TCP_FLAGS_OFF];
}

/* "SA", "F.", as tcpdump prints TCP flags ('.' for ACK). */
static void flags_str(__u8 f, char *buf)
{
	static const struct { __u8 bit; char c; } map[] = {
		{ 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' }, { 0x08, 'P' }, { 0x20, 'U' },
		{ 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (f & map[i].bit)
			buf[n++] = map[i].c;
	buf[n] = '\0';
}

static bool drop_wanted(const struct reader *r, const struct pkt_info *pi)
{
	if (r->a->port.set && (!pi->tcp || pi->dport != r->a->port.val))
		return false;
	return !r->has_client || (pi->tcp && prefix_match(&r->client, pi->v6, pi->saddr));
}

static void drop_print(const struct reader *r, const struct so_drop *d, const struct pkt_info *pi)
{
	const char *reason = d->reason < SO_C_MAX ? counter_key[d->reason] : "unknown";
	unsigned long long ns = epoch_ns(r, d->t_ns);
	char flags[12], src[64], dst[64], t[32];
	struct json j;

	flags_str(pi->flags, flags);
	endpoint_format(pi->v6, pi->saddr, pi->sport, src, sizeof(src));
	endpoint_format(pi->v6, pi->daddr, pi->dport, dst, sizeof(dst));
	if (!r->a->json) {
		clock_str(ns, t, sizeof(t));
		if (pi->tcp)
			printf("%-15s  %-22s  %s > %s [%s] len %u\n", t, reason, src, dst, flags,
			       d->len);
		else
			printf("%-15s  %-22s  not TCP/IP, len %u\n", t, reason, d->len);
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j);
	json_kv_str(&j, "type", "drop");
	json_kv_uint(&j, "time_ns", ns);
	json_kv_str(&j, "reason", reason);
	json_kv_uint(&j, "len", d->len);
	json_kv_uint(&j, "caplen", d->caplen);
	if (pi->tcp) {
		json_kv_uint(&j, "family", pi->v6 ? 6 : 4);
		json_addr(&j, "saddr", pi->v6, pi->saddr);
		json_kv_uint(&j, "sport", pi->sport);
		json_addr(&j, "daddr", pi->v6, pi->daddr);
		json_kv_uint(&j, "dport", pi->dport);
		json_kv_str(&j, "tcp_flags", flags);
	}
	json_object_end(&j);
	putchar('\n');
}

static int drop_write(struct reader *r, const struct so_drop *d)
{
	char comment[80];
	__u32 caplen = d->caplen < SO_DROP_SNAP ? d->caplen : SO_DROP_SNAP;

	snprintf(comment, sizeof(comment), "shakeoff: %s",
		 d->reason < SO_C_MAX ? counter_key[d->reason] : "unknown");
	if (pcapng_packet(r->pcap, epoch_ns(r, d->t_ns), d->data, caplen, d->len, comment)) {
		pr_err("cannot write %s: %s", r->a->write, strerror(errno ?: EIO));
		return -1;
	}
	return 0;
}

/* --- the ring --------------------------------------------------------------------- */

static int on_record(void *ctx, void *data, size_t size)
{
	struct reader *r = ctx;
	const struct events_args *a = r->a;

	if (a->drops) {
		const struct so_drop *d = data;
		struct pkt_info pi;

		if (size < sizeof(*d))
			return 0;
		pkt_info(d->data, d->caplen < SO_DROP_SNAP ? d->caplen : SO_DROP_SNAP, &pi);
		if (!drop_wanted(r, &pi))
			return 0;
		drop_print(r, d, &pi);
		if (r->pcap && drop_write(r, d)) {
			r->err = -1;
			return -1;
		}
	} else {
		const struct so_event *e = data;

		if (size < sizeof(*e) || !event_wanted(r, e))
			return 0;
		if (a->json)
			event_json(r, e);
		else
			event_human(r, e);
	}
	r->shown++;
	if (fflush(stdout) || ferror(stdout))
		stop_requested = 1; /* the reader of our output is gone (| head): done */
	/* a negative return stops ring_buffer__poll(): --count reached */
	return a->count.set && r->shown >= a->count.val ? -1 : 0;
}

static __u64 read_lost(const struct reader *r)
{
	__u32 zero = 0;
	__u64 sum = 0;

	if (bpf_map_lookup_elem(r->stats_fd, &zero, r->percpu))
		return r->lost_seen;
	for (int cpu = 0; cpu < r->ncpus; cpu++)
		sum += *so_stats_slot(&r->percpu[cpu], r->lost_counter);
	return sum;
}

/* Say so when the programs found the ring full since the last look. */
static void report_loss(struct reader *r)
{
	__u64 lost = read_lost(r);
	const char *what = r->a->drops ? "drop samples" : "events";
	struct json j;

	if (lost <= r->lost_seen)
		return;
	if (r->a->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_str(&j, "type", "lost");
		json_kv_uint(&j, "time_ns", clock_ns(CLOCK_REALTIME));
		json_kv_str(&j, "what", what);
		json_kv_uint(&j, "lost", lost - r->lost_seen);
		json_object_end(&j);
		putchar('\n');
	} else {
		printf("# %llu %s lost: the ring was full (a slow reader, or a burst)\n",
		       (unsigned long long)(lost - r->lost_seen), what);
	}
	r->lost_seen = lost;
}

/* --- arguments ---------------------------------------------------------------------- */

/* A comma-separated list of names into bits; -1 after one sentence. */
static int parse_list(const char *opt, const char *list, const char *const *names, size_t n,
		      bool (*allowed)(size_t), __u64 *bits)
{
	char buf[1024], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf)) {
		pr_err("--%s: the list is too long", opt);
		return -1;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < n; i++)
			if (names[i] && allowed(i) && !strcmp(tok, names[i]))
				break;
		if (i == n) {
			pr_err("--%s: unknown name '%s'; see 'shakeoff help events'", opt, tok);
			return -1;
		}
		bits[i / 64] |= 1ull << (i % 64);
	}
	if (!(bits[0] | bits[1])) {
		pr_err("--%s: the list is empty", opt);
		return -1;
	}
	return 0;
}

static bool any_type(size_t i)
{
	return i >= SO_EV_OPEN && i <= SO_EV_CLOSE;
}

/* The counters whose verdict is a drop. */
static bool drop_counter(size_t c)
{
	return c == SO_C_ACK_COOKIE_INVALID || !strncmp(counter_key[c], "drop_", 5);
}

static int check_args(const struct events_args *a, struct reader *r)
{
	static const char *const only_drops[] = { "reason", "rate", "write" };
	const bool given[] = { a->reasons, a->rate.set, a->write };
	__u64 bits[2] = { 0, 0 };

	for (size_t i = 0; !a->drops && i < 3; i++)
		if (given[i]) {
			pr_err("--%s needs --drops", only_drops[i]);
			return -1;
		}
	if (a->drops && a->types) {
		pr_err("--type names connection events; --drops shows drop samples (--reason)");
		return -1;
	}
	if (a->types) {
		if (parse_list("type", a->types, type_names,
			       sizeof(type_names) / sizeof(type_names[0]), any_type, bits))
			return -1;
		r->types = bits[0];
	}
	if (a->reasons &&
	    parse_list("reason", a->reasons, counter_key, SO_C_MAX, drop_counter, r->reasons))
		return -1;
	if (a->client) {
		if (parse_prefix(a->client, &r->client))
			return -1;
		r->has_client = true;
	}
	return 0;
}

/* --- the flag, the lock, the settings ---------------------------------------------- */

static int set_listen(const char *ifname, __u8 bit, bool on)
{
	struct so_config cfg;
	struct live l;
	int err = live_lock(ifname, &l) || live_read(&l, "config", &cfg);

	if (!err && !!(cfg.listen & bit) != on) {
		cfg.listen = on ? cfg.listen | bit : cfg.listen & ~bit;
		err = live_write(&l, "config", &cfg);
	}
	live_unlock(&l);
	return err ? -1 : 0;
}

/* The one reader of this interface's ring of this kind: -1 if there is one. */
static int take_lock(const struct events_args *a)
{
	const char *kind = a->drops ? "drops" : "events";
	char path[PATH_MAX];
	unsigned long ino = 0;
	int fd = -1;

	netns_inode(&ino);
	snprintf(path, sizeof(path), LOCK_DIR "/%s-%lu-%u.lock", kind, ino,
		 if_nametoindex(a->ifname));
	if (mkdir(LOCK_DIR, 0700) == 0 || errno == EEXIST)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pr_err("another shakeoff events%s reads %s already (a ring has one reader)",
		       a->drops ? " --drops" : "", a->ifname);
		close(fd);
		return -1;
	}
	return fd;
}

/* --drops: the budget and the reasons, before the flag goes on. */
static int drop_settings(const char *dir, const struct events_args *a, const struct reader *r)
{
	unsigned long rate = a->rate.set ? a->rate.val : SO_DROP_RATE_DEFAULT;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct so_evconf ec = { .drop_reasons = { r->reasons[0], r->reasons[1] } };
	__u32 zero = 0;
	int fd = pins_open(dir, "evconf"), err;

	if (fd < 0) {
		pr_err("cannot open %s/evconf: %s", dir, strerror(-fd));
		return -1;
	}
	ec.drop_interval_ns = ((cpus > 0 ? cpus : 1) * 1000000000ull + rate - 1) / rate;
	err = bpf_map_update_elem(fd, &zero, &ec, BPF_ANY);
	if (err)
		pr_err("cannot write %s/evconf: %s", dir, strerror(errno));
	close(fd);
	return err ? -1 : 0;
}

static int open_pcap(struct reader *r)
{
	int err;

	r->pcap = fopen(r->a->write, "we");
	if (!r->pcap) {
		pr_err("cannot create %s: %s", r->a->write, strerror(errno));
		return -1;
	}
	err = pcapng_begin(r->pcap, r->a->ifname, SO_DROP_SNAP);
	if (err)
		pr_err("cannot write %s: %s", r->a->write, strerror(-err));
	return err ? -1 : 0;
}

/* --- the loop ------------------------------------------------------------------------- */

/* Until interrupted, --count reached or an error. */
static int read_loop(struct reader *r, struct ring_buffer *rb)
{
	int n;

	pr_info("reading the %s of %s (Ctrl-C ends)", r->a->drops ? "drop samples" : "events",
		r->a->ifname);
	while (!stop_requested && !r->err && !(r->a->count.set && r->shown >= r->a->count.val)) {
		clock_offset(r);
		n = ring_buffer__poll(rb, POLL_MS);
		if (n >= 0 && !r->err)
			n = ring_buffer__consume(rb);
		if (n < 0 && n != -EINTR && !r->err && !r->a->count.set) {
			pr_err("cannot read the ring: %s", strerror(-n));
			return -1;
		}
		report_loss(r);
	}
	return r->err;
}

/* Once the flag is off: what came before it, and the last losses. */
static void drain(struct reader *r, struct ring_buffer *rb)
{
	if (!r->err && !(r->a->count.set && r->shown >= r->a->count.val))
		ring_buffer__consume(rb);
	report_loss(r);
}

static int open_stats(struct reader *r, const char *dir)
{
	r->ncpus = libbpf_num_possible_cpus();
	r->stats_fd = pins_open(dir, "stats");
	if (r->stats_fd < 0 || r->ncpus <= 0) {
		pr_err("cannot open %s/stats: %s", dir,
		       strerror(r->stats_fd < 0 ? -r->stats_fd : -r->ncpus));
		return -1;
	}
	r->percpu = calloc(r->ncpus, sizeof(*r->percpu));
	if (!r->percpu) {
		pr_err("out of memory");
		return -1;
	}
	r->lost_counter = r->a->drops ? SO_C_DROP_SAMPLE_LOST : SO_C_EVENT_LOST;
	r->lost_seen = read_lost(r);
	return 0;
}

static int run_events(void *args)
{
	struct events_args *a = args;
	struct reader r = { .a = a, .stats_fd = -1 };
	__u8 bit = a->drops ? SO_LISTEN_DROPS : SO_LISTEN_EVENTS;
	int ring_fd = -1, lock_fd = -1, err = -1;
	struct ring_buffer *rb = NULL;
	bool listening = false;
	char dir[PATH_MAX];

	if (check_args(a, &r))
		return RC_USAGE;
	stop_on_signals();
	signal(SIGPIPE, SIG_IGN); /* a gone reader (| head) is a write error, not a kill */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pins_find(a->ifname, dir, sizeof(dir)))
		return RC_FAIL;
	ring_fd = pins_open(dir, a->drops ? "drops" : "events");
	if (ring_fd < 0) {
		pr_err("cannot open %s/%s: %s (attached by an older shakeoff? re-attach)", dir,
		       a->drops ? "drops" : "events", strerror(-ring_fd));
		return RC_FAIL;
	}
	lock_fd = take_lock(a);
	if (lock_fd < 0 || open_stats(&r, dir) || (a->write && open_pcap(&r)) ||
	    (a->drops && drop_settings(dir, a, &r)))
		goto out;
	rb = ring_buffer__new(ring_fd, on_record, &r, NULL);
	if (!rb) {
		pr_err("cannot map the %s ring: %s", a->drops ? "drops" : "events", strerror(errno));
		goto out;
	}
	listening = set_listen(a->ifname, bit, true) == 0;
	if (listening)
		err = read_loop(&r, rb);
out:
	if (listening && set_listen(a->ifname, bit, false))
		err = -1;
	if (listening)
		drain(&r, rb);
	ring_buffer__free(rb);
	if (r.pcap && fclose(r.pcap) && !err) {
		pr_err("cannot write %s: %s", a->write, strerror(errno));
		err = -1;
	}
	free(r.percpu);
	if (r.stats_fd >= 0)
		close(r.stats_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	close(ring_fd);
	return err ? RC_FAIL : RC_OK;
}

static struct events_args events_args;

const struct cmd cmd_events = {
	.name = "events",
	.summary = "stream connection events, or samples of dropped packets",
	.description =
		"Print connection events as they happen: open (the handshake completed: the\n"
		"options in force, the cookie's age, our cookie or the kernel's), fin (each\n"
		"side's first FIN) and close (why: graceful, reset, idle, evicted, replaced;\n"
		"who closed first, the duration, packets and bytes each way). With --drops,\n"
		"samples of the packets the XDP program drops instead, with the reason, at\n"
		"most --rate a second; -w also writes them to a pcapng file. The programs make\n"
		"events only while an events command runs; a full ring loses them, and events\n"
		"says how many. With -j: one JSON object per line, times in ns since the epoch\n"
		"(keys: type, time_ns, family, saddr, sport, daddr, dport, and per type the\n"
		"figures above; type lost: lost, what).",
	.opts = events_opts,
	.args = &events_args,
	.needs_root = true,
	.run = run_events,
};
