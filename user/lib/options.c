// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - getopt_long, value parsing and --help, all driven by one table
 * of struct opt per command (see options.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "ports.h"

/* --help: where an option's text starts, so that "  -p, --ports LIST" fits
 * before it; a longer head gets a line of its own */
#define HELP_COLUMN 30
/* getopt val of an option without a short name: above every char a short name can be */
#define OPT_VAL_LONG_ONLY 256

bool opts_takes_value(const struct opt *o)
{
	return o->type != OPT_FLAG && o->type != OPT_COUNT;
}

/* "--mss4" for an option, "IFACE" for a positional. */
static const char *opt_label(const struct opt *o, char *buf, size_t len)
{
	if (o->positional)
		snprintf(buf, len, "%s", o->metavar);
	else
		snprintf(buf, len, "--%s", o->name);
	return buf;
}

const char *opts_metavar(const struct opt *o, char *buf, size_t len)
{
	size_t n = 0;

	if (o->metavar)
		return o->metavar;
	switch (o->type) {
	case OPT_ENUM:
		buf[0] = '\0';
		for (int i = 0; o->choices[i]; i++)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "|" : "",
				      o->choices[i]);
		return buf;
	case OPT_SECONDS:
		return "S";
	case OPT_PORTS:
		return "LIST";
	case OPT_IFNAME:
		return "IFACE";
	case OPT_CONFIG:
		return "FILE";
	default:
		return "N";
	}
}

const char *opts_choices(const struct opt *o, char *buf, size_t len)
{
	size_t n;

	if (o->type != OPT_ENUM || !o->metavar)
		return "";
	n = snprintf(buf, len, " (%s:", o->metavar);
	for (int i = 0; o->choices[i]; i++)
		n += snprintf(buf + n, n < len ? len - n : 0, "%s %s", i ? "," : "", o->choices[i]);
	snprintf(buf + n, n < len ? len - n : 0, ")");
	return buf;
}

/* The kernel's rules (dev_valid_name): pins.c relies on them. */
bool opts_ifname_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

/* A decimal number with nothing else around it. */
static bool parse_ulong(const char *s, unsigned long *val)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*val = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int parse_uint(const struct opt *o, const char *arg, struct opt_uint *dst)
{
	char label[64];
	unsigned long v;

	if (!parse_ulong(arg, &v) || v < o->min || v > o->max) {
		pr_err("invalid %s '%s': expected a number from %lu to %lu",
		       opt_label(o, label, sizeof(label)), arg, o->min, o->max);
		return -1;
	}
	dst->set = true;
	dst->val = v;
	return 0;
}

static int parse_enum(const struct opt *o, const char *arg, int *dst)
{
	char label[64], choices[256];
	size_t n = 0;

	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(arg, o->choices[i])) {
			*dst = i;
			return 0;
		}
		n += snprintf(choices + n, n < sizeof(choices) ? sizeof(choices) - n : 0, "%s%s",
			      i ? "|" : "", o->choices[i]);
	}
	pr_err("invalid %s '%s': expected one of %s", opt_label(o, label, sizeof(label)), arg,
	       choices);
	return -1;
}

/* Positive seconds, decimal digits with at most one point (no exponent, hex, inf or nan). */
static int parse_seconds(const struct opt *o, const char *arg, double *dst)
{
	char label[64];
	size_t digits = strspn(arg, "0123456789.");
	const char *dot = strchr(arg, '.');
	double v = 0;

	if (digits == strlen(arg) && digits > 0 && (!dot || !strchr(dot + 1, '.')) &&
	    strcmp(arg, "."))
		v = strtod(arg, NULL);
	if (!(v > 0 && v <= 1e6)) {
		pr_err("invalid %s '%s': expected seconds greater than 0, like 1 or 0.5",
		       opt_label(o, label, sizeof(label)), arg);
		return -1;
	}
	*dst = v;
	return 0;
}

static int parse_ifname(const struct opt *o, const char *arg, const char **dst)
{
	char label[64];

	if (!opts_ifname_ok(arg)) {
		pr_err("invalid %s '%s': not a valid interface name",
		       opt_label(o, label, sizeof(label)), arg);
		return -1;
	}
	*dst = arg;
	return 0;
}

static int parse_value(const struct opt *o, const char *arg, void *args)
{
	void *dst = (char *)args + o->offset;

	switch (o->type) {
	case OPT_FLAG:
		*(bool *)dst = true;
		return 0;
	case OPT_COUNT:
		(*(int *)dst)++;
		return 0;
	case OPT_STRING:
	case OPT_CONFIG:
		*(const char **)dst = arg;
		return 0;
	case OPT_IFNAME:
		return parse_ifname(o, arg, dst);
	case OPT_UINT:
		return parse_uint(o, arg, dst);
	case OPT_ENUM:
		return parse_enum(o, arg, dst);
	case OPT_SECONDS:
		return parse_seconds(o, arg, dst);
	case OPT_PORTS:
		return ports_parse(arg, dst);
	}
	return -1;
}

