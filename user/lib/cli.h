/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - what a command of the shakeoff CLI looks like to main.c.
 *
 * Each command lives in its own file and exports one struct cmd: its name,
 * its one-line summary for `shakeoff help`, its option table (options.h) and
 * the function that runs it once the table has filled in its arguments.
 */
#pragma once

#include <stdbool.h>
#include <linux/types.h>

#include "options.h"

/* Exit statuses of the CLI. */
enum {
	RC_OK = 0,    /* done */
	RC_FAIL = 1,  /* a runtime error: the system said no */
	RC_USAGE = 2, /* the command line was wrong; nothing was touched */
};

struct cmd {
	const char *name;
	const char *summary;     /* one line, for `shakeoff help` */
	const char *description; /* a paragraph, for `shakeoff CMD --help` */
	const struct opt *opts;  /* ends with OPT_END */
	void *args;              /* filled in by the option table; holds the defaults */
	bool needs_root;
	int (*run)(void *args);  /* returns RC_* */
};

extern const struct cmd cmd_attach;
/* The --secret-file that cmd_attach's options parsed into (rekey --config). */
const char *attach_secret_file(void);
extern const struct cmd cmd_detach;
extern const struct cmd cmd_status;
extern const struct cmd cmd_stats;
extern const struct cmd cmd_rekey;
extern const struct cmd cmd_conns;
extern const struct cmd cmd_set;
extern const struct cmd cmd_top;
extern const struct cmd cmd_allow;
extern const struct cmd cmd_deny;
extern const struct cmd cmd_exporter;
extern const struct cmd cmd_events;
