// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - see prom.h. One family per counter of SO_COUNTERS
 * (shakeoff_<key>_total, a counter; evicted as sample_read() makes it),
 * the table's gauges and the arming state, each with one sample per
 * interface labelled ifname="..."; and shakeoff_info, an info metric
 * (always 1) whose labels say how each attachment runs. Every attachment
 * is read before anything is printed, so an error never leaves half a
 * scrape behind.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pins.h"
#include "prom.h"
#include "sample.h"
#include "tuneopts.h"

struct reading {
	char **names;
	struct sample *s;
	size_t n;
};

/* Label values escape \, " and newline; HELP text escapes \ and newline. */
static void write_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\' || (quote && *s == '"'))
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	write_escaped(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

static void sample_line(FILE *f, const char *name, const char *ifname, unsigned long long v)
{
	fprintf(f, "%s{ifname=\"", name);
	write_escaped(f, ifname, true);
	fprintf(f, "\"} %llu\n", v);
}

/* A figure of a sample: a counter (its index) or one of these. */
enum { FIG_ACTIVE = SO_C_MAX, FIG_HALF_CLOSED, FIG_ARMED };

static __u64 figure(const struct sample *s, int which)
{
	switch (which) {
	case FIG_ACTIVE:
		return s->conn_active;
	case FIG_HALF_CLOSED:
		return s->conn_half_closed;
	case FIG_ARMED:
		return s->armed;
	default:
		return s->counter[which];
	}
}

static const struct {
	int which;
	const char *name, *type, *help;
} extra[] = {
	{ FIG_ACTIVE, "shakeoff_conn_active", "gauge", "connections in the table now" },
	{ FIG_HALF_CLOSED, "shakeoff_conn_half_closed", "gauge",
	  "connections in close_wait, fin_wait_1 or fin_wait_2 now" },
	{ FIG_ARMED, "shakeoff_armed", "gauge", "1 while SYNs to protected ports are answered in XDP" },
};

static void write_family(FILE *f, const struct reading *r, const char *name, const char *type,
			 const char *help, int which)
{
	family(f, name, type, help);
	for (size_t i = 0; i < r->n; i++)
		sample_line(f, name, r->names[i], figure(&r->s[i], which));
}

/* The Prometheus way to export a setting: a gauge of 1 labelled with it
 * (like *_build_info), for a join or a legend, not a figure to sum. */
static void write_info(FILE *f, const struct reading *r)
{
	family(f, "shakeoff_info", "gauge",
	       "1 for each attachment; label complete: the completion mode, kfunc "
	       "(bpf_sk_assign_tcp_reqsk) or kernel (the kernel's own cookies and check)");
	for (size_t i = 0; i < r->n; i++) {
		__u8 c = r->s[i].complete;

		fputs("shakeoff_info{ifname=\"", f);
		write_escaped(f, r->names[i], true);
		fprintf(f, "\",complete=\"%s\"} 1\n",
			c <= SO_COMPLETE_KERNEL ? complete_names[c] : "unknown");
	}
}

static void write_all(FILE *f, const struct reading *r)
{
	char name[96];

	family(f, "shakeoff_attachments", "gauge", "interfaces shakeoff is attached to");
	fprintf(f, "shakeoff_attachments %zu\n", r->n);
	if (r->n == 0)
		return;
	write_info(f, r);
	for (int c = 0; c < SO_C_MAX; c++) {
		snprintf(name, sizeof(name), "shakeoff_%s_total", counter_key[c]);
		write_family(f, r, name, "counter", counter_help[c], c);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		write_family(f, r, extra[i].name, extra[i].type, extra[i].help, extra[i].which);
}

static int read_one(const char *ifname, struct sample *s)
{
	struct sample_maps maps = SAMPLE_MAPS_INIT;
	int err = sample_maps_open(ifname, &maps);

	if (!err)
		err = sample_read(&maps, s);
	sample_maps_close(&maps);
	return err;
}

static int read_all(const char *ifname, struct reading *r)
{
	int err = 0;

	if (ifname) {
		r->names = malloc(sizeof(*r->names));
		if (r->names && (r->names[0] = strdup(ifname)))
			r->n = 1;
	} else {
		err = pins_list(&r->names, &r->n);
		if (err)
			pr_err("cannot list the attachments of this network namespace: %s",
			       strerror(-err));
	}
	r->s = calloc(r->n ? r->n : 1, sizeof(*r->s));
	if (!err && (!r->s || (ifname && r->n != 1))) {
		pr_err("out of memory");
		err = -1;
	}
	for (size_t i = 0; !err && i < r->n; i++)
		err = read_one(r->names[i], &r->s[i]);
	return err ? -1 : 0;
}

int prom_write(FILE *f, const char *ifname)
{
	struct reading r = {};
	int err = read_all(ifname, &r);

	if (!err)
		write_all(f, &r);
	for (size_t i = 0; i < r.n; i++)
		free(r.names[i]);
	free(r.names);
	free(r.s);
	return err;
}