/* Fill getopt_long's tables from ours; -h/--help is always there. */
static void build_getopt(const struct opt *table, bool stop_at_arg, struct option *longopts,
			 char *shortopts)
{
	int n = 0;
	char *s = shortopts;

	s += sprintf(s, "%s", stop_at_arg ? "+:h" : ":h");
	for (int i = 0; table[i].name; i++) {
		const struct opt *o = &table[i];

		if (o->positional)
			continue;
		longopts[n++] = (struct option){ o->name, opts_takes_value(o), NULL,
						 o->short_name ? o->short_name
							       : OPT_VAL_LONG_ONLY + i };
		if (o->short_name)
			s += sprintf(s, "%c%s", o->short_name, opts_takes_value(o) ? ":" : "");
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n] = (struct option){ 0 };
}

/* The table entry getopt_long's val (or optopt) stands for, or -1. */
static int find_opt(const struct opt *table, int val)
{
	for (int i = 0; table[i].name; i++) {
		if (table[i].positional)
			continue;
		if (val == OPT_VAL_LONG_ONLY + i || (table[i].short_name && val == table[i].short_name))
			return i;
	}
	return -1;
}

static void report_getopt_error(const char *cmd, const struct opt *table, int c, char **argv)
{
	int i = find_opt(table, optopt);
	const char *where = cmd ? cmd : "";
	const char *sep = cmd ? " " : "";

	if (c == ':' && i >= 0)
		pr_err("option --%s needs a value; see 'shakeoff %s%s--help'", table[i].name, where,
		       sep);
	else if (optopt && optopt < OPT_VAL_LONG_ONLY)
		pr_err("unknown option '-%c'; see 'shakeoff %s%s--help'", optopt, where, sep);
	else
		pr_err("unknown option '%s'; see 'shakeoff %s%s--help'", argv[optind - 1], where,
		       sep);
}

/* Hand argv[first..] to the positional entries, in table order. */
static int parse_positionals(const char *cmd, const struct opt *table, void *args, int argc,
			     char **argv, int first, bool *given)
{
	int a = first;

	for (int i = 0; table[i].name && a < argc; i++) {
		if (!table[i].positional)
			continue;
		if (parse_value(&table[i], argv[a++], args))
			return -1;
		given[i] = true;
	}
	if (a < argc) {
		pr_err("unexpected argument '%s'; see 'shakeoff %s --help'", argv[a], cmd);
		return -1;
	}
	return 0;
}

static int check_required(const char *cmd, const struct opt *table, const bool *given)
{
	char label[64], mv[128];

	for (int i = 0; table[i].name; i++) {
		if (!table[i].required || given[i])
			continue;
		if (table[i].positional)
			pr_err("missing %s; see 'shakeoff %s --help'", table[i].metavar, cmd);
		else
			pr_err("missing %s %s; see 'shakeoff %s --help'",
			       opt_label(&table[i], label, sizeof(label)),
			       opts_metavar(&table[i], mv, sizeof(mv)), cmd);
		return -1;
	}
	return 0;
}

/* --- option files (OPT_CONFIG) ------------------------------------------------ */

/* The non-positional entry called exactly name, or -1. */
static int find_by_name(const struct opt *table, const char *name)
{
	for (int i = 0; table[i].name; i++)
		if (!table[i].positional && !strcmp(table[i].name, name))
			return i;
	return -1;
}

/* Strip a # comment and the blanks around what is left. */
static char *trim_line(char *line)
{
	char *hash = strchr(line, '#'), *end;

	if (hash)
		*hash = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return line;
}

/* "NAME VALUE", "NAME=VALUE", "--NAME VALUE" or a flag's "NAME". */
static void split_line(char *line, char **name, char **value)
{
	size_t n;

	if (!strncmp(line, "--", 2))
		line += 2;
	*name = line;
	n = strcspn(line, "= \t");
	*value = NULL;
	if (!line[n])
		return;
	line[n++] = '\0';
	while (line[n] == ' ' || line[n] == '\t' || line[n] == '=')
		n++;
	*value = line + n;
}

/* One line of an option file; the caller has set the log context. */
static int config_line(const struct opt *table, void *args, char *line, const bool *given,
		       bool *from_file)
{
	char *name, *value;
	int i;

	split_line(line, &name, &value);
	i = find_by_name(table, name);
	if (i < 0 || table[i].type == OPT_CONFIG) {
		pr_err("%s '%s'", i < 0 ? "unknown option" : "an option file cannot name another:",
		       name);
		return -1;
	}
	if (given[i] || table[i].refuse)
		return 0; /* the command line wins; options fixed at attach are for attach */
	if (opts_takes_value(&table[i]) != (value && *value)) {
		pr_err("--%s %s", name, opts_takes_value(&table[i]) ? "needs a value" : "takes no value");
		return -1;
	}
	/* values are kept by reference (OPT_STRING): the copy lives on */
	if (value && !(value = strdup(value))) {
		pr_err("out of memory");
		return -1;
	}
	if (parse_value(&table[i], value, args))
		return -1;
	from_file[i] = true;
	return 0;
}

