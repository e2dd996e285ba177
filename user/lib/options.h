/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - command-line options declared as data.
 *
 * A command declares each option once, in a table of struct opt: its long
 * and short name, metavar, help text, type and whether it is required. The
 * same table drives getopt_long, the parsing and validation of each value
 * (into a field of the command's argument struct, at .offset) and --help.
 * Positional arguments (IFACE) are entries too, with .positional set.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,    /* bool, set when given */
	OPT_COUNT,   /* int, +1 each time given (-vv) */
	OPT_STRING,  /* const char *, as given */
	OPT_IFNAME,  /* const char *, an interface name (also safe as a path component) */
	OPT_UINT,    /* struct opt_uint, decimal in [min, max] */
	OPT_ENUM,    /* int, index of the value in .choices */
	OPT_SECONDS, /* double, > 0, may be fractional */
	OPT_PORTS,   /* struct so_ports, "80,443,8000-8100" */
	OPT_CONFIG,  /* const char *, a file of more options (see opts_parse) */
};

/* An OPT_UINT value: .set tells a default from a value given. */
struct opt_uint {
	bool set;
	unsigned long val;
};

struct opt {
	const char *name;            /* long name; for a positional, its name in errors */
	char short_name;             /* 0: none */
	const char *metavar;         /* the value in --help; NULL: derived from the type */
	const char *help;
	enum opt_type type;
	bool required;
	bool positional;
	size_t offset;               /* of the value in the command's argument struct */
	unsigned long min, max;      /* OPT_UINT range */
	const char *const *choices;  /* OPT_ENUM values, NULL-terminated */
	const char *refuse;          /* given on the command line: an error, "--NAME <refuse>";
				      * in a --config file: ignored */
};

#define OPT_END { .name = NULL }

/* Entries a table may have before OPT_END: opts_parse keeps a flag per entry
 * and builds getopt_long's tables in arrays of this size. */
#define OPTS_MAX 32

/* Has the table at most OPTS_MAX entries? opts_parse refuses one that has
 * more, with an internal error, before it reads anything. */
bool opts_table_fits(const struct opt *table);

enum opt_result {
	OPTS_OK,
	OPTS_HELP,  /* -h/--help was given */
	OPTS_ERROR, /* a usage error, already reported */
};

/*
 * Parse argv[1..] into args. With stop_at_arg (the global options), stop at
 * the first non-option and store its index in *next; otherwise options and
 * positionals may come in any order.
 *
 * An OPT_CONFIG option names a file of more options for the same table, one
 * per line: "NAME VALUE", "NAME=VALUE" or "--NAME VALUE" (a flag alone), with
 * blank lines and # comments. The command line wins over the file; options
 * with .refuse set are ignored in a file; errors name the file and line.
 */
enum opt_result opts_parse(const char *cmd, const struct opt *table, void *args, int argc,
			   char **argv, bool stop_at_arg, int *next);

/* "Usage: shakeoff CMD IFACE --ports LIST [options]" and the option list. */
void opts_help(FILE *f, const char *cmd, const char *description, const struct opt *table);

/* One line per option (and -h, --help). */
void opts_print_options(FILE *f, const struct opt *table);

/* " IFACE --ports LIST [options]": what follows the command in a usage line. */
void opts_print_synopsis(FILE *f, const struct opt *table);

/* The value's name in help: .metavar, or one derived from the type. */
const char *opts_metavar(const struct opt *o, char *buf, size_t len);

bool opts_takes_value(const struct opt *o);

/* For an OPT_ENUM with a metavar (a name): " (STATE: a, b, c)"; else "". */
const char *opts_choices(const struct opt *o, char *buf, size_t len);

/* Is name a valid interface name, and safe as a path component? */
bool opts_ifname_ok(const char *name);
