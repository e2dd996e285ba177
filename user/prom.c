// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - see prom.h. One family per counter of SO_COUNTERS
 * (shakeoff_<key>_total, a counter; evicted as sample_read() makes it),
 * the table's gauges and the arming state, each with one sample per interface
 * labelled ifname="...". Every attachment is read before anything is
 * printed, so an error never leaves half a scrape behind.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pins.h"
#include "prom.h"
#include "sample.h"

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

static void write_all(FILE *f, const struct reading *r)
{
	char name[96];

	family(f, "shakeoff_attachments", "gauge", "interfaces shakeoff is attached to");
	fprintf(f, "shakeoff_attachments %zu\n", r->n);
	if (r->n == 0)
		return;
	for (int c = 0; c < SO_C_MAX; c++) {
		snprintf(name, sizeof(name), "shakeoff_%s_total", counter_key[c]);
		write_family(f, r, name, "counter", counter_help[c], c);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		write_family(f, r, extra[i].name, extra[i].type, extra[i].help, extra[i].which);
}

static int read_one(const char *ifname, struct sample *s)
{
	struct source src = SOURCE_INIT;
	int err = source_open(ifname, &src);

	if (!err)
		err = sample_read(&src, s);
	source_close(&src);
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