static int parse_config(const struct opt *table, void *args, const char *path, bool *given)
{
	char *line = NULL, where[PATH_MAX + 32];
	size_t size = 0;
	int lineno = 0, err = 0;
	bool from_file[OPTS_MAX] = { false };
	FILE *f = fopen(path, "re");

	if (!f) {
		pr_err("cannot read the option file %s: %s", path, strerror(errno));
		return -1;
	}
	while (!err && getline(&line, &size, f) > 0) {
		char *l = trim_line(line);

		snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
		log_context(where);
		if (*l)
			err = config_line(table, args, l, given, from_file);
	}
	log_context(NULL);
	free(line);
	fclose(f);
	/* required options may come from the file too */
	for (int i = 0; i < OPTS_MAX; i++)
		given[i] |= from_file[i];
	return err;
}

enum opt_result opts_parse(const char *cmd, const struct opt *table, void *args, int argc,
			   char **argv, bool stop_at_arg, int *next)
{
	struct option longopts[OPTS_MAX + 2];
	char shortopts[3 * OPTS_MAX + 4];
	bool given[OPTS_MAX] = { false };
	const char *config = NULL;
	int c, i;

	if (!opts_table_fits(table)) {
		pr_err("internal error: the option table of '%s' has more than %d entries",
		       cmd ? cmd : "shakeoff", OPTS_MAX);
		return OPTS_ERROR;
	}
	build_getopt(table, stop_at_arg, longopts, shortopts);
	optind = 0; /* glibc: start afresh, also after an earlier parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h')
			return OPTS_HELP;
		i = find_opt(table, c);
		if (c == '?' || c == ':' || i < 0) {
			report_getopt_error(cmd, table, c, argv);
			return OPTS_ERROR;
		}
		if (table[i].refuse) {
			pr_err("--%s %s", table[i].name, table[i].refuse);
			return OPTS_ERROR;
		}
		if (parse_value(&table[i], optarg, args))
			return OPTS_ERROR;
		given[i] = true;
		if (table[i].type == OPT_CONFIG)
			config = optarg;
	}
	if (stop_at_arg) {
		*next = optind;
		return OPTS_OK;
	}
	if (parse_positionals(cmd, table, args, argc, argv, optind, given) ||
	    (config && parse_config(table, args, config, given)) ||
	    check_required(cmd, table, given))
		return OPTS_ERROR;
	return OPTS_OK;
}

bool opts_table_fits(const struct opt *table)
{
	int n = 0;

	while (table[n].name && n <= OPTS_MAX)
		n++;
	return n <= OPTS_MAX;
}

/* "IFACE --ports LIST [options]" */
void opts_print_synopsis(FILE *f, const struct opt *table)
{
	char mv[128];
	bool optional = false;

	for (int i = 0; table[i].name; i++) {
		const struct opt *o = &table[i];

		if (o->positional)
			fprintf(f, o->required ? " %s" : " [%s]", o->metavar);
		else if (o->required)
			fprintf(f, " --%s %s", o->name, opts_metavar(o, mv, sizeof(mv)));
		else
			optional = true;
	}
	fprintf(f, "%s\n", optional ? " [options]" : "");
}

static void print_option(FILE *f, const struct opt *o)
{
	char head[160], mv[256];
	int n;

	if (o->positional)
		n = snprintf(head, sizeof(head), "  %s", o->metavar);
	else
		n = snprintf(head, sizeof(head), "  %c%c%s --%s%s%s", o->short_name ? '-' : ' ',
			     o->short_name ? o->short_name : ' ', o->short_name ? "," : " ",
			     o->name, opts_takes_value(o) ? " " : "",
			     opts_takes_value(o) ? opts_metavar(o, mv, sizeof(mv)) : "");
	if (n < HELP_COLUMN)
		fprintf(f, "%-*s%s", HELP_COLUMN, head, o->help);
	else
		fprintf(f, "%s\n%-*s%s", head, HELP_COLUMN, "", o->help);
	fprintf(f, "%s%s\n", opts_choices(o, mv, sizeof(mv)),
		o->required && !o->positional ? " (required)" : "");
}

void opts_help(FILE *f, const char *cmd, const char *description, const struct opt *table)
{
	fprintf(f, "Usage: shakeoff %s", cmd);
	opts_print_synopsis(f, table);
	if (description)
		fprintf(f, "\n%s\n", description);
	fprintf(f, "\nOptions:\n");
	opts_print_options(f, table);
}

void opts_print_options(FILE *f, const struct opt *table)
{
	for (int i = 0; table[i].name; i++)
		print_option(f, &table[i]);
	fprintf(f, "%-*s%s\n", HELP_COLUMN, "  -h, --help", "show this help");
}
